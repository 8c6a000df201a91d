// Package discover finds the Prefect flows of a Python repository by parsing its source with tree-sitter, never importing it, and reports what is wrong with them.
package discover

// Package schema loads and validates prefectgen's configuration files against embedded CUE schemas and reports every mistake at its line in the user's YAML.
package schema

// Package generator turns discovered flows and a validated configuration into deployments and renders the files prefectgen generates, without writing anything.
package generator

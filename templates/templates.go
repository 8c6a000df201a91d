// Package templates holds the default templates of the files prefectgen generates; a repository overrides any of them by name.
package templates

import "embed"

// FS holds the default templates. Files starting with "_" hold shared
// {{define}} blocks.
//
//go:embed *.tmpl
var FS embed.FS

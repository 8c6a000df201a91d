package diag

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity tells errors, which block generation and deploys, from
// warnings and notes.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
	// Note is for information that needs no action.
	Note Severity = "note"
)

// Pos is a position in a file: Line and Column count from 1 (Column in
// bytes); 0 means unknown. An empty File means the repository itself.
type Pos struct {
	File   string
	Line   int
	Column int
}

// String writes the position as path:line:col, without what is unknown,
// and "." for the repository.
func (p Pos) String() string {
	switch {
	case p.File == "":
		return "."
	case p.Line == 0:
		return p.File
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// ValidationError is one problem, with the severity and remediation of its
// code.
type ValidationError struct {
	Code        string   `json:"code"`
	Severity    Severity `json:"severity"`
	Message     string   `json:"message"`
	FilePath    string   `json:"file"`
	Line        int      `json:"line"`
	Column      int      `json:"column"`
	Remediation string   `json:"remediation"`
}

// New builds a problem at pos with its code's severity and remediation. An
// unregistered code is a bug in prefectgen: New panics.
func New(code string, pos Pos, msg string) ValidationError {
	i, ok := Lookup(code)
	if !ok {
		panic("diag: unregistered code " + code)
	}
	return ValidationError{Code: code, Severity: i.Severity, Message: msg, FilePath: pos.File, Line: pos.Line, Column: pos.Column, Remediation: i.Remediation}
}

// Position returns where the problem is.
func (e ValidationError) Position() Pos { return Pos{e.FilePath, e.Line, e.Column} }

// Pos returns the problem's position as path:line:col.
func (e ValidationError) Pos() string { return e.Position().String() }

func (e ValidationError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Pos(), e.Code, e.Message)
}

// Format writes the problem as prefectgen prints it, like a compiler: the
// position, the severity unless it is an error, the code and the message,
// then the remediation on an indented line.
func (e ValidationError) Format() string {
	sev := ""
	if e.Severity != Error && e.Severity != "" {
		sev = string(e.Severity) + ": "
	}
	msg := strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(e.Message)
	s := fmt.Sprintf("%s: %s%s: %s\n", e.Pos(), sev, e.Code, msg)
	if e.Remediation != "" {
		s += "    fix: " + e.Remediation + "\n"
	}
	return s
}

// ValidationResult holds every problem found, errors and warnings apart,
// each sorted by position.
type ValidationResult struct {
	IsValid  bool              `json:"is_valid"`
	Errors   []ValidationError `json:"errors"`
	Warnings []ValidationError `json:"warnings"`
}

// Add records a problem; notes go with the warnings.
func (r *ValidationResult) Add(e ValidationError) {
	if e.Severity == Warning || e.Severity == Note {
		r.Warnings = append(r.Warnings, e)
	} else {
		e.Severity = Error
		r.Errors = append(r.Errors, e)
	}
}

// Merge adds every problem of ps.
func (r *ValidationResult) Merge(ps ...ValidationError) {
	for _, p := range ps {
		r.Add(p)
	}
}

// Finish sorts and deduplicates the problems and sets IsValid.
func (r *ValidationResult) Finish() {
	Sort(r.Errors)
	Sort(r.Warnings)
	r.Errors = slices.Compact(r.Errors)
	r.Warnings = slices.Compact(r.Warnings)
	if r.Errors == nil {
		r.Errors = []ValidationError{}
	}
	if r.Warnings == nil {
		r.Warnings = []ValidationError{}
	}
	r.IsValid = len(r.Errors) == 0
}

// All returns errors and warnings together, sorted by position.
func (r *ValidationResult) All() []ValidationError {
	all := slices.Concat(r.Errors, r.Warnings)
	Sort(all)
	return all
}

// HasErrors reports whether any of ps is an error.
func HasErrors(ps []ValidationError) bool {
	return slices.ContainsFunc(ps, func(p ValidationError) bool { return p.Severity == Error })
}

// Sort sorts problems by file, line, column, then code and message, the
// order prefectgen prints them in.
func Sort(ps []ValidationError) {
	slices.SortStableFunc(ps, func(a, b ValidationError) int {
		return cmp.Or(
			cmp.Compare(a.FilePath, b.FilePath),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Code, b.Code),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

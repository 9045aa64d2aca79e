package engine

import (
	"cmp"
	"fmt"
	"slices"
)

// Severity says whether a diagnostic stops a file from loading.
type Severity int

// Severities of diagnostics.
const (
	Error Severity = iota
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Diagnostic is one problem found while loading or checking, with its position.
type Diagnostic struct {
	Severity Severity
	File     string
	Pos      Pos
	Message  string
}

// String renders the diagnostic as file:line:column: message (warnings marked as such).
func (d Diagnostic) String() string {
	prefix := ""
	if d.Severity == Warning {
		prefix = "warning: "
	}
	if d.Pos.Line == 0 {
		return fmt.Sprintf("%s: %s%s", d.File, prefix, d.Message)
	}
	return fmt.Sprintf("%s:%d:%d: %s%s", d.File, d.Pos.Line, d.Pos.Column, prefix, d.Message)
}

// Diagnostics collects problems. The zero value is ready to use.
type Diagnostics struct {
	List []Diagnostic
}

func (ds *Diagnostics) add(s Severity, file string, p Pos, msg string) {
	ds.List = append(ds.List, Diagnostic{Severity: s, File: file, Pos: p, Message: msg})
}

// Errors returns the number of errors.
func (ds *Diagnostics) Errors() int {
	n := 0
	for _, d := range ds.List {
		if d.Severity == Error {
			n++
		}
	}
	return n
}

// Sort orders the diagnostics by file and position, so output is stable.
func (ds *Diagnostics) Sort() {
	slices.SortStableFunc(ds.List, func(a, b Diagnostic) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column), cmp.Compare(a.Severity, b.Severity),
			cmp.Compare(a.Message, b.Message))
	})
}

// Err returns nil when there are no errors, and otherwise an error listing them.
func (ds *Diagnostics) Err() error {
	n := ds.Errors()
	if n == 0 {
		return nil
	}
	for _, d := range ds.List {
		if d.Severity == Error {
			if n == 1 {
				return fmt.Errorf("%s", d)
			}
			return fmt.Errorf("%s (and %d more errors)", d, n-1)
		}
	}
	return nil
}

package engine

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
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
	// Code is the stable code of the kind of problem; `paraat explain CODE` documents it.
	Code string
}

// String renders the diagnostic as file:line:column: message [code] (warnings marked as such).
func (d Diagnostic) String() string {
	prefix := ""
	if d.Severity == Warning {
		prefix = "warning: "
	}
	code := ""
	if d.Code != "" {
		code = " [" + d.Code + "]"
	}
	if d.Pos.Line == 0 {
		return fmt.Sprintf("%s: %s%s%s", d.File, prefix, d.Message, code)
	}
	return fmt.Sprintf("%s:%d:%d: %s%s%s", d.File, d.Pos.Line, d.Pos.Column, prefix, d.Message, code)
}

// Diagnostics collects problems. The zero value is ready to use.
type Diagnostics struct {
	List []Diagnostic
}

// add records a diagnostic whose message needs no formatting; its code comes from its words.
func (ds *Diagnostics) add(s Severity, file string, p Pos, msg string) {
	ds.List = append(ds.List, Diagnostic{Severity: s, File: file, Pos: p, Message: msg, Code: codeFor(msg)})
}

// addf records a diagnostic; its code comes from the words of the format, not of the values
// filled in, so that an id in the message cannot change the code.
func (ds *Diagnostics) addf(s Severity, file string, p Pos, format string, args ...any) {
	code := codeFor(format)
	msg := fmt.Sprintf(format, args...)
	if strings.Trim(format, "%sv ") == "" {
		code = codeFor(msg)
	}
	if c := codeFor(msg); code == "test" && strings.HasPrefix(c, "unknown-") {
		code = c // a test naming something that does not exist: the specific code helps more
	}
	ds.addCode(s, file, p, code, msg)
}

// addCode records a diagnostic with an explicit code.
func (ds *Diagnostics) addCode(s Severity, file string, p Pos, code, msg string) {
	ds.List = append(ds.List, Diagnostic{Severity: s, File: file, Pos: p, Message: msg, Code: code})
}

// Strict turns every warning into an error: `paraat check --strict`.
func (ds *Diagnostics) Strict() {
	for i := range ds.List {
		ds.List[i].Severity = Error
	}
}

// Keep drops the warnings about files for which keep returns false. Errors are always kept:
// a broken file breaks everything that depends on it.
func (ds *Diagnostics) Keep(keep func(file string) bool) {
	out := ds.List[:0]
	for _, d := range ds.List {
		if d.Severity == Error || keep(d.File) {
			out = append(out, d)
		}
	}
	ds.List = out
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

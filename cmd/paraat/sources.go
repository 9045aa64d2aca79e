package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// sourcesFS looks a source text up in several folders in turn: the built-in corpus's sources
// and those of one's own policy layer usually live apart.
type sourcesFS []fs.FS

func (m sourcesFS) Open(name string) (fs.File, error) {
	var first error
	for _, f := range m {
		file, err := f.Open(name)
		if err == nil {
			return file, nil
		}
		if first == nil || !errors.Is(err, fs.ErrNotExist) {
			first = err
		}
	}
	if first == nil {
		first = &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return nil, first
}

// sourceDirs opens the --sources folders, or says which is not one.
func sourceDirs(dirs []string, stderr io.Writer) (fs.FS, bool) {
	var out sourcesFS
	for _, d := range dirs {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			fmt.Fprintf(stderr, "paraat check: --sources %s is not a folder\n", d)
			return nil, false
		}
		out = append(out, os.DirFS(d))
	}
	return out, true
}

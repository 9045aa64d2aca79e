// Package scenarios holds paraat's built-in library: the scenarios, quizzes and the policy
// corpus they cite, embedded so that the binary needs no files.
package scenarios

import (
	"embed"
	"io/fs"
)

//go:embed *.yaml policy/*.yaml
var files embed.FS

// FS returns the built-in library as a file system: *.yaml scenarios and quizzes, and
// policy/*.yaml documents.
func FS() fs.FS { return files }

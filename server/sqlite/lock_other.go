//go:build !unix

package sqlite

// LockServe takes no lock where flock is missing: there, running two `paraat serve` processes
// on one file is up to the operator.
func LockServe(path string) (release func(), err error) { return func() {}, nil }

//go:build !unix

package server

// cpuTime is not measured where getrusage does not exist.
func cpuTime() (user, system int64) { return 0, 0 }

//go:build unix

package server

import "syscall"

// cpuTime returns the process's user and system CPU time in milliseconds.
func cpuTime() (user, system int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	ms := func(tv syscall.Timeval) int64 { return int64(tv.Sec)*1000 + int64(tv.Usec)/1000 }
	return ms(ru.Utime), ms(ru.Stime)
}

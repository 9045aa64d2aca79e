package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
)

// startProfiles writes a CPU profile of the whole run to dir/cpu.pprof; the returned stop
// ends it and adds the heap (after a collection) and the goroutines as they are at the end:
// dir/heap.pprof and dir/goroutine.pprof. Read them with `go tool pprof -http=: FILE`.
func startProfiles(dir string) (stop func() error, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cpu, err := os.Create(filepath.Join(dir, "cpu.pprof"))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		cpu.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := cpu.Close(); err != nil {
			return err
		}
		runtime.GC()
		for _, name := range []string{"heap", "goroutine"} {
			f, err := os.Create(filepath.Join(dir, name+".pprof"))
			if err != nil {
				return err
			}
			werr := pprof.Lookup(name).WriteTo(f, 0)
			if err := f.Close(); werr == nil {
				werr = err
			}
			if werr != nil {
				return werr
			}
		}
		return nil
	}, nil
}

//go:build unix

package sqlite

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// LockServe takes the serving lock of the SQLite file at path: an exclusive OS lock (flock) on
// path+".serve.lock", held until release is called or the process ends (the kernel drops it
// even after a kill -9). A live session runs in the memory of the one process that serves it,
// so two `paraat serve` processes on one file would each run their own copy of a session and
// diverge silently; the second one gets a clear error instead. Commands that only read or add
// users (paraat report, paraat user add) do not take it.
func LockServe(path string) (release func(), err error) {
	name := path + ".serve.lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("sqlite: serving lock %s: %w", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: another paraat serve process already serves %s (lock %s); "+
				"run one process per SQLite file, or use PostgreSQL for several nodes (docs/POSTGRES.md)", ErrServing, path, name)
		}
		return nil, fmt.Errorf("sqlite: serving lock %s: %w", name, err)
	}
	return func() { f.Close() }, nil
}

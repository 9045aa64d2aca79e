package scenarios

import (
	"sync"

	"github.com/paraat-nl/paraat/engine"
)

var loaded = sync.OnceValues(func() (*engine.Library, *engine.Diagnostics) { return engine.Load(files) })

// Library returns the built-in library, loaded once per process (loading compiles every
// expression of every scenario), with the diagnostics of the load: as `paraat serve` does,
// files with errors are left out. A loaded library is read-only and safe to share.
func Library() (*engine.Library, *engine.Diagnostics) { return loaded() }

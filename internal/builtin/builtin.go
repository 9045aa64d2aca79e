// Package builtin loads the built-in library once per process for the tests of several
// packages (loading compiles every expression of every scenario). It lives apart from
// scenarios, which exposes the files only and imports nothing but the standard library.
package builtin

import (
	"sync"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/scenarios"
)

var loaded = sync.OnceValues(func() (*engine.Library, *engine.Diagnostics) { return engine.Load(scenarios.FS()) })

// Library returns the built-in library, loaded once per process (loading compiles every
// expression of every scenario), with the diagnostics of the load: as `paraat serve` does,
// files with errors are left out. A loaded library is read-only and safe to share.
func Library() (*engine.Library, *engine.Diagnostics) { return loaded() }

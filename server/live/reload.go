package live

import "github.com/paraat-nl/paraat/engine"

// SetLibrary replaces the library for sessions created or loaded from now on. The hubs of
// running sessions hold the scenario they began with, so a live exercise is not disturbed by
// an author saving a new version of its file.
func (m *Manager) SetLibrary(lib *engine.Library) { m.lib.Store(lib) }

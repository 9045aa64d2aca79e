package server

import "github.com/paraat-nl/paraat/engine"

// lib returns the library the server serves now.
func (s *Server) lib() *engine.Library { return s.library.Load() }

// SetLibrary replaces the library: the catalogue, the viewer and new sessions use it from now
// on. Running sessions keep the scenario version they began with (the live layer's own
// SetLibrary does the same for it).
func (s *Server) SetLibrary(lib *engine.Library) {
	s.analysesMu.Lock()
	s.library.Store(lib)
	s.analyses = nil // analyses belong to the scenarios of the library they were made for
	s.analysesMu.Unlock()
}

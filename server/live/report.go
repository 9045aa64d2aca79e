package live

import (
	"context"
	"time"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/server"
)

// BuildReport computes a session's after-action report from its log.
func BuildReport(ctx context.Context, store server.Store, lib *engine.Library, id string, now time.Time) (*server.Report, error) {
	m := &Manager{store: store}
	m.lib.Store(lib)
	m.opts.defaults()
	m.log = m.opts.Logger
	st, err := m.fold(ctx, id)
	if err != nil {
		return nil, err
	}
	return st.Report(now), nil
}

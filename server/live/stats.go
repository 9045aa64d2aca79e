package live

import (
	"sync/atomic"

	"github.com/paraat-nl/paraat/server"
)

// counters are the live layer's running totals, read by the metrics endpoint. They are
// atomics because connection goroutines and hubs update them without a common lock.
type counters struct {
	conns        atomic.Int64 // connections open now
	connsTotal   atomic.Int64 // connections accepted since the start
	frames       atomic.Int64 // messages written to clients
	writes       atomic.Int64 // system calls that wrote them
	bytes        atomic.Int64 // bytes written, frame headers included
	answers      atomic.Int64 // answers appended to the log
	appends      atomic.Int64 // appends to the log (answers queued together share one)
	dropped      atomic.Int64 // clients dropped as slow consumers
	appendErrors atomic.Int64 // appends that failed (each followed by a reload from the log)
	unloaded     atomic.Int64 // idle sessions unloaded from memory
}

// Stats returns the live layer's counters; it implements server.Statser.
func (m *Manager) Stats() server.LiveStats {
	m.mu.Lock()
	hubs := len(m.hubs)
	m.mu.Unlock()
	return server.LiveStats{
		Sessions:         int64(hubs),
		Connections:      m.stats.conns.Load(),
		ConnectionsTotal: m.stats.connsTotal.Load(),
		MessagesSent:     m.stats.frames.Load(),
		Writes:           m.stats.writes.Load(),
		BytesSent:        m.stats.bytes.Load(),
		AnswersStored:    m.stats.answers.Load(),
		Appends:          m.stats.appends.Load(),
		SlowConsumers:    m.stats.dropped.Load(),
		AppendErrors:     m.stats.appendErrors.Load(),
		Unloaded:         m.stats.unloaded.Load(),
	}
}

var _ server.Statser = (*Manager)(nil)

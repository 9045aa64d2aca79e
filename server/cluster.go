package server

import (
	"context"
	"errors"
	"time"
)

// Several paraat nodes on one PostgreSQL database: each live session has one owner node at a
// time, which holds the session's lease. docs/POSTGRES.md describes the design.

var (
	// ErrFenced: an append carried a lease epoch that is no longer the session's (another node
	// took over, or the lease was released). Nothing of the append was written.
	ErrFenced = errors.New("fenced: the session's lease has passed to another node")
	// ErrLeased: another node holds the session's lease and it has not expired.
	ErrLeased = errors.New("the session is leased by another node")
)

// Fence is what an append carries to prove that its node still owns the session: the store
// refuses the append, in the same transaction, unless the session's lease has this node and
// epoch and has not expired.
type Fence struct {
	Node  string
	Epoch int64
}

type fenceKey struct{}

// WithFence returns a context whose appends carry f.
func WithFence(ctx context.Context, f Fence) context.Context {
	return context.WithValue(ctx, fenceKey{}, f)
}

// FenceOf returns the fence a context carries, if any.
func FenceOf(ctx context.Context) (Fence, bool) {
	f, ok := ctx.Value(fenceKey{}).(Fence)
	return f, ok
}

// Lease is the ownership of one live session by one node until Expires (the database's clock).
// Epoch grows by one at every change of owner.
type Lease struct {
	Session string
	Node    string
	Epoch   int64
	Expires time.Time
}

// Node is a serving process on a shared database, as it last reported itself.
type Node struct {
	ID      string
	Addr    string // where it serves, as it was told to advertise
	Started time.Time
	Seen    time.Time // its last heartbeat
}

// Leases is the part of a store that lets several nodes share it (PostgreSQL). All times are
// the database's, so the nodes' clocks need not agree.
type Leases interface {
	// Acquire takes the session's lease for node for ttl, with a new epoch, if nobody holds it
	// or its holder's lease has expired. If another node holds a live lease it returns that
	// lease and an error wrapping ErrLeased.
	Acquire(ctx context.Context, session, node string, ttl time.Duration) (Lease, error)
	// Heartbeat records that node is alive (at addr), extends all its leases by ttl and
	// returns them: a lease of the node's that is missing was taken over.
	Heartbeat(ctx context.Context, node, addr string, ttl time.Duration) ([]Lease, error)
	// Release gives a lease up at once, if it is still the node's with that epoch.
	Release(ctx context.Context, l Lease) error
	// Expired lists the sessions whose lease has expired and that have not ended: their
	// owner is gone, and their timers must run somewhere.
	Expired(ctx context.Context) ([]string, error)
	// Cluster lists the nodes seen within the last window and every lease.
	Cluster(ctx context.Context, window time.Duration) ([]Node, []Lease, error)
}

package server

import (
	"context"
	"errors"
	"strconv"
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

// Command is a client's command carried from the node it is connected to to the session's
// owner, through the database.
type Command struct {
	ID      int64
	Session string
	Node    string // the node whose client sent it, which waits for the result
	Body    []byte
	// Taken: an owner took it before and did not finish it (it died or lost its lease).
	Taken bool
}

// Submission is a client's command for a session's owner, before it has an id.
type Submission struct {
	Session string
	Body    []byte
}

// Cluster is what several nodes on one database share: the leases, the commands carried to
// owners, and the wake-ups. Implemented by the PostgreSQL store.
type Cluster interface {
	Leases
	// Submit queues commands of node's clients for their sessions' owners in one statement
	// (durable when it returns) and wakes the owners ("c <session>"); ids[i] is cmds[i]'s.
	Submit(ctx context.Context, node string, cmds []Submission) (ids []int64, err error)
	// Take returns the session's commands that have no result yet, oldest first, at most
	// limit, and marks them taken.
	Take(ctx context.Context, session string, limit int) ([]Command, error)
	// Complete stores the results of commands (results[i] is cmds[i]'s) in one statement and
	// wakes the nodes that wait for them.
	Complete(ctx context.Context, cmds []Command, results [][]byte) error
	// Results returns the results of those commands that have one.
	Results(ctx context.Context, ids []int64) (map[int64][]byte, error)
	// Publish replaces the node's presence: for each session it serves, the participants
	// connected to it, one entry per connection.
	Publish(ctx context.Context, node string, present map[string][]string) error
	// Presence returns, for each of the sessions, each participant's connections on the
	// nodes other than node that were heard from within window.
	Presence(ctx context.Context, node string, sessions []string, window time.Duration) (map[string]map[string]int, error)
	// Heads returns the last sequence number of each session's log, for sessions that have one.
	Heads(ctx context.Context, sessions []string) (map[string]int64, error)
	// Waiting returns those sessions that have commands without a result.
	Waiting(ctx context.Context, sessions []string) ([]string, error)
	// Listen delivers the payloads of the database's wake-ups to f until ctx ends: "e
	// <session> <seq>" (new events), "c <session>" (a command), "r <node> <id>" (a result).
	// It first checks that a notification comes through, and fails with an error wrapping
	// ErrNoNotify if none does (a transaction-pooling PgBouncer between node and database).
	Listen(ctx context.Context, f func(payload string)) error
}

// ErrNoNotify: LISTEN/NOTIFY does not reach this node.
var ErrNoNotify = errors.New("LISTEN/NOTIFY does not work on this connection")

// ParseWake splits a wake-up payload: its kind ('e', 'c', 'r'), the session or node, and
// the number (a sequence number or a command id; 0 if none).
func ParseWake(p string) (kind byte, name string, n int64) {
	if len(p) < 3 || p[1] != ' ' {
		return 0, "", 0
	}
	kind, rest := p[0], p[2:]
	for i := len(rest) - 1; i >= 0; i-- {
		if rest[i] == ' ' {
			v, err := strconv.ParseInt(rest[i+1:], 10, 64)
			if err == nil {
				return kind, rest[:i], v
			}
			break
		}
	}
	return kind, rest, 0
}

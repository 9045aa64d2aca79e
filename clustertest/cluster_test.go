package clustertest

import (
	"fmt"
	"sort"
	"syscall"
	"testing"
	"time"
)

// participant joins on a node with a join id of its own, so that it can resume anywhere.
type participant struct {
	name  string
	node  int
	c     *wsClient
	token string
	acks  map[string]int64 // answer id → acknowledged seq
	via   *node            // where to resume when the connection closes (nil: fail)
}

func (p *participant) join(t *testing.T, n *node, code string) {
	t.Helper()
	p.c = dial(t, n, nil)
	p.c.send(map[string]any{"type": "join", "code": code, "name": p.name, "id": newID()})
	w := p.c.next(20*time.Second, func(m msg) bool { return m.Type == "welcome" || m.Type == "error" })
	if w.Type != "welcome" {
		t.Fatalf("%s: join on node %d: %s %s", p.name, p.node+1, w.Code, w.Message)
	}
	p.token = w.Token
}

func (p *participant) resume(t *testing.T, n *node) {
	t.Helper()
	p.c = dial(t, n, nil)
	p.c.send(map[string]any{"type": "resume", "token": p.token})
	w := p.c.next(20*time.Second, func(m msg) bool { return m.Type == "welcome" || m.Type == "error" })
	if w.Type != "welcome" {
		t.Fatalf("%s: resume: %s %s", p.name, w.Code, w.Message)
	}
}

// answer sends an answer and waits for its ack; an unavailable error (the owner moving) is
// retried with the same id, as a client does, and so is a closed connection, after resuming
// through the node p.via.
func (p *participant) answer(t *testing.T, id, question, option string) int64 {
	t.Helper()
	for range 5 {
		ref := newID()
		p.c.send(map[string]any{"type": "answer", "id": id, "ref": ref, "question": question, "answer": map[string]any{"option": option}})
		r, open := p.reply(ref)
		if !open {
			if p.via == nil {
				t.Fatalf("%s: connection closed", p.name)
			}
			p.resume(t, p.via)
			continue
		}
		if r.Type == "ack" {
			p.acks[id] = r.Seq
			return r.Seq
		}
		if r.Code != "unavailable" {
			t.Fatalf("%s: answer: %s %s", p.name, r.Code, r.Message)
		}
	}
	t.Fatalf("%s: answer not acknowledged", p.name)
	return 0
}

// reply waits for the reply to ref; false if the connection closed first.
func (p *participant) reply(ref string) (msg, bool) {
	timeout := time.After(40 * time.Second)
	for {
		select {
		case m, open := <-p.c.in:
			if !open {
				return msg{}, false
			}
			if isReply(ref)(m) {
				return m, true
			}
		case <-timeout:
			return msg{Type: "error", Code: "timeout"}, true
		}
	}
}

// ownerOf asks node from which node owns the session.
func ownerOf(t *testing.T, c *cluster, session string, from int) int {
	t.Helper()
	for _, l := range c.nodes[from].metrics(t).Cluster.Leases {
		if l.Session == session {
			var i int
			fmt.Sscanf(l.Node, "node-%d", &i)
			return i - 1
		}
	}
	t.Fatalf("session %s has no owner", session)
	return -1
}

// TestThreeNodes: three nodes on one database, participants on all of them. The owner decides
// every answer, a console on another node sees every event; then the owner is killed with
// SIGKILL mid-question: a survivor takes the lease over, the participants of the dead node
// resume on the others, and no acknowledged answer is lost or doubled.
func TestThreeNodes(t *testing.T) {
	c, f, info := newClusterSession(t, 3)

	// The console on node 1 loads the session first, so node 1 owns it.
	owner := 0
	con := f.console(t, c.nodes[owner], info.ID)
	// A second console on node 2, with the same login (made on node 1), follows the session
	// and must see every event.
	watcher := f.console(t, c.nodes[1], info.ID)

	var ps []*participant
	for i := range 6 {
		p := &participant{name: fmt.Sprintf("Deelnemer %d", i+1), node: i % 3, acks: map[string]int64{}}
		p.join(t, c.nodes[p.node], info.Code)
		ps = append(ps, p)
	}
	if got := ownerOf(t, c, info.ID, 1); got != owner {
		t.Fatalf("owner is node %d, want node 1", got+1)
	}
	// Facilitator commands from the follower node 2 are carried to the owner.
	watcher.command(map[string]any{"type": "start"})
	// The question closes by its timer, 10 s after it opened: on whichever node owns it then.
	const limit = 10 * time.Second
	opened := time.Now()
	con.command(map[string]any{"type": "open", "question": "eerste-stap", "time_limit_ms": limit.Milliseconds()})

	// Half the participants answer before the kill, from every node.
	options := []string{"partners-informeren", "afwachten", "direct-toeschrijven"}
	ids := map[*participant]string{}
	for i, p := range ps[:3] {
		ids[p] = newID()
		p.answer(t, ids[p], "eerste-stap", options[i%3])
	}

	// Kill the owner mid-question, a few seconds after it opened, so that a timer restarted at
	// the takeover would close the question seconds later than the stored deadline.
	const before = 3 * time.Second
	time.Sleep(time.Until(opened.Add(before)))
	killed := time.Now()
	c.nodes[owner].signal(syscall.SIGKILL)
	<-c.nodes[owner].done
	for _, p := range ps[3:] {
		ids[p] = newID()
		if p.node == owner {
			p.node = 1
			p.resume(t, c.nodes[1])
		}
		p.answer(t, ids[p], "eerste-stap", options[0])
	}
	t.Logf("first answer acknowledged %s after the owner was killed", time.Since(killed).Round(time.Millisecond))
	// The dead node's participants who answered before the kill resume elsewhere and resend:
	// acknowledged again as duplicates, with the same sequence number.
	for _, p := range ps[:3] {
		if p.node != owner {
			continue
		}
		p.node = 2
		p.resume(t, c.nodes[2])
		want := p.acks[ids[p]]
		if got := p.answer(t, ids[p], "eerste-stap", options[0]); got != want {
			t.Errorf("%s: resent answer acked with seq %d, want %d", p.name, got, want)
		}
	}
	if got := ownerOf(t, c, info.ID, 1); got == owner {
		t.Fatalf("the dead node still owns the session")
	}

	// The new owner closes the question at its stored deadline, not one restarted at the
	// takeover (which came more than a lease after the kill).
	var seen []int64
	var closed *msg
	timeout := time.After(limit + 20*time.Second)
	for closed == nil {
		select {
		case m, ok := <-watcher.in:
			if !ok {
				t.Fatal("the console's connection closed")
			}
			if m.Type == "event" {
				seen = append(seen, m.Seq)
				if m.Kind == "close" && m.Question == "eerste-stap" {
					closed = &m
				}
			}
		case <-timeout:
			t.Fatal("the question was not closed by its timer")
		}
	}
	if closed.Time.Before(opened.Add(limit)) || !closed.Time.Before(opened.Add(limit+before)) {
		t.Errorf("closed at %s: opened at %s, owner killed at %s, limit %s", closed.Time, opened, killed, limit)
	}

	// Every acknowledged answer is in the log exactly once.
	logged := c.answers(t, info.ID)
	for _, p := range ps {
		if n := logged[ids[p]]; n != 1 {
			t.Errorf("%s: answer %s is %d times in the log", p.name, ids[p], n)
		}
	}
	if len(logged) != len(ps) {
		t.Errorf("%d answers in the log, want %d", len(logged), len(ps))
	}

	// The console on node 2 saw every event of the log, each once, in order, with no gap.
	seqs := c.seqs(t, info.ID)
	last := seqs[len(seqs)-1]
	deadline := time.After(20 * time.Second)
	for len(seen) == 0 || seen[len(seen)-1] < last {
		select {
		case m, ok := <-watcher.in:
			if !ok {
				t.Fatal("the console's connection closed")
			}
			if m.Type == "event" {
				seen = append(seen, m.Seq)
			}
		case <-deadline:
			t.Fatalf("console saw %v, log has up to %d", seen, last)
		}
	}
	// The console joined the log after the session's first events (created, joins before it).
	first := sort.Search(len(seqs), func(i int) bool { return seqs[i] >= seen[0] })
	if fmt.Sprint(seqs[first:]) != fmt.Sprint(seen) {
		t.Errorf("console saw %v; log from there is %v", seen, seqs[first:])
	}
}

// TestPausedOwnerIsFenced: the owner is stopped (SIGSTOP) past its lease, another node takes
// over; when the old owner wakes, an answer it got meanwhile is refused by the database (a
// stale epoch), it steps down, and the participant resumes and gets the answer in once.
func TestPausedOwnerIsFenced(t *testing.T) {
	c, f, info := newClusterSession(t, 2)
	con := f.console(t, c.nodes[0], info.ID) // node 1 owns the session
	a := &participant{name: "Op de eerste", node: 0, acks: map[string]int64{}}
	a.join(t, c.nodes[0], info.Code)
	b := &participant{name: "Op de tweede", node: 1, acks: map[string]int64{}}
	b.join(t, c.nodes[1], info.Code)
	con.command(map[string]any{"type": "start"})
	con.command(map[string]any{"type": "open", "question": "eerste-stap", "time_limit_ms": 600000})

	c.nodes[0].signal(syscall.SIGSTOP)
	stopped := true
	defer func() {
		if stopped {
			c.nodes[0].signal(syscall.SIGCONT)
		}
	}()
	// B's answer on node 2 waits until node 2 takes the expired lease over.
	b.answer(t, newID(), "eerste-stap", "afwachten")
	if got := ownerOf(t, c, info.ID, 1); got != 1 {
		t.Fatalf("owner is node %d after the takeover, want node 2", got+1)
	}
	// A answers to the paused node; it reads the answer when it wakes.
	aid := newID()
	ref := newID()
	a.c.send(map[string]any{"type": "answer", "id": aid, "ref": ref, "question": "eerste-stap", "answer": map[string]any{"option": "partners-informeren"}})
	c.nodes[0].signal(syscall.SIGCONT)
	stopped = false
	// Whichever comes first, the refused append or the lost renewal, node 1 steps down: A's
	// answer is not acknowledged there and the connection is closed with 1012.
	for m := range a.c.in {
		if m.Type == "ack" && m.Ref == ref {
			t.Fatalf("the paused owner acknowledged an answer after losing its lease")
		}
	}
	if code := <-a.c.closed; code != 1012 {
		t.Fatalf("closed with %d, want 1012 (service restart)", code)
	}
	if n := c.answers(t, info.ID)[aid]; n != 0 {
		t.Fatalf("the stale owner's answer is in the log %d times", n)
	}
	if v := c.nodes[0].metrics(t); v.Cluster.StepDowns < 1 || v.Cluster.Owned != 0 {
		t.Fatalf("node 1 after waking: %+v", v.Cluster)
	}
	// A resumes on node 1, now a follower, and sends the same answer: carried to node 2.
	a.resume(t, c.nodes[0])
	a.answer(t, aid, "eerste-stap", "partners-informeren")
	if n := c.answers(t, info.ID)[aid]; n != 1 {
		t.Fatalf("A's answer is in the log %d times, want once", n)
	}
}

package live

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/scenarios"
	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/live/session"
)

// benchState is a shared session of the quiz, started and on its second inject, with its
// first question open: what a hub holds when it broadcasts an inject.
func benchState(b *testing.B) *session.State {
	b.Helper()
	lib, diags := engine.Load(scenarios.FS())
	if diags.Errors() > 0 {
		b.Fatal(diags.Err())
	}
	meta, _ := json.Marshal(server.Meta{Lens: "ivs-2026", Scope: server.ScopeShared})
	st, err := session.New(lib, server.SessionRow{ID: "s", Scenario: "quiz-welk-document", Meta: meta})
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	seq := int64(0)
	apply := func(recs []server.Record, err error) {
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range recs {
			seq++
			r.Seq = seq
			st.Apply(r)
		}
	}
	apply([]server.Record{session.StartedRecord(t0)}, nil)
	apply(st.DecideFacilitator(server.ClientMsg{Type: server.MsgNext}, t0))
	v, _ := st.WorldView("main", t0)
	apply(st.DecideFacilitator(server.ClientMsg{Type: server.MsgOpen, Question: v.Questions[0].ID}, t0))
	return st
}

func worldView(st *session.State, now time.Time) server.WorldView {
	v, _ := st.WorldView("main", now)
	return v
}

// BenchmarkEncodeEvent serialises and frames one inject event: once per broadcast.
func BenchmarkEncodeEvent(b *testing.B) {
	st := benchState(b)
	msg := st.Log()[len(st.Log())-1].Msg
	now := time.Now()
	msg.Sent = &now
	for b.Loop() {
		prepare(msg)
	}
}

// BenchmarkEncodeWorld builds, serialises and frames a world view: once per world per change.
func BenchmarkEncodeWorld(b *testing.B) {
	st := benchState(b)
	now := time.Now()
	var n int
	for b.Loop() {
		f := prepare(server.WorldMsg{Type: server.MsgWorld, Seq: st.Seq(), World: worldView(st, now)})
		n = len(f.data)
	}
	b.ReportMetric(float64(n), "bytes/msg")
}

// BenchmarkBroadcast is the hub's side of an inject to a room: one event and one world view,
// each encoded once, queued for every client. The writers' side (one writev per client) is
// measured end to end by `paraat load`.
func BenchmarkBroadcast(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprint(n, "clients"), func(b *testing.B) {
			st := benchState(b)
			clients := make([]*client, n)
			for i := range clients {
				clients[i] = newClient(64)
			}
			ev := st.Log()[len(st.Log())-1].Msg
			now := time.Now()
			for b.Loop() {
				ev.Sent = &now
				fe := prepare(ev)
				fw := prepare(server.WorldMsg{Type: server.MsgWorld, Seq: st.Seq(), World: worldView(st, now)})
				for _, c := range clients {
					c.enqueue(fe)
					c.enqueue(fw)
				}
				var taken [2]*frame
				for _, c := range clients {
					c.take(taken[:])
				}
			}
			b.ReportMetric(float64(b.N*2*n)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

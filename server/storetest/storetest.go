// Package storetest is the conformance suite every server.Store implementation must pass, so
// that sqlite and postgres behave the same to the code above them: the same errors, the same
// ordering, the same sequence numbers.
//
// An adapter's test calls Run with a function that opens its store:
//
//	func TestStore(t *testing.T) { storetest.Run(t, openTestStore) }
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/paraat-nl/paraat/server"
)

// Run runs the suite, each case as a subtest with its own database.
//
// open must return a store on an empty database the first time it is called with a given t,
// and register nothing that would fail if the suite closes the store itself. Called again with
// the same t after the suite closed the previous store, it must open the same database again:
// that is how durability across a restart is tested (sqlite: the same file; postgres: the same
// schema). open may run in parallel for different t.
func Run(t *testing.T, open func(t *testing.T) server.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, open func(t *testing.T) server.Store)
	}{
		{"SessionRoundTrip", testSessionRoundTrip},
		{"SessionConflicts", testSessionConflicts},
		{"NotFound", testNotFound},
		{"EndSession", testEndSession},
		{"SessionsList", testSessionsList},
		{"Users", testUsers},
		{"AppendAndEvents", testAppendAndEvents},
		{"EventsAfterLimit", testEventsAfterLimit},
		{"AppendEdgeCases", testAppendEdgeCases},
		{"AppendUnknownSession", testAppendUnknownSession},
		{"AppendCancelled", testAppendCancelled},
		{"ConcurrentAppendsGapless", testConcurrentAppends},
		{"AppendKeys", testAppendKeys},
		{"ConcurrentSameKey", testConcurrentSameKey},
		{"DurableAcrossReopen", testDurableAcrossReopen},
		{"CloseTwice", testCloseTwice},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open) })
	}
}

// openClosed opens a store that is closed when the test ends (an earlier Close is fine: the
// suite requires Close to be idempotent).
func openClosed(t *testing.T, open func(t *testing.T) server.Store) server.Store {
	t.Helper()
	s := open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// day is a fixed instant with nanoseconds and a non-UTC zone, to catch stores that truncate
// or drop the zone's offset.
var day = time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.FixedZone("CET", 3600))

func session(id, code, owner string, created time.Time) server.SessionRow {
	return server.SessionRow{ID: id, Code: code, Owner: owner, Scenario: "noordzee-kabel",
		Created: created, Expires: created.Add(24 * time.Hour), Meta: []byte(`{"lens":"ivs-2026"}`)}
}

func mustCreate(t *testing.T, s server.Store, rows ...server.SessionRow) {
	t.Helper()
	for _, r := range rows {
		if err := s.CreateSession(context.Background(), r); err != nil {
			t.Fatalf("CreateSession(%s): %v", r.ID, err)
		}
	}
}

func mustAppend(t *testing.T, s server.Store, session string, recs ...server.Record) []server.Record {
	t.Helper()
	out, err := s.Append(context.Background(), session, recs)
	if err != nil {
		t.Fatalf("Append(%s): %v", session, err)
	}
	return out
}

func mustEvents(t *testing.T, s server.Store, session string, after int64, limit int) []server.Record {
	t.Helper()
	out, err := s.Events(context.Background(), session, after, limit)
	if err != nil {
		t.Fatalf("Events(%s, %d, %d): %v", session, after, limit, err)
	}
	return out
}

func rec(typ, data string, at time.Time) server.Record {
	return server.Record{Time: at, Type: typ, Data: []byte(data)}
}

// sameSession compares rows the way a store must keep them: instants equal, bytes equal (nil
// and empty alike).
func sameSession(a, b server.SessionRow) bool {
	return a.ID == b.ID && a.Code == b.Code && a.Owner == b.Owner && a.Scenario == b.Scenario &&
		a.Created.Equal(b.Created) && a.Expires.Equal(b.Expires) && a.Ended == b.Ended && bytes.Equal(a.Meta, b.Meta)
}

func sameRecord(a, b server.Record) bool {
	return a.Seq == b.Seq && a.Time.Equal(b.Time) && a.Type == b.Type && bytes.Equal(a.Data, b.Data) && a.Key == b.Key
}

func checkRecords(t *testing.T, what string, got, want []server.Record) {
	t.Helper()
	if !slices.EqualFunc(got, want, sameRecord) {
		t.Errorf("%s:\n got %s\nwant %s", what, fmtRecords(got), fmtRecords(want))
	}
}

func fmtRecords(rs []server.Record) string {
	var b bytes.Buffer
	for _, r := range rs {
		fmt.Fprintf(&b, "{%d %s %s %s} ", r.Seq, r.Time.Format(time.RFC3339Nano), r.Type, r.Data)
	}
	return "[" + b.String() + "]"
}

func seqs(rs []server.Record) []int64 {
	out := make([]int64, len(rs))
	for i, r := range rs {
		out[i] = r.Seq
	}
	return out
}

func testSessionRoundTrip(t *testing.T, open func(t *testing.T) server.Store) {
	ctx := context.Background()
	s := openClosed(t, open)
	tests := []struct {
		name string
		row  server.SessionRow
	}{
		{"full", session("s-full", "ABC123", "anna", day)},
		{"self-study: no owner, no expiry, no meta", server.SessionRow{ID: "s-study", Code: "STUDY1",
			Scenario: "quiz", Created: day}},
		{"zero times", server.SessionRow{ID: "s-zero", Code: "ZERO01", Scenario: "quiz"}},
		{"created ended", func() server.SessionRow { r := session("s-ended", "END001", "anna", day); r.Ended = true; return r }()},
		{"unicode and epoch", server.SessionRow{ID: "s-é", Code: "ÉÉN", Owner: "zoë", Scenario: "drones-schiphol",
			Created: time.Unix(0, 0), Meta: []byte(`{"teams":["rood","blauw"]}`)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.CreateSession(ctx, tc.row); err != nil {
				t.Fatalf("CreateSession: %v", err)
			}
			got, err := s.Session(ctx, tc.row.ID)
			if err != nil {
				t.Fatalf("Session: %v", err)
			}
			if !sameSession(got, tc.row) {
				t.Errorf("Session(%s) = %+v, want %+v", tc.row.ID, got, tc.row)
			}
			byCode, err := s.SessionByCode(ctx, tc.row.Code)
			if err != nil {
				t.Fatalf("SessionByCode: %v", err)
			}
			if !sameSession(byCode, tc.row) {
				t.Errorf("SessionByCode(%s) = %+v, want %+v", tc.row.Code, byCode, tc.row)
			}
		})
	}
}

func testSessionConflicts(t *testing.T, open func(t *testing.T) server.Store) {
	ctx := context.Background()
	s := openClosed(t, open)
	orig := session("s1", "CODE01", "anna", day)
	mustCreate(t, s, orig)
	tests := []struct {
		name string
		row  server.SessionRow
	}{
		{"same id", session("s1", "CODE02", "bert", day)},
		{"same code", session("s2", "CODE01", "bert", day)},
		{"both", orig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.CreateSession(ctx, tc.row); !errors.Is(err, server.ErrConflict) {
				t.Errorf("CreateSession = %v, want ErrConflict", err)
			}
		})
	}
	if got, err := s.Session(ctx, "s1"); err != nil || !sameSession(got, orig) {
		t.Errorf("after conflicts Session(s1) = %+v, %v; want the original", got, err)
	}
	if _, err := s.Session(ctx, "s2"); !errors.Is(err, server.ErrNotFound) {
		t.Errorf("Session(s2) = %v, want ErrNotFound: a conflicting create must store nothing", err)
	}
	// The store stays usable after a conflict.
	mustCreate(t, s, session("s3", "CODE03", "anna", day))
}

func testNotFound(t *testing.T, open func(t *testing.T) server.Store) {
	ctx := context.Background()
	s := openClosed(t, open)
	mustCreate(t, s, session("s1", "CODE01", "anna", day))
	tests := []struct {
		name string
		call func() error
	}{
		{"Session", func() error { _, err := s.Session(ctx, "nope"); return err }},
		{"Session by code", func() error { _, err := s.Session(ctx, "CODE01"); return err }},
		{"SessionByCode", func() error { _, err := s.SessionByCode(ctx, "NOPE01"); return err }},
		{"SessionByCode by id", func() error { _, err := s.SessionByCode(ctx, "s1"); return err }},
		{"EndSession", func() error { return s.EndSession(ctx, "nope") }},
		{"User", func() error { _, err := s.User(ctx, "nobody"); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, server.ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		})
	}
	t.Run("Events of unknown session", func(t *testing.T) {
		got, err := s.Events(ctx, "nope", 0, 0)
		if err != nil && !errors.Is(err, server.ErrNotFound) {
			t.Errorf("err = %v, want nil or ErrNotFound", err)
		}
		if len(got) != 0 {
			t.Errorf("got %d records, want none", len(got))
		}
	})
}

func testEndSession(t *testing.T, open func(t *testing.T) server.Store) {
	ctx := context.Background()
	s := openClosed(t, open)
	mustCreate(t, s, session("s1", "CODE01", "anna", day), session("s2", "CODE02", "anna", day))
	for range 2 { // ending twice is no error
		if err := s.EndSession(ctx, "s1"); err != nil {
			t.Fatalf("EndSession: %v", err)
		}
	}
	for id, want := range map[string]bool{"s1": true, "s2": false} {
		got, err := s.Session(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Ended != want {
			t.Errorf("Session(%s).Ended = %v, want %v", id, got.Ended, want)
		}
	}
	// An ended session's log can still take its last events (the debrief, a late rubric score).
	mustAppend(t, s, "s1", rec("ended", `{}`, day))
}

func testSessionsList(t *testing.T, open func(t *testing.T) server.Store) {
	ctx := context.Background()
	s := openClosed(t, open)
	// Inserted out of order so that insertion order cannot pass for "newest first".
	mustCreate(t, s,
		session("a2", "A00002", "anna", day.Add(2*time.Hour)),
		session("b1", "B00001", "bert", day.Add(1*time.Hour)),
		session("a1", "A00001", "anna", day),
		session("a3", "A00003", "anna", day.Add(3*time.Hour)),
		session("x1", "X00001", "", day.Add(90*time.Minute)),
	)
	tests := []struct {
		owner string
		want  []string
	}{
		{"anna", []string{"a3", "a2", "a1"}},
		{"bert", []string{"b1"}},
		{"nobody", nil},
		{"", []string{"a3", "a2", "x1", "b1", "a1"}},
	}
	for _, tc := range tests {
		t.Run("owner="+tc.owner, func(t *testing.T) {
			rows, err := s.Sessions(ctx, tc.owner)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range rows {
				ids = append(ids, r.ID)
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("Sessions(%q) = %v, want %v", tc.owner, ids, tc.want)
			}
		})
	}
	rows, err := s.Sessions(ctx, "bert")
	if err != nil || len(rows) != 1 || !sameSession(rows[0], session("b1", "B00001", "bert", day.Add(time.Hour))) {
		t.Errorf("Sessions(bert) = %+v, %v; want the full row", rows, err)
	}
}

func testUsers(t *testing.T, open func(t *testing.T) server.Store) {
	ctx := context.Background()
	s := openClosed(t, open)
	steps := []server.User{
		{Name: "anna", Hash: []byte("$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA"), Admin: true, Created: day},
		{Name: "bert", Hash: []byte("h1"), Created: day.Add(time.Hour)},
		// PutUser replaces every field of an existing user.
		{Name: "anna", Hash: []byte("new"), Admin: false, Created: day.Add(2 * time.Hour)},
	}
	for _, u := range steps {
		if err := s.PutUser(ctx, u); err != nil {
			t.Fatalf("PutUser(%s): %v", u.Name, err)
		}
	}
	for _, want := range steps[1:] {
		got, err := s.User(ctx, want.Name)
		if err != nil {
			t.Fatalf("User(%s): %v", want.Name, err)
		}
		if got.Name != want.Name || !bytes.Equal(got.Hash, want.Hash) || got.Admin != want.Admin || !got.Created.Equal(want.Created) {
			t.Errorf("User(%s) = %+v, want %+v", want.Name, got, want)
		}
	}
	if _, err := s.User(ctx, "Anna"); !errors.Is(err, server.ErrNotFound) {
		t.Errorf("User(Anna) = %v, want ErrNotFound: names are case-sensitive", err)
	}
}

func testAppendAndEvents(t *testing.T, open func(t *testing.T) server.Store) {
	s := openClosed(t, open)
	mustCreate(t, s, session("s1", "CODE01", "anna", day), session("s2", "CODE02", "anna", day))

	first := []server.Record{rec("created", `{"meta":{}}`, day), rec("joined", `{"name":"Zoë"}`, day.Add(time.Second)),
		rec("inject", `{"id":"melding"}`, day.Add(2*time.Second))}
	got := mustAppend(t, s, "s1", first...)
	want := slices.Clone(first)
	for i := range want {
		want[i].Seq = int64(i + 1)
	}
	checkRecords(t, "first Append", got, want)

	more := mustAppend(t, s, "s1", rec("answer", `{"q":"eerste-stap"}`, day.Add(3*time.Second)))
	checkRecords(t, "second Append", more, []server.Record{{Seq: 4, Time: day.Add(3 * time.Second), Type: "answer", Data: []byte(`{"q":"eerste-stap"}`)}})
	want = append(want, more...)

	// Another session's log is numbered on its own.
	other := mustAppend(t, s, "s2", rec("created", `{}`, day), rec("ended", `{}`, day))
	if !slices.Equal(seqs(other), []int64{1, 2}) {
		t.Errorf("s2 seqs = %v, want [1 2]", seqs(other))
	}
	checkRecords(t, "Events(s1)", mustEvents(t, s, "s1", 0, 0), want)
	if n := len(mustEvents(t, s, "s2", 0, 0)); n != 2 {
		t.Errorf("Events(s2) has %d records, want 2", n)
	}
}

func testEventsAfterLimit(t *testing.T, open func(t *testing.T) server.Store) {
	s := openClosed(t, open)
	mustCreate(t, s, session("s1", "CODE01", "anna", day))
	var recs []server.Record
	for i := range 7 {
		recs = append(recs, rec("answer", fmt.Sprintf(`{"n":%d}`, i+1), day.Add(time.Duration(i)*time.Second)))
	}
	mustAppend(t, s, "s1", recs[:3]...)
	mustAppend(t, s, "s1", recs[3:]...)
	tests := []struct {
		after int64
		limit int
		want  []int64
	}{
		{0, 0, []int64{1, 2, 3, 4, 5, 6, 7}},
		{3, 0, []int64{4, 5, 6, 7}},
		{0, 2, []int64{1, 2}},
		{2, 3, []int64{3, 4, 5}},
		{5, 10, []int64{6, 7}},
		{6, 1, []int64{7}},
		{7, 0, nil},
		{100, 5, nil},
		{-5, 1, []int64{1}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("after=%d,limit=%d", tc.after, tc.limit), func(t *testing.T) {
			got := mustEvents(t, s, "s1", tc.after, tc.limit)
			if !slices.Equal(seqs(got), tc.want) {
				t.Fatalf("seqs = %v, want %v", seqs(got), tc.want)
			}
			for _, r := range got {
				if w := fmt.Sprintf(`{"n":%d}`, r.Seq); string(r.Data) != w || r.Type != "answer" ||
					!r.Time.Equal(day.Add(time.Duration(r.Seq-1)*time.Second)) {
					t.Errorf("record %d = %+v, want data %s", r.Seq, r, w)
				}
			}
		})
	}
}

func testAppendEdgeCases(t *testing.T, open func(t *testing.T) server.Store) {
	s := openClosed(t, open)
	mustCreate(t, s, session("s1", "CODE01", "anna", day))

	t.Run("caller's Seq is ignored", func(t *testing.T) {
		got := mustAppend(t, s, "s1", server.Record{Seq: 99, Time: day, Type: "a", Data: []byte(`1`)})
		if !slices.Equal(seqs(got), []int64{1}) {
			t.Errorf("seqs = %v, want [1]", seqs(got))
		}
	})
	t.Run("no records", func(t *testing.T) {
		got, err := s.Append(context.Background(), "s1", nil)
		if err != nil || len(got) != 0 {
			t.Errorf("Append(nil) = %v, %v; want no records, no error", got, err)
		}
	})
	t.Run("zero time, empty type and data", func(t *testing.T) {
		got := mustAppend(t, s, "s1", server.Record{})
		checkRecords(t, "Append", got, []server.Record{{Seq: 2}})
		checkRecords(t, "Events", mustEvents(t, s, "s1", 1, 0), []server.Record{{Seq: 2}})
	})
	t.Run("store keeps its own copy of the data", func(t *testing.T) {
		data := []byte(`{"x":1}`)
		mustAppend(t, s, "s1", server.Record{Time: day, Type: "a", Data: data})
		copy(data, `{"y":2}`)
		if got := mustEvents(t, s, "s1", 2, 0); len(got) != 1 || string(got[0].Data) != `{"x":1}` {
			t.Errorf("Events after changing the caller's slice = %s", fmtRecords(got))
		}
	})
	t.Run("binary data", func(t *testing.T) {
		data := []byte{0, 1, 2, 0xff, 0xfe, 0}
		got := mustAppend(t, s, "s1", server.Record{Time: day, Type: "blob", Data: data})
		if ev := mustEvents(t, s, "s1", got[0].Seq-1, 1); len(ev) != 1 || !bytes.Equal(ev[0].Data, data) {
			t.Errorf("Events = %s, want data %v", fmtRecords(ev), data)
		}
	})
	checkSeqs(t, s, "s1", 4)
}

func testAppendUnknownSession(t *testing.T, open func(t *testing.T) server.Store) {
	ctx := context.Background()
	s := openClosed(t, open)
	for _, recs := range [][]server.Record{{rec("a", `{}`, day)}, {rec("a", `{}`, day), rec("b", `{}`, day)}} {
		if _, err := s.Append(ctx, "ghost", recs); !errors.Is(err, server.ErrNotFound) {
			t.Errorf("Append(ghost, %d records) = %v, want ErrNotFound", len(recs), err)
		}
	}
	// The failed appends left nothing behind: the session's log starts at 1 once it exists.
	mustCreate(t, s, session("ghost", "GHOST1", "anna", day))
	if got := mustAppend(t, s, "ghost", rec("created", `{}`, day)); got[0].Seq != 1 {
		t.Errorf("first seq after failed appends = %d, want 1", got[0].Seq)
	}
	checkSeqs(t, s, "ghost", 1)
}

func testAppendCancelled(t *testing.T, open func(t *testing.T) server.Store) {
	s := openClosed(t, open)
	mustCreate(t, s, session("s1", "CODE01", "anna", day))
	mustAppend(t, s, "s1", rec("created", `{}`, day))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Append(ctx, "s1", []server.Record{rec("late", `{}`, day)}); !errors.Is(err, context.Canceled) {
		t.Errorf("Append with a cancelled ctx = %v, want context.Canceled", err)
	}
	// Whether or not the cancelled append was written, the log stays gapless.
	mustAppend(t, s, "s1", rec("next", `{}`, day))
	n := len(mustEvents(t, s, "s1", 0, 0))
	if n != 2 && n != 3 {
		t.Errorf("log has %d records, want 2 or 3", n)
	}
	checkSeqs(t, s, "s1", n)
}

// checkSeqs asserts that a session's log is exactly 1..n.
func checkSeqs(t *testing.T, s server.Store, session string, n int) {
	t.Helper()
	got := seqs(mustEvents(t, s, session, 0, 0))
	want := make([]int64, n)
	for i := range want {
		want[i] = int64(i + 1)
	}
	if !slices.Equal(got, want) {
		t.Errorf("seqs of %s = %v, want 1..%d", session, got, n)
	}
}

func testConcurrentAppends(t *testing.T, open func(t *testing.T) server.Store) {
	const (
		sessions  = 5
		appenders = 50
		perWorker = 20
	)
	s := openClosed(t, open)
	for i := range sessions {
		mustCreate(t, s, session(fmt.Sprintf("s%d", i), fmt.Sprintf("CODE%02d", i), "anna", day))
	}
	type result struct {
		worker int
		recs   []server.Record
	}
	results := make(chan result, appenders*perWorker)
	var wg sync.WaitGroup
	for w := range appenders {
		wg.Go(func() {
			sid := fmt.Sprintf("s%d", w%sessions)
			for i := range perWorker {
				// 1 to 3 records per call, so batches mix sizes.
				var recs []server.Record
				for j := range 1 + (w+i)%3 {
					recs = append(recs, rec("answer", fmt.Sprintf(`{"w":%d,"i":%d,"j":%d}`, w, i, j), day))
				}
				out, err := s.Append(context.Background(), sid, recs)
				if err != nil {
					t.Errorf("worker %d: Append: %v", w, err)
					return
				}
				results <- result{w, out}
			}
		})
	}
	wg.Wait()
	close(results)

	bySeq := map[string]map[int64]string{} // session -> seq -> data, from Append's answers
	lastOf := map[int]int64{}              // worker -> last seq it was given
	for r := range results {
		sid := fmt.Sprintf("s%d", r.worker%sessions)
		if bySeq[sid] == nil {
			bySeq[sid] = map[int64]string{}
		}
		for i, rc := range r.recs {
			if i > 0 && rc.Seq != r.recs[i-1].Seq+1 {
				t.Errorf("worker %d: one Append's records got seqs %v, want consecutive", r.worker, seqs(r.recs))
			}
			if prev, dup := bySeq[sid][rc.Seq]; dup {
				t.Errorf("%s seq %d given twice: %s and %s", sid, rc.Seq, prev, rc.Data)
			}
			bySeq[sid][rc.Seq] = string(rc.Data)
		}
		// A worker's appends are sequential, so each must come after its previous one.
		if first := r.recs[0].Seq; first <= lastOf[r.worker] {
			t.Errorf("worker %d: seq %d after %d", r.worker, first, lastOf[r.worker])
		}
		lastOf[r.worker] = r.recs[len(r.recs)-1].Seq
	}
	for i := range sessions {
		sid := fmt.Sprintf("s%d", i)
		events := mustEvents(t, s, sid, 0, 0)
		checkSeqs(t, s, sid, len(bySeq[sid]))
		for _, e := range events {
			if want := bySeq[sid][e.Seq]; string(e.Data) != want {
				t.Errorf("%s seq %d: log has %s, Append answered %s", sid, e.Seq, e.Data, want)
			}
		}
	}
}

func testDurableAcrossReopen(t *testing.T, open func(t *testing.T) server.Store) {
	ctx := context.Background()
	s := open(t)
	row := session("s1", "CODE01", "anna", day)
	mustCreate(t, s, row)
	user := server.User{Name: "anna", Hash: []byte("h"), Admin: true, Created: day}
	if err := s.PutUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	want := mustAppend(t, s, "s1", rec("created", `{}`, day), rec("joined", `{"name":"a"}`, day.Add(time.Second)))
	if err := s.EndSession(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openClosed(t, open)
	row.Ended = true
	if got, err := s.Session(ctx, "s1"); err != nil || !sameSession(got, row) {
		t.Errorf("after reopen Session = %+v, %v; want %+v", got, err, row)
	}
	if got, err := s.User(ctx, "anna"); err != nil || !bytes.Equal(got.Hash, user.Hash) || !got.Admin {
		t.Errorf("after reopen User = %+v, %v", got, err)
	}
	checkRecords(t, "after reopen Events", mustEvents(t, s, "s1", 0, 0), want)
	// The numbering goes on where it stopped.
	if got := mustAppend(t, s, "s1", rec("answer", `{}`, day)); got[0].Seq != 3 {
		t.Errorf("first seq after reopen = %d, want 3", got[0].Seq)
	}
}

func testCloseTwice(t *testing.T, open func(t *testing.T) server.Store) {
	s := open(t)
	if err := s.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func keyed(typ, key string) server.Record {
	return server.Record{Time: day, Type: typ, Data: []byte(`{}`), Key: key}
}

// testAppendKeys checks UNIQUE (session, key): a key is logged once per session, a call with a
// taken key writes nothing at all, and the refusal survives a restart.
func testAppendKeys(t *testing.T, open func(t *testing.T) server.Store) {
	ctx := context.Background()
	s := open(t)
	mustCreate(t, s, session("s1", "CODE01", "anna", day), session("s2", "CODE02", "anna", day))
	got := mustAppend(t, s, "s1", keyed("answer", "answer:a1"), rec("close", `{}`, day))
	checkRecords(t, "Events", mustEvents(t, s, "s1", 0, 0), got)
	if got[0].Key != "answer:a1" || got[1].Key != "" {
		t.Errorf("keys = %q, %q; want answer:a1 and none", got[0].Key, got[1].Key)
	}
	dup := func(what string, recs ...server.Record) {
		t.Helper()
		_, err := s.Append(ctx, "s1", recs)
		if !errors.Is(err, server.ErrDuplicate) || !errors.Is(err, server.ErrConflict) {
			t.Errorf("%s: Append = %v, want ErrDuplicate (an ErrConflict)", what, err)
		}
	}
	dup("the same key again", keyed("answer", "answer:a1"))
	dup("a new key with a taken one", keyed("answer", "answer:a2"), keyed("answer", "answer:a1"))
	dup("one key twice in a call", keyed("open", "open:x"), keyed("open", "open:x"))
	// Nothing of the refused calls was written: a2 and open:x are still free.
	mustAppend(t, s, "s1", keyed("answer", "answer:a2"), keyed("open", "open:x"))
	// Records without a key never collide; another session has its own keys.
	mustAppend(t, s, "s1", rec("close", `{}`, day), rec("close", `{}`, day))
	mustAppend(t, s, "s2", keyed("answer", "answer:a1"))
	checkSeqs(t, s, "s1", 6)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openClosed(t, open)
	if _, err := s.Append(ctx, "s1", []server.Record{keyed("answer", "answer:a2")}); !errors.Is(err, server.ErrDuplicate) {
		t.Errorf("after reopening: Append of a taken key = %v, want ErrDuplicate", err)
	}
	if ev := mustEvents(t, s, "s1", 2, 1); len(ev) != 1 || ev[0].Key != "answer:a2" {
		t.Errorf("after reopening: record 3 = %s, want key answer:a2", fmtRecords(ev))
	}
	checkSeqs(t, s, "s1", 6)
}

// testConcurrentSameKey sends one keyed record from many goroutines at once, as retries of one
// command would: exactly one is logged, the others get ErrDuplicate.
func testConcurrentSameKey(t *testing.T, open func(t *testing.T) server.Store) {
	s := openClosed(t, open)
	mustCreate(t, s, session("s1", "CODE01", "anna", day))
	const n = 16
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Append(context.Background(), "s1", []server.Record{keyed("answer", "answer:same"), rec("other", fmt.Sprint(i), day)})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, server.ErrDuplicate):
			t.Errorf("Append = %v, want nil or ErrDuplicate", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d appends of the same key succeeded, want 1", ok)
	}
	checkSeqs(t, s, "s1", 2)
}

package postgres

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paraat-nl/paraat/server"
)

// benchSessions is how many sessions the benchmarks spread appends over, like a server running
// a few live exercises at once.
const benchSessions = 8

func benchOpen(b *testing.B, opts ...Option) *DB {
	b.Helper()
	dsn, _ := freshSchema(b)
	db, err := Open(context.Background(), dsn, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	for i := range benchSessions {
		if err := db.CreateSession(context.Background(), server.SessionRow{ID: fmt.Sprint("s", i), Code: fmt.Sprint("C", i)}); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

// benchRecord is the size of a typical answer event.
var benchRecord = []server.Record{{Time: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC), Type: "answer",
	Data: []byte(`{"participant":"p-7f3a","question":"eerste-stap","option":"partners-informeren","id":"0b6f9c1e-4a8e-4d1b-9c55-1d2b3c4d5e6f"}`)}}

func report(b *testing.B, db *DB) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	if n := db.batches.Load(); n > 0 {
		b.ReportMetric(float64(db.grouped.Load())/float64(n), "appends/commit")
	}
}

// appendParallel runs one-record appends from many goroutines: 64 per CPU, as many waiting
// answers as a busy server might have.
func appendParallel(b *testing.B, db *DB) {
	var next atomic.Int64
	b.SetParallelism(64)
	b.ResetTimer()
	db.batches.Store(0)
	db.grouped.Store(0)
	b.RunParallel(func(pb *testing.PB) {
		session := fmt.Sprint("s", next.Add(1)%benchSessions)
		for pb.Next() {
			if _, err := db.Append(context.Background(), session, benchRecord); err != nil {
				b.Error(err)
				return
			}
		}
	})
	report(b, db)
}

// BenchmarkAppendGroupCommit is the server's case: many participants answering at once, each
// append waiting for its own durable commit, sharing WAL flushes.
func BenchmarkAppendGroupCommit(b *testing.B) {
	appendParallel(b, benchOpen(b))
}

// BenchmarkAppendNoGroupCommit is the same load with batches of one: one commit per append.
// The gap to BenchmarkAppendGroupCommit is what group commit buys.
func BenchmarkAppendNoGroupCommit(b *testing.B) {
	appendParallel(b, benchOpen(b, WithBatchLimit(1)))
}

// BenchmarkAppendSerial is one caller appending in a loop: the latency of one durable append.
func BenchmarkAppendSerial(b *testing.B) {
	db := benchOpen(b)
	b.ResetTimer()
	db.batches.Store(0)
	db.grouped.Store(0)
	for i := 0; b.Loop(); i++ {
		if _, err := db.Append(context.Background(), fmt.Sprint("s", i%benchSessions), benchRecord); err != nil {
			b.Fatal(err)
		}
	}
	report(b, db)
}

// BenchmarkEvents reads a 1000-event log back, as a hub does when it resumes a session.
func BenchmarkEvents(b *testing.B) {
	db := benchOpen(b)
	recs := make([]server.Record, 1000)
	for i := range recs {
		recs[i] = benchRecord[0]
	}
	if _, err := db.Append(context.Background(), "s0", recs); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		ev, err := db.Events(context.Background(), "s0", 0, 0)
		if err != nil || len(ev) != len(recs) {
			b.Fatal(len(ev), err)
		}
	}
}

package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paraat-nl/paraat/server"
)

// walCopy writes a session and n events, one transaction each, and copies the database and
// its write-ahead log as they are on disk while the store is open (as a crash leaves them).
func walCopy(t *testing.T, n int) string {
	t.Helper()
	ctx := context.Background()
	db, path := open(t)
	if err := db.CreateSession(ctx, server.SessionRow{ID: "s1", Code: "C1"}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := db.Append(ctx, "s1", []server.Record{{Type: "x", Data: []byte(fmt.Sprintf(`{"i":%d}`, i))}}); err != nil {
			t.Fatal(err)
		}
	}
	dst := filepath.Join(t.TempDir(), "copy.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func flip(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	f.ReadAt(b, off)
	b[0] ^= 0xff
	f.WriteAt(b, off)
}

// TestDamagedWAL: a write-ahead log damaged before committed transactions is refused at
// open, with the recovery hint, instead of SQLite silently dropping those transactions.
func TestDamagedWAL(t *testing.T) {
	dst := walCopy(t, 10)
	if st, err := os.Stat(dst + "-wal"); err != nil || st.Size() < 32+3*(24+4096) {
		t.Fatalf("the log holds too little to damage: %v %v", st, err)
	}
	flip(t, dst+"-wal", 32+24+100) // the first frame's page
	_, err := Open(context.Background(), dst)
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), ".recover") || !strings.Contains(err.Error(), "backup") {
		t.Fatalf("open of a damaged log: %v", err)
	}
}

// TestTornWAL: a transaction torn by a crash (its last frame half written) is what SQLite is
// built to drop: the database opens, with every transaction before it.
func TestTornWAL(t *testing.T) {
	dst := walCopy(t, 10)
	st, _ := os.Stat(dst + "-wal")
	if err := os.Truncate(dst+"-wal", st.Size()-100); err != nil {
		t.Fatal(err)
	}
	db, err := Open(context.Background(), dst)
	if err != nil {
		t.Fatalf("open after a torn write: %v", err)
	}
	defer db.Close()
	recs, err := db.Events(context.Background(), "s1", 0, 0)
	if err != nil || len(recs) != 9 {
		t.Fatalf("%d events after the torn last one (%v), want 9", len(recs), err)
	}
}

// TestDamagedDatabase: a database file whose pages fail SQLite's quick_check is refused.
func TestDamagedDatabase(t *testing.T) {
	ctx := context.Background()
	db, path := open(t)
	if err := db.CreateSession(ctx, server.SessionRow{ID: "s1", Code: "C1"}); err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if _, err := db.Append(ctx, "s1", []server.Record{{Type: "x", Data: []byte(strings.Repeat("y", 200) + fmt.Sprint(i))}}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close() // checkpoints the log into the file
	st, _ := os.Stat(path)
	for off := int64(4096 + 8); off < st.Size(); off += 4096 {
		flip(t, path, off) // the header of every page after the first
	}
	_, err := Open(ctx, path)
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), ".recover") {
		t.Fatalf("open of a damaged file: %v", err)
	}
}

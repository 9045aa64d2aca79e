package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// ErrDamaged is returned by Open for a database it will not serve from.
var ErrDamaged = errors.New("the database is damaged")

// recoveryHint tells an operator what to do with a damaged database.
func recoveryHint(path string) string {
	return fmt.Sprintf("stop every process using it, keep a copy of %[1]s and %[1]s-wal, and restore the last backup; "+
		"or recover what is readable with: sqlite3 %[1]s \".recover\" | sqlite3 recovered.db", path)
}

// checkWAL reads the write-ahead log of path, if there is one, the way SQLite does when it
// opens the database: frame after frame while each frame's salt and running checksum hold.
// SQLite stops at the first frame that does not hold and silently drops the rest, which is
// right for a transaction torn by a crash (it was never acknowledged) but loses data when
// the damage lies before committed frames. checkWAL refuses exactly that case: a frame that
// does not hold, followed by a commit frame of the same log generation (same salts).
// Layout: https://www.sqlite.org/fileformat2.html#walformat.
func checkWAL(path string) error {
	f, err := os.Open(path + "-wal")
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	const hdrLen, frameHdrLen = 32, 24
	if len(data) == 0 {
		return nil
	}
	if len(data) < hdrLen {
		return nil // a log cut short before its header: nothing was committed to it
	}
	magic := binary.BigEndian.Uint32(data[0:])
	if magic != 0x377f0682 && magic != 0x377f0683 {
		return fmt.Errorf("%w: %s-wal is not a write-ahead log", ErrDamaged, path)
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if magic&1 == 1 {
		order = binary.BigEndian
	}
	pageSize := int(binary.BigEndian.Uint32(data[8:]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize > 65536 || pageSize&(pageSize-1) != 0 {
		return fmt.Errorf("%w: %s-wal has a damaged header", ErrDamaged, path)
	}
	s0, s1 := walChecksum(order, 0, 0, data[:24])
	if s0 != binary.BigEndian.Uint32(data[24:]) || s1 != binary.BigEndian.Uint32(data[28:]) {
		if len(data) > hdrLen {
			return fmt.Errorf("%w: the header of %s-wal is damaged and the log holds %d bytes of transactions", ErrDamaged, path, len(data)-hdrLen)
		}
		return nil
	}
	salt := data[16:24]
	frameLen := frameHdrLen + pageSize
	off := hdrLen
	valid := true
	for ; off+frameLen <= len(data); off += frameLen {
		fr := data[off : off+frameLen]
		sameGen := string(fr[8:16]) == string(salt)
		commit := binary.BigEndian.Uint32(fr[4:]) != 0
		if valid {
			c0, c1 := walChecksum(order, s0, s1, fr[:8])
			c0, c1 = walChecksum(order, c0, c1, fr[frameHdrLen:])
			if sameGen && c0 == binary.BigEndian.Uint32(fr[16:]) && c1 == binary.BigEndian.Uint32(fr[20:]) {
				s0, s1 = c0, c1
				continue
			}
			valid = false
			continue
		}
		if sameGen && commit {
			return fmt.Errorf("%w: %s-wal has a damaged frame at byte %d before committed transactions, which SQLite would drop", ErrDamaged, path, off)
		}
	}
	return nil
}

// walChecksum is the checksum of the write-ahead log: data as 32-bit words in the log's byte
// order, two running sums.
func walChecksum(order binary.ByteOrder, s0, s1 uint32, data []byte) (uint32, uint32) {
	for i := 0; i+8 <= len(data); i += 8 {
		s0 += order.Uint32(data[i:]) + s1
		s1 += order.Uint32(data[i+4:]) + s0
	}
	return s0, s1
}

// quickCheck runs SQLite's quick_check (the structure of every page and index, in time
// linear in the file's size) and refuses a database that fails it.
func quickCheck(ctx context.Context, db *sql.DB, path string) error {
	rows, err := db.QueryContext(ctx, "PRAGMA quick_check")
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrDamaged, path, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		if s != "ok" && len(problems) < 5 {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrDamaged, path, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s: %s", ErrDamaged, path, strings.Join(problems, "; "))
	}
	return nil
}

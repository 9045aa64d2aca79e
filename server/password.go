package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// KDF is a set of argon2id parameters. A hash records the parameters it was made with, so
// changing them affects new passwords only; a login is checked with the hash's own.
type KDF struct {
	Time      uint32 // passes
	MemoryKiB uint32
	Threads   uint8
}

// DefaultKDF are the parameters `paraat user add` uses: RFC 9106's second recommended
// option, with 64 MiB instead of 2 GiB.
var DefaultKDF = KDF{Time: 3, MemoryKiB: 64 << 10, Threads: 2}

// Bounds on the parameters, for ParseKDF and for hashes read from the store (a damaged or
// forged hash must not make a login cost gigabytes).
const (
	maxKDFMemoryKiB = 1 << 20 // 1 GiB
	maxKDFTime      = 16
	maxKDFThreads   = 16
	kdfKeyLen       = 32
)

// ParseKDF reads parameters written as "m=65536,t=3,p=2" (memory in KiB, passes,
// threads), the notation of the hash itself.
func ParseKDF(s string) (KDF, error) {
	var k KDF
	var m, t, p uint64
	if _, err := fmt.Sscanf(strings.TrimSpace(s), "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return k, fmt.Errorf("argon2id parameters %q: want m=KiB,t=passes,p=threads, e.g. %s", s, DefaultKDF)
	}
	k = KDF{Time: uint32(min(t, maxKDFTime+1)), MemoryKiB: uint32(min(m, maxKDFMemoryKiB+1)), Threads: uint8(min(p, maxKDFThreads+1))}
	return k, k.check()
}

func (k KDF) check() error {
	switch {
	case k.Time < 1 || k.Time > maxKDFTime:
		return fmt.Errorf("argon2id passes t=%d: want 1 to %d", k.Time, maxKDFTime)
	case k.Threads < 1 || k.Threads > maxKDFThreads:
		return fmt.Errorf("argon2id threads p=%d: want 1 to %d", k.Threads, maxKDFThreads)
	case k.MemoryKiB < 8*uint32(k.Threads) || k.MemoryKiB > maxKDFMemoryKiB:
		return fmt.Errorf("argon2id memory m=%d KiB: want %d to %d", k.MemoryKiB, 8*uint32(k.Threads), maxKDFMemoryKiB)
	}
	return nil
}

// String writes the parameters as ParseKDF reads them.
func (k KDF) String() string {
	return fmt.Sprintf("m=%d,t=%d,p=%d", k.MemoryKiB, k.Time, k.Threads)
}

// Hash returns an argon2id hash of pw in the PHC string format.
func (k KDF) Hash(pw string) []byte {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, k.Time, k.MemoryKiB, k.Threads, kdfKeyLen)
	return []byte(fmt.Sprintf("$argon2id$v=%d$%s$%s$%s", argon2.Version, k,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)))
}

// HashPassword returns an argon2id hash with DefaultKDF.
func HashPassword(pw string) []byte { return DefaultKDF.Hash(pw) }

// parseHash splits a hash made by KDF.Hash; ok is false for anything else.
func parseHash(hash []byte) (k KDF, salt, key []byte, ok bool) {
	parts := strings.Split(string(hash), "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return k, nil, nil, false
	}
	k, err := ParseKDF(parts[3])
	if err != nil {
		return k, nil, nil, false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 || len(key) > 64 {
		return k, nil, nil, false
	}
	return k, salt, key, true
}

// hashCost is the memory in KiB checking a password against hash takes.
func hashCost(hash []byte) uint32 {
	if k, _, _, ok := parseHash(hash); ok {
		return k.MemoryKiB
	}
	return 0
}

// CheckPassword reports whether pw matches a hash made by KDF.Hash.
func CheckPassword(hash []byte, pw string) bool {
	k, salt, key, ok := parseHash(hash)
	if !ok {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, k.Time, k.MemoryKiB, k.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// MinPassword is the shortest password accepted by `paraat user add`.
const MinPassword = 10

// TestKDF are parameters for tests: a hash is checked in microseconds and protects nothing.
// Production accounts use DefaultKDF.
var TestKDF = KDF{Time: 1, MemoryKiB: 64, Threads: 1}

package server

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDecode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, code string
	}{
		{`{"type":"answer","id":"4b0f3c5e-2a7e-4c55-9a57-6f9b4f1c2d10","question":"q","answer":{"option":"a"}}`, ""},
		{`{"type":"join","code":"K7PM-Q3XW","name":"Ann"}`, ""},
		{`{"type":"answer"`, "bad_json"},
		{`{"type":"dance"}`, "bad_json"},
		{`{"type":"join","code":"x","extra":1}`, "bad_json"},
		{`{"type":"join","code":1}`, "bad_json"},
		{`{}`, "bad_json"},
		{`{"type":"join"}`, "invalid"},
		{`{"type":"join","code":"K7PM-Q3XW","name":"Ann","id":"8f14e45f-ceea-467f-a0e6-5b4a7e3b1c2d"}`, ""},
		{`{"type":"join","code":"K7PM-Q3XW","name":"Ann","id":"00000000-0000-0000-0000-000000000000"}`, "invalid"},
		{`{"type":"join","code":"K7PM-Q3XW","name":"Ann","id":"anna"}`, "invalid"},
		{`{"type":"answer","id":"x","question":"q","answer":{}}`, "invalid"},
		{`{"type":"resume","token":"t","last_seq":-1}`, "invalid"},
		{`{"type":"start"} {"type":"start"}`, "bad_json"},
		{"\xff", "bad_json"},
		{`{"type":"join","code":"` + strings.Repeat("x", MaxMessage) + `"}`, "too_large"},
	} {
		_, err := Decode([]byte(tc.in))
		var e *Error
		switch {
		case tc.code == "" && err != nil:
			t.Errorf("%.60s: %v", tc.in, err)
		case tc.code != "" && (!errors.As(err, &e) || string(e.Code) != tc.code || e.Message == ""):
			t.Errorf("%.60s: got %v, want %s", tc.in, err, tc.code)
		}
	}
}

// FuzzDecode: the decoder never panics, and refuses only with a coded *Error.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"answer","id":"4b0f3c5e-2a7e-4c55-9a57-6f9b4f1c2d10","question":"q","answer":{"option":"a"}}`,
		`{"type":"answer","id":"4b0f3c5e-2a7e-4c55-9a57-6f9b4f1c2d10","question":"q","answer":{"number":1e309}}`,
		`{"type":"join","code":"K7PM-Q3XW","name":"Ann","role":"bz"}`,
		`{"type":"resume","token":"a.b","last_seq":41}`,
		`{"type":"open","question":"q","time_limit_ms":60000}`,
		`{"type":"rubric","participant":"p","question":"q","items":["a"]}`,
		`[]`, `null`, `{"type":null}`, `{"type":"next","open":true}`,
	} {
		f.Add([]byte(s))
	}
	for _, s := range protocolExamples(f) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" || e.Message == "" {
				t.Fatalf("uncoded refusal %v", err)
			}
			return
		}
		if !knownTypes[m.Type] {
			t.Fatalf("accepted unknown type %q", m.Type)
		}
		if m.Type == MsgAnswer && (m.Answer == nil || m.Question == "") {
			t.Fatalf("accepted answer without content")
		}
	})
}

func TestCodes(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		c := NewCode()
		if NormalizeCode(FormatCode(c)) != c || NormalizeCode(strings.ToLower(c)) != c {
			t.Fatalf("code %s does not round-trip", c)
		}
		if strings.ContainsAny(c, "01ILO") {
			t.Fatalf("ambiguous code %s", c)
		}
		seen[c] = true
	}
	if len(seen) < 999 {
		t.Fatal("codes repeat")
	}
}

// TestKDFParameters: production hashes keep RFC 9106's parameters with 64 MiB; parameters
// round-trip through their notation and absurd ones are refused, also inside a stored hash.
func TestKDFParameters(t *testing.T) {
	t.Parallel()
	if DefaultKDF != (KDF{Time: 3, MemoryKiB: 64 << 10, Threads: 2}) || DefaultKDF.String() != "m=65536,t=3,p=2" {
		t.Fatalf("production parameters changed: %v", DefaultKDF)
	}
	if k, err := ParseKDF(TestKDF.String()); err != nil || k != TestKDF {
		t.Fatalf("round trip: %v %v", k, err)
	}
	for _, bad := range []string{"", "m=1,t=1,p=1", "m=65536,t=0,p=1", "m=4294967295,t=1,p=1", "m=65536,t=99,p=1", "m=65536,t=1,p=0", "t=1"} {
		if _, err := ParseKDF(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	forged := []byte("$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U")
	if CheckPassword(forged, "x") || hashCost(forged) != 0 {
		t.Fatal("a hash asking for 4 GiB was checked")
	}
}

// TestLoginBudget: a password check that does not fit in the memory budget is refused at
// once with unavailable and Retry-After, and the attempt does not count as a failure.
func TestLoginBudget(t *testing.T) {
	t.Parallel()
	store := &oneUser{u: User{Name: "anna", Hash: KDF{Time: 1, MemoryKiB: 8 << 10, Threads: 1}.Hash("correct horse battery")}}
	a := newAuth(store, time.Now, false, TestKDF, 8)
	if !a.hashing.take(1) { // another check holds part of the budget
		t.Fatal("empty budget")
	}
	_, _, err := a.Login(context.Background(), "anna", "correct horse battery", "192.0.2.1:1")
	if e := ErrorOf(err); e.Code != EUnavailable || e.RetryAfterMS <= 0 || e.Reference == "" {
		t.Fatalf("over budget: %v", e)
	}
	a.hashing.give(1)
	for i := range LoginFailures {
		if _, _, err := a.Login(context.Background(), "anna", "correct horse battery", "192.0.2.1:1"); err != nil {
			t.Fatalf("login %d after the budget freed: %v", i, err)
		}
	}
	if _, _, err := a.Login(context.Background(), "anna", "wrong", "192.0.2.1:1"); ErrorOf(err).Code != EUnauthorized {
		t.Fatalf("wrong password: %v", err)
	}
}

// oneUser is a store of one account, for the login logic alone.
type oneUser struct {
	Store
	u User
}

func (s *oneUser) User(_ context.Context, name string) (User, error) {
	if name != s.u.Name {
		return User{}, ErrNotFound
	}
	return s.u, nil
}

func TestPassword(t *testing.T) {
	t.Parallel()
	h := TestKDF.Hash("correct horse battery")
	if !CheckPassword(h, "correct horse battery") || CheckPassword(h, "wrong") || !strings.HasPrefix(string(h), "$argon2id$") {
		t.Fatal("argon2id round trip")
	}
}

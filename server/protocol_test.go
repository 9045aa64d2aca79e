package server

import (
	"errors"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
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

func TestPassword(t *testing.T) {
	h := HashPassword("correct horse battery")
	if !CheckPassword(h, "correct horse battery") || CheckPassword(h, "wrong") || !strings.HasPrefix(string(h), "$argon2id$") {
		t.Fatal("argon2id round trip")
	}
}

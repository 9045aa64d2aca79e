package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	code, out, _ := paraat(t, "", "explain", "[statement-exists]")
	if code != 0 || !strings.HasPrefix(out, "statement-exists: A policy layer redefines a statement of the layer below.") || !strings.Contains(out, "overrides: <reason>") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	code, out, _ = paraat(t, "", "explain")
	if code != 0 || !strings.Contains(out, "unknown-field") || !strings.Contains(out, "yaml-syntax") {
		t.Fatalf("list: exit %d:\n%s", code, out)
	}
	if code, _, errs := paraat(t, "", "explain", "bestaat-niet"); code != 2 || !strings.Contains(errs, "no diagnostic code") {
		t.Fatalf("unknown code: exit %d: %s", code, errs)
	}
}

func TestSchemaCommand(t *testing.T) {
	for _, args := range [][]string{{"schema"}, {"schema", "policy"}} {
		code, out, _ := paraat(t, "", args...)
		var v map[string]any
		if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["$schema"] == nil {
			t.Errorf("%v: exit %d: %.200s", args, code, out)
		}
	}
	if code, _, _ := paraat(t, "", "schema", "x"); code != 2 {
		t.Errorf("schema x: exit %d", code)
	}
}

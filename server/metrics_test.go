package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/internal/builtin"
	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/live"
	"github.com/paraat-nl/paraat/server/sqlite"
)

// TestMetrics checks who may read GET /api/metrics and that it carries the live counters.
func TestMetrics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	lib := builtinLib(t)
	mgr := live.New(store, lib, live.Options{})
	defer mgr.Shutdown(ctx)
	srv, err := server.New(server.Config{Store: store, Library: lib, Live: mgr, Web: fstest.MapFS{}, KDF: server.TestKDF})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv) // listens on 127.0.0.1: a local request
	defer hs.Close()

	get := func(h http.Header) (int, server.Metrics) {
		req, _ := http.NewRequest("GET", hs.URL+"/api/metrics?gc=1", nil)
		for k, v := range h {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m server.Metrics
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	st, m := get(nil)
	if st != 200 {
		t.Fatalf("local request: status %d, want 200", st)
	}
	if m.Live == nil || m.Goroutines == 0 || m.HeapInuse == 0 {
		t.Errorf("metrics lack the runtime or live figures: %+v", m)
	}
	// Through a proxy on the same machine the request is not local.
	if st, _ := get(http.Header{"X-Forwarded-For": {"203.0.113.7"}}); st != http.StatusForbidden {
		t.Errorf("proxied request: status %d, want 403", st)
	}
}

// builtinLib is the built-in library, loaded once for all tests.
func builtinLib(t testing.TB) *engine.Library {
	t.Helper()
	lib, diags := builtin.Library()
	if lib.Scenario("voorbeeld") == nil {
		t.Fatalf("the built-in example does not load: %v", diags.Err())
	}
	return lib
}

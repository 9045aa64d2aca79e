package server_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"testing"

	"github.com/paraat-nl/paraat/server"
)

// TestClusterViewSingleNode: on SQLite GET /api/cluster shows one node (this process), alive,
// and no leases; only an admin may read it.
func TestClusterViewSingleNode(t *testing.T) {
	t.Parallel()
	e := newViewerEnv(t) // anna: a facilitator, not an admin
	if st := e.do(e.anon, "GET", "/api/cluster", "", "", "", nil); st != http.StatusUnauthorized {
		t.Errorf("not logged in: status %d, want 401", st)
	}
	if st := e.do(e.fac, "GET", "/api/cluster", "", "", "", nil); st != http.StatusForbidden {
		t.Errorf("facilitator who is not an admin: status %d, want 403", st)
	}
	admin := newAdminClient(t, e)
	var v server.ClusterView
	if st := e.do(admin, "GET", "/api/cluster", "", "", "", &v); st != http.StatusOK {
		t.Fatalf("admin: status %d", st)
	}
	if v.Shared || len(v.Nodes) != 1 || !v.Nodes[0].Alive || !v.Nodes[0].Self || v.Nodes[0].Seen.IsZero() || len(v.Leases) != 0 {
		t.Errorf("single node view: %+v", v)
	}
}

func newAdminClient(t *testing.T, e *viewerEnv) *http.Client {
	t.Helper()
	if err := e.store.PutUser(context.Background(), server.User{Name: "beheer", Admin: true, Hash: server.TestKDF.Hash("correct horse battery")}); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	if st := e.do(c, "POST", "/api/login", "", "application/json", `{"name":"beheer","password":"correct horse battery"}`, nil); st != http.StatusOK {
		t.Fatalf("admin login: %d", st)
	}
	return c
}

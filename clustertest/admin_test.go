package clustertest

import (
	"encoding/json"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// adminView is the answer of GET /api/cluster.
type adminView struct {
	Shared bool   `json:"shared"`
	Node   string `json:"node"`
	Nodes  []struct {
		ID       string    `json:"id"`
		Addr     string    `json:"addr"`
		Seen     time.Time `json:"seen"`
		Alive    bool      `json:"alive"`
		Self     bool      `json:"self"`
		Sessions []string  `json:"sessions"`
	} `json:"nodes"`
	Leases []struct {
		Session string    `json:"session"`
		Node    string    `json:"node"`
		Epoch   int64     `json:"epoch"`
		Expires time.Time `json:"expires"`
		Expired bool      `json:"expired"`
	} `json:"leases"`
}

func (f *facilitator) get(t *testing.T, path string, into any) int {
	t.Helper()
	res, err := f.http.Get(f.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusOK && into != nil {
		if err := json.NewDecoder(res.Body).Decode(into); err != nil {
			t.Fatal(err)
		}
	}
	return res.StatusCode
}

// TestAdminClusterView: the admin's view on any node shows every node with the sessions it
// owns and every lease, and a node that stopped heartbeating as not alive.
func TestAdminClusterView(t *testing.T) {
	c, f, info := newClusterSession(t, 3)
	f.console(t, c.nodes[0], info.ID) // node 1 loads the session and takes its lease
	if got := ownerOf(t, c, info.ID, 1); got != 0 {
		t.Fatalf("owner is node %d, want node 1", got+1)
	}

	// Not logged in: refused.
	anon := &facilitator{http: &http.Client{Timeout: 10 * time.Second}, url: c.nodes[1].url}
	if st := anon.get(t, "/api/cluster", nil); st != http.StatusUnauthorized {
		t.Errorf("GET /api/cluster without a login: status %d, want 401", st)
	}

	// The admin asks node 2, which does not own the session.
	f.url = c.nodes[1].url
	var v adminView
	if st := f.get(t, "/api/cluster", &v); st != http.StatusOK {
		t.Fatalf("GET /api/cluster: status %d", st)
	}
	if !v.Shared || v.Node != "node-2" {
		t.Errorf("view: shared %v node %q, want shared from node-2", v.Shared, v.Node)
	}
	if len(v.Nodes) != 3 {
		t.Fatalf("view shows %d nodes, want 3: %+v", len(v.Nodes), v.Nodes)
	}
	for i, n := range v.Nodes {
		want := []string{"node-1", "node-2", "node-3"}[i]
		if n.ID != want || !n.Alive || n.Addr == "" || n.Seen.IsZero() || n.Self != (want == "node-2") {
			t.Errorf("node %d: %+v, want %s alive with an address and a heartbeat", i+1, n, want)
		}
		owns := len(n.Sessions) == 1 && n.Sessions[0] == info.ID
		if owns != (want == "node-1") {
			t.Errorf("%s owns %v; only node-1 should own %s", n.ID, n.Sessions, info.ID)
		}
	}
	if len(v.Leases) != 1 || v.Leases[0].Session != info.ID || v.Leases[0].Node != "node-1" || v.Leases[0].Epoch < 1 ||
		v.Leases[0].Expired || v.Leases[0].Expires.IsZero() {
		t.Errorf("leases: %+v, want one live lease of node-1 on %s", v.Leases, info.ID)
	}

	// Node 3 dies: within its lease period it is shown as not alive (and later not at all).
	c.nodes[2].signal(syscall.SIGKILL)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var w adminView
		f.get(t, "/api/cluster", &w)
		dead := true
		for _, n := range w.Nodes {
			if n.ID == "node-3" && n.Alive {
				dead = false
			}
		}
		if dead {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node-3 is still shown alive after it was killed: %+v", w.Nodes)
		}
	}
}

package server

import (
	"net/http"
	"sort"
	"time"
)

// ClusterView is the answer of GET /api/cluster, the admin's view of the serving nodes: every
// node seen recently with the sessions it owns, and every session's lease. With SQLite there is
// one node (this process) and no leases.
type ClusterView struct {
	Shared bool          `json:"shared"` // several nodes share a PostgreSQL database
	Node   string        `json:"node"`   // the node that answered ("" with SQLite)
	Notify bool          `json:"notify"` // LISTEN/NOTIFY reaches the answering node
	Nodes  []NodeView    `json:"nodes"`
	Leases []LeaseStatus `json:"leases"`
	Error  string        `json:"error,omitempty"`
	Time   time.Time     `json:"time"`
}

// NodeView is one node with the sessions whose live lease it holds.
type NodeView struct {
	NodeStatus
	Alive    bool     `json:"alive"` // its last heartbeat is recent enough to hold a lease
	Self     bool     `json:"self"`  // the node that answered
	Sessions []string `json:"sessions"`
}

// handleCluster serves GET /api/cluster to an admin. It reuses what /api/metrics computes.
func (s *Server) handleCluster(w http.ResponseWriter, r *http.Request, l *login) {
	if !l.user.Admin {
		writeErr(w, Errorf(EForbidden, "the cluster view is for an admin"))
		return
	}
	var cs *ClusterStatus
	if c, ok := s.cfg.Live.(ClusterStatuser); ok {
		cs = c.ClusterStatus(r.Context())
	}
	writeJSON(w, http.StatusOK, clusterView(cs, time.Now()))
}

// clusterView turns a node's cluster status (nil: a single node on SQLite) into the admin view.
func clusterView(cs *ClusterStatus, now time.Time) ClusterView {
	if cs == nil {
		return ClusterView{Nodes: []NodeView{{NodeStatus: NodeStatus{Started: processStart.UTC(), Seen: now.UTC()},
			Alive: true, Self: true, Sessions: []string{}}}, Leases: []LeaseStatus{}, Time: now.UTC()}
	}
	v := ClusterView{Shared: true, Node: cs.Node, Notify: cs.Notify, Error: cs.Error, Time: now.UTC(),
		Nodes: []NodeView{}, Leases: []LeaseStatus{}}
	if cs.Leases != nil {
		v.Leases = cs.Leases
	}
	for _, n := range cs.Nodes {
		nv := NodeView{NodeStatus: n, Alive: n.Alive, Self: n.ID == cs.Node, Sessions: []string{}}
		for _, le := range cs.Leases {
			if le.Node == n.ID && !le.Expired {
				nv.Sessions = append(nv.Sessions, le.Session)
			}
		}
		sort.Strings(nv.Sessions)
		v.Nodes = append(v.Nodes, nv)
	}
	sort.Slice(v.Nodes, func(i, j int) bool { return v.Nodes[i].ID < v.Nodes[j].ID })
	return v
}

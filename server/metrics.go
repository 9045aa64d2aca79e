package server

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"
)

// LiveStats are the live layer's counters since the process started.
type LiveStats struct {
	Sessions         int64 `json:"sessions"`          // hubs in memory
	Connections      int64 `json:"connections"`       // websockets open now
	ConnectionsTotal int64 `json:"connections_total"` // websockets accepted
	MessagesSent     int64 `json:"messages_sent"`     // messages written to clients
	Writes           int64 `json:"writes"`            // system calls that wrote them (coalesced)
	BytesSent        int64 `json:"bytes_sent"`
	AnswersStored    int64 `json:"answers_stored"` // answers durable in the log
	SlowConsumers    int64 `json:"slow_consumers"` // clients dropped with 4008
	Appends          int64 `json:"appends"`        // appends to session logs; answers or joins queued together share one
	AppendErrors     int64 `json:"append_errors"`  // failed appends, each followed by a reload
	Unloaded         int64 `json:"unloaded"`       // idle sessions freed from memory
}

// Statser is a Live layer that keeps counters; the metrics endpoint shows them when the
// configured Live implements it.
type Statser interface {
	Stats() LiveStats
}

// Metrics is the answer of GET /api/metrics: the process as the operating system and the Go
// runtime see it, and the live layer's counters. Memory is in bytes, CPU time in
// milliseconds since the process started.
type Metrics struct {
	Time        time.Time  `json:"time"`
	UptimeMS    int64      `json:"uptime_ms"`
	Goroutines  int        `json:"goroutines"`
	CPUUserMS   int64      `json:"cpu_user_ms"`
	CPUSystemMS int64      `json:"cpu_system_ms"`
	RSS         int64      `json:"rss_bytes"`      // resident set, from /proc/self/status (Linux)
	RSSPeak     int64      `json:"rss_peak_bytes"` // the highest resident set since the start (VmHWM)
	HeapInuse   uint64     `json:"heap_inuse"`     // runtime.MemStats
	HeapAlloc   uint64     `json:"heap_alloc"`
	StackInuse  uint64     `json:"stack_inuse"`
	Sys         uint64     `json:"sys"`
	NumGC       uint32     `json:"num_gc"`
	TotalAlloc  uint64     `json:"total_alloc_bytes"` // heap allocated since the start, freed or not
	Live        *LiveStats `json:"live,omitempty"`
	// Cluster: this node, every node and every session's lease, when nodes share PostgreSQL.
	Cluster *ClusterStatus `json:"cluster,omitempty"`
}

// ClusterStatus is one node's view of the nodes on a shared database.
type ClusterStatus struct {
	Node      string        `json:"node"`      // this node
	Owned     int           `json:"owned"`     // sessions this node owns (holds the lease of)
	Followed  int           `json:"followed"`  // sessions whose clients this node serves for another owner
	Notify    bool          `json:"notify"`    // LISTEN/NOTIFY reaches this node (else: polling only)
	Forwarded int64         `json:"forwarded"` // commands of clients here carried to another owner
	Carried   int64         `json:"carried"`   // commands of other nodes' clients run here
	Takeovers int64         `json:"takeovers"` // sessions taken over here from a follower's place
	StepDowns int64         `json:"step_downs"`
	Nodes     []NodeStatus  `json:"nodes"`
	Leases    []LeaseStatus `json:"leases"`
	Error     string        `json:"error,omitempty"`
}

// NodeStatus is a node seen recently.
type NodeStatus struct {
	ID      string    `json:"id"`
	Addr    string    `json:"addr"`
	Started time.Time `json:"started"`
	Seen    time.Time `json:"seen"`
	Alive   bool      `json:"alive"` // heard from within one lease period
}

// LeaseStatus is one session's lease.
type LeaseStatus struct {
	Session string    `json:"session"`
	Node    string    `json:"node"`
	Epoch   int64     `json:"epoch"`
	Expires time.Time `json:"expires"`
	Expired bool      `json:"expired"`
}

// ClusterStatuser is a Live layer that runs as one node of several.
type ClusterStatuser interface {
	ClusterStatus(ctx context.Context) *ClusterStatus
}

var processStart = time.Now()

// handleMetrics serves GET /api/metrics. It is for the operator and the load tool, so it
// answers only an admin, or a request made on this machine that did not come through a proxy
// (a proxy on the same machine would otherwise make every visitor local). ?gc=1 collects
// garbage and returns free memory to the system first, so that RSS shows what is in use.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if !s.metricsAllowed(r) {
		writeErr(w, Errorf(EForbidden, "metrics are for an admin, or for requests from this machine"))
		return
	}
	if r.URL.Query().Get("gc") == "1" {
		debug.FreeOSMemory()
	}
	m := s.metrics()
	if cs, ok := s.cfg.Live.(ClusterStatuser); ok {
		m.Cluster = cs.ClusterStatus(r.Context())
	}
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) metricsAllowed(r *http.Request) bool {
	if _, l := s.auth.session(r); l != nil && l.user.Admin {
		return true
	}
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) metrics() Metrics {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	now := time.Now()
	m := Metrics{Time: now.UTC(), UptimeMS: now.Sub(processStart).Milliseconds(), Goroutines: runtime.NumGoroutine(),
		RSS: procStatus("VmRSS:"), RSSPeak: procStatus("VmHWM:"), HeapInuse: ms.HeapInuse, HeapAlloc: ms.HeapAlloc, StackInuse: ms.StackInuse, Sys: ms.Sys,
		NumGC: ms.NumGC, TotalAlloc: ms.TotalAlloc}
	m.CPUUserMS, m.CPUSystemMS = cpuTime()
	if st, ok := s.cfg.Live.(Statser); ok {
		ls := st.Stats()
		m.Live = &ls
	}
	return m
}

// procStatus reads a size in kB from /proc/self/status, such as VmRSS:; 0 where there is no
// /proc.
func procStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) >= 2 && string(f[0]) == field {
			kb, err := strconv.ParseInt(string(f[1]), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

package clustertest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// aggregates decodes a console message's aggregates (of an aggregates message or a snapshot).
func aggregatesOf(m msg) (conn map[string]bool, answered map[string][]string, ok bool) {
	var v struct {
		Aggregates *struct {
			Participants []struct {
				Name      string   `json:"name"`
				Connected bool     `json:"connected"`
				Answered  []string `json:"answered"`
			} `json:"participants"`
		} `json:"aggregates"`
	}
	if json.Unmarshal(m.Raw, &v) != nil || v.Aggregates == nil {
		return nil, nil, false
	}
	conn, answered = map[string]bool{}, map[string][]string{}
	for _, p := range v.Aggregates.Participants {
		conn[p.Name] = p.Connected
		answered[p.Name] = p.Answered
	}
	return conn, answered, true
}

// TestConsoleCountsWholeRoom: the console on node 1 counts the participants connected to
// nodes 2 and 3 as connected, and as not connected once they leave; their answers count too.
func TestConsoleCountsWholeRoom(t *testing.T) {
	c, f, info := newClusterSession(t, 3)
	con := f.console(t, c.nodes[0], info.ID)
	if got := ownerOf(t, c, info.ID, 1); got != 0 {
		t.Fatalf("owner is node %d, want node 1", got+1)
	}
	var ps []*participant
	for i := range 3 {
		p := &participant{name: fmt.Sprintf("Deelnemer %d", i+1), node: i, acks: map[string]int64{}}
		p.join(t, c.nodes[i], info.Code)
		ps = append(ps, p)
	}
	// waitRoom waits for aggregates on the console in which ok holds.
	waitRoom := func(what string, ok func(conn map[string]bool, answered map[string][]string) bool) {
		t.Helper()
		t.Logf("waiting for the console on node 1 to show %s", what)
		con.next(30*time.Second, func(m msg) bool {
			conn, answered, has := aggregatesOf(m)
			return has && ok(conn, answered)
		})
	}
	waitRoom("all three participants connected", func(conn map[string]bool, _ map[string][]string) bool {
		return conn["Deelnemer 1"] && conn["Deelnemer 2"] && conn["Deelnemer 3"]
	})

	con.command(map[string]any{"type": "start"})
	con.command(map[string]any{"type": "open", "question": "eerste-stap"})
	ps[1].answer(t, newID(), "eerste-stap", "afwachten")
	ps[2].answer(t, newID(), "eerste-stap", "partners-informeren")
	waitRoom("the answers from nodes 2 and 3", func(_ map[string]bool, answered map[string][]string) bool {
		return len(answered["Deelnemer 2"]) == 1 && len(answered["Deelnemer 3"]) == 1
	})

	// The participant on node 3 leaves: the console on node 1 shows it.
	ps[2].c.ws.Close()
	waitRoom("the participant on node 3 gone", func(conn map[string]bool, _ map[string][]string) bool {
		return conn["Deelnemer 1"] && conn["Deelnemer 2"] && !conn["Deelnemer 3"]
	})
}

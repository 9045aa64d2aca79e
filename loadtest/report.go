package loadtest

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/paraat-nl/paraat/server"
)

func sum(xs []int) (n int) {
	for _, x := range xs {
		n += x
	}
	return n
}

// Metrics is the server's GET /api/metrics answer.
type Metrics = server.Metrics

// Report is what a run measured.
type Report struct {
	Target       string `json:"target"`
	Participants int    `json:"participants"`
	Sessions     int    `json:"sessions"`

	Connect ConnectReport `json:"connect"`
	// Memory per connection, from the server's metrics before and after connecting (both
	// taken after a garbage collection).
	Memory    MemoryReport    `json:"memory"`
	Injects   InjectReport    `json:"injects"`
	Answers   AnswerReport    `json:"answers"`
	Flood     FloodReport     `json:"flood"`
	Reconnect ReconnectReport `json:"reconnect"`
	// Crashed: the server was killed with SIGKILL during a burst and started again.
	Crashed bool `json:"crashed"`
	// KilledNode: with several nodes, Crashed means one node was killed and left dead.
	// Recovery is the time from the kill to the first answer acknowledged after it (the
	// session's owner, if it was the one killed, must have been taken over by then).
	KilledNode    bool           `json:"killed_node"`
	Recovery      time.Duration  `json:"recovery_ns"`
	ExactlyOnce   ExactlyOnce    `json:"exactly_once"`
	Faults        FaultReport    `json:"faults"`
	Study         []*StudyReport `json:"study,omitempty"`
	Errors        int64          `json:"errors"`
	ErrorMessages map[string]int `json:"error_messages,omitempty"`

	Before, Connected, After *Metrics `json:"-"`
}

// ConnectReport is the join phase.
type ConnectReport struct {
	Joined, Failed int
	Elapsed        time.Duration
	PerSecond      float64
	// Latency is per participant: dial, upgrade, join, welcome and snapshot.
	Latency Dist
	// Messages are what the first participant received for its join (welcome, snapshot):
	// the baseline sends them after the ack of each join.
	Messages [][]byte `json:"-"`
}

// MemoryReport is the server's memory per connected participant.
type MemoryReport struct {
	Measured bool
	// RSSPerConn is the growth of the resident set divided by the connections.
	RSSPerConn float64
	// GoPerConn is the growth of the Go heap and stacks in use divided by the connections;
	// StackPerConn is the stacks' part of it.
	GoPerConn, StackPerConn float64
	// GoroutinesPerConn should be 2: one reader, one writer.
	GoroutinesPerConn   float64
	RSSBefore, RSSAfter int64
	// RSSPeak is the highest resident set of the server from its start to the end of the
	// injects and bursts, garbage not yet collected included.
	RSSPeak int64
}

// InjectReport is the inject fan-out: from the server's publishing of the inject event
// (its `sent` field) to its receipt by each participant, and end to end, from the
// facilitator's `next` leaving the tool (which includes the durable append).
type InjectReport struct {
	Rounds   int
	Missing  int // participant-rounds that never saw the inject
	FanOut   Dist
	EndToEnd Dist
	// Ready is what a participant experiences: from the facilitator's command until the
	// participant holds everything it needs to answer (the inject, its questions open and the
	// world view showing them). NotReady counts participant-rounds that never got there.
	Ready    Dist
	NotReady int
	// Messages are what one participant received for the last round until it was ready, and
	// Frames their sizes: the baseline broadcasts the same messages.
	Messages [][]byte `json:"-"`
	Frames   []int
}

// AnswerReport is the answer bursts: from sending an answer to receiving its ack, which the
// server sends only once the answer is durable.
type AnswerReport struct {
	Bursts, Sent, Acked int
	Stored              int64 // answers the server counted as stored during the bursts
	Appends             int64 // appends to session logs during the bursts (answers share them)
	Elapsed             time.Duration
	PerSecond           float64
	Ack                 Dist
	// CPU is the server's CPU time over the bursts (from its metrics), and Alloc the heap it
	// allocated meanwhile.
	CPU   time.Duration
	Alloc uint64
}

// FloodReport is the broadcast throughput phase.
type FloodReport struct {
	Duration          time.Duration
	Broadcasts        int64
	Received          int64
	ReceivedPerSecond float64
	SentPerSecond     float64 // the server's count
	ServerCores       float64 // server CPU seconds per second during the flood
	MessagesPerWrite  float64
	SlowConsumers     int64
	Latency           Dist // event publish to receipt
	// Rate is the broadcasts per second in each session, and Messages what one participant
	// received for one of them. The baseline, which has no sessions, broadcasts them to every
	// connection at that rate: the same deliveries per second are asked of both.
	Rate     float64
	Messages [][]byte `json:"-"`
}

// ReconnectReport is the mass reconnect.
type ReconnectReport struct {
	Clients, Resumed, Failed int
	Restarted                bool
	Elapsed                  time.Duration
	Time                     Dist // from the drop (or the restart) to each client's snapshot
	TriesP50, TriesMax       int
	StateLost                int // resumed without an acknowledged answer in the snapshot
	ResendOK, ResendFailed   int // re-sent answers acked (or not) as duplicates
}

// ExactlyOnce is the final check against the reports.
type ExactlyOnce struct {
	Acked, InReport  int
	Missing, Doubled int
	WrongOwner       int
	Unacked          int // in the report but never acked to the client (allowed)
	// Compared sessions whose live state was compared with the replay of their log, and in
	// how many places the two differed.
	Compared, LiveDiffers int
	OK                    bool
}

// FaultReport is what a run with store faults (Config.StoreFaults) met and did.
type FaultReport struct {
	Rate            float64
	AppendErrors    int64 // the server's count of failed appends
	RetriedJoins    int64 // joins sent again after unavailable
	RetriedAnswers  int64
	RetriedCommands int64 // facilitator commands sent again
}

func (r *Report) memory() {
	b, a := r.Before, r.Connected
	n := r.Connect.Joined
	if b == nil || a == nil || n == 0 {
		return
	}
	m := &r.Memory
	m.Measured = true
	m.RSSBefore, m.RSSAfter = b.RSS, a.RSS
	m.RSSPerConn = float64(a.RSS-b.RSS) / float64(n)
	m.GoPerConn = float64(int64(a.HeapInuse+a.StackInuse)-int64(b.HeapInuse+b.StackInuse)) / float64(n)
	m.StackPerConn = float64(int64(a.StackInuse)-int64(b.StackInuse)) / float64(n)
	m.GoroutinesPerConn = float64(a.Goroutines-b.Goroutines) / float64(n)
}

// Print writes the report for people.
func (r *Report) Print(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	if len(r.Study) > 0 {
		for _, s := range r.Study {
			p("round %d             %s: %d self-study runs started and abandoned (%d failed) in %s", s.Round, r.Target, s.Runs, s.Failed, s.Elapsed.Round(time.Millisecond))
			p("server memory       before %s RSS, %s heap; %d idle sessions in memory: %s RSS, %s heap",
				mib(s.Before.RSS), mib(int64(s.Before.HeapInuse)), s.SessionsLoaded, mib(s.Loaded.RSS), mib(int64(s.Loaded.HeapInuse)))
			p("per idle session    %.1f KiB RSS, %.1f KiB Go heap", s.RSSPerSession/1024, s.HeapPerSession/1024)
			p("after unloading     %d unloaded in %s: %s RSS, %s heap", s.Unloaded, s.UnloadWait.Round(time.Second), mib(s.After.RSS), mib(int64(s.After.HeapInuse)))
		}
		p("errors              %d", r.Errors)
		for _, msg := range slices.Sorted(maps.Keys(r.ErrorMessages)) {
			p("  %6d × %s", r.ErrorMessages[msg], msg)
		}
		return
	}
	p("target              %s: %d participants in %d sessions", r.Target, r.Participants, r.Sessions)
	c := r.Connect
	p("connect             %d joined, %d failed in %s: %.0f/s; per join %s", c.Joined, c.Failed,
		c.Elapsed.Round(time.Millisecond), c.PerSecond, c.Latency)
	if m := r.Memory; m.Measured {
		p("server memory       %.1f KiB RSS per connection (%.0f → %.0f MiB), %.1f KiB Go heap+stacks (stacks %.1f), %.2f goroutines",
			m.RSSPerConn/1024, float64(m.RSSBefore)/(1<<20), float64(m.RSSAfter)/(1<<20), m.GoPerConn/1024, m.StackPerConn/1024, m.GoroutinesPerConn)
	} else {
		p("server memory       not measured (no access to /api/metrics)")
	}
	if in := r.Injects; in.Rounds > 0 {
		p("inject fan-out      %s  [server publish → client]", in.FanOut)
		p("inject end to end   %s  [facilitator command → client]", in.EndToEnd)
		p("inject ready        %s  [facilitator command → client holds inject, open questions and world view; %d frames, %d bytes]",
			in.Ready, len(in.Frames), sum(in.Frames))
		p("                    %d injects, %d deliveries missing", in.Rounds, in.Missing)
	}
	if a := r.Answers; a.Bursts > 0 {
		p("answer ack          %s  [send → durable ack]", a.Ack)
		p("answers             %d sent, %d acked in %d bursts, %.0f acked/s over the bursts; server stored %d",
			a.Sent, a.Acked, a.Bursts, a.PerSecond, a.Stored)
	}
	if f := r.Flood; f.Duration > 0 {
		p("flood               %d broadcasts in %s: %.0f messages/s received, server sent %.0f/s",
			f.Broadcasts, f.Duration.Round(time.Millisecond), f.ReceivedPerSecond, f.SentPerSecond)
		p("                    server CPU %.2f cores, %.1f messages per write, %d slow consumers dropped; latency %s",
			f.ServerCores, f.MessagesPerWrite, f.SlowConsumers, f.Latency)
	}
	if rc := r.Reconnect; rc.Clients > 0 {
		how := "clients dropped their connections"
		if rc.Restarted {
			how = "server restarted"
		}
		if r.Crashed {
			how = "server killed (SIGKILL) mid-burst and restarted"
		}
		if r.KilledNode {
			how = fmt.Sprintf("one of the nodes killed (SIGKILL) mid-burst and left dead; first answer acknowledged %s after the kill; everyone", r.Recovery.Round(time.Millisecond))
		}
		p("reconnect           %s: %d of %d resumed, %d failed; time to resume %s; tries p50 %d max %d",
			how, rc.Resumed, rc.Clients, rc.Failed, rc.Time, rc.TriesP50, rc.TriesMax)
		p("                    %d lost state; re-sent answers: %d acked as duplicates, %d not", rc.StateLost, rc.ResendOK, rc.ResendFailed)
	}
	x := r.ExactlyOnce
	verdict := "OK"
	if !x.OK {
		verdict = "FAILED"
	}
	p("exactly once        %s: %d acked answers, %d in the reports, %d missing, %d doubled, %d under another participant, %d stored but not acked",
		verdict, x.Acked, x.InReport, x.Missing, x.Doubled, x.WrongOwner, x.Unacked)
	p("live vs replay      %d sessions compared, %d differences", x.Compared, x.LiveDiffers)
	if f := r.Faults; f.Rate > 0 {
		p("store faults        %.0f%% of appends failed at random: %d failed appends; sent again after unavailable: %d joins, %d answers, %d commands",
			100*f.Rate, f.AppendErrors, f.RetriedJoins, f.RetriedAnswers, f.RetriedCommands)
	}
	if r.After != nil && r.After.Live != nil {
		l := r.After.Live
		p("server totals       %d messages in %d writes, %d answers stored, %d slow consumers, CPU %.1f s",
			l.MessagesSent, l.Writes, l.AnswersStored, l.SlowConsumers, float64(r.After.CPUUserMS+r.After.CPUSystemMS)/1000)
	}
	p("errors              %d", r.Errors)
	for _, msg := range slices.Sorted(maps.Keys(r.ErrorMessages)) {
		p("  %6d × %s", r.ErrorMessages[msg], msg)
	}
}

// Package session is the state machine of a live session, without any I/O: a State folded
// from the session's log, the decide functions that say what a command means at a given time
// (records to log, or a refusal with a stable error code), Apply, which folds one durable
// record into the State, and the views and the report built from it.
//
// Nothing here starts a goroutine, reads a clock or touches a store or a socket: time is an
// argument, and the hub in server/live appends the records a decide function returns and calls
// Apply only once they are durable. Replaying a log is New and then Apply over its records, so
// a state replayed from the log equals the live one.
//
// A State is not safe for concurrent use: one goroutine (the session's hub) owns it. What the
// accessors return (participants, log entries, answer refs) is the State's own and read only.
package session

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/server"
)

// Record types of the session log (server.Record.Type).
const (
	EvCreated = "created"
	EvJoined  = "joined"
	EvRemoved = "removed"
	EvStarted = "started"
	EvAdvance = "advance"
	EvOpen    = "open"
	EvClose   = "close"
	EvDecide  = "decide"
	EvAnswer  = "answer"
	EvRubric  = "rubric"
	EvReveal  = "reveal"
	EvPaused  = "paused"
	EvResumed = "resumed"
	EvEnded   = "ended"
	// EvDecided is not a record: it is published after the record whose folding decided a
	// question (a close, an answer in a self-paced world, a decide), with that record's seq.
	EvDecided = "decided"
)

// evData is the JSON payload of every record type; each uses a few fields.
type evData struct {
	Meta        *server.Meta   `json:"meta,omitempty"`
	Participant string         `json:"participant,omitempty"`
	Name        string         `json:"name,omitempty"`
	Role        string         `json:"role,omitempty"`
	Team        string         `json:"team,omitempty"`
	TokenHash   string         `json:"token_hash,omitempty"`
	World       string         `json:"world,omitempty"`
	Question    string         `json:"question,omitempty"`
	Answer      *engine.Answer `json:"answer,omitempty"`
	ID          string         `json:"id,omitempty"`    // the client's answer UUID
	AtMS        int64          `json:"at_ms,omitempty"` // world time: active time since the start
	Deadline    *time.Time     `json:"deadline,omitempty"`
	PausedMS    int64          `json:"paused_ms,omitempty"`
}

// record builds a log record. key names the one change it makes, so that the store can refuse
// to log it twice (server.Record.Key); every record the live layer writes has one.
func record(now time.Time, typ, key string, d evData) server.Record {
	b, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	return server.Record{Time: now, Type: typ, Data: b, Key: key}
}

// Participant is a participant as the log made them; read it through its methods.
type Participant struct {
	id, name, role, team, world string
	tokenHash                   string
	removed                     bool
	answers                     []AnswerRef // in order
}

// AnswerRef is an answer in the log: the client's answer id, the question and its seq.
type AnswerRef struct {
	ID       string // client UUID
	Question string
	Seq      int64
}

type world struct {
	id       string
	w        *engine.World
	opened   map[string]time.Time // question → deadline (zero: none); present once opened
	revealed map[string]bool
	events   []engine.Event // every event applied, to replay under another lens
}

// Entry is a record as clients see it, with who may see it.
type Entry struct {
	Msg         server.EventMsg
	World       string // "" : the whole session
	Participant string // "" : everyone who sees the world; else only them (and facilitators)
}

// State is a session folded from its log. Only its hub goroutine touches it.
type State struct {
	lib  *engine.Library
	scn  *engine.Scenario
	row  server.SessionRow
	meta server.Meta

	seq         int64
	started     bool
	startedAt   time.Time
	ended       bool
	paused      bool
	pausedAt    time.Time
	pausedTotal time.Duration

	parts   map[string]*Participant
	order   []*Participant
	byToken map[string]*Participant
	// Active participants by lower-case name, role and team: a join looks them up instead of
	// walking the roster, which made a room of n joins cost n².
	names, roles, teams map[string]int
	worlds              map[string]*world
	worldIDs            []string
	answers             map[string]*Participant // client answer UUID → who sent it
	keys                map[string]int64        // record key → its seq: what the log holds, by key
	rubrics             map[string]int          // participant/question → rubric records so far
	pauses              int                     // paused records so far (resumed records: pauses, or one less)
	log                 []Entry
	// aggLines caches each participant's line of the aggregates, all but whether they are
	// connected (Apply drops the lines a record may change).
	aggLines map[string]*aggLine
	// problems are records that the fold refused: a bug, or a log written by another version.
	problems []string
}

// count adds d to the active counts of p's name, role and team.
func (s *State) count(p *Participant, d int) {
	s.names[strings.ToLower(p.name)] += d
	s.roles[p.role] += d
	s.teams[p.team] += d
}

// New returns the state of a session before its first record.
func New(lib *engine.Library, row server.SessionRow) (*State, error) {
	scn := lib.Scenario(row.Scenario)
	if scn == nil {
		return nil, fmt.Errorf("session %s: scenario %q is not in the library", row.ID, row.Scenario)
	}
	meta, err := server.ParseMeta(row.Meta)
	if err != nil {
		return nil, fmt.Errorf("session %s: meta: %w", row.ID, err)
	}
	return &State{lib: lib, scn: scn, row: row, meta: meta,
		parts: map[string]*Participant{}, byToken: map[string]*Participant{},
		names: map[string]int{}, roles: map[string]int{}, teams: map[string]int{},
		worlds: map[string]*world{}, answers: map[string]*Participant{}, keys: map[string]int64{},
		rubrics: map[string]int{}}, nil
}

func (s *State) solo() bool { return s.meta.Scope == server.ScopeParticipant }

// activeAt is the world time at t: time since the start, paused time excluded.
func (s *State) activeAt(t time.Time) time.Duration {
	if !s.started {
		return 0
	}
	end := t
	if s.paused {
		end = s.pausedAt
	}
	d := end.Sub(s.startedAt) - s.pausedTotal
	return max(d, 0)
}

func (s *State) worldOf(p *Participant) string {
	switch s.meta.Scope {
	case server.ScopeTeam:
		return p.team
	case server.ScopeParticipant:
		return p.id
	}
	return "main"
}

func (s *State) newWorld(id string) {
	if s.worlds[id] != nil {
		return
	}
	s.worlds[id] = &world{id: id, w: engine.NewWorld(s.scn, engine.Config{Lens: s.meta.Lens, Solo: s.solo(), Seed: s.row.ID}),
		opened: map[string]time.Time{}, revealed: map[string]bool{}}
	s.worldIDs = append(s.worldIDs, id)
}

func (s *State) applyEngine(wd *world, ev engine.Event) error {
	if err := wd.w.Apply(ev); err != nil {
		return err
	}
	wd.events = append(wd.events, ev)
	return nil
}

// Apply folds one durable record into the state. It is the only function that changes a
// state, and it is pure: the same records give the same state, live or replayed. A record it
// cannot fold (a bug, or a log written by another version) is listed in Problems.
func (s *State) Apply(rec server.Record) {
	s.seq = rec.Seq
	if rec.Key != "" {
		s.keys[rec.Key] = rec.Seq
	}
	var d evData
	if err := json.Unmarshal(rec.Data, &d); err != nil {
		s.problems = append(s.problems, fmt.Sprintf("seq %d: %v", rec.Seq, err))
		return
	}
	at := time.Duration(d.AtMS) * time.Millisecond
	ev := Entry{Msg: server.EventMsg{Type: server.MsgEvent, Seq: rec.Seq, Kind: rec.Type, Time: rec.Time,
		World: d.World, Question: d.Question, Participant: d.Participant}, World: d.World}
	wd := s.worlds[d.World]
	decided := 0
	if wd != nil {
		decided = len(wd.w.Decisions())
	}
	var err error
	switch rec.Type {
	case EvCreated:
		if d.Meta != nil {
			s.meta = *d.Meta
		}
	case EvJoined:
		p := &Participant{id: d.Participant, name: d.Name, role: d.Role, team: d.Team, tokenHash: d.TokenHash}
		p.world = s.worldOf(p)
		s.parts[p.id] = p
		s.order = append(s.order, p)
		s.byToken[p.tokenHash] = p
		s.count(p, 1)
		if s.started && s.solo() {
			s.newWorld(p.world)
		}
		ev.Msg.Name, ev.Msg.Role, ev.Msg.Team = p.name, p.role, p.team
		// The roster is the facilitator's: sent to every participant, the joins of a room of
		// n would cost n² messages (and tell everyone who else is there).
		ev.World, ev.Participant = "", p.id
	case EvRemoved:
		if p := s.parts[d.Participant]; p != nil && !p.removed {
			p.removed = true
			s.count(p, -1)
		}
		ev.World, ev.Participant = "", d.Participant
	case EvStarted:
		s.started, s.startedAt = true, rec.Time
		switch s.meta.Scope {
		case server.ScopeShared:
			s.newWorld("main")
		case server.ScopeTeam:
			for _, t := range s.meta.Teams {
				s.newWorld(t.ID)
			}
		case server.ScopeParticipant:
			for _, p := range s.order {
				s.newWorld(p.world)
			}
		}
	case EvAdvance:
		if wd == nil {
			err = fmt.Errorf("no world %q", d.World)
			break
		}
		err = s.applyEngine(wd, engine.Event{Kind: engine.EventAdvance, At: at})
		ev.Msg.Kind = "inject"
		if in := wd.w.Current(); in != nil {
			ev.Msg.Inject = in.ID.Value
		}
	case EvOpen:
		if wd == nil {
			err = fmt.Errorf("no world %q", d.World)
			break
		}
		var dl time.Time
		if d.Deadline != nil {
			dl = *d.Deadline
		}
		wd.opened[d.Question] = dl
		ev.Msg.Deadline = d.Deadline
	case EvClose:
		if wd == nil {
			err = fmt.Errorf("no world %q", d.World)
			break
		}
		err = s.applyEngine(wd, engine.Event{Kind: engine.EventClose, At: at, Question: d.Question})
	case EvDecide:
		if wd == nil {
			err = fmt.Errorf("no world %q", d.World)
			break
		}
		err = s.applyEngine(wd, engine.Event{Kind: engine.EventDecide, At: at, Question: d.Question, Answer: d.Answer})
		ev.Msg.Answer = d.Answer
	case EvAnswer:
		p := s.parts[d.Participant]
		if wd == nil || p == nil {
			err = fmt.Errorf("no world %q or participant %q", d.World, d.Participant)
			break
		}
		err = s.applyEngine(wd, engine.Event{Kind: engine.EventAnswer, At: at, Participant: p.id, Role: p.role,
			Question: d.Question, Answer: d.Answer})
		if err == nil {
			p.answers = append(p.answers, AnswerRef{ID: d.ID, Question: d.Question, Seq: rec.Seq})
			s.answers[d.ID] = p
		}
		ev.Participant = p.id
		ev.Msg.Answer = d.Answer
	case EvRubric:
		if wd == nil {
			err = fmt.Errorf("no world %q", d.World)
			break
		}
		err = s.applyEngine(wd, engine.Event{Kind: engine.EventRubric, At: at, Participant: d.Participant,
			Question: d.Question, Answer: d.Answer})
		s.rubrics[d.Participant+"/"+d.Question]++
		ev.Participant = d.Participant
	case EvReveal:
		if wd == nil {
			err = fmt.Errorf("no world %q", d.World)
			break
		}
		wd.revealed[d.Question] = true
	case EvPaused:
		s.paused, s.pausedAt = true, rec.Time
		s.pauses++
	case EvResumed:
		p := time.Duration(d.PausedMS) * time.Millisecond
		s.paused = false
		s.pausedTotal += p
		for _, wd := range s.worlds {
			for q, dl := range wd.opened {
				if !dl.IsZero() {
					wd.opened[q] = dl.Add(p)
				}
			}
		}
	case EvEnded:
		s.ended = true
	default:
		err = fmt.Errorf("unknown record type %q", rec.Type)
	}
	if err != nil {
		s.problems = append(s.problems, fmt.Sprintf("seq %d (%s): %v", rec.Seq, rec.Type, err))
	}
	s.log = append(s.log, ev)
	// A record about one participant changes only their line of the aggregates; any other
	// may change anyone's.
	switch rec.Type {
	case EvJoined, EvAnswer, EvRubric, EvRemoved:
		delete(s.aggLines, d.Participant)
	default:
		clear(s.aggLines)
	}
	if wd != nil {
		for _, dc := range wd.w.Decisions()[decided:] {
			a := dc.Answer
			s.log = append(s.log, Entry{World: wd.id, Msg: server.EventMsg{Type: server.MsgEvent, Seq: rec.Seq,
				Kind: EvDecided, Time: rec.Time, World: wd.id, Question: dc.Question, Answer: &a, By: dc.By, Tie: dc.Tie}})
		}
	}
}

// questionState is pending (shown, not opened), open or closed.
func (s *State) questionState(wd *world, q *engine.Question) string {
	if !wd.w.IsOpen(q.ID.Value) {
		return "closed"
	}
	if _, ok := wd.opened[q.ID.Value]; ok || s.solo() {
		return "open"
	}
	return "pending"
}

func (s *State) revealed(wd *world, q string) bool {
	return wd.revealed[q] || s.solo() && wd.w.Decision(q) != nil
}

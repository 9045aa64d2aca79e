// Package live runs live sessions: one hub goroutine per session owns its worlds, folds the
// session's event log into them, and fans changes out to the session's websocket clients.
package live

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/server"
)

// Record types of the session log.
const (
	evCreated = "created"
	evJoined  = "joined"
	evRemoved = "removed"
	evStarted = "started"
	evAdvance = "advance"
	evOpen    = "open"
	evClose   = "close"
	evDecide  = "decide"
	evAnswer  = "answer"
	evRubric  = "rubric"
	evReveal  = "reveal"
	evPaused  = "paused"
	evResumed = "resumed"
	evEnded   = "ended"
	// evDecided is not a record: it is published after the record whose folding decided a
	// question (a close, an answer in a self-paced world, a decide), with that record's seq.
	evDecided = "decided"
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

type participant struct {
	id, name, role, team, world string
	tokenHash                   string
	removed                     bool
	answers                     []answerRef // in order
}

type answerRef struct {
	id       string // client UUID
	question string
	seq      int64
}

type world struct {
	id       string
	w        *engine.World
	opened   map[string]time.Time // question → deadline (zero: none); present once opened
	revealed map[string]bool
	events   []engine.Event // every event applied, to replay under another lens
}

// logged is a record as clients see it, with who may see it.
type logged struct {
	msg         server.EventMsg
	world       string // "" : the whole session
	participant string // "" : everyone who sees the world; else only them (and facilitators)
}

// state is a session folded from its log. Only its hub goroutine touches it.
type state struct {
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

	parts    map[string]*participant
	order    []*participant
	byToken  map[string]*participant
	worlds   map[string]*world
	worldIDs []string
	answers  map[string]*participant // client answer UUID → who sent it
	keys     map[string]int64        // record key → its seq: what the log holds, by key
	rubrics  map[string]int          // participant/question → rubric records so far
	pauses   int                     // paused records so far (resumed records: pauses, or one less)
	log      []logged
	// problems are records that the fold refused: a bug, or a log written by another version.
	problems []string
}

func newState(lib *engine.Library, row server.SessionRow) (*state, error) {
	scn := lib.Scenario(row.Scenario)
	if scn == nil {
		return nil, fmt.Errorf("session %s: scenario %q is not in the library", row.ID, row.Scenario)
	}
	meta, err := server.ParseMeta(row.Meta)
	if err != nil {
		return nil, fmt.Errorf("session %s: meta: %w", row.ID, err)
	}
	return &state{lib: lib, scn: scn, row: row, meta: meta,
		parts: map[string]*participant{}, byToken: map[string]*participant{},
		worlds: map[string]*world{}, answers: map[string]*participant{}, keys: map[string]int64{},
		rubrics: map[string]int{}}, nil
}

func (s *state) solo() bool { return s.meta.Scope == server.ScopeParticipant }

// activeAt is the world time at t: time since the start, paused time excluded.
func (s *state) activeAt(t time.Time) time.Duration {
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

func (s *state) worldOf(p *participant) string {
	switch s.meta.Scope {
	case server.ScopeTeam:
		return p.team
	case server.ScopeParticipant:
		return p.id
	}
	return "main"
}

func (s *state) newWorld(id string) {
	if s.worlds[id] != nil {
		return
	}
	s.worlds[id] = &world{id: id, w: engine.NewWorld(s.scn, engine.Config{Lens: s.meta.Lens, Solo: s.solo(), Seed: s.row.ID}),
		opened: map[string]time.Time{}, revealed: map[string]bool{}}
	s.worldIDs = append(s.worldIDs, id)
}

func (s *state) applyEngine(wd *world, ev engine.Event) error {
	if err := wd.w.Apply(ev); err != nil {
		return err
	}
	wd.events = append(wd.events, ev)
	return nil
}

// apply folds one committed record into the state. It is the only function that changes a
// state, and it is pure: the same records give the same state, live or replayed.
func (s *state) apply(rec server.Record) {
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
	ev := logged{msg: server.EventMsg{Type: server.MsgEvent, Seq: rec.Seq, Kind: rec.Type, Time: rec.Time,
		World: d.World, Question: d.Question, Participant: d.Participant}, world: d.World}
	wd := s.worlds[d.World]
	decided := 0
	if wd != nil {
		decided = len(wd.w.Decisions())
	}
	var err error
	switch rec.Type {
	case evCreated:
		if d.Meta != nil {
			s.meta = *d.Meta
		}
	case evJoined:
		p := &participant{id: d.Participant, name: d.Name, role: d.Role, team: d.Team, tokenHash: d.TokenHash}
		p.world = s.worldOf(p)
		s.parts[p.id] = p
		s.order = append(s.order, p)
		s.byToken[p.tokenHash] = p
		if s.started && s.solo() {
			s.newWorld(p.world)
		}
		ev.msg.Name, ev.msg.Role, ev.msg.Team = p.name, p.role, p.team
		// The roster is the facilitator's: sent to every participant, the joins of a room of
		// n would cost n² messages (and tell everyone who else is there).
		ev.world, ev.participant = "", p.id
	case evRemoved:
		if p := s.parts[d.Participant]; p != nil {
			p.removed = true
		}
		ev.world, ev.participant = "", d.Participant
	case evStarted:
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
	case evAdvance:
		if wd == nil {
			err = fmt.Errorf("no world %q", d.World)
			break
		}
		err = s.applyEngine(wd, engine.Event{Kind: engine.EventAdvance, At: at})
		ev.msg.Kind = "inject"
		if in := wd.w.Current(); in != nil {
			ev.msg.Inject = in.ID.Value
		}
	case evOpen:
		if wd == nil {
			err = fmt.Errorf("no world %q", d.World)
			break
		}
		var dl time.Time
		if d.Deadline != nil {
			dl = *d.Deadline
		}
		wd.opened[d.Question] = dl
		ev.msg.Deadline = d.Deadline
	case evClose:
		if wd == nil {
			err = fmt.Errorf("no world %q", d.World)
			break
		}
		err = s.applyEngine(wd, engine.Event{Kind: engine.EventClose, At: at, Question: d.Question})
	case evDecide:
		if wd == nil {
			err = fmt.Errorf("no world %q", d.World)
			break
		}
		err = s.applyEngine(wd, engine.Event{Kind: engine.EventDecide, At: at, Question: d.Question, Answer: d.Answer})
		ev.msg.Answer = d.Answer
	case evAnswer:
		p := s.parts[d.Participant]
		if wd == nil || p == nil {
			err = fmt.Errorf("no world %q or participant %q", d.World, d.Participant)
			break
		}
		err = s.applyEngine(wd, engine.Event{Kind: engine.EventAnswer, At: at, Participant: p.id, Role: p.role,
			Question: d.Question, Answer: d.Answer})
		if err == nil {
			p.answers = append(p.answers, answerRef{id: d.ID, question: d.Question, seq: rec.Seq})
			s.answers[d.ID] = p
		}
		ev.participant = p.id
		ev.msg.Answer = d.Answer
	case evRubric:
		if wd == nil {
			err = fmt.Errorf("no world %q", d.World)
			break
		}
		err = s.applyEngine(wd, engine.Event{Kind: engine.EventRubric, At: at, Participant: d.Participant,
			Question: d.Question, Answer: d.Answer})
		s.rubrics[d.Participant+"/"+d.Question]++
		ev.participant = d.Participant
	case evReveal:
		if wd == nil {
			err = fmt.Errorf("no world %q", d.World)
			break
		}
		wd.revealed[d.Question] = true
	case evPaused:
		s.paused, s.pausedAt = true, rec.Time
		s.pauses++
	case evResumed:
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
	case evEnded:
		s.ended = true
	default:
		err = fmt.Errorf("unknown record type %q", rec.Type)
	}
	if err != nil {
		s.problems = append(s.problems, fmt.Sprintf("seq %d (%s): %v", rec.Seq, rec.Type, err))
	}
	s.log = append(s.log, ev)
	if wd != nil {
		for _, dc := range wd.w.Decisions()[decided:] {
			a := dc.Answer
			s.log = append(s.log, logged{world: wd.id, msg: server.EventMsg{Type: server.MsgEvent, Seq: rec.Seq,
				Kind: evDecided, Time: rec.Time, World: wd.id, Question: dc.Question, Answer: &a, By: dc.By}})
		}
	}
}

// questionState is pending (shown, not opened), open or closed.
func (s *state) questionState(wd *world, q *engine.Question) string {
	if !wd.w.IsOpen(q.ID.Value) {
		return "closed"
	}
	if _, ok := wd.opened[q.ID.Value]; ok || s.solo() {
		return "open"
	}
	return "pending"
}

func (s *state) revealed(wd *world, q string) bool {
	return wd.revealed[q] || s.solo() && wd.w.Decision(q) != nil
}

package session

import (
	"time"

	"github.com/paraat-nl/paraat/server"
)

// CreatedRecord is a session's first record, with its settings.
func CreatedRecord(now time.Time, meta server.Meta) server.Record {
	return record(now, EvCreated, "created", evData{Meta: &meta})
}

// StartedRecord is the record of a session's start.
func StartedRecord(now time.Time) server.Record {
	return record(now, EvStarted, "started", evData{})
}

// Seq is the seq of the last record folded in.
func (s *State) Seq() int64 { return s.seq }

// Log is the event stream folded so far, in order: every record as clients see it, and a
// decided event after each record that decided a question.
func (s *State) Log() []Entry { return s.log }

// Logged returns the seq of the record with the key, if the log holds it.
func (s *State) Logged(key string) (int64, bool) {
	seq, ok := s.keys[key]
	return seq, ok
}

// Answerer is the participant who sent the answer with the client's answer id; nil if none.
func (s *State) Answerer(id string) *Participant { return s.answers[id] }

// Participant is the participant with the id; nil if none.
func (s *State) Participant(id string) *Participant { return s.parts[id] }

// Participants lists the participants in the order they joined, removed ones included.
func (s *State) Participants() []*Participant { return s.order }

// ByToken is the participant whose resume secret has the hash; nil if none.
func (s *State) ByToken(hash string) *Participant { return s.byToken[hash] }

// Solo reports whether every participant has a self-paced world of their own.
func (s *State) Solo() bool { return s.solo() }

// Ended reports whether the session has ended.
func (s *State) Ended() bool { return s.ended }

// Study reports whether the session is a self-study run.
func (s *State) Study() bool { return s.meta.Study }

// WorldIDs lists the ids of the worlds, in the order they began.
func (s *State) WorldIDs() []string { return s.worldIDs }

// HasWorld reports whether the world with the id has begun.
func (s *State) HasWorld(id string) bool { return s.worlds[id] != nil }

// Problems lists the records Apply could not fold.
func (s *State) Problems() []string { return s.problems }

// NextDeadline is the earliest deadline of an open question; zero if there is none, or while
// the session is paused, ended or not started.
func (s *State) NextDeadline() time.Time {
	if s.paused || s.ended || !s.started {
		return time.Time{}
	}
	var first time.Time
	for _, wd := range s.worlds {
		for q, dl := range wd.opened {
			if !dl.IsZero() && wd.w.IsOpen(q) && (first.IsZero() || dl.Before(first)) {
				first = dl
			}
		}
	}
	return first
}

// ID is the participant's id.
func (p *Participant) ID() string { return p.id }

// Name is the participant's display name.
func (p *Participant) Name() string { return p.name }

// Role is the participant's role id ("" for none).
func (p *Participant) Role() string { return p.role }

// Team is the participant's team id ("" for none).
func (p *Participant) Team() string { return p.team }

// World is the id of the participant's world.
func (p *Participant) World() string { return p.world }

// Removed reports whether the facilitator removed the participant.
func (p *Participant) Removed() bool { return p.removed }

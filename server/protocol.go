package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/paraat-nl/paraat/engine"
)

// ProtocolVersion is the version of the websocket protocol (PROTOCOL.md).
const ProtocolVersion = 2

// Websocket limits (PROTOCOL.md).
const (
	MaxMessage     = 16 << 10  // a larger message is refused with too_large
	MaxFrame       = 256 << 10 // a larger frame closes the connection (1009)
	MaxRef         = 64
	MaxNameRunes   = 40
	MessagesPerSec = 20
	MessageBurst   = 40
	MaxSeq         = 1 << 53 // exact in a JavaScript number
	MaxTimeLimitMS = 24 * 60 * 60 * 1000
	MaxList        = 100 // options, rubric items
)

// Client message types.
const (
	MsgJoin          = "join"
	MsgResume        = "resume"
	MsgWatch         = "watch"
	MsgAnswer        = "answer"
	MsgNext          = "next"
	MsgStart         = "start"
	MsgOpen          = "open"
	MsgClose         = "close"
	MsgDecide        = "decide"
	MsgReveal        = "reveal"
	MsgRubric        = "rubric"
	MsgPause         = "pause"
	MsgResumeSession = "resume_session"
	MsgRemove        = "remove"
	MsgEnd           = "end"
)

// ClientMsg is any message a client sends; which fields count depends on Type.
type ClientMsg struct {
	Type        string         `json:"type"`
	Ref         string         `json:"ref,omitempty"`
	Code        string         `json:"code,omitempty"`
	Name        string         `json:"name,omitempty"`
	Role        string         `json:"role,omitempty"`
	Team        string         `json:"team,omitempty"`
	Lang        string         `json:"lang,omitempty"`
	Token       string         `json:"token,omitempty"`
	LastSeq     int64          `json:"last_seq,omitempty"`
	Session     string         `json:"session,omitempty"`
	ID          string         `json:"id,omitempty"`
	Question    string         `json:"question,omitempty"`
	Answer      *engine.Answer `json:"answer,omitempty"`
	World       string         `json:"world,omitempty"`
	Open        bool           `json:"open,omitempty"`
	TimeLimitMS int64          `json:"time_limit_ms,omitempty"`
	Participant string         `json:"participant,omitempty"`
	Items       []string       `json:"items,omitempty"`
}

var knownTypes = map[string]bool{
	MsgJoin: true, MsgResume: true, MsgWatch: true, MsgAnswer: true, MsgNext: true,
	MsgStart: true, MsgOpen: true, MsgClose: true, MsgDecide: true, MsgReveal: true,
	MsgRubric: true, MsgPause: true, MsgResumeSession: true, MsgRemove: true, MsgEnd: true,
}

// Decode parses and checks the shape of one client message. It never panics; every refusal
// is an *Error with code bad_json, too_large or invalid.
func Decode(data []byte) (ClientMsg, error) {
	var m ClientMsg
	if len(data) > MaxMessage {
		return m, Errorf(ETooLarge, "the message is %d bytes; at most %d are allowed", len(data), MaxMessage)
	}
	if !utf8.Valid(data) {
		return m, Errorf(EBadJSON, "the message is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		// The refusal names the message it refuses when its ref can be read at all.
		var ref struct {
			Ref string `json:"ref"`
		}
		if json.Unmarshal(data, &ref) != nil || len(ref.Ref) > MaxRef {
			ref.Ref = ""
		}
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return ClientMsg{Ref: ref.Ref}, Errorf(EBadJSON, "field %q has the wrong type", ute.Field)
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return ClientMsg{Ref: ref.Ref}, Errorf(EBadJSON, "unknown field %s: not part of the protocol", truncate(f, 60))
		}
		return ClientMsg{Ref: ref.Ref}, Errorf(EBadJSON, "malformed JSON: %v", err)
	}
	if dec.More() {
		return ClientMsg{}, Errorf(EBadJSON, "one JSON object per message")
	}
	if m.Type == "" {
		return ClientMsg{}, Errorf(EBadJSON, "the message has no type")
	}
	if !knownTypes[m.Type] {
		return ClientMsg{}, Errorf(EBadJSON, "unknown message type %q", truncate(m.Type, 40))
	}
	if len(m.Ref) > MaxRef {
		return ClientMsg{}, Errorf(EInvalid, "ref is longer than %d bytes", MaxRef)
	}
	if m.LastSeq < 0 || m.TimeLimitMS < 0 {
		return m, Errorf(EInvalid, "negative numbers are not allowed")
	}
	// Bounded so that no number overflows where it becomes a duration or a sequence.
	if m.LastSeq > MaxSeq {
		return m, Errorf(EInvalid, "last_seq is larger than %d", int64(MaxSeq))
	}
	if m.TimeLimitMS > MaxTimeLimitMS {
		return m, Errorf(EInvalid, "time_limit_ms is larger than %d (a day)", MaxTimeLimitMS)
	}
	if len(m.Items) > MaxList || m.Answer != nil && (len(m.Answer.Options) > MaxList || len(m.Answer.Items) > MaxList) {
		return m, Errorf(EInvalid, "a list has more than %d entries", MaxList)
	}
	switch m.Type {
	case MsgJoin:
		if m.Code == "" {
			return m, Errorf(EInvalid, "join needs a code")
		}
		// The id becomes the participant's resume secret: only a random (version 4) UUID will do.
		if u, err := uuid.Parse(m.ID); m.ID != "" && (err != nil || len(m.ID) != 36 || u.Version() != 4) {
			return m, Errorf(EInvalid, "a join id must be a random UUID (version 4) generated by the client")
		}
	case MsgResume:
		if m.Token == "" {
			return m, Errorf(EInvalid, "resume needs a token")
		}
	case MsgWatch:
		if m.Session == "" {
			return m, Errorf(EInvalid, "watch needs a session")
		}
	case MsgAnswer:
		if _, err := uuid.Parse(m.ID); err != nil || len(m.ID) != 36 {
			return m, Errorf(EInvalid, "an answer needs an id: a UUID generated by the client")
		}
		if m.Question == "" || m.Answer == nil {
			return m, Errorf(EInvalid, "an answer needs a question and an answer")
		}
	case MsgDecide:
		if m.Question == "" || m.Answer == nil {
			return m, Errorf(EInvalid, "decide needs a question and an answer")
		}
	case MsgClose, MsgReveal:
		if m.Question == "" {
			return m, Errorf(EInvalid, "%s needs a question", m.Type)
		}
	case MsgRubric:
		if m.Question == "" || m.Participant == "" {
			return m, Errorf(EInvalid, "rubric needs a participant and a question")
		}
	case MsgRemove:
		if m.Participant == "" {
			return m, Errorf(EInvalid, "remove needs a participant")
		}
	}
	return m, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Server message types.
const (
	MsgWelcome    = "welcome"
	MsgSnapshot   = "snapshot"
	MsgEvent      = "event"
	MsgWorld      = "world"
	MsgMe         = "me"
	MsgAck        = "ack"
	MsgError      = "error"
	MsgAggregates = "aggregates"
)

// Close codes (PROTOCOL.md).
const (
	CloseEnded        = 4000
	CloseRemoved      = 4001
	CloseSlowConsumer = 4008
	CloseNoHello      = 4009
)

// Welcome answers a successful join, resume or watch.
type Welcome struct {
	Type        string `json:"type"`
	Seq         int64  `json:"seq"`
	V           int    `json:"v"`
	Session     string `json:"session"`
	Participant string `json:"participant,omitempty"`
	Token       string `json:"token,omitempty"`
	Name        string `json:"name,omitempty"`
	Role        string `json:"role,omitempty"`
	Team        string `json:"team,omitempty"`
	World       string `json:"world,omitempty"`
	Facilitator bool   `json:"facilitator"`
}

// Snapshot is the whole current view of a client.
type Snapshot struct {
	Type       string      `json:"type"`
	Seq        int64       `json:"seq"`
	Session    SessionView `json:"session"`
	World      *WorldView  `json:"world,omitempty"`
	Me         *MeView     `json:"me,omitempty"`
	Worlds     []WorldView `json:"worlds,omitempty"`
	Aggregates *Aggregates `json:"aggregates,omitempty"`
}

// SessionView describes a session in a snapshot.
type SessionView struct {
	ID       string     `json:"id"`
	Title    Text       `json:"title"`
	Scenario string     `json:"scenario"`
	Kind     string     `json:"kind"`
	Lens     string     `json:"lens"`
	Scope    string     `json:"scope"`
	Phase    string     `json:"phase"`
	Paused   bool       `json:"paused"`
	Roles    []RoleView `json:"roles"`
	Teams    []RoleView `json:"teams"`
}

// RoleView is a role or a team.
type RoleView struct {
	ID   string `json:"id"`
	Name Text   `json:"name"`
}

// EventMsg is one entry of the session log as a client sees it.
type EventMsg struct {
	Type        string         `json:"type"`
	Seq         int64          `json:"seq"`
	Kind        string         `json:"kind"`
	Time        time.Time      `json:"time"`
	World       string         `json:"world,omitempty"`
	Question    string         `json:"question,omitempty"`
	Inject      string         `json:"inject,omitempty"`
	Participant string         `json:"participant,omitempty"`
	Name        string         `json:"name,omitempty"`
	Role        string         `json:"role,omitempty"`
	Team        string         `json:"team,omitempty"`
	Deadline    *time.Time     `json:"deadline,omitempty"`
	Answer      *engine.Answer `json:"answer,omitempty"`
	// By says who took a decision (kind decided): majority, role:<id>, facilitator, participant.
	By string `json:"by,omitempty"`
	// Tie, on a decided event, names the options a majority was tied between and the rule
	// that settled it (engine.Tie).
	Tie *engine.Tie `json:"tie,omitempty"`
	// Sent is when the server published the event live; absent when it is replayed after a
	// resume. Clients can measure delivery with it.
	Sent *time.Time `json:"sent,omitempty"`
}

// WorldMsg carries a world's new view.
type WorldMsg struct {
	Type  string    `json:"type"`
	Seq   int64     `json:"seq"`
	World WorldView `json:"world"`
}

// MeMsg carries a participant's new private view.
type MeMsg struct {
	Type string `json:"type"`
	Seq  int64  `json:"seq"`
	Me   MeView `json:"me"`
}

// Ack acknowledges a durable answer or command.
type Ack struct {
	Type      string `json:"type"`
	Seq       int64  `json:"seq"`
	Ref       string `json:"ref,omitempty"`
	ID        string `json:"id,omitempty"`
	Question  string `json:"question,omitempty"`
	Duplicate bool   `json:"duplicate"`
	// Mine, on the ack of a new answer, is that answer as the participant's view (MeView)
	// now holds it; the connection that sent the answer then gets no answer event and no
	// me message for it.
	Mine *MyAnswer `json:"mine,omitempty"`
}

// ErrorMsg is a refusal. A refusal by a limit says when to retry and carries the reference
// the server logs it under.
type ErrorMsg struct {
	Type         string    `json:"type"`
	Seq          int64     `json:"seq"`
	Ref          string    `json:"ref,omitempty"`
	Code         ErrorCode `json:"code"`
	Message      string    `json:"message"`
	RetryAfterMS int64     `json:"retry_after_ms,omitempty"`
	Reference    string    `json:"reference,omitempty"`
}

// AggregatesMsg carries the facilitator's live overview.
type AggregatesMsg struct {
	Type       string     `json:"type"`
	Seq        int64      `json:"seq"`
	Aggregates Aggregates `json:"aggregates"`
}

// InjectView is an inject as participants see it.
type InjectView struct {
	ID    string `json:"id"`
	Clock string `json:"clock,omitempty"`
	// ClockText is the clock label in both languages, when the scenario translates it.
	ClockText *Text `json:"clock_text,omitempty"`
	Title     Text  `json:"title"`
	Text      Text  `json:"text"`
	// RoleTexts are what participants of some roles read instead of Text.
	RoleTexts []RoleTextView `json:"role_texts,omitempty"`
}

// RoleTextView is an inject's text for the participants of some roles.
type RoleTextView struct {
	Roles []string `json:"roles"`
	Text  Text     `json:"text"`
}

// InjectViewOf describes an inject for its participants, with every role's own text and the
// clock label in both languages.
func InjectViewOf(in *engine.Inject) InjectView {
	v := InjectView{ID: in.ID.Value, Clock: in.Clock, Title: T(in.Title), Text: T(in.Text)}
	if nl, en := in.ClockIn("nl"), in.ClockIn("en"); nl != en {
		v.ClockText = &Text{NL: nl, EN: en}
	}
	for _, rt := range in.RoleText {
		rv := RoleTextView{Roles: []string{}, Text: T(rt.Text)}
		for _, r := range rt.Roles {
			rv.Roles = append(rv.Roles, r.Value)
		}
		v.RoleTexts = append(v.RoleTexts, rv)
	}
	return v
}

// OptionView is an option; Feedback only once revealed.
type OptionView struct {
	ID       string `json:"id"`
	Text     Text   `json:"text"`
	Feedback *Text  `json:"feedback,omitempty"`
}

// ItemView is a rubric item.
type ItemView struct {
	ID     string  `json:"id"`
	Text   Text    `json:"text"`
	Points float64 `json:"points"`
}

// QuestionView is a question without anything that gives the answer away.
type QuestionView struct {
	ID          string       `json:"id"`
	Type        string       `json:"type"`
	Prompt      Text         `json:"prompt"`
	Roles       []string     `json:"roles"`
	Decides     string       `json:"decides"`
	TimeLimitMS int64        `json:"time_limit_ms"`
	Points      float64      `json:"points"`
	Unit        *Text        `json:"unit,omitempty"`
	Options     []OptionView `json:"options,omitempty"`
	Rubric      []ItemView   `json:"rubric,omitempty"`
}

// LiveQuestion is a question of a world's current inject with its live state.
type LiveQuestion struct {
	QuestionView
	State       string         `json:"state"` // pending, open, closed
	Deadline    *time.Time     `json:"deadline,omitempty"`
	RemainingMS *int64         `json:"remaining_ms,omitempty"`
	Decision    *engine.Answer `json:"decision"`
	DecidedBy   string         `json:"decided_by,omitempty"`
	Tie         *engine.Tie    `json:"tie,omitempty"` // a tied majority and how it was settled
	Revealed    bool           `json:"revealed"`
	Feedback    *Text          `json:"feedback"`
	Score       *engine.Score  `json:"score,omitempty"` // the decision's score, once revealed
}

// ValueView is a state variable's value.
type ValueView struct {
	Name  string `json:"name"`
	Label Text   `json:"label"`
	Value any    `json:"value"`
}

// EndingView is an ending.
type EndingView struct {
	ID    string `json:"id"`
	Title Text   `json:"title"`
	Text  Text   `json:"text"`
}

// WorldView is a world as its participants see it.
type WorldView struct {
	ID        string         `json:"id"`
	Inject    *InjectView    `json:"inject"`
	Questions []LiveQuestion `json:"questions"`
	State     []ValueView    `json:"state"`
	Path      []string       `json:"path"`
	Ended     bool           `json:"ended"`
	Ending    *EndingView    `json:"ending"`
}

// StatementView is a quoted policy statement behind a score.
type StatementView struct {
	ID       string  `json:"id"`
	Quote    string  `json:"quote"`
	Section  string  `json:"section"`
	Summary  Text    `json:"summary"`
	Document DocView `json:"document"`
	Supports bool    `json:"supports"`
	Via      string  `json:"via,omitempty"`
	Chosen   bool    `json:"chosen,omitempty"`
}

// DocView names a policy document.
type DocView struct {
	Lens  string `json:"lens"`
	Title Text   `json:"title"`
	Year  int    `json:"year"`
}

// MyAnswer is one of a participant's own answers.
type MyAnswer struct {
	Question   string          `json:"question"`
	ID         string          `json:"id"`
	Answer     engine.Answer   `json:"answer"`
	Seq        int64           `json:"seq"`
	Score      *engine.Score   `json:"score"`
	Statements []StatementView `json:"statements"`
}

// MeView is a participant's private view.
type MeView struct {
	Answers []MyAnswer    `json:"answers"`
	Total   *engine.Total `json:"total"`
}

// Aggregates is the facilitator's live overview.
type Aggregates struct {
	Participants []ParticipantAgg `json:"participants"`
	Teams        []TeamAgg        `json:"teams"`
	Questions    []QuestionAgg    `json:"questions"`
	Worlds       []WorldAgg       `json:"worlds"`
}

// ParticipantAgg is one participant in the aggregates.
type ParticipantAgg struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	Role      string       `json:"role,omitempty"`
	Team      string       `json:"team,omitempty"`
	World     string       `json:"world"`
	Connected bool         `json:"connected"`
	Removed   bool         `json:"removed,omitempty"`
	Answered  []string     `json:"answered"`
	Total     engine.Total `json:"total"`
}

// TeamAgg is one team's total.
type TeamAgg struct {
	ID    string       `json:"id"`
	Total engine.Total `json:"total"`
}

// QuestionAgg is the live state of one question in one world.
type QuestionAgg struct {
	World        string         `json:"world"`
	Question     string         `json:"question"`
	State        string         `json:"state"`
	Answered     int            `json:"answered"`
	Asked        int            `json:"asked"`
	Distribution map[string]int `json:"distribution"`
}

// WorldAgg is one world's state and path.
type WorldAgg struct {
	ID     string         `json:"id"`
	Inject string         `json:"inject,omitempty"`
	Path   []string       `json:"path"`
	State  []engine.Value `json:"state"`
	Ended  bool           `json:"ended"`
	Ending string         `json:"ending,omitempty"`
	Total  engine.Total   `json:"total"`
}

// MarshalMsg encodes a server message; it cannot fail for the types of this file.
func MarshalMsg(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("server: encoding %T: %v", v, err))
	}
	return b
}

// Text is a user-facing text in both languages.
type Text struct {
	NL string `json:"nl"`
	EN string `json:"en"`
}

// T converts a scenario text.
func T(t engine.Text) Text { return Text{NL: t.NL, EN: t.EN} }

// TP converts a scenario text to a pointer, nil when empty.
func TP(t engine.Text) *Text {
	if t.Empty() {
		return nil
	}
	return &Text{NL: t.NL, EN: t.EN}
}

package server

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/paraat-nl/paraat/engine"
)

// Scopes: how many worlds a session has.
const (
	ScopeShared      = "shared"      // one world for the room
	ScopeTeam        = "team"        // one world per team
	ScopeParticipant = "participant" // one world per participant, self-paced
)

// Meta is what a session keeps besides its log (SessionRow.Meta).
type Meta struct {
	Lens  string     `json:"lens"`
	Scope string     `json:"scope"`
	Teams []RoleView `json:"teams,omitempty"`
	Roles []string   `json:"roles,omitempty"`
	Study bool       `json:"study,omitempty"` // a self-study run
}

// ParseMeta decodes SessionRow.Meta.
func ParseMeta(b []byte) (Meta, error) {
	var m Meta
	err := json.Unmarshal(b, &m)
	return m, err
}

// CreateSession is the body of POST /api/sessions.
type CreateSession struct {
	Scenario    string     `json:"scenario"`
	Lens        string     `json:"lens"`
	Scope       string     `json:"scope"`
	Teams       []RoleView `json:"teams"`
	Roles       []string   `json:"roles"`
	ExpiresInMS int64      `json:"expires_in_ms"`
}

// Bounds of CreateSession (SECURITY.md).
const (
	MaxExpiresInMS = 7 * 24 * 60 * 60 * 1000
	MaxTeams       = 50
)

// Check bounds the numbers and lists of a request before anything multiplies or walks them:
// expires_in_ms in particular would overflow as a duration.
func (c CreateSession) Check() error {
	if c.ExpiresInMS < 0 || c.ExpiresInMS > MaxExpiresInMS {
		return Errorf(EInvalid, "expires_in_ms must be between a minute and 7 days")
	}
	if len(c.Teams) > MaxTeams || len(c.Roles) > MaxList {
		return Errorf(EInvalid, "at most %d teams and %d roles", MaxTeams, MaxList)
	}
	return nil
}

// StudyRequest is the body of POST /api/study.
type StudyRequest struct {
	Scenario string `json:"scenario"`
	Lens     string `json:"lens"`
	Name     string `json:"name"`
}

// StudyStart answers POST /api/study.
type StudyStart struct {
	Session     string `json:"session"`
	Participant string `json:"participant"`
	Token       string `json:"token"`
}

// Live is the live layer the HTTP handlers drive (implemented by server/live): sessions,
// their hubs and websocket connections, and reports.
type Live interface {
	// Create stores a new session owned by owner and returns it.
	Create(ctx context.Context, owner string, req CreateSession) (SessionRow, error)
	// Study starts a self-study run.
	Study(ctx context.Context, req StudyRequest) (StudyStart, error)
	// Serve runs one websocket connection until it closes. user is the logged-in
	// facilitator, or nil.
	Serve(ctx context.Context, ws *websocket.Conn, user *User)
	// Report computes a session's after-action report from its log.
	Report(ctx context.Context, id string) (*Report, error)
	// StudyReport finds a self-study run by its resume token and computes its report.
	StudyReport(ctx context.Context, token string) (*Report, error)
	// Shutdown stops every hub and closes every connection; safe to call twice.
	Shutdown(ctx context.Context) error
}

// SessionInfo describes a session over HTTP.
type SessionInfo struct {
	ID       string     `json:"id"`
	Code     string     `json:"code"`
	JoinURL  string     `json:"join_url,omitempty"`
	Scenario string     `json:"scenario"`
	Title    Text       `json:"title"`
	Lens     string     `json:"lens"`
	Scope    string     `json:"scope"`
	Teams    []RoleView `json:"teams"`
	Roles    []RoleView `json:"roles"`
	Owner    string     `json:"owner"`
	Created  time.Time  `json:"created"`
	Expires  time.Time  `json:"expires"`
	Ended    bool       `json:"ended"`
	Study    bool       `json:"study,omitempty"`
}

// Info describes a session row for clients; baseURL ("" to leave out the link) makes the
// join link.
func Info(row SessionRow, lib *engine.Library, baseURL string) SessionInfo {
	m, _ := ParseMeta(row.Meta)
	in := SessionInfo{ID: row.ID, Code: FormatCode(row.Code), Scenario: row.Scenario, Lens: m.Lens,
		Scope: m.Scope, Teams: m.Teams, Owner: row.Owner, Created: row.Created, Expires: row.Expires,
		Ended: row.Ended, Study: m.Study}
	if baseURL != "" && row.Code != "" {
		in.JoinURL = strings.TrimSuffix(baseURL, "/") + "/join/" + FormatCode(row.Code)
	}
	if in.Teams == nil {
		in.Teams = []RoleView{}
	}
	in.Roles = []RoleView{}
	if s := lib.Scenario(row.Scenario); s != nil {
		in.Title = T(s.Title)
		in.Roles = RolesOf(s, m.Roles)
	}
	return in
}

// RolesOf returns the scenario's roles, restricted to ids when given.
func RolesOf(s *engine.Scenario, ids []string) []RoleView {
	out := []RoleView{}
	for _, r := range s.Roles {
		if len(ids) > 0 && !contains(ids, r.ID.Value) {
			continue
		}
		out = append(out, RoleView{ID: r.ID.Value, Name: T(r.Name)})
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// codeAlphabet has no characters that look alike (0/O, 1/I/L).
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// CodeLen is the length of a join code: 31^8 ≈ 2^40 codes.
const CodeLen = 8

// NewCode returns a random join code (without the dash).
func NewCode() string {
	b := make([]byte, CodeLen)
	rand.Read(b)
	for i := range b {
		// 256 % 31 != 0: a tiny bias towards the first characters; reject to remove it.
		for b[i] >= 248 {
			var one [1]byte
			rand.Read(one[:])
			b[i] = one[0]
		}
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}

// NormalizeCode uppercases a code as typed and drops dashes and spaces; "" if it cannot be
// a code.
func NormalizeCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ':
			continue
		case strings.ContainsRune(codeAlphabet, r):
			b.WriteRune(r)
		default:
			return ""
		}
	}
	if b.Len() != CodeLen {
		return ""
	}
	return b.String()
}

// FormatCode shows a join code as two groups of four characters joined by a dash, e.g. BEWC-SW7P.
func FormatCode(c string) string {
	if len(c) != CodeLen {
		return c
	}
	return c[:4] + "-" + c[4:]
}

// QuestionViewOf describes a question without its scores, citations or feedback, with its
// options in the order given (the shown order of a world, engine.World.Shown).
func QuestionViewOf(q *engine.Question, shown []*engine.Option) QuestionView {
	v := QuestionView{ID: q.ID.Value, Type: q.Type, Prompt: T(q.Prompt), Roles: []string{},
		Decides: q.DecidedBy(), TimeLimitMS: q.TimeLimit.Milliseconds(), Points: q.Points, Unit: TP(q.Unit)}
	for _, r := range q.Roles {
		v.Roles = append(v.Roles, r.Value)
	}
	for _, o := range shown {
		v.Options = append(v.Options, OptionView{ID: o.ID.Value, Text: T(o.Text)})
	}
	for _, it := range q.Rubric {
		v.Rubric = append(v.Rubric, ItemView{ID: it.ID.Value, Text: T(it.Text), Points: it.Points})
	}
	return v
}

// StatementsOf quotes the policy statements behind a score.
func StatementsOf(c *engine.Corpus, s *engine.Score) []StatementView {
	out := []StatementView{}
	if s == nil {
		return out
	}
	for _, ci := range s.Citations {
		st := c.Statement(ci.Statement)
		if st == nil {
			continue
		}
		out = append(out, StatementView{ID: st.ID, Quote: st.Quote, Section: st.Section, Summary: T(st.Summary),
			Document: DocView{Lens: st.Lens(), Title: T(st.Doc.Title), Year: st.Doc.Year},
			Supports: ci.Supports, Via: ci.Via, Chosen: ci.Chosen})
	}
	return out
}

package server

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/paraat-nl/paraat/engine"
)

// ---- accounts ----

type meResponse struct {
	User  string `json:"user"`
	Admin bool   `json:"admin"`
	CSRF  string `json:"csrf"`
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if !s.originOK(r) {
		writeErr(w, Errorf(EForbidden, originRefused))
		return
	}
	var req struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		writeErr(w, err)
		return
	}
	id, l, err := s.auth.Login(r.Context(), req.Name, req.Password, s.clientAddr(r))
	if err != nil {
		s.refuse(w, r, err)
		return
	}
	s.auth.cookie(w, id, int(s.auth.ttl/time.Second))
	writeJSON(w, http.StatusOK, meResponse{User: l.user.Name, Admin: l.user.Admin, CSRF: l.csrf})
}

// handleLogout ends every login of the user, on every device, and closes the user's
// websockets: logging out is what a facilitator does on leaving a shared computer, and what
// an operator has them do when a password may have leaked.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, l *login) {
	s.endUser(l.user.Name)
	s.auth.cookie(w, "", -1)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request, l *login) {
	writeJSON(w, http.StatusOK, meResponse{User: l.user.Name, Admin: l.user.Admin, CSRF: l.csrf})
}

// ---- library ----

// ScenarioSummary describes a scenario in the list.
type ScenarioSummary struct {
	ID         string     `json:"id"`
	Kind       string     `json:"kind"`
	Title      Text       `json:"title"`
	Summary    Text       `json:"summary"`
	Lens       string     `json:"lens"`
	DurationMS int64      `json:"duration_ms"`
	Roles      []RoleView `json:"roles"`
	Teams      []RoleView `json:"teams"`
	Questions  int        `json:"questions"`
}

// BranchView is an edge of the branch graph.
type BranchView struct {
	When string `json:"when"`
	Goto string `json:"goto"`
}

// InjectDetail is an inject in the scenario detail.
type InjectDetail struct {
	ID        string         `json:"id"`
	Clock     string         `json:"clock,omitempty"`
	Title     Text           `json:"title"`
	Text      Text           `json:"text"`
	Questions []QuestionView `json:"questions"`
	Next      []BranchView   `json:"next"`
}

// RuleView is a rule in the scenario detail.
type RuleView struct {
	ID     string `json:"id"`
	When   string `json:"when"`
	Inject string `json:"inject,omitempty"`
}

// ScenarioDetail is a scenario with its branch graph.
type ScenarioDetail struct {
	ScenarioSummary
	Start   string         `json:"start"`
	Injects []InjectDetail `json:"injects"`
	Rules   []RuleView     `json:"rules"`
	Endings []EndingView   `json:"endings"`
}

func summaryOf(sc *engine.Scenario) ScenarioSummary {
	v := ScenarioSummary{ID: sc.ID.Value, Kind: sc.Kind, Title: T(sc.Title), Summary: T(sc.Summary), Lens: sc.Lens.Value,
		DurationMS: sc.Duration.Milliseconds(), Roles: RolesOf(sc, nil), Teams: []RoleView{}, Questions: len(sc.Questions())}
	for _, t := range sc.Teams {
		v.Teams = append(v.Teams, RoleView{ID: t.ID.Value, Name: T(t.Name)})
	}
	return v
}

func (s *Server) handleScenarios(w http.ResponseWriter, r *http.Request) {
	type lensView struct {
		ID    string `json:"id"`
		Title Text   `json:"title"`
	}
	out := struct {
		Scenarios []ScenarioSummary `json:"scenarios"`
		Lenses    []lensView        `json:"lenses"`
	}{Scenarios: []ScenarioSummary{}, Lenses: []lensView{}}
	for _, sc := range s.lib().Scenarios {
		out.Scenarios = append(out.Scenarios, summaryOf(sc))
	}
	for _, id := range s.lib().Corpus.Lenses() {
		out.Lenses = append(out.Lenses, lensView{ID: id, Title: T(s.lib().Corpus.Lens(id).Title())})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleScenario(w http.ResponseWriter, r *http.Request) {
	sc := s.lib().Scenario(r.PathValue("id"))
	if sc == nil {
		writeErr(w, Errorf(ENotFound, "no scenario %q", r.PathValue("id")))
		return
	}
	// Options come in the order a session shows them: ?seed= is the session's id (a preview
	// without one uses the scenario's id).
	seed := cmp.Or(r.URL.Query().Get("seed"), sc.ID.Value)
	d := ScenarioDetail{ScenarioSummary: summaryOf(sc), Start: sc.Start.Value, Injects: []InjectDetail{},
		Rules: []RuleView{}, Endings: []EndingView{}}
	for _, in := range sc.Injects {
		id := InjectDetail{ID: in.ID.Value, Clock: in.Clock, Title: T(in.Title), Text: T(in.Text),
			Questions: []QuestionView{}, Next: []BranchView{}}
		for _, q := range in.Questions {
			id.Questions = append(id.Questions, QuestionViewOf(q, engine.ShownOrder(q, seed)))
		}
		for _, b := range in.Next {
			id.Next = append(id.Next, BranchView{When: b.When.Text, Goto: b.Goto.Value})
		}
		d.Injects = append(d.Injects, id)
	}
	for _, ru := range sc.Rules {
		d.Rules = append(d.Rules, RuleView{ID: ru.ID.Value, When: ru.When.Text, Inject: ru.Inject.Value})
	}
	for _, e := range sc.Endings {
		d.Endings = append(d.Endings, EndingView{ID: e.ID.Value, Title: T(e.Title), Text: T(e.Text)})
	}
	writeJSON(w, http.StatusOK, d)
}

// ---- sessions ----

func (s *Server) handleCreateSession(w http.ResponseWriter, r *http.Request, l *login) {
	var req CreateSession
	if err := decodeBody(w, r, &req); err != nil {
		writeErr(w, err)
		return
	}
	if err := req.Check(); err != nil {
		writeErr(w, err)
		return
	}
	row, err := s.cfg.Live.Create(r.Context(), l.user.Name, req)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, Info(row, s.lib(), s.baseURL(r)))
}

func (s *Server) handleSessions(w http.ResponseWriter, r *http.Request, l *login) {
	owner := l.user.Name
	if l.user.Admin {
		owner = ""
	}
	rows, err := s.cfg.Store.Sessions(r.Context(), owner)
	if err != nil {
		writeErr(w, err)
		return
	}
	out := []SessionInfo{}
	for _, row := range rows {
		if m, err := ParseMeta(row.Meta); err == nil && m.Study {
			continue
		}
		out = append(out, Info(row, s.lib(), s.baseURL(r)))
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
}

func (s *Server) handleSession(w http.ResponseWriter, r *http.Request, l *login, row SessionRow) {
	writeJSON(w, http.StatusOK, Info(row, s.lib(), s.baseURL(r)))
}

func (s *Server) handleJoinLookup(w http.ResponseWriter, r *http.Request) {
	right, err := s.cfg.Codes.Try(s.clientAddr(r))
	if err != nil {
		s.refuse(w, r, err)
		return
	}
	code := NormalizeCode(r.PathValue("code"))
	if code == "" {
		writeErr(w, Errorf(ENotFound, "no session with this code"))
		return
	}
	row, err := s.cfg.Store.SessionByCode(r.Context(), code)
	if errors.Is(err, ErrNotFound) {
		writeErr(w, Errorf(ENotFound, "no session with code %s", FormatCode(code)))
		return
	}
	right()
	if err != nil {
		writeErr(w, err)
		return
	}
	m, _ := ParseMeta(row.Meta)
	if row.Ended || m.Study || s.cfg.Now().After(row.Expires) {
		writeErr(w, Errorf(EExpired, "this join code has expired"))
		return
	}
	in := Info(row, s.lib(), "")
	writeJSON(w, http.StatusOK, map[string]any{"session": row.ID, "title": in.Title, "scenario": row.Scenario,
		"scope": in.Scope, "roles": in.Roles, "teams": in.Teams})
}

func (s *Server) handleStudy(w http.ResponseWriter, r *http.Request) {
	if !s.originOK(r) {
		writeErr(w, Errorf(EForbidden, originRefused))
		return
	}
	var req StudyRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeErr(w, err)
		return
	}
	// Every run is a session in the store: an address may start a classroom's worth a
	// minute, not fill the disk.
	if _, wait := s.studies.book(host(s.clientAddr(r))); wait > 0 {
		s.refuse(w, r, Limited(ERateLimited, wait, "more than %d self-study runs a minute from this address; wait a moment", s.cfg.StudyPerMinute))
		return
	}
	st, err := s.cfg.Live.Study(r.Context(), req)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, st)
}

// ---- reports ----

func (s *Server) report(w http.ResponseWriter, r *http.Request, row SessionRow) *Report {
	rep, err := s.cfg.Live.Report(r.Context(), row.ID)
	if err != nil {
		writeErr(w, err)
		return nil
	}
	rep.Session.JoinURL = ""
	AddDebrief(s.cfg.Library, rep)
	return rep
}

func (s *Server) handleReportJSON(w http.ResponseWriter, r *http.Request, l *login, row SessionRow) {
	if rep := s.report(w, r, row); rep != nil {
		writeJSON(w, http.StatusOK, rep)
	}
}

func (s *Server) handleReportCSV(w http.ResponseWriter, r *http.Request, l *login, row SessionRow) {
	if rep := s.report(w, r, row); rep != nil {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Disposition", `attachment; filename="paraat-`+row.ID+`.csv"`)
		rep.WriteCSV(w)
	}
}

func (s *Server) handleReportHTML(w http.ResponseWriter, r *http.Request, l *login, row SessionRow) {
	if rep := s.report(w, r, row); rep != nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
		lang := r.URL.Query().Get("lang")
		if lang == "" && strings.HasPrefix(strings.ToLower(r.Header.Get("Accept-Language")), "nl") {
			lang = "nl"
		} else if lang == "" {
			lang = "en"
		}
		rep.WriteHTML(w, s.cfg.Library, lang)
	}
}

func (s *Server) handleStudyReport(w http.ResponseWriter, r *http.Request) {
	rep, err := s.cfg.Live.StudyReport(r.Context(), r.URL.Query().Get("token"))
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// ---- websocket ----

func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	var user *User
	if _, l := s.auth.session(r); l != nil && s.current(r.Context(), l) {
		u := l.user
		user = &u
	}
	addr := s.clientAddr(r)
	if err := s.conns.take(addr); err != nil {
		s.refuse(w, r, err)
		return
	}
	// The socket is read through a frameConn (wsconn.go): an idle connection holds no read
	// buffer, and its reader waits in a shallow stack.
	ws, err := s.upgrader.Upgrade(hijackFramed{w}, r, nil)
	if err != nil {
		s.conns.give(addr)
		return // the upgrader has answered
	}
	if user != nil {
		s.sockets.add(user.Name, ws)
	}
	// The connection outlives the request: it stops when the client or the live layer closes it.
	// It runs on a goroutine of its own so that this one returns and net/http lets go of the
	// request's buffers and deep stack: with thousands of connections that is most of the
	// memory each costs. For the same reason its context is a new one with the client's
	// address, not the request's (which holds net/http's contexts of the request and the
	// connection).
	ctx := WithClientAddr(context.Background(), addr)
	go func() {
		s.cfg.Live.Serve(ctx, ws, user)
		if user != nil {
			s.sockets.remove(user.Name, ws)
		}
		s.conns.give(addr)
	}()
}

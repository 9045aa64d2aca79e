package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/paraat-nl/paraat/engine/analyze"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/paraat-nl/paraat/engine"
)

// Config is everything the HTTP server needs; cmd/paraat builds it from flags.
type Config struct {
	Store   Store
	Library *engine.Library
	Live    Live
	Web     fs.FS // the browser UI, served at /
	// Origins are the origins allowed besides the server's own (scheme://host:port).
	Origins []string
	// SecureCookies sets the Secure flag on the login cookie (behind TLS).
	SecureCookies bool
	// BaseURL is the public URL used in join links; empty: derived from each request.
	BaseURL string
	Logger  *slog.Logger
	Now     func() time.Time
	// Codes limits wrong join codes per address; share it with the live layer so that the
	// HTTP lookup and the websocket join count together. Nil: a guard of the server's own.
	Codes *CodeGuard
	// KDF are the argon2id parameters of new password hashes; the server uses them for the
	// hash it checks unknown names against. Zero: DefaultKDF.
	KDF KDF
	// LoginMemoryMiB bounds the memory password checks take at once (DefaultLoginMemoryMiB).
	LoginMemoryMiB int
	// TrustedProxies are the addresses of reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto headers are believed; from anyone else those headers are ignored.
	TrustedProxies []netip.Prefix
	// MaxConnsPerAddr and MaxConns cap open websockets per client address and in all
	// (DefaultMaxConnsPerAddr, DefaultMaxConns).
	MaxConnsPerAddr, MaxConns int
	// StudyPerMinute caps the self-study runs one address may start a minute
	// (DefaultStudyPerMinute).
	StudyPerMinute int
}

// Defaults of the limits in Config (SECURITY.md).
const (
	// A room behind one NAT shares an address: the cap per address leaves room for a large
	// hall, the overall cap for the measured 10,000 participants.
	DefaultMaxConnsPerAddr = 1000
	DefaultMaxConns        = 20000
	DefaultStudyPerMinute  = 120
)

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("no store"))
	}
	if c.Library == nil {
		errs = append(errs, errors.New("no library"))
	}
	if c.Live == nil {
		errs = append(errs, errors.New("no live layer"))
	}
	for _, o := range c.Origins {
		u, err := url.Parse(o)
		if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Path != "" && u.Path != "/" {
			errs = append(errs, fmt.Errorf("origin %q: want http(s)://host[:port]", o))
		}
	}
	if c.KDF != (KDF{}) {
		if err := c.KDF.check(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.LoginMemoryMiB < 0 || c.MaxConnsPerAddr < 0 || c.MaxConns < 0 || c.StudyPerMinute < 0 {
		errs = append(errs, errors.New("limits cannot be negative"))
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			errs = append(errs, fmt.Errorf("base URL %q: want http(s)://host[:port]", c.BaseURL))
		}
	}
	return errors.Join(errs...)
}

// Server serves the HTTP API, the websocket and the UI.
type Server struct {
	cfg      Config
	auth     *auth
	log      *slog.Logger
	upgrader websocket.Upgrader
	mux      *http.ServeMux
	library  atomic.Pointer[engine.Library] // cfg.Library, replaced by SetLibrary

	analysesMu sync.Mutex
	// drafts bounds how many pasted drafts are checked, tested or played at once.
	drafts   chan struct{}
	analyses map[*engine.Scenario]*analyze.Report // by scenario, for the library being served (SetLibrary clears it)
	origins  map[string]bool                      // allowed origins, scheme://host[:port], lower case
	conns    *connCap
	studies  *window
	sockets  sockets
}

// New returns a server; cfg must be valid.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Codes == nil {
		cfg.Codes = NewCodeGuard(cfg.Now)
	}
	if cfg.KDF == (KDF{}) {
		cfg.KDF = DefaultKDF
	}
	if cfg.MaxConnsPerAddr == 0 {
		cfg.MaxConnsPerAddr = DefaultMaxConnsPerAddr
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.StudyPerMinute == 0 {
		cfg.StudyPerMinute = DefaultStudyPerMinute
	}
	s := &Server{cfg: cfg, log: cfg.Logger, auth: newAuth(cfg.Store, cfg.Now, cfg.SecureCookies, cfg.KDF, cfg.LoginMemoryMiB),
		origins: map[string]bool{}, conns: newConnCap(cfg.MaxConnsPerAddr, cfg.MaxConns),
		studies: newWindow(cfg.Now, cfg.StudyPerMinute, time.Minute), drafts: make(chan struct{}, MaxDraftsAtOnce)}
	s.library.Store(cfg.Library)
	for _, o := range append([]string{cfg.BaseURL}, cfg.Origins...) {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			s.origins[strings.ToLower(u.Scheme+"://"+u.Host)] = true
		}
	}
	// A small read buffer (the socket is read through a frameConn's pooled buffer, wsconn.go)
	// and no write buffer of its own per connection: the live layer writes frames it has
	// serialised once (see live/conn.go).
	s.upgrader = websocket.Upgrader{ReadBufferSize: wsReadBufferSize, WriteBufferPool: &sync.Pool{}, CheckOrigin: s.originOK,
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			code, msg := EInvalid, reason.Error()
			if status == http.StatusForbidden {
				code, msg = EForbidden, originRefused
			}
			writeJSON(w, status, map[string]any{"error": Error{Code: code, Message: msg}})
		}}
	s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	// No page of paraat is meant to be framed (clickjacking of the facilitator console). The
	// UI loads its own scripts, styles and websocket only, with no inline script or style
	// and no innerHTML (web/static/js/dom.js); the HTML report sets a stricter policy.
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", uiPolicy)
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if s.cfg.SecureCookies {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	s.mux.ServeHTTP(w, r)
}

// uiPolicy is the Content-Security-Policy of every response but the HTML report.
const uiPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// routes is the one route table.
func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("POST /api/login", s.handleLogin)
	m.HandleFunc("POST /api/logout", s.facilitator(s.handleLogout))
	m.HandleFunc("GET /api/me", s.facilitator(s.handleMe))

	m.HandleFunc("GET /api/scenarios", s.handleScenarios)
	m.HandleFunc("GET /api/scenarios/{id}", s.handleScenario)
	m.HandleFunc("GET /api/scenarios/{id}/source", s.facilitator(s.handleScenarioSource))
	m.HandleFunc("POST /api/check", s.facilitator(s.handleCheck))
	m.HandleFunc("POST /api/check/tests", s.facilitator(s.handleDraftTests))
	m.HandleFunc("POST /api/check/play", s.facilitator(s.handleDraftPlay))

	m.HandleFunc("POST /api/sessions", s.facilitator(s.handleCreateSession))
	m.HandleFunc("GET /api/sessions", s.facilitator(s.handleSessions))
	m.HandleFunc("GET /api/sessions/{id}", s.facilitator(s.owned(s.handleSession)))
	m.HandleFunc("GET /api/sessions/{id}/report", s.facilitator(s.owned(s.handleReportJSON)))
	m.HandleFunc("GET /api/sessions/{id}/report.csv", s.facilitator(s.owned(s.handleReportCSV)))
	m.HandleFunc("GET /sessions/{id}/report", s.facilitator(s.owned(s.handleReportHTML)))

	m.HandleFunc("GET /api/join/{code}", s.handleJoinLookup)
	m.HandleFunc("POST /api/study", s.handleStudy)
	m.HandleFunc("GET /api/study/report", s.handleStudyReport)

	m.HandleFunc("GET /api/ws", s.handleWS)
	m.HandleFunc("GET /api/metrics", s.handleMetrics)
	m.HandleFunc("GET /api/cluster", s.facilitator(s.handleCluster))
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, Errorf(ENotFound, "no API route %s %s", r.Method, r.URL.Path))
	})
	if s.cfg.Web != nil {
		files := http.FileServerFS(s.cfg.Web)
		m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				writeErr(w, Errorf(ENotFound, "no route %s %s", r.Method, r.URL.Path))
				return
			}
			files.ServeHTTP(w, r)
		})
		// The join link opens the UI, which reads the code from the path.
		m.HandleFunc("GET /join/{code}", func(w http.ResponseWriter, r *http.Request) {
			http.ServeFileFS(w, r, s.cfg.Web, "index.html")
		})
	}
	s.mux = m
}

// ---- helpers ----

const maxBody = 64 << 10

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, err error) {
	e := ErrorOf(err)
	if e.RetryAfterMS > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt((e.RetryAfterMS+999)/1000, 10))
	}
	writeJSON(w, e.Code.Status(), map[string]any{"error": e})
}

// refuse answers a request refused by a limit and logs it under the error's reference.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if e := ErrorOf(err); e.Reference != "" {
		s.log.Info("refused", "ref", e.Reference, "code", e.Code, "addr", s.clientAddr(r), "path", r.URL.Path, "reason", e.Message)
	}
	writeErr(w, err)
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return Errorf(ETooLarge, "the body is larger than %d bytes", maxBody)
		}
		if errors.Is(err, io.EOF) {
			return Errorf(EBadJSON, "the body is empty")
		}
		return Errorf(EBadJSON, "malformed JSON: %v", err)
	}
	return nil
}

// originRefused explains a refused Origin, for the operator who sees it first: serving under
// a host name needs that name as the base URL.
const originRefused = "origin not allowed: the server accepts its --base-url and --origins (scheme included), " +
	"and without --base-url only addresses and localhost"

// originOK accepts requests without an Origin (not from a browser) and from the allowed
// origins, scheme included: the base URL and --origins. Without a base URL the request's own
// origin is allowed only when its host is an IP address or localhost: a page of another name
// that DNS-rebinds to this server would otherwise pass as its own origin.
func (s *Server) originOK(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || u.Path != "" || u.User != nil {
		return false
	}
	o = strings.ToLower(u.Scheme + "://" + u.Host)
	if s.origins[o] {
		return true
	}
	if s.cfg.BaseURL != "" || !strings.EqualFold(u.Host, r.Host) || u.Scheme != s.scheme(r) {
		return false
	}
	h := u.Hostname()
	_, err = netip.ParseAddr(h)
	return err == nil || strings.EqualFold(h, "localhost")
}

// scheme is the scheme the client used: https over TLS or, from a trusted proxy, as its
// X-Forwarded-Proto says.
func (s *Server) scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	if s.trusted(r.RemoteAddr) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		return "https"
	}
	return "http"
}

func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimSuffix(s.cfg.BaseURL, "/")
	}
	return s.scheme(r) + "://" + r.Host
}

type userKey struct{}

// facilitator requires a login; state-changing methods also need the CSRF token and an
// allowed Origin.
func (s *Server) facilitator(next func(http.ResponseWriter, *http.Request, *login)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, l := s.auth.session(r)
		if l == nil || !s.current(r.Context(), l) {
			writeErr(w, Errorf(EUnauthorized, "log in first"))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !s.originOK(r) {
				writeErr(w, Errorf(EForbidden, originRefused))
				return
			}
			if err := checkCSRF(r, l); err != nil {
				writeErr(w, err)
				return
			}
		}
		next(w, r, l)
	}
}

// owned loads the session of the path and checks that the user owns it (or is an admin).
func (s *Server) owned(next func(http.ResponseWriter, *http.Request, *login, SessionRow)) func(http.ResponseWriter, *http.Request, *login) {
	return func(w http.ResponseWriter, r *http.Request, l *login) {
		row, err := s.cfg.Store.Session(r.Context(), r.PathValue("id"))
		if err != nil {
			writeErr(w, err)
			return
		}
		if row.Owner != l.user.Name && !l.user.Admin {
			writeErr(w, Errorf(EForbidden, "only the session's facilitator can see it"))
			return
		}
		next(w, r, l, row)
	}
}

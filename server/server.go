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
	"net/url"
	"strings"
	"sync"
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
}

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
		if err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
			errs = append(errs, fmt.Errorf("origin %q: want scheme://host[:port]", o))
		}
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || u.Scheme == "" || u.Host == "" {
			errs = append(errs, fmt.Errorf("base URL %q: want scheme://host[:port]", c.BaseURL))
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

	analysesMu sync.Mutex
	analyses   map[string]*analyze.Report // by scenario id: the library does not change
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
	s := &Server{cfg: cfg, log: cfg.Logger, auth: newAuth(cfg.Store, cfg.Now, cfg.SecureCookies)}
	// Small read buffers and no write buffer of its own per connection: client messages are
	// small, and the live layer writes frames it has serialised once (see live/conn.go).
	s.upgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferPool: &sync.Pool{}, CheckOrigin: s.originOK,
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			code := EInvalid
			if status == http.StatusForbidden {
				code = EForbidden
			}
			writeJSON(w, status, map[string]any{"error": Error{Code: code, Message: reason.Error()}})
		}}
	s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "same-origin")
	s.mux.ServeHTTP(w, r)
}

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
	writeJSON(w, e.Code.Status(), map[string]any{"error": e})
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

// originOK accepts requests without an Origin (not from a browser), from the server's own
// origin, and from the configured origins.
func (s *Server) originOK(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, a := range s.cfg.Origins {
		if strings.EqualFold(strings.TrimSuffix(a, "/"), o) {
			return true
		}
	}
	return false
}

func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type userKey struct{}

// facilitator requires a login; state-changing methods also need the CSRF token and an
// allowed Origin.
func (s *Server) facilitator(next func(http.ResponseWriter, *http.Request, *login)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, l := s.auth.session(r)
		if l == nil {
			writeErr(w, Errorf(EUnauthorized, "log in first"))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !s.originOK(r) {
				writeErr(w, Errorf(EForbidden, "origin not allowed"))
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

package show

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/pipeline"
)

//go:embed templates/*.html assets/*
var files embed.FS

// contentSecurityPolicy allows styles, images and forms of the server's
// own origin only, and no script at all.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Defaults of Config.
const (
	DefaultPageSize     = 100
	DefaultQueryTimeout = 30 * time.Second
)

// Dialect is the SQL dialect of a Source's database.
type Dialect int

// The dialects that Source.DB may speak.
const (
	DuckDB Dialect = iota
	PostgreSQL
)

// ErrPipelineNotFound is wrapped by an Opener's error when the pipeline
// has no working folder or no record of its destination.
var ErrPipelineNotFound = errors.New("pipeline not found")

// Source is one pipeline's loaded data, opened for reading.
type Source struct {
	// WorkDir is the pipeline's working folder, which contains its load
	// package manifests.
	WorkDir string
	// Record names the pipeline, its source, dataset and destination.
	Record pipeline.Record
	// Destination returns the stored schema of the dataset.
	Destination destination.Destination
	// DB runs the pages' SQL. The Opener opens it read-only.
	DB *sql.DB
	// Dialect is the SQL dialect of DB.
	Dialect Dialect
	// Close releases DB and Destination; nil means nothing to release.
	Close func() error
}

// Opener opens the named pipeline for reading.
type Opener func(ctx context.Context, name string) (*Source, error)

// Config configures a Server. Open is required; other zero values work.
type Config struct {
	// Open opens a pipeline by name when a page of it is first requested.
	Open Opener
	// List returns the names of the pipelines for the start page; nil
	// lists none.
	List func() ([]string, error)
	// Pipeline, when set, is the pipeline that the start page redirects
	// to.
	Pipeline string
	// PageSize is the maximum number of rows on a table page and in a
	// console result; 0 means DefaultPageSize.
	PageSize int
	// QueryTimeout bounds each SQL statement; 0 means
	// DefaultQueryTimeout.
	QueryTimeout time.Duration
	// AnyHost accepts requests whatever host their Host header names.
	// When false, only localhost, 127.0.0.1 and ::1 are accepted, so a
	// web page whose DNS name rebinds to the loopback address cannot
	// read the data.
	AnyHost bool
	// Logger receives request errors; nil discards them.
	Logger *slog.Logger
}

// Server serves the web UI. Its handler is safe for concurrent use.
type Server struct {
	cfg   Config
	pages map[string]*template.Template
	log   *slog.Logger

	mu      sync.Mutex
	sources map[string]*Source
}

// New returns a server for cfg with its templates parsed.
func New(cfg Config) (*Server, error) {
	if cfg.Open == nil {
		return nil, errors.New("show: Config.Open is nil: set the function that opens a pipeline")
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.QueryTimeout <= 0 {
		cfg.QueryTimeout = DefaultQueryTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, pages: pages, log: log, sources: map[string]*Source{}}, nil
}

// Close closes the sources that the server opened.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for name, src := range s.sources {
		if src.Close != nil {
			if err := src.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close pipeline %s: %w", name, err))
			}
		}
		delete(s.sources, name)
	}
	return errors.Join(errs...)
}

// Handler returns the HTTP handler of all pages and assets.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	assets, _ := fs.Sub(files, "assets")
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(assets)))
	mux.HandleFunc("GET /{$}", s.handleIndex)
	mux.HandleFunc("GET /p/{pipeline}/{$}", s.withSource(s.overview))
	mux.HandleFunc("GET /p/{pipeline}/tables", s.withSource(s.tableList))
	mux.HandleFunc("GET /p/{pipeline}/tables/{table}", s.withSource(s.tableView))
	mux.HandleFunc("GET /p/{pipeline}/schema", s.withSource(s.schemaTree))
	mux.HandleFunc("GET /p/{pipeline}/loads", s.withSource(s.loadHistory))
	mux.HandleFunc("GET /p/{pipeline}/query", s.withSource(s.console))
	mux.HandleFunc("GET /p/{pipeline}/query.csv", s.withSource(s.consoleCSV))
	mux.HandleFunc("GET /p/{pipeline}/funnel", s.withSource(s.funnel))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, nil, &pageError{http.StatusNotFound, fmt.Sprintf("no page at %s: start from the pipeline list", r.URL.Path)})
	})
	return s.guard(mux)
}

// guard sets the security headers, checks the Host header and turns a
// panic into an error page, so that no stack trace reaches the browser.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		if !s.cfg.AnyHost && !loopbackHost(r.Host) {
			http.Error(w, fmt.Sprintf("host %q is not served: open the UI at 127.0.0.1 or localhost", r.Host), http.StatusMisdirectedRequest)
			return
		}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("show: page panicked", "path", r.URL.Path, "panic", fmt.Sprint(v))
				http.Error(w, "internal error: the server log has the details", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether a Host header names the loopback
// interface.
func loopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = strings.Trim(hostport, "[]")
	}
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// handleIndex lists the pipelines, or redirects to the one pipeline the
// server was started for.
func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Pipeline != "" {
		http.Redirect(w, r, pipelinePath(s.cfg.Pipeline, ""), http.StatusFound)
		return
	}
	var names []string
	if s.cfg.List != nil {
		var err error
		if names, err = s.cfg.List(); err != nil {
			s.renderError(w, r, nil, err)
			return
		}
	}
	sort.Strings(names)
	s.render(w, r, "index", &view{Title: "Pipelines", Data: names})
}

// pageFunc renders one page of an open pipeline.
type pageFunc func(w http.ResponseWriter, r *http.Request, src *Source) error

// withSource opens the pipeline that the path names and renders the
// page's error, if any, as an error page.
func (s *Server) withSource(fn pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("pipeline")
		src, err := s.source(r.Context(), name)
		if err != nil {
			s.renderError(w, r, nil, err)
			return
		}
		if err := fn(w, r, src); err != nil {
			s.renderError(w, r, src, err)
		}
	}
}

// source returns the open source of the named pipeline, opening it on
// first use. A failed open is not kept, so a request after the cause is
// fixed (a lock released, say) opens it again.
func (s *Server) source(ctx context.Context, name string) (*Source, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if src, ok := s.sources[name]; ok {
		return src, nil
	}
	src, err := s.cfg.Open(ctx, name)
	if errors.Is(err, ErrPipelineNotFound) {
		return nil, &pageError{http.StatusNotFound, err.Error()}
	}
	if err != nil {
		return nil, fmt.Errorf("open pipeline %s: %w", name, err)
	}
	s.sources[name] = src
	return src, nil
}

// pageError is an error shown to the user with its HTTP status.
type pageError struct {
	status int
	msg    string
}

func (e *pageError) Error() string { return e.msg }

// badRequest returns a pageError with status 400.
func badRequest(format string, args ...any) error {
	return &pageError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// renderError shows err on an error page. Errors other than pageError
// are logged and shown with status 500; the message is the error's text
// and never a stack trace.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, src *Source, err error) {
	status := http.StatusInternalServerError
	var pe *pageError
	if errors.As(err, &pe) {
		status = pe.status
	} else {
		s.log.Error("show: page failed", "path", r.URL.Path, "error", err)
	}
	v := &view{Title: "Error", Source: src, Error: err.Error(), status: status}
	s.render(w, r, "error", v)
}

// pipelinePath returns the path of a pipeline's page; page "" is the
// overview.
func pipelinePath(name, page string) string {
	return "/p/" + url.PathEscape(name) + "/" + page
}

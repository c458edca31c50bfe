package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// DefaultShutdownTimeout bounds how long Serve waits for requests in
// flight after its context is cancelled.
const DefaultShutdownTimeout = 10 * time.Second

// Server serves the webhook handler at its path, /healthz and /readyz, and
// runs a Batcher alongside it.
type Server struct {
	srv     *http.Server
	batcher *Batcher
	spool   *Spool
	logger  *slog.Logger
	timeout time.Duration
}

// ServerConfig configures a Server.
type ServerConfig struct {
	// Addr is the TCP address for ListenAndServe, e.g. "127.0.0.1:8080".
	Addr string
	// Webhook configures the handler. Its Spool must be the Batcher's.
	Webhook Config
	// Batcher loads what the handler stores. It is required.
	Batcher *Batcher
	// ShutdownTimeout bounds the wait for requests in flight on shutdown.
	// Zero means DefaultShutdownTimeout. A Batcher without a DrainTimeout
	// gets the same value.
	ShutdownTimeout time.Duration
}

// NewServer checks cfg and builds a Server.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Batcher == nil {
		return nil, errors.New("webhook server: no batcher configured")
	}
	if cfg.Batcher.Spool != cfg.Webhook.Spool {
		return nil, errors.New("webhook server: the handler and the batcher must share one spool")
	}
	h, err := Handler(cfg.Webhook)
	if err != nil {
		return nil, err
	}
	path := cfg.Webhook.Path
	if path == "" {
		path = DefaultPath
	}
	logger := cfg.Webhook.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		batcher: cfg.Batcher,
		spool:   cfg.Webhook.Spool,
		logger:  logger,
		timeout: cfg.ShutdownTimeout,
	}
	if s.timeout <= 0 {
		s.timeout = DefaultShutdownTimeout
	}
	mux := http.NewServeMux()
	mux.Handle(path, h)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeText(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", s.ready)
	s.srv = &http.Server{
		Addr:              cfg.Addr,
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// ready responds 200 when the spool folder accepts files and the last
// load did not fail, and 503 with the reason otherwise.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if err := s.spool.Check(); err != nil {
		writeText(w, http.StatusServiceUnavailable, "spool not writable: "+err.Error())
		return
	}
	if err := s.batcher.LastError(); err != nil {
		writeText(w, http.StatusServiceUnavailable, "last load failed: "+err.Error())
		return
	}
	writeText(w, http.StatusOK, "ready")
}

// ListenAndServe listens on the configured address and calls Serve.
func (s *Server) ListenAndServe(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.srv.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.srv.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve accepts requests on ln and runs the Batcher until ctx is
// cancelled. It then stops accepting, waits for requests in flight,
// drains the spool through the Batcher and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	batchCtx, stopBatches := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBatches()
	if s.batcher.DrainTimeout <= 0 {
		s.batcher.DrainTimeout = s.timeout
	}
	batchDone := make(chan error, 1)
	go func() { batchDone <- s.batcher.Run(batchCtx) }()

	serveDone := make(chan error, 1)
	go func() { serveDone <- s.srv.Serve(ln) }()
	s.logger.Info("webhook server listening", "addr", ln.Addr().String())

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-serveDone:
		serveErr = fmt.Errorf("serve webhooks on %s: %w", ln.Addr(), serveErr)
	}

	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
	defer cancel()
	s.logger.Info("webhook server shutting down")
	if err := s.srv.Shutdown(shutCtx); err != nil {
		serveErr = errors.Join(serveErr, fmt.Errorf("shut down webhook server: %w", err))
	}
	// Shutdown returned after the last response was written, so every
	// stored event is in the spool and the batcher can drain it.
	stopBatches()
	if err := <-batchDone; err != nil {
		serveErr = errors.Join(serveErr, err)
	}
	s.logger.Info("webhook server stopped", "pending", s.spool.Len())
	return serveErr
}

package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/restload/restload/config"
	"github.com/restload/restload/dataset"
	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/destination/postgres"
	"github.com/restload/restload/pipeline"
	"github.com/restload/restload/show"
)

func newShowCommand(g *globalFlags) *cobra.Command {
	var (
		addr     string
		port     int
		pageSize int
		timeout  time.Duration
		anyHost  bool
	)
	cmd := &cobra.Command{
		Use:   "show [PIPELINE]",
		Short: "Browse loaded data in a local web UI",
		Long: `Show serves a web UI for browsing what pipelines loaded: an overview
with recent loads, the tables with paging, sorting and filtering, the
schema as a tree, the load history, a read-only SQL console with CSV
download and, for Ashby datasets, a hiring funnel.

It listens on 127.0.0.1 at a free port unless --addr or --port say
otherwise, and prints the URL. Without PIPELINE the start page lists every
pipeline under $RESTLOAD_DATA_DIR/pipelines (default ~/.restload).

The UI reads through a read-only connection and its SQL console runs
queries only. All of it is inside the binary: it works offline. A DuckDB
file that show has open cannot be loaded into until show stops.`,
		Example: "  restload show ashby_pipeline\n  restload show --port 8080",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return &usageError{fmt.Errorf("show takes at most one pipeline name, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			return runShow(cmd, g, showOptions{name: name, addr: addr, port: port, pageSize: pageSize,
				timeout: timeout, anyHost: anyHost})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1", "address of the interface to listen on, a host or host:port; 0.0.0.0 listens on all interfaces and makes the data readable from the network")
	fl.IntVar(&port, "port", 0, "TCP port to listen on; 0 picks a free port")
	fl.IntVar(&pageSize, "page-size", show.DefaultPageSize, "rows per table page and per console result")
	fl.DurationVar(&timeout, "query-timeout", show.DefaultQueryTimeout, "time limit of each SQL statement, such as 30s")
	fl.BoolVar(&anyHost, "any-host", false, "accept requests for any host name, not only localhost and 127.0.0.1 (for a proxy or another name of this machine)")
	return cmd
}

// showOptions are the flag values of "restload show".
type showOptions struct {
	name     string
	addr     string
	port     int
	pageSize int
	timeout  time.Duration
	anyHost  bool
}

func runShow(cmd *cobra.Command, g *globalFlags, o showOptions) error {
	logger, err := g.logger(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	if o.port < 0 || o.port > 65535 {
		return &usageError{fmt.Errorf("invalid --port %d: use 1 to 65535, or 0 for a free port", o.port)}
	}
	if o.pageSize < 1 {
		return &usageError{fmt.Errorf("invalid --page-size %d: use 1 or more", o.pageSize)}
	}
	if o.timeout <= 0 {
		return &usageError{fmt.Errorf("invalid --query-timeout %s: use a positive duration such as 30s", o.timeout)}
	}
	if o.name != "" {
		if _, err := pipeline.ReadRecord(pipeline.WorkDir("", o.name)); err != nil {
			return &usageError{fmt.Errorf("pipeline %q not found: no record in %s; \"restload pipeline list\" shows the pipelines", o.name, pipeline.WorkDir("", o.name))}
		}
	}
	conf, err := loadConfig(cmd, g)
	if err != nil {
		return err
	}
	// --addr also takes host:port, as "ashby emulate --addr" does; a port
	// there wins over --port.
	if host, port, err := net.SplitHostPort(o.addr); err == nil {
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			return &usageError{fmt.Errorf("invalid --addr %q: give a host, or host:port with a port from 0 to 65535", o.addr)}
		}
		o.addr, o.port = host, p
	}
	loopback := o.addr == "127.0.0.1" || o.addr == "localhost" || o.addr == "::1"
	srv, err := show.New(show.Config{
		Open:         func(ctx context.Context, name string) (*show.Source, error) { return openShowSource(ctx, name, conf) },
		List:         func() ([]string, error) { return pipeline.List("") },
		Pipeline:     o.name,
		PageSize:     o.pageSize,
		QueryTimeout: o.timeout,
		AnyHost:      o.anyHost || !loopback,
		Logger:       logger,
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", net.JoinHostPort(o.addr, strconv.Itoa(o.port)))
	if err != nil {
		return &usageError{fmt.Errorf("listen on %s port %d: %w; pick another --port, or 0 for a free one", o.addr, o.port, err)}
	}
	u := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(cmd.OutOrStdout(), "Serving restload show at %s\nPress Ctrl+C to stop.\n", u)
	if !loopback {
		fmt.Fprintf(cmd.ErrOrStderr(), "Warning: listening on %s: anyone who reaches this address can read the data\n", o.addr)
	}

	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve %s: %w", u, err)
	case <-cmd.Context().Done():
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil {
		logger.Warn("show: shutdown", "error", err)
	}
	fmt.Fprintln(cmd.OutOrStdout(), "Stopped.")
	return nil
}

// openShowSource opens the named pipeline's destination read-only: a
// DuckDB file in READ_ONLY access mode, a PostgreSQL session whose
// transactions default to read-only, or an in-memory DuckDB database
// with views over the files of a filesystem or Iceberg destination.
func openShowSource(ctx context.Context, name string, conf *config.Resolver) (*show.Source, error) {
	dir := pipeline.WorkDir("", name)
	rec, err := pipeline.ReadRecord(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %q has no record in %s; \"restload pipeline list\" shows the pipelines", show.ErrPipelineNotFound, name, dir)
	}
	if err != nil {
		return nil, err
	}
	src := &show.Source{WorkDir: dir, Record: *rec}
	switch rec.DestinationName {
	case "duckdb":
		path, ok := strings.CutPrefix(rec.Location, "duckdb:///")
		if !ok {
			return nil, fmt.Errorf("pipeline %q: unreadable DuckDB location %q", name, rec.Location)
		}
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("database of pipeline %q not found at %s: it was moved or deleted", name, path)
		}
		c, err := duckdb.OpenReadOnly(path)
		if err != nil {
			return nil, err
		}
		// The console must not read other files of the machine, nor let
		// one query take the machine's memory.
		if err := duckdb.Confine(ctx, c.DB(), showMemoryLimit); err != nil {
			c.Close()
			return nil, err
		}
		src.Destination, src.DB, src.Close = c, c.DB(), c.Close
		return src, nil
	case "postgres":
		c, err := openPostgresReadOnly(ctx, name, rec, conf)
		if err != nil {
			return nil, err
		}
		src.Destination, src.DB, src.Dialect, src.Close = c, c.DB(), show.PostgreSQL, c.Close
		return src, nil
	}

	// Files and Iceberg tables are read through views; the destination
	// itself only supplies the schema.
	dest, err := reopenDestination(ctx, name, rec, conf)
	if err != nil {
		return nil, err
	}
	db, err := viewDatabase(ctx, dest, rec)
	if err != nil {
		dest.Close()
		return nil, err
	}
	src.Destination, src.DB = dest, db
	src.Close = func() error { return errors.Join(db.Close(), dest.Close()) }
	return src, nil
}

// openPostgresReadOnly opens the pipeline's PostgreSQL database with
// default_transaction_read_only set for the session, so every statement
// runs in a read-only transaction.
func openPostgresReadOnly(ctx context.Context, name string, rec *pipeline.Record, conf *config.Resolver) (*postgres.Client, error) {
	cfg, err := postgresConfig(conf)
	if err != nil {
		return nil, err
	}
	cfg.Credentials = readOnlyCredentials(cfg.Credentials)
	c, err := postgres.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if samePostgres(c.Location()) != samePostgres(rec.Location) {
		c.Close()
		return nil, &usageError{fmt.Errorf("pipeline %q loaded to %s, but destination.postgres.credentials points to %s: set the credentials of that database",
			name, rec.Location, c.Location())}
	}
	return c, nil
}

// readOnlyCredentials adds default_transaction_read_only=on to a
// PostgreSQL connection string, as a URL parameter or as a keyword,
// which pgx sends to the server as a session setting.
func readOnlyCredentials(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("default_transaction_read_only", "on")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " default_transaction_read_only=on"
}

// viewDatabase returns an in-memory DuckDB database with a view per
// table over the committed files of a filesystem or Iceberg destination.
// The views show the loads committed when it was opened.
func viewDatabase(ctx context.Context, dest destination.Destination, rec *pipeline.Record) (*sql.DB, error) {
	vd, ok := dest.(dataset.ViewDestination)
	if !ok {
		return nil, fmt.Errorf("destination %s of pipeline %q cannot be browsed", rec.DestinationName, rec.Pipeline)
	}
	sch, err := dest.Schema(ctx, rec.Dataset, rec.Source)
	if err != nil {
		return nil, fmt.Errorf("read the schema of dataset %s: %w", rec.Dataset, err)
	}
	db, err := dataset.ViewDB(ctx, vd, rec.Dataset, sch)
	if err != nil {
		return nil, err
	}
	// The views read the destination's files; nothing else may be read.
	dirs := []string{}
	if d, ok := dest.(interface{ DataDir() string }); ok {
		dirs = append(dirs, d.DataDir())
	}
	if err := duckdb.Confine(ctx, db, showMemoryLimit, dirs...); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// showMemoryLimit caps the memory of the DuckDB database behind show, so
// that one console query cannot take the machine's memory; larger sorts
// and joins spill to disk or fail with DuckDB's out-of-memory message.
const showMemoryLimit = "1GB"

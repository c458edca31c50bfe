package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/internal/sqlload"
	"github.com/restload/restload/schema"
)

var (
	_ destination.Destination        = (*Client)(nil)
	_ destination.CapabilityReporter = (*Client)(nil)
)

// EnvCredentials is the environment variable that holds the connection
// URL, following the configuration layout of sections joined by "__".
const EnvCredentials = "DESTINATION__POSTGRES__CREDENTIALS"

// Defaults for the zero values of Config.
const (
	DefaultConnectTimeout = 10 * time.Second
	DefaultMaxConns       = 4
)

// Config contains the connection settings that Open uses.
type Config struct {
	// Credentials is the connection URL, such as
	// postgresql://loader:secret@db.example.com:5432/analytics?sslmode=verify-full&sslrootcert=/etc/ca.pem.
	// Its query parameters go to the driver as libpq defines them
	// (sslmode, sslrootcert, sslcert, sslkey, sslpassword, sslsni,
	// connect_timeout, application_name, ...). A keyword/value string
	// ("host=... user=...") works too, and the PG* environment
	// variables fill in what it leaves out.
	Credentials string
	// ConnectTimeout limits each connection attempt. Zero means
	// DefaultConnectTimeout, unless Credentials sets connect_timeout.
	ConnectTimeout time.Duration
	// MaxConns limits the open connections. Zero means DefaultMaxConns.
	MaxConns int
}

// Client is a PostgreSQL database used as a destination, one PostgreSQL
// schema per dataset. Its methods are safe for concurrent use; loads run
// one at a time per Client, and one at a time per dataset across
// processes.
type Client struct {
	db   *sql.DB
	conf *pgx.ConnConfig
	// location is the redacted URL, for messages.
	location string

	// loadMu serializes Load within the process. Loads from other
	// processes wait on an advisory lock per dataset instead.
	loadMu sync.Mutex

	// beforeCommit, when set, runs after every statement of a load and
	// before its COMMIT. Tests use it to stop a process mid-transaction.
	beforeCommit func()
}

// Open connects to the database that cfg names and pings it. Errors name
// the server and the fix, and their messages never contain the password.
func Open(ctx context.Context, cfg Config) (*Client, error) {
	conf, location, err := parseConfig(cfg)
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDB(*conf)
	db.SetMaxOpenConns(cmpOr(cfg.MaxConns, DefaultMaxConns))
	db.SetMaxIdleConns(cmpOr(cfg.MaxConns, DefaultMaxConns))
	c := &Client{db: db, conf: conf, location: location}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, c.explain(err)
	}
	return c, nil
}

// OpenDB opens a database/sql handle on the database that cfg names, for
// reading loaded data back: each dataset is a schema, so tables are
// queried as "dataset"."table". The driver is pgx, through its
// database/sql adapter: placeholders are $1, $2, ... and a
// *pgx.Conn is reachable with (*sql.Conn).Raw. The handle is checked
// with a ping; errors are those of Open. The caller closes it.
func OpenDB(ctx context.Context, cfg Config) (*sql.DB, error) {
	c, err := Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return c.db, nil
}

// parseConfig parses the credentials and applies the options of cfg. It
// returns the driver's configuration and the redacted location.
func parseConfig(cfg Config) (*pgx.ConnConfig, string, error) {
	if cfg.Credentials == "" {
		return nil, "", fmt.Errorf("postgres credentials are empty; set %s to a URL such as postgresql://user:password@host:5432/database", EnvCredentials)
	}
	conf, err := pgx.ParseConfig(cfg.Credentials)
	if err != nil {
		// The parser masks passwords it recognizes; mask the rest.
		r := redactor{secrets: passwordsIn(cfg.Credentials)}
		return nil, "", r.wrap(fmt.Errorf("parse %s: %w; write it as postgresql://user:password@host:5432/database?sslmode=...", EnvCredentials, err))
	}
	if cfg.ConnectTimeout > 0 {
		conf.ConnectTimeout = cfg.ConnectTimeout
	} else if conf.ConnectTimeout == 0 {
		conf.ConnectTimeout = DefaultConnectTimeout
	}
	// Every statement of a load is new text, so preparing and caching
	// statements would only fill the cache. Parameters are typed by their
	// Go type, and SQL casts them where a column needs another type.
	conf.DefaultQueryExecMode = pgx.QueryExecModeExec
	return conf, redactURL(cfg.Credentials, conf), nil
}

func cmpOr(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}

// DB returns the database handle, for queries by tests and readers. It
// is the handle that OpenDB returns.
func (c *Client) DB() *sql.DB { return c.db }

// Location returns the connection URL with the password replaced by
// "***".
func (c *Client) Location() string { return c.location }

// Capabilities returns PostgreSQL's identifier limit of 63 bytes.
func (c *Client) Capabilities() destination.Capabilities {
	return destination.Capabilities{MaxIdentifierLength: maxIdentifierLength, Transactions: true, MergeInPlace: true, Staging: true}
}

// Close closes the connections. A Load in progress finishes first.
func (c *Client) Close() error {
	c.loadMu.Lock()
	defer c.loadMu.Unlock()
	return c.db.Close()
}

// HasLoad reports whether the package loadID has committed in dataset.
func (c *Client) HasLoad(ctx context.Context, dataset, loadID string) (bool, error) {
	ok, err := c.reader().HasLoad(ctx, dataset, loadID)
	return ok, c.explain(err)
}

// State returns the pipeline state with the highest version stored for
// pipelineName in dataset, or nil when there is none.
func (c *Client) State(ctx context.Context, dataset, pipelineName string) (*destination.StoredState, error) {
	s, err := c.reader().State(ctx, dataset, pipelineName)
	return s, c.explain(err)
}

// Schema returns the schema most recently stored in dataset under name, or
// nil when there is none.
func (c *Client) Schema(ctx context.Context, dataset, name string) (*schema.Schema, error) {
	s, err := c.reader().Schema(ctx, dataset, name)
	return s, c.explain(err)
}

// reader returns the reader of the bookkeeping tables of c's datasets.
func (c *Client) reader() sqlload.Reader {
	return sqlload.Reader{DB: c.db, Dialect: dialect{}}
}

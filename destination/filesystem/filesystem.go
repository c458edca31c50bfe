package filesystem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

var _ destination.Destination = (*Client)(nil)

// Format is the file format of data files.
type Format string

// The data file formats.
const (
	Parquet Format = "parquet"
	JSONL   Format = "jsonl"
	CSV     Format = "csv"
)

// Names of the folders of a dataset that hold system files.
const (
	dirLoads   = schema.TableLoads
	dirState   = schema.TableState
	dirVersion = schema.TableVersion
)

// Config configures a filesystem destination.
type Config struct {
	// BucketURL is the folder that holds one folder per dataset: a local
	// path or a file:// URL.
	BucketURL string
	// Format is the format of data files; empty means Parquet.
	Format Format
}

// Client is a local folder used as a destination. Its methods are safe
// for concurrent use, and loads run one at a time.
type Client struct {
	root   string
	format Format
	loadMu sync.Mutex

	// beforeRecord, when set, runs after every file of a load is written
	// and before its load record. Tests use it to stop a load there.
	beforeRecord func() error
}

// Open checks cfg and returns a destination writing under its bucket
// folder, which it creates if needed.
func Open(cfg Config) (*Client, error) {
	root, err := bucketPath(cfg.BucketURL)
	if err != nil {
		return nil, err
	}
	format := cfg.Format
	if format == "" {
		format = Parquet
	}
	switch format {
	case Parquet, JSONL, CSV:
	default:
		return nil, fmt.Errorf("open filesystem destination: unknown format %q; set format to parquet, jsonl or csv", cfg.Format)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("open filesystem destination: create bucket folder %s: %w", root, err)
	}
	return &Client{root: root, format: format}, nil
}

// bucketPath returns the absolute local folder that a bucket URL names.
func bucketPath(bucket string) (string, error) {
	if bucket == "" {
		return "", errors.New("open filesystem destination: bucket URL is empty; set it to a local folder or a file:// URL")
	}
	path := bucket
	if scheme, _, ok := strings.Cut(bucket, "://"); ok {
		if !strings.EqualFold(scheme, "file") {
			return "", fmt.Errorf("open filesystem destination: bucket URL %q has scheme %q, which is not supported; use a local folder or a file:// URL", redact(bucket), scheme)
		}
		u, err := url.Parse(bucket)
		if err != nil {
			return "", fmt.Errorf("open filesystem destination: invalid bucket URL %q: %w", redact(bucket), err)
		}
		if u.Host != "" && u.Host != "localhost" {
			return "", fmt.Errorf("open filesystem destination: bucket URL %q names host %q, but only local folders are supported; write file:///absolute/path", redact(bucket), u.Host)
		}
		path = u.Path
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("open filesystem destination: bucket folder %q: %w", path, err)
	}
	return abs, nil
}

// redact drops the user information of a URL, which may hold a secret.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

// Root returns the absolute path of the bucket folder.
func (c *Client) Root() string { return c.root }

// Format returns the format of the data files that Load writes.
func (c *Client) Format() Format { return c.format }

// Location returns "file://" followed by the bucket folder.
func (c *Client) Location() string { return "file://" + filepath.ToSlash(c.root) }

// Close waits for a Load in progress; the client holds no open files.
func (c *Client) Close() error {
	c.loadMu.Lock()
	defer c.loadMu.Unlock()
	return nil
}

// HasLoad reports whether the load record of loadID exists in dataset.
func (c *Client) HasLoad(ctx context.Context, dataset, loadID string) (bool, error) {
	if err := checkName("dataset", dataset); err != nil {
		return false, err
	}
	if err := checkName("load id", loadID); err != nil {
		return false, err
	}
	_, err := os.Stat(filepath.Join(c.root, dataset, dirLoads, loadID+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up load %s in dataset %s: %w", loadID, dataset, err)
	}
	return true, nil
}

// State returns the state stored by the newest committed load of
// pipelineName that stored one, or nil when there is none.
func (c *Client) State(ctx context.Context, dataset, pipelineName string) (*destination.StoredState, error) {
	if err := checkName("dataset", dataset); err != nil {
		return nil, err
	}
	dir := filepath.Join(c.root, dataset)
	records, err := readRecords(dir)
	if err != nil {
		return nil, err
	}
	for _, r := range slices.Backward(records) {
		if r.PipelineName != pipelineName || !r.HasState {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, dirState, r.LoadID+".json"))
		if err != nil {
			return nil, fmt.Errorf("read state of pipeline %s in dataset %s: %w", pipelineName, dataset, err)
		}
		return &destination.StoredState{
			LoadID: r.LoadID, Version: r.StateVersion, State: json.RawMessage(b), CreatedAt: r.CreatedAt,
		}, nil
	}
	return nil, nil
}

// Schema returns the schema that the newest committed load of the schema
// name stored, or nil when there is none.
func (c *Client) Schema(ctx context.Context, dataset, name string) (*schema.Schema, error) {
	if err := checkName("dataset", dataset); err != nil {
		return nil, err
	}
	dir := filepath.Join(c.root, dataset)
	records, err := readRecords(dir)
	if err != nil {
		return nil, err
	}
	for _, r := range slices.Backward(records) {
		if r.SchemaName != name {
			continue
		}
		var s schema.Schema
		if err := readJSON(filepath.Join(dir, dirVersion, r.SchemaHash+".json"), &s); err != nil {
			return nil, fmt.Errorf("read schema %s in dataset %s: %w", name, dataset, err)
		}
		return &s, nil
	}
	return nil, nil
}

// checkName rejects a value that cannot be one segment of a file path.
func checkName(what, name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) || strings.ContainsRune(name, 0) {
		return fmt.Errorf("%s %q cannot be used as a file or folder name; use a name without slashes", what, name)
	}
	return nil
}

var _ destination.CapabilityReporter = (*Client)(nil)

// Capabilities reports that files have no transactions and resolve
// merges when read: the load record is the commit point.
func (c *Client) Capabilities() destination.Capabilities {
	return destination.Capabilities{}
}

// DataDir returns the folder that holds the data files, for readers
// that confine file access to it.
func (c *Client) DataDir() string { return c.root }

package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/restload/restload/config"
	"github.com/restload/restload/pipeline"
	"github.com/restload/restload/schema"
	"github.com/restload/restload/source/ashby"
	"github.com/restload/restload/webhook"
)

// webhookSecretKey is the configuration key of the Ashby webhook's secret
// token, SOURCES__ASHBY__WEBHOOK_SECRET in the environment.
const webhookSecretKey = "sources.ashby.webhook_secret"

// spoolDirName is the folder, under the data folder, that holds one
// spool per pipeline. It is outside the pipeline's working folder, which
// "restload pipeline NAME sync" empties: events acknowledged with 200 must
// survive that.
const spoolDirName = "webhook-spools"

type webhookFlags struct {
	addr        string
	pipeline    string
	dataset     string
	destination string
	batchSize   int
	batchWait   time.Duration
	spool       string
	maxBody     int64
	pii         string
	insecure    bool
}

func newWebhookCommand(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhook",
		Short: "Receive webhooks and load their events",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &usageError{fmt.Errorf("unknown webhook command %q: use \"restload webhook serve ashby\"", args[0])}
			}
			return cmd.Help()
		},
	}
	cmd.AddCommand(newWebhookServeCommand(g))
	return cmd
}

func newWebhookServeCommand(g *globalFlags) *cobra.Command {
	f := &webhookFlags{}
	cmd := &cobra.Command{
		Use:   "serve ashby",
		Short: "Serve an HTTP endpoint for Ashby webhooks and load their events",
		Long: `Serve accepts Ashby webhook requests at ` + webhook.DefaultPath + `, checks their
Ashby-Signature against the webhook's secret token, stores each event in a
spool folder and responds 200 once the event is on disk. Events load in
batches into the same pipeline, dataset and tables as "restload run ashby",
and every event is also kept in the table ` + ashby.WebhookEventsTable + `.

The secret comes from ` + webhookSecretKey + `: the environment variable
SOURCES__ASHBY__WEBHOOK_SECRET or [sources.ashby] webhook_secret in
.restload/secrets.toml.

GET /healthz responds 200 while the process serves. GET /readyz responds 200
while the spool accepts events and the last batch loaded, else 503.

A batch takes the pipeline's working folder lock while it loads. While
"restload run" holds that lock, the batch fails and is retried later; the
events wait in the spool. SIGINT or SIGTERM stops accepting requests and
loads what the spool holds before the process exits.

Lines for each event, batch and retry are logged at level info, unless
--log-level is given.`,
		Example: "  SOURCES__ASHBY__WEBHOOK_SECRET=... restload webhook serve ashby --addr 127.0.0.1:8080 --pipeline ashby_pipeline",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 || args[0] != "ashby" {
				return &usageError{fmt.Errorf("webhook serve takes the source name ashby, got %q: run \"restload webhook serve ashby\"", strings.Join(args, " "))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serveWebhooks(cmd, g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8080", "TCP address to listen on, host:port; port 0 picks a free port, printed at start")
	fl.StringVar(&f.pipeline, "pipeline", "", "pipeline name, the same as for \"restload run ashby\" so both fill the same tables (default ashby_pipeline)")
	fl.StringVar(&f.dataset, "dataset", "", "dataset name: the schema inside the destination that receives the tables (default ashby_data)")
	fl.StringVar(&f.destination, "destination", "duckdb", "where to load: duckdb, postgres, filesystem or iceberg, configured as for \"restload run\"")
	fl.IntVar(&f.batchSize, "batch-size", webhook.DefaultBatchSize, "maximum number of events per batch; a batch loads as soon as this many are waiting")
	fl.DurationVar(&f.batchWait, "batch-wait", webhook.DefaultBatchWait, "maximum time the first event of a batch waits for more before the batch loads, e.g. 5s")
	fl.StringVar(&f.spool, "spool", "", "folder that stores received events until they are loaded (default $RESTLOAD_DATA_DIR/"+spoolDirName+"/<pipeline>, ~/.restload without the variable)")
	fl.Int64Var(&f.maxBody, "max-body", webhook.DefaultMaxBody, "maximum request body size in bytes; larger requests get 413")
	fl.StringVar(&f.pii, "pii", "keep", "what to do with personal fields, as for \"restload run ashby\": keep, hash (HMAC-SHA256 under normalize.pii_hash_key), mask or drop; other than keep, "+ashby.WebhookEventsTable+" stores no payload data")
	fl.BoolVar(&f.insecure, "insecure-no-signature", false, "accept requests without a signature when no secret is set; anyone who reaches the address can then add events, so use it only for local tests")
	return cmd
}

// serveWebhooks checks the flags and the configuration, then serves until
// the command's context is cancelled.
func serveWebhooks(cmd *cobra.Command, g *globalFlags, f *webhookFlags) error {
	conf, err := loadConfig(cmd, g)
	if err != nil {
		return err
	}
	// A server logs each event and batch at info, which the default level
	// warn would hide.
	level := *g
	if !cmd.Flags().Changed("log-level") && strings.EqualFold(level.logLevel, "warn") {
		level.logLevel = "info"
	}
	logger, err := level.logger(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	slog.SetDefault(logger)
	for _, w := range conf.Warnings {
		logger.Warn(w)
	}
	target, err := webhookTarget(conf, f)
	if err != nil {
		return err
	}
	secret, err := webhookSecret(conf, f.insecure)
	if err != nil {
		return err
	}
	spoolDir := f.spool
	if spoolDir == "" {
		spoolDir = filepath.Join(pipeline.DataDir(), spoolDirName, target.pipeline)
	}
	spool, err := webhook.OpenSpool(spoolDir, 0)
	if err != nil {
		return fmt.Errorf("open webhook spool %s: %w", spoolDir, err)
	}
	defer spool.Close()

	batcher := &webhook.Batcher{
		Spool:     spool,
		Load:      target.load(logger),
		BatchSize: f.batchSize,
		BatchWait: f.batchWait,
		Logger:    logger,
	}
	srv, err := webhook.NewServer(webhook.ServerConfig{
		Addr:    f.addr,
		Batcher: batcher,
		Webhook: webhook.Config{
			Secret:   secret,
			Insecure: f.insecure,
			MaxBody:  f.maxBody,
			Spool:    spool,
			Logger:   logger,
		},
	})
	if err != nil {
		return &usageError{err}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(cmd.Context(), "tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w; choose another --addr", f.addr, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Serving Ashby webhooks at http://%s%s (pipeline %s, dataset %s, spool %s)\n",
		ln.Addr(), webhook.DefaultPath, target.pipeline, target.dataset, spoolDir)
	if secret == "" {
		logger.Warn("webhook signatures are not checked (--insecure-no-signature)")
	}
	return srv.Serve(cmd.Context(), ln)
}

// loadTarget is the pipeline, dataset and destination that webhook
// batches load into, the same as "restload run ashby" uses with the same
// flags.
type loadTarget struct {
	conf        *config.Resolver
	pipeline    string
	dataset     string
	destination string
	pii         schema.PIIMode
	hashKey     []byte
}

// webhookTarget checks the flags that select where batches load.
func webhookTarget(conf *config.Resolver, f *webhookFlags) (*loadTarget, error) {
	if err := checkDestination(f.destination); err != nil {
		return nil, err
	}
	switch f.pii {
	case "keep", "hash", "mask", "drop":
	default:
		return nil, &usageError{fmt.Errorf("invalid --pii %q: use keep, hash, mask or drop", f.pii)}
	}
	if f.batchSize < 1 {
		return nil, &usageError{fmt.Errorf("invalid --batch-size %d: use 1 or more events", f.batchSize)}
	}
	if f.batchWait <= 0 {
		return nil, &usageError{fmt.Errorf("invalid --batch-wait %s: use a positive duration such as 5s", f.batchWait)}
	}
	if f.maxBody < 1 {
		return nil, &usageError{fmt.Errorf("invalid --max-body %d: use a positive number of bytes such as %d", f.maxBody, webhook.DefaultMaxBody)}
	}
	var norm normalizeSettings
	if err := conf.Decode("normalize", &norm); err != nil {
		return nil, &usageError{err}
	}
	if f.pii == "hash" && norm.PIIHashKey.Reveal() == "" {
		return nil, &usageError{fmt.Errorf("--pii hash needs a secret key (normalize.pii_hash_key) so that hashes match those of \"restload run\": set it in one of these places:\n  %s",
			strings.Join(conf.Searched("normalize.pii_hash_key", true), "\n  "))}
	}
	t := &loadTarget{conf: conf, pipeline: f.pipeline, dataset: f.dataset, destination: f.destination,
		pii: schema.PIIMode(f.pii), hashKey: []byte(norm.PIIHashKey.Reveal())}
	if t.pipeline == "" {
		t.pipeline = "ashby_pipeline"
	}
	if t.dataset == "" {
		t.dataset = "ashby_data"
	}
	if err := pipeline.ValidateName(t.pipeline); err != nil {
		return nil, &usageError{err}
	}
	// Datasets follow the naming convention, as "restload run" applies it.
	t.dataset = schema.NormalizeIdentifier(t.dataset)
	if err := pipeline.ValidateDataset(t.dataset); err != nil {
		return nil, &usageError{err}
	}
	return t, nil
}

// webhookSecret reads the webhook's secret token from the configuration.
// A missing secret is a usage error unless insecure is set.
func webhookSecret(conf *config.Resolver, insecure bool) (string, error) {
	v, ok, err := conf.Lookup(webhookSecretKey, true)
	if err != nil {
		return "", &usageError{err}
	}
	var secret string
	if ok {
		s, isString := v.Raw.(string)
		if !isString {
			return "", &usageError{fmt.Errorf("invalid value for %s in %s: want a string", webhookSecretKey, v.Origin)}
		}
		secret = strings.TrimSpace(s)
	}
	if secret == "" && !insecure {
		return "", &usageError{fmt.Errorf("missing Ashby webhook secret (%s), the secret token set on the webhook in Ashby: "+
			"set it in one of these places, or pass --insecure-no-signature for a local test:\n  %s",
			webhookSecretKey, strings.Join(conf.Searched(webhookSecretKey, true), "\n  "))}
	}
	return secret, nil
}

// load returns the Batcher's load function. Each batch opens the
// destination, runs the pipeline once with the batch's events and closes
// the destination again, so that "restload run" and queries can open a
// DuckDB file between batches. The Batcher calls it for one batch at a
// time.
func (t *loadTarget) load(logger *slog.Logger) webhook.LoadFunc {
	return func(ctx context.Context, events []webhook.Event) error {
		src, err := ashby.NewWebhookSource(events, ashby.Config{PII: t.pii, Logger: logger})
		if err != nil {
			return err
		}
		dest, err := openDestination(ctx, t.destination, t.pipeline, t.conf)
		if err != nil {
			return err
		}
		defer dest.Close()
		p, err := pipeline.New(pipeline.Config{
			Name:            t.pipeline,
			Dataset:         t.dataset,
			Destination:     dest,
			DestinationName: t.destination,
			Logger:          logger.With("pipeline", t.pipeline),
			PIIHashKey:      t.hashKey,
		})
		if err != nil {
			return err
		}
		if _, err := p.Run(ctx, src); err != nil {
			return fmt.Errorf("run pipeline %s: %w", t.pipeline, err)
		}
		return nil
	}
}

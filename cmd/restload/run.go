package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/restload/restload/config"
	"github.com/restload/restload/internal/ashbysim"
	"github.com/restload/restload/pipeline"
	"github.com/restload/restload/schema"
	"github.com/restload/restload/source"
	"github.com/restload/restload/source/ashby"
	"github.com/restload/restload/source/rest"
)

// Environment variables read by "run ashby".
const (
	envAshbyAPIKey  = "SOURCES__ASHBY__API_KEY"
	envAshbyBaseURL = "SOURCES__ASHBY__BASE_URL"
)

type runFlags struct {
	pipeline       string
	dataset        string
	destination    string
	resources      []string
	sourceFile     string
	demo           bool
	demoSeed       int64
	demoCandidates int
	progress       string
	interval       time.Duration
	pii            string
	fullRefresh    bool
}

func newRunCommand(g *globalFlags) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run (ashby | --source FILE)",
		Short: "Extract a source, normalize its data and load it into a destination",
		Long: `Run extracts every resource of a source, normalizes the items into tables and
loads them into the destination, incrementally where the source allows.

"run ashby" loads Ashby. It reads the API key from ` + envAshbyAPIKey + `
(or [sources.ashby] api_key in .restload/secrets.toml) and the base URL
from ` + envAshbyBaseURL + ` (default ` + ashby.DefaultBaseURL + `). With --demo
it loads the sample organisation of a built-in Ashby emulator on loopback
instead.

"run --source FILE" loads any REST API from a YAML source definition; its
secrets come from SOURCES__<NAME>__<SECRET> or .restload/secrets.toml.`,
		Example: "  restload run ashby --demo\n  SOURCES__ASHBY__API_KEY=... restload run ashby --dataset ashby_data\n  restload run --source github.yaml",
		Args: func(cmd *cobra.Command, args []string) error {
			if f.sourceFile != "" {
				if len(args) > 0 {
					return &usageError{fmt.Errorf("run takes either a source name or --source, not both: drop %q", args[0])}
				}
				return nil
			}
			if len(args) != 1 {
				return &usageError{fmt.Errorf("run takes one source name, got %d: try \"restload run ashby --demo\" or \"restload run --source FILE\"", len(args))}
			}
			if args[0] != "ashby" {
				return &usageError{fmt.Errorf("unknown source %q: use \"ashby\", or --source FILE for a source definition", args[0])}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.sourceFile != "" {
				return runDefinition(cmd, g, f)
			}
			return runAshby(cmd, g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.pipeline, "pipeline", "", "pipeline name: names the working folder and the DuckDB file <name>.duckdb (default <source>_pipeline)")
	fl.StringVar(&f.dataset, "dataset", "", "dataset name: the schema inside the destination that receives the tables (default <source>_data)")
	fl.StringVar(&f.destination, "destination", "duckdb", "where to load: duckdb (the file <pipeline>.duckdb here), postgres (destination.postgres.credentials), filesystem (Parquet, JSONL or CSV files under destination.filesystem.bucket_url, default <pipeline>_files) or iceberg (tables under destination.iceberg.warehouse, default <pipeline>_iceberg)")
	fl.StringSliceVar(&f.resources, "resources", nil, "comma-separated resources to load (default all); Ashby's: "+strings.Join(ashby.ResourceNames(), ","))
	fl.StringVar(&f.sourceFile, "source", "", "YAML source definition to run instead of a built-in source")
	fl.BoolVar(&f.demo, "demo", false, "load the sample organisation of the built-in Ashby emulator instead of Ashby")
	fl.Int64Var(&f.demoSeed, "demo-seed", 1, "with --demo: seed of the emulator's organisation")
	fl.IntVar(&f.demoCandidates, "demo-candidates", 500, "with --demo: number of candidates in the emulator's organisation")
	fl.StringVar(&f.progress, "progress", "auto", "progress display: bar (on a terminal), log (a line per resource every --progress-interval), none, or auto (bar on a terminal, else log)")
	fl.DurationVar(&f.interval, "progress-interval", 5*time.Second, "with log progress: time between progress lines, e.g. 5s")
	fl.StringVar(&f.pii, "pii", "keep", "for ashby: what to do with personal fields (names, emails, phones, links, addresses, notes, file handles): keep, hash (HMAC-SHA256 under normalize.pii_hash_key), mask or drop")
	fl.BoolVar(&f.fullRefresh, "full-refresh", false, "ignore stored sync tokens and cursors and list every resource in full; rows the source no longer returns are marked deleted (_rl_deleted_at)")
	return cmd
}

// setupRun reads the configuration, builds the logger and checks the
// flags that every source shares.
func setupRun(cmd *cobra.Command, g *globalFlags, f *runFlags) (*config.Resolver, *slog.Logger, error) {
	conf, err := loadConfig(cmd, g)
	if err != nil {
		return nil, nil, err
	}
	logger, err := g.logger(cmd.ErrOrStderr())
	if err != nil {
		return nil, nil, err
	}
	// Libraries that log through the default logger (the Iceberg library
	// does) then follow the chosen level and format.
	slog.SetDefault(logger)
	for _, w := range conf.Warnings {
		logger.Warn(w)
	}
	if err := checkRunFlags(f); err != nil {
		return nil, nil, err
	}
	return conf, logger, nil
}

// checkRunFlags validates the flags that every source shares.
func checkRunFlags(f *runFlags) error {
	if err := checkDestination(f.destination); err != nil {
		return err
	}
	switch f.pii {
	case "keep", "hash", "mask", "drop":
	default:
		return &usageError{fmt.Errorf("invalid --pii %q: use keep, hash, mask or drop", f.pii)}
	}
	switch f.progress {
	case "auto", "bar", "log", "none":
	default:
		return &usageError{fmt.Errorf("invalid --progress %q: use auto, bar, log or none", f.progress)}
	}
	if f.interval <= 0 {
		return &usageError{fmt.Errorf("invalid --progress-interval %s: use a positive duration such as 5s", f.interval)}
	}
	return nil
}

func runAshby(cmd *cobra.Command, g *globalFlags, f *runFlags) error {
	conf, logger, err := setupRun(cmd, g, f)
	if err != nil {
		return err
	}
	// The emulator takes 0 as its default size, so the smallest
	// organisation on request is one candidate.
	if f.demoCandidates < 1 {
		return &usageError{fmt.Errorf("invalid --demo-candidates %d: use 1 or more", f.demoCandidates)}
	}
	var settings ashbySettings
	if err := conf.Decode("sources.ashby", &settings); err != nil {
		return &usageError{err}
	}
	if settings.RequestTimeout < 0 || settings.MaxRetries < 0 {
		return &usageError{fmt.Errorf("sources.ashby.request_timeout (%s) and sources.ashby.max_retries (%d) cannot be negative: leave them unset for one minute and 6 retries",
			settings.RequestTimeout, settings.MaxRetries)}
	}
	if settings.Concurrency < 0 {
		return &usageError{fmt.Errorf("sources.ashby.concurrency is %d: set a positive number of resources to extract at once, or leave it unset for %d",
			settings.Concurrency, ashby.DefaultConcurrency)}
	}
	cfg := ashby.Config{
		APIKey:    settings.APIKey.Reveal(),
		BaseURL:   settings.BaseURL,
		Resources: f.resources,
		Logger:    logger,
		PII:       schema.PIIMode(f.pii),

		RequestTimeout: settings.RequestTimeout,
		MaxRetries:     settings.MaxRetries,
		Concurrency:    settings.Concurrency,
	}
	if f.demo {
		key, err := randomKey()
		if err != nil {
			return err
		}
		sim := ashbysim.New(ashbysim.Config{
			Seed:       f.demoSeed,
			Candidates: f.demoCandidates,
			APIKeys:    map[string][]string{key: nil},
		})
		url, err := sim.Start("127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("start the Ashby emulator: %w", err)
		}
		defer sim.Close()
		logger.Info("Ashby emulator started", "url", url, "candidates", f.demoCandidates, "seed", f.demoSeed)
		cfg.APIKey, cfg.BaseURL = key, url
	} else if cfg.APIKey == "" {
		return &usageError{fmt.Errorf("missing Ashby API key (sources.ashby.api_key): set it in one of these places, "+
			"or pass --demo to load the built-in emulator's sample organisation:\n  %s",
			strings.Join(conf.Searched("sources.ashby.api_key", true), "\n  "))}
	}
	src, err := ashby.New(cfg)
	if err != nil {
		return &usageError{err}
	}
	return runPipeline(cmd, g, f, conf, logger, src)
}

// runDefinition runs a declarative source definition.
func runDefinition(cmd *cobra.Command, g *globalFlags, f *runFlags) error {
	conf, logger, err := setupRun(cmd, g, f)
	if err != nil {
		return err
	}
	if f.pii != "keep" {
		return &usageError{errors.New("--pii applies to the ashby source; a source definition sets pii per field in its columns hints")}
	}
	def, err := rest.LoadFile(f.sourceFile)
	if err != nil {
		return &usageError{err}
	}
	name := def.Name
	if name == "" {
		name = "rest_api"
	}
	src, err := rest.New(def, rest.Options{
		Secrets:   configSecrets(conf, name),
		Logger:    logger,
		Resources: f.resources,
	})
	if err != nil {
		return &usageError{err}
	}
	defer src.Close()
	return runPipeline(cmd, g, f, conf, logger, src)
}

// configSecrets resolves a definition's secrets as sources.<name>.<secret>
// through the configuration: the environment, then secrets.toml files.
func configSecrets(conf *config.Resolver, source string) rest.SecretLookup {
	return func(name string) (string, error) {
		key := "sources." + source + "." + name
		v, ok, err := conf.Lookup(key, true)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", &config.MissingError{Key: key, Searched: conf.Searched(key, true)}
		}
		s, isString := v.Raw.(string)
		if !isString {
			return "", fmt.Errorf("invalid value for %s in %s: want a string", key, v.Origin)
		}
		return s, nil
	}
}

// runPipeline loads src into DuckDB and prints the load summary.
func runPipeline(cmd *cobra.Command, g *globalFlags, f *runFlags, conf *config.Resolver, logger *slog.Logger, src source.Source) error {
	var norm normalizeSettings
	if err := conf.Decode("normalize", &norm); err != nil {
		return &usageError{err}
	}
	if norm.Workers < 0 {
		return &usageError{fmt.Errorf("normalize.workers is %d: set a positive number of resources to normalize at once, or 0 for one per CPU", norm.Workers)}
	}
	if f.pii == "hash" && norm.PIIHashKey.Reveal() == "" {
		return &usageError{fmt.Errorf("--pii hash needs a secret key (normalize.pii_hash_key) so that hashes stay stable across runs: set it in one of these places:\n  %s",
			strings.Join(conf.Searched("normalize.pii_hash_key", true), "\n  "))}
	}
	name, dataset := f.pipeline, f.dataset
	if name == "" {
		name = src.Name() + "_pipeline"
	}
	if dataset == "" {
		dataset = src.Name() + "_data"
	}
	f.pipeline = name
	if err := pipeline.ValidateName(name); err != nil {
		return &usageError{err}
	}
	// Dataset names follow the naming convention, as table names do, so
	// "MyData" and "mydata" are one dataset and not a clash of two.
	if norm := schema.NormalizeIdentifier(dataset); norm != dataset {
		logger.Info("dataset name normalized", "given", dataset, "dataset", norm)
		dataset = norm
	}
	if err := pipeline.ValidateDataset(dataset); err != nil {
		return &usageError{err}
	}
	dest, err := openDestination(cmd.Context(), f.destination, name, conf)
	if err != nil {
		return err
	}
	defer dest.Close()
	progress, wait, err := newProgress(cmd, g, f)
	if err != nil {
		return err
	}
	p, err := pipeline.New(pipeline.Config{
		Name:             name,
		Dataset:          dataset,
		Destination:      dest,
		DestinationName:  f.destination,
		Logger:           logger,
		Progress:         progress,
		PIIHashKey:       []byte(norm.PIIHashKey.Reveal()),
		NormalizeWorkers: norm.Workers,
		FullRefresh:      f.fullRefresh,
	})
	if err != nil {
		wait()
		return &usageError{err}
	}
	info, err := p.Run(cmd.Context(), src)
	wait()
	if info != nil && len(info.Packages) > 0 {
		fmt.Fprint(cmd.OutOrStdout(), info)
	}
	var ee *pipeline.ExtractError
	if errors.As(err, &ee) && ee.Loaded > 0 {
		return &partialError{err}
	}
	return err
}

// randomKey returns a fresh API key for the demo emulator, so that no
// fixed key exists that could be mistaken for a real one.
func randomKey() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate demo API key: %w", err)
	}
	return "demo_" + hex.EncodeToString(b), nil
}

// newProgress returns the progress display that --progress selects and a
// function that finishes it before the summary is printed.
func newProgress(cmd *cobra.Command, g *globalFlags, f *runFlags) (pipeline.Progress, func(), error) {
	mode := f.progress
	if mode == "auto" {
		mode = "log"
		// A terminal that reports no width (some recorders and serial
		// consoles) gets lines, since bars would not be drawn there.
		if isTerminal(cmd.ErrOrStderr()) && terminalWidth(cmd.ErrOrStderr()) > 0 {
			mode = "bar"
		}
	}
	switch mode {
	case "bar":
		b := newBarProgress(cmd.ErrOrStderr())
		return b, b.Wait, nil
	case "log":
		// Progress lines show at the default warn level too: they are what
		// a scheduler's log needs to tell a slow run from a stuck one. A
		// level chosen on purpose (error) silences them.
		level := *g
		if strings.EqualFold(level.logLevel, "warn") {
			level.logLevel = "info"
		}
		logger, err := level.logger(cmd.ErrOrStderr())
		if err != nil {
			return nil, nil, err
		}
		l := newLogProgress(logger.With("pipeline", f.pipeline), f.interval)
		return l, l.Wait, nil
	}
	return nil, func() {}, nil
}

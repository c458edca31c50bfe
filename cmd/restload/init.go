package main

import (
	"bytes"
	"fmt"
	"go/format"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/restload/restload/config"
	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/source/ashby"
	"github.com/restload/restload/source/rest/gocode"
)

// modulePath is restload's Go module, which starter projects require.
const modulePath = "github.com/restload/restload"

// devModuleVersion is the version a starter's go.mod requires when this
// binary is a development build. The go command accepts it only together
// with a replace directive, which go mod edit -replace adds.
const devModuleVersion = "v0.0.0-00010101000000-000000000000"

// starterGoVersion is the go directive of a starter's go.mod. It matches
// restload's own go directive, so go mod tidy keeps it.
const starterGoVersion = "1.26.0"

// Sources and destinations that init writes starters for.
var (
	initSources      = []string{"ashby", "rest"}
	initDestinations = []string{"duckdb", "postgres", "filesystem", "iceberg"}
)

type initFlags struct {
	dir     string
	force   bool
	openapi string
}

func newInitCommand() *cobra.Command {
	f := &initFlags{}
	cmd := &cobra.Command{
		Use:   "init SOURCE DESTINATION",
		Short: "Write a starter project: configuration, secrets and a Go program that runs the pipeline",
		Long: `Init writes a starter project into the current folder (or --dir):

  .restload/config.toml   settings with their defaults, commented out
  .restload/secrets.toml  the source's secrets, readable by the owner only (mode 0600)
  SOURCE_pipeline.go      a Go program that runs the pipeline: go run SOURCE_pipeline.go
  go.mod                  a module that requires restload at this binary's version
  .gitignore              keeps secrets.toml and DuckDB files out of version control

SOURCE is ashby or rest. For ashby, the program holds Ashby's source
definition as a Go literal, ready to edit. For rest, init also writes
rest_source.yaml, a commented example definition for any REST API, and
the program runs it. DESTINATION is duckdb, postgres, filesystem or
iceberg.

With --openapi FILE, init takes a source NAME instead and writes only
NAME.yaml: a source definition generated from the OpenAPI document, with
a comment on every guess.

Init does not overwrite existing files unless --force is given.`,
		Example: "  restload init ashby duckdb\n  restload init rest duckdb --dir github_loader\n  restload init --openapi store.yaml store",
		Args: func(cmd *cobra.Command, args []string) error {
			if f.openapi != "" {
				return checkOpenAPIArgs(args)
			}
			return checkInitArgs(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.openapi != "" {
				return runInitOpenAPI(cmd, f, args[0])
			}
			return runInit(cmd, f, args[0], args[1])
		},
	}
	cmd.Flags().StringVar(&f.openapi, "openapi", "", "OpenAPI 3.x document (YAML or JSON) to generate NAME.yaml from; then init takes NAME only")
	cmd.Flags().StringVar(&f.dir, "dir", ".", "folder to write the project into; created if missing")
	cmd.Flags().BoolVar(&f.force, "force", false, "overwrite files that already exist, secrets.toml included")
	return cmd
}

// checkInitArgs validates SOURCE and DESTINATION, naming the closest
// valid value for a typo.
func checkInitArgs(_ *cobra.Command, args []string) error {
	if len(args) != 2 {
		return &usageError{fmt.Errorf("init takes a source and a destination, got %d argument(s): try \"restload init ashby duckdb\"", len(args))}
	}
	source, dest := args[0], args[1]
	if !slices.Contains(initSources, source) {
		return &usageError{fmt.Errorf("unknown source %q%s; valid sources: %s",
			source, didYouMean(source, initSources), strings.Join(initSources, ", "))}
	}
	if !slices.Contains(initDestinations, dest) {
		return &usageError{fmt.Errorf("unknown destination %q%s; valid destinations: %s",
			dest, didYouMean(dest, initDestinations), strings.Join(initDestinations, ", "))}
	}
	return nil
}

func didYouMean(s string, candidates []string) string {
	if c := config.Closest(s, candidates); c != "" {
		return fmt.Sprintf(" (did you mean %s?)", c)
	}
	return ""
}

// starterFile is one file of a starter project.
type starterFile struct {
	// path is relative to the project folder, with forward slashes.
	path    string
	content []byte
	mode    fs.FileMode
}

func runInit(cmd *cobra.Command, f *initFlags, source, dest string) error {
	dir, err := filepath.Abs(f.dir)
	if err != nil {
		return fmt.Errorf("resolve --dir %s: %w", f.dir, err)
	}
	version, dev := moduleVersion()
	files, err := starterFiles(source, dest, moduleName(dir), version, dev)
	if err != nil {
		return err
	}
	if !f.force {
		var existing []string
		for _, sf := range files {
			if _, err := os.Lstat(filepath.Join(dir, sf.path)); err == nil {
				existing = append(existing, sf.path)
			}
		}
		if len(existing) > 0 {
			return &usageError{fmt.Errorf("%s already contains %s: pass --force to overwrite, or choose another folder with --dir",
				dir, strings.Join(existing, ", "))}
		}
	}
	if err := writeStarter(dir, files); err != nil {
		return err
	}
	printNextSteps(cmd, f.dir, dir, source, files, dev)
	return nil
}

// writeStarter writes files into dir. Each file's mode is set even when
// it existed before, so an overwritten secrets.toml is private again.
func writeStarter(dir string, files []starterFile) error {
	for _, sf := range files {
		path := filepath.Join(dir, filepath.FromSlash(sf.path))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("create folder for %s: %w", path, err)
		}
		if err := os.WriteFile(path, sf.content, sf.mode); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		if err := os.Chmod(path, sf.mode); err != nil {
			return fmt.Errorf("set mode of %s: %w", path, err)
		}
	}
	return nil
}

func printNextSteps(cmd *cobra.Command, dirFlag, dir, source string, files []starterFile, dev bool) {
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "Wrote the %s starter project to %s:\n", source, dir)
	for _, sf := range files {
		note := ""
		if sf.mode == 0o600 {
			note = " (mode 0600)"
		}
		fmt.Fprintf(w, "  %s%s\n", sf.path, note)
	}
	fmt.Fprintln(w, "\nNext steps:")
	var steps []string
	if filepath.Clean(dirFlag) != "." {
		steps = append(steps, "cd "+dirFlag)
	}
	if source == "rest" {
		steps = append(steps,
			"edit rest_source.yaml: set OWNER and REPO in base_url, or describe another API",
			"put the GitHub token in .restload/secrets.toml (access_token under [sources.github])",
			"restload lint rest_source.yaml")
	} else {
		steps = append(steps, "put the Ashby API key in .restload/secrets.toml (api_key under [sources.ashby])")
	}
	if dev {
		steps = append(steps, "this restload is a development build: point go.mod at a checkout of restload with\n"+
			"     go mod edit -replace "+modulePath+"=/path/to/restload")
	}
	steps = append(steps, "go mod tidy", "go run "+source+"_pipeline.go")
	for i, s := range steps {
		fmt.Fprintf(w, "  %d. %s\n", i+1, s)
	}
}

// moduleVersion returns the restload version that a starter's go.mod
// requires. dev reports a development build, which no published version
// matches, and then the version is devModuleVersion.
func moduleVersion() (v string, dev bool) {
	if isRelease(version) {
		return version, false
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Path == modulePath && isRelease(bi.Main.Version) {
		return bi.Main.Version, false
	}
	return devModuleVersion, true
}

var (
	releasePattern = regexp.MustCompile(`^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)
	// pseudoPattern matches the time and commit of a pseudo-version,
	// which the go command stamps on builds from a checkout.
	pseudoPattern = regexp.MustCompile(`\d{14}-[0-9a-f]{12}$`)
)

// isRelease reports whether v is a tagged module version such as v1.2.0
// or v1.3.0-rc.1, as opposed to "dev", "(devel)" or a pseudo-version.
func isRelease(v string) bool {
	return releasePattern.MatchString(v) && !pseudoPattern.MatchString(v)
}

var moduleNameInvalid = regexp.MustCompile(`[^A-Za-z0-9._~-]+`)

// moduleName derives a module path from the project folder's name.
func moduleName(dir string) string {
	name := moduleNameInvalid.ReplaceAllString(filepath.Base(dir), "-")
	name = strings.Trim(name, ".-~")
	if name == "" {
		return "pipeline"
	}
	return name
}

// starterFiles returns the files of the starter project for source and
// dest, in the order they are listed to the user.
func starterFiles(source, dest, module, version string, dev bool) ([]starterFile, error) {
	if !slices.Contains(initDestinations, dest) {
		return nil, fmt.Errorf("no starter project for destination %q", dest)
	}
	var program []byte
	var extra []starterFile
	var err error
	switch source {
	case "ashby":
		program, err = ashbyProgram(dest, version, dev)
	case "rest":
		program, err = restProgram(dest, version, dev)
		extra = []starterFile{{path: restDefinitionFile, content: []byte(restDefinition), mode: 0o644}}
	default:
		return nil, fmt.Errorf("no starter project for source %q", source)
	}
	if err != nil {
		return nil, err
	}
	files := []starterFile{
		{path: ".restload/config.toml", content: []byte(configTOML(source)), mode: 0o644},
		{path: ".restload/secrets.toml", content: []byte(secretsTOML(source)), mode: 0o600},
	}
	files = append(files, extra...)
	return append(files,
		starterFile{path: source + "_pipeline.go", content: program, mode: 0o644},
		starterFile{path: "go.mod", content: []byte(goMod(module, version, dev)), mode: 0o644},
		starterFile{path: ".gitignore", content: []byte(gitignore), mode: 0o644},
	), nil
}

func goMod(module, version string, dev bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "module %s\n\ngo %s\n\n", module, starterGoVersion)
	if dev {
		b.WriteString("// The restload that wrote this file is a development build, which no\n" +
			"// published version matches. Point the requirement at a checkout of\n" +
			"// restload, then run go mod tidy:\n//\n" +
			"//\tgo mod edit -replace " + modulePath + "=/path/to/restload\n")
	}
	fmt.Fprintf(&b, "require %s %s\n", modulePath, version)
	return b.String()
}

const gitignore = `# Secrets stay on this machine.
.restload/secrets.toml
# Loaded data, which holds personal data: DuckDB databases with their
# write-ahead logs, and the default folders of files and Iceberg tables.
*.duckdb
*.duckdb.wal
*_pipeline_files/
*_pipeline_iceberg/
`

// configTOML returns .restload/config.toml: every setting the program
// reads, commented out at its default.
func configTOML(source string) string {
	var b strings.Builder
	b.WriteString(`# Settings of this project, read by the pipeline program and by restload
# when they run in this folder. Values set in ~/.restload/config.toml apply
# too, and environment variables override both: a key's variable is its
# path in upper case with "__" between the parts, such as
# RUNTIME__LOG_LEVEL. Secrets belong in secrets.toml, never here.
# Each key below is commented out at its default; remove the "#" to change it.
`)
	if source == "ashby" {
		b.WriteString(`
[sources.ashby]
# Base URL of Ashby's API; only loopback hosts may use plain http://.
# base_url = "` + ashby.DefaultBaseURL + `"
# Time limit of one request; a request that exceeds it is retried.
# request_timeout = "60s"
# How often a request is retried after 429, 5xx, a timeout or a broken
# connection, with backoff that doubles from one second.
# max_retries = 6
# How many resources are extracted at once.
# concurrency = 3
`)
	}
	b.WriteString(`
[normalize]
# How many resources restload run normalizes at once; 0 means one per
# CPU.
# workers = 0

[destination.duckdb]
# Memory that DuckDB may use while it loads, such as "1GB"; beyond it,
# DuckDB spills to temp_directory. restload run reads these two keys.
# memory_limit = "` + duckdb.DefaultMemoryLimit + `"
# Folder for what exceeds the limit; the default is <pipeline>.duckdb.tmp
# beside the database.
# temp_directory = ""

[destination.filesystem]
# Folder (a path or file:// URL) that --destination filesystem writes to,
# one folder per dataset; the default is <pipeline>_files here.
# bucket_url = ""
# Format of the data files: parquet, jsonl or csv.
# format = "parquet"

[destination.iceberg]
# Folder of the Iceberg tables that --destination iceberg writes; the
# default is <pipeline>_iceberg here.
# warehouse = ""
# Catalog: sql (a SQLite file in the warehouse) or filesystem.
# catalog = "sql"
`)
	b.WriteString(`
[runtime]
# Log level on standard error: debug, info, warn or error.
# log_level = "warn"
# Log format: text or json.
# log_format = "text"
`)
	return b.String()
}

// secretsTOML returns .restload/secrets.toml with an empty placeholder
// for the source's credential, which the program rejects as missing.
func secretsTOML(source string) string {
	var b strings.Builder
	example := "SOURCES__ASHBY__API_KEY for api_key under [sources.ashby]"
	if source == "rest" {
		example = "SOURCES__GITHUB__ACCESS_TOKEN for access_token under\n# [sources.github]"
	}
	b.WriteString(`# Secrets of this project: keep this file readable by you alone (chmod 600)
# and out of version control. Environment variables override the values
# here, such as ` + example + `.
`)
	if source == "ashby" {
		b.WriteString(`
[sources.ashby]
# Ashby API key, created in Ashby under Admin > API Keys, with read access
# to the objects to load. Put it between the quotes.
api_key = ""
# Secret token of Ashby's webhooks, for "restload webhook serve ashby",
# which checks every event's signature with it.
# webhook_secret = ""
`)
	} else {
		b.WriteString(`
[sources.github]
# GitHub token with read access to the repository's issues. Put it
# between the quotes. The section is named after the definition's name,
# and the key after the secret that the definition names.
access_token = ""
`)
	}
	b.WriteString(`
[normalize]
# Key for hashing the values of columns whose hint sets pii: hash. The
# same key gives the same hashes, so hashed columns still join; use a long
# random string and keep it.
# pii_hash_key = ""

[destination.postgres]
# Connection URL of the PostgreSQL database that --destination postgres
# loads into; TLS options such as sslmode and sslrootcert go in the query
# string.
# credentials = "postgresql://loader:password@db.example.com:5432/analytics?sslmode=verify-full"
`)
	return b.String()
}

// destinationImports returns the package that opens dest.
func destinationImport(dest string) string {
	return modulePath + "/destination/" + dest
}

// ashbyProgram returns ashby_pipeline.go, which holds the current Ashby
// definition as a Go literal and loads into dest.
func ashbyProgram(dest, version string, dev bool) ([]byte, error) {
	lit, err := gocode.Format(ashby.Definition(ashby.DefaultBaseURL))
	if err != nil {
		return nil, fmt.Errorf("print the Ashby definition: %w", err)
	}
	imports := append([]string{
		"context", "errors", "fmt", "log/slog", "os", "os/signal", "strings", "syscall",
		modulePath + "/config",
		destinationImport(dest),
		modulePath + "/pipeline",
		modulePath + "/source/ashby",
		modulePath + "/source/rest",
	}, lit.Imports...)
	return renderProgram("ashby", dest, version, dev, imports, string(lit.Expr))
}

// restProgram returns rest_pipeline.go, which runs rest_source.yaml into
// dest.
func restProgram(dest, version string, dev bool) ([]byte, error) {
	imports := []string{
		"context", "errors", "fmt", "log/slog", "os", "os/signal", "strings", "syscall",
		modulePath + "/config",
		destinationImport(dest),
		modulePath + "/pipeline",
		modulePath + "/source/rest",
	}
	return renderProgram("rest", dest, version, dev, imports, "")
}

// programData fills programTemplate.
type programData struct {
	Source string
	// Destination is duckdb, postgres, filesystem or iceberg, and Where
	// describes in words where it puts the data.
	Destination string
	Where       string
	// Origin names the restload that wrote the program.
	Origin     string
	Imports    string
	Definition string
	File       string
}

// destinationWhere describes where each destination of a starter
// program puts the data, for its doc comment.
var destinationWhere = map[string]string{
	"duckdb":     "the DuckDB file <name>_pipeline.duckdb",
	"postgres":   "the PostgreSQL database of credentials under [destination.postgres]",
	"filesystem": "Parquet files under <name>_pipeline_files (bucket_url and format under [destination.filesystem])",
	"iceberg":    "Iceberg tables under <name>_pipeline_iceberg (warehouse and catalog under [destination.iceberg])",
}

func renderProgram(source, dest, version string, dev bool, imports []string, definition string) ([]byte, error) {
	data := programData{
		Source:      source,
		Destination: dest,
		Where:       destinationWhere[dest],
		Origin:      "restload " + version,
		Imports:     importBlock(imports),
		Definition:  definition,
		File:        restDefinitionFile,
	}
	if dev {
		data.Origin = "a development build of restload"
	}
	var buf bytes.Buffer
	if err := programTemplate.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("write %s_pipeline.go: %w", source, err)
	}
	out, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("gofmt %s_pipeline.go: %w", source, err)
	}
	return out, nil
}

// importBlock lists imports as gofmt and goimports group them: the
// standard library first, then other modules.
func importBlock(paths []string) string {
	var std, other []string
	for _, p := range paths {
		first, _, _ := strings.Cut(p, "/")
		if strings.Contains(first, ".") {
			other = append(other, p)
		} else {
			std = append(std, p)
		}
	}
	var b strings.Builder
	for i, group := range [][]string{std, other} {
		slices.Sort(group)
		group = slices.Compact(group)
		if i > 0 && len(group) > 0 {
			b.WriteString("\n")
		}
		for _, p := range group {
			fmt.Fprintf(&b, "\t%q\n", p)
		}
	}
	return b.String()
}

var programTemplate = template.Must(template.New("program").Parse(programSource))

// programSource is the starter program. The parts for each source are
// chosen by {{if eq .Source "ashby"}}.
const programSource = `{{if eq .Source "ashby" -}}
// Command ashby_pipeline loads an Ashby organisation into {{.Where}},
// where <name> is ashby, into the dataset ashby_data. The first run reads
// every object; later runs read only what changed since, by Ashby's sync
// tokens, and merge it by id.
//
// ashbyDefinition holds the Ashby source definition of {{.Origin}},
// written out by "restload init ashby {{.Destination}}". Edit it to change
// what is loaded: remove resources, change request bodies, add column
// hints such as pii: hash for personal data. The hook names in it refer to
// Go functions that ashby.NewFromDefinition registers.
//
// The API key comes from .restload/secrets.toml (api_key under
// [sources.ashby]) or SOURCES__ASHBY__API_KEY, and the other settings from
// .restload/config.toml, as restload itself reads them.
//
// Run it with: go run ashby_pipeline.go
{{- else -}}
// Command rest_pipeline loads the REST API that {{.File}} describes
// into {{.Where}}, into the dataset <name>_data, where <name> is the
// definition's name.
//
// The definition's secrets come from .restload/secrets.toml (under
// [sources.<name>]) or from environment variables such as
// SOURCES__<NAME>__<SECRET>, and the other settings from
// .restload/config.toml, as restload itself reads them. Check the
// definition with "restload lint {{.File}}".
//
// Run it with: go run rest_pipeline.go
{{- end}}
package main

import (
{{.Imports}})

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

// runtimeSettings are the keys under [runtime], named as restload names
// them.
type runtimeSettings struct {
	LogLevel  string ` + "`config:\"log_level\"`" + `
	LogFormat string ` + "`config:\"log_format\"`" + `
}

// normalizeSettings are the keys under [normalize].
type normalizeSettings struct {
	// PIIHashKey keys the hash of columns whose hint sets pii: hash.
	PIIHashKey config.Secret ` + "`config:\"pii_hash_key\"`" + `
}
{{if eq .Destination "postgres"}}
// destinationSettings are the keys under [destination.postgres].
type destinationSettings struct {
	Credentials config.Secret ` + "`config:\"credentials\"`" + `
}
{{else if eq .Destination "filesystem"}}
// destinationSettings are the keys under [destination.filesystem].
type destinationSettings struct {
	BucketURL string ` + "`config:\"bucket_url\"`" + `
	Format    string ` + "`config:\"format\"`" + `
}
{{else if eq .Destination "iceberg"}}
// destinationSettings are the keys under [destination.iceberg].
type destinationSettings struct {
	Warehouse string ` + "`config:\"warehouse\"`" + `
	Catalog   string ` + "`config:\"catalog\"`" + `
}
{{end}}
{{- if eq .Source "ashby"}}
// ashbySettings are the keys under [sources.ashby].
type ashbySettings struct {
	APIKey  config.Secret ` + "`config:\"api_key\"`" + `
	BaseURL string        ` + "`config:\"base_url\"`" + `
	// WebhookSecret is read by "restload webhook serve ashby", not here.
	WebhookSecret config.Secret ` + "`config:\"webhook_secret\"`" + `
}
{{end}}
func run(ctx context.Context) error {
	conf, err := config.Load(config.Options{})
	if err != nil {
		return err
	}
	// A misspelt key is reported instead of ignored. Keys under other
	// sections of [sources] hold the secrets of definitions.
	known := config.Keys("runtime", runtimeSettings{})
	known = append(known, config.Keys("normalize", normalizeSettings{})...)
{{- if eq .Source "ashby"}}
	known = append(known, config.Keys("sources.ashby", ashbySettings{})...)
{{- end}}
{{- if ne .Destination "duckdb"}}
	known = append(known, config.Keys("destination.{{.Destination}}", destinationSettings{})...)
{{- end}}
	if err := conf.CheckKeys(known, "sources."); err != nil {
		return err
	}
	rt := runtimeSettings{LogLevel: "warn", LogFormat: "text"}
	if err := conf.Decode("runtime", &rt); err != nil {
		return err
	}
	var norm normalizeSettings
	if err := conf.Decode("normalize", &norm); err != nil {
		return err
	}
	logger, err := newLogger(rt)
	if err != nil {
		return err
	}
	for _, w := range conf.Warnings {
		logger.Warn(w)
	}
{{if eq .Source "ashby"}}
	var settings ashbySettings
	if err := conf.Decode("sources.ashby", &settings); err != nil {
		return err
	}
	if strings.TrimSpace(settings.APIKey.Reveal()) == "" {
		return fmt.Errorf("missing Ashby API key: set api_key under [sources.ashby] in one of these places:\n  %s",
			strings.Join(conf.Searched("sources.ashby.api_key", true), "\n  "))
	}
	src, err := ashby.NewFromDefinition(ashbyDefinition(), ashby.Config{
		APIKey:  settings.APIKey.Reveal(),
		BaseURL: settings.BaseURL,
		Logger:  logger,
	})
	if err != nil {
		return err
	}
	name := "ashby"
{{- else}}
	def, err := rest.LoadFile("{{.File}}")
	if err != nil {
		return err
	}
	name := def.Name
	if name == "" {
		name = "rest_api"
	}
	src, err := rest.New(def, rest.Options{Secrets: secrets(conf, name), Logger: logger})
	if err != nil {
		return err
	}
	defer src.Close()
{{- end}}

{{if eq .Destination "duckdb"}}
	dest, err := duckdb.Open(name + "_pipeline.duckdb")
{{- else}}
	var ds destinationSettings
	if err := conf.Decode("destination.{{.Destination}}", &ds); err != nil {
		return err
	}
{{- end}}
{{- if eq .Destination "postgres"}}
	if ds.Credentials.Reveal() == "" {
		return fmt.Errorf("missing PostgreSQL credentials: set credentials under [destination.postgres] in one of these places:\n  %s",
			strings.Join(conf.Searched("destination.postgres.credentials", true), "\n  "))
	}
	dest, err := postgres.Open(ctx, postgres.Config{Credentials: ds.Credentials.Reveal()})
{{- else if eq .Destination "filesystem"}}
	if ds.BucketURL == "" {
		ds.BucketURL = name + "_pipeline_files"
	}
	dest, err := filesystem.Open(filesystem.Config{BucketURL: ds.BucketURL, Format: filesystem.Format(ds.Format)})
{{- else if eq .Destination "iceberg"}}
	if ds.Warehouse == "" {
		ds.Warehouse = name + "_pipeline_iceberg"
	}
	dest, err := iceberg.Open(ctx, iceberg.Config{Warehouse: ds.Warehouse, Catalog: ds.Catalog})
{{- end}}
	if err != nil {
		return err
	}
	defer dest.Close()
	p, err := pipeline.New(pipeline.Config{
		Name:            name + "_pipeline",
		Dataset:         name + "_data",
		Destination:     dest,
		DestinationName: "{{.Destination}}",
		Logger:          logger,
		PIIHashKey:      []byte(norm.PIIHashKey.Reveal()),
	})
	if err != nil {
		return err
	}
	info, err := p.Run(ctx, src)
	if info != nil && len(info.Packages) > 0 {
		fmt.Print(info)
	}
	if err != nil && ctx.Err() != nil {
		return errors.New("interrupted: nothing of the unfinished step was committed; run again to resume")
	}
	return err
}

// newLogger returns the logger that the runtime settings select, writing
// to standard error.
func newLogger(rt runtimeSettings) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(rt.LogLevel)); err != nil {
		return nil, fmt.Errorf("invalid runtime.log_level %q: use debug, info, warn or error", rt.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(rt.LogFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("invalid runtime.log_format %q: use text or json", rt.LogFormat)
}
{{if eq .Source "ashby"}}
// ashbyDefinition returns the Ashby source definition: the client
// settings, the defaults every resource shares, and one resource per
// Ashby list endpoint, each loaded into the table of its name.
func ashbyDefinition() *rest.Config {
	return {{.Definition}}
}
{{- else}}
// secrets resolves the secrets that the definition names: the secret
// NAME of source SOURCE is the key sources.SOURCE.NAME, read from the
// environment or secrets.toml.
func secrets(conf *config.Resolver, source string) rest.SecretLookup {
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
		if strings.TrimSpace(s) == "" {
			return "", fmt.Errorf("empty value for %s in %s: put the secret between the quotes", key, v.Origin)
		}
		return s, nil
	}
}
{{- end}}
`

// restDefinitionFile is the example definition that "init rest" writes.
const restDefinitionFile = "rest_source.yaml"

// restDefinition is the example definition for "init rest": the issues
// of a GitHub repository and the comments of each issue.
const restDefinition = `# A source definition for restload's declarative REST engine. This one
# loads the issues of a GitHub repository and the comments of each issue.
# Check it with "restload lint rest_source.yaml", and run it with
# "go run rest_pipeline.go" or "restload run --source rest_source.yaml".
# The keys are the yaml tags of rest.Config in the Go package
# github.com/restload/restload/source/rest, whose documentation
# describes each of them.

# name names the source. The pipeline is github_pipeline, the tables go
# to the dataset github_data, and the secrets are read from
# [sources.github] in .restload/secrets.toml.
name: github

client:
  # Replace OWNER and REPO with the repository to load. Endpoint paths
  # are appended to this URL.
  base_url: https://api.github.com/repos/OWNER/REPO/
  headers:
    Accept: application/vnd.github+json
  # A definition holds no secret values, only their names: the token is
  # access_token under [sources.github] in .restload/secrets.toml, or the
  # environment variable SOURCES__GITHUB__ACCESS_TOKEN.
  auth:
    type: bearer
    token: {secret: access_token}
  # GitHub links the next page in the Link response header.
  paginator: header_link
  # Time limit for one request, and the request rate of the whole source.
  timeout: 30s
  requests_per_second: 5

# Settings that every resource gets unless it sets them itself.
resource_defaults:
  primary_key: [id]
  # merge replaces a stored row by the newer version with the same key.
  write_disposition: merge
  endpoint:
    params:
      per_page: "100"

resources:
  - name: issues
    endpoint:
      path: issues
      params:
        state: all
        sort: updated
        direction: asc
      # Each run requests only the issues updated since the newest
      # updated_at of the run before, sent as the query parameter since.
      incremental:
        cursor_path: updated_at
        initial_value: "2024-01-01T00:00:00Z"
        start_param: since
    # Column hints, keyed by the path of a field in the items. mask keeps
    # the first character of the author's login and hides the rest.
    columns:
      user.login: {pii: mask}

  # The placeholder {resources.issues.number} makes this resource depend
  # on issues: it requests the comments of each issue that the run loads.
  - name: issue_comments
    include_from_parent: [title]
    endpoint:
      path: issues/{resources.issues.number}/comments
`

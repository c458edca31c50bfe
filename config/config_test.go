package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// layout writes files under a project and a home folder and returns
// load options that see them and the given environment.
func layout(t *testing.T, files map[string]string, env map[string]string) Options {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return Options{
		ProjectDir: filepath.Join(root, "project"),
		HomeDir:    filepath.Join(root, "home"),
		LookupEnv: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		},
	}
}

type ashbySettings struct {
	APIKey  Secret        `config:"api_key,required"`
	BaseURL string        `config:"base_url"`
	Limit   int           `config:"limit"`
	Timeout time.Duration `config:"timeout"`
	Tables  []string      `config:"tables"`
	Debug   bool          `config:"debug"`
}

func TestDecodePrecedence(t *testing.T) {
	files := map[string]string{
		"project/.restload/secrets.toml": "[sources.ashby]\napi_key = \"project-secret\"\n",
		"project/.restload/config.toml":  "[sources.ashby]\nbase_url = \"http://project\"\nlimit = 5\n",
		"home/.restload/secrets.toml":    "[sources.ashby]\napi_key = \"home-secret\"\n",
		"home/.restload/config.toml":     "[sources.ashby]\nbase_url = \"http://home\"\ntimeout = \"3s\"\ntables = [\"a\", \"b\"]\n",
	}
	tests := []struct {
		name string
		env  map[string]string
		want ashbySettings
	}{
		{"files only", nil, ashbySettings{APIKey: "project-secret", BaseURL: "http://project", Limit: 5, Timeout: 3 * time.Second, Tables: []string{"a", "b"}}},
		{"environment wins", map[string]string{"SOURCES__ASHBY__API_KEY": "env-secret", "SOURCES__ASHBY__LIMIT": "9", "SOURCES__ASHBY__TABLES": "x, y", "SOURCES__ASHBY__DEBUG": "true"},
			ashbySettings{APIKey: "env-secret", BaseURL: "http://project", Limit: 9, Timeout: 3 * time.Second, Tables: []string{"x", "y"}, Debug: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Load(layout(t, files, tc.env))
			if err != nil {
				t.Fatal(err)
			}
			var got ashbySettings
			if err := r.Decode("sources.ashby", &got); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", tc.want) || got.APIKey.Reveal() != tc.want.APIKey.Reveal() {
				t.Errorf("got %+v (key %s), want %+v (key %s)", got, got.APIKey.Reveal(), tc.want, tc.want.APIKey.Reveal())
			}
		})
	}
}

func TestDecodeMissingListsPlaces(t *testing.T) {
	opts := layout(t, map[string]string{
		"project/.restload/config.toml": "[sources.ashby]\nbase_url = \"x\"\n",
		"home/.restload/secrets.toml":   "[other]\nk = 1\n",
	}, nil)
	r, err := Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	var got ashbySettings
	err = r.Decode("sources.ashby", &got)
	var me *MissingError
	if !errors.As(err, &me) {
		t.Fatalf("error %v, want a MissingError", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"sources.ashby.api_key",
		"environment variable SOURCES__ASHBY__API_KEY",
		filepath.Join(opts.HomeDir, ".restload", "secrets.toml") + " ([sources.ashby] api_key)",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	// A secret is never looked up in config.toml, so that file is not listed.
	if strings.Contains(msg, "config.toml") {
		t.Errorf("message lists config.toml for a secret:\n%s", msg)
	}
}

func TestDecodeRejectsSecretInConfig(t *testing.T) {
	r, err := Load(layout(t, map[string]string{"project/.restload/config.toml": "[sources.ashby]\napi_key = \"oops\"\n"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	var got ashbySettings
	err = r.Decode("sources.ashby", &got)
	if err == nil || !strings.Contains(err.Error(), "move it to") || !strings.Contains(err.Error(), "secrets.toml") {
		t.Fatalf("error %v, want advice to move the secret", err)
	}
	if strings.Contains(err.Error(), "oops") {
		t.Errorf("error shows the secret: %v", err)
	}
}

func TestDecodeInvalidValue(t *testing.T) {
	r, err := Load(layout(t, nil, map[string]string{"SOURCES__ASHBY__API_KEY": "k", "SOURCES__ASHBY__LIMIT": "many"}))
	if err != nil {
		t.Fatal(err)
	}
	var got ashbySettings
	err = r.Decode("sources.ashby", &got)
	if err == nil || !strings.Contains(err.Error(), "sources.ashby.limit") || !strings.Contains(err.Error(), `"many"`) ||
		!strings.Contains(err.Error(), "environment variable SOURCES__ASHBY__LIMIT") {
		t.Fatalf("error %v, want the key, the value and its origin", err)
	}
}

func TestLoadMalformedTOML(t *testing.T) {
	opts := layout(t, map[string]string{"project/.restload/config.toml": "[sources.ashby]\nbase_url = \"x\"\nlimit = = 3\n"}, nil)
	_, err := Load(opts)
	if err == nil {
		t.Fatal("no error for malformed TOML")
	}
	for _, want := range []string{filepath.Join(opts.ProjectDir, ".restload", "config.toml"), "line 3", "column"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestCheckKeysSuggests(t *testing.T) {
	r, err := Load(layout(t, map[string]string{"project/.restload/config.toml": "[sources.ashby]\nbase_ulr = \"x\"\n[runtime]\nlog_level = \"info\"\n"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	known := append(Keys("sources.ashby", ashbySettings{}), "runtime.log_level")
	err = r.CheckKeys(known)
	if err == nil || !strings.Contains(err.Error(), "unknown key sources.ashby.base_ulr") || !strings.Contains(err.Error(), "did you mean sources.ashby.base_url?") {
		t.Fatalf("error %v, want the unknown key and a suggestion", err)
	}
	if strings.Contains(err.Error(), "log_level") {
		t.Errorf("a known key was reported: %v", err)
	}
}

func TestCheckKeysOpenPrefix(t *testing.T) {
	r, err := Load(layout(t, map[string]string{"project/.restload/secrets.toml": "[sources.github]\ntoken = \"x\"\n[sources.ashby]\napi_kye = \"y\"\n[runtme]\nlog_level = \"info\"\n"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	known := append(Keys("sources.ashby", ashbySettings{}), "runtime.log_level")
	err = r.CheckKeys(known, "sources.")
	if err == nil {
		t.Fatal("no error for misspelt keys")
	}
	msg := err.Error()
	if strings.Contains(msg, "sources.github.token") {
		t.Errorf("a key under the open prefix was reported: %v", msg)
	}
	for _, want := range []string{"unknown key sources.ashby.api_kye", "unknown key runtme.log_level (did you mean runtime.log_level?)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
}

func TestLoadWarnsOnReadableSecrets(t *testing.T) {
	opts := layout(t, map[string]string{"project/.restload/secrets.toml": "[sources.ashby]\napi_key = \"k\"\n"}, nil)
	path := filepath.Join(opts.ProjectDir, ".restload", "secrets.toml")
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "chmod 600") {
		t.Errorf("warnings %v, want one about the file mode", r.Warnings)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("hunter2")
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "key", s)
	js, _ := json.Marshal(struct{ K Secret }{s})
	for name, out := range map[string]string{
		"%v": fmt.Sprintf("%v", s), "%s": fmt.Sprintf("%s", s), "%#v": fmt.Sprintf("%#v", s),
		"struct": fmt.Sprintf("%+v", struct{ K Secret }{s}), "slog": logged.String(), "json": string(js),
	} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%s shows the secret: %s", name, out)
		}
	}
	if s.Reveal() != "hunter2" {
		t.Error("Reveal lost the value")
	}
}

func TestEnvName(t *testing.T) {
	if got := EnvName("destination.postgres.credentials"); got != "DESTINATION__POSTGRES__CREDENTIALS" {
		t.Errorf("EnvName = %s", got)
	}
}

func TestClosest(t *testing.T) {
	tests := []struct{ in, want string }{
		{"--dmeo", "--demo"}, {"pipelin", "pipeline"}, {"zzzzzzzz", ""},
	}
	for _, tc := range tests {
		if got := Closest(tc.in, []string{"--demo", "pipeline", "--dataset"}); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

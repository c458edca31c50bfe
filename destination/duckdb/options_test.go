package duckdb

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenWithOptions(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		opts    Options
		want    string // memory_limit as DuckDB reports it
		wantErr string
	}{
		{name: "default", opts: Options{}, want: "244.1 MiB"},
		{name: "set", opts: Options{MemoryLimit: "1GB"}, want: "953.6 MiB"},
		{name: "temp folder", opts: Options{MemoryLimit: "300MB", TempDirectory: filepath.Join(dir, "spill")}, want: "286.1 MiB"},
		{name: "bad size", opts: Options{MemoryLimit: "lots"}, wantErr: `memory limit "lots": use a size such as 512MB`},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := OpenWith(filepath.Join(dir, tc.name+".duckdb"), tc.opts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("case %d: error %v, want one containing %q", i, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var limit, temp string
			if err := c.DB().QueryRow("SELECT current_setting('memory_limit'), current_setting('temp_directory')").Scan(&limit, &temp); err != nil {
				t.Fatal(err)
			}
			if limit != tc.want {
				t.Errorf("memory_limit = %q, want %q", limit, tc.want)
			}
			if tc.opts.TempDirectory != "" && temp != tc.opts.TempDirectory {
				t.Errorf("temp_directory = %q, want %q", temp, tc.opts.TempDirectory)
			}
		})
	}
}

func TestResourceHint(t *testing.T) {
	c := &Client{memoryLimit: "256MB"}
	tests := []struct {
		err  string
		want string
	}{
		{"Out of Memory Error: could not allocate block", "raise destination.duckdb.memory_limit"},
		{`Could not write file "x.tmp": No space left on device`, "point it at a larger disk"},
		{"Binder Error: no such column", ""},
	}
	for _, tc := range tests {
		got := c.resourceHint(errors.New(tc.err)).Error()
		if tc.want == "" {
			if got != tc.err {
				t.Errorf("%q became %q, want it unchanged", tc.err, got)
			}
			continue
		}
		if !strings.Contains(got, tc.want) || !strings.Contains(got, "256MB") || !strings.HasPrefix(got, tc.err) {
			t.Errorf("%q became %q, want the error, the limit and %q", tc.err, got, tc.want)
		}
	}
}

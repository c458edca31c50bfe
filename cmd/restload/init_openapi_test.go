package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/restload/restload/source/rest"
)

func TestInitOpenAPI(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join("..", "..", "source", "rest", "openapi", "testdata", "store.yaml")
	out, err := execute(t, "init", "--openapi", doc, "store", "--dir", dir)
	if err != nil {
		t.Fatalf("init --openapi: %v", err)
	}
	if !strings.Contains(out, "3 resource(s)") || !strings.Contains(out, "api_key under [sources.store]") {
		t.Errorf("output:\n%s", out)
	}
	cfg, err := rest.LoadFile(filepath.Join(dir, "store.yaml"))
	if err != nil {
		t.Fatalf("load the written definition: %v", err)
	}
	if cfg.Name != "store" || len(cfg.Resources) != 3 {
		t.Errorf("definition %s with %d resources, want store with 3", cfg.Name, len(cfg.Resources))
	}

	// A second run does not overwrite without --force.
	if _, err := execute(t, "init", "--openapi", doc, "store", "--dir", dir); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("second init: %v, want an error that names --force", err)
	}
	if _, err := execute(t, "init", "--openapi", doc, "store", "--dir", dir, "--force"); err != nil {
		t.Errorf("init --force: %v", err)
	}
}

func TestInitOpenAPIErrors(t *testing.T) {
	dir := t.TempDir()
	notOpenAPI := filepath.Join(dir, "notes.yaml")
	if err := os.WriteFile(notOpenAPI, []byte("swagger: \"2.0\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"noName", []string{"init", "--openapi", notOpenAPI}, "takes one source name"},
		{"badName", []string{"init", "--openapi", notOpenAPI, "My-API"}, "invalid source name"},
		{"swagger", []string{"init", "--openapi", notOpenAPI, "notes", "--dir", dir}, notOpenAPI + ":1: at /swagger: Swagger 2.0"},
		{"missing", []string{"init", "--openapi", filepath.Join(dir, "none.yaml"), "x", "--dir", dir}, "read OpenAPI document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := execute(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

package main

import (
	_ "github.com/duckdb/duckdb-go/v2"
	_ "github.com/getkin/kin-openapi/openapi3"
	_ "github.com/go-json-experiment/json/jsontext"
	_ "github.com/spf13/cobra"
	_ "go.yaml.in/yaml/v3"
)

func main() {}

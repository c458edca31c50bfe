package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/restload/restload/config"
)

// ashbySettings are the Ashby source's configuration keys, under
// [sources.ashby] or SOURCES__ASHBY__*.
type ashbySettings struct {
	APIKey  config.Secret `config:"api_key"`
	BaseURL string        `config:"base_url"`
	// WebhookSecret is the secret token of Ashby's webhooks, which
	// "restload webhook serve ashby" checks signatures with.
	WebhookSecret config.Secret `config:"webhook_secret"`
	// RequestTimeout bounds one request to Ashby, such as "30s"; empty
	// means one minute.
	RequestTimeout time.Duration `config:"request_timeout"`
	// MaxRetries is how often a request is retried after 429, 5xx, a
	// timeout or a broken connection; empty means 6.
	MaxRetries int `config:"max_retries"`
	// Concurrency bounds how many resources are extracted at once; empty
	// means ashby.DefaultConcurrency.
	Concurrency int `config:"concurrency"`
}

// runtimeSettings are the keys under [runtime] or RUNTIME__*.
type runtimeSettings struct {
	LogLevel  string `config:"log_level"`
	LogFormat string `config:"log_format"`
}

// normalizeSettings are the keys under [normalize] or NORMALIZE__*.
type normalizeSettings struct {
	// PIIHashKey keys the hash of columns whose hint sets PII mode hash.
	PIIHashKey config.Secret `config:"pii_hash_key"`
	// Workers bounds how many resources are normalized at once; empty or
	// 0 means one per CPU.
	Workers int `config:"workers"`
}

// knownKeys lists every configuration key that restload reads, so that a
// misspelt key in a file is reported instead of ignored.
func knownKeys() []string {
	keys := config.Keys("sources.ashby", ashbySettings{})
	keys = append(keys, config.Keys("normalize", normalizeSettings{})...)
	keys = append(keys, destinationKeys()...)
	return append(keys, config.Keys("runtime", runtimeSettings{})...)
}

// loadConfig reads the configuration files and checks their keys. Flags
// given on the command line take precedence over the runtime settings.
func loadConfig(cmd *cobra.Command, g *globalFlags) (*config.Resolver, error) {
	r, err := config.Load(config.Options{})
	if err != nil {
		return nil, &usageError{err}
	}
	// Keys under other sources are the secrets of source definitions,
	// which only the definitions name.
	if err := r.CheckKeys(knownKeys(), "sources."); err != nil {
		return nil, &usageError{err}
	}
	var rt runtimeSettings
	if err := r.Decode("runtime", &rt); err != nil {
		return nil, &usageError{err}
	}
	if !cmd.Flags().Changed("log-level") && rt.LogLevel != "" {
		g.logLevel = rt.LogLevel
	}
	if !cmd.Flags().Changed("log-format") && rt.LogFormat != "" {
		g.logFormat = rt.LogFormat
	}
	return r, nil
}

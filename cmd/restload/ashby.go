package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/restload/restload/internal/ashbysim"
)

func newAshbyCommand(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ashby",
		Short: "Tools for the Ashby source",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &usageError{fmt.Errorf("unknown ashby command %q: use \"restload ashby emulate\"", args[0])}
			}
			return cmd.Help()
		},
	}
	cmd.AddCommand(newEmulateCommand(g))
	return cmd
}

type emulateFlags struct {
	addr       string
	apiKey     string
	seed       int64
	candidates int
}

func newEmulateCommand(g *globalFlags) *cobra.Command {
	f := &emulateFlags{}
	cmd := &cobra.Command{
		Use:   "emulate",
		Short: "Serve an emulator of Ashby's API with a generated organisation",
		Long: `Emulate serves an emulator of Ashby's API on the given address, with an
organisation generated from the seed. It prints the base URL, then serves
until interrupted. Point the source at it with SOURCES__ASHBY__BASE_URL and
SOURCES__ASHBY__API_KEY.`,
		Example: "  restload ashby emulate --addr 127.0.0.1:0 --api-key test-key --seed 1 --candidates 1000",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &usageError{fmt.Errorf("emulate takes no arguments, got %q: use flags such as --candidates 1000", args[0])}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			key := f.apiKey
			if key == "" {
				key = os.Getenv(envAshbyAPIKey)
			}
			if key == "" {
				return &usageError{errors.New("missing API key: pass --api-key or set " + envAshbyAPIKey)}
			}
			if f.candidates < 1 {
				return &usageError{fmt.Errorf("invalid --candidates %d: use 1 or more", f.candidates)}
			}
			sim := ashbysim.New(ashbysim.Config{Seed: f.seed, Candidates: f.candidates, APIKeys: map[string][]string{key: nil}})
			url, err := sim.Start(f.addr)
			if err != nil {
				return err // it names the address
			}
			defer sim.Close()
			fmt.Fprintln(cmd.OutOrStdout(), url)
			logger.Info("Ashby emulator serving", "url", url, "seed", f.seed, "candidates", f.candidates)
			<-cmd.Context().Done()
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:0", "address to listen on; port 0 picks a free port")
	fl.StringVar(&f.apiKey, "api-key", "", "API key that clients must send (default $"+envAshbyAPIKey+")")
	fl.Int64Var(&f.seed, "seed", 1, "seed of the generated organisation: the same seed gives the same data")
	fl.IntVar(&f.candidates, "candidates", 1000, "number of candidates; the other objects scale with it")
	return cmd
}

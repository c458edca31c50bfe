package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// workFolder creates the temporary folder of a benchmark and returns it
// with the restload binary to measure: given when set, else one built
// into the folder. The returned cleanup removes the folder, or with keep
// logs its path; it is set also when err is not nil.
func workFolder(ctx context.Context, logger *slog.Logger, prefix string, keep bool, given string) (dir, bin string, cleanup func(), err error) {
	cleanup = func() {}
	dir, err = os.MkdirTemp("", prefix)
	if err != nil {
		return "", "", cleanup, fmt.Errorf("create temporary folder: %w", err)
	}
	if keep {
		cleanup = func() { logger.Info("kept the temporary folder", "path", dir) }
	} else {
		cleanup = func() { os.RemoveAll(dir) }
	}
	bin = given
	if bin == "" {
		bin = filepath.Join(dir, "restload")
		logger.Info("building restload", "output", bin)
		if err := buildRestloadBinary(ctx, bin); err != nil {
			return dir, "", cleanup, err
		}
	}
	return dir, bin, cleanup, nil
}

// buildRestloadBinary builds the restload command of the module in the
// current folder into bin.
func buildRestloadBinary(ctx context.Context, bin string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/restload/restload/cmd/restload")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build restload: %w; run from inside the restload module or pass --restload PATH", err)
	}
	return nil
}

// machineDescription describes the CPU, cores, memory and kernel from /proc.
func machineDescription() string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(data)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := "unknown memory"
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.Lines(string(data)) {
			fields := strings.Fields(line)
			if len(fields) >= 2 && fields[0] == "MemTotal:" {
				if kb, err := strconv.ParseFloat(fields[1], 64); err == nil {
					mem = strconv.FormatFloat(kb/(1<<20), 'f', 1, 64) + " GiB memory"
				}
			}
		}
	}
	desc := fmt.Sprintf("%s, %d cores, %s", model, runtime.NumCPU(), mem)
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		desc += ", Linux " + strings.TrimSpace(string(data))
	}
	return desc
}

// loadAverage returns the 1-minute load average from /proc/loadavg.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	if fields := strings.Fields(string(data)); len(fields) > 0 {
		return fields[0]
	}
	return "unknown"
}

// commandLine returns the command as it was run, program name
// without its folder, with arguments quoted where a shell needs it.
func commandLine() string {
	parts := []string{filepath.Base(os.Args[0])}
	for _, a := range os.Args[1:] {
		if a == "" || strings.ContainsAny(a, " \t\n'\"$`\\*?[]{}()<>|&;#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

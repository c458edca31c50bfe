package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/restload/restload/internal/ashbysim"
	"github.com/restload/restload/internal/pgtest"
)

// crashResources are the resources that the crash trials load and check:
// the large incremental lists, whose nested lists fill child tables.
var crashResources = []string{"jobs", "candidates", "applications", "offers", "interview_schedules"}

// Environment variables that tune TestCrashTrials.
const (
	// envCrashTrials sets the number of trials per destination.
	envCrashTrials = "RESTLOAD_CRASH_TRIALS"
	// envCrashSeed fixes the seed that draws the organisation, the
	// changes, the kill targets and the delays. The moment a kill lands
	// still depends on scheduling, so a seed repeats a trial's plan, not
	// always the phase it hit.
	envCrashSeed = "RESTLOAD_CRASH_SEED"
)

const (
	defaultCrashTrials = 30
	crashCandidates    = 200
	crashKey           = "test-key-crash"
)

// TestCrashTrials kills restload with SIGKILL at random moments of its
// extract, normalize and load steps, and after a destination commit, for
// DuckDB and PostgreSQL. Before each trial the emulator's organisation
// changes (new, updated, archived, deleted and merged objects), so that
// only the newest values pass. After the kill a clean run must finish.
// Then every object must be present exactly once with the emulator's
// values and every list with its child rows once. The state stored in
// the destination must equal the local one and hold the current sync
// tokens.
func TestCrashTrials(t *testing.T) {
	if testing.Short() {
		t.Skip("runs restload about a hundred times")
	}
	trials := envInt(t, envCrashTrials, defaultCrashTrials)
	seed := uint64(envInt(t, envCrashSeed, int(time.Now().UnixNano()%1_000_000_007)))
	t.Logf("%d trials per destination, seed %d (%s=%d repeats the plan)", trials, seed, envCrashSeed, seed)

	t.Run("DuckDB", func(t *testing.T) {
		t.Parallel()
		runCrashTrials(t, duckdbTarget(), trials, seed)
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		t.Parallel()
		runCrashTrials(t, postgresTarget(t, pgtest.Start(t)), trials, seed)
	})
}

// envInt reads a positive integer from an environment variable, or
// returns def when it is unset.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("invalid %s=%q: use a positive integer", name, v)
	}
	return n
}

// runPhase names the step of a run that a kill interrupted.
type runPhase string

const (
	phaseExtract   runPhase = "extract"   // startup, preflight and listing
	phaseNormalize runPhase = "normalize" // all resources extracted, before the load began
	phaseLoad      runPhase = "load"      // the destination transaction
	phaseCommit    runPhase = "commit"    // after the commit: local state, package moved
	phaseNone      runPhase = "none"      // the run ended before the kill
)

// killTargets are the phases a trial aims at. Every one of them except
// phaseCommit must be hit at least once.
var killTargets = []runPhase{phaseExtract, phaseNormalize, phaseLoad, phaseCommit}

// killPlan is one killed run of a trial.
type killPlan struct {
	target runPhase
	// delay is the share, from 0 to 1, of the target's estimated length
	// that passes after the target begins.
	delay float64
	hit   runPhase
	tail  []string // the run's last log lines
}

func (k killPlan) String() string {
	return fmt.Sprintf("aimed at %s+%.0f%%, hit %s", k.target, 100*k.delay, k.hit)
}

// crashTrial is the plan and outcome of one trial.
type crashTrial struct {
	changes     ashbysim.Changes
	fullRefresh bool
	kills       []killPlan
}

// crashRun is the state of the trials against one destination.
type crashRun struct {
	t      *testing.T
	target destTarget
	seed   uint64
	rng    *rand.Rand
	sim    *ashbysim.Server
	url    string
	env    *env
	timing *phaseTiming
	hits   map[runPhase]int
	// order holds the targets left in the current round; each round aims
	// at every target once, in random order.
	order []runPhase
}

// runCrashTrials runs the trials against one destination. The seed and
// the destination's name select the random stream.
func runCrashTrials(t *testing.T, target destTarget, trials int, seed uint64) {
	var stream uint64
	for _, c := range target.name {
		stream = stream*31 + uint64(c)
	}
	cr := &crashRun{t: t, target: target, seed: seed, rng: rand.New(rand.NewPCG(seed, stream)),
		env: newEnv(t), timing: newPhaseTiming(), hits: map[runPhase]int{}}
	cr.sim, cr.url = startSim(t, int64(seed%1000), crashCandidates, crashKey)
	want := currentObjects(t, cr.sim, crashResources, nil)
	for n := range trials {
		var tr crashTrial
		if n > 0 {
			tr.changes = randomChanges(cr.rng)
			tr.fullRefresh = cr.rng.IntN(5) == 0
			before := want
			cr.sim.Apply(tr.changes)
			want = currentObjects(t, cr.sim, crashResources, before)
			if !tr.fullRefresh {
				keepDeleted(want, before)
			}
		}
		cr.kill(&tr)
		t.Logf("trial %d: full refresh %v, kills %v", n, tr.fullRefresh, tr.kills)
		cr.finish(n, tr, want)
	}

	var summary []string
	for _, p := range append(slices.Clone(killTargets), phaseNone) {
		summary = append(summary, fmt.Sprintf("%s %d", p, cr.hits[p]))
	}
	t.Logf("%s: %d trials, kills by phase: %s", target.name, trials, strings.Join(summary, ", "))
	for _, p := range []runPhase{phaseExtract, phaseNormalize, phaseLoad} {
		if cr.hits[p] == 0 {
			t.Errorf("no kill landed in the %s phase over %d trials (seed %d)", p, trials, seed)
		}
	}
}

// kill runs restload once, or in one trial out of four twice, and kills
// each run at a moment drawn for it.
func (cr *crashRun) kill(tr *crashTrial) {
	kills := 1
	if cr.rng.IntN(4) == 0 {
		kills = 2 // the second run resumes what the first left
	}
	for range kills {
		if len(cr.order) == 0 {
			cr.order = slices.Clone(killTargets)
			cr.rng.Shuffle(len(cr.order), func(i, j int) { cr.order[i], cr.order[j] = cr.order[j], cr.order[i] })
		}
		k := killPlan{target: cr.order[0], delay: cr.rng.Float64()}
		cr.order = cr.order[1:]
		k.hit, k.tail = killedRun(cr.t, cr.target, cr.env, cr.url, tr.fullRefresh, k, cr.timing)
		cr.hits[k.hit]++
		tr.kills = append(tr.kills, k)
	}
}

// finish runs restload to its end after the kills and checks the dataset
// and the state against want.
func (cr *crashRun) finish(n int, tr crashTrial, want objectSet) {
	t := cr.t
	t.Helper()
	report := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("trial %d of %s (rerun with %s=%d): %s\nplan: %s", n, cr.target.name, envCrashSeed, cr.seed,
			fmt.Sprintf(format, args...), tr.describe())
	}
	if out, err := cleanRun(t, cr.target, cr.env, cr.url, tr.fullRefresh, cr.timing); err != nil {
		report("run after the kill: %v\n%s", err, out)
	}
	st := cr.target.open(t, cr.env)
	probs := datasetProblems(t, st, want, func(key string) bool { return sampled(key, n) })
	probs = append(probs, stateProblems(t, st, cr.env, cr.sim, crashResources)...)
	st.Close()
	if len(probs) > 0 {
		report("%d problems:\n  %s", len(probs), strings.Join(probs, "\n  "))
	}
}

func (tr crashTrial) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "changes %s, full refresh %v", changesText(tr.changes), tr.fullRefresh)
	for i, k := range tr.kills {
		fmt.Fprintf(&b, "\n  kill %d %s; last log lines:\n    %s", i+1, k, strings.Join(k.tail, "\n    "))
	}
	return b.String()
}

// changesText lists the non-zero counts of c.
func changesText(c ashbysim.Changes) string {
	v := reflect.ValueOf(c)
	var parts []string
	for i := range v.NumField() {
		if n := v.Field(i).Int(); n != 0 {
			parts = append(parts, fmt.Sprintf("%s %d", v.Type().Field(i).Name, n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// randomChanges draws one batch of changes to the crash resources.
func randomChanges(rng *rand.Rand) ashbysim.Changes {
	return ashbysim.Changes{
		NewCandidates:             rng.IntN(15),
		UpdatedCandidates:         5 + rng.IntN(60),
		NewApplications:           rng.IntN(15),
		UpdatedApplications:       rng.IntN(30),
		ArchivedApplications:      rng.IntN(8),
		NewJobs:                   rng.IntN(2),
		UpdatedJobs:               rng.IntN(3),
		NewOffers:                 rng.IntN(4),
		UpdatedOffers:             rng.IntN(6),
		NewInterviewSchedules:     rng.IntN(6),
		UpdatedInterviewSchedules: rng.IntN(10),
		DeletedCandidates:         rng.IntN(3),
		DeletedApplications:       rng.IntN(3),
		DeletedOffers:             rng.IntN(2),
		MergedCandidates:          rng.IntN(2),
	}
}

// keepDeleted adds to want the objects of before that the emulator
// deleted. Incremental listings do not report deletes, so until a full
// listing marks them, their rows stay live with the values last loaded.
func keepDeleted(want, before objectSet) {
	for name, objs := range before {
		for k, o := range objs {
			if _, ok := want[name][k]; !ok {
				want[name][k] = &simObject{raw: o.raw, item: o.item, fresh: true, children: o.children}
			}
		}
	}
}

// sampleShare sets the sample of unchanged objects whose columns a trial
// compares in full: one in sampleShare. The sample rotates with the
// trial number, so every object is compared in full every few trials.
const sampleShare = 5

// sampled reports whether the sample of trial includes the object key.
func sampled(key string, trial int) bool {
	var h uint32
	for i := 0; i < len(key); i++ {
		h = h*16777619 ^ uint32(key[i])
	}
	return int(h%sampleShare) == trial%sampleShare
}

// runArgs returns the arguments of a run of the crash resources.
func runArgs(target destTarget, fullRefresh bool) []string {
	args := []string{"run", "ashby", "--resources", strings.Join(crashResources, ","),
		"--log-level", "debug", "--log-format", "json", "--progress", "log", "--progress-interval", "1h"}
	args = append(args, target.args...)
	if fullRefresh {
		args = append(args, "--full-refresh")
	}
	return args
}

// cleanRun runs restload to its end and feeds its log to timing.
func cleanRun(t *testing.T, target destTarget, e *env, url string, fullRefresh bool, timing *phaseTiming) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := e.command(ctx, url, crashKey, runArgs(target, fullRefresh)...)
	cmd.Env = append(cmd.Env, target.env...)
	full := fullRefresh || !e.loadedBefore()
	lw := newLogWatcher()
	cmd.Stderr = lw
	out, err := cmd.Output()
	lines := lw.all()
	if err != nil {
		var tail []string
		for _, l := range lines[max(0, len(lines)-20):] {
			tail = append(tail, l.raw)
		}
		return string(out) + strings.Join(tail, "\n"), err
	}
	timing.observe(full, lines, lw.started, time.Now())
	return string(out), nil
}

// killedRun starts a run, kills it with SIGKILL once the target runPhase
// has begun and k.delay of its estimated length has passed, and returns
// the phase the run was in when it died with its last log lines.
func killedRun(t *testing.T, target destTarget, e *env, url string, fullRefresh bool, k killPlan, timing *phaseTiming) (runPhase, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := e.command(ctx, url, crashKey, runArgs(target, fullRefresh)...)
	cmd.Env = append(cmd.Env, target.env...)
	full := fullRefresh || !e.loadedBefore()
	lw := newLogWatcher()
	cmd.Stderr = lw
	if err := cmd.Start(); err != nil {
		t.Fatalf("start restload: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	began, ok := lw.waitFor(exited, startsPhase(k.target, len(crashResources)))
	if ok {
		wait := time.Duration(k.delay * float64(timing.lengthOf(full, k.target)))
		select {
		case <-time.After(time.Until(began.at.Add(wait))):
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Logf("kill restload: %v", err)
			}
			<-exited
		case <-exited:
		}
	}
	// The run ended either way; the pipe is drained once Wait returned.
	lines := lw.all()
	hit := phaseReached(lines, len(crashResources), e)
	var end time.Time
	if cmd.ProcessState.Success() {
		hit, end = phaseNone, time.Now()
	}
	timing.observe(full, lines, lw.started, end)
	var tail []string
	for _, l := range lines[max(0, len(lines)-4):] {
		tail = append(tail, l.raw)
	}
	return hit, tail
}

// loadedBefore reports whether a package has been loaded in the env, so
// that the next run is incremental unless it refreshes in full.
func (e *env) loadedBefore() bool {
	entries, err := os.ReadDir(filepath.Join(e.dataDir, "pipelines", pipelineName, "loaded"))
	return err == nil && len(entries) > 0
}

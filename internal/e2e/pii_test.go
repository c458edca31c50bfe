package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/internal/ashbysim"
)

// runAgainst runs the restload binary in e's folder against url and fails
// the test when it exits non-zero.
func runAgainst(t *testing.T, e *env, url, key string, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := e.command(ctx, url, key, args...)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("restload %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// emails returns every email address of the emulator's candidates, by
// candidate id.
func emails(t *testing.T, sim *ashbysim.Server) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, raw := range objects(t, sim, "candidate.list") {
		item := decodeItem(t, raw)
		id := item["id"].(string)
		list, _ := item["emailAddresses"].([]any)
		for _, e := range list {
			out[id] = append(out[id], e.(map[string]any)["value"].(string))
		}
	}
	return out
}

// storedEmails returns the stored email values by candidate id.
func storedEmails(t *testing.T, e *env) map[string][]string {
	t.Helper()
	db, done := e.openDB(t)
	defer done()
	rows, err := db.Query(fmt.Sprintf(`SELECT c.id, e.value FROM %q.candidates c JOIN %q.candidates__email_addresses e
		ON e._rl_parent_id = c._rl_id ORDER BY c.id, e._rl_list_idx`, datasetName, datasetName))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var id, v string
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		out[id] = append(out[id], v)
	}
	return out
}

func hmacHex(key, v string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil))
}

func TestPIIHashStableAcrossRuns(t *testing.T) {
	const key, hashKey = "test-key-pii-hash", "pii-hash-key-for-tests"
	sim, url := startSim(t, 11, 120, key)
	hashEnv := []string{"NORMALIZE__PII_HASH_KEY=" + hashKey}
	args := []string{"run", "ashby", "--resources", "candidates", "--pii", "hash", "--progress", "none"}

	first := newEnv(t)
	runAgainst(t, first, url, key, hashEnv, args...)
	want := emails(t, sim)
	got := storedEmails(t, first)
	if len(got) == 0 {
		t.Fatal("no email rows loaded")
	}
	for id, list := range want {
		for i, v := range list {
			if i >= len(got[id]) || got[id][i] != hmacHex(hashKey, v) {
				t.Fatalf("candidate %s email %d: stored %v, want HMAC-SHA256 of %q", id, i, got[id], v)
			}
		}
	}

	// Another pipeline, another run: the same hashes, so hashed columns
	// join across datasets and runs.
	second := newEnv(t)
	runAgainst(t, second, url, key, hashEnv, args...)
	if again := storedEmails(t, second); fmt.Sprint(again) != fmt.Sprint(got) {
		t.Error("a second pipeline stored other hashes for the same emails")
	}

	// Changed candidates load with the hashes of their new emails.
	changed := sim.Apply(ashbysim.Changes{UpdatedCandidates: 10})
	runAgainst(t, first, url, key, hashEnv, args...)
	want = emails(t, sim)
	got = storedEmails(t, first)
	for _, id := range changed["candidate.list"] {
		var hashed []string
		for _, v := range want[id] {
			hashed = append(hashed, hmacHex(hashKey, v))
		}
		if !slices.Equal(got[id], hashed) {
			t.Errorf("updated candidate %s: stored %v, want %v", id, got[id], hashed)
		}
	}

	// Without the hash key, hash mode refuses to start and names the key.
	cmd := first.command(context.Background(), url, key, args...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !strings.Contains(string(out), "normalize.pii_hash_key") {
		t.Errorf("run without a hash key: %v\n%s\nwant an error that names normalize.pii_hash_key", err, out)
	}
}

func TestPIIMaskKeepsDomain(t *testing.T) {
	const key = "test-key-pii-mask"
	sim, url := startSim(t, 12, 80, key)
	e := newEnv(t)
	runAgainst(t, e, url, key, nil, "run", "ashby", "--resources", "candidates,applications", "--pii", "mask", "--progress", "none")
	want := emails(t, sim)
	got := storedEmails(t, e)
	n := 0
	for id, list := range want {
		for i, v := range list {
			local, domain, _ := strings.Cut(v, "@")
			masked := local[:1] + "***@" + domain
			if i >= len(got[id]) || got[id][i] != masked {
				t.Fatalf("candidate %s: stored %v, want %q first", id, got[id], masked)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("the emulator's candidates have no emails")
	}
	db, done := e.openDB(t)
	defer done()
	// Names are masked too, in candidates and in the candidate summary of
	// applications; ids are not.
	for _, q := range []string{
		`SELECT count(*) FROM %q.candidates WHERE name NOT LIKE '_***' AND name <> '***'`,
		`SELECT count(*) FROM %q.applications WHERE candidate__name NOT LIKE '_***' AND candidate__name <> '***'`,
	} {
		if c := count(t, db, fmt.Sprintf(q, datasetName)); c != 0 {
			t.Errorf("%d unmasked names: %s", c, q)
		}
	}
	if c := count(t, db, fmt.Sprintf(`SELECT count(*) FROM %q.candidates WHERE id NOT LIKE '%%-%%-%%'`, datasetName)); c != 0 {
		t.Errorf("%d candidate ids changed", c)
	}
}

func TestPIIDropRemovesColumns(t *testing.T) {
	const key = "test-key-pii-drop"
	_, url := startSim(t, 13, 60, key)
	e := newEnv(t)
	runAgainst(t, e, url, key, nil, "run", "ashby", "--pii", "drop", "--progress", "none")
	db, done := e.openDB(t)
	defer done()
	rows, err := db.Query(`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = ?`, datasetName)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var tab, col string
		if err := rows.Scan(&tab, &col); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, tab+"."+col)
	}
	for _, gone := range []string{
		"candidates.name", "candidates.primary_email_address__value", "candidates__email_addresses.value",
		"candidates__phone_numbers.value", "candidates__social_links.url", "applications.candidate__name",
		"applications.submitter_client_ip",
	} {
		if slices.Contains(cols, gone) {
			t.Errorf("column %s exists, want it dropped", gone)
		}
	}
	// No table keeps a person's name, email or network address, embedded
	// staff members included.
	personal := regexp.MustCompile(`(^|__)(first_name|last_name|email|ip_address|submitter_client_ip|user_agent)$`)
	for _, c := range cols {
		_, col, _ := strings.Cut(c, ".")
		if personal.MatchString(col) {
			t.Errorf("column %s holds personal data after --pii drop", c)
		}
	}
	for _, kept := range []string{"candidates.id", "candidates.created_at", "applications.candidate__id", "candidates__email_addresses.type",
		"applications__hiring_team.user_id", "jobs.author__id"} {
		if !slices.Contains(cols, kept) {
			t.Errorf("column %s is missing, want it kept (columns: %v)", kept, cols)
		}
	}
}

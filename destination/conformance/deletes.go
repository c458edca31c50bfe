package conformance

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// DeleteJob writes keys, one JSON object per line, as a file of
// Package.Deletes for table and returns its job.
func DeleteJob(t testing.TB, table string, keys ...string) destination.Job {
	t.Helper()
	return destination.Job{Table: table, Path: WriteJob(t, table+"-deleted", keys...)}
}

// testDeleteByKey loads packages that mark jobs deleted by key
// (Package.Deletes), with both merge strategies. It compares the tables
// after each load with a golden file and checks which rows carry
// _rl_deleted_at, then loads the last package again and deletes keys of
// a table that does not track deletes.
func testDeleteByKey(t *testing.T, h Harness) {
	for _, strategy := range []schema.MergeStrategy{schema.DeleteInsert, schema.Upsert} {
		t.Run(string(strategy), func(t *testing.T) {
			d := h.open(t)
			hints := JobsHints(schema.Merge, strategy)
			hints.SoftDelete = true
			seq := &Sequence{Schema: schema.New("deletes")}
			// Package n is created on 2025-01-0n at 08:00 UTC, and a
			// delete is marked with the time of the package that holds it.
			steps := []struct {
				lines   string
				keys    []string
				deleted []string // id|_rl_deleted_at
			}{
				{lines: `{"id":"j1","tags":["a"]}` + "\n" + `{"id":"j2"}` + "\n" + `{"id":"j3"}`},
				// j1 is stored, j9 unknown, and j4 written by this package:
				// the delete applies after the rows, so j4 ends deleted.
				{lines: `{"id":"j4","title":"new"}`, keys: []string{`{"id":"j1"}`, `{"id":"j9"}`, `{"id":"j4"}`},
					deleted: []string{"j1|2025-01-02T08:00:00.000000Z", "j4|2025-01-02T08:00:00.000000Z"}},
				// j1 written again is live; j2 is deleted, twice in one file.
				{lines: `{"id":"j1","title":"back","tags":["b"]}`, keys: []string{`{"id":"j2"}`, `{"id":"j2"}`},
					deleted: []string{"j2|2025-01-03T08:00:00.000000Z", "j4|2025-01-02T08:00:00.000000Z"}},
				// A package without rows of the table: j2 keeps its first
				// mark, j3 gets one.
				{keys: []string{`{"id":"j2"}`, `{"id":"j3"}`}, deleted: []string{"j2|2025-01-03T08:00:00.000000Z",
					"j3|2025-01-04T08:00:00.000000Z", "j4|2025-01-02T08:00:00.000000Z"}},
			}
			var out bytes.Buffer
			var last *destination.Package
			for i, st := range steps {
				p := seq.Next(t, Items{hints, st.lines})
				if st.keys != nil {
					p.Deletes = []destination.Job{DeleteJob(t, "jobs", st.keys...)}
				}
				load(t, d, p)
				last = p
				r := h.read(t, d, p.Schema)
				fmt.Fprintf(&out, "== after load %d (created %s) ==\n", i+1, p.CreatedAt.Format(time.RFC3339))
				r.dump(&out)
				got := r.query("SELECT id, _rl_deleted_at FROM "+qualified("jobs")+
					" WHERE _rl_deleted_at IS NOT NULL ORDER BY id", schema.Text, schema.Timestamp)
				assertRows(t, fmt.Sprintf("deleted jobs after load %d", i+1), got, st.deleted)
				want := 4
				if i == 0 {
					want = 3
				}
				if n := r.count("jobs"); n != want {
					t.Errorf("after load %d: %d rows, want %d (deletes are marked, never removed)", i+1, n, want)
				}
			}
			compareGolden(t, h, "delete_by_key_"+string(strategy), out.Bytes(), strategy == schema.Upsert)

			// The same load id again changes nothing.
			before := h.snapshot(t, d, last.Schema)
			again := *last
			again.Deletes = []destination.Job{DeleteJob(t, "jobs", `{"id":"j1"}`)}
			again.CreatedAt = last.CreatedAt.Add(time.Hour)
			if err := d.Load(context.Background(), &again); err != nil {
				t.Logf("the second load of id %s was rejected: %v", again.LoadID, err)
			}
			before.assertEqual(t, h.snapshot(t, d, last.Schema))
		})
	}
	t.Run("WithoutSoftDelete", func(t *testing.T) { testDeleteWithoutSoftDelete(t, h) })
}

// testDeleteWithoutSoftDelete deletes keys of a merge table without
// SoftDelete: the load fails, names the table and the fix, and changes
// nothing.
func testDeleteWithoutSoftDelete(t *testing.T, h Harness) {
	d := h.open(t)
	seq := &Sequence{Schema: schema.New("deletes")}
	users := schema.Hints{Table: "users", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge}
	first := seq.Next(t, Items{users, `{"id":"u1"}`})
	load(t, d, first)
	before := h.snapshot(t, d, first.Schema)

	p := seq.Next(t, Items{users, `{"id":"u2"}`})
	p.Deletes = []destination.Job{DeleteJob(t, "users", `{"id":"u1"}`)}
	err := d.Load(context.Background(), p)
	if err == nil {
		t.Fatal("deleting keys of a table without soft delete loaded without an error")
	}
	for _, want := range []string{"users", "soft_delete"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	before.assertEqual(t, h.snapshot(t, d, first.Schema))
	if ok, err := d.HasLoad(context.Background(), Dataset, p.LoadID); err != nil || ok {
		t.Errorf("HasLoad of the failed load = %v, %v; want false, nil", ok, err)
	}
}

// compareGolden compares out with the golden file name.txt, or rewrites
// it when h.UpdateGolden is set. maskIDs masks row ids on destinations
// with Harness.UpsertNewRowID.
func compareGolden(t *testing.T, h Harness, name string, out []byte, maskIDs bool) {
	t.Helper()
	path := filepath.Join(goldenDir(t), name+".txt")
	if h.UpdateGolden {
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatalf("update golden file: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (the DuckDB tests rewrite it with -update): %v", err)
	}
	got := out
	if maskIDs && h.UpsertNewRowID {
		got, want = maskRowIDs(got), maskRowIDs(want)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("tables differ from %s:\n%s", path, got)
	}
}

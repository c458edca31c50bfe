package filesystem_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/conformance"
	"github.com/restload/restload/schema"
)

// TestDeletesOfStoppedLoad stops a load with deleted keys before its
// record: readers ignore its key file, and loading the package again
// replaces the file and marks the row once.
func TestDeletesOfStoppedLoad(t *testing.T) {
	for _, format := range formats {
		t.Run(string(format), func(t *testing.T) {
			c := openTest(t, format)
			hints := conformance.JobsHints(schema.Merge, "")
			hints.SoftDelete = true
			seq := &conformance.Sequence{Schema: schema.New("deletes")}
			mustLoad(t, c, seq.Next(t, conformance.Items{Hints: hints, Lines: `{"id":"j1"}` + "\n" + `{"id":"j2"}`}))

			p := seq.Next(t, conformance.Items{Hints: hints})
			p.Deletes = []destination.Job{conformance.DeleteJob(t, "jobs", `{"id":"j2"}`)}
			crash := errors.New("stopped before the load record")
			c.SetBeforeRecord(func() error { return crash })
			if err := c.Load(context.Background(), p); !errors.Is(err, crash) {
				t.Fatalf("Load error %v, want the stop", err)
			}
			keyFile := filepath.Join(c.Root(), conformance.Dataset, "_rl_deleted", p.LoadID+".0."+string(format))
			if _, err := os.Stat(keyFile); err != nil {
				t.Fatalf("key file of the stopped load: %v", err)
			}
			deleted := "SELECT id FROM ashby_data.jobs WHERE _rl_deleted_at IS NOT NULL"
			if got := queryStrings(t, openViews(t, c, p.Schema), deleted); len(got) != 0 {
				t.Fatalf("deleted jobs after the stop: %v, want none", got)
			}

			c.SetBeforeRecord(nil)
			mustLoad(t, c, p)
			db := openViews(t, c, p.Schema)
			if got := queryStrings(t, db, deleted); !slices.Equal(got, []string{"j2"}) {
				t.Errorf("deleted jobs after the rerun: %v, want j2", got)
			}
			if got := queryStrings(t, db, "SELECT count(*) FROM ashby_data.jobs"); !slices.Equal(got, []string{"2"}) {
				t.Errorf("jobs after the rerun: %v rows, want 2", got)
			}
			if files := loadFiles(t, c, p.LoadID); !slices.Equal(files, []string{filepath.Join("_rl_deleted", p.LoadID+".0."+string(format))}) {
				t.Errorf("files of the load: %v, want its key file only", files)
			}
		})
	}
}

// TestDeletesRejectedBeforeFiles deletes keys of a table without soft
// delete: the load fails before it writes any file.
func TestDeletesRejectedBeforeFiles(t *testing.T) {
	c := openTest(t, "")
	seq := &conformance.Sequence{Schema: schema.New("deletes")}
	p := seq.Next(t, conformance.Items{Hints: conformance.JobsHints(schema.Merge, ""), Lines: `{"id":"j1"}`})
	p.Deletes = []destination.Job{conformance.DeleteJob(t, "jobs", `{"id":"j1"}`)}
	if err := c.Load(context.Background(), p); err == nil {
		t.Fatal("Load accepted deletes of a table without soft delete")
	}
	if _, err := os.Stat(filepath.Join(c.Root(), conformance.Dataset)); !os.IsNotExist(err) {
		t.Errorf("the rejected load created the dataset folder (stat: %v)", err)
	}
}

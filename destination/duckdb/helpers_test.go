package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/internal/sqlload"
	"github.com/restload/restload/schema"
)

const testDataset = "ashby_data"

// qualified returns the quoted name of a table in a dataset schema.
func qualified(dataset, table string) string { return sqlload.Qualified(dataset, table) }

// openTest opens a new database file in a temporary folder.
func openTest(t testing.TB) *Client {
	t.Helper()
	c, err := Open(filepath.Join(t.TempDir(), "test.duckdb"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// writeJob writes lines as a job file and returns its path.
func writeJob(t testing.TB, table string, lines ...string) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), table+".*.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if _, err := f.WriteString(l + "\n"); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

func col(name string, typ schema.DataType) *schema.Column {
	return &schema.Column{Name: name, Type: typ, Nullable: true}
}

func systemCol(name string) *schema.Column {
	return &schema.Column{Name: name, Type: schema.Text, System: true}
}

// treeSchema returns a schema with a root table "candidates" with the
// given write disposition and primary key "id", a child table
// "candidates__emails" and a grandchild "candidates__emails__tags".
func treeSchema(wd schema.WriteDisposition) *schema.Schema {
	id := col("id", schema.Text)
	id.PrimaryKey = true
	id.Nullable = false
	root := &schema.Table{
		Name: "candidates", Resource: "candidates", WriteDisposition: wd,
		Columns: []*schema.Column{
			systemCol(schema.ColumnID), systemCol(schema.ColumnLoadID),
			id, col("name", schema.Text),
		},
	}
	childCols := func(extra ...*schema.Column) []*schema.Column {
		return append([]*schema.Column{
			systemCol(schema.ColumnID), systemCol(schema.ColumnParentID), systemCol(schema.ColumnRootID),
			{Name: schema.ColumnListIndex, Type: schema.BigInt, System: true},
		}, extra...)
	}
	emails := &schema.Table{Name: "candidates__emails", Parent: "candidates", WriteDisposition: wd,
		Columns: childCols(col("value", schema.Text))}
	tags := &schema.Table{Name: "candidates__emails__tags", Parent: "candidates__emails", WriteDisposition: wd,
		Columns: childCols(col("value", schema.Text))}
	return &schema.Schema{Name: "ashby", Version: 1, Tables: []*schema.Table{root, emails, tags}}
}

// candidate is an object of the tree schema: emails, each with tags.
type candidate struct {
	id, name string
	emails   map[string][]string // tags by email
	order    []string            // emails in list order
}

// newCandidate returns a candidate with emails written "addr:tag1,tag2".
func newCandidate(id, name string, emails ...string) candidate {
	c := candidate{id: id, name: name, emails: map[string][]string{}}
	for _, e := range emails {
		addr, tags, _ := strings.Cut(e, ":")
		var list []string
		if tags != "" {
			list = strings.Split(tags, ",")
		}
		c.emails[addr] = list
		c.order = append(c.order, addr)
	}
	return c
}

// treeJobs normalizes the candidates the way the normalizer does, with
// row ids unique to the package, and writes one job file per table.
func treeJobs(t testing.TB, loadID string, cands ...candidate) []destination.Job {
	t.Helper()
	var roots, emails, tags []string
	for seq, c := range cands {
		rootID := fmt.Sprintf("%s/%s/%d", loadID, c.id, seq)
		roots = append(roots, fmt.Sprintf(`{"_rl_id":%q,"_rl_load_id":%q,"id":%q,"name":%q,"_rl_seq":%d}`,
			rootID, loadID, c.id, c.name, seq))
		for i, e := range c.order {
			emailID := fmt.Sprintf("%s/e%d", rootID, i)
			emails = append(emails, fmt.Sprintf(
				`{"_rl_id":%q,"_rl_parent_id":%q,"_rl_root_id":%q,"_rl_list_idx":%d,"value":%q}`,
				emailID, rootID, rootID, i, e))
			for j, tag := range c.emails[e] {
				tags = append(tags, fmt.Sprintf(
					`{"_rl_id":"%s/t%d","_rl_parent_id":%q,"_rl_root_id":%q,"_rl_list_idx":%d,"value":%q}`,
					emailID, j, emailID, rootID, j, tag))
			}
		}
	}
	return []destination.Job{
		{Table: "candidates", Path: writeJob(t, "candidates", roots...)},
		{Table: "candidates__emails", Path: writeJob(t, "candidates__emails", emails...)},
		{Table: "candidates__emails__tags", Path: writeJob(t, "candidates__emails__tags", tags...)},
	}
}

func treePackage(t testing.TB, loadID string, wd schema.WriteDisposition, cands ...candidate) *destination.Package {
	t.Helper()
	return &destination.Package{
		LoadID: loadID, PipelineName: "ashby_pipeline", Dataset: testDataset,
		Schema: treeSchema(wd), Jobs: treeJobs(t, loadID, cands...),
		Tables: []string{"candidates"},
	}
}

func mustLoad(t testing.TB, c *Client, p *destination.Package) {
	t.Helper()
	if err := c.Load(context.Background(), p); err != nil {
		t.Fatalf("Load %s: %v", p.LoadID, err)
	}
}

// count returns the number of rows of a dataset table.
func count(t testing.TB, db *sql.DB, table string) int64 {
	t.Helper()
	var n int64
	q := fmt.Sprintf("SELECT count(*) FROM %s", qualified(testDataset, table))
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// queryStrings returns the first column of a query's rows as text, NULL as
// "<null>".
func queryStrings(t testing.TB, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			t.Fatalf("scan %s: %v", q, err)
		}
		if !s.Valid {
			s.String = "<null>"
		}
		out = append(out, s.String)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	return out
}

func tableExists(t testing.TB, c *Client, table string) bool {
	t.Helper()
	ok, err := c.reader().TableExists(context.Background(), testDataset, table)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

package rest_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/pipeline"
	"github.com/restload/restload/schema"
	"github.com/restload/restload/source/rest"
)

// peopleDefinition hashes each person's email address, drops the social
// security number and the postcode, and freezes the columns of the
// people table once it exists.
const peopleDefinition = `
name: directory
client:
  base_url: {{URL}}
  retry: {backoff: 1ms}
resources:
  - name: people
    primary_key: [id]
    write_disposition: merge
    endpoint:
      path: people
      data_selector: people
      paginator: single_page
    columns:
      emailAddress: {pii: hash}
      ssn: {pii: drop}
      address.postcode: {pii: drop}
    schema_contract:
      columns: freeze
`

// directory serves /people from a list that a test changes between runs.
type directory struct {
	mu     sync.Mutex
	people []map[string]any
}

func (d *directory) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r.URL.Path != "/people" {
		http.NotFound(w, r)
		return
	}
	body, err := json.Marshal(map[string]any{"people": d.people})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

func person(id int, name, email, ssn, postcode string) map[string]any {
	return map[string]any{"id": id, "fullName": name, "emailAddress": email, "ssn": ssn,
		"address": map[string]any{"city": "Lisbon", "postcode": postcode}}
}

// directoryDB runs the pipeline on peopleDefinition and reads the DuckDB
// file it loads into.
type directoryDB struct {
	t       *testing.T
	url     string
	dir     string
	hashKey []byte
}

func (d *directoryDB) run() error {
	d.t.Helper()
	def := strings.ReplaceAll(peopleDefinition, "{{URL}}", d.url)
	cfg, err := rest.Parse("directory.yaml", []byte(def))
	if err != nil {
		d.t.Fatal(err)
	}
	src, err := rest.New(cfg, rest.Options{})
	if err != nil {
		d.t.Fatal(err)
	}
	defer src.Close()
	dest, err := duckdb.Open(filepath.Join(d.dir, "directory.duckdb"))
	if err != nil {
		d.t.Fatal(err)
	}
	defer dest.Close()
	p, err := pipeline.New(pipeline.Config{Name: "directory", Dataset: "directory_data",
		DataDir: filepath.Join(d.dir, "data"), Destination: dest, DestinationName: "duckdb", PIIHashKey: d.hashKey})
	if err != nil {
		d.t.Fatal(err)
	}
	_, err = p.Run(context.Background(), src)
	return err
}

// query returns the rows of q, each as its values formatted with %v and
// joined by "|".
func (d *directoryDB) query(q string) []string {
	d.t.Helper()
	dest, err := duckdb.Open(filepath.Join(d.dir, "directory.duckdb"))
	if err != nil {
		d.t.Fatal(err)
	}
	defer dest.Close()
	rows, err := dest.DB().Query(q)
	if err != nil {
		d.t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()

	cols, err := rows.Columns()
	if err != nil {
		d.t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			d.t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			parts[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(parts, "|"))
	}

	if err := rows.Err(); err != nil {
		d.t.Fatal(err)
	}
	return out
}

// everything returns every value of every table of the dataset, system
// tables included, as text.
func (d *directoryDB) everything() string {
	d.t.Helper()
	var b strings.Builder
	for _, table := range d.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'directory_data' ORDER BY 1`) {
		b.WriteString(table + ":\n")
		for _, row := range d.query(fmt.Sprintf(`SELECT * FROM directory_data."%s"`, table)) {
			b.WriteString(row + "\n")
		}
	}
	return b.String()
}

func TestHintsIntoDuckDB(t *testing.T) {
	api := &directory{people: []map[string]any{
		person(1, "Ada Lovelace", "ada.raw-7f3a@example.org", "111-22-3333", "PC-1111"),
		person(2, "Alan Turing", "alan.raw-9c1d@example.org", "444-55-6666", "PC-2222"),
		person(3, "Grace Hopper", "grace.raw-2b8e@example.org", "777-88-9999", "PC-3333"),
	}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	db := &directoryDB{t: t, url: srv.URL, dir: t.TempDir(), hashKey: []byte("directory-hash-key")}

	if err := db.run(); err != nil {
		t.Fatalf("first run: %v", err)
	}
	columns := db.query(`SELECT column_name FROM information_schema.columns
		WHERE table_schema = 'directory_data' AND table_name = 'people' ORDER BY 1`)
	for _, want := range []string{"id", "full_name", "email_address", "address__city"} {
		if !slices.Contains(columns, want) {
			t.Errorf("people lacks column %s; columns %v", want, columns)
		}
	}
	for _, dropped := range []string{"ssn", "address__postcode"} {
		if slices.Contains(columns, dropped) {
			t.Errorf("people has column %s, which pii: drop must leave out", dropped)
		}
	}

	// Each email address is stored as its keyed hash.
	var want []string
	for _, p := range api.people {
		mac := hmac.New(sha256.New, db.hashKey)
		mac.Write([]byte(p["emailAddress"].(string)))
		want = append(want, fmt.Sprintf("%v|%s", p["id"], hex.EncodeToString(mac.Sum(nil))))
	}
	if got := db.query(`SELECT id, email_address FROM directory_data.people ORDER BY id`); !slices.Equal(got, want) {
		t.Errorf("id and email_address\n got %v\nwant %v", got, want)
	}

	all := db.everything()
	for _, p := range api.people {
		for _, raw := range []string{p["emailAddress"].(string), p["ssn"].(string),
			p["address"].(map[string]any)["postcode"].(string)} {
			if strings.Contains(all, raw) {
				t.Errorf("raw value %q is stored in the dataset", raw)
			}
		}
	}

	// The second run meets a new field, nickname, while the contract
	// freezes the columns of people; it also carries a changed name.
	api.mu.Lock()
	api.people[0]["fullName"] = "Augusta Ada King"
	api.people[1]["nickname"] = "Prof"
	api.mu.Unlock()
	loadsBefore := db.query(`SELECT count(*) FROM directory_data._rl_loads`)
	err := db.run()
	if err == nil {
		t.Fatal("second run succeeded, want the frozen columns contract to fail it")
	}
	for _, name := range []string{"people", "nickname"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	var ce *schema.ContractError
	if !errors.As(err, &ce) || ce.Table != "people" || ce.Column != "nickname" {
		t.Errorf("error %v, want a *schema.ContractError for table people, column nickname", err)
	}
	if got := db.query(`SELECT count(*) FROM directory_data._rl_loads`); !slices.Equal(got, loadsBefore) {
		t.Errorf("loads %v after the failed run, want %v", got, loadsBefore)
	}
	if got := db.query(`SELECT full_name FROM directory_data.people WHERE id = 1`); !slices.Equal(got, []string{"Ada Lovelace"}) {
		t.Errorf("person 1 is %v after the failed run, want the name of the first run", got)
	}
	columnsAfter := db.query(`SELECT column_name FROM information_schema.columns
		WHERE table_schema = 'directory_data' AND table_name = 'people' ORDER BY 1`)
	if !slices.Equal(columnsAfter, columns) {
		t.Errorf("columns after the failed run %v, want %v", columnsAfter, columns)
	}
	if got := db.query(`SELECT count(*) FROM directory_data.people`); !slices.Equal(got, []string{"3"}) {
		t.Errorf("people rows %v after the failed run, want 3", got)
	}
}

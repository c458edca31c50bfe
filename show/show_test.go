package show

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func pipelineURL(page string) string { return pipelinePath(demoPipeline, page) }

func queryURL(page, sqlText string) string {
	return pipelineURL(page) + "?sql=" + url.QueryEscape(sqlText)
}

func TestPages(t *testing.T) {
	ts := newTestServer(t, Config{})
	tests := []struct {
		name string
		path string
		want []string
	}{
		{"index", "/", []string{demoPipeline, emptyPipeline, markupPipeline}},
		{"overview", pipelineURL(""), []string{"duckdb at", demoDataset, "Schema version", "Recent loads", "loaded", "Rows per table", ">applications<"}},
		{"tables", pipelineURL("tables"), []string{">applications__custom_fields<", ">_rl_loads<", "Parent"}},
		{"table", pipelineURL("tables/applications"), []string{"current_interview_stage__title", "TIMESTAMP WITH TIME ZONE", "timestamp",
			fmt.Sprintf("%d rows", demoApplications), "Child tables:", "applications__custom_fields"}},
		{"schema", pipelineURL("schema"), []string{"Schema <strong>ashby</strong>", `class="tree"`, "applications__custom_fields"}},
		{"loads", pipelineURL("loads"), []string{"<svg", "Rows per load", "loaded", "applications"}},
		{"console empty", pipelineURL("query"), []string{"<textarea", "Run query", "ashby_data.applications LIMIT 10"}},
		{"console", queryURL("query", "SELECT count(*) AS n FROM ashby_data.applications"),
			[]string{"<th>n</th>", fmt.Sprintf("<td>%d</td>", demoApplications), "Download CSV", "1 rows."}},
		{"funnel", pipelineURL("funnel"), []string{"<svg", "applications</span>", "Hired"}},
		{"asset", "/assets/style.css", []string{"--accent"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, ts, tt.path)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status %d, body:\n%s", tt.path, resp.StatusCode, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s: body lacks %q", tt.path, w)
				}
			}
			if strings.Contains(body, `class="error"`) {
				t.Errorf("GET %s: page shows an error", tt.path)
			}
		})
	}
}

func TestStartPageRedirect(t *testing.T) {
	ts := newTestServer(t, Config{Pipeline: demoPipeline})
	resp, body := get(t, ts, "/")
	if resp.Request.URL.Path != pipelineURL("") {
		t.Errorf("start page led to %s, want %s", resp.Request.URL.Path, pipelineURL(""))
	}
	if !strings.Contains(body, "Recent loads") {
		t.Error("redirect target is not the overview")
	}
}

func TestBadInput(t *testing.T) {
	ts := newTestServer(t, Config{})
	tests := []struct {
		name   string
		path   string
		status int
		want   string
	}{
		{"missing pipeline", "/p/no_such_pipeline/", http.StatusNotFound, "pipeline not found: &#34;no_such_pipeline&#34;"},
		{"missing table", pipelineURL("tables/no_such_table"), http.StatusNotFound, "table &#34;no_such_table&#34; not found in dataset ashby_data"},
		{"empty dataset overview", pipelinePath(emptyPipeline, ""), http.StatusOK, "dataset empty_data holds no tables yet"},
		{"empty dataset tables", pipelinePath(emptyPipeline, "tables"), http.StatusOK, "dataset empty_data holds no tables yet"},
		{"empty dataset schema", pipelinePath(emptyPipeline, "schema"), http.StatusOK, "has no stored schema"},
		{"empty dataset funnel", pipelinePath(emptyPipeline, "funnel"), http.StatusOK, "has no table applications"},
		{"failing query", queryURL("query", "SELECT * FROM ashby_data.no_such_table"), http.StatusBadRequest, "the query failed: Catalog Error"},
		{"syntax error", queryURL("query", "SELEC 1"), http.StatusBadRequest, "invalid SQL: syntax error"},
		{"delete", queryURL("query", "DELETE FROM ashby_data.applications"), http.StatusBadRequest, "only queries are allowed"},
		{"create", queryURL("query", "CREATE TABLE ashby_data.x AS SELECT 1"), http.StatusBadRequest, "only queries are allowed"},
		{"copy", queryURL("query", "COPY (SELECT 1) TO 'x.csv'"), http.StatusBadRequest, "only queries are allowed"},
		{"two statements", queryURL("query", "SELECT 1; SELECT 2"), http.StatusBadRequest, "holds 2 statements"},
		{"csv of failing query", queryURL("query.csv", "SELECT * FROM nothing_here"), http.StatusBadRequest, "the query failed"},
		{"csv of write", queryURL("query.csv", "DROP TABLE ashby_data.applications"), http.StatusBadRequest, "only queries are allowed"},
		{"unknown sort column", pipelineURL("tables/applications?sort=nope"), http.StatusBadRequest, "cannot sort by &#34;nope&#34;"},
		{"unknown filter column", pipelineURL("tables/applications?f.nope=1"), http.StatusBadRequest, "cannot filter by &#34;nope&#34;"},
		{"invalid page", pipelineURL("tables/applications?page=0"), http.StatusBadRequest, "invalid page &#34;0&#34;"},
		{"huge page", pipelineURL("tables/applications?page=99999999999999"), http.StatusBadRequest, "invalid page"},
		{"no funnel outside ashby", pipelinePath(markupPipeline, "funnel"), http.StatusNotFound, "needs an Ashby dataset"},
		{"unknown page", "/nothing/here", http.StatusNotFound, "no page at /nothing/here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, ts, tt.path)
			if resp.StatusCode != tt.status {
				t.Errorf("GET %s: status %d, want %d", tt.path, resp.StatusCode, tt.status)
			}
			if !strings.Contains(body, tt.want) {
				t.Errorf("GET %s: body lacks %q:\n%s", tt.path, tt.want, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("GET %s: content type %q, want an HTML page", tt.path, ct)
			}
			for _, trace := range []string{"goroutine ", ".go:", "panic"} {
				if strings.Contains(body, trace) {
					t.Errorf("GET %s: body contains %q, a stack trace", tt.path, trace)
				}
			}
		})
	}
}

func TestTablePaging(t *testing.T) {
	ts := newTestServer(t, Config{PageSize: 7})
	_, first := get(t, ts, pipelineURL("tables/applications?sort=id"))
	_, second := get(t, ts, pipelineURL("tables/applications?sort=id&page=2"))
	ids := dataRows
	if n := len(ids(first)); n != 7 {
		t.Errorf("page 1 has %d rows, want 7", n)
	}
	if n := len(ids(second)); n != 7 {
		t.Errorf("page 2 has %d rows, want 7", n)
	}
	if !strings.Contains(first, `rel="next"`) {
		t.Error("page 1 has no link to the next page")
	}
	if !strings.Contains(second, `rel="prev"`) {
		t.Error("page 2 has no link to the previous page")
	}
	pages := (demoApplications + 6) / 7
	if want := fmt.Sprintf("Page 1 of %d.", pages); !strings.Contains(first, want) {
		t.Errorf("page 1 lacks %q", want)
	}
	for _, row := range ids(second) {
		if strings.Contains(first, row) {
			t.Errorf("row on both pages: %.200s", row)
		}
	}
}

func TestTableSortFilter(t *testing.T) {
	ts := newTestServer(t, Config{PageSize: 1000})
	_, asc := get(t, ts, pipelineURL("tables/applications?sort=status"))
	_, desc := get(t, ts, pipelineURL("tables/applications?sort=status&desc=1"))
	if firstStatus(asc) == firstStatus(desc) {
		t.Errorf("ascending and descending sort both start with %s", firstStatus(asc))
	}
	if !strings.Contains(asc, "status ▲") || !strings.Contains(desc, "status ▼") {
		t.Error("the sorted column is not marked with its direction")
	}

	resp, body := get(t, ts, pipelineURL("tables/applications?f.status=HIR"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("filter: status %d", resp.StatusCode)
	}
	if !strings.Contains(body, "<td>Hired</td>") {
		t.Error("filter status contains HIR shows no Hired row")
	}
	for _, other := range []string{"<td>Active</td>", "<td>Archived</td>", "<td>Lead</td>"} {
		if strings.Contains(body, other) {
			t.Errorf("filter status contains HIR shows a row with %s", other)
		}
	}
	_, none := get(t, ts, pipelineURL("tables/applications?f.status=%25"))
	if !strings.Contains(none, "0 rows match") {
		t.Error("filter value % matched rows: LIKE wildcards are not escaped")
	}
}

// dataRows returns the body rows of the data table of a page.
func dataRows(body string) []string {
	_, table, ok := strings.Cut(body, `<table class="data`)
	if !ok {
		return nil
	}
	table, _, _ = strings.Cut(table, "</table>")
	_, tbody, _ := strings.Cut(table, "<tbody>")
	var out []string
	for _, row := range strings.Split(tbody, "<tr>")[1:] {
		out = append(out, row)
	}
	return out
}

// firstStatus returns the application status that appears first in a
// table page.
func firstStatus(body string) string {
	best, bestAt := "", len(body)
	for _, s := range []string{"Active", "Archived", "Hired", "Lead"} {
		if i := strings.Index(body, "<td>"+s+"</td>"); i >= 0 && i < bestAt {
			best, bestAt = s, i
		}
	}
	return best
}

func TestParentChildLinks(t *testing.T) {
	ts := newTestServer(t, Config{PageSize: 1000})
	_, parent := get(t, ts, pipelineURL("tables/applications"))
	childLink := tableURL(demoPipeline, "applications__custom_fields", "eq._rl_parent_id", demoParentID)
	escaped := strings.ReplaceAll(childLink, "&", "&amp;")
	if !strings.Contains(parent, escaped) {
		t.Fatalf("applications page lacks the link %s to the child rows", escaped)
	}
	resp, child := get(t, ts, childLink)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("child rows: status %d", resp.StatusCode)
	}
	if want := fmt.Sprintf("%d rows match the filters", demoChildren); !strings.Contains(child, want) {
		t.Errorf("child page lacks %q", want)
	}
	backLink := strings.ReplaceAll(tableURL(demoPipeline, "applications", "eq._rl_id", demoParentID), "&", "&amp;")
	if !strings.Contains(child, backLink) {
		t.Errorf("child page lacks the link %s to the parent row", backLink)
	}
	_, back := get(t, ts, tableURL(demoPipeline, "applications", "eq._rl_id", demoParentID))
	if !strings.Contains(back, "1 rows match the filters") {
		t.Error("parent link does not lead to exactly one row")
	}
}

func TestCSVDownload(t *testing.T) {
	ts := newTestServer(t, Config{PageSize: 5})
	q := "SELECT id, status FROM ashby_data.applications ORDER BY id"
	resp, body := get(t, ts, queryURL("query.csv", q))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("content type %q, want text/csv", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="ashby_pipeline_query.csv"` {
		t.Errorf("content disposition %q", cd)
	}
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("parse CSV: %v", err)
	}
	if got := strings.Join(records[0], ","); got != "id,status" {
		t.Errorf("header %q, want id,status", got)
	}
	// The download has every row, not the console's page of 5.
	if got := int64(len(records) - 1); got != demoApplications {
		t.Errorf("CSV has %d rows, want %d", got, demoApplications)
	}

	_, page := get(t, ts, queryURL("query", q))
	if !strings.Contains(page, "Showing the first 5 rows") {
		t.Error("console does not say that it shows only the first rows")
	}
}

func TestEscapesData(t *testing.T) {
	ts := newTestServer(t, Config{})
	paths := []string{
		pipelinePath(markupPipeline, "tables/people"),
		pipelinePath(markupPipeline, "query") + "?sql=" + url.QueryEscape("SELECT name, note FROM markup_data.people"),
		pipelinePath(markupPipeline, "query") + "?sql=" + url.QueryEscape("SELECT '"+markup+"' AS x FROM nowhere"),
	}
	for _, p := range paths {
		_, body := get(t, ts, p)
		if strings.Contains(body, "<script") || strings.Contains(body, "<b>bold") {
			t.Errorf("GET %s: data became markup", p)
		}
		if !strings.Contains(body, "&lt;script&gt;") {
			t.Errorf("GET %s: escaped value missing", p)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	ts := newTestServer(t, Config{})
	for _, p := range []string{"/", pipelineURL(""), "/assets/style.css", "/p/none/", queryURL("query.csv", "SELECT 1")} {
		resp, _ := get(t, ts, p)
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "http") {
			t.Errorf("GET %s: Content-Security-Policy %q", p, csp)
		}
	}
	_, body := get(t, ts, pipelineURL(""))
	for _, external := range []string{"http://", "https://", "//cdn"} {
		if strings.Contains(body, external) {
			t.Errorf("overview refers to %s", external)
		}
	}
}

func TestHostCheck(t *testing.T) {
	tests := []struct {
		host    string
		anyHost bool
		status  int
	}{
		{"127.0.0.1:8080", false, http.StatusOK},
		{"localhost:8080", false, http.StatusOK},
		{"[::1]:8080", false, http.StatusOK},
		{"attacker.example:8080", false, http.StatusMisdirectedRequest},
		{"attacker.example:8080", true, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			ts := newTestServer(t, Config{AnyHost: tt.anyHost})
			req, err := http.NewRequest("GET", ts.URL+"/assets/style.css", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = tt.host
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("host %s, any host %v: status %d, want %d", tt.host, tt.anyHost, resp.StatusCode, tt.status)
			}
		})
	}
}

func TestReadOnlyConnection(t *testing.T) {
	src, err := openTestSource(context.Background(), demoPipeline)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	// The console rejects writes before they run; the connection must
	// reject them too, should a write ever pass the check.
	if _, err := src.DB.Exec("CREATE TABLE ashby_data.written (x INTEGER)"); err == nil {
		t.Fatal("CREATE TABLE on the read-only connection succeeded")
	}
	if _, err := src.DB.Exec("DELETE FROM ashby_data.applications"); err == nil {
		t.Fatal("DELETE on the read-only connection succeeded")
	}
	var n int64
	if err := src.DB.QueryRow("SELECT count(*) FROM ashby_data.applications").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != demoApplications {
		t.Errorf("applications has %d rows, want %d", n, demoApplications)
	}
}

func TestQueryTimeout(t *testing.T) {
	ts := newTestServer(t, Config{QueryTimeout: 200 * time.Millisecond})
	start := time.Now()
	resp, body := get(t, ts, queryURL("query", "SELECT count(*) FROM range(1000000) a, range(1000000) b WHERE a.range + b.range = -1"))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
	if !strings.Contains(body, "the query timed out") {
		t.Errorf("body lacks the timeout message:\n%s", body)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the query ran %s past a 200ms timeout", d)
	}
}

func TestFirstKeyword(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT"},
		{"  \n\tselect 1", "select"},
		{"-- note\nWITH a AS (SELECT 1) SELECT * FROM a", "WITH"},
		{"/* x */ (SELECT 1)", "SELECT"},
		{"/* unterminated", ""},
		{"-- only a comment", ""},
		{"DELETE FROM t", "DELETE"},
		{"values(1)", "values"},
	}
	for _, tt := range tests {
		if got := firstKeyword(tt.in); got != tt.want {
			t.Errorf("firstKeyword(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPostgresCheck(t *testing.T) {
	src := &Source{Dialect: PostgreSQL}
	tests := []struct {
		sql string
		ok  bool
	}{
		{"SELECT 1", true},
		{"WITH a AS (SELECT 1) SELECT * FROM a", true},
		{"TABLE ashby_data.users", true},
		{"UPDATE t SET x = 1", false},
		{"SET default_transaction_read_only = off", false},
		{"COMMIT", false},
		{"", false},
	}
	for _, tt := range tests {
		err := checkQuery(context.Background(), src, tt.sql)
		if (err == nil) != tt.ok {
			t.Errorf("checkQuery(%q) = %v, want ok %v", tt.sql, err, tt.ok)
		}
	}
}

func TestParseBrowse(t *testing.T) {
	cols := []column{{Name: "id"}, {Name: "name"}}
	tests := []struct {
		query     string
		wantErr   bool
		wantWhere string
	}{
		{"", false, ""},
		{"sort=name&desc=1&page=3", false, ""},
		{"f.name=ad", false, ` WHERE CAST("name" AS VARCHAR) ILIKE $1 ESCAPE '\'`},
		{"eq.id=7", false, ` WHERE CAST("id" AS VARCHAR) = $1`},
		{"f.name=", false, ""},
		{"sort=secret", true, ""},
		{`f.x"y=1`, true, ""},
		{"page=-1", true, ""},
		{"page=abc", true, ""},
	}
	for _, tt := range tests {
		q, err := url.ParseQuery(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		b, err := parseBrowse("people", q, cols)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseBrowse(%q) error %v, want error %v", tt.query, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if where, _ := b.where(); where != tt.wantWhere {
			t.Errorf("parseBrowse(%q) where %q, want %q", tt.query, where, tt.wantWhere)
		}
	}
}

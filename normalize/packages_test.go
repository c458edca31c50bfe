package normalize_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/restload/restload/normalize"
	"github.com/restload/restload/schema"
)

// pkg is one load package: one Normalizer over runs, sharing the schema
// with the packages before it.
type pkg struct {
	runs []run
	// wantErr is a part of the error that the last run returns, or ""
	// when every run succeeds. The schema of a failed package is thrown
	// away, as the pipeline does.
	wantErr string
}

// packageCase is a golden test over several packages.
type packageCase struct {
	name    string
	hashKey string
	maxLen  int
	pkgs    []pkg
}

var (
	notNull = func() *bool { b := false; return &b }()

	contractHints = func(c schema.Contract) schema.Hints {
		return schema.Hints{Table: "people", PrimaryKey: []string{"id"}, Contract: c}
	}
	contractFirst = `{"id":1,"name":"Ada","age":36,"tags":[{"label":"x"}]}`
)

var packageTests = []packageCase{
	{name: "variant_between_runs", pkgs: []pkg{
		{runs: []run{{schema.Hints{Table: "scores"},
			`{"id":1,"score":10,"at":"2024-01-05T10:15:00Z","ratio":0.5,"flag":true,"extra":null}`}}},
		{runs: []run{{schema.Hints{Table: "scores"},
			`{"id":2,"score":"high","at":"yesterday","ratio":3,"flag":"yes","extra":{"a":1}}
{"id":3,"score":11.5,"at":"2024-01-06T00:00:00+05:00","ratio":1e400,"flag":0}`}}},
		{runs: []run{{schema.Hints{Table: "scores"},
			`{"id":4,"score":"low","flag":false,"ratio":2.25}`}}},
	}},
	{name: "long_identifiers", maxLen: 24, pkgs: []pkg{
		{runs: []run{{schema.Hints{Table: "applications_with_a_very_long_name", PrimaryKey: []string{"identifier_of_the_application"}},
			`{"identifier_of_the_application":"a1","candidateInterviewFeedbackSummary":"ok","candidateInterviewFeedbackScore":4,` +
				`"nested":{"anotherRatherLongFieldNameHere":true},"interviewStagesHistoryEntries":[{"stageTitle":"Screen"}]}
{"identifier_of_the_application":"a2","candidateInterviewFeedbackScore":"n/a"}`}}},
		{runs: []run{{schema.Hints{Table: "applications_with_a_very_long_name", PrimaryKey: []string{"identifier_of_the_application"}},
			`{"identifier_of_the_application":"a3","candidateInterviewFeedbackSummary":"again","interviewStagesHistoryEntries":[{"stageTitle":"Onsite"}]}`}}},
	}},
	{name: "contract_evolve", pkgs: []pkg{
		{runs: []run{{contractHints(schema.ContractAll(schema.Evolve)), contractFirst}}},
		{runs: []run{{contractHints(schema.ContractAll(schema.Evolve)),
			`{"id":2,"name":"Bob","email":"b@example.com","age":"unknown","tags":[{"label":"y","weight":2}],"langs":["go"]}`}}},
	}},
	{name: "contract_freeze_tables", pkgs: []pkg{
		{runs: []run{{contractHints(schema.Contract{}), contractFirst}}},
		// New columns and variants are allowed; a new child table is not.
		{runs: []run{{contractHints(schema.Contract{Tables: schema.Freeze}),
			`{"id":2,"name":"Bob","email":"b@example.com","age":"old"}
{"id":3,"langs":["go","sql"]}`}}, wantErr: "table people__langs for column langs is new"},
		// A resource whose table does not exist.
		{runs: []run{{schema.Hints{Table: "jobs", Contract: schema.Contract{Tables: schema.Freeze}},
			`{"id":"j1","title":"Engineer"}`}}, wantErr: "table jobs is new"},
		// Without items nothing is created and nothing fails.
		{runs: []run{{schema.Hints{Table: "jobs", Contract: schema.Contract{Tables: schema.Freeze}}, ``}}},
	}},
	{name: "contract_freeze_columns", pkgs: []pkg{
		// A table that the package creates takes any column.
		{runs: []run{{contractHints(schema.Contract{Columns: schema.Freeze}), contractFirst}}},
		{runs: []run{{contractHints(schema.Contract{Columns: schema.Freeze}),
			`{"id":2,"name":"Bob","tags":[{"label":"y"}],"langs":["go"]}
{"id":3,"name":"Cid","address":{"city":"Berlin"}}`}}, wantErr: `column address__city of table people is new, and the contract freezes columns; value "Berlin"`},
		{runs: []run{{contractHints(schema.Contract{Columns: schema.Freeze}),
			`{"id":4,"tags":[{"label":"z","color":"red"}]}`}}, wantErr: "column color of table people__tags is new"},
	}},
	{name: "contract_freeze_data_type", pkgs: []pkg{
		{runs: []run{{contractHints(schema.Contract{DataType: schema.Freeze}), contractFirst}}},
		{runs: []run{{contractHints(schema.Contract{DataType: schema.Freeze}),
			`{"id":2,"name":"Bob","age":37,"email":"b@example.com"}
{"id":3,"name":"Cid","age":"thirty"}`}}, wantErr: `value "thirty" of table people, column age, is of type text`},
	}},
	{name: "contract_discard_row", pkgs: []pkg{
		{runs: []run{{contractHints(schema.Contract{}), contractFirst}}},
		{runs: []run{{contractHints(schema.ContractAll(schema.DiscardRow)),
			`{"id":2,"name":"Bob","email":"b@example.com","tags":[{"label":"y"}]}
{"id":3,"name":"Cid","age":"old"}
{"id":4,"name":"Dan","langs":["go"],"tags":[{"label":"z"},{"label":"w","color":"red"}]}
{"id":5,"name":"Eve","age":40}`}}},
		{runs: []run{{schema.Hints{Table: "jobs", Contract: schema.ContractAll(schema.DiscardRow)},
			`{"id":"j1"}`}}},
	}},
	{name: "contract_discard_value", pkgs: []pkg{
		{runs: []run{{contractHints(schema.Contract{}), contractFirst}}},
		{runs: []run{{contractHints(schema.ContractAll(schema.DiscardValue)),
			`{"id":2,"name":"Bob","email":"b@example.com","tags":[{"label":"y"}]}
{"id":3,"name":"Cid","age":"old"}
{"id":4,"name":"Dan","langs":["go"],"tags":[{"label":"z"},{"label":"w","color":"red"}]}`}}},
	}},
	{name: "pii_modes", hashKey: "test key", pkgs: []pkg{
		{runs: []run{{schema.Hints{Table: "candidates", PrimaryKey: []string{"id"}, MaxNesting: 1, Columns: map[string]schema.ColumnHint{
			"id":                         {PII: schema.PIIHash},
			"primaryEmailAddress.value":  {PII: schema.PIIMask},
			"emailAddresses":             {PII: schema.PIIMask},
			"phoneNumbers.value":         {PII: schema.PIIHash},
			"name":                       {PII: schema.PIIMask},
			"ssn":                        {PII: schema.PIIDrop},
			"notes":                      {PII: schema.PIIDrop},
			"profile":                    {PII: schema.PIIHash},
			"history.details.email":      {PII: schema.PIIMask},
			"history.details.secretCode": {PII: schema.PIIDrop},
		}},
			`{"id":"c1","name":"Ada Lovelace","ssn":"123-45-6789","notes":[{"text":"private"}],"primaryEmailAddress":{"value":"ada@example.com","type":"Work"},` +
				`"emailAddresses":["ada@example.com","a@b"],"phoneNumbers":[{"value":"+49 30 1234","type":"Mobile"}],` +
				`"profile":{"age":36,"city":"London","langs":["en","fr"]},"history":[{"details":{"email":"x@example.org","secretCode":7,"kept":1}}]}
{"id":42,"name":"Bo","emailAddresses":[{"nested":"object@example.com"}],"phoneNumbers":[{"value":4930123}]}`}}},
	}},
	{name: "column_hints", pkgs: []pkg{
		{runs: []run{{schema.Hints{Table: "events", WriteDisposition: schema.Merge, Columns: map[string]schema.ColumnHint{
			"eventId":         {PrimaryKey: true},
			"day":             {MergeKey: true, DataType: schema.Date},
			"deleted":         {HardDelete: true},
			"version":         {DedupSort: schema.Desc, DataType: schema.BigInt},
			"amount":          {DataType: schema.Decimal},
			"label":           {DataType: schema.Text},
			"payload":         {DataType: schema.JSON},
			"meta":            {DataType: schema.Text},
			"local":           {DataType: schema.Timestamp},
			"blob":            {DataType: schema.Binary},
			"active":          {DataType: schema.Bool},
			"owner.id":        {Nullable: notNull},
			"items.sku":       {Nullable: notNull},
			"score":           {DataType: schema.Double},
			"ratio__exponent": {DataType: schema.BigInt},
		}},
			`{"eventId":"e1","day":"2024-01-05","deleted":false,"version":"3","amount":"12.50","label":42,"payload":{"a":[1,2]},` +
				`"meta":{"k":"v"},"local":"2024-01-05T10:15:00","blob":"AAEC/w==","active":"true","owner":{"id":"u1"},"items":[{"sku":"s1"}],` +
				`"score":7,"ratio":{"exponent":"-3"}}
{"eventId":"e2","day":"2024-02-30","version":"v3","amount":1.5,"label":true,"payload":"text","meta":[1],"local":"noon",` +
				`"blob":"not base64","active":"yes","owner":{"id":"u2"},"items":[],"score":"7.5","ratio":{"exponent":2}}`}}},
	}},
	{name: "history_rows", pkgs: []pkg{
		{runs: []run{{schema.Hints{Table: "jobs", PrimaryKey: []string{"id"}, WriteDisposition: schema.History},
			`{"id":"j1","title":"Engineer","locations":[{"city":"Berlin"}]}
{"id":"j2","title":"Designer"}
{"id":"j1","title":"Engineer","locations":[{"city":"Berlin"}]}
{"id":"j1","title":"Engineer","locations":[{"city":"Paris"}]}`}}},
	}},
	{name: "iso_date_detection", pkgs: []pkg{
		{runs: []run{{schema.Hints{Table: "people", Detections: []schema.Detection{schema.DetectISODate}},
			`{"born":"1990-02-28","bad":"1990-02-30","at":"2024-01-05T10:15:00Z","plain":"1990"}
{"born":"not a date","bad":"1990-03-01"}`}}},
		{runs: []run{{schema.Hints{Table: "other"},
			`{"born":"1990-02-28"}`}}},
	}},
}

func TestNormalize_packages(t *testing.T) {
	for _, tc := range packageTests {
		t.Run(tc.name, func(t *testing.T) {
			got := normalizePackages(t, tc)
			path := filepath.Join("testdata", "golden", tc.name+".txt")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run with -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (run with -update to accept):\n%s", path, got)
			}
		})
	}
}

// normalizePackages runs the packages of tc over one schema and returns
// for each package its error, report and files, then the final schema
// as YAML.
func normalizePackages(t *testing.T, tc packageCase) []byte {
	t.Helper()
	s := schema.New("test")
	var out bytes.Buffer
	for i, p := range tc.pkgs {
		fmt.Fprintf(&out, "== package %d ==\n", i+1)
		before := s.Clone()
		n := normalize.New(s, fmt.Sprintf("1700000000.%06d", i+1), t.TempDir())
		n.HashKey = []byte(tc.hashKey)
		n.MaxIdentifierLength = tc.maxLen
		var err error
		for _, r := range p.runs {
			if err = n.Normalize(r.hints, strings.NewReader(r.input)); err != nil {
				break
			}
		}
		files, cerr := n.Close()
		if cerr != nil {
			t.Fatalf("package %d: Close: %v", i+1, cerr)
		}
		switch {
		case p.wantErr == "" && err != nil:
			t.Fatalf("package %d: %v", i+1, err)
		case p.wantErr != "" && err == nil:
			t.Fatalf("package %d succeeded, want an error containing %q", i+1, p.wantErr)
		case p.wantErr != "" && !strings.Contains(err.Error(), p.wantErr):
			t.Fatalf("package %d: error %q does not contain %q", i+1, err, p.wantErr)
		}
		if err != nil {
			fmt.Fprintf(&out, "-- error --\n%v\n", err)
			*s = *before
			continue
		}
		checkFiles(t, s, files)
		writeReport(&out, n.Report())
		for _, f := range files {
			b, err := os.ReadFile(f.Path)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&out, "-- %s (table %s, %d rows) --\n%s", filepath.Base(f.Path), f.Table, f.Rows, b)
		}
	}
	y, err := s.YAML()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&out, "== schema ==\n%s", y)
	return out.Bytes()
}

func writeReport(out *bytes.Buffer, r normalize.Report) {
	var lines []string
	for _, c := range r.Collisions {
		lines = append(lines, c.String())
	}
	for _, s := range r.Shortened {
		lines = append(lines, s.String())
	}
	for _, d := range r.Discarded {
		lines = append(lines, d.String())
	}
	if len(lines) > 0 {
		fmt.Fprintf(out, "-- report --\n%s\n", strings.Join(lines, "\n"))
	}
}

func TestNormalize_contractError(t *testing.T) {
	s := schema.New("test")
	normalizeAll(t, s, []run{{contractHints(schema.Contract{}), contractFirst}})
	n := normalize.New(s, "2", t.TempDir())
	h := contractHints(schema.ContractAll(schema.Freeze))
	h.Columns = map[string]schema.ColumnHint{"email": {PII: schema.PIIMask}}
	err := n.Normalize(h, strings.NewReader(`{"id":2,"email":"bob@example.com"}`))
	var ce *schema.ContractError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v is not a *schema.ContractError", err)
	}
	want := schema.ContractError{Kind: "column", Table: "people", Column: "email", Value: `"b***@example.com"`, Type: schema.Text}
	if *ce != want {
		t.Errorf("ContractError = %+v, want %+v", *ce, want)
	}
	if strings.Contains(err.Error(), "bob@") {
		t.Errorf("error %q contains the masked value", err)
	}
	if !strings.Contains(err.Error(), "line 1") {
		t.Errorf("error %q does not name the line", err)
	}
	files, err := n.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 0 {
		t.Errorf("%d files written for a package whose only item broke the contract, want 0", len(files))
	}
}

package rest_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/restload/restload/schema"
	"github.com/restload/restload/source/rest"
)

// hintsOf parses a definition and returns the hints of its resources, by
// resource name.
func hintsOf(t *testing.T, def string) map[string]schema.Hints {
	t.Helper()
	cfg, err := rest.Parse("hints.yaml", []byte(def))
	if err != nil {
		t.Fatal(err)
	}
	src, err := rest.New(cfg, rest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out := map[string]schema.Hints{}
	for _, r := range src.Resources() {
		out[r.Name()] = r.Hints()
	}
	return out
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

func TestHintsFromYAML(t *testing.T) {
	tests := []struct {
		name string
		res  string // one resource, indented as an item of resources
		want schema.Hints
	}{
		{
			name: "every key",
			res: `
  - name: contacts
    table_name: People
    primary_key: [id]
    merge_key: [signupDay]
    write_disposition: {disposition: merge, strategy: delete-insert}
    max_table_nesting: 2
    columns:
      emailAddress: {pii: hash, data_type: text, nullable: false}
      profile.ssn: {pii: drop}
      phones.number: {pii: mask}
      externalId: {primary_key: true, data_type: bigint}
      updatedAt: {data_type: timestamp, dedup_sort: desc}
      isDeleted: {hard_delete: true, nullable: true}
      signupDay: {data_type: date}
      region: {merge_key: true}
    schema_contract: {tables: evolve, columns: freeze, data_type: discard_value}
    detections: [iso_date]`,
			want: schema.Hints{
				Table:            "people",
				PrimaryKey:       []string{"id"},
				WriteDisposition: schema.Merge,
				MergeStrategy:    schema.DeleteInsert,
				MaxNesting:       2,
				Columns: map[string]schema.ColumnHint{
					"emailAddress":  {PII: schema.PIIHash, DataType: schema.Text, Nullable: no()},
					"profile.ssn":   {PII: schema.PIIDrop},
					"phones.number": {PII: schema.PIIMask},
					"externalId":    {PrimaryKey: true, DataType: schema.BigInt},
					"updatedAt":     {DataType: schema.Timestamp, DedupSort: schema.Desc},
					"isDeleted":     {HardDelete: true, Nullable: yes()},
					"signupDay":     {DataType: schema.Date, MergeKey: true},
					"region":        {MergeKey: true},
				},
				Contract:   schema.Contract{Tables: schema.Evolve, Columns: schema.Freeze, DataType: schema.DiscardValue},
				Detections: []schema.Detection{schema.DetectISODate},
			},
		},
		{
			name: "upsert",
			res: `
  - name: users
    primary_key: [id]
    write_disposition: {disposition: merge, strategy: upsert}`,
			want: schema.Hints{Table: "users", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge, MergeStrategy: schema.Upsert},
		},
		{
			name: "history with one contract mode",
			res: `
  - name: users
    primary_key: [id]
    write_disposition: history
    retire_absent: true
    schema_contract: freeze`,
			want: schema.Hints{Table: "users", PrimaryKey: []string{"id"}, WriteDisposition: schema.History,
				RetireAbsent: true, Contract: schema.ContractAll(schema.Freeze)},
		},
		{
			name: "history as mapping",
			res: `
  - name: users
    primary_key: [id]
    write_disposition: {disposition: history}`,
			want: schema.Hints{Table: "users", PrimaryKey: []string{"id"}, WriteDisposition: schema.History},
		},
		{
			name: "merge key alone",
			res: `
  - name: events
    write_disposition: merge
    merge_key: [day]`,
			want: schema.Hints{Table: "events", WriteDisposition: schema.Merge,
				Columns: map[string]schema.ColumnHint{"day": {MergeKey: true}}},
		},
		{
			name: "nested primary key",
			res: `
  - name: memberships
    primary_key: [team.id, userId]
    write_disposition: merge`,
			want: schema.Hints{Table: "memberships", PrimaryKey: []string{"team__id", "user_id"}, WriteDisposition: schema.Merge},
		},
		{
			name: "no hints",
			res: `
  - plain`,
			want: schema.Hints{Table: "plain", WriteDisposition: schema.Append},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			def := "client: {base_url: http://127.0.0.1:1}\nresources:" + tc.res + "\n"
			hints := hintsOf(t, def)
			if len(hints) != 1 {
				t.Fatalf("got %d resources, want 1", len(hints))
			}
			for _, got := range hints {
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("hints\n got %+v\nwant %+v", got, tc.want)
				}
				if err := got.Validate(); err != nil {
					t.Errorf("hints do not validate: %v", err)
				}
			}
		})
	}
}

// defaultsDefinition lays hints under three resources that override
// them in different ways.
const defaultsDefinition = `
client: {base_url: http://127.0.0.1:1}
resource_defaults:
  primary_key: [id]
  write_disposition: {disposition: merge, strategy: upsert}
  columns:
    emailAddress: {pii: hash}
    updatedAt: {dedup_sort: desc}
  schema_contract: {columns: freeze}
  detections: [iso_date]
resources:
  - inherits
  - name: overrides
    write_disposition: history
    retire_absent: true
    columns:
      email_address: {nullable: false}
      updatedAt: {dedup_sort: asc, data_type: timestamp}
      name: {pii: mask}
    schema_contract: discard_row
    detections: []
  - name: plain_merge
    write_disposition: merge
`

func TestHintsDefaults(t *testing.T) {
	hints := hintsOf(t, defaultsDefinition)
	tests := []struct {
		resource string
		want     schema.Hints
	}{
		{"inherits", schema.Hints{
			Table: "inherits", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge, MergeStrategy: schema.Upsert,
			Columns: map[string]schema.ColumnHint{
				"emailAddress": {PII: schema.PIIHash},
				"updatedAt":    {DedupSort: schema.Desc},
			},
			Contract:   schema.Contract{Columns: schema.Freeze},
			Detections: []schema.Detection{schema.DetectISODate},
		}},
		{"overrides", schema.Hints{
			Table: "overrides", PrimaryKey: []string{"id"}, WriteDisposition: schema.History, RetireAbsent: true,
			// The defaults' emailAddress and the resource's email_address
			// name one field: the hints merge under the resource's path.
			Columns: map[string]schema.ColumnHint{
				"email_address": {PII: schema.PIIHash, Nullable: no()},
				"updatedAt":     {DedupSort: schema.Asc, DataType: schema.Timestamp},
				"name":          {PII: schema.PIIMask},
			},
			Contract: schema.ContractAll(schema.DiscardRow),
		}},
		// A write_disposition on the resource replaces the defaults'
		// strategy too.
		{"plain_merge", schema.Hints{
			Table: "plain_merge", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge,
			Columns: map[string]schema.ColumnHint{
				"emailAddress": {PII: schema.PIIHash},
				"updatedAt":    {DedupSort: schema.Desc},
			},
			Contract:   schema.Contract{Columns: schema.Freeze},
			Detections: []schema.Detection{schema.DetectISODate},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.resource, func(t *testing.T) {
			got, ok := hints[tc.resource]
			if !ok {
				t.Fatalf("no resource %s", tc.resource)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("hints\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestHintsDefaultsKeepGoDefinition(t *testing.T) {
	defaults := map[string]schema.ColumnHint{"email": {PII: schema.PIIHash}}
	cfg := &rest.Config{
		Client:           rest.ClientConfig{BaseURL: "http://127.0.0.1:1"},
		ResourceDefaults: rest.Resource{Columns: defaults},
		Resources: []rest.Resource{{Name: "a", MergeKey: []string{"day"},
			WriteDisposition: schema.Merge, Columns: map[string]schema.ColumnHint{"Email": {Nullable: no()}}}},
	}
	src, err := rest.New(cfg, rest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	want := map[string]schema.ColumnHint{"Email": {PII: schema.PIIHash, Nullable: no()}, "day": {MergeKey: true}}
	if got := src.Resources()[0].Hints().Columns; !reflect.DeepEqual(got, want) {
		t.Errorf("columns %+v, want %+v", got, want)
	}
	if len(defaults) != 1 || defaults["email"] != (schema.ColumnHint{PII: schema.PIIHash}) {
		t.Errorf("building the hints changed the defaults: %+v", defaults)
	}
	if len(cfg.Resources[0].Columns) != 1 {
		t.Errorf("building the hints changed the resource's columns: %+v", cfg.Resources[0].Columns)
	}
}

func TestLintHints(t *testing.T) {
	tests := []struct {
		name string
		def  string // resources of the definition
		line int
		path string
		text string
	}{
		{"pii mode", `
  - name: a
    columns:
      email: {pii: hsh}`, 5, "resources[0].columns.email.pii", `invalid value "hsh": use hash, mask or drop`},
		{"data type", `
  - name: a
    columns:
      age: {data_type: integer}`, 5, "resources[0].columns.age.data_type",
			`invalid value "integer": use text, bigint, double, decimal, bool, timestamp, date, json or binary`},
		{"dedup sort", `
  - name: a
    columns:
      updatedAt:
        dedup_sort: newest`, 6, "resources[0].columns.updatedAt.dedup_sort", `invalid value "newest": use asc or desc`},
		{"nullable not a bool", `
  - name: a
    columns:
      email: {nullable: maybe}`, 5, "resources[0].columns.email.nullable", "want true or false"},
		{"unknown column key", `
  - name: a
    columns:
      email: {unique: true}`, 5, "resources[0].columns.email.unique", "valid keys here: primary_key, merge_key, nullable, data_type, pii, hard_delete, dedup_sort"},
		{"column hint not a mapping", `
  - name: a
    columns:
      email: hash`, 5, "resources[0].columns.email", "want a mapping"},
		{"empty path member", `
  - name: a
    columns:
      profile..ssn: {pii: drop}`, 5, "resources[0].columns.profile..ssn", "empty member"},
		{"same field twice", `
  - name: a
    columns:
      emailAddress: {pii: hash}
      email_address: {nullable: false}`, 6, "resources[0].columns.email_address", `"emailAddress" and "email_address" name the same field`},
		{"contract mode", `
  - name: a
    schema_contract: frozen`, 4, "resources[0].schema_contract", `invalid value "frozen": use evolve, freeze, discard_row or discard_value`},
		{"contract kind", `
  - name: a
    schema_contract:
      tables: evolve
      columns: lock`, 6, "resources[0].schema_contract.columns", `invalid value "lock": use evolve, freeze, discard_row or discard_value`},
		{"contract key", `
  - name: a
    schema_contract: {rows: freeze}`, 4, "resources[0].schema_contract.rows", "valid keys here: tables, columns, data_type"},
		{"detection", `
  - name: a
    detections: [iso_timestamp]`, 4, "resources[0].detections[0]", `invalid value "iso_timestamp": use iso_date`},
		{"disposition", `
  - name: a
    write_disposition: scd2`, 4, "resources[0].write_disposition", "write_disposition: history"},
		{"strategy as disposition", `
  - name: a
    primary_key: [id]
    write_disposition: upsert`, 5, "resources[0].write_disposition", "{disposition: merge, strategy: upsert}"},
		{"strategy", `
  - name: a
    primary_key: [id]
    write_disposition:
      disposition: merge
      strategy: insert-only`, 7, "resources[0].write_disposition.strategy", `invalid value "insert-only": use delete-insert or upsert`},
		{"strategy without merge", `
  - name: a
    primary_key: [id]
    write_disposition: {disposition: replace, strategy: upsert}`, 5, "resources[0].write_disposition.strategy", "applies only to disposition merge, not replace"},
		{"mapping without disposition", `
  - name: a
    write_disposition: {strategy: upsert}`, 4, "resources[0].write_disposition", "missing disposition"},
		{"upsert without primary key", `
  - name: a
    merge_key: [day]
    write_disposition: {disposition: merge, strategy: upsert}`, 5, "resources[0].write_disposition.strategy", "needs primary_key"},
		{"upsert with merge key", `
  - name: a
    primary_key: [id]
    merge_key: [day]
    write_disposition: {disposition: merge, strategy: upsert}`, 6, "resources[0].write_disposition.strategy", "takes no merge_key"},
		{"merge without keys", `
  - name: a
    write_disposition: merge`, 3, "resources[0].primary_key", "needs primary_key or merge_key"},
		{"history without primary key", `
  - name: a
    merge_key: [day]
    write_disposition: history`, 3, "resources[0].primary_key", "history needs primary_key"},
		{"retire absent without history", `
  - name: a
    primary_key: [id]
    write_disposition: merge
    retire_absent: true`, 6, "resources[0].retire_absent", "applies only to write_disposition history, not merge"},
		{"mask on a key", `
  - name: a
    columns:
      email: {primary_key: true, pii: mask}`, 5, "resources[0].columns.email.pii", "pii mask cannot apply to a key"},
		{"hash of a bigint", `
  - name: a
    columns:
      ssn: {pii: hash, data_type: bigint}`, 5, "resources[0].columns.ssn.pii", "data type bigint cannot apply"},
		{"nullable primary key", `
  - name: a
    columns:
      id: {primary_key: true, nullable: true}`, 5, "resources[0].columns.id.nullable", "cannot be nullable"},
		{"two hard delete columns", `
  - name: a
    primary_key: [id]
    write_disposition: merge
    columns:
      deleted: {hard_delete: true}
      removed: {hard_delete: true}`, 8, "resources[0].columns.removed.hard_delete", `also set on "deleted"`},
		{"two dedup sort columns", `
  - name: a
    primary_key: [id]
    write_disposition: merge
    columns:
      a: {dedup_sort: asc}
      b: {dedup_sort: desc}`, 8, "resources[0].columns.b.dedup_sort", `also set on "a"`},
		{"empty merge key", `
  - name: a
    write_disposition: merge
    merge_key: [""]`, 5, "resources[0].merge_key[0]", "empty member"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			def := "client: {base_url: http://127.0.0.1:1}\nresources:" + tc.def + "\n"
			problems := rest.Lint([]byte(def))
			for _, p := range problems {
				if p.Path == tc.path && p.Line == tc.line && strings.Contains(p.String(), tc.path+": ") &&
					strings.Contains(p.Message, tc.text) {
					return
				}
			}
			t.Errorf("no problem at line %d, %s, mentioning %q; got:", tc.line, tc.path, tc.text)
			for _, p := range problems {
				t.Log(p)
			}
		})
	}
}

func TestLintHintsOfDefaults(t *testing.T) {
	def := `client: {base_url: http://127.0.0.1:1}
resource_defaults:
  columns:
    email: {pii: hsh}
    phone: {pii: mask, primary_key: true}
resources: [a, b]
`
	problems := rest.Lint([]byte(def))
	want := []string{
		`line 4, column 13: resource_defaults.columns.email.pii: invalid value "hsh": use hash, mask or drop`,
		"line 5, column 13: resource_defaults.columns.phone.pii: pii mask cannot apply to a key",
	}
	if len(problems) != len(want) {
		t.Errorf("got %d problems, want %d, each once for the defaults", len(problems), len(want))
	}
	for i, w := range want {
		if i >= len(problems) || !strings.HasPrefix(problems[i].String(), w) {
			t.Errorf("problem %d does not start with %q", i, w)
		}
	}
	if t.Failed() {
		for _, p := range problems {
			t.Log(p)
		}
	}
}

func TestValidateGoHints(t *testing.T) {
	base := func(r rest.Resource) *rest.Config {
		return &rest.Config{Client: rest.ClientConfig{BaseURL: "http://127.0.0.1:1"}, Resources: []rest.Resource{r}}
	}
	valid := base(rest.Resource{
		Name: "users", PrimaryKey: []string{"id"},
		WriteDisposition: schema.Merge, MergeStrategy: schema.Upsert,
		Columns: map[string]schema.ColumnHint{
			"email":     {PII: schema.PIIHash},
			"updatedAt": {DedupSort: schema.Desc},
			"deleted":   {HardDelete: true},
		},
		SchemaContract: schema.ContractAll(schema.Freeze),
		Detections:     []schema.Detection{schema.DetectISODate},
	})
	if err := valid.Validate(); err != nil {
		t.Errorf("valid definition: %v", err)
	}

	tests := []struct {
		name string
		res  rest.Resource
		want string
	}{
		{"pii mode", rest.Resource{Name: "a", Columns: map[string]schema.ColumnHint{"email": {PII: "hsh"}}},
			`resources[0].columns.email.pii: invalid value "hsh": use hash, mask or drop`},
		{"strategy without disposition", rest.Resource{Name: "a", PrimaryKey: []string{"id"}, MergeStrategy: schema.Upsert},
			"resources[0].write_disposition.strategy: strategy upsert applies only to disposition merge, not append"},
		{"contract", rest.Resource{Name: "a", SchemaContract: schema.Contract{DataType: "strict"}},
			`resources[0].schema_contract.data_type: invalid value "strict"`},
		{"retire absent", rest.Resource{Name: "a", RetireAbsent: yes()},
			"resources[0].retire_absent: retire_absent applies only to write_disposition history, not append"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := base(tc.res).Validate()
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
}

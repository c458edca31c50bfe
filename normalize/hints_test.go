package normalize_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/restload/restload/normalize"
	"github.com/restload/restload/schema"
)

// piiHints hashes, masks and drops fields at several depths.
var piiHints = schema.Hints{Table: "candidates", PrimaryKey: []string{"id"}, Columns: map[string]schema.ColumnHint{
	"email":              {PII: schema.PIIHash},
	"emailAddresses":     {PII: schema.PIIHash},
	"phones.number":      {PII: schema.PIIMask},
	"secret":             {PII: schema.PIIDrop},
	"profile.birthday":   {PII: schema.PIIDrop},
	"profile.address":    {PII: schema.PIIMask},
	"notes.author.email": {PII: schema.PIIHash},
}}

const piiItems = `{"id":"c1","email":"ada@example.com","emailAddresses":["ada@example.com","ada.l@example.org"],` +
	`"phones":[{"number":"+44 20 7946 0958","kind":"home"}],"secret":{"token":"tok-secret-1"},` +
	`"profile":{"birthday":"1815-12-10","address":{"street":"12 St James Square","city":"London"}},` +
	`"notes":[{"author":{"email":"babbage@example.com"},"text":"hello"}]}
{"id":"c2","email":"grace@example.com","emailAddresses":[["grace@nested.example.com"]],"secret":"tok-secret-2"}`

// rawPII are values of piiItems that no written file may contain.
var rawPII = []string{
	"ada@example.com", "ada.l@example.org", "7946", "tok-secret", "1815", "birthday",
	"12 St James", "babbage", "grace@", "secret",
}

// normalizeFiles normalizes items with h and returns the schema and the
// content of every written file.
func normalizeFiles(t *testing.T, key string, h schema.Hints, items string) (*schema.Schema, []byte) {
	t.Helper()
	s := schema.New("test")
	n := normalize.New(s, "1", t.TempDir())
	n.HashKey = []byte(key)
	if err := n.Normalize(h, strings.NewReader(items)); err != nil {
		t.Fatal(err)
	}
	files, err := n.Close()
	if err != nil {
		t.Fatal(err)
	}
	checkFiles(t, s, files)
	var all bytes.Buffer
	for _, f := range files {
		b, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	return s, all.Bytes()
}

func TestPII_rawValuesNeverWritten(t *testing.T) {
	for _, nesting := range []int{0, 1, 2} {
		h := piiHints
		h.MaxNesting = nesting
		s, out := normalizeFiles(t, "key one", h, piiItems)
		for _, raw := range rawPII {
			if bytes.Contains(out, []byte(raw)) {
				t.Errorf("max nesting %d: files contain %q:\n%s", nesting, raw, out)
			}
		}
		y, err := s.YAML()
		if err != nil {
			t.Fatal(err)
		}
		for _, dropped := range []string{"secret", "birthday"} {
			if bytes.Contains(y, []byte(dropped)) {
				t.Errorf("max nesting %d: schema has a column or table for dropped %s:\n%s", nesting, dropped, y)
			}
		}
		for _, kept := range []string{"L***", "home", "hello"} {
			if !bytes.Contains(out, []byte(kept)) {
				t.Errorf("max nesting %d: files lack %q", nesting, kept)
			}
		}
	}
}

func TestPII_hashIsKeyedHMAC(t *testing.T) {
	mac := hmac.New(sha256.New, []byte("key one"))
	mac.Write([]byte("ada@example.com"))
	want := hex.EncodeToString(mac.Sum(nil))

	_, first := normalizeFiles(t, "key one", piiHints, piiItems)
	if !bytes.Contains(first, []byte(`"email":"`+want+`"`)) {
		t.Errorf("email is not hashed to HMAC-SHA256 %s:\n%s", want, first)
	}
	// The list element equal to the email gets the same hash, so hashed
	// columns join.
	if !bytes.Contains(first, []byte(`"value":"`+want+`"`)) {
		t.Errorf("email address list element is not hashed to %s", want)
	}
	_, again := normalizeFiles(t, "key one", piiHints, piiItems)
	if !bytes.Equal(first, again) {
		t.Error("the same key gave different output")
	}
	_, other := normalizeFiles(t, "key two", piiHints, piiItems)
	if bytes.Contains(other, []byte(want)) {
		t.Error("another key gave the same hash")
	}
}

func TestPII_noKey(t *testing.T) {
	n := normalize.New(schema.New("test"), "1", t.TempDir())
	err := n.Normalize(piiHints, strings.NewReader(piiItems))
	if !errors.Is(err, normalize.ErrNoHashKey) {
		t.Errorf("Normalize without a key: %v, want ErrNoHashKey", err)
	}
	files, err := n.Close()
	if err != nil || len(files) != 0 {
		t.Errorf("Close = %d files, %v; want none", len(files), err)
	}
}

func TestHints_changeBetweenCalls(t *testing.T) {
	s := schema.New("test")
	n := normalize.New(s, "1", t.TempDir())
	n.HashKey = []byte("k")
	plain := schema.Hints{Table: "t"}
	hashed := schema.Hints{Table: "t", Columns: map[string]schema.ColumnHint{"l.e": {PII: schema.PIIHash}}}
	for _, r := range []run{
		{plain, `{"l":[{"e":"first@example.com"}]}`},
		{hashed, `{"l":[{"e":"second@example.com"}]}`},
	} {
		if err := n.Normalize(r.hints, strings.NewReader(r.input)); err != nil {
			t.Fatal(err)
		}
	}
	files, err := n.Close()
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, f := range files {
		b, _ := os.ReadFile(f.Path)
		all = append(all, b...)
	}
	if !bytes.Contains(all, []byte("first@example.com")) {
		t.Error("the first call's value, which no hint covers, is missing")
	}
	if bytes.Contains(all, []byte("second@example.com")) {
		t.Error("the second call's value is not hashed")
	}
}

func TestHints_keyRoles(t *testing.T) {
	s := schema.New("test")
	h := schema.Hints{Table: "events", WriteDisposition: schema.Merge, Columns: map[string]schema.ColumnHint{
		"meta.eventId": {PrimaryKey: true},
		"day":          {MergeKey: true},
		"isDeleted":    {HardDelete: true},
		"seq":          {DedupSort: schema.Asc},
	}}
	normalizeAll(t, s, []run{{h, `{"meta":{"eventId":"e1"},"day":"2024-01-05","isDeleted":false,"seq":1}`}})
	tab := s.Table("events")
	if got := tab.PrimaryKey(); !reflect.DeepEqual(got, []string{"meta__event_id"}) {
		t.Errorf("primary key = %v, want [meta__event_id]", got)
	}
	roles := map[string]func(*schema.Column) bool{
		"day":        func(c *schema.Column) bool { return c.MergeKey },
		"is_deleted": func(c *schema.Column) bool { return c.HardDelete },
		"seq":        func(c *schema.Column) bool { return c.DedupSort == schema.Asc },
	}
	for name, has := range roles {
		if got := tab.ColumnsWhere(has); !reflect.DeepEqual(got, []string{name}) {
			t.Errorf("columns with the role of %s = %v", name, got)
		}
	}

	// A later package without the hints takes the roles away, which is
	// a schema change.
	version := s.Version
	normalizeAll(t, s, []run{{schema.Hints{Table: "events"}, `{"day":"2024-01-06"}`}})
	if s.Version != version+1 {
		t.Errorf("version %d after roles changed, want %d", s.Version, version+1)
	}
	for _, c := range tab.Columns {
		if c.PrimaryKey || c.MergeKey || c.HardDelete || c.DedupSort != "" {
			t.Errorf("column %s keeps a role: %+v", c.Name, *c)
		}
	}
	if !tab.Column("meta__event_id").Nullable {
		t.Error("former primary key column is not nullable")
	}
}

func TestReport_collisions(t *testing.T) {
	s := schema.New("test")
	n := normalize.New(s, "1", t.TempDir())
	in := `{"userId":1,"user_id":2,"tag_list":[1],"tagList":[2]}
{"x":{"v_text":"nested"},"X":5}
{"x":"variant"}`
	if err := n.Normalize(schema.Hints{Table: "items"}, strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Close(); err != nil {
		t.Fatal(err)
	}
	want := []normalize.Collision{
		{Table: "items", Column: "user_id__2", Name: "user_id", Member: "user_id"},
		{Table: "items__tag_list__2", Name: "items__tag_list", Member: "tagList"},
		{Table: "items", Column: "x__v_text__2", Name: "x__v_text", Member: "x"},
	}
	if got := n.Report().Collisions; !reflect.DeepEqual(got, want) {
		t.Errorf("collisions = %+v, want %+v", got, want)
	}
	if r := n.Report(); len(r.Shortened) != 0 || len(r.Discarded) != 0 {
		t.Errorf("report has other entries: %+v", r)
	}
}

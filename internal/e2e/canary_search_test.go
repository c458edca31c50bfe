package e2e

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// canaryValue returns a secret value that no output can hold by chance:
// prefix, then 24 random hex digits, then suffix.
func canaryValue(prefix, suffix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + hex.EncodeToString(b) + suffix
}

// secret is a value that must appear in no output, and the encodings in
// which a leak would show it.
type secret struct {
	name  string
	value string
	// forms maps the name of each encoding to the encoded value.
	forms map[string]string
}

// newSecret returns the secret with the encodings of value that a leak
// would show: the value itself, URL query and path escaped, JSON
// escaped, in hex, and in standard and URL-safe base64. The base64 forms
// match at any byte offset, so they are also found inside a longer base64
// text such as a Basic Authorization header.
func newSecret(name, value string) *secret {
	s := &secret{name: name, value: value, forms: map[string]string{"plain": value}}
	add := func(form, text string) {
		for _, known := range s.forms {
			if text == known {
				return
			}
		}
		if text != "" {
			s.forms[form] = text
		}
	}
	add("URL query escaped", url.QueryEscape(value))
	add("URL path escaped", url.PathEscape(value))
	add("JSON escaped", strings.Trim(jsonText(value), `"`))
	add("hex", hex.EncodeToString([]byte(value)))
	add("upper-case hex", strings.ToUpper(hex.EncodeToString([]byte(value))))
	for shift := range 3 {
		add(fmt.Sprintf("base64 at offset %d", shift), base64Core(base64.StdEncoding, value, shift))
		add(fmt.Sprintf("URL-safe base64 at offset %d", shift), base64Core(base64.URLEncoding, value, shift))
	}
	return s
}

// base64Core returns the part of the base64 text of value, preceded by
// shift other bytes, that depends on value alone: the characters that
// mix in neighbouring bytes at either end are cut off.
func base64Core(enc *base64.Encoding, value string, shift int) string {
	text := enc.EncodeToString(append(make([]byte, shift), value...))
	// One or two leading bytes share the first 2 or 3 characters.
	text = text[[]int{0, 2, 3}[shift]:]
	// The last group of 4 characters may mix in the bytes that follow.
	text = strings.TrimRight(text, "=")
	if len(text) < 8 {
		return ""
	}
	return text[:len(text)-4]
}

// basicAuth returns the base64 text of an Authorization: Basic header.
func basicAuth(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}

// leakSearch searches outputs, files and tables for a set of secrets and
// fails the test naming where each one was found. It counts what it
// searched, so that a test can check that the search covered something.
type leakSearch struct {
	t       *testing.T
	secrets []*secret
	outputs int
	files   int
	tables  int
	rows    int
	values  int
}

func newLeakSearch(t *testing.T, secrets ...*secret) *leakSearch {
	return &leakSearch{t: t, secrets: secrets}
}

// leak is one place where a secret was found.
type leak struct {
	secret, form string
	// offset is where the first occurrence starts, and count says how
	// many there are.
	offset, count int
	// context is the text around the leak, the secret replaced by its
	// name.
	context string
}

// find returns every form of every secret in data.
func (ls *leakSearch) find(data []byte) []leak {
	var found []leak
	for _, s := range ls.secrets {
		for form, text := range s.forms {
			i := bytes.Index(data, []byte(text))
			if i < 0 {
				continue
			}
			start, end := max(i-60, 0), min(i+len(text)+60, len(data))
			context := strings.ReplaceAll(string(data[start:end]), text, "<"+s.name+">")
			found = append(found, leak{secret: s.name, form: form, offset: i,
				count: bytes.Count(data, []byte(text)), context: context})
		}
	}
	return found
}

// check searches data, which came from where, for every secret.
func (ls *leakSearch) check(where string, data []byte) {
	ls.t.Helper()
	for _, l := range ls.find(data) {
		ls.t.Errorf("%s holds the %s (%s) %d time(s), first at byte %d: …%q…",
			where, l.secret, l.form, l.count, l.offset, l.context)
	}
}

// output searches the output of a command.
func (ls *leakSearch) output(command string, out []byte) {
	ls.t.Helper()
	ls.outputs++
	ls.check("output of "+command, out)
}

// folder searches every file under dir.
func (ls *leakSearch) folder(dir string) {
	ls.t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		ls.files++
		ls.check("file "+path, data)
		return nil
	})
	if err != nil {
		ls.t.Errorf("search folder %s: %v", dir, err)
	}
}

// database searches every value of every table that listTables returns,
// as schema and table name pairs, through SQL.
func (ls *leakSearch) database(label string, db *sql.DB, listTables string) {
	ls.t.Helper()
	rows, err := db.Query(listTables)
	if err != nil {
		ls.t.Fatalf("%s: list tables: %v", label, err)
	}
	var tables [][2]string
	for rows.Next() {
		var tab [2]string
		if err := rows.Scan(&tab[0], &tab[1]); err != nil {
			ls.t.Fatalf("%s: list tables: %v", label, err)
		}
		tables = append(tables, tab)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		ls.t.Fatalf("%s: list tables: %v", label, err)
	}
	for _, tab := range tables {
		ls.table(label, db, tab[0], tab[1])
	}
}

// table searches every value of one table, each as the text that the
// driver returns or that fmt prints for it.
func (ls *leakSearch) table(label string, db *sql.DB, schemaName, table string) {
	ls.t.Helper()
	name := quoteIdent(schemaName) + "." + quoteIdent(table)
	rows, err := db.Query("SELECT * FROM " + name)
	if err != nil {
		ls.t.Errorf("%s: read %s: %v", label, name, err)
		return
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		ls.t.Fatalf("%s: columns of %s: %v", label, name, err)
	}
	ls.tables++
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			ls.t.Fatalf("%s: scan %s: %v", label, name, err)
		}
		ls.rows++
		for i, v := range vals {
			var text []byte
			switch x := v.(type) {
			case nil, time.Time, bool, int64, int32, float64:
				continue
			case []byte:
				text = x
			case string:
				text = []byte(x)
			default:
				text = fmt.Append(nil, x)
			}
			ls.values++
			ls.check(fmt.Sprintf("%s column %s.%s.%s", label, schemaName, table, cols[i]), text)
		}
	}
	if err := rows.Err(); err != nil {
		ls.t.Errorf("%s: read %s: %v", label, name, err)
	}
}

// quoteIdent quotes a SQL identifier for DuckDB and PostgreSQL.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// jsonText returns s as a JSON string literal.
func jsonText(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == '<' || r == '>' || r == '&':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// summary reports what the search covered.
func (ls *leakSearch) summary() string {
	return fmt.Sprintf("%d outputs, %d files, %d tables with %d rows and %d text values",
		ls.outputs, ls.files, ls.tables, ls.rows, ls.values)
}

// fetchPages gets each path from base and returns the bodies, failing the
// test on a status other than 200.
func fetchPages(t *testing.T, base string, paths ...string) map[string][]byte {
	t.Helper()
	pages := map[string][]byte{}
	client := &http.Client{Timeout: time.Minute}
	for _, p := range paths {
		resp, err := client.Get(strings.TrimSuffix(base, "/") + p)
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("GET %s: read body: %v", p, err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d: %.600s", p, resp.StatusCode, pageText(body))
		}
		pages[p] = body
	}
	return pages
}

// htmlTag matches an HTML tag, for pageText.
var htmlTag = regexp.MustCompile(`<[^>]*>`)

// pageText returns the text of an HTML page without its tags, and its
// runs of white space as single spaces.
func pageText(page []byte) string {
	text := html.UnescapeString(htmlTag.ReplaceAllString(string(page), " "))
	return strings.Join(strings.Fields(text), " ")
}

// TestLeakSearchFindsEncodings checks that the search finds a secret in
// each form that it claims to cover, inside other text, so that a clean
// result of the canary tests means something.
func TestLeakSearchFindsEncodings(t *testing.T) {
	value := canaryValue("canary-", "/+=")
	s := newSecret("test secret", value)
	embeds := map[string]string{
		"plain":               "x" + value + "x",
		"query":               "https://h/p?k=" + url.QueryEscape(value) + "&a=1",
		"path":                "https://h/" + url.PathEscape(value) + "/x",
		"hex":                 "id=" + hex.EncodeToString([]byte(value)),
		"bearer in base64":    base64.StdEncoding.EncodeToString([]byte("Bearer " + value + "\n")),
		"basic with password": "Authorization: Basic " + basicAuth("user", value),
		"basic with username": "Authorization: Basic " + basicAuth(value, ""),
		"url-safe base64":     base64.RawURLEncoding.EncodeToString([]byte("ab" + value + "cd")),
	}
	ls := newLeakSearch(t, s)
	for name, text := range embeds {
		if found := ls.find([]byte("before " + text + " after")); len(found) == 0 {
			t.Errorf("%s: no form of the secret found in %q", name, text)
		}
	}
	for _, text := range []string{"canary-", value[:len(value)-4], base64.StdEncoding.EncodeToString([]byte("canary-"))} {
		for form, enc := range s.forms {
			if strings.Contains(text, enc) {
				t.Errorf("the %s form %q matches the unrelated text %q", form, enc, text)
			}
		}
	}
}

package normalize

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/restload/restload/schema"
)

// candidate returns a JSON line shaped like an Ashby candidate of about
// 1 KB: nested objects, lists of objects and scalars, timestamps with
// milliseconds and custom fields whose values change type.
func candidate(i int) string {
	values := []string{`true`, `"Senior"`, `42`, `3.5`, `["go","sql"]`, `{"label":"Berlin","id":"x1"}`}
	return fmt.Sprintf(`{"id":"6f1c2a4e-%04x-4c1b-9d3e-0a1b2c3d4e5f","createdAt":"2024-03-%02dT10:15:%02d.123Z",`+
		`"updatedAt":"2024-04-01T08:00:00.456+02:00","name":"Candidate Number %d","primaryEmailAddress":`+
		`{"value":"c%d@example.com","type":"Personal","isPrimary":true},"emailAddresses":[{"value":"c%d@example.com",`+
		`"type":"Personal","isPrimary":true},{"value":"work%d@example.org","type":"Work","isPrimary":false}],`+
		`"phoneNumbers":[{"value":"+49 30 1234%04d","type":"Mobile","isPrimary":true}],"socialLinks":`+
		`[{"type":"LinkedIn","url":"https://linkedin.example/in/c%d"}],"tags":[{"id":"t-%d","title":"Referral",`+
		`"isArchived":false}],"position":"Software Engineer","company":"Example GmbH","school":null,`+
		`"applicationIds":["a-%d-1","a-%d-2"],"resumeFileHandle":{"id":"f-%d","name":"resume.pdf",`+
		`"handle":"h%dabcdef"},"fileHandles":[],"customFields":[{"id":"cf1","title":"Level","value":%s},`+
		`{"id":"cf2","title":"Remote","value":%s},{"id":"cf3","title":"Score","value":%d}],`+
		`"profileUrl":"https://app.example/candidates/%d","source":{"id":"s1","title":"Referral",`+
		`"isArchived":false,"sourceType":{"id":"st1","title":"Inbound","isArchived":false}},`+
		`"creditedToUser":{"id":"u1","firstName":"Ada","lastName":"Lovelace","email":"ada@example.com",`+
		`"globalRole":"Admin","isEnabled":true,"updatedAt":"2024-01-01T00:00:00.000Z"},"timezone":"Europe/Berlin",`+
		`"location":{"id":"l1","locationSummary":"Berlin, DE","locationComponents":[{"type":"City",`+
		`"name":"Berlin"},{"type":"Country","name":"Germany"}]}}`,
		i&0xffff, i%28+1, i%60, i, i, i, i, i%10000, i, i, i, i, i, i,
		values[i%len(values)], values[(i+1)%len(values)], i%100, i)
}

func candidates(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		b.WriteString(candidate(i))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func BenchmarkNormalize(b *testing.B) {
	const items = 20000
	input := candidates(items)
	h := schema.Hints{Table: "candidates", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge}
	dir := b.TempDir()
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		n := New(schema.New("ashby"), "1700000000.1", dir)
		if err := n.Normalize(h, bytes.NewReader(input)); err != nil {
			b.Fatal(err)
		}
		if _, err := n.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(items*b.N)/b.Elapsed().Seconds(), "items/s")
}

func BenchmarkParse(b *testing.B) {
	input := candidates(2000)
	lines := bytes.Split(bytes.TrimSpace(input), []byte{'\n'})
	var p parser
	b.SetBytes(int64(len(input)))
	for b.Loop() {
		for _, l := range lines {
			if _, err := p.parse(l); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(lines)*b.N)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkNormalizeHints normalizes the candidates of BenchmarkNormalize
// with PII hints on the email addresses, phone numbers and names, a
// contract, and write disposition history, which hashes every item.
func BenchmarkNormalizeHints(b *testing.B) {
	const items = 20000
	input := candidates(items)
	h := schema.Hints{
		Table: "candidates", PrimaryKey: []string{"id"}, WriteDisposition: schema.History,
		Contract: schema.Contract{DataType: schema.DiscardValue},
		Columns: map[string]schema.ColumnHint{
			"primaryEmailAddress.value": {PII: schema.PIIHash},
			"emailAddresses.value":      {PII: schema.PIIHash},
			"phoneNumbers.value":        {PII: schema.PIIMask},
			"name":                      {PII: schema.PIIMask},
			"creditedToUser.email":      {PII: schema.PIIDrop},
		},
	}
	dir := b.TempDir()
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		n := New(schema.New("ashby"), "1700000000.1", dir)
		n.HashKey = []byte("benchmark key")
		if err := n.Normalize(h, bytes.NewReader(input)); err != nil {
			b.Fatal(err)
		}
		if _, err := n.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(items*b.N)/b.Elapsed().Seconds(), "items/s")
}

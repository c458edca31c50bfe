package schema

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestNormalizeIdentifier(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		// camelCase, PascalCase and acronyms
		{"userId", "user_id"},
		{"HTTPCode", "http_code"},
		{"isArchived", "is_archived"},
		{"emailAddresses", "email_addresses"},
		{"CamelCase", "camel_case"},
		{"BANANA", "banana"},
		{"BANaNA", "ba_na_na"},
		{"123BaNaNa", "_123_ba_na_na"},
		{"ID2Name", "id2_name"},
		{"utf8Encoding", "utf8_encoding"},
		{"getHTTPResponseCode", "get_http_response_code"},
		{"ABc", "a_bc"},
		{"already_snake", "already_snake"},
		{"A", "a"},

		// spaces, punctuation and dlt's translations
		{"event value", "event_value"},
		{" Small Love Potion ", "small_love_potion"},
		{"event-.!:*<>value", "event_x_value"},
		{"e-mail", "e_mail"},
		{"+1", "x1"},
		{"-1", "_1"},
		{"@type", "atype"},
		{"a|b", "alb"},
		{"price ($)", "price_"},
		{"1event_n'", "_1event_n_"},

		// underscores
		{"_id", "_id"},
		{"__typename", "_typename"},
		{"a__b", "a_b"},
		{"Small__Love__Potion", "small_love_potion"},
		{"BANANA_", "banana_"},
		{"BANANA____", "banana_"},
		{"a_B", "a_b"},
		{"!!!", "_"},

		// leading digits
		{"1", "_1"},
		{"2fa", "_2fa"},
		{"a1", "a1"},

		// empty
		{"", "_empty"},
		{"   ", "_empty"},
		{"\t\n", "_empty"},

		// system prefix
		{"_rl_id", "__rl_id"},
		{"_RL_ID", "__rl_id"},
		{"__rl_id", "__rl_id"},
		{"_rl", "_rl"},
		{"rl_id", "rl_id"},

		// letters outside ASCII are lowercased and kept
		{"Größe", "größe"},
		{"ÄrgerAmt", "ärger_amt"},
		{"名前", "名前"},
		{"名前ID", "名前id"},
		{"naïve", "naïve"},
		{"cafe\u0301", "cafe\u0301"},
		{"ΣΊΣΥΦΟΣ", "σίσυφοσ"},
		{"٣x", "_٣x"},
		{"a\u200db", "a_b"},
		{"\xff", "_"},
		{"ϒϒA", "ϒϒa"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := NormalizeIdentifier(tt.in)
			if got != tt.want {
				t.Errorf("NormalizeIdentifier(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := NormalizeIdentifier(got); again != got {
				t.Errorf("NormalizeIdentifier(%q) = %q, not idempotent", got, again)
			}
		})
	}
}

func TestNormalizeIdentifier_noAllocWhenNormal(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		_ = NormalizeIdentifier("email_addresses")
	})
	if allocs != 0 {
		t.Errorf("allocations for a normal name = %v, want 0", allocs)
	}
}

func FuzzNormalizeIdentifier(f *testing.F) {
	for _, s := range []string{
		"userId", "HTTPCode", "_rl_id", "", " a b ", "123", "Größe", "名前ID",
		"ϒϒA", "a__b", "\xff\xfe", "ǅungla", "İstanbul", "K",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := NormalizeIdentifier(in)
		if again := NormalizeIdentifier(got); again != got {
			t.Fatalf("NormalizeIdentifier(%q) = %q, then %q: not idempotent", in, got, again)
		}
		if err := checkIdentifier(got); err != "" {
			t.Fatalf("NormalizeIdentifier(%q) = %q: %s", in, got, err)
		}
	})
}

// checkIdentifier returns what is wrong with id as an identifier, or "".
func checkIdentifier(id string) string {
	switch {
	case id == "":
		return "empty"
	case !utf8.ValidString(id):
		return "invalid UTF-8"
	case strings.HasPrefix(id, SystemPrefix):
		return "starts with the system prefix"
	}
	first, _ := utf8.DecodeRuneInString(id)
	if unicode.IsDigit(first) {
		return "starts with a digit"
	}
	if strings.Contains(strings.TrimPrefix(id, "__rl_"), "__") {
		return "contains __"
	}
	for _, r := range id {
		if !isIdentRune(r) {
			return "contains " + string(r)
		}
		if isUpper(r) {
			return "contains upper-case " + string(r)
		}
	}
	return ""
}

func TestShortenIdentifier(t *testing.T) {
	long := "candidate_interview_feedback_summary"
	tests := []struct {
		name  string
		in    string
		limit int
		want  string
	}{
		{"NoLimit", long, 0, long},
		{"Fits", long, len(long), long},
		{"Cut", long, 24, "candidate_int_317e0eab64"},
		{"NoDoubleUnderscore", "nested__another_rather_long_field_name", 24, "nested__anoth_d9926cf776"},
		{"UnderscoreAtCut", "abcdefghijkl_mnopqrstuvwxyz", 24, "abcdefghijkl_d8652a2aea"},
		{"BelowMinimum", long, 4, "candi_317e0eab64"},
		{"MultiByte", "größe_größe_größe_größe_größe", 20, "größe_g_9cabf67aad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ShortenIdentifier(tt.in, tt.limit)
			if got != tt.want {
				t.Errorf("ShortenIdentifier(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
			}
			if limit := max(tt.limit, MinIdentifierLength); tt.limit > 0 && len(got) > limit {
				t.Errorf("ShortenIdentifier(%q, %d) has %d bytes", tt.in, tt.limit, len(got))
			}
			if !utf8.ValidString(got) {
				t.Errorf("ShortenIdentifier(%q, %d) = %q is not valid UTF-8", tt.in, tt.limit, got)
			}
			if strings.Contains(got, "___") {
				t.Errorf("ShortenIdentifier(%q, %d) = %q has a run of underscores", tt.in, tt.limit, got)
			}
		})
	}
	// Names that share their beginning stay apart.
	a := ShortenIdentifier(long+"_a", 24)
	b := ShortenIdentifier(long+"_b", 24)
	if a == b {
		t.Errorf("two names shortened alike: %q", a)
	}
}

package rest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestLinkErrorsHideQuery checks that the errors of a link paginator do
// not quote the query of the next link, where APIs often repeat the API
// key of the request.
func TestLinkErrorsHideQuery(t *testing.T) {
	const key = "secret-key-5f1d0c"
	tests := []struct {
		name string
		body string
		want string
	}{
		{"repeated link", `{"next":"/v1/things?api_key=` + key + `&page=1"}`, "was returned before"},
		{"invalid link", `{"next":"http://[::1%zz]/x?api_key=` + key + `"}`, "invalid next page URL"},
		{"link in an object", `{"next":{"href":"/v1/things?api_key=` + key + `"}}`, "object or a list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pg, err := newPager(&Paginator{Type: PaginatorJSONLink})
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse("https://api.example.test/v1/things?api_key=" + key + "&page=1")
			req := &pageRequest{url: u, query: u.Query()}
			resp := &Response{Header: http.Header{}, Body: []byte(tc.body)}
			var last error
			for range 2 {
				if _, last = pg.next(resp, 1, req); last != nil {
					break
				}
			}
			if last == nil || !strings.Contains(last.Error(), tc.want) {
				t.Fatalf("error %v, want one that contains %q", last, tc.want)
			}
			if strings.Contains(last.Error(), key) {
				t.Errorf("error %q shows the API key", last)
			}
		})
	}
}

func TestHideQueryValues(t *testing.T) {
	u, _ := url.Parse("https://user:pw@api.example.test/v1/x?b=2&api_key=k1&b=3#top")
	if got, want := hideQueryValues(u), "https://api.example.test/v1/x?api_key=…&b=…"; got != want {
		t.Errorf("hideQueryValues = %q, want %q", got, want)
	}
}

// TestLinkToCurrentPage checks that a next link back to the page just
// read, with or without a fragment, stops the chain with an error instead
// of reading that page again.
func TestLinkToCurrentPage(t *testing.T) {
	for _, link := range []string{
		"https://api.example.test/v1/things?page=1&filter=x",
		"/v1/things?filter=x&page=1#top",
		"#",
	} {
		t.Run(link, func(t *testing.T) {
			pg, err := newPager(&Paginator{Type: PaginatorHeaderLink})
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse("https://api.example.test/v1/things")
			req := &pageRequest{url: u, query: url.Values{"filter": {"x"}, "page": {"1"}}}
			resp := &Response{Header: http.Header{"Link": {"<" + link + `>; rel="next"`}}}
			more, err := pg.next(resp, 1, req)
			if more {
				t.Errorf("next followed the link to the current page")
			}
			if err == nil || !strings.Contains(err.Error(), "was returned before") {
				t.Errorf("error %v, want the repeated page named", err)
			}
		})
	}
}

package rest

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestAuthTypes(t *testing.T) {
	vals := map[string]string{"tok": "s3cr3t-token", "key": "s3cr3t-key", "user": "alice", "pw": "s3cr3t-pw"}
	tests := []struct {
		name  string
		auth  Auth
		check func(r recorded) string
	}{
		{"bearer", Auth{Type: AuthBearer, Token: Value{Secret: "tok"}}, func(r recorded) string {
			return r.Header.Get("Authorization") + "|want Bearer s3cr3t-token"
		}},
		{"api key header", Auth{Type: AuthAPIKey, Name: "X-Api-Key", APIKey: Value{Secret: "key"}}, func(r recorded) string {
			return r.Header.Get("X-Api-Key") + "|want s3cr3t-key"
		}},
		{"api key default header", Auth{Type: AuthAPIKey, APIKey: Value{Secret: "key"}}, func(r recorded) string {
			return r.Header.Get("Authorization") + "|want s3cr3t-key"
		}},
		{"api key query", Auth{Type: AuthAPIKey, Name: "appid", APIKey: Value{Secret: "key"}, Location: "query"}, func(r recorded) string {
			return strings.Join(r.Query["appid"], ",") + "|want s3cr3t-key"
		}},
		{"basic", Auth{Type: AuthHTTPBasic, Username: Value{Secret: "user"}, Password: Value{Secret: "pw"}}, func(r recorded) string {
			return r.Header.Get("Authorization") + "|want Basic " + base64.StdEncoding.EncodeToString([]byte("alice:s3cr3t-pw"))
		}},
		{"basic literal user without password", Auth{Type: AuthHTTPBasic, Username: Value{Literal: "bob"}}, func(r recorded) string {
			return r.Header.Get("Authorization") + "|want Basic " + base64.StdEncoding.EncodeToString([]byte("bob:"))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, `[{"id":1}]`) })
			auth := tc.auth
			src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL, Auth: &auth},
				Resources: one("things", Endpoint{Paginator: &Paginator{Type: PaginatorSinglePage}})}, Options{Secrets: secrets(vals)})
			if _, _, err := extract(t, src, "things", ""); err != nil {
				t.Fatal(err)
			}
			got, want, _ := strings.Cut(tc.check(srv.recorded()[0]), "|want ")
			if got != want {
				t.Errorf("sent %q, want %q", got, want)
			}
		})
	}
}

func TestAPIKeyInQueryIsRedacted(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 404, `{"error":"no such thing","echo":"`+r.URL.Query().Get("appid")+`"}`)
	})
	src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL,
		Auth: &Auth{Type: AuthAPIKey, Name: "appid", APIKey: Value{Secret: "key"}, Location: "query"}},
		Resources: one("things", Endpoint{Params: map[string]string{"q": "x"}})}, Options{Secrets: secrets(map[string]string{"key": "topsecretvalue"})})
	_, _, err := extract(t, src, "things", "")
	var re *ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v, want a ResponseError", err)
	}
	if strings.Contains(err.Error(), "topsecretvalue") {
		t.Errorf("error shows the key: %v", err)
	}
	for _, want := range []string{"appid=***", "q=x", "HTTP 404", "no such thing", "/things"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestMissingSecret(t *testing.T) {
	cfg := &Config{Client: ClientConfig{BaseURL: "http://127.0.0.1:1", Auth: &Auth{Type: AuthBearer, Token: Value{Secret: "gh_token"}}},
		Resources: one("things", Endpoint{})}
	_, err := New(cfg, Options{Secrets: EnvSecrets("github")})
	if err == nil || !strings.Contains(err.Error(), "SOURCES__GITHUB__GH_TOKEN") || !strings.Contains(err.Error(), "client.auth") {
		t.Fatalf("error %v, want the key and the environment variable named", err)
	}
	t.Setenv("SOURCES__GH_TOKEN", "v")
	if _, err := New(cfg, Options{Secrets: EnvSecrets("github")}); err != nil {
		t.Errorf("secret from SOURCES__GH_TOKEN: %v", err)
	}
}

// tokenServer is an OAuth2 token endpoint that issues numbered tokens
// valid for lifetime seconds.
func tokenServer(t *testing.T, lifetime int, issued *atomic.Int32) *server {
	return newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		r.ParseForm()
		if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("client_id") != "app" ||
			r.PostForm.Get("client_secret") != "s3cr3t-client" || r.PostForm.Get("audience") != "api" || r.PostForm.Get("scope") != "read write" {
			writeJSON(w, 401, `{"error":"invalid_client"}`)
			return
		}
		i := issued.Add(1)
		writeJSON(w, 200, fmt.Sprintf(`{"access_token":"token-%d","expires_in":%d,"token_type":"bearer"}`, i, lifetime))
	})
}

func TestOAuth2ClientCredentials(t *testing.T) {
	var issued atomic.Int32
	tokens := tokenServer(t, 3600, &issued)
	api := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, `[{"id":1}]`) })
	cfg := &Config{Client: ClientConfig{BaseURL: api.URL, Auth: &Auth{Type: AuthOAuth2ClientCredentials,
		AccessTokenURL: tokens.URL + "/oauth/token", ClientID: Value{Literal: "app"}, ClientSecret: Value{Secret: "cs"},
		Scopes: []string{"read", "write"}, AccessTokenRequestData: map[string]string{"audience": "api"}}},
		Resources: one("things", Endpoint{Paginator: &Paginator{Type: PaginatorSinglePage}})}
	src, _ := newTestSource(t, cfg, Options{Secrets: secrets(map[string]string{"cs": "s3cr3t-client"})})
	oa := src.all[0].auth.(*oauth2Auth)
	now := time.Now()
	oa.now = func() time.Time { return now }

	for range 3 {
		if _, _, err := extract(t, src, "things", ""); err != nil {
			t.Fatal(err)
		}
	}
	if issued.Load() != 1 {
		t.Errorf("%d tokens fetched for 3 runs, want 1 cached token", issued.Load())
	}
	// 3600 s tokens are renewed a minute before they expire.
	now = now.Add(3600*time.Second - 59*time.Second)
	if _, _, err := extract(t, src, "things", ""); err != nil {
		t.Fatal(err)
	}
	if issued.Load() != 2 {
		t.Errorf("%d tokens fetched, want a new one shortly before expiry", issued.Load())
	}
	reqs := api.recorded()
	if got := reqs[len(reqs)-1].Header.Get("Authorization"); got != "Bearer token-2" {
		t.Errorf("authorization %q, want the renewed token", got)
	}
}

func TestOAuth2RefetchesAfter401(t *testing.T) {
	var issued atomic.Int32
	tokens := tokenServer(t, 3600, &issued)
	api := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Header.Get("Authorization") == "Bearer token-1" {
			writeJSON(w, 401, `{"error":"token revoked"}`)
			return
		}
		writeJSON(w, 200, `[{"id":1}]`)
	})
	cfg := &Config{Client: ClientConfig{BaseURL: api.URL, Auth: &Auth{Type: AuthOAuth2ClientCredentials,
		AccessTokenURL: tokens.URL, ClientID: Value{Literal: "app"}, ClientSecret: Value{Secret: "cs"},
		Scopes: []string{"read", "write"}, AccessTokenRequestData: map[string]string{"audience": "api"}}},
		Resources: one("things", Endpoint{Paginator: &Paginator{Type: PaginatorSinglePage}})}
	src, _ := newTestSource(t, cfg, Options{Secrets: secrets(map[string]string{"cs": "s3cr3t-client"})})
	if _, _, err := extract(t, src, "things", ""); err != nil {
		t.Fatal(err)
	}
	if issued.Load() != 2 {
		t.Errorf("%d tokens fetched, want a second one after the 401", issued.Load())
	}
}

func TestOAuth2TokenErrorIsRedacted(t *testing.T) {
	tokens := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		r.ParseForm()
		writeJSON(w, 400, `{"error":"invalid_client","sent":"`+r.PostForm.Get("client_secret")+`"}`)
	})
	cfg := &Config{Client: ClientConfig{BaseURL: "http://127.0.0.1:1", Auth: &Auth{Type: AuthOAuth2ClientCredentials,
		AccessTokenURL: tokens.URL, ClientID: Value{Literal: "app"}, ClientSecret: Value{Secret: "cs"}}},
		Resources: one("things", Endpoint{})}
	src, _ := newTestSource(t, cfg, Options{Secrets: secrets(map[string]string{"cs": "s3cr3t-client"})})
	_, _, err := extract(t, src, "things", "")
	if err == nil || !strings.Contains(err.Error(), "fetch OAuth2 token") || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("error %v, want the token request named", err)
	}
	if strings.Contains(err.Error(), "s3cr3t-client") {
		t.Errorf("error shows the client secret: %v", err)
	}
}

func TestRedactorURL(t *testing.T) {
	r := newRedactor()
	r.add("hunter22")
	r.addParam("AppID")
	u, _ := url.Parse("https://user:pw@api.example.com/x/hunter22?appid=1&token=abc&q=hunter22&page=2")
	got := r.url(u)
	for _, bad := range []string{"hunter22", "pw@", "abc", "appid=1"} {
		if strings.Contains(got, bad) {
			t.Errorf("redacted URL %s contains %q", got, bad)
		}
	}
	if !strings.Contains(got, "page=2") || !strings.Contains(got, "token=***") {
		t.Errorf("redacted URL %s lost the harmless parts", got)
	}
}

package openapi

import (
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/restload/restload/source/rest"
)

// authResult is the client auth taken from the security schemes.
type authResult struct {
	auth *rest.Auth
	// note explains the choice, as a comment on the auth key.
	note    string
	secrets []string
}

// detectAuth chooses the security scheme that the document requires
// globally, else the one most operations require, and turns it into
// client auth.
func detectAuth(api *openapi3.T) authResult {
	name := requiredScheme(api)
	if name == "" {
		return authResult{note: "the document requires no security scheme"}
	}
	var scheme *openapi3.SecurityScheme
	if api.Components != nil {
		if ref := api.Components.SecuritySchemes[name]; ref != nil {
			scheme = ref.Value
		}
	}
	if scheme == nil {
		return authResult{note: fmt.Sprintf("security scheme %s is not defined: set auth by hand", name)}
	}
	from := fmt.Sprintf("from security scheme %s", name)
	switch strings.ToLower(scheme.Type) {
	case "http":
		switch strings.ToLower(scheme.Scheme) {
		case "basic":
			return authResult{
				auth:    &rest.Auth{Type: rest.AuthHTTPBasic, Username: rest.Value{Secret: "api_key"}},
				note:    from + "; guessed: the API key is the user name and the password is empty",
				secrets: []string{"api_key"},
			}
		case "bearer":
			return authResult{auth: &rest.Auth{Type: rest.AuthBearer, Token: rest.Value{Secret: "token"}},
				note: from, secrets: []string{"token"}}
		}
		return authResult{note: fmt.Sprintf("%s: HTTP scheme %q is not supported: set auth by hand", from, scheme.Scheme)}
	case "apikey":
		if scheme.In == "cookie" {
			return authResult{note: from + ": an API key in a cookie is not supported: set auth by hand"}
		}
		a := &rest.Auth{Type: rest.AuthAPIKey, Name: scheme.Name, APIKey: rest.Value{Secret: "api_key"}, Location: scheme.In}
		return authResult{auth: a, note: from, secrets: []string{"api_key"}}
	case "oauth2":
		if f := scheme.Flows; f != nil && f.ClientCredentials != nil {
			a := &rest.Auth{Type: rest.AuthOAuth2ClientCredentials, AccessTokenURL: f.ClientCredentials.TokenURL,
				ClientID: rest.Value{Secret: "client_id"}, ClientSecret: rest.Value{Secret: "client_secret"}}
			for _, s := range sortedKeys(f.ClientCredentials.Scopes) {
				a.Scopes = append(a.Scopes, s)
			}
			return authResult{auth: a, note: from + "; guessed: all scopes of the flow are requested",
				secrets: []string{"client_id", "client_secret"}}
		}
		return authResult{auth: &rest.Auth{Type: rest.AuthBearer, Token: rest.Value{Secret: "token"}},
			note:    from + "; guessed: its OAuth2 flow needs a user, so the token is one obtained beforehand",
			secrets: []string{"token"}}
	case "openidconnect":
		return authResult{auth: &rest.Auth{Type: rest.AuthBearer, Token: rest.Value{Secret: "token"}},
			note: from + "; guessed: an OpenID Connect token obtained beforehand", secrets: []string{"token"}}
	}
	return authResult{note: fmt.Sprintf("%s: type %q is not supported: set auth by hand", from, scheme.Type)}
}

// requiredScheme returns the first scheme of the global security
// requirement, else the scheme that the most operations require (the
// first by name on a tie).
func requiredScheme(api *openapi3.T) string {
	for _, req := range api.Security {
		if keys := sortedKeys(req); len(keys) > 0 {
			return keys[0]
		}
	}
	count := map[string]int{}
	for _, op := range allOperations(api) {
		if op.Security == nil {
			continue
		}
		for _, req := range *op.Security {
			for name := range req {
				count[name]++
			}
		}
	}
	best := ""
	for _, name := range sortedKeys(count) {
		if best == "" || count[name] > count[best] {
			best = name
		}
	}
	return best
}

func allOperations(api *openapi3.T) []*openapi3.Operation {
	var out []*openapi3.Operation
	if api.Paths == nil {
		return nil
	}
	for _, path := range api.Paths.Keys() {
		item := api.Paths.Value(path)
		for _, m := range sortedKeys(item.Operations()) {
			out = append(out, item.Operations()[m])
		}
	}
	return out
}

// baseURL returns the first server's URL with its variables at their
// defaults, or override when set.
func baseURL(api *openapi3.T, override string) (string, string) {
	if override != "" {
		return override, ""
	}
	if len(api.Servers) == 0 || api.Servers[0] == nil || api.Servers[0].URL == "" {
		return "https://api.example.com", "guessed: the document names no server: set the API's URL"
	}
	s := api.Servers[0]
	u := s.URL
	for _, name := range sortedKeys(s.Variables) {
		if v := s.Variables[name]; v != nil {
			u = strings.ReplaceAll(u, "{"+name+"}", v.Default)
		}
	}
	note := ""
	if len(api.Servers) > 1 {
		note = fmt.Sprintf("the first of %d servers", len(api.Servers))
	}
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		note = "guessed: the server URL " + u + " is relative: set the API's full URL"
	}
	return u, note
}

package gocode_test

import (
	"time"

	"github.com/restload/restload/schema"
	"github.com/restload/restload/source/rest"
)

// testCase is a definition that Format must print as a literal equal to
// it. printed_test.go holds the literals, generated from these cases.
type testCase struct {
	name string
	cfg  *rest.Config
}

// cases covers every kind of field a definition has: strings, numbers,
// booleans, named string types, pointers to scalars and structs, slices,
// maps, nested structs, rest.Value secrets, durations, and JSON bodies
// whose any-typed values need their exact type.
func cases() []testCase {
	return []testCase{
		{name: "empty", cfg: &rest.Config{}},
		{name: "client", cfg: &rest.Config{
			Name: "tracker",
			Client: rest.ClientConfig{
				BaseURL: "https://api.example.com/v2",
				// Keys out of order, to pin the sorted output.
				Headers: map[string]string{"X-Trace": "on", "Accept": "application/json", "B": ""},
				Auth:    &rest.Auth{Type: rest.AuthBearer, Token: rest.Value{Secret: "tracker_token"}},
				Paginator: &rest.Paginator{Type: rest.PaginatorJSONLink, NextURLPath: "links.next",
					MaxPages: 3},
				Timeout:           rest.Duration(90 * time.Second),
				RequestsPerSecond: 2.5,
				Retry: rest.Retry{
					MaxAttempts:  7,
					Backoff:      rest.Duration(1500 * time.Millisecond),
					MaxDelay:     rest.Duration(5 * time.Minute),
					MaxTotalWait: rest.Duration(time.Hour),
				},
				Concurrency: 2,
			},
		}},
		{name: "auth", cfg: &rest.Config{
			Client: rest.ClientConfig{Auth: &rest.Auth{
				Type:                   rest.AuthOAuth2ClientCredentials,
				AccessTokenURL:         "https://auth.example.com/token",
				ClientID:               rest.Value{Literal: "client-1"},
				ClientSecret:           rest.Value{Secret: "client_secret"},
				Scopes:                 []string{"read", "admin:read"},
				AccessTokenRequestData: map[string]string{"audience": "api", "region": "eu"},
				DefaultTokenExpiration: rest.Duration(30*time.Minute + 250*time.Microsecond),
			}},
			Resources: []rest.Resource{
				{Name: "basic", Endpoint: rest.Endpoint{Auth: &rest.Auth{Type: rest.AuthHTTPBasic,
					Username: rest.Value{Literal: "svc"}, Password: rest.Value{Secret: "svc_password"}}}},
				{Name: "key", Endpoint: rest.Endpoint{Auth: &rest.Auth{Type: rest.AuthAPIKey,
					Name: "X-Api-Key", APIKey: rest.Value{Secret: "api_key"}, Location: "query"}}},
			},
		}},
		{name: "resources", cfg: &rest.Config{
			Name: "shop",
			ResourceDefaults: rest.Resource{
				PrimaryKey:       []string{"id"},
				WriteDisposition: schema.Merge,
				Endpoint: rest.Endpoint{
					Method:          "POST",
					ResponseActions: []rest.ResponseAction{{Hook: "check_envelope"}},
				},
			},
			Resources: []rest.Resource{
				{
					Name:             "orders",
					TableName:        "shop_orders",
					MergeKey:         []string{"day"},
					WriteDisposition: schema.Merge,
					MergeStrategy:    schema.Upsert,
					SoftDelete:       new(true),
					RetireAbsent:     new(false),
					Columns: map[string]schema.ColumnHint{
						"total":          {DataType: schema.Decimal, Nullable: new(false)},
						"customer.email": {PII: schema.PIIHash},
						"updatedAt":      {DedupSort: schema.Desc, MergeKey: true},
						"deleted":        {HardDelete: true, PrimaryKey: false},
					},
					SchemaContract:    schema.Contract{Tables: schema.Freeze, DataType: schema.DiscardValue},
					Detections:        []schema.Detection{schema.DetectISODate},
					MaxTableNesting:   2,
					Selected:          new(false),
					IncludeFromParent: []string{"name"},
					ProcessingSteps:   []rest.Step{{Filter: "paid_only"}, {Map: "rename"}, {YieldMap: "split_lines"}},
					ExtractHook:       "orders_sync",
					Endpoint: rest.Endpoint{
						Path:         "stores/{resources.stores.id}/orders",
						Params:       map[string]string{"status": "all", "per_page": "100"},
						Headers:      map[string]string{"Accept": "text/csv"},
						DataSelector: "$.data[*]",
						Paginator: &rest.Paginator{Type: rest.PaginatorPageNumber, BasePage: new(0),
							PageParam: "p", TotalPath: "meta.pages", StopAfterEmptyPage: new(false)},
						ResponseActions: []rest.ResponseAction{
							{StatusCode: 404, Action: rest.ActionIgnore},
							{Content: "rate limited", Action: rest.ActionRetry},
							{StatusCode: 403, Action: rest.ActionFail, Message: "token lacks orders:read"},
						},
						Incremental: &rest.Incremental{
							CursorPath:           "updated_at",
							InitialValue:         `"2024-01-01T00:00:00Z"`,
							EndValue:             `"2025-01-01T00:00:00Z"`,
							StartParam:           "since",
							Lag:                  "1h",
							PrimaryKey:           []string{},
							OnCursorValueMissing: "include",
						},
					},
				},
				{Name: "stores", Endpoint: rest.Endpoint{Paginator: &rest.Paginator{Type: rest.PaginatorOffset,
					Limit: 50, OffsetBodyPath: "page.offset", LimitBodyPath: "page.limit", MaximumOffset: 1000,
					StopAfterShortPage: true}}},
				{Name: "events", Endpoint: rest.Endpoint{Paginator: &rest.Paginator{Type: rest.PaginatorCursor,
					CursorPath: "next", CursorParam: "after", HasMorePath: "has_more"}}},
			},
		}},
		{name: "json_body", cfg: &rest.Config{Resources: []rest.Resource{{
			Name: "search",
			Endpoint: rest.Endpoint{JSON: map[string]any{
				"int":       100,
				"negative":  -3,
				"float":     2.5,
				"whole":     3.0,
				"large":     1e21,
				"int64":     int64(1) << 40,
				"uint8":     uint8(7),
				"float32":   float32(0.25),
				"bool":      true,
				"null":      nil,
				"text":      "with \"quotes\"",
				"strings":   []string{"Draft", "Open"},
				"nil_list":  []string(nil),
				"mixed":     []any{1, "two", 3.5, false, nil, map[string]any{"deep": []any{}}},
				"empty":     map[string]any{},
				"nested":    map[string]any{"a": map[string]any{"b": map[string]any{"c": "d"}}},
				"counts":    map[string]int{"b": 2, "a": 1},
				"by_number": map[int]string{10: "ten", 2: "two", -1: "minus one"},
				"named":     schema.DataType("text"),
				"hint":      schema.ColumnHint{PII: schema.PIIMask},
				"hint_ptr":  &schema.ColumnHint{Nullable: new(true)},
				"ptr":       new(int64(9)),
				"nil_ptr":   (*rest.Auth)(nil),
				"wait":      90 * time.Second,
				"timeout":   rest.Duration(0),
				"array":     [2]int{4, 5},
				"placehold": "{resources.stores.id}",
			}},
		}}}},
		{name: "strings", cfg: &rest.Config{
			Name: "tab\tand\nnewline",
			Client: rest.ClientConfig{Headers: map[string]string{
				"Quote":    `say "hi"`,
				"Backtick": "a `raw` b",
				"Unicode":  "Zoë – 東京",
				"Both":     "\"`",
				"Control":  "\x00\x7f",
			}},
		}},
		{name: "empty_collections", cfg: &rest.Config{
			Client:           rest.ClientConfig{Headers: map[string]string{}},
			ResourceDefaults: rest.Resource{PrimaryKey: []string{}, Columns: map[string]schema.ColumnHint{}},
			Resources:        []rest.Resource{},
		}},
	}
}

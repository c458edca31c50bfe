package rest

import (
	"time"

	"github.com/restload/restload/schema"
)

// Config is a source definition: how to reach an API and which resources
// to read from it. It is written in YAML (see Parse) or as a Go literal;
// the yaml tags give the YAML keys.
type Config struct {
	// Name names the source in the pipeline state; empty means "rest_api".
	Name string `yaml:"name"`
	// Client holds the settings every request shares.
	Client ClientConfig `yaml:"client"`
	// ResourceDefaults applies to every resource unless the resource sets
	// the same key. Endpoint params and json merge key by key, and column
	// hints field by field.
	ResourceDefaults Resource `yaml:"resource_defaults"`
	// Resources lists the resources to read. A parent comes before the
	// resources that depend on it, whatever the order here.
	Resources []Resource `yaml:"resources"`
}

// ClientConfig holds the HTTP settings that every request shares.
type ClientConfig struct {
	// BaseURL is prefixed to every endpoint path that is not a full URL.
	BaseURL string `yaml:"base_url"`
	// Headers are sent with every request; an endpoint's headers override
	// them by name.
	Headers map[string]string `yaml:"headers"`
	// Auth authenticates every request unless an endpoint sets its own.
	Auth *Auth `yaml:"auth"`
	// Paginator applies to endpoints that set none themselves.
	Paginator *Paginator `yaml:"paginator"`
	// Timeout bounds one request, reading its body included; zero means
	// 60 seconds.
	Timeout Duration `yaml:"timeout"`
	// RequestsPerSecond limits the request rate of the whole source,
	// retries and token requests included; zero means no limit.
	RequestsPerSecond float64 `yaml:"requests_per_second"`
	// Retry sets how failed requests are retried.
	Retry Retry `yaml:"retry"`
	// Concurrency is the number of independent resources the source
	// allows to be extracted at once; zero means 4.
	Concurrency int `yaml:"concurrency"`
}

// Retry sets how requests that fail with 429, a 5xx status or a
// connection error are retried.
type Retry struct {
	// MaxAttempts counts every attempt, the first included; zero means 5.
	MaxAttempts int `yaml:"max_attempts"`
	// Backoff is the wait before the first retry without Retry-After. It
	// doubles with each retry, and a random jitter of up to half of it is
	// taken off. Zero means one second.
	Backoff Duration `yaml:"backoff"`
	// MaxDelay caps one wait, Retry-After included; zero means 5 minutes.
	MaxDelay Duration `yaml:"max_delay"`
	// MaxTotalWait caps the sum of the waits for one request; a request
	// that would wait longer fails. Zero means 15 minutes.
	MaxTotalWait Duration `yaml:"max_total_wait"`
}

// Resource describes one resource: the endpoint it reads and the table its
// items fill. In Config.ResourceDefaults, Name must be empty.
type Resource struct {
	// Name names the resource; it is also the table name unless TableName
	// is set, and the endpoint path unless Endpoint.Path is set.
	Name string `yaml:"name"`
	// TableName names the root table; empty means Name.
	TableName string `yaml:"table_name"`
	// PrimaryKey lists the item fields that identify an item, as paths
	// like the keys of Columns. Merge needs a primary key or a merge key,
	// and history needs a primary key.
	PrimaryKey []string `yaml:"primary_key"`
	// MergeKey lists item fields, as paths like the keys of Columns, whose
	// values select the stored rows that a merge replaces, such as all
	// rows of one day. Each one becomes a column hint with MergeKey set.
	MergeKey []string `yaml:"merge_key"`
	// WriteDisposition is append (the default), replace, merge or
	// history. In YAML it may also be written as a mapping,
	// {disposition: merge, strategy: upsert}, whose strategy sets
	// MergeStrategy.
	WriteDisposition schema.WriteDisposition `yaml:"write_disposition"`
	// MergeStrategy is delete-insert (the default) or upsert and applies
	// only to write disposition merge. YAML has no key of its own for it:
	// it is the strategy of the write_disposition mapping.
	MergeStrategy schema.MergeStrategy `yaml:"-"`
	// RetireAbsent applies to write disposition history: each load closes
	// the current rows of objects that the run did not return. Set it
	// only for endpoints that list every object on every run.
	RetireAbsent *bool `yaml:"retire_absent"`
	// SoftDelete applies to write disposition merge: the table gets the
	// column _rl_deleted_at, and a run that lists every object (no
	// parent, no incremental filter, no processing steps, no ignored
	// response, not cut by max_pages) sets it on the stored rows the run
	// did not return. A row that comes back is live again.
	SoftDelete *bool `yaml:"soft_delete"`
	// Columns holds hints for single fields, keyed by the field's path in
	// an item: member names separated by "." (or "__"), each compared
	// after normalization, so "emailAddress" and "email_address" are the
	// same field. See schema.Hints.Columns for lists and PII below a
	// path. With ResourceDefaults, a field hinted in both merges setting
	// by setting and the resource's settings win.
	Columns map[string]schema.ColumnHint `yaml:"columns"`
	// SchemaContract limits how the schema of the resource's tables may
	// change. In YAML it is a mapping with the keys tables, columns and
	// data_type, or a single mode that sets all three. The zero value
	// lets the schema evolve.
	SchemaContract schema.Contract `yaml:"schema_contract"`
	// Detections lists the opt-in type detections to run on string
	// values, such as iso_date.
	Detections []schema.Detection `yaml:"detections"`
	// MaxTableNesting limits how many levels of nested objects and lists
	// become columns and child tables; zero means no limit.
	MaxTableNesting int `yaml:"max_table_nesting"`
	// Selected set to false keeps the resource out of the load; it still
	// feeds the resources that depend on it.
	Selected *bool `yaml:"selected"`
	// IncludeFromParent copies these fields of the parent item into each
	// item of a dependent resource, as "_<parent>_<field>".
	IncludeFromParent []string `yaml:"include_from_parent"`
	// ProcessingSteps run on every item, in order, before the incremental
	// filter.
	ProcessingSteps []Step `yaml:"processing_steps"`
	// ExtractHook names a registered Hooks.Extract function that wraps the
	// resource's listing, for state such as sync tokens.
	ExtractHook string `yaml:"extract_hook"`
	// Endpoint describes the requests.
	Endpoint Endpoint `yaml:"endpoint"`
}

// Endpoint describes the requests of one resource.
type Endpoint struct {
	// Path is appended to the client's base URL, or used as is when it is
	// a full http(s) URL. It may hold placeholders such as
	// {resources.jobs.id}.
	Path string `yaml:"path"`
	// Method is GET (the default) or POST.
	Method string `yaml:"method"`
	// Params are the query parameters; values may hold placeholders.
	Params map[string]string `yaml:"params"`
	// JSON is the request body. A string value that is exactly one
	// placeholder takes the JSON value it refers to, number or object
	// included.
	JSON map[string]any `yaml:"json"`
	// Headers override the client's headers by name.
	Headers map[string]string `yaml:"headers"`
	// Auth overrides the client's auth.
	Auth *Auth `yaml:"auth"`
	// Paginator overrides the default and the client's paginator.
	Paginator *Paginator `yaml:"paginator"`
	// DataSelector is a JSONPath to the items in a response; empty means
	// detect it from the first response.
	DataSelector string `yaml:"data_selector"`
	// ResponseActions run in order on every response before its status is
	// checked.
	ResponseActions []ResponseAction `yaml:"response_actions"`
	// Incremental loads only items whose cursor field has moved on since
	// the last run.
	Incremental *Incremental `yaml:"incremental"`
}

// Auth types.
const (
	AuthBearer                  = "bearer"
	AuthAPIKey                  = "api_key"
	AuthHTTPBasic               = "http_basic"
	AuthOAuth2ClientCredentials = "oauth2_client_credentials"
)

// Auth describes how requests authenticate. Token, APIKey, Password and
// ClientSecret must name a secret; the other fields may be literal.
type Auth struct {
	// Type is bearer, api_key, http_basic or oauth2_client_credentials.
	Type string `yaml:"type"`
	// Token is the bearer token.
	Token Value `yaml:"token"`
	// Name is the header or query parameter of an api_key; empty means
	// the Authorization header.
	Name string `yaml:"name"`
	// APIKey is the key of api_key auth.
	APIKey Value `yaml:"api_key"`
	// Location is header (the default) or query.
	Location string `yaml:"location"`
	// Username and Password are the credentials of http_basic; an empty
	// password is sent as such.
	Username Value `yaml:"username"`
	Password Value `yaml:"password"`
	// AccessTokenURL is where oauth2_client_credentials posts for a token.
	AccessTokenURL string `yaml:"access_token_url"`
	ClientID       Value  `yaml:"client_id"`
	ClientSecret   Value  `yaml:"client_secret"`
	// Scopes are sent as the space-separated scope parameter when set.
	Scopes []string `yaml:"scopes"`
	// AccessTokenRequestData adds form fields to the token request.
	AccessTokenRequestData map[string]string `yaml:"access_token_request_data"`
	// DefaultTokenExpiration is the token lifetime when the token response
	// has no expires_in; zero means one hour.
	DefaultTokenExpiration Duration `yaml:"default_token_expiration"`
}

// Value is a configuration string given literally or as the name of a
// secret that Options.Secrets resolves. In YAML a literal is a plain
// scalar and a secret is written {secret: NAME}.
type Value struct {
	Literal string
	Secret  string
}

// IsZero reports whether neither a literal nor a secret is set.
func (v Value) IsZero() bool { return v.Literal == "" && v.Secret == "" }

// Paginator types.
const (
	PaginatorAuto       = "auto"
	PaginatorSinglePage = "single_page"
	PaginatorJSONLink   = "json_link"
	PaginatorHeaderLink = "header_link"
	PaginatorOffset     = "offset"
	PaginatorPageNumber = "page_number"
	PaginatorCursor     = "cursor"
)

// Paginator describes how an endpoint pages. Which fields apply depends on
// Type; the validator rejects fields of another type. In YAML a paginator
// without parameters may be written as its type name alone.
type Paginator struct {
	// Type is auto, single_page, json_link, header_link, offset,
	// page_number or cursor.
	Type string `yaml:"type"`
	// MaxPages stops any paginator after this many pages; zero means no
	// limit.
	MaxPages int `yaml:"max_pages"`

	// NextURLPath is the JSONPath of the next page's URL (json_link);
	// empty means "next".
	NextURLPath string `yaml:"next_url_path"`
	// LinksNextKey is the relation of the next page in the Link header
	// (header_link); empty means "next".
	LinksNextKey string `yaml:"links_next_key"`

	// Limit is the page size (offset, required).
	Limit int `yaml:"limit"`
	// Offset is the first offset (offset).
	Offset int `yaml:"offset"`
	// OffsetParam and LimitParam are the query parameters (offset); they
	// default to "offset" and "limit". OffsetBodyPath and LimitBodyPath
	// put them in the JSON body instead, at a dotted path.
	OffsetParam    string `yaml:"offset_param"`
	LimitParam     string `yaml:"limit_param"`
	OffsetBodyPath string `yaml:"offset_body_path"`
	LimitBodyPath  string `yaml:"limit_body_path"`
	// MaximumOffset stops an offset paginator once the offset reaches it.
	MaximumOffset int `yaml:"maximum_offset"`
	// StopAfterShortPage stops an offset paginator after a page with
	// fewer items than Limit. Off by default, because some APIs cap the
	// page size below the limit asked for.
	StopAfterShortPage bool `yaml:"stop_after_short_page"`

	// BasePage is the number of the first page (page_number); nil means 1.
	BasePage *int `yaml:"base_page"`
	// PageParam is the query parameter (page_number); empty means "page".
	// PageBodyPath puts the number in the JSON body instead.
	PageParam    string `yaml:"page_param"`
	PageBodyPath string `yaml:"page_body_path"`
	// MaximumPage stops a page_number paginator once the page number
	// reaches it.
	MaximumPage int `yaml:"maximum_page"`

	// TotalPath is the JSONPath of the total item count (offset) or page
	// count (page_number). A page without it keeps the last total seen;
	// no total at all leaves the other stop rules.
	TotalPath string `yaml:"total_path"`

	// CursorPath is the JSONPath of the next cursor (cursor); empty means
	// "cursors.next".
	CursorPath string `yaml:"cursor_path"`
	// CursorParam is the query parameter that carries the cursor; empty
	// means "cursor" unless CursorBodyPath puts it in the JSON body.
	CursorParam    string `yaml:"cursor_param"`
	CursorBodyPath string `yaml:"cursor_body_path"`

	// HasMorePath is the JSONPath of a boolean that is false on the last
	// page (offset, page_number, cursor).
	HasMorePath string `yaml:"has_more_path"`
	// StopAfterEmptyPage stops after a page without items. nil means true
	// for offset and page_number and false for cursor.
	StopAfterEmptyPage *bool `yaml:"stop_after_empty_page"`
}

// Step is one processing step. Exactly one field names a function
// registered in Hooks.
type Step struct {
	// Filter keeps the items for which the function returns true.
	Filter string `yaml:"filter"`
	// Map replaces each item with the function's result.
	Map string `yaml:"map"`
	// YieldMap replaces each item with zero or more items.
	YieldMap string `yaml:"yield_map"`
}

// Response actions.
const (
	ActionIgnore = "ignore"
	ActionRetry  = "retry"
	ActionFail   = "fail"
)

// ResponseAction matches responses by status code, body content or both,
// and ignores, retries or fails them, or passes them to a hook. An action
// without a condition matches every response.
type ResponseAction struct {
	// StatusCode matches the response status; zero matches any.
	StatusCode int `yaml:"status_code"`
	// Content matches a body that contains this text.
	Content string `yaml:"content"`
	// Action is ignore (treat the response as an empty last page), retry
	// (as for a 5xx status) or fail.
	Action string `yaml:"action"`
	// Message is the error message of fail.
	Message string `yaml:"message"`
	// Hook names a registered Hooks.Response function to run instead of
	// Action.
	Hook string `yaml:"hook"`
}

// Incremental loads only the items whose cursor field has moved past the
// value stored after the last run.
type Incremental struct {
	// CursorPath is the JSONPath of the cursor field in each item.
	CursorPath string `yaml:"cursor_path"`
	// InitialValue is the start value of a first run, as JSON text for a
	// Go literal ("42", `"2024-01-01T00:00:00Z"`); in YAML a plain scalar.
	InitialValue string `yaml:"initial_value"`
	// EndValue, when set, drops items at or past it and leaves the stored
	// state as it was, for backfills.
	EndValue string `yaml:"end_value"`
	// StartParam and EndParam are query parameters that receive the start
	// and end values. Placeholders such as {incremental.start_value} put
	// them anywhere else.
	StartParam string `yaml:"start_param"`
	EndParam   string `yaml:"end_param"`
	// Lag moves the start value back, for APIs whose cursor values settle
	// late: a duration such as "1h" for timestamps, a number for numeric
	// cursors. Items seen before in the lag window are skipped by key and
	// cursor value.
	Lag string `yaml:"lag"`
	// PrimaryKey identifies items at the boundary; nil means the
	// resource's primary key, and no key means the whole item.
	PrimaryKey []string `yaml:"primary_key"`
	// OnCursorValueMissing is raise (the default), include or exclude.
	OnCursorValueMissing string `yaml:"on_cursor_value_missing"`
}

// Duration is a time.Duration that YAML writes as "30s" or "1m30s", or as
// a number of seconds.
type Duration time.Duration

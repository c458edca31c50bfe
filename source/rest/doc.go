// Package rest loads any REST API from a declarative definition, in the
// manner of dlt's rest_api source. A definition (Config) has three parts.
// The client settings are the base URL, headers, auth, paginator,
// timeouts, rate limit and retries. The resource defaults apply to every
// resource. Each resource sets its endpoint path, method, query
// parameters, JSON body, data selector, paginator and auth, and the
// schema hints of its table (see below). A definition is written in YAML
// (see Parse, LoadFile and Lint) or as a Go literal; the yaml tags of the
// structs are the YAML keys. New turns a definition into a Source that
// the pipeline runs like any other.
//
// # Schema hints
//
// A resource names its table (table_name) and sets its primary_key,
// merge_key, write_disposition (append, replace, merge or history, and
// for merge a strategy: delete-insert or upsert), retire_absent for
// history, soft_delete for merge (rows that a full listing lacks get
// _rl_deleted_at), max_table_nesting, a schema_contract, opt-in detections and
// column hints. Column hints are keyed by the path of a field in the
// items, camelCase or not, with "." between nested members; each sets
// primary_key, merge_key, nullable, data_type, pii (hash, mask or drop),
// hard_delete or dedup_sort. The Hints method of each resource that
// Source.Resources returns gives them as schema.Hints, with the defaults
// merged in. New, Validate and Lint reject invalid values and combinations, such
// as merge without a key, naming the key to change and the values
// allowed.
//
// # Secrets
//
// A definition never contains a secret value. Auth fields that hold one
// (token, api_key, password, client_secret) must name a secret, written
// {secret: NAME} in YAML and Value{Secret: NAME} in Go, and
// Options.Secrets resolves the names at New. Secret values do not appear
// in errors, logs or the resource state: they are replaced by "***" in
// every URL and message the package produces, and so are the values of
// query parameters that usually hold credentials (api_key, token, ...).
//
// # Paginators
//
// single_page, json_link (next URL in the body), header_link (RFC 8288
// Link header), offset, page_number and cursor (read from the body, sent
// in the query or the JSON body, with an optional has-more flag). An
// endpoint without a paginator gets the one detected from its first
// response, which is logged with the definition that pins it. A next URL
// or cursor returned twice ends the resource with an error instead of
// looping, and max_pages caps any paginator.
//
// # Dependent resources
//
// A placeholder such as {resources.stores.id} in a path, query parameter,
// header or JSON body makes a resource depend on the resource "stores":
// its requests run once for each distinct stores item, with the values of
// that item, and include_from_parent copies parent fields into each row
// as "_stores_<field>". Resources returns parents before their
// dependents. The parent's Extract keeps the fields its dependents need
// in an unlinked temporary file, so memory stays bounded and the parent
// list is fetched once per run. A dependent records in its state the
// parent state its rows cover. When the parent's run in progress started
// from another state (the dependent failed in an earlier run, or is new),
// or the parent is not selected, the dependent lists the parent itself
// from the state it covered, emitting no parent rows: no parent item is
// missed and none is requested twice in one run.
//
// # Incremental loading
//
// endpoint.incremental names a cursor field in the items, an initial
// value and an optional end value. The start value goes out as a query
// parameter (start_param) or through {incremental.start_value} anywhere in
// the request. Items before the start value, or at or past the end value,
// are dropped; items at the boundary that an earlier run loaded, by
// primary key and cursor value, are skipped. A lag moves the start value
// back for APIs whose timestamps settle late, and items seen before
// inside the lag window are skipped the same way. A run with an end value
// is a backfill and leaves the state as it was.
//
// # State
//
// A resource's state is a JSON object stored by the pipeline with the rows
// it covers: "incremental" holds the cursor's last value and the boundary
// hashes, "parent" the parent state a dependent covered, and an extract
// hook adds its own members, such as Ashby's "sync_token".
//
// # Hooks
//
// Go functions registered in Options.Hooks are referred to by name:
// processing steps (filter, map, yield_map) that run on every item before
// the incremental filter; response hooks, listed in response_actions,
// that check every response; and extract hooks, which wrap a resource's
// listing for state the keys cannot express.
//
// # HTTP behaviour
//
// Requests that fail with 429, a 5xx status or a connection error are
// retried with exponential backoff and jitter, honouring Retry-After in
// seconds or as an HTTP date, up to a number of attempts and a total
// wait. Response actions ignore, retry or fail responses by status code
// or body content first. Each request has a timeout, and
// requests_per_second limits the rate of the whole source. Resources may
// be extracted concurrently, up to Source.Concurrency at once.
//
// # Differences from dlt
//
// The offset and page_number paginators read a total only when total_path
// is set, and a page without it keeps the last total seen instead of
// failing. page_number counts from 1 unless base_page says otherwise.
// Unknown keys, paginator keys of another type and literal secrets are
// errors with the line of the key. A next URL to another host is refused
// rather than sent the credentials. An OAuth2 token is fetched again after
// a 401. A dependent of an incremental parent catches up on the parent
// items of runs in which it failed. dlt's merge strategy scd2 is the
// write disposition history here, which retires objects missing from a
// run only when retire_absent is set. Column hints are keyed by field
// paths rather than column names; pii, retire_absent, soft_delete and
// per-resource detections have no dlt counterpart.
package rest

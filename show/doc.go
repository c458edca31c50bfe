// Package show serves a local web UI for browsing the data that
// pipelines loaded. Each pipeline has an overview, its tables with
// paging, sorting and filtering, the schema as a tree, the load history
// and a read-only SQL console with CSV download. Ashby datasets also get
// a hiring funnel.
//
// Pages are rendered on the server with html/template, which escapes
// every value, and styled by one embedded stylesheet; the UI runs no
// script. Charts are SVG drawn on the server. Every response carries a
// Content-Security-Policy that allows only the server's own origin, so
// the pages load nothing from the network.
//
// The UI never changes a destination. It reads through a handle that
// the caller opens read-only (DuckDB's READ_ONLY access mode, a
// PostgreSQL session whose transactions default to read-only), and the
// SQL console runs only a single query: DuckDB parses the text with
// json_serialize_sql, which serializes SELECT statements only, and
// PostgreSQL runs it inside a READ ONLY transaction that is rolled back.
package show

// Package normalize turns the JSON items of a load package into rows of
// root and child tables, written as JSONL files in the format that
// destination.Job describes, and grows a schema.Schema as it meets new
// fields. It reads items one line at a time and holds one item in memory.
//
// # Tables and rows
//
// Each item becomes one row of the root table named by schema.Hints.Table;
// an item that is not an object is read as {"value": item}. Member names
// become column names through schema.NormalizeIdentifier. A nested object
// flattens into columns named <field>__<member>. A list becomes rows of
// the child table <table>__<field>, one row per element: an object element
// gives its members, a scalar element gives a "value" column, and a list
// element gives a row whose own "list" member holds the inner list, as dlt
// does. An empty list gives no rows; an empty object gives no column.
//
// Root rows carry _rl_id, _rl_load_id and the ordering field _rl_seq,
// which grows in input order across all calls of one Normalizer. Child
// rows carry _rl_id, _rl_parent_id, _rl_root_id and _rl_list_idx. Row
// ids are deterministic, so normalizing a package again writes identical
// files. A root row's id is derived from the load id, table and _rl_seq,
// and a child row's id from its parent's id, its table and its index.
// Each id is an AES-128 encryption of those inputs under a key derived
// from the load id or table name, cut to 12 bytes and written as 16
// characters of base64url.
//
// schema.Hints.MaxNesting counts levels of objects and lists from the
// root row, whose members are at level 0; a nested object's members and a
// list's rows are one level deeper. An object or list at level MaxNesting
// or deeper is stored as one json value. A list's element and its row
// count as one level, so MaxNesting 1 gives child tables whose nested
// values are json, as dlt's max_table_nesting 1 does.
//
// # Types
//
// A column gets its type from the first non-null value it meets, unless
// a column hint sets one. A column that has only seen null does not
// exist yet. Values are typed as:
//
//   - bool: true and false;
//   - bigint: an integer literal that fits int64;
//   - double: a number whose float64 value, formatted in the shortest
//     form that parses back to it, has the same decimal value as the
//     literal (3.25, 0.1, 1e3);
//   - decimal: any other number that fits DECIMAL(38,9) exactly, with at
//     most 29 integer and 9 fraction digits;
//   - text: any other number, written as a string of its literal, and
//     strings that are not timestamps;
//   - timestamp: an ISO 8601 date-time with "Z" or an offset whose
//     fraction fits microseconds, written in UTC with the fraction as
//     sent ("2024-01-05T10:15:00.123+01:00" becomes
//     "2024-01-05T09:15:00.123Z");
//   - date: a valid YYYY-MM-DD string, only when schema.Hints.Detections
//     lists iso_date;
//   - json: an object or list below the nesting limit.
//
// Numbers never pass through float64 on their way out: every number is
// written with the literal the source sent.
//
// A value of another type than its column's is coerced only when that
// loses nothing. An integer goes into a double column when float64 holds
// it exactly, and an integer or double into a decimal column when
// DECIMAL(38,9) holds it. A timestamp string goes into a text column as
// sent, and a valid YYYY-MM-DD string into a date column. A column whose
// type a hint set also takes a string that holds a value of its type:
// "42" for bigint, "true" for bool, a date-time without a zone (read as
// UTC) for timestamp, standard base64 for binary. Such a text column
// takes any scalar as text, and such a json column any value. Any other
// value goes to the variant column <column>__v_<type>, marked Variant
// and created on first need. No value is dropped or cut unless a PII
// mode or a contract requires it.
//
// # Column hints
//
// schema.Hints.Columns names fields by their path in the item. A hint
// with a data type of json or text keeps an object or list whole instead
// of flattening it. Primary key, merge key, hard delete and dedup sort
// hints mark columns of the root table for the destination; a nullable
// false hint rejects an item whose row lacks the column.
//
// A PII mode applies to the field and to every value below it, in child
// tables too, and is applied before anything is written, so raw values
// never reach a file: hash writes the lowercase hex HMAC-SHA256 of the
// value's text under Normalizer.HashKey, mask writes the masked form
// that schema.PIIMask describes, and drop leaves the value out and never
// creates its column or child table. An object or list stored whole as
// json keeps its structure, with the values below a PII path replaced.
//
// # Contracts
//
// schema.Hints.Contract governs new tables (root or child), new columns
// of tables that existed before this Normalizer, and new variant
// columns. Freeze stops Normalize with a *schema.ContractError naming
// the table, column and value (hashed or masked under a PII mode);
// discard_row drops the row, with its child rows, and discard_value the
// value. A new child table under either discard mode loses the list's
// rows and keeps the parent row. Report counts what was discarded.
//
// NOTE: columns that the same row created before a contract discarded
// it stay in the schema, without a value.
//
// # History
//
// Root rows of a table with write disposition history carry
// _rl_row_hash: the first 16 bytes, in base64url, of a SHA-256 over the
// table names and source values of the row and its child rows in the
// order they were built. An object sent again unchanged gets the same
// hash; a change in member order counts as a change.
//
// # Name collisions
//
// Two values of one row can land on the same column name: "userId" and
// "user_id" both normalize to user_id, and so do a repeated key and
// flattened paths such as {"a_": {"b": 1}} and {"a": {"_b": 2}}. The
// first value in document order takes the name; each later one takes the
// next free slot, <name>__2, <name>__3 and so on. A null value or an
// empty list claims nothing. A list whose child table name is taken in
// the same row, or belongs to a table with another parent, gets the next
// slot the same way. The "__" + digit suffix cannot come from a member
// name, since identifiers never start with a digit. Report lists every
// numbered column and table when it is created.
//
// # Long names
//
// With Normalizer.MaxIdentifierLength set, a table or column name longer
// than the limit is shortened by schema.ShortenIdentifier, which is
// stable across runs; Report lists each shortened name when it is
// created. Hints keep referring to the full names.
//
// # Errors
//
// A line that is not one valid JSON value (strict: UTF-8, no trailing
// data; repeated names are allowed and handled as collisions above), an
// item without a value for a primary key column or for a column that a
// hint makes not nullable, and a value that breaks a frozen contract
// stop Normalize with an error naming the table and line. The rows of
// that item are not written; the rows of earlier items are. Invalid
// hints, and a PII hash hint without a HashKey (ErrNoHashKey), fail
// Normalize before it reads an item.
package normalize

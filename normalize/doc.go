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
// A column gets its type from the first non-null value it meets; a column
// that has only seen null does not exist yet. Values are typed as:
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
//   - json: an object or list below the nesting limit.
//
// Numbers never pass through float64 on their way out: every number is
// written with the literal the source sent.
//
// A value of another type than its column's is coerced only when that
// loses nothing. An integer goes into a double column when float64 holds
// it exactly, and an integer or double into a decimal column when
// DECIMAL(38,9) holds it. A timestamp string goes into a text column as
// sent, and a valid YYYY-MM-DD string into a date column. Any other value
// goes to the variant column <column>__v_<type>, marked Variant and
// created on first need. No value is dropped or cut.
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
// name, since identifiers never start with a digit.
//
// # Errors
//
// A line that is not one valid JSON value (strict: UTF-8, no trailing
// data; repeated names are allowed and handled as collisions above) or an
// item without a value for a primary key column stops Normalize with an
// error naming the table and line. The rows of that item are not
// written; the rows of earlier items are.
package normalize

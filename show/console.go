package show

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// maxQuerySize is the longest SQL text the console accepts, in bytes.
const maxQuerySize = 64 << 10

// checkQuery returns a pageError unless text is exactly one query.
// DuckDB parses it itself: json_serialize_sql serializes SELECT
// statements (SELECT, FROM-first, WITH, VALUES, SHOW, DESCRIBE) and
// returns an error object for every other kind. For PostgreSQL the first
// keyword must start a query; the READ ONLY transaction that runQuery
// opens rejects any write that a query could still contain.
func checkQuery(ctx context.Context, src *Source, text string) error {
	if strings.TrimSpace(text) == "" {
		return badRequest("the SQL text is empty: write one SELECT query")
	}
	if len(text) > maxQuerySize {
		return badRequest("the SQL text is %d bytes long: the console accepts at most %d", len(text), maxQuerySize)
	}
	if src.Dialect == PostgreSQL {
		switch kw := strings.ToUpper(firstKeyword(text)); kw {
		case "SELECT", "WITH", "VALUES", "TABLE":
			return nil
		default:
			return badRequest("only queries are allowed, and this statement starts with %q: write one SELECT query", kw)
		}
	}
	var out string
	if err := src.DB.QueryRowContext(ctx, "SELECT json_serialize_sql($1::VARCHAR)::VARCHAR", text).Scan(&out); err != nil {
		return fmt.Errorf("parse the SQL text: %w", err)
	}
	var parsed struct {
		Error      bool              `json:"error"`
		ErrorType  string            `json:"error_type"`
		Message    string            `json:"error_message"`
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(out), &parsed); err != nil {
		return fmt.Errorf("decode the parsed SQL text: %w", err)
	}
	switch {
	case parsed.Error && parsed.ErrorType == "parser":
		return badRequest("invalid SQL: %s", parsed.Message)
	case parsed.Error:
		return badRequest("only queries are allowed: the console runs SELECT statements and rejects every other kind (%s)", parsed.Message)
	case len(parsed.Statements) != 1:
		return badRequest("the SQL text holds %d statements: run one query at a time", len(parsed.Statements))
	}
	return nil
}

// firstKeyword returns the first word of text after comments, blanks and
// opening brackets.
func firstKeyword(text string) string {
	s := text
	for {
		s = strings.TrimLeftFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '(' })
		switch {
		case strings.HasPrefix(s, "--"):
			_, rest, ok := strings.Cut(s, "\n")
			if !ok {
				return ""
			}
			s = rest
		case strings.HasPrefix(s, "/*"):
			_, rest, ok := strings.Cut(s, "*/")
			if !ok {
				return ""
			}
			s = rest
		default:
			end := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
			if end < 0 {
				return s
			}
			return s[:end]
		}
	}
}

// runQuery runs a checked query and passes its rows to fn, within the
// server's query timeout. On PostgreSQL it runs in a READ ONLY
// transaction that is rolled back afterwards.
func runQuery(ctx context.Context, src *Source, text string, fn func(*sql.Rows) error) error {
	if src.Dialect != PostgreSQL {
		rows, err := src.DB.QueryContext(ctx, text)
		if err != nil {
			return queryError(ctx, err)
		}
		defer rows.Close()
		return queryError(ctx, fn(rows))
	}
	tx, err := src.DB.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read-only transaction: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, text)
	if err != nil {
		return queryError(ctx, err)
	}
	defer rows.Close()
	return queryError(ctx, fn(rows))
}

// queryError turns an error of the user's query into a message for the
// page: the database's own message, or a timeout.
func queryError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return badRequest("the query timed out and was cancelled: narrow it with WHERE or LIMIT")
	}
	var pe *pageError
	if errors.As(err, &pe) {
		return err
	}
	return badRequest("the query failed: %v", err)
}

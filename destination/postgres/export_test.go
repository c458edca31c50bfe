package postgres

// SetBeforeCommit sets a function that runs after every statement of a
// load and before its COMMIT.
func SetBeforeCommit(c *Client, f func()) { c.beforeCommit = f }

var (
	RedactURL    = redactURL
	HasNulEscape = hasNulEscape
)

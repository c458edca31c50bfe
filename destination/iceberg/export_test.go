package iceberg

// SetAfterCommit sets a function that runs after each table commit of a
// load, with the table's name; an error it returns stops the load.
func SetAfterCommit(c *Client, f func(table string) error) { c.afterCommit = f }

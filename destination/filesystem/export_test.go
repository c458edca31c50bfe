package filesystem

// SetBeforeRecord sets a function that runs after the files of a load
// are written and before its load record. An error from it stops the
// load there.
func (c *Client) SetBeforeRecord(f func() error) { c.beforeRecord = f }

package normalize

// SkipSync makes n leave out the fsync of its files in Close.
func SkipSync(n *Normalizer) { n.skipSync = true }

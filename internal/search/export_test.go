package search

// SetExactRank sets how many matches PostgreSQL ranks on their whole
// tsvector, so that tests reach the two-step ranking with few items.
func SetExactRank(ix Index, n int) {
	if pg, ok := ix.(*engine).be.(*pgBackend); ok {
		pg.exactRank = n
	}
}

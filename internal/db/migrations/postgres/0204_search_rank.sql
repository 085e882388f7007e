-- Fast ranked search on PostgreSQL (the full design is in internal/search/postgres.go).
--
-- An item's whole tsvector (~9 kB for a General Debate speech) is stored out of
-- line (TOAST) and pglz cannot shrink it, so reading it for ts_rank, or for the
-- recheck of a phrase, costs about 8 µs a row: 30-40 ms for a query with a few
-- thousand matches. rank_tsv is a small copy kept in the row itself: every
-- lexeme of the title, and the 100 others that occur most often (summary
-- lexemes count three extra), with all their positions: ~2 kB. Searches rank
-- every match with it and re-rank only the best few hundred with the whole
-- tsvector. (Title lexemes are those whose first position is weighted A.)
CREATE FUNCTION search_rank_vector(v tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ts_delete(v, ARRAY(
    SELECT lexeme FROM unnest(v) WHERE weights[1] <> 'A'
    ORDER BY cardinality(positions) + CASE weights[1] WHEN 'B' THEN 3 ELSE 0 END DESC, lexeme COLLATE "C"
    OFFSET 100))
$$;

ALTER TABLE search_items ADD COLUMN rank_tsv TSVECTOR NOT NULL DEFAULT '';
-- MAIN: kept in the row (compressed if it can be) unless the row cannot fit a page.
ALTER TABLE search_items ALTER COLUMN rank_tsv SET STORAGE MAIN;
UPDATE search_items SET rank_tsv = search_rank_vector(tsv);

-- The matching step, through the GIN index only. The planner sees a small
-- heap (the text is out of line) and, for a common word, prefers a
-- sequential scan that detoasts every row's tsvector: ten times slower than
-- the bitmap scan, which for words, OR, NOT and prefixes needs no recheck.
CREATE FUNCTION search_match(q tsquery) RETURNS SETOF BIGINT
LANGUAGE sql STABLE SET enable_seqscan = off AS $$
  SELECT id FROM search_items WHERE tsv @@ q
$$;

-- The same, with each match's ts_rank on rank_tsv for the query r (the
-- exact query, where q may be loosened), for searches whose filters keep
-- most items.
CREATE FUNCTION search_match_ranked(q tsquery, r tsquery) RETURNS TABLE (id BIGINT, rank REAL)
LANGUAGE sql STABLE SET enable_seqscan = off AS $$
  SELECT id, ts_rank(rank_tsv, r) FROM search_items WHERE tsv @@ q
$$;

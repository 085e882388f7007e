-- PostgreSQL only (a small ranking vector beside each item's tsvector, see
-- postgres/0204_search_rank.sql): FTS5's bm25 already ranks from the index.
-- The file exists so that both dialects list the same migrations.
SELECT 1;

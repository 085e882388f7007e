-- A counter bumped by every change to the search index (in the same
-- transaction), so that each app instance knows when its in-memory facet
-- cache is stale. And an index for counting documents by type.
CREATE TABLE search_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  BIGINT NOT NULL
);
INSERT INTO search_generation (id, n) VALUES (1, 0);
CREATE INDEX documents_type ON documents(type);

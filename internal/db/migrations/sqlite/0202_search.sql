-- The search index over every kind of item (documents, articles, …): one row
-- per item with its facet fields, its facet tags (direct tags plus the
-- sub-regions, regions and coalition groupings its countries belong to), and
-- an FTS5 table whose rowid is search_items.id.
CREATE TABLE search_items (
    id           INTEGER PRIMARY KEY,
    item_type    TEXT NOT NULL,
    item_id      INTEGER NOT NULL,
    title        TEXT NOT NULL,
    summary      TEXT NOT NULL DEFAULT '',
    url          TEXT NOT NULL,
    published_at TIMESTAMP NOT NULL,
    year         INTEGER NOT NULL,
    language     TEXT NOT NULL DEFAULT '',
    source       TEXT NOT NULL DEFAULT '',
    kind         TEXT NOT NULL DEFAULT '',
    access       TEXT NOT NULL DEFAULT 'public',
    UNIQUE (item_type, item_id)
);
CREATE INDEX search_items_date ON search_items(published_at DESC, id DESC);

CREATE TABLE search_tags (
    search_id INTEGER NOT NULL REFERENCES search_items(id) ON DELETE CASCADE,
    tag_id    INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    direct    INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (search_id, tag_id)
);
CREATE INDEX search_tags_tag ON search_tags(tag_id, search_id);

CREATE VIRTUAL TABLE search_fts USING fts5(title, summary, body, tokenize = 'porter unicode61 remove_diacritics 2');
INSERT INTO search_fts (search_fts, rank) VALUES ('rank', 'bm25(10.0, 4.0, 1.0)');

-- The shared tag model: regions, sub-regions and countries (UN M49, seeded
-- from the embedded CSV at start), the coalition's own regional groupings,
-- themes and crises. Articles, documents, crises and members are tagged
-- through item_tags.
CREATE TABLE tags (
    id        INTEGER PRIMARY KEY,
    kind      TEXT NOT NULL CHECK (kind IN ('region', 'subregion', 'country', 'grouping', 'theme', 'crisis')),
    slug      TEXT NOT NULL,
    name      TEXT NOT NULL,
    code      TEXT NOT NULL DEFAULT '',  -- ISO 3166 alpha-3 for countries, M49 code for regions and sub-regions
    parent_id INTEGER REFERENCES tags(id),
    position  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, slug)
);
CREATE INDEX tags_parent ON tags(parent_id);
CREATE INDEX tags_code ON tags(code);

-- Countries of a coalition grouping (kind 'grouping').
CREATE TABLE grouping_countries (
    grouping_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    country_id  INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (grouping_id, country_id)
);

CREATE TABLE item_tags (
    item_type TEXT NOT NULL,   -- 'article', 'document', 'crisis', 'organisation'
    item_id   INTEGER NOT NULL,
    tag_id    INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (item_type, item_id, tag_id)
);
CREATE INDEX item_tags_tag ON item_tags(tag_id, item_type, item_id);

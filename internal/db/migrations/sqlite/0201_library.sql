-- Document library: editable document types, documents (uploaded files or
-- links) with their background text-extraction state.
CREATE TABLE document_types (
    id       INTEGER PRIMARY KEY,
    slug     TEXT NOT NULL UNIQUE,
    name     TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0
);
INSERT INTO document_types (slug, name, position) VALUES
    ('statement', 'Statement', 1), ('report', 'Report', 2), ('resolution', 'Resolution', 3),
    ('letter', 'Letter', 4), ('speech', 'Speech', 5), ('toolkit', 'Toolkit', 6),
    ('briefing', 'Briefing', 7), ('other', 'Other', 99);

CREATE TABLE documents (
    id                 INTEGER PRIMARY KEY,
    title              TEXT NOT NULL,
    published_on       TIMESTAMP NOT NULL,
    type               TEXT NOT NULL,
    source             TEXT NOT NULL DEFAULT '',
    language           TEXT NOT NULL DEFAULT 'en',
    summary            TEXT NOT NULL DEFAULT '',
    access             TEXT NOT NULL DEFAULT 'public' CHECK (access IN ('public', 'members')),
    link_url           TEXT NOT NULL DEFAULT '',
    file_name          TEXT NOT NULL DEFAULT '',
    file_format        TEXT NOT NULL DEFAULT '',   -- pdf, docx, odt, txt, html
    file_size          INTEGER NOT NULL DEFAULT 0,
    checksum           TEXT NOT NULL DEFAULT '',   -- SHA-256 of the file; also its name in the file store
    import_key         TEXT UNIQUE,                -- set by the bulk importer: makes a second run a no-op
    import_hash        TEXT NOT NULL DEFAULT '',
    extract_state      TEXT NOT NULL DEFAULT 'none' CHECK (extract_state IN ('none', 'pending', 'running', 'done', 'empty', 'failed')),
    extract_error      TEXT NOT NULL DEFAULT '',
    extract_attempts   INTEGER NOT NULL DEFAULT 0,
    extract_claimed_at TIMESTAMP,
    body               TEXT NOT NULL DEFAULT '',   -- extracted text
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    created_by         INTEGER REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX documents_date ON documents(published_on DESC, id DESC);
CREATE INDEX documents_extract ON documents(extract_state, id);
CREATE INDEX documents_checksum ON documents(checksum);

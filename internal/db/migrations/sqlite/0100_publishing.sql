-- Publishing: categories, articles and stand-alone pages (one table, told
-- apart by kind), their revisions and old slugs, uploaded images, and the
-- per-recipient daily count of the e-mail-an-article tool.
CREATE TABLE categories (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL DEFAULT 0,
    toc         INTEGER NOT NULL DEFAULT 0,   -- articles get an "In this issue" contents list
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE media (
    id          INTEGER PRIMARY KEY,
    created_at  TIMESTAMP NOT NULL,
    uploaded_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    name        TEXT NOT NULL DEFAULT '',     -- the uploaded file's name, for the library
    ext         TEXT NOT NULL CHECK (ext IN ('jpg', 'png')),
    width       INTEGER NOT NULL,             -- of the largest stored variant
    height      INTEGER NOT NULL,
    widths      TEXT NOT NULL,                -- stored variant widths, ascending, comma-separated
    bytes       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE articles (
    id                 INTEGER PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('article', 'page')),
    category_id        INTEGER REFERENCES categories(id),
    slug               TEXT NOT NULL,
    title              TEXT NOT NULL,
    summary            TEXT NOT NULL DEFAULT '',
    body               TEXT NOT NULL DEFAULT '',
    author_id          INTEGER REFERENCES users(id) ON DELETE SET NULL,
    author_name        TEXT NOT NULL DEFAULT '',
    cover_id           INTEGER REFERENCES media(id) ON DELETE SET NULL,
    cover_alt          TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'published')),
    visibility         TEXT NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'members')),
    publish_at         TIMESTAMP,               -- shown date; for scheduled articles, when they go live
    first_published_at TIMESTAMP,
    revision           INTEGER NOT NULL DEFAULT 0,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    UNIQUE (kind, slug)
);
CREATE INDEX articles_live ON articles(kind, status, publish_at);
CREATE INDEX articles_category ON articles(category_id, status, publish_at);
CREATE INDEX articles_scheduled ON articles(status, publish_at);

-- Slugs an article had before: /articles/<old> answers 301 to the current one.
CREATE TABLE article_slugs (
    kind       TEXT NOT NULL,
    slug       TEXT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, slug)
);
CREATE INDEX article_slugs_article ON article_slugs(article_id);

-- Every save keeps a revision; number counts up per article.
CREATE TABLE article_revisions (
    id          INTEGER PRIMARY KEY,
    article_id  INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    editor_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    editor_name TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',      -- e.g. "Restored revision 3"
    title       TEXT NOT NULL,
    slug        TEXT NOT NULL,
    summary     TEXT NOT NULL,
    body        TEXT NOT NULL,
    cover_id    INTEGER,
    cover_alt   TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,
    UNIQUE (article_id, number)
);

-- How many articles were e-mailed to one recipient (a keyed hash of the
-- address, never the address) on one day (YYYY-MM-DD, UTC). Kept in the
-- database so that the cap holds across app instances.
CREATE TABLE article_shares (
    recipient TEXT NOT NULL,
    day       TEXT NOT NULL,
    count     INTEGER NOT NULL,
    PRIMARY KEY (recipient, day)
);

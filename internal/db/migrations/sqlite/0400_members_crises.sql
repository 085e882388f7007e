-- Member organisations, applications to join, member submissions, and
-- crises with their status scale, sections, recommendations and timeline.

-- Membership tiers ("Member", "NGO Supporter"; editable).
CREATE TABLE member_tiers (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    criteria    TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL DEFAULT 0
);
INSERT INTO member_tiers (slug, name, description, criteria, position) VALUES
 ('member', 'Member', 'Full members take part in the coalition''s decisions, speak in its name on agreed positions and may submit news and documents for publication.',
  'A non-governmental organisation working on the protection of civilians
Independent of governments and armed groups
Endorses the coalition''s charter', 1),
 ('ngo-supporter', 'NGO Supporter', 'Supporters follow the coalition''s work closely, receive members-only briefings and may submit news and documents.',
  'A non-governmental organisation that shares the coalition''s aims
Not in a position to take on the commitments of full membership', 2);

-- The foundation's minimal organisations table, completed.
ALTER TABLE organisations ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN website TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN country TEXT NOT NULL DEFAULT '';          -- ISO 3166 alpha-3
ALTER TABLE organisations ADD COLUMN contact_email TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN tier_id INTEGER REFERENCES member_tiers(id);
ALTER TABLE organisations ADD COLUMN joined_at TIMESTAMP;
ALTER TABLE organisations ADD COLUMN public INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organisations ADD COLUMN updated_at TIMESTAMP;
CREATE INDEX organisations_country ON organisations(country);

-- Logos are small (re-encoded, at most 512 px): kept in the database so that
-- every app instance serves them and a logo exists if and only if its
-- organisation does.
CREATE TABLE organisation_logos (
    organisation_id INTEGER PRIMARY KEY REFERENCES organisations(id) ON DELETE CASCADE,
    content_type    TEXT NOT NULL,
    data            BLOB NOT NULL,
    width           INTEGER NOT NULL,
    height          INTEGER NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);

-- The person who administers an organisation's accounts (invites colleagues).
ALTER TABLE users ADD COLUMN org_admin INTEGER NOT NULL DEFAULT 0;

CREATE TABLE member_applications (
    id              INTEGER PRIMARY KEY,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    org_name        TEXT NOT NULL,
    website         TEXT NOT NULL DEFAULT '',
    country         TEXT NOT NULL DEFAULT '',
    description     TEXT NOT NULL DEFAULT '',
    contact_name    TEXT NOT NULL,
    contact_email   TEXT NOT NULL,
    tier_id         INTEGER REFERENCES member_tiers(id) ON DELETE SET NULL,
    statement       TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL CHECK (state IN ('submitted', 'info_requested', 'approved', 'rejected')),
    organisation_id INTEGER REFERENCES organisations(id) ON DELETE SET NULL
);
CREATE INDEX member_applications_state ON member_applications(state, created_at);

CREATE TABLE member_application_events (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES member_applications(id) ON DELETE CASCADE,
    at             TIMESTAMP NOT NULL,
    actor_id       INTEGER REFERENCES users(id) ON DELETE SET NULL,
    actor_name     TEXT NOT NULL DEFAULT '',
    action         TEXT NOT NULL,
    note           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX member_application_events_app ON member_application_events(application_id, at);

CREATE TABLE member_submissions (
    id              INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    submitted_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('news', 'document')),
    title           TEXT NOT NULL,
    summary         TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL DEFAULT '',
    members_only    INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL CHECK (state IN ('submitted', 'returned', 'approved')),
    review_note     TEXT NOT NULL DEFAULT '',
    reviewer_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    reviewed_at     TIMESTAMP,
    published_url   TEXT NOT NULL DEFAULT '',
    published_at    TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX member_submissions_org ON member_submissions(organisation_id, created_at);
CREATE INDEX member_submissions_state ON member_submissions(state, updated_at);

-- A submitted document's file, apart so that lists never load it.
CREATE TABLE member_submission_files (
    submission_id INTEGER PRIMARY KEY REFERENCES member_submissions(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    data          BLOB NOT NULL
);

CREATE TABLE member_submission_events (
    id            INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES member_submissions(id) ON DELETE CASCADE,
    at            TIMESTAMP NOT NULL,
    actor_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    actor_name    TEXT NOT NULL DEFAULT '',
    action        TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX member_submission_events_sub ON member_submission_events(submission_id, at);

-- The crisis status scale, graver first (gravity 1 is the gravest).
CREATE TABLE crisis_statuses (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    gravity     INTEGER NOT NULL,
    colour      TEXT NOT NULL
);
INSERT INTO crisis_statuses (slug, name, description, gravity, colour) VALUES
 ('current-crisis', 'Current crisis', 'Mass atrocity crimes are occurring and urgent action is needed.', 1, '#a4161a'),
 ('imminent-risk', 'Imminent risk', 'The situation could deteriorate into mass atrocity crimes in the near future without preventive action.', 2, '#d9480f'),
 ('serious-concern', 'Serious concern', 'There is a significant risk of mass atrocity crimes in the foreseeable future if effective action is not taken.', 3, '#c99a06'),
 ('resolved', 'Resolved', 'The coalition no longer considers the population at risk; monitoring continues.', 4, '#2f7d4f');

CREATE TABLE crises (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    title      TEXT NOT NULL,
    status_id  INTEGER NOT NULL REFERENCES crisis_statuses(id),
    summary    TEXT NOT NULL DEFAULT '',
    tag_id     INTEGER REFERENCES tags(id) ON DELETE SET NULL,
    published  INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX crises_status ON crises(status_id);

CREATE TABLE crisis_sections (
    id        INTEGER PRIMARY KEY,
    crisis_id INTEGER NOT NULL REFERENCES crises(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    heading   TEXT NOT NULL,
    body      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX crisis_sections_crisis ON crisis_sections(crisis_id, position);

CREATE TABLE crisis_recommendations (
    id        INTEGER PRIMARY KEY,
    crisis_id INTEGER NOT NULL REFERENCES crises(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    text      TEXT NOT NULL
);
CREATE INDEX crisis_recommendations_crisis ON crisis_recommendations(crisis_id, position);

-- Dated timeline updates. published_at is set when an update goes out;
-- alerted_at once the alerts have been handed over (a worker retries).
CREATE TABLE crisis_updates (
    id           INTEGER PRIMARY KEY,
    crisis_id    INTEGER NOT NULL REFERENCES crises(id) ON DELETE CASCADE,
    happened_on  TIMESTAMP NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL DEFAULT '',
    published_at TIMESTAMP,
    alerted_at   TIMESTAMP,
    created_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX crisis_updates_crisis ON crisis_updates(crisis_id, happened_on);
CREATE INDEX crisis_updates_alert ON crisis_updates(alerted_at, published_at);

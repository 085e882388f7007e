-- Mailing lists, subscribers (double opt-in, consent records), alerts,
-- campaigns and per-recipient deliveries.
CREATE TABLE mailing_lists (
    id           INTEGER PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    members_only INTEGER NOT NULL DEFAULT 0,
    position     INTEGER NOT NULL DEFAULT 0,
    created_at   TIMESTAMP NOT NULL
);

-- One row per e-mail address (lower-cased). confirmed_at is set when the
-- address was proven by the double opt-in link (or imported as confirmed);
-- nothing is sent before. suppressed_at: a hard bounce or complaint.
CREATE TABLE subscribers (
    id               INTEGER PRIMARY KEY,
    email            TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMP NOT NULL,
    confirmed_at     TIMESTAMP,
    suppressed_at    TIMESTAMP,
    suppress_reason  TEXT NOT NULL DEFAULT '',
    alert_frequency  TEXT NOT NULL DEFAULT 'instant' CHECK (alert_frequency IN ('instant', 'daily')),
    next_digest_at   TIMESTAMP,
    confirm_sent_at  TIMESTAMP,
    token_version    INTEGER NOT NULL DEFAULT 1  -- bumped to void every signed link (address change)
);

-- status: pending (waiting for confirmation), active, unsubscribed.
CREATE TABLE subscriptions (
    subscriber_id   INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    list_id         INTEGER NOT NULL REFERENCES mailing_lists(id) ON DELETE CASCADE,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed')),
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (subscriber_id, list_id)
);
CREATE INDEX subscriptions_list ON subscriptions(list_id, status);

-- The exact consent shown when someone subscribed, where and when.
CREATE TABLE subscriber_consents (
    id            INTEGER PRIMARY KEY,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    created_at    TIMESTAMP NOT NULL,
    action        TEXT NOT NULL,          -- subscribe, confirm, preferences, unsubscribe, import, api
    source        TEXT NOT NULL DEFAULT '', -- page path or "api", "import"
    consent_text  TEXT NOT NULL DEFAULT '',
    lists         TEXT NOT NULL DEFAULT '' -- list names at the time
);
CREATE INDEX subscriber_consents_sub ON subscriber_consents(subscriber_id, id);

-- Alerts: tags (countries, regions, groupings, themes, crises) a subscriber follows.
CREATE TABLE subscriber_follows (
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    tag_id        INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (subscriber_id, tag_id)
);
CREATE INDEX subscriber_follows_tag ON subscriber_follows(tag_id);

-- Published items that raise alerts (one row per item, whoever follows it).
CREATE TABLE alert_items (
    id           INTEGER PRIMARY KEY,
    item_type    TEXT NOT NULL,
    item_id      INTEGER NOT NULL,
    title        TEXT NOT NULL,
    url          TEXT NOT NULL,
    summary      TEXT NOT NULL DEFAULT '',
    published_at TIMESTAMP NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (item_type, item_id)
);

-- Alerts waiting to go out, at once or in the next daily digest.
CREATE TABLE alert_queue (
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    alert_id      INTEGER NOT NULL REFERENCES alert_items(id) ON DELETE CASCADE,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (subscriber_id, alert_id)
);

-- status: draft, scheduled, sending, sent, cancelled.
CREATE TABLE campaigns (
    id            INTEGER PRIMARY KEY,
    subject       TEXT NOT NULL,
    preheader     TEXT NOT NULL DEFAULT '',
    body          TEXT NOT NULL DEFAULT '',   -- Markdown
    article_ids   TEXT NOT NULL DEFAULT '',   -- comma-separated, in order
    status        TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'scheduled', 'sending', 'sent', 'cancelled')),
    archive       INTEGER NOT NULL DEFAULT 1, -- shown at /newsletters once sent
    slug          TEXT NOT NULL DEFAULT '',
    scheduled_at  TIMESTAMP,
    started_at    TIMESTAMP,
    finished_at   TIMESTAMP,
    html_body     TEXT NOT NULL DEFAULT '',   -- frozen when sending starts
    text_body     TEXT NOT NULL DEFAULT '',
    created_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX campaigns_status ON campaigns(status, scheduled_at);

CREATE TABLE campaign_lists (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    list_id     INTEGER NOT NULL REFERENCES mailing_lists(id) ON DELETE CASCADE,
    PRIMARY KEY (campaign_id, list_id)
);

-- One row per recipient of a campaign: the unit of exactly-once delivery.
-- status: pending, sending (claimed by sender_id), sent, failed.
CREATE TABLE campaign_deliveries (
    campaign_id     INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    subscriber_id   INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    sender_id       TEXT NOT NULL DEFAULT '',
    claimed_at      TIMESTAMP,
    sent_at         TIMESTAMP,
    last_error      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (campaign_id, subscriber_id)
);
CREATE INDEX campaign_deliveries_due ON campaign_deliveries(status, next_attempt_at);

-- Live senders (one per running process); a claim whose sender stopped
-- beating is taken over.
CREATE TABLE mail_senders (
    id           TEXT PRIMARY KEY,
    heartbeat_at TIMESTAMP NOT NULL
);

-- Bounces and complaints as received.
CREATE TABLE mail_bounces (
    id            INTEGER PRIMARY KEY,
    created_at    TIMESTAMP NOT NULL,
    email         TEXT NOT NULL,
    kind          TEXT NOT NULL,   -- hard, soft, complaint
    source        TEXT NOT NULL,   -- generic, ses
    campaign_id   INTEGER,
    detail        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_bounces_email ON mail_bounces(email);

-- Bearer tokens of the JSON admin API (only a hash is kept).
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL DEFAULT '',
    role         TEXT NOT NULL CHECK (role IN ('admin', 'editor')),
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);

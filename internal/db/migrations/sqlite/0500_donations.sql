-- Donations: donors, appeals, recurring gifts (plans), gifts and payments,
-- gap-free receipt counters and the log of payment-provider events.

CREATE TABLE donors (
    id                 INTEGER PRIMARY KEY,
    email              TEXT UNIQUE, -- NULL for a donor known only by name (a cheque)
    name               TEXT NOT NULL DEFAULT '',
    -- The donor ticked "send me the newsletter"; cleared once the wish has
    -- been handed to the mailing lists (double opt-in).
    newsletter_wish    INTEGER NOT NULL DEFAULT 0,
    newsletter_wish_at TIMESTAMP,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);

CREATE TABLE appeals (
    id           INTEGER PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    summary      TEXT NOT NULL DEFAULT '',
    article_slug TEXT NOT NULL DEFAULT '',
    goal_minor   INTEGER NOT NULL DEFAULT 0 CHECK (goal_minor >= 0),
    currency     TEXT NOT NULL,
    starts_at    TIMESTAMP,
    ends_at      TIMESTAMP,
    published    INTEGER NOT NULL DEFAULT 1,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);

CREATE TABLE donation_plans (
    id                       INTEGER PRIMARY KEY,
    ref                      TEXT NOT NULL UNIQUE,
    donor_id                 INTEGER NOT NULL REFERENCES donors(id),
    appeal_id                INTEGER REFERENCES appeals(id) ON DELETE SET NULL,
    provider                 TEXT NOT NULL,
    amount_minor             INTEGER NOT NULL CHECK (amount_minor > 0),
    currency                 TEXT NOT NULL,
    status                   TEXT NOT NULL CHECK (status IN ('pending', 'active', 'past_due', 'cancelled')),
    status_at                TIMESTAMP NOT NULL,
    dedication               TEXT NOT NULL DEFAULT '',
    gift_aid                 INTEGER NOT NULL DEFAULT 0,
    gift_aid_text            TEXT NOT NULL DEFAULT '',
    newsletter               INTEGER NOT NULL DEFAULT 0,
    provider_session_id      TEXT NOT NULL DEFAULT '',
    provider_subscription_id TEXT,
    provider_customer_id     TEXT NOT NULL DEFAULT '',
    created_at               TIMESTAMP NOT NULL,
    updated_at               TIMESTAMP NOT NULL,
    cancelled_at             TIMESTAMP,
    UNIQUE (provider, provider_subscription_id)
);
CREATE INDEX donation_plans_donor ON donation_plans(donor_id);

CREATE TABLE donations (
    id                  INTEGER PRIMARY KEY,
    ref                 TEXT NOT NULL UNIQUE,
    donor_id            INTEGER NOT NULL REFERENCES donors(id),
    appeal_id           INTEGER REFERENCES appeals(id) ON DELETE SET NULL,
    plan_id             INTEGER REFERENCES donation_plans(id),
    kind                TEXT NOT NULL CHECK (kind IN ('one_off', 'monthly')),
    method              TEXT NOT NULL CHECK (method IN ('card', 'bank_transfer', 'cheque', 'other')),
    provider            TEXT NOT NULL,
    amount_minor        INTEGER NOT NULL CHECK (amount_minor > 0),
    refunded_minor      INTEGER NOT NULL DEFAULT 0,
    currency            TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'pledged', 'failed', 'expired', 'cancelled', 'paid', 'refunded')),
    dedication          TEXT NOT NULL DEFAULT '',
    gift_aid            INTEGER NOT NULL DEFAULT 0,
    gift_aid_text       TEXT NOT NULL DEFAULT '',
    newsletter          INTEGER NOT NULL DEFAULT 0,
    note                TEXT NOT NULL DEFAULT '',
    provider_session_id TEXT NOT NULL DEFAULT '',
    provider_payment_id TEXT,
    provider_invoice_id TEXT,
    receipt_no          TEXT UNIQUE,
    receipt_org_name    TEXT NOT NULL DEFAULT '',
    receipt_org_address TEXT NOT NULL DEFAULT '',
    created_by          INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    paid_at             TIMESTAMP,
    refunded_at         TIMESTAMP,
    UNIQUE (provider, provider_payment_id),
    UNIQUE (provider, provider_invoice_id)
);
CREATE INDEX donations_donor ON donations(donor_id);
CREATE INDEX donations_appeal ON donations(appeal_id);
CREATE INDEX donations_plan ON donations(plan_id);
CREATE INDEX donations_created ON donations(created_at);
CREATE INDEX donations_paid ON donations(paid_at);

-- Gap-free counters (receipt numbers per year): incremented inside the
-- transaction that records the payment, so a rollback gives the number back.
CREATE TABLE donation_counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

-- Every provider event seen, by its id: a retried or duplicated delivery
-- finds its row and changes nothing. Events that arrive before the payment
-- they refer to are parked (with their normalised content) and applied when
-- the payment is recorded.
CREATE TABLE donation_events (
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    type        TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('processed', 'ignored', 'parked')),
    park_key    TEXT NOT NULL DEFAULT '',
    payload     TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (provider, event_id)
);
CREATE INDEX donation_events_parked ON donation_events(park_key) WHERE status = 'parked';
CREATE INDEX donation_events_received ON donation_events(received_at);

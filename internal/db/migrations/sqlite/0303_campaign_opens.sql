-- Open counting, only with --mail-tracking (off by default): the first time
-- a recipient's mail program loaded a campaign's pixel. Nothing else is kept
-- (no IP address, no user agent, no later opens). Erasing a subscriber or
-- deleting a campaign removes its rows.
CREATE TABLE campaign_opens (
    campaign_id   INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    first_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (campaign_id, subscriber_id)
);

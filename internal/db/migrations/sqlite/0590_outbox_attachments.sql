-- Files attached to queued mail (donation receipts). Kept beside the outbox
-- rather than in it so that messages without attachments stay small.
CREATE TABLE outbox_attachments (
    id           INTEGER PRIMARY KEY,
    outbox_id    INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data         BLOB NOT NULL
);
CREATE INDEX outbox_attachments_outbox ON outbox_attachments(outbox_id);

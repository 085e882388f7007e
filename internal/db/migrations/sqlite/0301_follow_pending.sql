-- A follow added through the public subscribe form waits for the
-- confirmation link like a list subscription does (someone else may have
-- typed a confirmed subscriber's address); alerts go to confirmed follows only.
ALTER TABLE subscriber_follows ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;

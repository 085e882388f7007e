-- Campaign sending: archive slugs are unique once set; deliveries are
-- counted per campaign and state (progress bar), and the rate over the last
-- minute reads sent_at within the sent rows of one campaign.
CREATE UNIQUE INDEX campaigns_slug ON campaigns(slug) WHERE slug <> '';
CREATE INDEX campaign_deliveries_campaign ON campaign_deliveries(campaign_id, status, sent_at);

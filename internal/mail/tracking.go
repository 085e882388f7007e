package mail

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"html"
	"strconv"
	"strings"

	"coalition/internal/db"
	"coalition/internal/errs"
)

// Open counting, only when an admin starts the server with --mail-tracking
// (Options.Tracking); off by default, and then no message carries a pixel
// and nothing is recorded.
//
// With tracking on, each recipient's copy of a campaign gets a 1×1
// transparent GIF just before </body>, at BASE/o/<token>.gif where the token
// is signed (PurposeOpen, extra "c<campaign id>"). The first fetch records
// (campaign, subscriber, time) in campaign_opens; nothing else is kept (no
// address, no user agent, no later opens). Counts are approximate: many mail
// programs block images, others fetch them before anyone reads the message.
//
// There is no click tracking: rewriting links through a redirect breaks them
// when people forward or copy them, and tells nothing worth that.
//
// The pixel is added per recipient, when the sender builds a copy
// (withOpenPixel); the frozen body, previews, tests and the public archive
// never carry one.

// Tracking reports whether open counting is on.
func (s *Service) Tracking() bool { return s.o.Tracking }

// OpenURL is the address of a subscriber's open-counting pixel for a
// campaign (whether or not tracking is on).
func (s *Service) OpenURL(ctx context.Context, campaignID int64, sub Subscriber) (string, error) {
	t, err := s.Sign(ctx, PurposeOpen, sub.ID, sub.TokenVersion, "c"+strconv.FormatInt(campaignID, 10))
	if err != nil {
		return "", err
	}
	return s.o.BaseURL + "/o/" + t + ".gif", nil
}

// withOpenPixel returns a recipient's HTML part of a campaign with the
// open-counting pixel just before </body> when tracking is on, and htmlPart
// unchanged when it is off. The sender calls it on each copy it builds.
func (s *Service) withOpenPixel(ctx context.Context, campaignID int64, sub Subscriber, htmlPart string) string {
	if !s.o.Tracking || htmlPart == "" {
		return htmlPart
	}
	u, err := s.OpenURL(ctx, campaignID, sub)
	if err != nil {
		// The link key is loaded before any copy is built, so this does not
		// happen; a copy without a pixel is the safe outcome anyway.
		s.log.Warn("open pixel", "campaign", campaignID, "err", err)
		return htmlPart
	}
	img := `<img src="` + html.EscapeString(u) + `" width="1" height="1" alt="">`
	i := strings.LastIndex(htmlPart, "</body>")
	if i < 0 {
		return htmlPart + img
	}
	return htmlPart[:i] + img + htmlPart[i:]
}

// RecordOpen records the first open of a campaign by a subscriber from a
// pixel token. With tracking off it records nothing and returns nil. A token
// that does not verify, or whose subscriber was not a recipient of the
// campaign, gives errs.ErrNotFound. Repeated opens change nothing.
func (s *Service) RecordOpen(ctx context.Context, token string) error {
	if !s.o.Tracking {
		return nil
	}
	// The token version is not checked: an open of a message sent before
	// the subscriber's links were renewed is still an open of it.
	sid, _, extra, err := s.Verify(ctx, PurposeOpen, token)
	if err != nil {
		return err
	}
	cid, err := strconv.ParseInt(strings.TrimPrefix(extra, "c"), 10, 64)
	if err != nil || !strings.HasPrefix(extra, "c") || cid <= 0 {
		return errs.ErrNotFound
	}
	// Mail programs load the image every time the message is shown: look
	// first, so that repeats cost no write.
	var one int
	err = s.db.R.QueryRowContext(ctx, "SELECT 1 FROM campaign_opens WHERE campaign_id = $1 AND subscriber_id = $2", cid, sid).Scan(&one)
	if err == nil {
		return nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return db.Classify(fmt.Errorf("campaign open: %w", err))
	}
	res, err := s.db.W.ExecContext(ctx, `INSERT INTO campaign_opens (campaign_id, subscriber_id, first_at)
		SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM campaign_deliveries WHERE campaign_id = $1 AND subscriber_id = $2)
		ON CONFLICT DO NOTHING`, cid, sid, s.now())
	if err != nil {
		return db.Classify(fmt.Errorf("record campaign open: %w", err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// Either recorded meanwhile (fine) or not a recipient.
		err := s.db.R.QueryRowContext(ctx, "SELECT 1 FROM campaign_opens WHERE campaign_id = $1 AND subscriber_id = $2", cid, sid).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.ErrNotFound
		}
		if err != nil {
			return db.Classify(fmt.Errorf("campaign open: %w", err))
		}
	}
	return nil
}

// opens counts the subscribers who opened a campaign (at least once).
func (s *Service) opens(ctx context.Context, campaignID int64) (int, error) {
	var n int
	if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM campaign_opens WHERE campaign_id = $1", campaignID).Scan(&n); err != nil {
		return 0, db.Classify(fmt.Errorf("campaign opens: %w", err))
	}
	return n, nil
}

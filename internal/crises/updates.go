package crises

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"coalition/internal/errs"
)

// UpdateInput is a timeline entry as written by an editor.
type UpdateInput struct {
	HappenedOn time.Time // the date the entry is about
	Title      string
	Body       string // Markdown
	Publish    bool   // publish now (else keep as a draft)
}

func cleanUpdate(in UpdateInput) (UpdateInput, error) {
	var err error
	if in.HappenedOn.IsZero() {
		return in, errs.Invalid("date", "Enter the date of the update.")
	}
	if in.Title, err = oneLine("title", in.Title, 200, "a title"); err != nil {
		return in, err
	}
	if in.Body, err = cleanText("body", in.Body, 50000); err != nil {
		return in, err
	}
	y, m, d := in.HappenedOn.Date()
	in.HappenedOn = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return in, nil
}

// AddUpdate adds an entry to a crisis's timeline. When it is published (and
// the crisis is public), the crisis's "Updated:" date moves and, after the
// commit, the alert goes to the Notifier.
func (s *Service) AddUpdate(ctx context.Context, crisisID int64, in UpdateInput, createdBy int64) (Update, error) {
	in, err := cleanUpdate(in)
	if err != nil {
		return Update{}, err
	}
	var id int64
	var alert bool
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var published bool
		err := tx.QueryRowContext(ctx, "SELECT published FROM crises WHERE id = $1", crisisID).Scan(&published)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("crisis %d: %w", crisisID, err)
		}
		now := s.now()
		var by any
		if createdBy != 0 {
			by = createdBy
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO crisis_updates (crisis_id, happened_on, title, body, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, crisisID, in.HappenedOn, in.Title, in.Body, by, now).Scan(&id)
		if err != nil {
			return fmt.Errorf("add update: %w", err)
		}
		if in.Publish {
			alert, err = s.publishTx(ctx, tx, crisisID, id, published)
			return err
		}
		return nil
	})
	if err != nil {
		return Update{}, err
	}
	if alert {
		s.alert(ctx, id)
	}
	return s.getUpdate(ctx, crisisID, id)
}

// publishTx marks an update published and moves the crisis's date. Updates
// of a crisis that is not public are marked as alerted: no one is told of a
// draft, and publishing the crisis later does not send old news.
func (s *Service) publishTx(ctx context.Context, tx *sql.Tx, crisisID, id int64, crisisPublic bool) (bool, error) {
	now := s.now()
	var alerted any
	if !crisisPublic {
		alerted = now
	}
	if _, err := tx.ExecContext(ctx, "UPDATE crisis_updates SET published_at = $1, alerted_at = $2, updated_at = $1 WHERE id = $3", now, alerted, id); err != nil {
		return false, fmt.Errorf("publish update %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE crises SET updated_at = $1 WHERE id = $2", now, crisisID); err != nil {
		return false, fmt.Errorf("publish update %d: %w", id, err)
	}
	return crisisPublic, nil
}

// EditUpdate changes a timeline entry (publishing it if asked; an already
// published entry stays published and is not alerted again).
func (s *Service) EditUpdate(ctx context.Context, crisisID, id int64, in UpdateInput) error {
	in, err := cleanUpdate(in)
	if err != nil {
		return err
	}
	var alert bool
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var published bool
		var pubAt sql.NullTime
		err := tx.QueryRowContext(ctx, `SELECT c.published, u.published_at FROM crisis_updates u JOIN crises c ON c.id = u.crisis_id
			WHERE u.id = $1 AND u.crisis_id = $2`, id, crisisID).Scan(&published, &pubAt)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("update %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE crisis_updates SET happened_on = $1, title = $2, body = $3, updated_at = $4 WHERE id = $5",
			in.HappenedOn, in.Title, in.Body, s.now(), id); err != nil {
			return fmt.Errorf("update %d: %w", id, err)
		}
		if in.Publish && !pubAt.Valid {
			alert, err = s.publishTx(ctx, tx, crisisID, id, published)
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	if alert {
		s.alert(ctx, id)
	}
	return nil
}

// DeleteUpdate removes a timeline entry.
func (s *Service) DeleteUpdate(ctx context.Context, crisisID, id int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM crisis_updates WHERE id = $1 AND crisis_id = $2", id, crisisID)
		if err != nil {
			return fmt.Errorf("delete update %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ErrNotFound
		}
		return nil
	})
}

func (s *Service) getUpdate(ctx context.Context, crisisID, id int64) (Update, error) {
	u, err := scanUpdate(s.db.R.QueryRowContext(ctx, "SELECT "+updateCols+" FROM crisis_updates WHERE id = $1 AND crisis_id = $2", id, crisisID))
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		err = fmt.Errorf("update %d: %w", id, err)
	}
	return u, err
}

// alertWindow is how far back the retry loop looks for updates whose alert
// did not go out: older news is not worth an alert any more.
const alertWindow = 72 * time.Hour

// alert hands one published update to the Notifier. The update is claimed
// first (alerted_at set in one UPDATE, so that two app instances never both
// send it) and released again if the Notifier fails, for RetryAlerts. With
// no Notifier there is nothing to send, and the update is simply marked.
func (s *Service) alert(ctx context.Context, id int64) {
	if err := s.alertOne(ctx, id); err != nil {
		s.log.Error("crisis update alert", "update", id, "err", err)
	}
}

func (s *Service) alertOne(ctx context.Context, id int64) error {
	now := s.now()
	res, err := s.db.W.ExecContext(ctx, "UPDATE crisis_updates SET alerted_at = $1 WHERE id = $2 AND alerted_at IS NULL AND published_at IS NOT NULL", now, id)
	if err != nil {
		return fmt.Errorf("claim alert: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 || s.Notifier == nil {
		return nil
	}
	item, err := s.alertItem(ctx, id)
	if err == nil {
		err = s.Notifier.Notify(ctx, item)
	}
	if err != nil {
		if _, rerr := s.db.W.ExecContext(context.WithoutCancel(ctx), "UPDATE crisis_updates SET alerted_at = NULL WHERE id = $1", id); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// alertItem builds the alert for an update: tagged with the crisis, its
// countries and their sub-regions and regions.
func (s *Service) alertItem(ctx context.Context, id int64) (AlertItem, error) {
	var u Update
	var crisisID, tagID int64
	var title, sl string
	err := s.db.R.QueryRowContext(ctx, `SELECT u.id, u.title, u.body, u.published_at, c.id, c.title, c.slug, COALESCE(c.tag_id, 0)
		FROM crisis_updates u JOIN crises c ON c.id = u.crisis_id WHERE u.id = $1`, id).
		Scan(&u.ID, &u.Title, &u.Body, &u.PublishedAt, &crisisID, &title, &sl, &tagID)
	if err != nil {
		return AlertItem{}, fmt.Errorf("update %d: %w", id, err)
	}
	tags, err := s.places.ItemTags(ctx, "crisis", []int64{crisisID})
	if err != nil {
		return AlertItem{}, err
	}
	seen := map[int64]bool{}
	var ids []int64
	add := func(id int64) {
		if id != 0 && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	add(tagID)
	for _, t := range tags[crisisID] {
		add(t.ID)
		for p := t.ParentID; p != 0; {
			add(p)
			pt, err := s.places.ByID(ctx, p)
			if err != nil {
				return AlertItem{}, fmt.Errorf("parent tag %d: %w", p, err)
			}
			p = pt.ParentID
		}
	}
	return AlertItem{
		Type:        "crisis-update",
		ID:          u.ID,
		Title:       title + ": " + u.Title,
		URL:         s.baseURL + "/crises/" + sl + "#update-" + strconv.FormatInt(u.ID, 10),
		Summary:     summarise(u.Body, 300),
		TagIDs:      ids,
		PublishedAt: u.PublishedAt,
	}, nil
}

// summarise makes a plain-text summary of Markdown: markup characters
// dropped, whitespace folded, cut at a word boundary.
func summarise(md string, max int) string {
	r := strings.NewReplacer("**", "", "__", "", "`", "", "#", "", "> ", "", "* ", "", "- ", "")
	t := strings.Join(strings.Fields(r.Replace(md)), " ")
	if len([]rune(t)) <= max {
		return t
	}
	rs := []rune(t)[:max]
	if i := strings.LastIndexByte(string(rs), ' '); i > max/2 {
		return string(rs)[:i] + " …"
	}
	return string(rs) + " …"
}

// RetryAlerts sends the alerts of recently published updates that did not
// go out (the Notifier failed, or the process stopped in between).
func (s *Service) RetryAlerts(ctx context.Context) error {
	rows, err := s.db.R.QueryContext(ctx, `SELECT u.id FROM crisis_updates u JOIN crises c ON c.id = u.crisis_id
		WHERE u.alerted_at IS NULL AND u.published_at IS NOT NULL AND u.published_at > $1 AND c.published = TRUE ORDER BY u.id`,
		s.now().Add(-alertWindow))
	if err != nil {
		return fmt.Errorf("pending alerts: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("pending alerts: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("pending alerts: %w", err)
	}
	var errsOut []error
	for _, id := range ids {
		if err := s.alertOne(ctx, id); err != nil {
			errsOut = append(errsOut, fmt.Errorf("update %d: %w", id, err))
		}
	}
	return errors.Join(errsOut...)
}

// Run retries pending alerts every few minutes until ctx ends (a worker).
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(3 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.RetryAlerts(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("crisis alerts", "err", err)
		}
	}
}

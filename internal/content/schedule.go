package content

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// PublishDue publishes every scheduled article whose time has come and
// returns their ids. The flip is one conditional UPDATE, so that with
// several app instances (PostgreSQL) each article is published — and its
// publish hooks run — exactly once: a second instance's UPDATE finds the
// rows no longer 'scheduled'. The hooks run in the same transaction.
func (s *Service) PublishDue(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		ids = ids[:0]
		now := s.now()
		rows, err := tx.QueryContext(ctx, `UPDATE articles SET status = 'published', updated_at = $1,
			first_published_at = COALESCE(first_published_at, $1)
			WHERE status = 'scheduled' AND publish_at <= $1 RETURNING id`, now)
		if err != nil {
			return fmt.Errorf("publish due articles: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("publish due articles: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("publish due articles: %w", err)
		}
		for _, id := range ids {
			if err := s.runPublishHooks(ctx, tx, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.changed(ctx, ids...)
	return ids, nil
}

// runPublishHooks calls every publish hook for article id inside tx.
func (s *Service) runPublishHooks(ctx context.Context, tx *sql.Tx, id int64) error {
	hooks := s.publishHooks()
	if len(hooks) == 0 {
		return nil
	}
	a, err := scanArticle(tx.QueryRowContext(ctx, "SELECT "+articleCols+articleFrom+" WHERE a.id = $1", id))
	if err != nil {
		return fmt.Errorf("read published article %d: %w", id, err)
	}
	for _, h := range hooks {
		if err := h(ctx, tx, a); err != nil {
			return fmt.Errorf("publish hook for article %d: %w", id, err)
		}
	}
	return nil
}

// nextDue returns when the next scheduled article is due (zero if none).
func (s *Service) nextDue(ctx context.Context) (time.Time, error) {
	var t sql.NullTime
	err := s.db.R.QueryRowContext(ctx, "SELECT publish_at FROM articles WHERE status = 'scheduled' ORDER BY publish_at LIMIT 1").Scan(&t)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !t.Valid {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("next scheduled article: %w", err)
	}
	return t.Time.UTC(), nil
}

// Kick wakes the scheduler (after an article is scheduled, or in tests
// after moving the clock).
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run is the scheduler: it publishes due articles, then sleeps until the
// next one is due (at most 30 seconds, so that articles scheduled by another
// instance are not missed for long), or until kicked. It also clears old
// counters of the e-mail tool once an hour.
func (s *Service) Run(ctx context.Context, log *slog.Logger) {
	lastPurge := time.Time{}
	for {
		failed := false
		if ids, err := s.PublishDue(ctx); err != nil && ctx.Err() == nil {
			log.Error("publish scheduled articles", "err", err)
			failed = true
		} else if len(ids) > 0 {
			log.Info("published scheduled articles", "ids", fmt.Sprint(ids))
		}
		if time.Since(lastPurge) > time.Hour {
			if err := s.PurgeShares(ctx); err != nil && ctx.Err() == nil {
				log.Warn("purge e-mail tool counters", "err", err)
			}
			lastPurge = time.Now()
		}
		wait := 30 * time.Second
		if next, err := s.nextDue(ctx); err != nil && ctx.Err() == nil {
			log.Warn("scheduler", "err", err)
		} else if !next.IsZero() && !failed {
			// Sleep until the next one is due by the service's clock.
			wait = min(wait, max(next.Sub(s.now()), 200*time.Millisecond))
		} else if failed {
			wait = 10 * time.Second // a failing hook is retried, not spun on
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-s.kick:
			t.Stop()
		}
	}
}

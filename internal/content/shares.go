package content

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// CountShare records one e-mail of an article to a recipient today, inside
// the caller's transaction (which also queues the message), and reports
// false when the recipient has had limit already today. recipient is a keyed
// hash of the address: the table never holds addresses. The check and the
// increment are one statement, so the cap holds across app instances.
func (s *Service) CountShare(ctx context.Context, tx *sql.Tx, recipient string, limit int) (bool, error) {
	day := s.now().Format("2006-01-02")
	var n int
	err := tx.QueryRowContext(ctx, `INSERT INTO article_shares (recipient, day, count) VALUES ($1, $2, 1)
		ON CONFLICT (recipient, day) DO UPDATE SET count = article_shares.count + 1 WHERE article_shares.count < $3
		RETURNING count`, recipient, day, limit).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("count e-mailed article: %w", err)
	}
	return n <= limit, nil
}

// PurgeShares forgets counters older than yesterday.
func (s *Service) PurgeShares(ctx context.Context) error {
	_, err := s.db.W.ExecContext(ctx, "DELETE FROM article_shares WHERE day < $1", s.now().AddDate(0, 0, -1).Format("2006-01-02"))
	if err != nil {
		return fmt.Errorf("purge article_shares: %w", err)
	}
	return nil
}

package library

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"coalition/internal/search"
)

// A claim older than this belongs to a worker that died; the document is
// offered again, up to maxAttempts times.
const (
	claimTimeout = 10 * time.Minute
	maxAttempts  = 3
)

// Kick wakes the extraction worker.
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run extracts text from pending documents until ctx ends. State lives in
// the documents table, so a restart picks up where the last run stopped.
func (s *Service) Run(ctx context.Context) {
	if s.extractor.PDFToText == "" {
		s.log.Warn("pdftotext is not installed: PDF text will not be extracted (Debian: apt-get install poppler-utils)")
	}
	if err := s.files.SweepTemp(); err != nil {
		s.log.Warn("sweep uploads", "err", err)
	}
	// Derived region tags follow the embedded M49 data, which a new version
	// may change: recompute them once per start (cheap, and self-healing).
	if err := s.index.Reexpand(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("recompute search regions", "err", err)
	}
	if n, err := s.SweepOrphans(ctx); err != nil {
		s.log.Warn("sweep files", "err", err)
	} else if n > 0 {
		s.log.Info("removed files no document refers to", "count", n)
	}
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		for {
			did, err := s.ExtractNext(ctx)
			if err != nil && ctx.Err() == nil {
				s.log.Error("extraction", "err", err)
			}
			if !did || err != nil || ctx.Err() != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-t.C:
		}
	}
}

// ExtractNext claims one pending document and extracts its text. It reports
// whether there was one.
func (s *Service) ExtractNext(ctx context.Context) (bool, error) {
	now := s.now()
	var id int64
	var sum, format string
	var attempts int
	err := s.db.W.QueryRowContext(ctx, `UPDATE documents SET extract_state = 'running', extract_claimed_at = $1, extract_attempts = extract_attempts + 1
		WHERE id = (SELECT id FROM documents WHERE extract_state = 'pending' OR (extract_state = 'running' AND extract_claimed_at < $2)
			ORDER BY id LIMIT 1`+s.db.SkipLocked()+`)
		RETURNING id, checksum, file_format, extract_attempts`, now, now.Add(-claimTimeout)).Scan(&id, &sum, &format, &attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim extraction: %w", err)
	}
	var text, state, reason string
	if attempts > maxAttempts {
		state, reason = StateFailed, "Reading the text was interrupted several times (the file may crash the reader): no text extracted."
	} else {
		start := time.Now()
		text, err = s.extractor.Extract(ctx, s.files.Path(sum), format)
		if ctx.Err() != nil {
			// Shutting down: leave the claim; the next start retries it.
			return false, nil
		}
		var ee *ExtractError
		switch {
		case errors.As(err, &ee):
			state, reason = StateFailed, ee.Reason
		case err != nil:
			s.log.Error("extract", "document", id, "err", err)
			state, reason = StateFailed, "The text could not be read because of a server problem; try “Extract again”."
		case text == "":
			state, reason = StateEmpty, "No text was found in the file (a scanned document without a text layer?)."
		default:
			state = StateDone
		}
		s.log.Info("extracted", "document", id, "format", format, "state", state, "chars", len(text), "ms", time.Since(start).Milliseconds())
	}
	return true, s.finish(ctx, id, sum, state, reason, text)
}

// finish stores an extraction's outcome if the document still has the same
// file and is still claimed, and reindexes it.
func (s *Service) finish(ctx context.Context, id int64, sum, state, reason, text string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE documents SET extract_state = $1, extract_error = $2, body = $3
			WHERE id = $4 AND checksum = $5 AND extract_state = 'running'`, state, reason, search.Clean(text), id, sum)
		if err != nil {
			return fmt.Errorf("save extraction of %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // deleted or replaced meanwhile
		}
		return s.putIndex(ctx, tx, id)
	})
}

// SweepOrphans removes stored files that no document refers to (left by a
// crash between storing a file and committing its document).
func (s *Service) SweepOrphans(ctx context.Context) (int, error) {
	sums, err := s.files.Checksums()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, sum := range sums {
		var c int
		if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM documents WHERE checksum = $1", sum).Scan(&c); err != nil {
			return n, fmt.Errorf("sweep files: %w", err)
		}
		if c == 0 {
			if err := s.files.Remove(sum); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

package content

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"coalition/internal/errs"
)

// Revision is one saved version of an article or page.
type Revision struct {
	ID         int64
	ArticleID  int64
	Number     int
	CreatedAt  time.Time
	EditorID   int64
	EditorName string
	Note       string
	Title      string
	Slug       string
	Summary    string
	Body       string
	CoverID    int64
	CoverAlt   string
	Status     Status
}

const revisionCols = `id, article_id, number, created_at, COALESCE(editor_id, 0), editor_name, note, title, slug, summary, body,
	COALESCE(cover_id, 0), cover_alt, status`

func scanRevision(row interface{ Scan(...any) error }) (Revision, error) {
	var r Revision
	err := row.Scan(&r.ID, &r.ArticleID, &r.Number, &r.CreatedAt, &r.EditorID, &r.EditorName, &r.Note, &r.Title, &r.Slug,
		&r.Summary, &r.Body, &r.CoverID, &r.CoverAlt, &r.Status)
	if errors.Is(err, sql.ErrNoRows) {
		return r, errs.ErrNotFound
	}
	r.CreatedAt = r.CreatedAt.UTC()
	return r, err
}

// Revisions lists an article's revisions, newest first (bodies included).
func (s *Service) Revisions(ctx context.Context, articleID int64) ([]Revision, error) {
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+revisionCols+" FROM article_revisions WHERE article_id = $1 ORDER BY number DESC", articleID)
	if err != nil {
		return nil, fmt.Errorf("revisions of %d: %w", articleID, err)
	}
	defer rows.Close()
	var out []Revision
	for rows.Next() {
		r, err := scanRevision(rows)
		if err != nil {
			return nil, fmt.Errorf("revisions of %d: %w", articleID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Revision returns revision number n of an article.
func (s *Service) Revision(ctx context.Context, articleID int64, n int) (Revision, error) {
	r, err := scanRevision(s.db.R.QueryRowContext(ctx, "SELECT "+revisionCols+" FROM article_revisions WHERE article_id = $1 AND number = $2", articleID, n))
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		return r, fmt.Errorf("revision %d of %d: %w", n, articleID, err)
	}
	return r, err
}

// Restore brings back the text of revision n — title, summary, body and
// cover — as a new revision. Status, address, date and tags stay as they
// are now: restoring old words must not unpublish or move an article.
func (s *Service) Restore(ctx context.Context, articleID int64, n int, ed Editor, reserved func(string) bool) (Article, error) {
	r, err := s.Revision(ctx, articleID, n)
	if err != nil {
		return Article{}, err
	}
	a, err := s.ByID(ctx, articleID)
	if err != nil {
		return Article{}, err
	}
	in := a.Input()
	in.Title, in.Summary, in.Body, in.CoverAlt = r.Title, r.Summary, r.Body, r.CoverAlt
	in.CoverID = r.CoverID
	if in.CoverID != 0 {
		var one int
		if err := s.db.R.QueryRowContext(ctx, "SELECT 1 FROM media WHERE id = $1", in.CoverID).Scan(&one); err != nil {
			in.CoverID, in.CoverAlt = 0, "" // the image has since been deleted
		}
	}
	in.Editor = ed
	in.BaseRevision = a.Revision
	in.Note = fmt.Sprintf("Restored revision %d", n)
	return s.Update(ctx, articleID, in, reserved)
}

// Input returns the article as an editor's input (for forms and restores).
func (a Article) Input() Input {
	return Input{
		Kind: a.Kind, CategoryID: a.CategoryID, Title: a.Title, Slug: a.Slug, Summary: a.Summary, Body: a.Body,
		AuthorName: a.AuthorName, CoverID: a.CoverID, CoverAlt: a.CoverAlt, Status: a.Status, Visibility: a.Visibility,
		PublishAt: a.PublishAt, TagIDs: a.TagIDs(), BaseRevision: a.Revision,
	}
}

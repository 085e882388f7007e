package content

import (
	"context"
	"time"

	"coalition/internal/render"
)

// IndexEntry is what a search index needs to know about one article or page.
type IndexEntry struct {
	ID          int64
	Kind        Kind
	Title       string
	Summary     string
	Text        string // the body as plain text
	PublishedAt time.Time
	Live        bool       // published; index only live entries
	Visibility  Visibility // members-only entries must be filtered for visitors
	TagIDs      []int64
	URL         string // path on the site, e.g. /articles/slug
}

// IndexEntry returns the search-index view of an article (ErrNotFound once
// it is deleted, which tells the index to drop it).
func (s *Service) IndexEntry(ctx context.Context, id int64) (IndexEntry, error) {
	a, err := s.ByID(ctx, id)
	if err != nil {
		return IndexEntry{}, err
	}
	doc, err := render.Markdown(a.Body, render.Options{})
	if err != nil {
		return IndexEntry{}, err
	}
	return IndexEntry{
		ID: a.ID, Kind: a.Kind, Title: a.Title, Summary: a.Summary, Text: doc.Text, PublishedAt: a.PublishAt,
		Live: a.Live(), Visibility: a.Visibility, TagIDs: a.TagIDs(), URL: a.Path(),
	}, nil
}

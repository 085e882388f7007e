// Package content holds what the coalition publishes: categories, articles
// (news, statements, appeals, newsletters, blog posts) and stand-alone pages,
// with their revisions, old slugs (which keep redirecting), tags, and the
// scheduler that publishes articles at their time with nobody present.
//
// Articles and pages share one table and one editor, told apart by Kind: a
// page has no category, date or feed and lives at /<slug>; an article lives
// at /articles/<slug>.
package content

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"coalition/internal/db"
	"coalition/internal/places"
)

// Kind tells articles from pages.
type Kind string

// The kinds of content.
const (
	KindArticle Kind = "article"
	KindPage    Kind = "page"
)

// ParseKind validates a kind name.
func ParseKind(s string) (Kind, bool) {
	switch k := Kind(s); k {
	case KindArticle, KindPage:
		return k, true
	}
	return "", false
}

// Status is where an article is in its life.
type Status string

// The statuses. Members-only is not a status but a Visibility, so that a
// members' briefing can be drafted and scheduled like anything else.
const (
	StatusDraft     Status = "draft"
	StatusScheduled Status = "scheduled"
	StatusPublished Status = "published"
)

// Visibility says who may read a published article.
type Visibility string

// The visibilities.
const (
	Public  Visibility = "public"
	Members Visibility = "members" // signed-in members of an organisation, and staff
)

// Article is an article or a page.
type Article struct {
	ID           int64
	Kind         Kind
	CategoryID   int64
	CategorySlug string
	CategoryName string
	CategoryTOC  bool // the category asks for an "In this issue" contents list
	Slug         string
	Title        string
	Summary      string
	Body         string // Markdown
	AuthorID     int64
	AuthorName   string
	CoverID      int64
	CoverAlt     string
	Status       Status
	Visibility   Visibility
	// PublishAt is the date shown; for a scheduled article, when it goes live.
	PublishAt        time.Time
	FirstPublishedAt time.Time
	Revision         int // number of the current revision
	CreatedAt        time.Time
	UpdatedAt        time.Time
	Tags             []places.Tag // filled by the listing and lookup methods
}

// Path is the article's address on the site.
func (a Article) Path() string {
	if a.Kind == KindPage {
		return "/" + a.Slug
	}
	return "/articles/" + a.Slug
}

// Live reports whether readers can see the article (subject to Visibility).
func (a Article) Live() bool { return a.Status == StatusPublished }

// MembersOnly reports whether only members and staff may read it.
func (a Article) MembersOnly() bool { return a.Visibility == Members }

// TagIDs returns the ids of the article's tags.
func (a Article) TagIDs() []int64 {
	out := make([]int64, 0, len(a.Tags))
	for _, t := range a.Tags {
		out = append(out, t.ID)
	}
	return out
}

// TagsOf returns the article's tags of one kind.
func (a Article) TagsOf(k places.Kind) []places.Tag {
	var out []places.Tag
	for _, t := range a.Tags {
		if t.Kind == k {
			out = append(out, t)
		}
	}
	return out
}

// PublishHook runs inside the transaction that publishes an article, once
// per transition into "published" (by the scheduler or by an editor). A
// hook that writes only through tx (queueing a campaign, say) therefore
// happens exactly once, even with several app instances; a hook error rolls
// the publication back, to be tried again.
type PublishHook func(ctx context.Context, tx *sql.Tx, a Article) error

// Service stores and publishes content.
type Service struct {
	db     *db.DB
	places *places.Service
	now    func() time.Time
	kick   chan struct{}

	mu       sync.Mutex
	onPub    []PublishHook
	onChange []func(ctx context.Context, id int64)
}

// NewService returns a Service over d; now is the clock.
func NewService(d *db.DB, p *places.Service, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: d, places: p, now: func() time.Time { return now().UTC() }, kick: make(chan struct{}, 1)}
}

// OnPublish registers a hook for "just published" (see PublishHook).
func (s *Service) OnPublish(h PublishHook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onPub = append(s.onPub, h)
}

// OnChange registers a function called after any article or page is saved,
// published or deleted (after the commit; a search index listens here).
func (s *Service) OnChange(f func(ctx context.Context, id int64)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onChange = append(s.onChange, f)
}

func (s *Service) publishHooks() []PublishHook {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]PublishHook(nil), s.onPub...)
}

func (s *Service) changed(ctx context.Context, ids ...int64) {
	s.mu.Lock()
	fs := append([]func(context.Context, int64){}, s.onChange...)
	s.mu.Unlock()
	for _, id := range ids {
		for _, f := range fs {
			f(ctx, id)
		}
	}
}

// Now is the service's clock (UTC).
func (s *Service) Now() time.Time { return s.now() }

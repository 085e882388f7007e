package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"coalition/internal/content"
	"coalition/internal/errs"
	"coalition/internal/media"
	"coalition/internal/places"
	"coalition/internal/render"
)

// articlePage is an article, a page, or an editor's preview of either.
type articlePage struct {
	Base
	A        content.Article
	Body     template.HTML
	Summary  template.HTML
	TOC      []render.TOCEntry
	Minutes  int
	Cover    media.Image
	HasCover bool
	Related  []articleCard
	Regions  []places.Tag // regions, sub-regions and groupings
	Places   []places.Tag // countries
	Topics   []places.Tag // themes and crises
	// Locked: members-only and the reader may not see it; only the title,
	// summary and a sign-in prompt are shown.
	Locked   bool
	SignedIn bool
	// Preview: an editor's view of an unpublished version.
	Preview   bool
	EditURL   string
	CanEmail  bool
	OGImage   string
	Published string // ISO 8601, for article:published_time
	Modified  string
}

// loadArticle finds the article or page at slug for the reader, answering
// the request itself (redirect for an old slug, 404) when it cannot be shown.
// suffix is appended to a redirect ("/print", ".pdf").
func (s *Server) loadArticle(w http.ResponseWriter, r *http.Request, kind content.Kind, slug, suffix string) (content.Article, bool) {
	ctx := r.Context()
	if lower := strings.ToLower(slug); lower != slug && len(slug) <= 120 {
		http.Redirect(w, r, content.Article{Kind: kind, Slug: lower}.Path()+suffix, http.StatusMovedPermanently)
		return content.Article{}, false
	}
	visitor := userFrom(ctx) == nil
	if visitor {
		if a, ok := s.liveArticles.get(kind, slug); ok {
			return a, true
		}
	}
	a, err := s.Content.BySlug(ctx, kind, slug)
	if err == nil && visitor && a.Live() {
		s.liveArticles.put(kind, slug, a)
	}
	if errors.Is(err, errs.ErrNotFound) {
		cur, merr := s.Content.Moved(ctx, kind, slug)
		if merr == nil {
			target := content.Article{Kind: kind, Slug: cur}.Path() + suffix
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, target, http.StatusMovedPermanently)
			return a, false
		}
		if !errors.Is(merr, errs.ErrNotFound) {
			s.fail(w, r, merr)
			return a, false
		}
		s.notFound(w, r)
		return a, false
	}
	if err != nil {
		s.fail(w, r, err)
		return a, false
	}
	if !a.Live() && !userFrom(ctx).IsStaff() {
		s.notFound(w, r) // drafts and scheduled articles do not exist for readers
		return a, false
	}
	return a, true
}

// article serves /articles/{slug}, and /articles/{slug}.pdf.
func (s *Server) article(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	if base, ok := strings.CutSuffix(slug, ".pdf"); ok {
		s.articlePDF(w, r, base)
		return
	}
	a, ok := s.loadArticle(w, r, content.KindArticle, slug, "")
	if !ok {
		return
	}
	s.showArticle(w, r, a, false)
}

// page serves a stand-alone page at /{slug}.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	if len(slug) > 120 || strings.ContainsAny(slug, ".") {
		s.notFound(w, r)
		return
	}
	a, ok := s.loadArticle(w, r, content.KindPage, slug, "")
	if !ok {
		return
	}
	s.showArticle(w, r, a, false)
}

func (s *Server) showArticle(w http.ResponseWriter, r *http.Request, a content.Article, preview bool) {
	if !s.cacheablePage(r, a, preview) {
		s.renderArticle(w, r, a, preview)
		return
	}
	// Visitors who are not signed in all get the same page: it is kept
	// for a short while, per revision (a new save shows at once).
	k := pageKey{id: a.ID, rev: a.Revision, lang: s.locale(r).Lang}
	if e, ok := s.cachedPage(k); ok {
		h := w.Header()
		h.Set("Content-Type", e.contentType)
		h.Set("Cache-Control", e.cacheControl)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(e.body) //nolint:errcheck // the client has gone
		return
	}
	rec := &captureWriter{header: http.Header{}}
	s.renderArticle(rec, r, a, preview)
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body.Bytes()) //nolint:errcheck // the client has gone
	if rec.status == http.StatusOK {
		s.storePage(k, pageEntry{body: rec.body.Bytes(), contentType: rec.header.Get("Content-Type"), cacheControl: rec.header.Get("Cache-Control")})
	}
}

func (s *Server) renderArticle(w http.ResponseWriter, r *http.Request, a content.Article, preview bool) {
	p, err := s.articlePageData(w, r, a, preview)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	privateIfRestricted(w, a)
	if preview {
		w.Header().Set("Cache-Control", "private, no-store")
	}
	tmpl := "pages/article"
	if a.Kind == content.KindPage {
		tmpl = "pages/page"
	}
	s.render(w, r, http.StatusOK, tmpl, p)
}

func (s *Server) articlePageData(w http.ResponseWriter, r *http.Request, a content.Article, preview bool) (*articlePage, error) {
	ctx := r.Context()
	u := userFrom(ctx)
	p := &articlePage{Base: s.base(w, r, a.Title), A: a, Summary: s.cloakText(a.Summary), Preview: preview || !a.Live(), SignedIn: u != nil}
	p.Description = render.UnlinkEmails(a.Summary)
	p.Canonical = s.absURL(a.Path())
	if a.Kind == content.KindArticle {
		p.Section = "news"
	}
	if u.IsStaff() {
		p.EditURL = "/admin/articles/" + strconv.FormatInt(a.ID, 10)
		if a.Kind == content.KindPage {
			p.EditURL = "/admin/pages/" + strconv.FormatInt(a.ID, 10)
		}
	}
	if p.Preview {
		p.NoIndex = true
	}
	p.Locked = a.MembersOnly() && !memberReader(u)
	p.CanEmail = a.Live() && !a.MembersOnly() && a.Kind == content.KindArticle
	p.Cover, p.HasCover = s.cover(ctx, a)
	if p.HasCover {
		p.OGImage = s.absURL(p.Cover.URL(p.Cover.Fit(1600)))
	}
	if !a.PublishAt.IsZero() {
		p.Published = a.PublishAt.Format(time.RFC3339)
	}
	p.Modified = a.UpdatedAt.Format(time.RFC3339)
	for _, t := range a.Tags {
		switch t.Kind {
		case places.KindCountry:
			p.Places = append(p.Places, t)
		case places.KindTheme, places.KindCrisis:
			p.Topics = append(p.Topics, t)
		default:
			p.Regions = append(p.Regions, t)
		}
	}
	if a.Kind == content.KindArticle {
		p.Feeds = []FeedLink{{Title: p.Site.OrgName, URL: "/feed.atom"}}
		if a.CategorySlug != "" {
			p.Feeds = append(p.Feeds, FeedLink{Title: p.Site.OrgName + " — " + a.CategoryName, URL: "/category/" + a.CategorySlug + "/feed.atom"})
		}
	}
	if !p.Locked {
		doc, err := s.articleDoc(ctx, a)
		if err != nil {
			return nil, err
		}
		p.Body, p.Minutes = doc.HTML, doc.ReadingMinutes()
		if a.CategoryTOC && len(doc.Headings) >= 2 {
			p.TOC = render.TOC(doc.Headings)
		}
	}
	if a.Kind == content.KindArticle && !preview {
		rel, err := s.relatedCards(ctx, a, memberReader(u))
		if err != nil {
			return nil, err
		}
		p.Related = rel
	}
	return p, nil
}

// articlePrint serves /articles/{slug}/print: the article alone, laid out
// for paper, opening the print dialog when JavaScript is on.
func (s *Server) articlePrint(w http.ResponseWriter, r *http.Request) {
	a, ok := s.loadArticle(w, r, content.KindArticle, r.PathValue("slug"), "/print")
	if !ok {
		return
	}
	p, err := s.articlePageData(w, r, a, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if p.Locked {
		http.Redirect(w, r, a.Path(), http.StatusSeeOther)
		return
	}
	p.NoIndex = true
	privateIfRestricted(w, a)
	s.render(w, r, http.StatusOK, "pages/article_print", p)
}

// listingPage is a paginated list of articles: news, a category, a tag, a year.
type listingPage struct {
	Base
	Heading  string
	Intro    string
	Kicker   string
	Cards    []articleCard
	Pager    Pager
	FeedURL  string
	Years    []content.YearCount
	Year     int
	Category content.Category
	Empty    string
}

const perPage = 12

func (s *Server) listing(w http.ResponseWriter, r *http.Request, p *listingPage, f content.Filter) {
	ctx := r.Context()
	pg := pageParam(r)
	f.Kind, f.Live, f.Members = content.KindArticle, true, true // members-only articles are listed (with a badge) to everyone
	f.Limit, f.Offset = perPage, (pg-1)*perPage
	as, total, err := s.Content.List(ctx, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Pager = s.newPager(r, pg, perPage, total)
	if pg > 1 && pg > p.Pager.Pages {
		s.notFound(w, r)
		return
	}
	if pg > 1 {
		p.Canonical += "?page=" + strconv.Itoa(pg)
		p.Title += " · " + s.t(r, "page %d", pg)
	}
	p.Cards = s.cards(ctx, as)
	p.Section = "news"
	feeds := []FeedLink{{Title: p.Site.OrgName, URL: "/feed.atom"}}
	if p.FeedURL != "" && p.FeedURL != "/feed.atom" {
		feeds = append(feeds, FeedLink{Title: p.Site.OrgName + " — " + p.Heading, URL: p.FeedURL})
	}
	p.Feeds = feeds
	s.render(w, r, http.StatusOK, "pages/article_list", p)
}

// news serves /news: every published article.
func (s *Server) news(w http.ResponseWriter, r *http.Request) {
	p := &listingPage{Base: s.base(w, r, s.t(r, "News and publications")), FeedURL: "/feed.atom"}
	p.Heading = p.Title
	p.Description = s.t(r, "News, statements, appeals, newsletters and blog posts from %s.", p.Site.OrgName)
	p.Intro = p.Description
	years, err := s.Content.Years(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Years = years
	p.Empty = s.t(r, "Nothing has been published yet.")
	s.listing(w, r, p, content.Filter{})
}

// category serves /category/{slug}.
func (s *Server) category(w http.ResponseWriter, r *http.Request) {
	c, err := s.Content.CategoryBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &listingPage{Base: s.base(w, r, c.Name), Heading: c.Name, Intro: c.Description, Category: c, FeedURL: c.Path() + "/feed.atom"}
	p.Kicker = s.t(r, "Category")
	p.Description = c.Description
	p.Empty = s.t(r, "Nothing has been published in this category yet.")
	s.listing(w, r, p, content.Filter{CategoryID: c.ID})
}

// tagLookupOrder is the order in which /tag/{slug} looks through the kinds
// of tag (slugs are unique per kind only).
var tagLookupOrder = []places.Kind{places.KindTheme, places.KindCrisis, places.KindGrouping, places.KindCountry, places.KindRegion, places.KindSubregion}

func (s *Server) findTag(ctx context.Context, slug string) (places.Tag, error) {
	if len(slug) > 120 {
		return places.Tag{}, errs.ErrNotFound
	}
	for _, k := range tagLookupOrder {
		t, err := s.Places.Get(ctx, k, slug)
		if err == nil {
			return t, nil
		}
		if !errors.Is(err, errs.ErrNotFound) {
			return t, err
		}
	}
	return places.Tag{}, errs.ErrNotFound
}

func (s *Server) tagKindLabel(r *http.Request, k places.Kind) string {
	switch k {
	case places.KindTheme:
		return s.t(r, "Theme")
	case places.KindCrisis:
		return s.t(r, "Crisis")
	case places.KindCountry:
		return s.t(r, "Country")
	default:
		return s.t(r, "Region")
	}
}

// tag serves /tag/{slug}: articles filed under a theme, crisis, country or
// region (a region includes its countries).
func (s *Server) tag(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, err := s.findTag(ctx, r.PathValue("slug"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ids, err := s.Content.ExpandTag(ctx, t)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &listingPage{Base: s.base(w, r, t.Name), Heading: t.Name, Kicker: s.tagKindLabel(r, t.Kind), FeedURL: "/tag/" + t.Slug + "/feed.atom"}
	p.Description = s.t(r, "Articles about %s.", t.Name)
	p.Empty = s.t(r, "Nothing has been published about %s yet.", t.Name)
	s.listing(w, r, p, content.Filter{TagIDs: ids})
}

// archive serves /archive/{year}.
func (s *Server) archive(w http.ResponseWriter, r *http.Request) {
	y, err := strconv.Atoi(r.PathValue("year"))
	if err != nil || y < 1900 || y > 2200 {
		s.notFound(w, r)
		return
	}
	years, err := s.Content.Years(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &listingPage{Base: s.base(w, r, s.t(r, "Published in %d", y)), Year: y, Years: years, FeedURL: "/feed.atom"}
	p.Heading = p.Title
	p.Kicker = s.t(r, "Archive")
	p.Empty = s.t(r, "Nothing was published in %d.", y)
	from := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	s.listing(w, r, p, content.Filter{From: from, To: from.AddDate(1, 0, 0)})
}

// archiveIndex sends /archive to the latest year.
func (s *Server) archiveIndex(w http.ResponseWriter, r *http.Request) {
	years, err := s.Content.Years(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	y := s.Now().UTC().Year()
	if len(years) > 0 {
		y = years[0].Year
	}
	http.Redirect(w, r, "/archive/"+strconv.Itoa(y), http.StatusFound)
}

// mediaFile serves an uploaded image variant. Files never change once
// stored, so browsers may keep them for a year.
func (s *Server) mediaFile(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	wStr, ext, ok := strings.Cut(r.PathValue("file"), ".")
	width, err := strconv.Atoi(wStr)
	if !ok || err != nil {
		s.notFound(w, r)
		return
	}
	path, im, err := s.Media.File(r.Context(), id, width, ext)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ct := "image/jpeg"
	if im.Ext == "png" {
		ct = "image/png"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeFile(w, r, path)
}

// loginURL is the sign-in link that comes back to this page.
func loginURL(path string) string { return "/login?next=" + url.QueryEscape(path) }

// liveArticleTTL is how long a published article looked up for a visitor is
// reused: readers arrive in bursts on the same article, and with the page
// itself cached per revision the lookup was most of the cost. An edit or an
// unpublish shows within this time.
const liveArticleTTL = time.Second

// articleLookups remembers live articles by slug for visitors, briefly.
type articleLookups struct {
	mu sync.Mutex
	m  map[string]articleLookup
}

type articleLookup struct {
	a  content.Article
	at time.Time
}

func (c *articleLookups) get(kind content.Kind, slug string) (content.Article, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[string(kind)+"/"+slug]
	if !ok || time.Since(e.at) > liveArticleTTL {
		return content.Article{}, false
	}
	return e.a, true
}

func (c *articleLookups) put(kind content.Kind, slug string, a content.Article) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 10000 {
		c.m = map[string]articleLookup{} // bounded: a crawler cannot grow it without end
	}
	c.m[string(kind)+"/"+slug] = articleLookup{a: a, at: time.Now()}
}

// clear forgets every lookup (after any save on this instance).
func (c *articleLookups) clear() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}

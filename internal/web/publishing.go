package web

import (
	"bytes"
	"context"
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"

	"coalition/internal/accounts"
	"coalition/internal/content"
	"coalition/internal/media"
	"coalition/internal/places"
	"coalition/internal/render"

	"golang.org/x/text/unicode/norm"
)

// publishing holds what the article handlers share: rendered bodies cached
// per revision, the slugs the router owns (pages may not take them), and a
// name index for picking countries.
type publishing struct {
	mu       sync.Mutex
	docs     map[docKey]render.Document
	reserved map[string]bool

	related map[relatedKey]relatedEntry
	pages   map[pageKey]pageEntry

	countryOnce sync.Once
	countries   map[string]string // normalised name or code → ISO3
}

type relatedKey struct {
	id      int64
	members bool
}

type relatedEntry struct {
	cards   []articleCard
	expires time.Time
}

// relatedTTL is how long a list of related articles is reused: it changes
// only when other articles are published, and a minute late is fine.
const relatedTTL = time.Minute

// relatedCards returns the related articles of a, from a short-lived cache.
func (s *Server) relatedCards(ctx context.Context, a content.Article, members bool) ([]articleCard, error) {
	k := relatedKey{a.ID, members}
	now := time.Now()
	s.pub.mu.Lock()
	e, ok := s.pub.related[k]
	s.pub.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.cards, nil
	}
	rel, err := s.Content.Related(ctx, a, members, 3)
	if err != nil {
		return nil, err
	}
	cards := s.cards(ctx, rel)
	s.pub.mu.Lock()
	if len(s.pub.related) > 1000 {
		clear(s.pub.related)
	}
	s.pub.related[k] = relatedEntry{cards: cards, expires: now.Add(relatedTTL)}
	s.pub.mu.Unlock()
	return cards, nil
}

type pageKey struct {
	id   int64
	rev  int
	lang string
}

type pageEntry struct {
	body         []byte
	contentType  string
	cacheControl string
	expires      time.Time
}

// pageTTL bounds how stale a kept page can be in what does not change its
// revision (related articles, the organisation's settings).
const pageTTL = 30 * time.Second

// cacheablePage reports whether the page may be served from, and kept in,
// the page cache: live, not a preview, for a visitor who is not signed in
// and has no message waiting.
func (s *Server) cacheablePage(r *http.Request, a content.Article, preview bool) bool {
	if preview || !a.Live() || userFrom(r.Context()) != nil || r.Method != http.MethodGet {
		return false
	}
	if c, err := r.Cookie(flashCookie); err == nil && c.Value != "" {
		return false
	}
	return true
}

func (s *Server) cachedPage(k pageKey) (pageEntry, bool) {
	s.pub.mu.Lock()
	defer s.pub.mu.Unlock()
	e, ok := s.pub.pages[k]
	if !ok || time.Now().After(e.expires) {
		return pageEntry{}, false
	}
	return e, true
}

func (s *Server) storePage(k pageKey, e pageEntry) {
	e.expires = time.Now().Add(pageTTL)
	s.pub.mu.Lock()
	defer s.pub.mu.Unlock()
	if len(s.pub.pages) > 500 {
		clear(s.pub.pages)
	}
	s.pub.pages[k] = e
}

// captureWriter keeps a response in memory (to store a rendered page).
type captureWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *captureWriter) Header() http.Header { return c.header }

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}

func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.body.Write(b)
}

type docKey struct {
	id  int64
	rev int
}

// initPublishing sets up the publishing handlers' shared state and limits
// (called by New once the route table exists).
func (s *Server) initPublishing() {
	p := &publishing{docs: map[docKey]render.Document{}, reserved: map[string]bool{}, related: map[relatedKey]relatedEntry{}, pages: map[pageKey]pageEntry{}}
	for _, rt := range s.routeTab {
		seg, _, _ := strings.Cut(strings.TrimPrefix(rt.Path(), "/"), "/")
		if seg != "" && !strings.HasPrefix(seg, "{") {
			p.reserved[strings.ToLower(seg)] = true
		}
	}
	s.pub = p
	// The e-mail-an-article tool: a few per address and browser per hour.
	s.limits.setRule("share-ip", 10*time.Minute, 6)
	s.limits.setRule("share-session", 15*time.Minute, 4)
	s.limits.setRule("pdf", 200*time.Millisecond, 30)
}

// reservedSlug reports whether a page at /slug would collide with a route.
func (s *Server) reservedSlug(slug string) bool { return s.pub.reserved[slug] }

// memberReader reports whether u may read members-only articles: the same
// rule as the Member access level.
func memberReader(u *accounts.User) bool {
	return u.IsStaff() || u != nil && u.Role == accounts.RoleMember && u.OrganisationID != 0
}

// renderOptions are the server's hooks into the renderer: cloaked e-mail
// links and image sizes.
func (s *Server) renderOptions(ctx context.Context) render.Options {
	return render.Options{
		CloakURL: func(addr string) string { return "/contact/" + s.cloakToken(addr) },
		Image: func(src string) (render.Image, bool) {
			w, h, set, ok := s.Media.Lookup(ctx, src)
			if !ok {
				return render.Image{}, false
			}
			return render.Image{Width: w, Height: h, Srcset: set, Sizes: media.Sizes}, true
		},
	}
}

// articleDoc renders an article's body, cached per revision (a revision's
// text never changes).
func (s *Server) articleDoc(ctx context.Context, a content.Article) (render.Document, error) {
	k := docKey{a.ID, a.Revision}
	s.pub.mu.Lock()
	d, ok := s.pub.docs[k]
	s.pub.mu.Unlock()
	if ok {
		return d, nil
	}
	d, err := render.Markdown(a.Body, s.renderOptions(ctx))
	if err != nil {
		return d, err
	}
	s.pub.mu.Lock()
	if len(s.pub.docs) > 1000 {
		clear(s.pub.docs)
	}
	s.pub.docs[k] = d
	s.pub.mu.Unlock()
	return d, nil
}

// cloakText renders plain text (a summary) with addresses cloaked.
func (s *Server) cloakText(txt string) template.HTML {
	return render.CloakText(txt, func(addr string) string { return "/contact/" + s.cloakToken(addr) })
}

// articleCard is an article in a listing.
type articleCard struct {
	content.Article
	Summary  template.HTML
	Cover    media.Image
	HasCover bool
	Minutes  int
}

func (s *Server) cards(ctx context.Context, as []content.Article) []articleCard {
	out := make([]articleCard, len(as))
	for i, a := range as {
		c := articleCard{Article: a, Summary: s.cloakText(a.Summary), Minutes: render.ReadingMinutes(len(strings.Fields(a.Body)))}
		if a.CoverID != 0 {
			if im, err := s.Media.Get(ctx, a.CoverID); err == nil {
				c.Cover, c.HasCover = im, true
			}
		}
		out[i] = c
	}
	return out
}

// cover returns an article's cover image, if it has one that still exists.
func (s *Server) cover(ctx context.Context, a content.Article) (media.Image, bool) {
	if a.CoverID == 0 {
		return media.Image{}, false
	}
	im, err := s.Media.Get(ctx, a.CoverID)
	return im, err == nil
}

// foldName normalises a country name or code for matching what editors type:
// no accents, lower case, "&" as "and", punctuation as spaces.
func foldName(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFKD.String(strings.ReplaceAll(s, "&", " and ")) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
		default:
			space = true
		}
	}
	return b.String()
}

func (s *Server) countryIndex() map[string]string {
	s.pub.countryOnce.Do(func() {
		m := map[string]string{}
		for _, c := range s.Places.Gaz.Countries {
			keys := []string{c.ISO3, c.Name}
			for _, l := range []string{"en", "fr", "es", "ru"} {
				n := c.Names[l]
				keys = append(keys, n)
				if i := strings.Index(n, " ("); i > 0 {
					keys = append(keys, n[:i]) // "Afghanistan (l')" → "Afghanistan"
				}
			}
			for _, k := range keys {
				if f := foldName(k); f != "" {
					if _, taken := m[f]; !taken {
						m[f] = c.ISO3
					}
				}
			}
		}
		s.pub.countries = m
	})
	return s.pub.countries
}

// parseCountries reads a list of countries typed by an editor (names in
// English, French, Spanish or Russian, or ISO codes, separated by commas,
// semicolons or lines) into tag ids, naming whatever it did not recognise.
func (s *Server) parseCountries(ctx context.Context, raw string) (ids []int64, unknown []string, err error) {
	idx := s.countryIndex()
	seen := map[string]bool{}
	for _, tok := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
		tok = strings.TrimSpace(tok)
		if tok == "" {
			continue
		}
		// "Sudan (SDN)" as the form shows it.
		if i := strings.LastIndex(tok, "("); i > 0 && strings.HasSuffix(tok, ")") {
			if code := tok[i+1 : len(tok)-1]; len(code) == 3 {
				tok = code
			}
		}
		iso, ok := idx[foldName(tok)]
		if !ok {
			unknown = append(unknown, tok)
			continue
		}
		if seen[iso] {
			continue
		}
		seen[iso] = true
		t, err := s.Places.Get(ctx, places.KindCountry, iso)
		if err != nil {
			return nil, nil, err
		}
		ids = append(ids, t.ID)
	}
	return ids, unknown, nil
}

// countriesText shows an article's countries the way parseCountries reads them.
func countriesText(tags []places.Tag) string {
	var parts []string
	for _, t := range tags {
		if t.Kind == places.KindCountry {
			parts = append(parts, t.Name+" ("+t.Code+")")
		}
	}
	return strings.Join(parts, ", ")
}

// absURL makes a site path absolute.
func (s *Server) absURL(path string) string { return strings.TrimRight(s.Config.BaseURL, "/") + path }

// privateIfRestricted marks responses that depend on who is asking.
func privateIfRestricted(w http.ResponseWriter, a content.Article) {
	if a.MembersOnly() || !a.Live() {
		w.Header().Set("Cache-Control", "private, no-store")
	}
}

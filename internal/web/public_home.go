package web

import (
	"bytes"
	"net/http"
	"sync"
	"time"

	"coalition/internal/content"
)

type homePage struct {
	Base
	Latest []articleCard // publishing: the latest articles
}

// homeTTL is how long the home page rendered for visitors is reused. The
// home page is the most requested page; rendering it once a second instead
// of on every request takes the database and the templates out of the hot
// path, and a new article shows within a second.
const homeTTL = time.Second

// homeCache holds the home page as rendered for visitors (no session, no
// flash message), per language, with the CSRF token of its subscribe form
// left as csrfPlaceholder and filled in per request.
type homeCache struct {
	mu      sync.Mutex
	entries map[string]homeEntry
}

type homeEntry struct {
	body []byte
	at   time.Time
}

func (c *homeCache) get(lang string, now time.Time) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[lang]
	if !ok || now.Sub(e.at) > homeTTL || now.Before(e.at) {
		return nil, false
	}
	return e.body, true
}

func (c *homeCache) put(lang string, body []byte, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]homeEntry{}
	}
	c.entries[lang] = homeEntry{body: body, at: now}
}

// bufferWriter captures a rendered page.
type bufferWriter struct {
	h      http.Header
	status int
	buf    bytes.Buffer
}

func (b *bufferWriter) Header() http.Header         { return b.h }
func (b *bufferWriter) Write(p []byte) (int, error) { return b.buf.Write(p) }
func (b *bufferWriter) WriteHeader(status int)      { b.status = status }

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(flashCookie); err == nil || userFrom(r.Context()) != nil {
		s.renderHome(w, r, false) // a flash message or a signed-in user: this request's own page
		return
	}
	// The visitor's token first, on the real response (it may set the cookie).
	tok := s.csrfToken(w, r)
	lang := s.locale(r).Lang
	now := time.Now()
	body, ok := s.homes.get(lang, now)
	if !ok {
		bw := &bufferWriter{h: http.Header{}, status: http.StatusOK}
		s.renderHome(bw, r, true)
		if bw.status != http.StatusOK {
			for k, v := range bw.h {
				w.Header()[k] = v
			}
			w.WriteHeader(bw.status)
			_, _ = w.Write(bw.buf.Bytes()) //nolint:errcheck // the client has gone
			return
		}
		body = bw.buf.Bytes()
		s.homes.put(lang, body, now)
	}
	page := bytes.ReplaceAll(body, []byte(csrfPlaceholder), []byte(tok))
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(page) //nolint:errcheck // the client has gone
}

// renderHome renders the home page; neutral renders it for any visitor
// (the CSRF token left as a placeholder).
func (s *Server) renderHome(w http.ResponseWriter, r *http.Request, neutral bool) {
	p := &homePage{Base: s.base(w, r, "")}
	if neutral {
		p.CSRF = csrfPlaceholder
	}
	p.Section = "home"
	p.Description = p.Site.Tagline
	latest, _, err := s.Content.List(r.Context(), content.Filter{Kind: content.KindArticle, Live: true, Members: true, Limit: 6})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Latest = s.cards(r.Context(), latest)
	p.Feeds = []FeedLink{{Title: p.Site.OrgName, URL: "/feed.atom"}}
	s.render(w, r, http.StatusOK, "pages/home", p)
}

type getInvolvedPage struct {
	Base
}

func (s *Server) getInvolved(w http.ResponseWriter, r *http.Request) {
	p := &getInvolvedPage{Base: s.base(w, r, s.t(r, "Get involved"))}
	p.Section = "get-involved"
	s.render(w, r, http.StatusOK, "pages/get_involved", p)
}

// clear forgets the cached pages (after any save on this instance).
func (c *homeCache) clear() {
	c.mu.Lock()
	c.entries = nil
	c.mu.Unlock()
}

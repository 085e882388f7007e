package web

import (
	"bytes"
	"context"
	"html/template"
	"strings"
	"sync"
	"time"

	"coalition/internal/settings"
)

// The page chrome — the "Get involved" block and the footer — is the same on
// every page for a given language and settings. Rendering it through
// html/template on every request cost more than the rest of a page, so it is
// rendered once per language and settings and reused. Anything per-browser
// inside it (the CSRF token of a form) is written as csrfPlaceholder and
// filled in per request.

const csrfPlaceholder = "csrf-placeholder-4b1d"

// sourcePlaceholder stands for the page's path in the subscribe form of the
// "Get involved" block (recorded as where the reader subscribed).
const sourcePlaceholder = "/source-placeholder-9e3a"

// chromeTTL bounds how long the chrome shows mailing lists after an editor
// changes them (the lists are read from the database at most this often).
const chromeTTL = time.Minute

type chromeEntry struct {
	site        settings.Settings
	year        int
	getInvolved string
	footer      string
	at          time.Time
}

type chromeCache struct {
	mu      sync.RWMutex
	entries map[string]chromeEntry   // by language
	navs    map[string]template.HTML // by language and highlighted section
}

// nav returns the main navigation with b's section marked as current.
func (s *Server) nav(b *Base) template.HTML {
	key := b.L.Lang + "|" + b.Section
	s.chromes.mu.RLock()
	h, ok := s.chromes.navs[key]
	s.chromes.mu.RUnlock()
	if ok {
		return h
	}
	var buf bytes.Buffer
	if err := s.tmpl.baseFor(b.L.Lang).ExecuteTemplate(&buf, "nav", &Base{L: b.L, Section: b.Section}); err != nil {
		s.Log.Error("render nav", "err", err)
	}
	h = template.HTML(buf.String()) //nolint:gosec // rendered by html/template
	s.chromes.mu.Lock()
	if s.chromes.navs == nil {
		s.chromes.navs = map[string]template.HTML{}
	}
	if len(s.chromes.navs) < 1000 { // sections are a fixed set; the cap guards against surprises
		s.chromes.navs[key] = h
	}
	s.chromes.mu.Unlock()
	return h
}

// chrome returns the rendered chrome for b's language and settings.
func (s *Server) chrome(b *Base) (template.HTML, template.HTML) {
	lang := b.L.Lang
	s.chromes.mu.RLock()
	e, ok := s.chromes.entries[lang]
	s.chromes.mu.RUnlock()
	if !ok || e.site != b.Site || e.year != b.Year || time.Since(e.at) > chromeTTL {
		e = s.renderChrome(b)
		s.chromes.mu.Lock()
		if s.chromes.entries == nil {
			s.chromes.entries = map[string]chromeEntry{}
		}
		s.chromes.entries[lang] = e
		s.chromes.mu.Unlock()
	}
	gi, footer := e.getInvolved, e.footer
	if strings.Contains(gi, csrfPlaceholder) {
		gi = strings.ReplaceAll(gi, csrfPlaceholder, b.CSRF)
	}
	if strings.Contains(gi, sourcePlaceholder) {
		gi = strings.ReplaceAll(gi, sourcePlaceholder, template.HTMLEscapeString(b.Path))
	}
	return template.HTML(gi), template.HTML(footer) //nolint:gosec // rendered by html/template
}

func (s *Server) renderChrome(b *Base) chromeEntry {
	t := s.tmpl.baseFor(b.L.Lang)
	neutral := Base{L: b.L, Site: b.Site, CSRF: csrfPlaceholder, BaseURL: b.BaseURL, Year: b.Year, Path: sourcePlaceholder}
	if s.Mail != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ls, err := s.Mail.OfferedLists(ctx, false)
		cancel()
		if err != nil {
			s.Log.Warn("chrome: mailing lists", "err", err)
		}
		neutral.SubscribeLists = ls
		neutral.SubscribeConsent = b.L.T(consentShort)
	}
	var gi, footer bytes.Buffer
	if err := t.ExecuteTemplate(&gi, "get_involved", &neutral); err != nil {
		s.Log.Error("render chrome", "err", err)
	}
	if err := t.ExecuteTemplate(&footer, "footer", &neutral); err != nil {
		s.Log.Error("render chrome", "err", err)
	}
	return chromeEntry{site: b.Site, year: b.Year, getInvolved: gi.String(), footer: footer.String(), at: time.Now()}
}

package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/errs"
	"coalition/internal/i18n"
	"coalition/internal/mail"
	"coalition/internal/settings"
)

//go:embed templates
var templateFS embed.FS

// templates holds, for each interface language, one parsed set per page:
// the shared layout and partials plus the page's own file. Parsed once at
// start.
type templates struct {
	pages map[string]map[string]*template.Template // language → page name → template
	base  map[string]*template.Template            // language → layout and partials
}

// literalT matches an action that only translates a literal string, like
// {{.T "News"}}, {{$.T "Sign out"}} or {{$b.L.T "Next"}}. Such actions are resolved when the
// templates are parsed, once per language: html/template calls an escaper
// through reflection for every action, and a page has dozens of these.
var literalT = regexp.MustCompile(`\{\{-?\s*(?:\$\w*)?\.(?:L\.)?T\s+("(?:[^"\\]|\\.)*")\s*-?\}\}`)

// localize replaces literal translations in a template source with the
// escaped translated text.
func localize(src string, l *i18n.Locale) string {
	return literalT.ReplaceAllStringFunc(src, func(m string) string {
		lit := literalT.FindStringSubmatch(m)[1]
		msg, err := strconv.Unquote(lit)
		if err != nil {
			return m
		}
		out := template.HTMLEscapeString(l.T(msg))
		return strings.ReplaceAll(out, "{", "&#123;")
	})
}

// parseTemplates parses every page under templates/pages and templates/admin
// against the layout and partials, for every language; any error fails
// start-up.
func (s *Server) parseTemplates() (*templates, error) {
	read := func(name string) (string, error) {
		b, err := fs.ReadFile(templateFS, name)
		return string(b), err
	}
	shared, err := fs.Glob(templateFS, "templates/partials/*.html")
	if err != nil {
		return nil, err
	}
	shared = append([]string{"templates/layout.html"}, shared...)
	var pages []string
	for _, dir := range []string{"templates/pages", "templates/admin"} {
		files, err := fs.Glob(templateFS, dir+"/*.html")
		if err != nil {
			return nil, err
		}
		pages = append(pages, files...)
	}
	t := &templates{pages: map[string]map[string]*template.Template{}, base: map[string]*template.Template{}}
	for _, lang := range i18n.Languages() {
		l := i18n.Get(lang)
		base := template.New("layout").Funcs(s.templateFuncs())
		for _, f := range shared {
			src, err := read(f)
			if err != nil {
				return nil, err
			}
			if _, err := base.New(f).Parse(localize(src, l)); err != nil {
				return nil, fmt.Errorf("parse %s: %w", f, err)
			}
		}
		t.base[lang] = base
		t.pages[lang] = map[string]*template.Template{}
		for _, f := range pages {
			src, err := read(f)
			if err != nil {
				return nil, err
			}
			c, err := base.Clone()
			if err != nil {
				return nil, err
			}
			if _, err := c.New(f).Parse(localize(src, l)); err != nil {
				return nil, fmt.Errorf("parse %s: %w", f, err)
			}
			name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
			t.pages[lang][name] = c
		}
	}
	return t, nil
}

// baseFor returns the layout and partials for a language.
func (t *templates) baseFor(lang string) *template.Template {
	if b, ok := t.base[lang]; ok {
		return b
	}
	return t.base["en"]
}

// page returns the template set of a page for a language.
func (t *templates) page(lang, name string) (*template.Template, bool) {
	set, ok := t.pages[lang]
	if !ok {
		set = t.pages["en"]
	}
	p, ok := set[name]
	return p, ok
}

func (s *Server) templateFuncs() template.FuncMap {
	return template.FuncMap{
		"cloak": s.cloakEmail,
		"add":   func(a, b int) int { return a + b },
		"sub":   func(a, b int) int { return a - b },
		"iso":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"query": func(kv ...string) template.URL {
			v := url.Values{}
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i+1] != "" {
					v.Set(kv[i], kv[i+1])
				}
			}
			if len(v) == 0 {
				return ""
			}
			return template.URL("?" + v.Encode()) //nolint:gosec // built from url.Values: escaped
		},
		"int64": func(i int) int64 { return int64(i) },
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				if k, ok := kv[i].(string); ok {
					m[k] = kv[i+1]
				}
			}
			return m
		},
		"lines": func(s string) []string { return strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") },
	}
}

// Base is what every page template gets: the locale, the site settings, the
// signed-in user, the CSRF token and the page's metadata.
type Base struct {
	L           *i18n.Locale
	Site        settings.Settings
	User        *accounts.User
	CSRF        string
	Path        string
	BaseURL     string
	Title       string
	Description string
	Canonical   string
	Section     string // highlighted navigation item
	Admin       bool   // admin layout (sidebar, no public "Get involved" block)
	Flash       string
	Feeds       []FeedLink
	NoIndex     bool
	Year        int
	// The "Get involved" block and the footer depend only on the settings
	// and the language, so they are rendered once and reused (see chrome.go).
	GetInvolvedHTML template.HTML
	// For the chrome's subscribe form only (see chrome.go).
	SubscribeLists   []mail.List
	SubscribeConsent string
	FooterHTML       template.HTML
	NavHTML          template.HTML
}

// FeedLink is an Atom feed advertised with <link rel="alternate">.
type FeedLink struct {
	Title string
	URL   string
}

// pageBase gives render access to the Base embedded in any page struct.
func (b *Base) pageBase() *Base { return b }

// T translates interface text for the page's locale.
func (b *Base) T(msg string, args ...any) string { return b.L.T(msg, args...) }

// base builds the Base for a request.
func (s *Server) base(w http.ResponseWriter, r *http.Request, title string) Base {
	site, err := s.Settings.Get(r.Context())
	if err != nil {
		s.Log.Error("settings", "err", err)
	}
	b := Base{
		L:       s.locale(r),
		Site:    site,
		User:    userFrom(r.Context()),
		CSRF:    s.csrfToken(w, r),
		Path:    r.URL.Path,
		BaseURL: s.Config.BaseURL,
		Title:   title,
		Year:    s.Now().UTC().Year(),
	}
	b.Canonical = s.Config.BaseURL + r.URL.Path
	if c, err := r.Cookie(flashCookie); err == nil && c.Value != "" {
		if v, err := url.QueryUnescape(c.Value); err == nil {
			b.Flash = v
		}
		http.SetCookie(w, s.expiredCookie(flashCookie))
	}
	return b
}

// locale picks the interface language for a request. Only English is
// complete today; the mechanism (Accept-Language matching) is in place.
func (s *Server) locale(r *http.Request) *i18n.Locale {
	return i18n.Match(r.Header.Get("Accept-Language"))
}

// t translates for a request outside a template.
func (s *Server) t(r *http.Request, msg string, args ...any) string {
	return s.locale(r).T(msg, args...)
}

// flash stores a one-time message shown on the next page.
func (s *Server) flash(w http.ResponseWriter, r *http.Request, msg string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(msg), Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secureCookies(r), MaxAge: 60})
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render executes a page template into a buffer, then writes it with status:
// a template error never sends half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	t, ok := s.tmpl.page(s.locale(r).Lang, page)
	if !ok {
		s.serverError(w, r, fmt.Errorf("no template %q", page))
		return
	}
	if pb, ok := data.(interface{ pageBase() *Base }); ok {
		b := pb.pageBase()
		b.GetInvolvedHTML, b.FooterHTML = s.chrome(b)
		b.NavHTML = s.nav(b)
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := t.ExecuteTemplate(buf, "layout", data); err != nil {
		s.serverError(w, r, fmt.Errorf("render %s: %w", page, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-cache")
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) //nolint:errcheck // the client has gone
}

type errorPageData struct {
	Base
	Status  int
	Heading string
	Message string
}

// errorPage renders a friendly error with status.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	heading := http.StatusText(status)
	switch status {
	case http.StatusNotFound:
		heading = s.t(r, "Page not found")
	case http.StatusForbidden:
		heading = s.t(r, "Not allowed")
	case http.StatusTooManyRequests:
		heading = s.t(r, "Please slow down")
	case http.StatusInternalServerError:
		heading = s.t(r, "Something went wrong")
	case http.StatusServiceUnavailable:
		heading = s.t(r, "Temporarily unavailable")
	}
	d := &errorPageData{Base: s.base(w, r, heading), Status: status, Heading: heading, Message: msg}
	d.NoIndex = true
	if strings.HasPrefix(r.URL.Path, "/admin") && d.User.IsStaff() {
		d.Admin = true
	}
	if status >= 500 {
		w.Header().Set("Cache-Control", "no-store")
	}
	s.render(w, r, status, "pages/error", d)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, http.StatusNotFound, s.t(r, "There is no page at this address. It may have moved; try the search or the menu."))
}

// serverError logs err and shows a 500 page that reveals nothing internal.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.Log.Error("server error", "path", r.URL.Path, "err", err)
	t, ok := s.tmpl.page(s.locale(r).Lang, "pages/error")
	msg := s.t(r, "The problem has been logged. Please try again in a moment.")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusInternalServerError)
	if ok {
		d := &errorPageData{Base: Base{L: s.locale(r), Site: settings.Defaults(), Title: "Error", Year: s.Now().Year()},
			Status: 500, Heading: s.t(r, "Something went wrong"), Message: msg}
		if site, err := s.Settings.Get(r.Context()); err == nil {
			d.Site = site
		}
		d.GetInvolvedHTML, d.FooterHTML = s.chrome(&d.Base)
		d.NavHTML = s.nav(&d.Base)
		if err := t.ExecuteTemplate(w, "layout", d); err == nil {
			return
		}
	}
	fmt.Fprintf(w, "<!doctype html><title>Error</title><h1>Something went wrong</h1><p>%s</p>", template.HTMLEscapeString(msg))
}

// fail maps a domain error to the right page: not found, forbidden,
// unavailable (503 with a clear message) or a logged 500.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, errs.ErrNotFound):
		s.notFound(w, r)
	case errors.Is(err, errs.ErrForbidden):
		s.errorPage(w, r, http.StatusForbidden, s.t(r, "Your account does not have access to this page."))
	case errors.Is(err, errs.ErrUnavailable):
		s.Log.Error("unavailable", "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "60")
		s.errorPage(w, r, http.StatusServiceUnavailable,
			s.t(r, "We cannot save changes right now (the server's storage is not accepting writes). Nothing was changed; please try again later."))
	default:
		if ie, ok := errs.AsInvalid(err); ok {
			s.errorPage(w, r, http.StatusBadRequest, ie.Msg)
			return
		}
		s.serverError(w, r, err)
	}
}

// safeNext returns a local path to go to after sign-in, refusing anything
// that could lead off-site ("//evil", "/\evil", absolute URLs) or carry
// control characters into a Location header. Percent-escapes stay escaped.
func safeNext(next string) string {
	if next == "" || len(next) > 2000 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	p := u.EscapedPath()
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

package web

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"coalition/internal/content"
	"coalition/internal/places"
)

// Atom feeds (RFC 4287) of published public articles: all, per category and
// per tag. Members-only articles are left out: feeds are read by anyone.

var (
	relativeRef = regexp.MustCompile(`\s(href|src)="/([^/])`)
	srcsetAttr  = regexp.MustCompile(`\s(srcset|sizes|loading|decoding)="[^"]*"`)
)

// absoluteHTML makes a body fit for feed readers: absolute links and image
// addresses, no responsive-image attributes.
func (s *Server) absoluteHTML(h string) string {
	h = srcsetAttr.ReplaceAllString(h, "")
	return relativeRef.ReplaceAllString(h, ` $1="`+s.Config.BaseURL+`/$2`)
}

// entryID is stable across slug changes (RFC 4151 tag URI).
func (s *Server) entryID(a content.Article) string {
	host := "localhost"
	if u, err := url.Parse(s.Config.BaseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return "tag:" + host + "," + a.CreatedAt.Format("2006-01-02") + ":article-" + strconv.FormatInt(a.ID, 10)
}

func (s *Server) writeFeed(w http.ResponseWriter, r *http.Request, title, sub, selfPath, htmlPath string, f content.Filter) {
	ctx := r.Context()
	f.Kind, f.Live, f.Members, f.Limit = content.KindArticle, true, false, 20
	as, _, err := s.Content.List(ctx, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	site, err := s.Settings.Get(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	feed := atomFeed{
		Lang: s.locale(r).Lang, Title: title, Sub: sub, ID: s.absURL(selfPath), Author: atomPerson{Name: site.OrgName}, Gen: "Coalition",
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: s.absURL(selfPath)}, {Rel: "alternate", Type: "text/html", Href: s.absURL(htmlPath)}},
	}
	updated := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, a := range as {
		if a.UpdatedAt.After(updated) {
			updated = a.UpdatedAt
		}
		doc, err := s.articleDoc(ctx, a)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		body := string(doc.HTML)
		if cover, ok := s.cover(ctx, a); ok {
			body = `<p><img src="` + cover.Src() + `" alt="` + xmlAttrEscape(a.CoverAlt) + `"></p>` + body
		}
		e := atomEntry{
			Title: a.Title, ID: s.entryID(a), Published: a.PublishAt.Format(time.RFC3339), Updated: a.UpdatedAt.Format(time.RFC3339),
			Author:  &atomPerson{Name: a.AuthorName},
			Links:   []atomLink{{Rel: "alternate", Type: "text/html", Href: s.absURL(a.Path())}},
			Content: &atomText{Type: "html", Body: s.absoluteHTML(body)},
		}
		if e.Author.Name == "" {
			e.Author.Name = site.OrgName
		}
		if a.Summary != "" {
			e.Summary = &atomText{Type: "text", Body: a.Summary}
		}
		if a.CategorySlug != "" {
			e.Categories = append(e.Categories, atomCategory{Term: a.CategorySlug, Label: a.CategoryName})
		}
		for _, t := range a.Tags {
			e.Categories = append(e.Categories, atomCategory{Term: t.Slug, Label: t.Name})
		}
		feed.Entries = append(feed.Entries, e)
	}
	feed.Updated = updated.UTC().Format(time.RFC3339)
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	if err := enc.Encode(feed); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	http.ServeContent(w, r, "", updated, bytes.NewReader(buf.Bytes()))
}

func xmlAttrEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s)) //nolint:errcheck // writes to memory
	return b.String()
}

// feed serves /feed.atom: every published public article.
func (s *Server) feed(w http.ResponseWriter, r *http.Request) {
	site, err := s.Settings.Get(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeFeed(w, r, site.OrgName, site.Tagline, "/feed.atom", "/news", content.Filter{})
}

// categoryFeed serves /category/{slug}/feed.atom.
func (s *Server) categoryFeed(w http.ResponseWriter, r *http.Request) {
	c, err := s.Content.CategoryBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	site, err := s.Settings.Get(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeFeed(w, r, site.OrgName+" — "+c.Name, c.Description, c.Path()+"/feed.atom", c.Path(), content.Filter{CategoryID: c.ID})
}

// tagFeed serves /tag/{slug}/feed.atom.
func (s *Server) tagFeed(w http.ResponseWriter, r *http.Request) {
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
	site, err := s.Settings.Get(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeFeed(w, r, site.OrgName+" — "+t.Name, "", "/tag/"+t.Slug+"/feed.atom", "/tag/"+t.Slug, content.Filter{TagIDs: ids})
}

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

type sitemapSet struct {
	XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []sitemapURL `xml:"url"`
}

// sitemap serves /sitemap.xml: the home page, listings, every published
// public article and page, categories and the tags in use.
func (s *Server) sitemap(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	set := sitemapSet{URLs: []sitemapURL{{Loc: s.absURL("/")}, {Loc: s.absURL("/news")}, {Loc: s.absURL("/get-involved")}}}
	add := func(kind content.Kind) bool {
		for off := 0; off < 45000; off += 500 {
			as, _, err := s.Content.List(ctx, content.Filter{Kind: kind, Live: true, Limit: 500, Offset: off})
			if err != nil {
				s.fail(w, r, err)
				return false
			}
			for _, a := range as {
				set.URLs = append(set.URLs, sitemapURL{Loc: s.absURL(a.Path()), LastMod: a.UpdatedAt.Format("2006-01-02")})
			}
			if len(as) < 500 {
				break
			}
		}
		return true
	}
	if !add(content.KindPage) || !add(content.KindArticle) {
		return
	}
	cats, err := s.Content.Categories(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, c := range cats {
		if c.Articles > 0 {
			set.URLs = append(set.URLs, sitemapURL{Loc: s.absURL(c.Path())})
		}
	}
	tags, err := s.tagsInUse(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, t := range tags {
		set.URLs = append(set.URLs, sitemapURL{Loc: s.absURL("/tag/" + t.Slug)})
	}
	years, err := s.Content.Years(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, y := range years {
		set.URLs = append(set.URLs, sitemapURL{Loc: s.absURL("/archive/" + strconv.Itoa(y.Year))})
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(set); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(buf.Bytes()) //nolint:errcheck // client gone
}

// tagsInUse returns the themes, crises and countries that published public
// articles are filed under (each has a page at /tag/<slug>).
func (s *Server) tagsInUse(ctx context.Context) ([]places.Tag, error) {
	as, _, err := s.Content.List(ctx, content.Filter{Kind: content.KindArticle, Live: true, Limit: 500})
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	var out []places.Tag
	for _, a := range as {
		for _, t := range a.Tags {
			if !seen[t.ID] {
				seen[t.ID] = true
				// The tag page must resolve to this tag (slugs are unique per kind only).
				if ft, err := s.findTag(ctx, t.Slug); err == nil && ft.ID == t.ID {
					out = append(out, t)
				}
			}
		}
	}
	return out, nil
}

package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"coalition/internal/content"
	"coalition/internal/media"
	"coalition/internal/render"
)

// pdfCacheDir holds generated PDFs: one file per article, paper size and
// revision (and the settings printed in the footer), so a new save or a new
// address in the footer makes a new file and the old one is removed.
func (s *Server) pdfCacheDir() string {
	return filepath.Join(s.Config.DataDir, "files", "cache", "pdf")
}

// articlePDF serves /articles/{slug}.pdf.
func (s *Server) articlePDF(w http.ResponseWriter, r *http.Request, slug string) {
	a, ok := s.loadArticle(w, r, content.KindArticle, slug, ".pdf")
	if !ok {
		return
	}
	ctx := r.Context()
	u := userFrom(ctx)
	if a.MembersOnly() && !memberReader(u) {
		http.Redirect(w, r, a.Path(), http.StatusSeeOther) // the page explains and offers sign-in
		return
	}
	paper := "a4"
	if strings.EqualFold(r.URL.Query().Get("paper"), "letter") {
		paper = "letter"
	}
	site, err := s.Settings.Get(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l := s.locale(r)
	link := s.absURL(a.Path())
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%d\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s", render.PDFVersion, a.ID, a.Revision, paper, site.OrgName,
		site.PostalAddress, link, l.Lang, a.PublishAt)
	key := hex.EncodeToString(h.Sum(nil))[:20]
	dir := s.pdfCacheDir()
	prefix := strconv.FormatInt(a.ID, 10) + "-" + paper + "-"
	path := filepath.Join(dir, prefix+key+".pdf")

	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", pdfDisposition(a.Slug))
	if a.Live() && !a.MembersOnly() {
		w.Header().Set("Cache-Control", "public, max-age=300")
	} else {
		w.Header().Set("Cache-Control", "private, no-store")
	}
	if f, err := os.Open(path); err == nil {
		defer f.Close()
		http.ServeContent(w, r, "", a.UpdatedAt, f)
		return
	}
	if !s.limits.allow("pdf", s.clientIP(r)) {
		w.Header().Del("Content-Disposition")
		s.errorPage(w, r, http.StatusTooManyRequests, s.t(r, "Too many requests from your address. Please wait a minute and try again."))
		return
	}
	var buf bytes.Buffer
	if err := s.writeArticlePDF(r, &buf, a, paper, link, site.OrgName, site.AddressLines()); err != nil {
		w.Header().Del("Content-Disposition")
		s.fail(w, r, err)
		return
	}
	if err := s.storePDF(dir, prefix, path, buf.Bytes()); err != nil {
		s.Log.Warn("pdf cache", "err", err) // serve it anyway
	}
	http.ServeContent(w, r, "", a.UpdatedAt, bytes.NewReader(buf.Bytes()))
}

// pdfDisposition names the file for browsers that save it: an ASCII name,
// and the real one (slugs may be Cyrillic, say) in RFC 5987 form.
func pdfDisposition(slug string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 128 && r != '"' && r != '\\' {
			return r
		}
		return -1
	}, slug)
	if strings.Trim(ascii, "-") == "" {
		ascii = "article"
	}
	return `inline; filename="` + ascii + `.pdf"; filename*=UTF-8''` + url.PathEscape(slug+".pdf")
}

// writeArticlePDF renders an article as a PDF.
func (s *Server) writeArticlePDF(r *http.Request, w *bytes.Buffer, a content.Article, paper, url, org string, address []string) error {
	ctx := r.Context()
	doc, err := s.articleDoc(ctx, a)
	if err != nil {
		return err
	}
	l := s.locale(r)
	in := render.PDFArticle{
		Title: a.Title, Summary: a.Summary, Author: a.AuthorName, Date: l.Date(a.PublishAt), Category: a.CategoryName,
		ReadingTime: l.T("%d min read", doc.ReadingMinutes()), URL: url, BaseURL: s.Config.BaseURL, BodyHTML: doc.Clean,
		OrgName: org, OrgAddress: address, Paper: paper, Lang: l.Lang, Created: a.UpdatedAt, PageLabel: l.T("Page %d of %s"),
		ImageFile: func(src string) (string, bool) {
			id, width, ext, ok := media.ParseSrc(src)
			if !ok {
				return "", false
			}
			p, _, err := s.Media.File(ctx, id, width, ext)
			return p, err == nil
		},
	}
	if cover, ok := s.cover(ctx, a); ok {
		if p, _, err := s.Media.File(ctx, cover.ID, cover.Fit(media.DisplayWidth), cover.Ext); err == nil {
			in.CoverPath, in.CoverAlt = p, a.CoverAlt
		}
	}
	return render.WritePDF(w, in)
}

// storePDF writes a PDF into the cache atomically and removes older
// versions of the same article and paper.
func (s *Server) storePDF(dir, prefix, path string, b []byte) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create pdf cache: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, prefix+"*.pdf")) //nolint:errcheck // the pattern is well formed
	tmp, err := os.CreateTemp(dir, ".pdf-*")
	if err != nil {
		return fmt.Errorf("pdf cache: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("pdf cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("pdf cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("pdf cache: %w", err)
	}
	for _, o := range old {
		if o != path {
			if err := os.Remove(o); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("pdf cache: %w", err)
			}
		}
	}
	return nil
}

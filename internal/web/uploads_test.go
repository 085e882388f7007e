package web_test

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"coalition/internal/testkit"
)

// pngBomb is a valid PNG header claiming 60000×60000 pixels.
func pngBomb() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 60000)
	binary.BigEndian.PutUint32(ihdr[4:], 60000)
	ihdr[8], ihdr[9] = 8, 6
	_ = binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.WriteString("IHDR")
	b.Write(ihdr)
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte("IHDR"), ihdr...)))
	return b.Bytes()
}

// docxBomb is a DOCX whose XML expands far beyond its zipped size.
func docxBomb(t *testing.T) []byte {
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	w, err := z.Create("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte(`<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>`))
	chunk := bytes.Repeat([]byte("boom "), 1<<16)
	for range 400 { // 130 MB of text
		_, _ = w.Write(chunk)
	}
	_, _ = w.Write([]byte(`</w:t></w:r></w:p></w:body></w:document>`))
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestHostileUploads sends what an attacker would upload through the real
// admin forms: SVG with script, an HTML page dressed as an image, a GIF/JS
// polyglot, a decompression bomb image and document, a PDF/HTML polyglot.
// Each is refused with a clear message or stored and served so that it can
// never run as a page of this site — never a 500.
func TestHostileUploads(t *testing.T) {
	site, ed, _ := pubSite(t, testkit.SiteOptions{})
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(document.cookie)</script></svg>`)
	for name, data := range map[string][]byte{
		"logo.svg":     svg,
		"photo.png":    []byte("<!doctype html><script>alert(1)</script>"),
		"polyglot.gif": []byte("GIF89a/*\x00\x00*/=1;alert(document.domain)//<script>alert(1)</script>"),
		"bomb.png":     pngBomb(),
	} {
		st, body := uploadImage(t, site, ed, data, name)
		if st < 400 || st >= 500 || strings.Contains(body, "<script") {
			t.Errorf("image %s: %d %s", name, st, body)
		}
	}

	// Documents: an HTML file with script is kept, but served sandboxed as a
	// download; a PDF/HTML polyglot is PDF for the browser; a zip bomb ends
	// as "no text extracted" rather than filling memory.
	ed.Get("/admin/documents/new")
	for name, data := range map[string][]byte{
		"page.html":    []byte(`<!doctype html><html><body><p>Report text.</p><script>fetch('/admin/users',{method:'POST'})</script></body></html>`),
		"poly.pdf":     []byte("%PDF-1.4\n1 0 obj<<>>endobj\n<html><script>alert(1)</script></html>\n%%EOF\n"),
		"bomb.docx":    docxBomb(t),
		"fake.docx":    []byte("PK\x03\x04 not really a zip"),
		"../../x.txt":  []byte("path traversal in the name"),
		"evil.html.js": []byte("alert(1)"),
	} {
		ed.Get("/admin/documents/new")
		r := upload(t, ed, site.URL, "/admin/documents", url.Values{"title": {"Upload " + name}, "date": {"2026-01-01"}, "type": {"report"}, "language": {"en"}},
			map[string][]byte{name: data}, nil)
		if r.Status >= 500 {
			t.Fatalf("%s: %d", name, r.Status)
		}
		t.Logf("%s: %d %s", name, r.Status, r.Header.Get("Location"))
		if r.Status != http.StatusSeeOther {
			if !strings.Contains(r.Body, `role="alert"`) {
				t.Errorf("%s refused without a message: %d", name, r.Status)
			}
			continue
		}
		id := regexp.MustCompile(`/admin/documents/(\d+)`).FindStringSubmatch(r.Header.Get("Location"))
		if id == nil {
			continue // a bulk upload goes back to the list
		}
		res, err := http.Get(site.URL + "/documents/" + id[1] + "/file")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		h := res.Header
		if res.StatusCode != http.StatusOK {
			continue
		}
		if !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s served without sandbox/nosniff: %v", name, h)
		}
		if name == "poly.pdf" && !strings.HasPrefix(h.Get("Content-Type"), "application/pdf") {
			t.Errorf("PDF polyglot served as %s", h.Get("Content-Type"))
		}
		if strings.Contains(h.Get("Content-Disposition"), "..") || strings.Contains(h.Get("Content-Disposition"), "/") {
			t.Errorf("%s: file name not cleaned: %s", name, h.Get("Content-Disposition"))
		}
	}
	waitExtracted(t, site.App.Library)
	if r := ed.Get("/admin/documents"); r.Status != http.StatusOK {
		t.Fatalf("document list after hostile uploads: %d", r.Status)
	}
}

package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"coalition/internal/demo"
	"coalition/internal/testkit"
)

var (
	scriptRe = regexp.MustCompile(`<script[^>]*>`)
	srcRe    = regexp.MustCompile(`<script[^>]*\ssrc="([^"]+)"`)
	cssRe    = regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)"`)
)

// transferred fetches path with gzip accepted and returns the bytes on the wire.
func transferred(t *testing.T, base, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	body := raw
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(zr)
	}
	return len(raw), string(body)
}

// TestPageWeight: every public page, with its stylesheet and script but
// without content images, is under 50 kB on the wire, has at most one
// script, same-origin and external (no inline code), and gets its content
// without JavaScript (the text is in the HTML).
func TestPageWeight(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{})
	if _, err := demo.Load(context.Background(), site.App); err != nil {
		t.Fatal(err)
	}
	c := site.NewClient(t)
	pages, _ := crawl(t, c, []string{"/", "/login", "/search?q=protection", "/documents", "/crises", "/members", "/donate", "/subscribe", "/news"}, 300)
	if len(pages) < 5 {
		t.Fatalf("only %d pages", len(pages))
	}
	assets := map[string]int{}
	for _, p := range pages {
		if strings.HasPrefix(p, "/admin") || strings.HasPrefix(p, "/account") {
			continue
		}
		size, body := transferred(t, site.URL, p)
		scripts := scriptRe.FindAllString(body, -1)
		if len(scripts) > 1 {
			t.Errorf("%s: %d scripts", p, len(scripts))
		}
		for _, m := range srcRe.FindAllStringSubmatch(body, -1) {
			if !strings.HasPrefix(m[1], "/") || strings.HasPrefix(m[1], "//") {
				t.Errorf("%s: script from another origin: %s", p, m[1])
			}
			if _, ok := assets[m[1]]; !ok {
				assets[m[1]], _ = transferred(t, site.URL, m[1])
			}
			size += assets[m[1]]
		}
		if len(scripts) != len(srcRe.FindAllString(body, -1)) {
			t.Errorf("%s: an inline script", p)
		}
		for _, m := range cssRe.FindAllStringSubmatch(body, -1) {
			if _, ok := assets[m[1]]; !ok {
				assets[m[1]], _ = transferred(t, site.URL, m[1])
			}
			size += assets[m[1]]
		}
		t.Logf("%-50s %6.1f kB", p, float64(size)/1000)
		if size > 50_000 {
			t.Errorf("%s: %d bytes transferred; the budget is 50 kB", p, size)
		}
		if !strings.Contains(body, "<main") || !strings.Contains(body, "<h1") {
			t.Errorf("%s: no main content in the HTML", p)
		}
	}
}

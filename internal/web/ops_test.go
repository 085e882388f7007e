package web_test

import (
	"net/http"
	"strings"
	"testing"

	"coalition/internal/config"
	"coalition/internal/testkit"
)

func TestHealthAndMetrics(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{Config: func(c *config.Config) { c.MetricsToken = "s3cret-metrics" }})
	c := site.NewClient(t)
	if r := c.Get("/healthz"); r.Status != http.StatusOK || strings.TrimSpace(r.Body) != "ok" {
		t.Fatalf("healthz: %d %q", r.Status, r.Body)
	}
	c.Get("/")
	c.Get("/no/such/page")
	r := c.Get("/metrics")
	if r.Status != http.StatusOK {
		t.Fatalf("metrics from loopback: %d", r.Status)
	}
	for _, want := range []string{
		`coalition_http_requests_total{code="200",method="GET",route="GET /{$}"}`,
		`coalition_http_requests_total{code="404",method="GET",route="unmatched"}`,
		`coalition_http_request_duration_seconds_bucket{route="GET /{$}"`,
		`go_sql_open_connections{db_name="writer"}`,
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// A request relayed by a proxy is not "loopback": it needs the token.
	req, _ := http.NewRequest(http.MethodGet, site.URL+"/metrics", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	if r := c.Do(req); r.Status != http.StatusForbidden {
		t.Fatalf("proxied metrics without token: %d", r.Status)
	}
	req.Header.Set("Authorization", "Bearer s3cret-metrics")
	if r := c.Do(req); r.Status != http.StatusOK {
		t.Fatalf("proxied metrics with token: %d", r.Status)
	}

	// The database goes away: healthz says so.
	site.App.DB.R.Close()
	if r := c.Get("/healthz"); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("healthz without a database: %d", r.Status)
	}
}

func TestStaticAndRobots(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{})
	c := site.NewClient(t)
	r := c.Get("/static/style.css")
	css := r.Body
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("style.css: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	if r := c.Get("/static/../server.go"); r.Status == http.StatusOK {
		t.Fatal("path traversal served a file")
	}
	if r := c.Get("/robots.txt"); !strings.Contains(r.Body, "Disallow: /admin") {
		t.Fatalf("robots: %q", r.Body)
	}
	// Pages name no other origin: no fonts, scripts or images from elsewhere.
	home := c.Get("/")
	for _, bad := range []string{`src="http`, `href="//`, `src="//`, "@import", "fonts.googleapis"} {
		if strings.Contains(home.Body, bad) {
			t.Errorf("home page refers to another origin: %q", bad)
		}
	}
	if strings.Contains(css, "url(http") || strings.Contains(css, "@import") {
		t.Error("stylesheet loads from another origin")
	}
}

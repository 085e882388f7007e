package web_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/config"
	"coalition/internal/db"
	"coalition/internal/library"
	"coalition/internal/search"
	"coalition/internal/testkit"
)

// upload posts a multipart form with files, as the admin form does.
func upload(t *testing.T, c *testkit.Client, base, path string, fields url.Values, files map[string][]byte, header http.Header) testkit.Response {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fields.Set("csrf_token", c.CSRF())
	for k, vs := range fields {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, body := range files {
		w, err := mw.CreateFormFile("files", name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, base+path, &b)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for k, v := range header {
		req.Header[k] = v
	}
	return c.Do(req)
}

func waitExtracted(t *testing.T, l *library.Service) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c, err := l.StateCounts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c[library.StatePending]+c[library.StateRunning] == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("text extraction did not finish")
}

var countRe = regexp.MustCompile(`(\d+) (?:documents|results for)`)

func resultCount(t *testing.T, body string) int {
	t.Helper()
	m := countRe.FindStringSubmatch(body)
	if m == nil {
		if strings.Contains(body, "1 document") || strings.Contains(body, "1 result for") {
			return 1
		}
		t.Fatalf("no result count in page")
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

type apiList struct {
	Items []struct {
		ID        int64    `json:"id"`
		Title     string   `json:"title"`
		Date      string   `json:"date"`
		Type      string   `json:"type"`
		Access    string   `json:"access"`
		Countries []string `json:"countries"`
		Themes    []string `json:"themes"`
		Crises    []string `json:"crises"`
		FileURL   string   `json:"file_url"`
		Snippet   string   `json:"snippet"`
	} `json:"items"`
	Total  int `json:"total"`
	Facets map[string][]struct {
		Value string `json:"value"`
		Label string `json:"label"`
		Count int    `json:"count"`
	} `json:"facets"`
	Notes []string `json:"notes"`
}

func facetCount(l apiList, facet, value string) int {
	for _, v := range l.Facets[facet] {
		if v.Value == value {
			return v.Count
		}
	}
	return 0
}

func getAPI(t *testing.T, c *testkit.Client, path string) apiList {
	t.Helper()
	r := c.Get(path)
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("%s: %d %s", path, r.Status, r.Header.Get("Content-Type"))
	}
	var l apiList
	if err := json.Unmarshal([]byte(r.Body), &l); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return l
}

// TestLibraryWeb drives the library through the real router on both
// backends: uploads, bad files, facets and counts, combined filters, search,
// feeds, the API, access control and file serving.
func TestLibraryWeb(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		site := testkit.NewSite(t, testkit.SiteOptions{DB: d, Config: func(c *config.Config) { c.MaxUploadMB = 1 }})
		site.AddUser(t, "ed@example.org", accounts.RoleEditor, "an editor password")
		ed := site.NewClient(t)
		ed.Login("ed@example.org", "an editor password")

		// Tags through the admin.
		ed.Get("/admin/tags")
		for _, f := range []url.Values{{"kind": {"theme"}, "name": {"Protection of civilians"}}, {"kind": {"crisis"}, "name": {"Syria"}},
			{"kind": {"type"}, "name": {"Policy brief"}}} {
			if r := ed.Post("/admin/tags", f); r.Status != http.StatusSeeOther {
				t.Fatalf("create %v: %d", f, r.Status)
			}
		}
		if r := ed.Post("/admin/tags", url.Values{"kind": {"country"}, "name": {"Atlantis"}}); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("a country was created: %d", r.Status)
		}
		r := ed.Post("/admin/tags", url.Values{"kind": {"grouping"}, "name": {"Middle East and North Africa"}})
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/admin/tags/") {
			t.Fatalf("grouping: %d %s", r.Status, r.Header.Get("Location"))
		}
		groupingURL := r.Header.Get("Location")
		if r := ed.Get(groupingURL); r.Status != http.StatusOK || !strings.Contains(r.Body, `value="SYR"`) {
			t.Fatalf("grouping page: %d", r.Status)
		}
		if r := ed.Post(groupingURL+"/countries", url.Values{"countries": {"SYR", "EGY"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("grouping countries: %d", r.Status)
		}

		// Uploads: two files at once, then single ones.
		pdf, err := library.MakePDF("Letter on Aleppo", []string{"The siege of Aleppo must end; humanitarian access now."}, "")
		if err != nil {
			t.Fatal(err)
		}
		ed.Get("/admin/documents/new")
		r = upload(t, ed, site.URL, "/admin/documents", url.Values{"date": {"2013-09-24"}, "type": {"statement"}, "language": {"en"},
			"source": {"Coalition"}, "access": {"public"}, "countries": {"SYR"}, "themes": {"protection-of-civilians"}, "crises": {"syria"}},
			map[string][]byte{"aleppo-letter.pdf": pdf, "syria-statement.txt": []byte("Statement on Syria and the responsibility to protect.")}, nil)
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/admin/documents" {
			t.Fatalf("multi upload: %d %s", r.Status, r.Body)
		}
		ed.Get("/admin/documents/new")
		r = upload(t, ed, site.URL, "/admin/documents", url.Values{"title": {"Rapport sur l’Ukraine"}, "date": {"2022-03-02"}, "type": {"report"},
			"language": {"fr"}, "countries": {"UKR"}, "access": {"public"}},
			map[string][]byte{"ukraine.html": []byte(`<html><body><h1>Ukraine</h1><p>Les civils à Kharkiv.</p><script>alert(1)</script></body></html>`)}, nil)
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/admin/documents/") {
			t.Fatalf("single upload: %d", r.Status)
		}
		ukrAdmin := r.Header.Get("Location")
		ed.Get("/admin/documents/new")
		r = upload(t, ed, site.URL, "/admin/documents", url.Values{"title": {"Members briefing on Myanmar"}, "date": {"2020-01-01"}, "type": {"briefing"},
			"countries": {"MMR"}, "access": {"members"}}, map[string][]byte{"brief.txt": []byte("Confidential Rakhine analysis.")}, nil)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("members upload: %d", r.Status)
		}
		membersID := strings.TrimPrefix(r.Header.Get("Location"), "/admin/documents/")

		// Bad uploads: clear messages, nothing stored.
		ed.Get("/admin/documents/new")
		r = upload(t, ed, site.URL, "/admin/documents", url.Values{"date": {"2020-01-01"}, "type": {"report"}},
			map[string][]byte{"report.pdf": []byte("<!doctype html><html><body>I am a web page</body></html>")}, nil)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "looks like an HTML page") || !strings.Contains(r.Body, `role="alert"`) {
			t.Fatalf("fake PDF: %d", r.Status)
		}
		r = upload(t, ed, site.URL, "/admin/documents", url.Values{"date": {"2020-01-01"}, "type": {"report"}},
			map[string][]byte{"empty.txt": nil}, http.Header{"X-Requested-With": {"coalition-upload"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"error"`) || !strings.Contains(r.Body, "empty") {
			t.Fatalf("empty file (script upload): %d %s", r.Status, r.Body)
		}
		r = upload(t, ed, site.URL, "/admin/documents", url.Values{"date": {"2020-01-01"}, "type": {"report"}},
			map[string][]byte{"huge.txt": bytes.Repeat([]byte("a"), 3<<20)}, nil)
		if r.Status != http.StatusRequestEntityTooLarge || !strings.Contains(r.Body, "limit is 1 MB") {
			t.Fatalf("oversized upload: %d", r.Status)
		}
		r = upload(t, ed, site.URL, "/admin/documents", url.Values{"date": {"someday"}, "type": {"report"}},
			map[string][]byte{"ok.txt": []byte("fine")}, nil)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "YYYY-MM-DD") || !strings.Contains(r.Body, `value="someday"`) {
			t.Fatalf("bad date: %d", r.Status)
		}
		waitExtracted(t, site.App.Library)
		if r := ed.Get("/admin/documents"); r.Status != http.StatusOK || strings.Count(r.Body, "state-done") != 4 {
			t.Fatalf("admin list: %d, %d done", r.Status, strings.Count(r.Body, "state-done"))
		}

		// Public listing, facets and counts, combined filters.
		pub := site.NewClient(t)
		r = pub.Get("/documents")
		if r.Status != http.StatusOK || resultCount(t, r.Body) != 3 || strings.Contains(r.Body, "Members briefing") {
			t.Fatalf("/documents: %d, %d", r.Status, resultCount(t, r.Body))
		}
		for _, want := range []string{`href="/documents?region=asia"`, `href="/documents?region=europe"`, `href="/documents?grouping=middle-east-and-north-africa"`,
			`href="/documents?theme=protection-of-civilians"`, `href="/documents?year=2013"`, `href="/documents?language=fr"`, "Aleppo letter"} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("/documents lacks %s", want)
			}
		}
		for path, want := range map[string]int{
			"/documents?region=asia":                               2,
			"/documents?region=western-asia":                       2,
			"/documents?region=asia&type=statement&year=2013":      2,
			"/documents?region=asia&type=statement&year=2014":      0,
			"/documents?country=SYR":                               2,
			"/documents?country=syr&theme=protection-of-civilians": 2,
			"/documents?grouping=middle-east-and-north-africa":     2,
			"/documents?crisis=syria":                              2,
			"/documents?language=fr":                               1,
			"/documents?source=Coalition":                          2,
			"/documents?region=europe&q=kharkiv":                   1,
			"/documents?region=nowhere":                            3,
			"/documents?year=abc":                                  3,
		} {
			r := pub.Get(path)
			if r.Status != http.StatusOK {
				t.Errorf("%s: status %d", path, r.Status)
				continue
			}
			if got := resultCount(t, r.Body); got != want {
				t.Errorf("%s: %d results, want %d", path, got, want)
			}
		}
		if r := pub.Get("/documents?region=nowhere"); !strings.Contains(r.Body, "There is no region") {
			t.Error("unknown region: no note")
		}
		// Region facet drills down: Asia shows its sub-regions, the sub-region its countries.
		r = pub.Get("/documents?region=asia")
		if !strings.Contains(r.Body, `href="/documents?region=western-asia"`) || !strings.Contains(r.Body, `aria-current="true"`) {
			t.Error("region facet does not open on its sub-regions")
		}
		r = pub.Get("/documents?region=western-asia")
		if !strings.Contains(r.Body, `href="/documents?country=SYR&amp;region=western-asia"`) {
			t.Error("sub-region facet does not list its countries")
		}

		// Search: words inside files, highlighting, hostile input.
		r = pub.Get("/search?q=aleppo")
		if r.Status != http.StatusOK || resultCount(t, r.Body) != 1 || !strings.Contains(r.Body, "<mark>Aleppo</mark>") {
			t.Fatalf("search inside the PDF: %d", r.Status)
		}
		if r := pub.Get("/search?q=civils+kharkiv"); resultCount(t, r.Body) != 1 {
			t.Error("accent-insensitive search in HTML text failed")
		}
		if r := pub.Get("/search?q=rakhine"); resultCount(t, r.Body) != 0 {
			t.Error("members-only text found by a visitor")
		}
		if r := pub.Get("/search?q=alert"); resultCount(t, r.Body) != 0 {
			t.Error("script content of an HTML upload was indexed")
		}
		for _, q := range []string{`"unbalanced`, `OR`, `-`, `NEAR(syria, aleppo)`, `title:aleppo`, `'; DROP TABLE documents; --`, "\x00", "\xff\xfe",
			strings.Repeat("x\"(", 2000), `<script>alert(1)</script>`, `-aleppo`, `*`} {
			r := pub.Get("/search?q=" + url.QueryEscape(q))
			if r.Status != http.StatusOK || strings.Contains(r.Body, "Something went wrong") || strings.Contains(r.Body, "<script>alert(1)</script>") {
				t.Errorf("search %.40q: status %d", q, r.Status)
			}
		}
		if r := pub.Get("/search?q=-aleppo"); !strings.Contains(r.Body, "not only words to leave out") {
			t.Error("only exclusions: no friendly message")
		}

		// Feeds.
		for path, want := range map[string]int{"/documents/feed.atom?country=SYR": 2, "/search/feed.atom?q=aleppo": 1, "/documents/feed.atom": 3} {
			r := pub.Get(path)
			var feed struct {
				Title   string `xml:"title"`
				Entries []struct {
					Title string `xml:"title"`
					Link  struct {
						Href string `xml:"href,attr"`
					} `xml:"link"`
				} `xml:"entry"`
			}
			if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/atom+xml") {
				t.Fatalf("%s: %d %s", path, r.Status, r.Header.Get("Content-Type"))
			}
			if err := xml.Unmarshal([]byte(r.Body), &feed); err != nil || len(feed.Entries) != want {
				t.Fatalf("%s: %d entries (%v)", path, len(feed.Entries), err)
			}
			if !strings.HasPrefix(feed.Entries[0].Link.Href, site.URL+"/documents/") {
				t.Fatalf("%s: entry link %q", path, feed.Entries[0].Link.Href)
			}
		}
		if r := pub.Get("/documents?country=SYR"); !strings.Contains(r.Body, `href="/documents/feed.atom?country=SYR"`) {
			t.Error("listing does not advertise its filtered feed")
		}

		// API.
		l := getAPI(t, pub, "/api/v1/documents?country=SYR")
		if l.Total != 2 || len(l.Items) != 2 || len(l.Items[0].Countries) != 1 || l.Items[0].Countries[0] != "SYR" ||
			l.Items[0].Crises[0] != "syria" || l.Items[0].Themes[0] != "protection-of-civilians" || l.Items[0].FileURL == "" {
			t.Fatalf("API list: %+v", l)
		}
		if facetCount(l, "region", "asia") != 2 || facetCount(l, "subregion", "western-asia") != 2 || facetCount(l, "country", "SYR") != 2 ||
			facetCount(l, "grouping", "middle-east-and-north-africa") != 2 || facetCount(l, "type", "statement") != 2 || facetCount(l, "year", "2013") != 2 {
			t.Fatalf("API facets: %+v", l.Facets)
		}
		all := getAPI(t, pub, "/api/v1/documents")
		if all.Total != 3 || facetCount(all, "language", "fr") != 1 || facetCount(all, "region", "europe") != 1 {
			t.Fatalf("API all: %d %+v", all.Total, all.Facets)
		}
		if q := getAPI(t, pub, "/api/v1/documents?q=aleppo&region=asia"); q.Total != 1 || !strings.Contains(q.Items[0].Snippet, "<mark>") {
			t.Fatalf("API search: %+v", q)
		}
		if bad := getAPI(t, pub, "/api/v1/documents?q="+url.QueryEscape(`"NEAR( -`)+"&year=x"); len(bad.Notes) == 0 || bad.Items == nil {
			t.Fatalf("API with hostile input: %+v", bad)
		}
		if p2 := getAPI(t, pub, "/api/v1/documents?per_page=2&page=2"); p2.Total != 3 || len(p2.Items) != 1 {
			t.Fatalf("API paging: %+v", p2)
		}
		one := pub.Get(fmt.Sprintf("/api/v1/documents/%d", l.Items[0].ID))
		if one.Status != http.StatusOK || !strings.Contains(one.Body, `"countries": [`) {
			t.Fatalf("API one: %d %s", one.Status, one.Body)
		}
		if r := pub.Get("/api/v1/documents/" + membersID); r.Status != http.StatusNotFound {
			t.Fatalf("members-only document through the API: %d", r.Status)
		}
		if r := pub.Get("/api/v1/documents/abc"); r.Status != http.StatusNotFound || !strings.Contains(r.Body, "error") {
			t.Fatalf("API bad id: %d", r.Status)
		}
		var spec struct {
			OpenAPI string         `json:"openapi"`
			Paths   map[string]any `json:"paths"`
		}
		r = pub.Get("/api/v1/openapi.json")
		if err := json.Unmarshal([]byte(r.Body), &spec); err != nil || !strings.HasPrefix(spec.OpenAPI, "3.") || spec.Paths["/documents"] == nil || spec.Paths["/documents/{id}"] == nil {
			t.Fatalf("OpenAPI: %v %+v", err, spec)
		}

		// Access control for members-only documents.
		if r := pub.Get("/documents/" + membersID); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Fatalf("members-only page for a visitor: %d", r.Status)
		}
		if r := pub.Get("/documents/" + membersID + "/file"); r.Status != http.StatusSeeOther {
			t.Fatalf("members-only file for a visitor: %d", r.Status)
		}
		site.AddUser(t, "plain@example.org", accounts.RoleMember, "a plain member password")
		plain := site.NewClient(t)
		plain.Login("plain@example.org", "a plain member password")
		if r := plain.Get("/documents/" + membersID); r.Status != http.StatusForbidden {
			t.Fatalf("members-only page for a user without organisation: %d", r.Status)
		}
		var orgID int64
		if err := d.W.QueryRow("INSERT INTO organisations (name, slug, created_at) VALUES ('Partner', 'partner', $1) RETURNING id", time.Now().UTC()).Scan(&orgID); err != nil {
			t.Fatal(err)
		}
		if _, err := site.App.Accounts.Create(context.Background(), accounts.NewUser{Email: "m@example.org", Role: accounts.RoleMember,
			Password: "a member password here", OrganisationID: orgID}); err != nil {
			t.Fatal(err)
		}
		mem := site.NewClient(t)
		mem.Login("m@example.org", "a member password here")
		if r := mem.Get("/documents"); resultCount(t, r.Body) != 4 || !strings.Contains(r.Body, "Members briefing") {
			t.Fatalf("member listing: %d", resultCount(t, r.Body))
		}
		if r := mem.Get("/search?q=rakhine"); resultCount(t, r.Body) != 1 {
			t.Fatal("member search misses the members-only document")
		}
		if l := getAPI(t, mem, "/api/v1/documents"); l.Total != 4 {
			t.Fatalf("member API: %d", l.Total)
		}
		if r := mem.Get("/documents/" + membersID + "/file"); r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Cache-Control"), "no-store") {
			t.Fatalf("member file: %d %s", r.Status, r.Header.Get("Cache-Control"))
		}
		if r := mem.Get("/documents/feed.atom"); strings.Contains(r.Body, "Members briefing") {
			t.Fatal("members-only document in a feed")
		}

		// Files: right type, never rendered as a page of the site.
		ukrID := strings.TrimPrefix(ukrAdmin, "/admin/documents/")
		r = pub.Get("/documents/" + ukrID + "/file")
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
			!strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") || !strings.HasPrefix(r.Header.Get("Content-Security-Policy"), "sandbox") ||
			r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("HTML file headers: %d %v", r.Status, r.Header)
		}
		r = pub.Get(strings.TrimPrefix(l.Items[0].FileURL, site.URL))
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "inline") || !strings.Contains(r.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("file headers: %d %v", r.Status, r.Header)
		}

		// Places.
		for path, want := range map[string]string{"/regions": "Western Asia", "/regions/asia": "Aleppo letter", "/regions/western-asia": "Syria",
			"/regions/middle-east-and-north-africa": "Aleppo letter", "/countries/syr": "الجمهورية العربية السورية", "/countries/UKR": "Rapport sur l’Ukraine"} {
			r := pub.Get(path)
			if r.Status != http.StatusOK || !strings.Contains(r.Body, want) {
				t.Errorf("%s: %d, lacks %q", path, r.Status, want)
			}
		}
		if r := pub.Get("/countries/syr"); !strings.Contains(r.Body, `href="/regions/middle-east-and-north-africa"`) {
			t.Error("country page does not name its coalition region")
		}
		for _, path := range []string{"/countries/xxx", "/regions/nowhere", "/documents/999999", "/documents/abc"} {
			if r := pub.Get(path); r.Status != http.StatusNotFound {
				t.Errorf("%s: %d", path, r.Status)
			}
		}

		// Any item type in the index shows up in search and on place pages
		// (articles arrive with issue 3): type label, title link, date, snippet.
		syr, err := site.App.Places.Get(context.Background(), "country", "syr")
		if err != nil {
			t.Fatal(err)
		}
		err = d.Tx(context.Background(), func(tx *sql.Tx) error {
			return site.App.Search.Put(context.Background(), tx, search.Item{Type: "article", ID: 77, Title: "Aleppo one year on", Summary: "News from Aleppo.",
				Body: "A year after the siege of Aleppo ended, families return.", URL: "/news/aleppo-one-year-on", Date: time.Date(2017, 12, 22, 0, 0, 0, 0, time.UTC),
				Language: "en", Kind: "news", TagIDs: []int64{syr.ID}})
		})
		if err != nil {
			t.Fatal(err)
		}
		r = pub.Get("/search?q=aleppo")
		if resultCount(t, r.Body) != 2 || !strings.Contains(r.Body, `href="/news/aleppo-one-year-on"`) || !strings.Contains(r.Body, ">Article<") ||
			!strings.Contains(r.Body, "<mark>Aleppo</mark> ended") || !strings.Contains(r.Body, `href="/search?content=article&amp;q=aleppo"`) {
			t.Fatalf("article in search: %d", resultCount(t, r.Body))
		}
		if r := pub.Get("/search?q=aleppo&content=article"); resultCount(t, r.Body) != 1 {
			t.Fatal("content filter")
		}
		if r := pub.Get("/documents?q=aleppo"); resultCount(t, r.Body) != 1 {
			t.Fatal("an article in the document library")
		}
		if r := pub.Get("/countries/syr"); !strings.Contains(r.Body, `href="/news/aleppo-one-year-on"`) {
			t.Fatal("article missing from the country page's news slot")
		}

		// Editing and deleting follow through to search.
		ed.Get(ukrAdmin)
		r = upload(t, ed, site.URL, ukrAdmin, url.Values{"title": {"Report on Ukraine"}, "date": {"2022-03-02"}, "type": {"report"},
			"language": {"en"}, "countries": {"UKR", "POL"}, "access": {"public"}}, nil, nil)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("edit: %d", r.Status)
		}
		if l := getAPI(t, pub, "/api/v1/documents?country=POL"); l.Total != 1 || l.Items[0].Title != "Report on Ukraine" {
			t.Fatalf("after edit: %+v", l)
		}
		ed.Get(ukrAdmin)
		if r := ed.Post(ukrAdmin+"/delete", url.Values{}); r.Status != http.StatusSeeOther {
			t.Fatalf("delete: %d", r.Status)
		}
		if r := pub.Get("/search?q=kharkiv"); resultCount(t, r.Body) != 0 {
			t.Fatal("deleted document still found")
		}
		if r := pub.Get("/documents/" + ukrID + "/file"); r.Status != http.StatusNotFound {
			t.Fatalf("deleted document's file: %d", r.Status)
		}
		// Visitors cannot reach the admin.
		if r := pub.Get("/admin/documents"); r.Status != http.StatusSeeOther {
			t.Fatalf("admin for a visitor: %d", r.Status)
		}
		if r := mem.Get("/admin/tags"); r.Status != http.StatusForbidden {
			t.Fatalf("tags admin for a member: %d", r.Status)
		}
	})
}

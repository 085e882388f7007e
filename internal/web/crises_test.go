package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"coalition/internal/accounts"
	"coalition/internal/crises"
	"coalition/internal/db"
	"coalition/internal/members"
	"coalition/internal/testkit"

	"github.com/mmcdole/gofeed"
)

type recordingNotifier struct {
	mu    sync.Mutex
	items []crises.AlertItem
}

func (n *recordingNotifier) Notify(_ context.Context, it crises.AlertItem) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.items = append(n.items, it)
	return nil
}

func (n *recordingNotifier) got() []crises.AlertItem {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]crises.AlertItem(nil), n.items...)
}

func statusBySlug(t *testing.T, site *testkit.Site, slugv string) int64 {
	t.Helper()
	sts, err := site.App.Crises.Statuses(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		if st.Slug == slugv {
			return st.ID
		}
	}
	t.Fatalf("no status %s", slugv)
	return 0
}

// svgOf extracts the map's SVG from a page.
func svgOf(t *testing.T, body string) string {
	t.Helper()
	i := strings.Index(body, "<svg class=\"worldmap\"")
	j := strings.Index(body, "</svg>")
	if i < 0 || j < i {
		t.Fatal("no map on the page")
	}
	return body[i : j+len("</svg>")]
}

func TestCrisesAdminPagesFeedAndAlerts(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		site := testkit.NewSite(t, testkit.SiteOptions{DB: d})
		rec := &recordingNotifier{}
		site.App.Crises.Notifier = rec
		site.AddUser(t, "editor@example.org", accounts.RoleEditor, "an editor password")
		ed := site.NewClient(t)
		ed.Login("editor@example.org", "an editor password")
		current, concern := statusBySlug(t, site, "current-crisis"), statusBySlug(t, site, "serious-concern")

		ed.Get("/admin/crises/new")
		if r := ed.Post("/admin/crises", url.Values{"title": {"Sudan"}, "status": {itoa(current)}}); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(r.Body, "Choose at least one country") {
			t.Fatalf("no country: %d", r.Status)
		}
		r := ed.Post("/admin/crises", url.Values{"title": {"Sudan and Chad"}, "status": {itoa(current)}, "countries": {"SDN", "TCD"},
			"summary": {"Fighting since **April 2023**."}, "recommendations": {"Protect civilians in El Fasher\n\nOpen the Adre crossing"},
			"section_heading": {"Background", ""}, "section_body": {"The war began in *Khartoum*. <script>alert(1)</script>", ""}, "published": {"1"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		adminPath := r.Header.Get("Location")
		ed.Get("/admin/crises/new")
		ed.Post("/admin/crises", url.Values{"title": {"Chad border"}, "status": {itoa(concern)}, "countries": {"TCD", "CMR"}, "published": {"1"}})
		ed.Get("/admin/crises/new")
		ed.Post("/admin/crises", url.Values{"title": {"Draft situation"}, "status": {itoa(concern)}, "countries": {"HTI"}})

		// A timeline update, published: the notifier hears of it once.
		ed.Get(adminPath)
		r = ed.Post(adminPath+"/updates", url.Values{"date": {"2026-02-03"}, "title": {"Drone strike on a hospital"}, "body": {"The **main** hospital was hit."}, "publish": {"1"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("update: %d %s", r.Status, r.Body)
		}
		items := rec.got()
		if len(items) != 1 || items[0].Title != "Sudan and Chad: Drone strike on a hospital" || !strings.HasPrefix(items[0].URL, site.URL+"/crises/sudan-and-chad#update-") ||
			len(items[0].TagIDs) < 5 {
			t.Fatalf("alerts: %+v", items)
		}
		if r := ed.Post(adminPath+"/updates", url.Values{"date": {"3 February"}, "title": {"Bad date"}}); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(r.Body, "year-month-day") {
			t.Fatalf("bad date: %d", r.Status)
		}
		ed.Get(adminPath)
		ed.Post(adminPath+"/updates", url.Values{"date": {"2026-02-04"}, "title": {"Draft note"}})
		if len(rec.got()) != 1 {
			t.Fatal("a draft update was alerted")
		}

		visitor := site.NewClient(t)
		page := visitor.Get("/crises/sudan-and-chad")
		for _, want := range []string{"Sudan and Chad", "Current crisis", "Updated:", "<strong>April 2023</strong>", "Protect civilians in El Fasher",
			"Open the Adre crossing", "<em>Khartoum</em>", "Drone strike on a hospital", `href="/crises/sudan-and-chad/feed.atom"`,
			`href="/countries/SDN"`, `<link rel="stylesheet" href="/crises/status.css">`} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("crisis page lacks %q", want)
			}
		}
		if strings.Contains(page.Body, "<script>alert") || strings.Contains(page.Body, "Draft note") {
			t.Error("unsafe or draft content on the crisis page")
		}
		if r := visitor.Get("/crises/draft-situation"); r.Status != http.StatusNotFound {
			t.Errorf("draft crisis: %d", r.Status)
		}
		if r := ed.Get("/crises/draft-situation"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Preview") {
			t.Errorf("staff preview: %d", r.Status)
		}
		// The feed is valid Atom with the published update.
		feedRes := visitor.Get("/crises/sudan-and-chad/feed.atom")
		if feedRes.Status != http.StatusOK || !strings.HasPrefix(feedRes.Header.Get("Content-Type"), "application/atom+xml") {
			t.Fatalf("feed: %d %s", feedRes.Status, feedRes.Header.Get("Content-Type"))
		}
		feed, err := gofeed.NewParser().ParseString(feedRes.Body)
		if err != nil {
			t.Fatalf("feed does not parse: %v", err)
		}
		if feed.FeedType != "atom" || len(feed.Items) != 1 || feed.Items[0].Title != "Drone strike on a hospital" ||
			!strings.Contains(feed.Items[0].Content, "<strong>main</strong>") || feed.Items[0].PublishedParsed == nil || feed.Link != site.URL+"/crises/sudan-and-chad" {
			t.Fatalf("feed: %+v", feed)
		}
		if r := visitor.Get("/crises/draft-situation/feed.atom"); r.Status != http.StatusNotFound {
			t.Errorf("draft feed: %d", r.Status)
		}
		// The index groups by status and colours each country by its gravest status.
		idx := visitor.Get("/crises")
		if !strings.Contains(idx.Body, `id="status-current-crisis"`) || !strings.Contains(idx.Body, `id="status-serious-concern"`) || strings.Contains(idx.Body, "Draft situation") {
			t.Fatal("index groups")
		}
		svg := svgOf(t, idx.Body)
		var v any
		if err := xml.Unmarshal([]byte(svg), &v); err != nil {
			t.Fatalf("map is not well-formed: %v", err)
		}
		for iso, class := range map[string]string{"SDN": "st-current-crisis", "TCD": "st-current-crisis", "CMR": "st-serious-concern"} {
			re := regexp.MustCompile(`<a href="/countries/` + iso + `" aria-label="[^"]*"><path class="c ` + class + `"`)
			if !re.MatchString(svg) {
				t.Errorf("%s is not coloured %s on the map", iso, class)
			}
		}
		if strings.Contains(svg, `href="/countries/HTI" aria-label="Haiti:`) {
			t.Error("a draft crisis is on the map")
		}
		// Every country of the plain list is linked on the map, and the list says its status.
		list := idx.Body[strings.Index(idx.Body, `class="map-rows"`):]
		rows := regexp.MustCompile(`<a href="/countries/([A-Z]{3})">`).FindAllStringSubmatch(list, -1)
		if len(rows) != 3 {
			t.Fatalf("list rows: %v", rows)
		}
		for _, row := range rows {
			if !strings.Contains(svg, `href="/countries/`+row[1]+`"`) {
				t.Errorf("%s is listed but not linked on the map", row[1])
			}
		}
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write([]byte(svg))
		zw.Close()
		if gz.Len() > 60<<10 {
			t.Errorf("the map is %d bytes gzipped", gz.Len())
		}
		css := visitor.Get("/crises/status.css")
		if css.Status != http.StatusOK || !strings.Contains(css.Body, ".worldmap .c.st-current-crisis{fill:#a4161a}") || !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") {
			t.Fatalf("status colours: %d %q", css.Status, css.Body)
		}
		// The status scale is editable: a new colour reaches the stylesheet.
		ed.Get("/admin/crisis-statuses")
		if r := ed.Post("/admin/crisis-statuses/"+itoa(current), url.Values{"name": {"Current crisis"}, "gravity": {"1"}, "colour": {"#990000"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("edit status: %d", r.Status)
		}
		if r := ed.Post("/admin/crisis-statuses/"+itoa(current), url.Values{"name": {"Current crisis"}, "gravity": {"1"}, "colour": {"red; }"}}); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad colour: %d", r.Status)
		}
		if css := visitor.Get("/crises/status.css"); !strings.Contains(css.Body, "fill:#990000") {
			t.Fatal("edited colour not in the stylesheet")
		}
		// The crisis is a tag kept in step with its title.
		c, _ := site.App.Crises.BySlug(context.Background(), "sudan-and-chad")
		ed.Get(adminPath)
		ed.Post(adminPath, url.Values{"title": {"Sudan and eastern Chad"}, "status": {itoa(current)}, "countries": {"SDN", "TCD"}, "published": {"1"}})
		if tag, _ := site.App.Places.ByID(context.Background(), c.TagID); tag.Name != "Sudan and eastern Chad" || tag.Kind != "crisis" {
			t.Fatalf("tag: %+v", tag)
		}
		for _, name := range []string{"TCD"} {
			l, err := site.App.Crises.ForCountries(context.Background(), name)
			if err != nil || len(l) != 2 {
				t.Fatalf("crises for %s: %v %v", name, l, err)
			}
		}
	})
}

func TestMembersDirectoryAndMap(t *testing.T) {
	ms := newMemberSite(t, testkit.NewSQLite(t))
	ctx := context.Background()
	supporter := tierBySlug(t, ms.site, "ngo-supporter")
	ms.site.App.Members.Create(ctx, membersOrg("Gamma Peace", "SEN", supporter))
	ms.site.App.Members.Create(ctx, membersOrg("Delta Aid", "KEN", supporter))
	v := ms.visitor
	all := v.Get("/members")
	for _, want := range []string{"Alpha Watch", "Gamma Peace", "Delta Aid", `<option value="africa"`, `href="/members?tier=ngo-supporter"`, "The map as a list"} {
		if !strings.Contains(all.Body, want) {
			t.Errorf("directory lacks %q", want)
		}
	}
	svg := svgOf(t, all.Body)
	if !regexp.MustCompile(`<a href="/countries/KEN" aria-label="Kenya: 2 member organisations"><path class="c g2"`).MatchString(svg) ||
		!regexp.MustCompile(`<a href="/countries/SEN" aria-label="Senegal: 1 member organisation"><path class="c g1"`).MatchString(svg) {
		t.Error("members map shades")
	}
	f := v.Get("/members?tier=ngo-supporter&country=ken")
	if !strings.Contains(f.Body, "Delta Aid") || strings.Contains(f.Body, `href="/members/gamma-peace"`) || strings.Contains(f.Body, `href="/members/alpha-watch"`) {
		t.Error("filter by tier and country")
	}
	if r := v.Get("/members?region=europe&tier=nonsense"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Gamma Peace") {
		t.Error("unknown filter values are ignored")
	}
	if r := v.Get("/members?region=africa"); !strings.Contains(r.Body, "Gamma Peace") || !strings.Contains(r.Body, "Alpha Watch") {
		t.Error("filter by region")
	}
}

// TestNoServerErrorOnBadInput throws malformed paths, ids and forms at the
// new routes: nothing a visitor, member or editor can type gets a 500.
func TestNoServerErrorOnBadInput(t *testing.T) {
	ms := newMemberSite(t, testkit.NewSQLite(t))
	long := strings.Repeat("x", 300000)
	gets := []string{"/members/..%2f", "/members/NOPE", "/members/x/logo", "/members/alpha-watch/logo?v=abc", "/members/alpha-watch/news/abc",
		"/members/alpha-watch/news/99999999999999999999", "/members/alpha-watch/documents/-1/file", "/join?tier=abc", "/join/application/abc/def",
		"/join/application/1/x", "/crises/NOPE", "/crises/nope/feed.atom", "/crises/%00", "/members?region=%ff&country=<x>&tier=" + long[:1000],
		"/member/submissions/abc", "/member/submissions/999", "/member/submit/poem", "/admin/members/abc", "/admin/members/999",
		"/admin/applications/999", "/admin/submissions/999", "/admin/submissions/999/file", "/admin/crises/999", "/admin/crises/1?update=abc"}
	for _, c := range []*testkit.Client{ms.visitor, ms.adminA, ms.editor} {
		for _, p := range gets {
			if r := c.Get(p); r.Status >= 500 {
				t.Errorf("GET %s: %d", p, r.Status)
			}
		}
	}
	posts := map[string]url.Values{
		"/join":                           {"org_name": {long}, "tier": {"abc"}, "country": {"??"}, "contact_email": {"\r\nBcc: x@y"}},
		"/join/application/1/forged":      {"answer": {"x"}},
		"/member/profile":                 {"name": {long}, "website": {"javascript:alert(1)"}, "country": {"ZZZ"}},
		"/member/submissions":             {"kind": {"poem"}, "title": {long}, "countries": {"ZZZ", ""}, "themes": {"abc", "-5", "99999"}},
		"/member/submissions/999":         {"title": {"x"}},
		"/member/people":                  {"email": {"\x00@@"}},
		"/member/people/abc/remove":       {},
		"/member/people/999/admin":        {"admin": {"1"}},
		"/admin/members":                  {"name": {""}, "tier": {"-1"}, "joined": {"31/12/2020"}},
		"/admin/members/999":              {"name": {"x"}},
		"/admin/members/999/people":       {"email": {"x@example.org"}},
		"/admin/members/1/people/999/zap": {},
		"/admin/member-tiers":             {"name": {""}},
		"/admin/member-tiers/999":         {"name": {"x"}},
		"/admin/applications/999/approve": {},
		"/admin/applications/abc/ask":     {"note": {"x"}},
		"/admin/submissions/999":          {"action": {"approve"}},
		"/admin/crises":                   {"title": {long}, "status": {"abc"}, "countries": {"ZZZ"}, "section_heading": {""}, "section_body": {"orphan"}},
		"/admin/crises/999":               {"title": {"x"}},
		"/admin/crises/999/updates":       {"date": {"2026-13-45"}},
		"/admin/crisis-statuses":          {"name": {"x"}, "gravity": {"-3"}, "colour": {"#zzzzzz"}},
		"/admin/crisis-statuses/999":      {"name": {"x"}, "gravity": {"2"}, "colour": {"#000000"}},
	}
	for _, c := range []*testkit.Client{ms.visitor, ms.adminA, ms.editor} {
		for p, v := range posts {
			c.Get("/")
			vals := url.Values{}
			for k, vs := range v {
				vals[k] = vs
			}
			if r := c.Post(p, vals); r.Status >= 500 {
				t.Errorf("POST %s: %d", p, r.Status)
			}
		}
	}
}

func membersOrg(name, country string, tier int64) members.OrgInput {
	return members.OrgInput{Name: name, Country: country, TierID: tier, Public: true}
}

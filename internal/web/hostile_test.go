package web_test

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"coalition/internal/demo"
	"coalition/internal/testkit"

	"golang.org/x/net/html"
)

// hostile is the corpus sent to every form field and query parameter.
var hostile = []string{
	`<script>alert(1337)</script>`,
	`"><img src=x onerror=alert(1337)>`,
	`javascript:alert(1337)`,
	`' OR '1'='1' --`,
	`1; DROP TABLE users; --`,
	`{{.}}{{template "layout"}}${7*7}<%= 7*7 %>`,
	"line\r\nX-Injected: yes",
	`../../../../etc/passwd`,
	"nul\x00byte",
	"bad \xff\xfe utf-8 \xc0\xaf",
	strings.Repeat("A", 10000),
	`"NEAR(" OR * -`,
}

// reflectedRaw are strings that must never come back unescaped.
var reflectedRaw = []string{`<script>alert(1337)</script>`, `<img src=x onerror=alert(1337)>`}

type form struct {
	page   string
	action string
	method string
	fields map[string]string // name → default value
	hidden map[string]bool
}

// crawl visits same-site pages from the start paths and collects links and forms.
func crawl(t *testing.T, c *testkit.Client, starts []string, limit int) (pages []string, forms []form) {
	seen := map[string]bool{}
	queue := append([]string(nil), starts...)
	for len(queue) > 0 && len(pages) < limit {
		p := queue[0]
		queue = queue[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		r := c.Get(p)
		if r.Status >= 500 {
			t.Errorf("GET %s: %d", p, r.Status)
		}
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			continue
		}
		pages = append(pages, p)
		doc, err := html.Parse(strings.NewReader(r.Body))
		if err != nil {
			t.Errorf("GET %s: unparseable HTML: %v", p, err)
			continue
		}
		var cur *form
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				attr := map[string]string{}
				for _, a := range n.Attr {
					attr[a.Key] = a.Val
				}
				switch n.Data {
				case "a":
					if h := attr["href"]; strings.HasPrefix(h, "/") && !strings.HasPrefix(h, "//") && !skipPath(h) {
						queue = append(queue, strings.SplitN(h, "#", 2)[0])
					}
				case "form":
					method := strings.ToUpper(attr["method"])
					if method == "" {
						method = http.MethodGet
					}
					action := attr["action"]
					if action == "" {
						action = p
					}
					forms = append(forms, form{page: p, action: action, method: method, fields: map[string]string{}, hidden: map[string]bool{}})
					cur = &forms[len(forms)-1]
					for c := n.FirstChild; c != nil; c = c.NextSibling {
						walk(c)
					}
					cur = nil
					return
				case "input", "textarea", "select":
					if cur != nil && attr["name"] != "" && attr["type"] != "file" && attr["type"] != "submit" {
						v := attr["value"]
						if attr["type"] == "checkbox" || attr["type"] == "radio" {
							if _, checked := attr["checked"]; !checked {
								v = ""
							}
							if v == "" && cur.fields[attr["name"]] != "" {
								break
							}
						}
						if n.Data == "select" {
							v = firstOption(n)
						}
						cur.fields[attr["name"]] = v
						if attr["type"] == "hidden" {
							cur.hidden[attr["name"]] = true
						}
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
	}
	return pages, forms
}

func firstOption(sel *html.Node) string {
	var v string
	var f func(n *html.Node) bool
	f = func(n *html.Node) bool {
		if n.Type == html.ElementNode && n.Data == "option" {
			for _, a := range n.Attr {
				if a.Key == "value" {
					v = a.Val
				}
			}
			return true
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if f(c) {
				return true
			}
		}
		return false
	}
	f(sel)
	return v
}

// skipPath leaves out what would end the crawl's session or is not a page.
func skipPath(p string) bool {
	for _, s := range []string{"/logout", "/static/", "/contact/", "/metrics"} {
		if strings.HasPrefix(p, s) {
			return true
		}
	}
	return false
}

func checkResponse(t *testing.T, what string, r testkit.Response) {
	t.Helper()
	if r.Status >= 500 {
		t.Errorf("%s: status %d", what, r.Status)
	}
	for _, raw := range reflectedRaw {
		if strings.Contains(r.Body, raw) {
			t.Errorf("%s: %q reflected unescaped", what, raw)
		}
	}
	if r.Header.Get("X-Injected") != "" {
		t.Errorf("%s: header injection", what)
	}
}

// TestHostileInput sends the hostile corpus to every form field and every
// query parameter the crawler finds, signed in as an admin (who sees every
// form), then checks no page shows a stored payload unescaped.
func TestHostileInput(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{})
	if _, err := demo.Load(context.Background(), site.App); err != nil {
		t.Fatal(err)
	}
	admin, err := site.App.Accounts.ByEmail(context.Background(), demo.AdminEmail)
	if err != nil {
		t.Fatal(err)
	}
	c := site.ClientAs(t, &admin)
	pages, forms := crawl(t, c, []string{"/", "/admin", "/login", "/password/forgot"}, 400)
	if len(pages) < 8 || len(forms) < 5 {
		t.Fatalf("the crawl found only %d pages and %d forms", len(pages), len(forms))
	}

	// Query parameters: every parameter seen in a link, plus q and page.
	params := map[string]bool{"q": true, "page": true}
	for _, p := range pages {
		if u, err := url.Parse(p); err == nil {
			for k := range u.Query() {
				params[k] = true
			}
		}
	}
	var names []string
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	// One URL per path: the crawl finds many filter combinations of the
	// same listing, and the parameters are the same for all of them.
	byPath := map[string]bool{}
	for _, p := range pages {
		u, _ := url.Parse(p)
		if byPath[u.Path] {
			continue
		}
		byPath[u.Path] = true
		for _, k := range names {
			for _, h := range hostile {
				q := u.Query()
				q.Set(k, h)
				target := u.Path + "?" + q.Encode()
				checkResponse(t, "GET "+target[:min(len(target), 120)], c.Get(target))
			}
		}
	}

	// Forms: one hostile value at a time in each visible field.
	sent := 0
	for _, f := range forms {
		if f.method != http.MethodPost {
			for k := range f.fields {
				for _, h := range hostile {
					checkResponse(t, "GET form "+f.action+" "+k, c.Get(f.action+"?"+url.Values{k: {h}}.Encode()))
				}
			}
			continue
		}
		for k := range f.fields {
			if f.hidden[k] || k == "csrf_token" {
				continue
			}
			for _, h := range hostile {
				c.Get(f.page) // a fresh token for this page
				vals := url.Values{}
				for fk, fv := range f.fields {
					vals.Set(fk, fv)
				}
				vals.Set(k, h)
				vals.Del("csrf_token")
				checkResponse(t, "POST "+f.action+" "+k, c.Post(f.action, vals))
				sent++
			}
		}
	}
	t.Logf("%d pages, %d forms, %d query parameters, %d hostile form posts", len(pages), len(forms), len(names), sent)
	if sent == 0 {
		t.Fatal("no form field was tested")
	}
	// Whatever was stored is shown escaped everywhere, and the site still works.
	again, _ := crawl(t, c, []string{"/", "/admin"}, 400)
	for _, p := range again {
		checkResponse(t, "GET "+p+" after the attack", c.Get(p))
	}
	if err := site.App.DB.IntegrityCheck(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := site.NewClient(t).Get("/healthz"); r.Status != http.StatusOK {
		t.Fatalf("healthz after the attack: %d", r.Status)
	}
	// The admin can still sign in with the demo password (nothing overwrote it).
	if _, err := site.App.Accounts.Authenticate(context.Background(), demo.AdminEmail, demo.AdminPassword, "127.0.0.9"); err != nil {
		t.Fatalf("admin sign-in after the attack: %v", err)
	}
}

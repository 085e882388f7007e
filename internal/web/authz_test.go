package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"coalition/internal/accounts"
	"coalition/internal/testkit"
	"coalition/internal/web"
)

// routeAccess is the intended access of every route. The router declares
// access too; this table is the second key: a route added to the router
// without an entry here fails TestAuthorisationMatrix, and so does a route
// whose declared access differs from what is intended here.
var routeAccess = map[string]web.Access{
	"GET /healthz":                                    web.Public,
	"GET /metrics":                                    web.Public,
	"GET /static/{file...}":                           web.Public,
	"GET /robots.txt":                                 web.Public,
	"GET /favicon.ico":                                web.Public,
	"GET /{$}":                                        web.Public,
	"GET /get-involved":                               web.Public,
	"GET /contact/{token}":                            web.Public,
	"GET /login":                                      web.Public,
	"POST /login":                                     web.Public,
	"POST /logout":                                    web.Public,
	"GET /password/forgot":                            web.Public,
	"POST /password/forgot":                           web.Public,
	"GET /password/reset/{token}":                     web.Public,
	"POST /password/reset/{token}":                    web.Public,
	"GET /welcome/{token}":                            web.Public,
	"POST /welcome/{token}":                           web.Public,
	"GET /account":                                    web.Signed,
	"POST /account/password":                          web.Signed,
	"GET /admin":                                      web.Staff,
	"GET /admin/users":                                web.Admin,
	"POST /admin/users":                               web.Admin,
	"POST /admin/users/{id}/role":                     web.Admin,
	"POST /admin/users/{id}/disable":                  web.Admin,
	"POST /admin/users/{id}/enable":                   web.Admin,
	"POST /admin/users/{id}/invite":                   web.Admin,
	"GET /admin/settings":                             web.Admin,
	"POST /admin/settings":                            web.Admin,
	"GET /admin/outbox":                               web.Admin,
	"GET /admin/outbox/{id}":                          web.Admin,
	"GET /admin/audit":                                web.Admin,
	"GET /members":                                    web.Public,
	"GET /members/{slug}":                             web.Public,
	"GET /members/{slug}/logo":                        web.Public,
	"GET /members/{slug}/news/{id}":                   web.Public,
	"GET /members/{slug}/documents/{id}":              web.Public,
	"GET /members/{slug}/documents/{id}/file":         web.Public,
	"GET /join":                                       web.Public,
	"POST /join":                                      web.Public,
	"GET /join/thanks":                                web.Public,
	"GET /join/application/{id}/{sig}":                web.Public,
	"POST /join/application/{id}/{sig}":               web.Public,
	"GET /member":                                     web.Member,
	"GET /member/profile":                             web.Member,
	"POST /member/profile":                            web.Member,
	"POST /member/people":                             web.Member,
	"POST /member/people/{id}/remove":                 web.Member,
	"POST /member/people/{id}/admin":                  web.Member,
	"POST /member/people/{id}/invite":                 web.Member,
	"GET /member/submit/{kind}":                       web.Member,
	"POST /member/submissions":                        web.Member,
	"GET /member/submissions/{id}":                    web.Member,
	"POST /member/submissions/{id}":                   web.Member,
	"GET /member/submissions/{id}/file":               web.Member,
	"GET /crises":                                     web.Public,
	"GET /crises/status.css":                          web.Public,
	"GET /crises/{slug}":                              web.Public,
	"GET /crises/{slug}/feed.atom":                    web.Public,
	"GET /admin/members":                              web.Staff,
	"GET /admin/members/new":                          web.Staff,
	"POST /admin/members":                             web.Staff,
	"GET /admin/member-tiers":                         web.Staff,
	"POST /admin/member-tiers":                        web.Staff,
	"POST /admin/member-tiers/{id}":                   web.Staff,
	"GET /admin/members/{id}":                         web.Staff,
	"POST /admin/members/{id}":                        web.Staff,
	"POST /admin/members/{id}/delete":                 web.Admin,
	"POST /admin/members/{id}/people":                 web.Staff,
	"POST /admin/members/{id}/people/{uid}/{action}":  web.Staff,
	"GET /admin/applications":                         web.Staff,
	"GET /admin/applications/{id}":                    web.Staff,
	"POST /admin/applications/{id}/{action}":          web.Staff,
	"GET /admin/submissions":                          web.Staff,
	"GET /admin/submissions/{id}":                     web.Staff,
	"POST /admin/submissions/{id}":                    web.Staff,
	"GET /admin/submissions/{id}/file":                web.Staff,
	"GET /admin/crises":                               web.Staff,
	"GET /admin/crises/new":                           web.Staff,
	"POST /admin/crises":                              web.Staff,
	"GET /admin/crisis-statuses":                      web.Staff,
	"POST /admin/crisis-statuses":                     web.Staff,
	"POST /admin/crisis-statuses/{id}":                web.Staff,
	"GET /admin/crises/{id}":                          web.Staff,
	"POST /admin/crises/{id}":                         web.Staff,
	"POST /admin/crises/{id}/delete":                  web.Admin,
	"POST /admin/crises/{id}/updates":                 web.Staff,
	"GET /donate":                                     web.Public,
	"POST /donate":                                    web.Public,
	"GET /donate/thanks/{ref}":                        web.Public,
	"GET /donate/cancelled/{ref}":                     web.Public,
	"GET /donate/receipt/{token}":                     web.Public,
	"GET /donate/monthly/{token}":                     web.Public,
	"POST /donate/monthly/{token}":                    web.Public,
	"GET /appeals":                                    web.Public,
	"GET /appeals/{slug}":                             web.Public,
	"POST /webhooks/stripe":                           web.Hook,
	"GET /admin/donations":                            web.Staff,
	"GET /admin/donations/export.csv":                 web.Admin,
	"GET /admin/donations/pledge":                     web.Staff,
	"POST /admin/donations/pledge":                    web.Staff,
	"GET /admin/donations/settings":                   web.Admin,
	"POST /admin/donations/settings":                  web.Admin,
	"GET /admin/donations/{id}":                       web.Staff,
	"GET /admin/donations/{id}/receipt":               web.Staff,
	"POST /admin/donations/{id}/received":             web.Staff,
	"POST /admin/donations/{id}/cancel":               web.Staff,
	"POST /admin/donations/{id}/refund":               web.Admin,
	"POST /admin/donations/{id}/resend":               web.Staff,
	"POST /admin/donations/{id}/monthly/cancel":       web.Staff,
	"GET /admin/donors":                               web.Staff,
	"GET /admin/donors/{id}":                          web.Staff,
	"GET /admin/people":                               web.Staff,
	"GET /admin/appeals":                              web.Staff,
	"GET /admin/appeals/new":                          web.Staff,
	"POST /admin/appeals":                             web.Staff,
	"GET /admin/appeals/{id}":                         web.Staff,
	"POST /admin/appeals/{id}":                        web.Staff,
	"GET /news":                                       web.Public,
	"GET /articles/{slug}":                            web.Public,
	"GET /articles/{slug}/print":                      web.Public,
	"GET /articles/{slug}/email":                      web.Public,
	"POST /articles/{slug}/email":                     web.Public,
	"GET /category/{slug}":                            web.Public,
	"GET /category/{slug}/feed.atom":                  web.Public,
	"GET /tag/{slug}":                                 web.Public,
	"GET /tag/{slug}/feed.atom":                       web.Public,
	"GET /archive":                                    web.Public,
	"GET /archive/{year}":                             web.Public,
	"GET /feed.atom":                                  web.Public,
	"GET /sitemap.xml":                                web.Public,
	"GET /media/{id}/{file}":                          web.Public,
	"GET /{slug}":                                     web.Public,
	"GET /admin/articles":                             web.Staff,
	"GET /admin/articles/new":                         web.Staff,
	"POST /admin/articles":                            web.Staff,
	"GET /admin/articles/{id}":                        web.Staff,
	"POST /admin/articles/{id}":                       web.Staff,
	"GET /admin/articles/{id}/preview":                web.Staff,
	"POST /admin/articles/{id}/delete":                web.Staff,
	"GET /admin/articles/{id}/revisions":              web.Staff,
	"GET /admin/articles/{id}/compare":                web.Staff,
	"POST /admin/articles/{id}/revisions/{n}/restore": web.Staff,
	"GET /admin/pages":                                web.Staff,
	"GET /admin/pages/new":                            web.Staff,
	"POST /admin/pages":                               web.Staff,
	"GET /admin/pages/{id}":                           web.Staff,
	"POST /admin/pages/{id}":                          web.Staff,
	"GET /admin/pages/{id}/preview":                   web.Staff,
	"POST /admin/pages/{id}/delete":                   web.Staff,
	"GET /admin/pages/{id}/revisions":                 web.Staff,
	"GET /admin/pages/{id}/compare":                   web.Staff,
	"POST /admin/pages/{id}/revisions/{n}/restore":    web.Staff,
	"POST /admin/preview":                             web.Staff,
	"GET /admin/categories":                           web.Staff,
	"POST /admin/categories":                          web.Staff,
	"POST /admin/categories/{id}":                     web.Staff,
	"POST /admin/categories/{id}/delete":              web.Staff,
	"GET /admin/media":                                web.Staff,
	"POST /admin/media":                               web.Staff,
	"POST /admin/media/{id}/delete":                   web.Staff,
	"GET /documents":                                  web.Public,
	"GET /documents/feed.atom":                        web.Public,
	"GET /documents/{id}":                             web.Public,
	"GET /documents/{id}/file":                        web.Public,
	"GET /search":                                     web.Public,
	"GET /search/feed.atom":                           web.Public,
	"GET /regions":                                    web.Public,
	"GET /regions/{slug}":                             web.Public,
	"GET /countries/{iso3}":                           web.Public,
	"GET /api/v1/documents":                           web.Public,
	"GET /api/v1/documents/{id}":                      web.Public,
	"GET /api/v1/openapi.json":                        web.Public,
	"GET /admin/documents":                            web.Staff,
	"GET /admin/documents/new":                        web.Staff,
	"POST /admin/documents":                           web.Staff,
	"GET /admin/documents/{id}":                       web.Staff,
	"POST /admin/documents/{id}":                      web.Staff,
	"POST /admin/documents/{id}/extract":              web.Staff,
	"POST /admin/documents/{id}/delete":               web.Staff,
	"GET /admin/tags":                                 web.Staff,
	"POST /admin/tags":                                web.Staff,
	"GET /admin/tags/{id}":                            web.Staff,
	"POST /admin/tags/{id}/rename":                    web.Staff,
	"POST /admin/tags/{id}/delete":                    web.Staff,
	"POST /admin/tags/{id}/countries":                 web.Staff,
	"POST /admin/document-types/{id}/rename":          web.Staff,
	"POST /admin/document-types/{id}/delete":          web.Staff,
	// Mailing lists, alerts and campaigns (issue 5).
	"GET /subscribe":                        web.Public,
	"POST /subscribe":                       web.Public,
	"GET /subscribe/thanks":                 web.Public,
	"GET /subscribe/confirm/{token}":        web.Public,
	"POST /subscribe/confirm/{token}":       web.Public,
	"GET /subscribe/manage/{token}":         web.Public,
	"POST /subscribe/manage/{token}":        web.Public,
	"POST /subscribe/manage/{token}/leave":  web.Public,
	"GET /subscribe/address/{token}":        web.Public,
	"POST /subscribe/address/{token}":       web.Public,
	"GET /unsubscribe/{token}":              web.Public,
	"POST /unsubscribe/{token}":             web.Hook,
	"GET /o/{file}":                         web.Public,
	"GET /newsletters":                      web.Public,
	"GET /newsletters/{slug}":               web.Public,
	"POST /webhooks/bounce":                 web.Hook,
	"GET /api/v1/lists":                     web.Token,
	"POST /api/v1/subscribers":              web.Token,
	"POST /api/v1/campaigns":                web.Token,
	"GET /api/v1/campaigns/{id}":            web.Token,
	"POST /api/v1/campaigns/{id}/send":      web.Token,
	"GET /admin/lists":                      web.Staff,
	"POST /admin/lists":                     web.Staff,
	"POST /admin/lists/{id}":                web.Staff,
	"POST /admin/lists/{id}/delete":         web.Admin,
	"GET /admin/subscribers":                web.Staff,
	"GET /admin/subscribers/export.csv":     web.Admin,
	"GET /admin/subscribers/import":         web.Admin,
	"POST /admin/subscribers/import":        web.Admin,
	"GET /admin/subscribers/{id}":           web.Staff,
	"POST /admin/subscribers/{id}/{action}": web.Admin,
	"GET /admin/campaigns":                  web.Staff,
	"GET /admin/campaigns/new":              web.Staff,
	"POST /admin/campaigns":                 web.Staff,
	"GET /admin/campaigns/{id}":             web.Staff,
	"POST /admin/campaigns/{id}":            web.Staff,
	"GET /admin/campaigns/{id}/preview":     web.Staff,
	"GET /admin/campaigns/{id}/progress":    web.Staff,
	"POST /admin/campaigns/{id}/{action}":   web.Staff,
}

// paramValues fills path parameters. Access is decided before a handler
// looks at its parameters, so placeholders are enough; a new parameter name
// must be added here.
var paramValues = map[string]string{
	"id": "999999", "slug": "no-such-thing", "token": "not-a-token", "file...": "style.css",
	"iso3": "SYR", "year": "2026", "name": "x", "sig": "not-a-signature", "kind": "news", "uid": "999999", "action": "approve", "ref": "no-such-ref", "n": "1", "file": "480.jpg",
}

var paramRe = regexp.MustCompile(`\{([^}]+)\}`)

func concretePath(t *testing.T, p string) string {
	p = strings.TrimSuffix(p, "{$}")
	return paramRe.ReplaceAllStringFunc(p, func(m string) string {
		name := strings.Trim(m, "{}")
		v, ok := paramValues[name]
		if !ok {
			t.Fatalf("path parameter %q has no test value: add it to paramValues", name)
		}
		return v
	})
}

type role struct {
	name string
	user *accounts.User
}

// TestAuthorisationMatrix requests every route as a visitor, a member of
// organisation A, a member of organisation B, an editor and an admin, and
// checks who is let through against routeAccess.
func TestAuthorisationMatrix(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{})
	ctx := context.Background()
	mk := func(email string, r accounts.Role, org int64) *accounts.User {
		u, err := site.App.Accounts.Create(ctx, accounts.NewUser{Email: email, Role: r, Password: "a matrix password", OrganisationID: org})
		if err != nil {
			t.Fatal(err)
		}
		return &u
	}
	orgA, orgB := testkit.NewOrganisation(t, site, "Org A"), testkit.NewOrganisation(t, site, "Org B")
	roles := []role{
		{"visitor", nil},
		{"admin", mk("admin@example.org", accounts.RoleAdmin, 0)},
		{"editor", mk("editor@example.org", accounts.RoleEditor, 0)},
		{"member-a", mk("a@example.org", accounts.RoleMember, orgA)},
		{"member-b", mk("b@example.org", accounts.RoleMember, orgB)},
	}

	routes := site.Routes(t)
	seen := map[string]bool{}
	for _, rt := range routes {
		seen[rt.Pattern] = true
		want, ok := routeAccess[rt.Pattern]
		if !ok {
			t.Errorf("route %q has no entry in routeAccess: decide who may use it", rt.Pattern)
			continue
		}
		if want != rt.Access {
			t.Errorf("route %q: the router says %s, the matrix says %s", rt.Pattern, rt.Access, want)
		}
	}
	var stale []string
	for p := range routeAccess {
		if !seen[p] {
			stale = append(stale, p)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("routeAccess lists routes the router does not have: %v", stale)
	}
	if t.Failed() {
		return
	}

	for _, rt := range routes {
		if rt.Pattern == "POST /logout" {
			continue // signing out is allowed to anyone and tested elsewhere
		}
		for _, r := range roles {
			c := site.ClientAs(t, r.user)
			path := concretePath(t, rt.Path())
			var res testkit.Response
			if rt.Method() == http.MethodGet {
				res = c.Get(path)
			} else {
				res = c.Post(path, url.Values{})
			}
			if res.Status >= 500 {
				t.Errorf("%s as %s: %d", rt.Pattern, r.name, res.Status)
				continue
			}
			denied := isDenied(rt, res)
			if allowed := mayUse(rt.Access, r); denied == allowed {
				t.Errorf("%s as %s: status %d (%s), but access %s means allowed=%v",
					rt.Pattern, r.name, res.Status, res.Header.Get("Location"), rt.Access, allowed)
			}
		}
	}
}

// isDenied recognises the access guard's refusals (a redirect to sign in,
// or its 401/403 pages) as opposed to a handler's own answers such as a
// failed sign-in; API routes refuse with 401.
func isDenied(rt web.Route, res testkit.Response) bool {
	if rt.Access == web.Token {
		return res.Status == http.StatusUnauthorized || res.Status == http.StatusForbidden
	}
	switch res.Status {
	case http.StatusSeeOther:
		return strings.HasPrefix(res.Header.Get("Location"), "/login?next=")
	case http.StatusUnauthorized:
		return strings.Contains(res.Body, "Please sign in to do that.")
	case http.StatusForbidden:
		return strings.Contains(res.Body, "does not have access")
	}
	return false
}

func mayUse(a web.Access, r role) bool {
	u := r.user
	switch a {
	case web.Public, web.Hook:
		return true
	case web.Token:
		return false // a session never opens the API
	case web.Signed:
		return u != nil
	case web.Member:
		return u != nil && (u.IsStaff() || u.OrganisationID != 0)
	case web.Staff:
		return u.IsStaff()
	case web.Admin:
		return u.IsAdmin()
	}
	return false
}

// TestEveryUnsafeRouteNeedsCSRF posts to every state-changing browser route
// as an admin (who may use them all) without a token, with a wrong token and
// cross-site: each must be refused with 403.
func TestEveryUnsafeRouteNeedsCSRF(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{})
	u, err := site.App.Accounts.Create(context.Background(), accounts.NewUser{Email: "admin@example.org", Role: accounts.RoleAdmin, Password: "a csrf password"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, rt := range site.Routes(t) {
		if rt.Method() == http.MethodGet || rt.Access == web.Hook || rt.Access == web.Token {
			continue
		}
		n++
		c := site.ClientAs(t, &u)
		path := concretePath(t, rt.Path())
		for name, form := range map[string]url.Values{
			"no token":    {"csrf_token": {""}},
			"wrong token": {"csrf_token": {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},
		} {
			if r := c.Post(path, form); r.Status != http.StatusForbidden {
				t.Errorf("%s with %s: %d", rt.Pattern, name, r.Status)
			}
		}
		req, _ := http.NewRequest(http.MethodPost, site.URL+path, strings.NewReader("csrf_token="+url.QueryEscape(c.CSRF())))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if r := c.Do(req); r.Status != http.StatusForbidden {
			t.Errorf("%s cross-site: %d", rt.Pattern, r.Status)
		}
	}
	if n == 0 {
		t.Fatal("no state-changing routes found")
	}
}

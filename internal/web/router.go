package web

import (
	"net/http"
	"strings"
)

// Access says who may use a route. The guard in mux enforces it, and the
// authorisation-matrix test reads it from this table.
type Access int

// Access levels, from open to closed.
const (
	Public Access = iota // anyone
	Signed               // any signed-in user
	Member               // signed-in member of an organisation, or staff
	Staff                // editors and admins
	Admin                // admins only
	Token                // bearer API token (checked by the handler group)
	Hook                 // machine callers (webhooks, RFC 8058 one-click): no session, no CSRF token
)

// String names the access level for test output.
func (a Access) String() string {
	return [...]string{"public", "signed-in", "member", "staff", "admin", "token", "hook"}[a]
}

// Route is one entry of the route table.
type Route struct {
	Pattern string // "METHOD /path/{param}"
	Access  Access
	Handler http.HandlerFunc
}

// Method returns the route's HTTP method.
func (r Route) Method() string { m, _, _ := strings.Cut(r.Pattern, " "); return m }

// Path returns the route's path pattern.
func (r Route) Path() string { _, p, _ := strings.Cut(r.Pattern, " "); return p }

// routes is every route of the site, in one place.
func (s *Server) routes() []Route {
	return []Route{
		// Operations.
		{"GET /healthz", Public, s.healthz},
		{"GET /metrics", Public, s.metricsHandler}, // loopback or --metrics-token, checked inside
		{"GET /static/{file...}", Public, s.static},
		{"GET /robots.txt", Public, s.robots},
		{"GET /favicon.ico", Public, s.favicon},

		// Public shell.
		{"GET /{$}", Public, s.home},
		{"GET /get-involved", Public, s.getInvolved},
		{"GET /contact/{token}", Public, s.contactRedirect},

		// Sign-in and passwords.
		{"GET /login", Public, s.loginForm},
		{"POST /login", Public, s.login},
		{"POST /logout", Public, s.logout},
		{"GET /password/forgot", Public, s.forgotForm},
		{"POST /password/forgot", Public, s.forgot},
		{"GET /password/reset/{token}", Public, s.resetForm},
		{"POST /password/reset/{token}", Public, s.reset},
		{"GET /welcome/{token}", Public, s.inviteForm},
		{"POST /welcome/{token}", Public, s.acceptInvite},
		{"GET /account", Signed, s.accountPage},
		{"POST /account/password", Signed, s.changePassword},

		// Admin.
		{"GET /admin", Staff, s.adminDashboard},
		{"GET /admin/users", Admin, s.adminUsers},
		{"POST /admin/users", Admin, s.adminInviteUser},
		{"POST /admin/users/{id}/role", Admin, s.adminSetRole},
		{"POST /admin/users/{id}/disable", Admin, s.adminDisableUser},
		{"POST /admin/users/{id}/enable", Admin, s.adminEnableUser},
		{"POST /admin/users/{id}/invite", Admin, s.adminReinviteUser},
		{"GET /admin/settings", Admin, s.adminSettings},
		{"POST /admin/settings", Admin, s.adminSaveSettings},
		{"GET /admin/outbox", Admin, s.adminOutbox},
		{"GET /admin/outbox/{id}", Admin, s.adminOutboxMessage},
		{"GET /admin/audit", Admin, s.adminAudit},

		// Publishing: reading (public_articles*.go, public_feeds.go).
		{"GET /news", Public, s.news},
		{"GET /articles/{slug}", Public, s.article}, // also {slug}.pdf
		{"GET /articles/{slug}/print", Public, s.articlePrint},
		{"GET /articles/{slug}/email", Public, s.articleEmailForm},
		{"POST /articles/{slug}/email", Public, s.articleEmail},
		{"GET /category/{slug}", Public, s.category},
		{"GET /category/{slug}/feed.atom", Public, s.categoryFeed},
		{"GET /tag/{slug}", Public, s.tag},
		{"GET /tag/{slug}/feed.atom", Public, s.tagFeed},
		{"GET /archive", Public, s.archiveIndex},
		{"GET /archive/{year}", Public, s.archive},
		{"GET /feed.atom", Public, s.feed},
		{"GET /sitemap.xml", Public, s.sitemap},
		{"GET /media/{id}/{file}", Public, s.mediaFile},
		{"GET /{slug}", Public, s.page}, // stand-alone pages; every other route wins over this one

		// Publishing: editing (admin_articles.go, admin_categories.go, admin_media.go).
		{"GET /admin/articles", Staff, s.adminArticles},
		{"GET /admin/articles/new", Staff, s.adminNewArticle},
		{"POST /admin/articles", Staff, s.adminSaveArticle},
		{"GET /admin/articles/{id}", Staff, s.adminEditArticle},
		{"POST /admin/articles/{id}", Staff, s.adminSaveArticle},
		{"GET /admin/articles/{id}/preview", Staff, s.adminPreviewArticle},
		{"POST /admin/articles/{id}/delete", Staff, s.adminDeleteArticle},
		{"GET /admin/articles/{id}/revisions", Staff, s.adminRevisions},
		{"GET /admin/articles/{id}/compare", Staff, s.adminCompareRevisions},
		{"POST /admin/articles/{id}/revisions/{n}/restore", Staff, s.adminRestoreRevision},
		{"GET /admin/pages", Staff, s.adminArticles},
		{"GET /admin/pages/new", Staff, s.adminNewArticle},
		{"POST /admin/pages", Staff, s.adminSaveArticle},
		{"GET /admin/pages/{id}", Staff, s.adminEditArticle},
		{"POST /admin/pages/{id}", Staff, s.adminSaveArticle},
		{"GET /admin/pages/{id}/preview", Staff, s.adminPreviewArticle},
		{"POST /admin/pages/{id}/delete", Staff, s.adminDeleteArticle},
		{"GET /admin/pages/{id}/revisions", Staff, s.adminRevisions},
		{"GET /admin/pages/{id}/compare", Staff, s.adminCompareRevisions},
		{"POST /admin/pages/{id}/revisions/{n}/restore", Staff, s.adminRestoreRevision},
		{"POST /admin/preview", Staff, s.adminPreviewFragment},
		{"GET /admin/categories", Staff, s.adminCategories},
		{"POST /admin/categories", Staff, s.adminCreateCategory},
		{"POST /admin/categories/{id}", Staff, s.adminUpdateCategory},
		{"POST /admin/categories/{id}/delete", Staff, s.adminDeleteCategory},
		{"GET /admin/media", Staff, s.adminMedia},
		{"POST /admin/media", Staff, s.adminUploadMedia},
		{"POST /admin/media/{id}/delete", Staff, s.adminDeleteMedia},
	}
}

// mux registers the route table behind the access guard.
func (s *Server) mux() http.Handler {
	m := http.NewServeMux()
	for _, rt := range s.routeTab {
		m.Handle(rt.Pattern, s.guard(rt))
	}
	// Anything unmatched gets the site's own 404 (and 405) pages.
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { s.notFound(w, r) })
	return m
}

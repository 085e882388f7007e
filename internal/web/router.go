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

		// Document library, places and search (issue 4).
		{"GET /documents", Public, s.documentsPage},
		{"GET /documents/feed.atom", Public, s.documentsFeed},
		{"GET /documents/{id}", Public, s.documentPage},      // members-only documents checked inside
		{"GET /documents/{id}/file", Public, s.documentFile}, // same
		{"GET /search", Public, s.searchPage},
		{"GET /search/feed.atom", Public, s.searchFeed},
		{"GET /regions", Public, s.regionsIndex},
		{"GET /regions/{slug}", Public, s.regionPage},
		{"GET /countries/{iso3}", Public, s.countryPage},
		{"GET /api/v1/documents", Public, s.apiDocuments}, // members-only items for member sessions only
		{"GET /api/v1/documents/{id}", Public, s.apiDocumentByID},
		{"GET /api/v1/openapi.json", Public, s.apiOpenAPI},

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
		{"GET /admin/documents", Staff, s.adminDocuments},
		{"GET /admin/documents/new", Staff, s.adminNewDocument},
		{"POST /admin/documents", Staff, s.adminCreateDocuments},
		{"GET /admin/documents/{id}", Staff, s.adminEditDocument},
		{"POST /admin/documents/{id}", Staff, s.adminUpdateDocument},
		{"POST /admin/documents/{id}/extract", Staff, s.adminRetryExtraction},
		{"POST /admin/documents/{id}/delete", Staff, s.adminDeleteDocument},
		{"GET /admin/tags", Staff, s.adminTags},
		{"POST /admin/tags", Staff, s.adminCreateTag},
		{"GET /admin/tags/{id}", Staff, s.adminGrouping},
		{"POST /admin/tags/{id}/rename", Staff, s.adminRenameTag},
		{"POST /admin/tags/{id}/delete", Staff, s.adminDeleteTag},
		{"POST /admin/tags/{id}/countries", Staff, s.adminSetGroupingCountries},
		{"POST /admin/document-types/{id}/rename", Staff, s.adminRenameType},
		{"POST /admin/document-types/{id}/delete", Staff, s.adminDeleteType},
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

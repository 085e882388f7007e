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

		// Member organisations, joining, the member area (issue 6).
		{"GET /members", Public, s.membersDirectory},
		{"GET /members/{slug}", Public, s.memberProfile},
		{"GET /members/{slug}/logo", Public, s.memberLogo},
		{"GET /members/{slug}/news/{id}", Public, s.memberNews},
		{"GET /members/{slug}/documents/{id}", Public, s.memberDocument},
		{"GET /members/{slug}/documents/{id}/file", Public, s.memberDocumentFile},
		{"GET /join", Public, s.joinForm},
		{"POST /join", Public, s.join},
		{"GET /join/thanks", Public, s.joinThanks},
		{"GET /join/application/{id}/{sig}", Public, s.joinApplication},
		{"POST /join/application/{id}/{sig}", Public, s.joinAnswer},
		{"GET /member", Member, s.memberArea},
		{"GET /member/profile", Member, s.memberProfileForm},
		{"POST /member/profile", Member, s.memberProfileSave},
		{"POST /member/people", Member, s.memberInvite},
		{"POST /member/people/{id}/remove", Member, s.memberRemovePerson},
		{"POST /member/people/{id}/admin", Member, s.memberSetAdmin},
		{"POST /member/people/{id}/invite", Member, s.memberReinvite},
		{"GET /member/submit/{kind}", Member, s.memberSubmitForm},
		{"POST /member/submissions", Member, s.memberSubmit},
		{"GET /member/submissions/{id}", Member, s.memberSubmission},
		{"POST /member/submissions/{id}", Member, s.memberResubmit},
		{"GET /member/submissions/{id}/file", Member, s.memberSubmissionFile},

		// Mailing lists, alerts and campaigns (issue 5): public side (public_subscribe.go).
		{"GET /subscribe", Public, s.subscribeForm},
		{"POST /subscribe", Public, s.subscribe},
		{"GET /subscribe/thanks", Public, s.subscribeThanks},
		{"GET /subscribe/confirm/{token}", Public, s.confirmForm}, // a button, so that link scanners confirm nothing
		{"POST /subscribe/confirm/{token}", Public, s.confirmSubscription},
		{"GET /subscribe/manage/{token}", Public, s.preferencesForm}, // signed link, no password
		{"POST /subscribe/manage/{token}", Public, s.savePreferences},
		{"POST /subscribe/manage/{token}/leave", Public, s.leaveAll},
		{"GET /subscribe/address/{token}", Public, s.addressForm},
		{"POST /subscribe/address/{token}", Public, s.confirmAddress},
		{"GET /unsubscribe/{token}", Public, s.unsubscribeForm},
		{"POST /unsubscribe/{token}", Hook, s.oneClickUnsubscribe}, // RFC 8058: no cookie, session or CSRF token
		{"GET /o/{file}", Public, s.openPixel},                     // open-counting pixel ({token}.gif); records only with --mail-tracking
		{"GET /newsletters", Public, s.newslettersArchive},
		{"GET /newsletters/{slug}", Public, s.newsletterArchived},
		{"POST /webhooks/bounce", Hook, s.bounceWebhook}, // --bounce-secret or an API token, checked inside
		// JSON admin API (api_mail.go): bearer tokens from `coalition token create`.
		{"GET /api/v1/lists", Token, s.apiLists},
		{"POST /api/v1/subscribers", Token, s.apiAddSubscriber},
		{"POST /api/v1/campaigns", Token, s.apiCreateCampaign},
		{"GET /api/v1/campaigns/{id}", Token, s.apiCampaign},
		{"POST /api/v1/campaigns/{id}/send", Token, s.apiSendCampaign},
		// Admin (admin_mail*.go).
		{"GET /admin/lists", Staff, s.adminLists},
		{"POST /admin/lists", Staff, s.adminCreateList},
		{"POST /admin/lists/{id}", Staff, s.adminSaveList},
		{"POST /admin/lists/{id}/delete", Admin, s.adminDeleteList},
		{"GET /admin/subscribers", Staff, s.adminSubscribers},
		{"GET /admin/subscribers/export.csv", Admin, s.adminExportSubscribers},
		{"GET /admin/subscribers/import", Admin, s.adminImportForm},
		{"POST /admin/subscribers/import", Admin, s.adminImportSubscribers},
		{"GET /admin/subscribers/{id}", Staff, s.adminSubscriber},
		{"POST /admin/subscribers/{id}/{action}", Admin, s.adminSubscriberAction},
		{"GET /admin/campaigns", Staff, s.adminCampaigns},
		{"GET /admin/campaigns/new", Staff, s.adminNewCampaign},
		{"POST /admin/campaigns", Staff, s.adminSaveCampaign},
		{"GET /admin/campaigns/{id}", Staff, s.adminCampaign},
		{"POST /admin/campaigns/{id}", Staff, s.adminSaveCampaign},
		{"GET /admin/campaigns/{id}/preview", Staff, s.adminPreviewCampaign},
		{"GET /admin/campaigns/{id}/progress", Staff, s.adminCampaignProgress}, // server-sent events
		{"POST /admin/campaigns/{id}/{action}", Staff, s.adminCampaignAction},  // test, schedule, unschedule, send, cancel, delete

		// Crises (issue 6).
		{"GET /crises", Public, s.crisesIndex},
		{"GET /crises/status.css", Public, s.crisisStatusCSS},
		{"GET /crises/{slug}", Public, s.crisisPageHandler},
		{"GET /crises/{slug}/feed.atom", Public, s.crisisFeed},
		// Donations and appeals (issue 7).
		{"GET /donate", Public, s.donateForm},
		{"POST /donate", Public, s.donate},
		{"GET /donate/thanks/{ref}", Public, s.donateThanks},
		{"GET /donate/cancelled/{ref}", Public, s.donateCancelled},
		{"GET /donate/receipt/{token}", Public, s.donateReceipt},     // signed link, no sign-in
		{"GET /donate/monthly/{token}", Public, s.monthlyCancelForm}, // signed link: confirm page
		{"POST /donate/monthly/{token}", Public, s.monthlyCancel},
		{"GET /appeals", Public, s.appealsList},
		{"GET /appeals/{slug}", Public, s.appealShow},
		{"POST /webhooks/stripe", Hook, s.stripeWebhook}, // Stripe-Signature checked inside
		{"GET /admin/donations", Staff, s.adminDonations},
		{"GET /admin/donations/export.csv", Admin, s.adminDonationsExport},
		{"GET /admin/donations/pledge", Staff, s.adminPledgeForm},
		{"POST /admin/donations/pledge", Staff, s.adminPledge},
		{"GET /admin/donations/settings", Admin, s.adminDonationSettings},
		{"POST /admin/donations/settings", Admin, s.adminSaveDonationSettings},
		{"GET /admin/donations/{id}", Staff, s.adminDonation},
		{"GET /admin/donations/{id}/receipt", Staff, s.adminDonationReceipt},
		{"POST /admin/donations/{id}/received", Staff, s.adminDonationReceived},
		{"POST /admin/donations/{id}/cancel", Staff, s.adminDonationCancel},
		{"POST /admin/donations/{id}/refund", Admin, s.adminDonationRefund},
		{"POST /admin/donations/{id}/resend", Staff, s.adminDonationResend},
		{"POST /admin/donations/{id}/monthly/cancel", Staff, s.adminDonationPlanCancel},
		{"GET /admin/donors", Staff, s.adminDonors},
		{"GET /admin/donors/{id}", Staff, s.adminDonor},
		{"GET /admin/people", Staff, s.adminPerson},
		{"GET /admin/appeals", Staff, s.adminAppeals},
		{"GET /admin/appeals/new", Staff, s.adminAppealNew},
		{"POST /admin/appeals", Staff, s.adminAppealSave},
		{"GET /admin/appeals/{id}", Staff, s.adminAppealEdit},
		{"POST /admin/appeals/{id}", Staff, s.adminAppealSave},

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

		// Admin: members, applications, submissions, crises (issue 6).
		{"GET /admin/members", Staff, s.adminMembers},
		{"GET /admin/members/new", Staff, s.adminNewOrg},
		{"POST /admin/members", Staff, s.adminCreateOrg},
		{"GET /admin/member-tiers", Staff, s.adminTiers},
		{"POST /admin/member-tiers", Staff, s.adminCreateTier},
		{"POST /admin/member-tiers/{id}", Staff, s.adminSaveTier},
		{"GET /admin/members/{id}", Staff, s.adminOrg},
		{"POST /admin/members/{id}", Staff, s.adminSaveOrg},
		{"POST /admin/members/{id}/delete", Admin, s.adminDeleteOrg},
		{"POST /admin/members/{id}/people", Staff, s.adminOrgInvite},
		{"POST /admin/members/{id}/people/{uid}/{action}", Staff, s.adminOrgPerson},
		{"GET /admin/applications", Staff, s.adminApplications},
		{"GET /admin/applications/{id}", Staff, s.adminApplication},
		{"POST /admin/applications/{id}/{action}", Staff, s.adminDecideApplication},
		{"GET /admin/submissions", Staff, s.adminSubmissions},
		{"GET /admin/submissions/{id}", Staff, s.adminSubmission},
		{"POST /admin/submissions/{id}", Staff, s.adminReviewSubmission},
		{"GET /admin/submissions/{id}/file", Staff, s.adminSubmissionFile},
		{"GET /admin/crises", Staff, s.adminCrises},
		{"GET /admin/crises/new", Staff, s.adminNewCrisis},
		{"POST /admin/crises", Staff, s.adminCreateCrisis},
		{"GET /admin/crisis-statuses", Staff, s.adminStatuses},
		{"POST /admin/crisis-statuses", Staff, s.adminCreateStatus},
		{"POST /admin/crisis-statuses/{id}", Staff, s.adminSaveStatus},
		{"GET /admin/crises/{id}", Staff, s.adminCrisis},
		{"POST /admin/crises/{id}", Staff, s.adminSaveCrisis},
		{"POST /admin/crises/{id}/delete", Admin, s.adminDeleteCrisis},
		{"POST /admin/crises/{id}/updates", Staff, s.adminCrisisUpdate},
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

// Package web is the HTTP face of Coalition: the router (every route in
// router.go), the middleware chain, and one file per group of handlers.
// Domain packages never import web; web maps their errors to status codes.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/audit"
	"coalition/internal/config"
	"coalition/internal/content"
	"coalition/internal/crises"
	"coalition/internal/db"
	"coalition/internal/donations"
	"coalition/internal/library"
	"coalition/internal/mail"
	"coalition/internal/media"
	"coalition/internal/members"
	"coalition/internal/places"
	"coalition/internal/search"
	"coalition/internal/settings"
	"coalition/internal/worldmap"

	"github.com/prometheus/client_golang/prometheus"
)

// Deps is everything the web layer needs, built by package app.
type Deps struct {
	Config   config.Config
	DB       *db.DB
	Log      *slog.Logger
	Accounts *accounts.Service
	Settings *settings.Store
	Audit    *audit.Log
	Outbox   *mail.Outbox
	Mail     *mail.Service // mailing lists, alerts, campaigns
	Places   *places.Service
	Members  *members.Service
	Crises   *crises.Service
	// Related lists articles and documents by tag and by organisation (for
	// member profiles, crisis pages and the member area); nil hides those
	// sections until the publishing and library areas are wired in.
	Related Related
	// Donations takes gifts (/donate, appeals, the admin's donations).
	Donations *donations.Service
	// Subscribers tells the admin's person view about mailing-list
	// subscriptions for an address; nil until the mailing lists are wired.
	Subscribers PersonRecords
	Content     *content.Service // articles, pages, categories (publishing)
	Media       *media.Store     // uploaded images (publishing)
	Search      search.Index
	Library     *library.Service
	// Now is the clock; tests move it.
	Now func() time.Time
	// Registry receives the HTTP metrics; /metrics serves it.
	Registry *prometheus.Registry
}

// Server serves the site.
type Server struct {
	Deps
	tmpl     *templates
	csrfKey  []byte
	linkKey  []byte
	metrics  *httpMetrics
	limits   *limiters
	chromes  chromeCache
	handler  http.Handler
	routeTab []Route
	worldMap *worldmap.Map
	// mapCountries maps the world map's ISO numeric codes to countries.
	mapCountries map[string]places.Country
	pub          *publishing
	tags         tagCache // library: tags and document types, for filters and facets
	homes        homeCache
	liveArticles articleLookups
}

// New builds the server: parses templates (a broken template fails here, not
// at request time), loads secrets and assembles the router.
func New(ctx context.Context, d Deps) (*Server, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	csrfKey, err := d.Settings.Secret(ctx, "csrf")
	if err != nil {
		return nil, err
	}
	linkKey, err := d.Settings.Secret(ctx, "links")
	if err != nil {
		return nil, err
	}
	s := &Server{Deps: d, csrfKey: csrfKey, linkKey: linkKey, limits: newLimiters()}
	if err := s.initMaps(); err != nil {
		return nil, err
	}
	s.memberLimits()
	s.subscribeLimits()
	if s.tmpl, err = s.parseTemplates(); err != nil {
		return nil, err
	}
	s.metrics = newHTTPMetrics(d.Registry)
	s.routeTab = s.routes()
	s.initPublishing()
	if s.Content != nil {
		// Saves on this instance show at once; other instances' within a second.
		s.Content.OnChange(func(context.Context, int64) {
			s.liveArticles.clear()
			s.homes.clear()
		})
	}
	s.handler = s.chain(s.mux())
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes returns the route table (for the authorisation-matrix test).
func (s *Server) Routes() []Route { return s.routeTab }

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
	"coalition/internal/db"
	"coalition/internal/library"
	"coalition/internal/mail"
	"coalition/internal/places"
	"coalition/internal/search"
	"coalition/internal/settings"

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
	Places   *places.Service
	Search   search.Index
	Library  *library.Service
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
	handler  http.Handler
	routeTab []Route
	tags     tagCache // library: tags and document types, for filters and facets
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
	if s.tmpl, err = s.parseTemplates(); err != nil {
		return nil, err
	}
	s.metrics = newHTTPMetrics(d.Registry)
	s.routeTab = s.routes()
	s.handler = s.chain(s.mux())
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes returns the route table (for the authorisation-matrix test).
func (s *Server) Routes() []Route { return s.routeTab }

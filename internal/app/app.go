// Package app wires Coalition together: it opens the database, applies
// migrations, builds the domain services, starts the background workers and
// the HTTP server, and shuts all of it down gracefully.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
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
	"coalition/internal/web"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// App is a running (or ready to run) Coalition.
type App struct {
	Config   config.Config
	Log      *slog.Logger
	DB       *db.DB
	Accounts *accounts.Service
	Settings *settings.Store
	Audit    *audit.Log
	Outbox   *mail.Outbox
	// Mail is the mailing lists, alerts and campaigns.
	Mail    *mail.Service
	Places  *places.Service
	Members *members.Service
	Crises  *crises.Service
	// Donations takes gifts; its newsletter sign-up is wired with
	// Donations.SetNewsletter once the mailing lists exist.
	Donations *donations.Service
	Content   *content.Service
	Media     *media.Store
	Search    search.Index
	Library   *library.Service
	Registry  *prometheus.Registry
	Now       func() time.Time
}

// NewLogger returns the slog logger the configuration asks for.
func NewLogger(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level)) //nolint:errcheck // validated by config; info on error
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Open opens the database, applies pending migrations and builds the
// services. It does not start anything.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	d, err := db.Open(ctx, cfg.DataDir, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	a, err := OpenDB(ctx, cfg, log, d)
	if err != nil {
		d.Close()
		return nil, err
	}
	return a, nil
}

// OpenDB is Open over an already opened database (tests bring their own).
func OpenDB(ctx context.Context, cfg config.Config, log *slog.Logger, d *db.DB) (*App, error) {
	ran, err := d.Migrate(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range ran {
		log.Info("migration applied", "version", v)
	}
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, "files"), 0o750); err != nil {
		return nil, fmt.Errorf("create files directory: %w", err)
	}
	a, err := build(cfg, log, d)
	if err != nil {
		return nil, err
	}
	if d.ReadOnly {
		log.Warn("the data directory is on a read-only file system: serving reads, refusing every change until it is writable again and the server restarts")
	} else if err := a.Places.Sync(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

func build(cfg config.Config, log *slog.Logger, d *db.DB) (*App, error) {
	a := &App{Config: cfg, Log: log, DB: d, Now: time.Now, Registry: prometheus.NewRegistry()}
	// Services read the clock through a.Now, so tests can move time.
	now := func() time.Time { return a.Now() }
	a.Accounts = accounts.NewService(d, now)
	a.Settings = settings.NewStore(d)
	a.Audit = audit.New(d, now)
	var transport mail.Transport
	if cfg.SMTPURL != "" {
		sc, err := config.ParseSMTP(cfg.SMTPURL)
		if err != nil {
			return nil, err
		}
		t, err := mail.NewSMTPTransport(sc, mail.SMTPOptions{From: cfg.MailFrom, ReturnPath: cfg.BounceAddress,
			DKIMKeyFile: cfg.DKIMKey, DKIMSelector: cfg.DKIMSelector, DKIMDomain: cfg.DKIMDomain})
		if err != nil {
			return nil, err
		}
		transport = t
	}
	a.Outbox = mail.NewOutbox(d, transport, log, now)
	p, err := places.New(d)
	if err != nil {
		return nil, err
	}
	a.Places = p
	bounce := cfg.BounceAddress
	if bounce == "" {
		bounce = cfg.MailFrom
	}
	a.Mail = mail.New(mail.Options{DB: d, Outbox: a.Outbox, Settings: a.Settings, Places: p, Log: log, Now: now,
		BaseURL: cfg.BaseURL, From: cfg.MailFrom, Transport: transport, Connections: cfg.MailConnections,
		RatePerSec: cfg.MailRate, RatePerHour: cfg.MailHourly, BounceAddr: bounce, Tracking: cfg.MailTracking, SenderTimeout: cfg.MailSenderTimeout})
	a.Members = members.New(d, p, now)
	a.Crises = crises.New(d, p, cfg.BaseURL, log, now)
	if a.Donations, err = buildDonations(cfg, log, d, a, now); err != nil {
		return nil, err
	}
	a.Content = content.NewService(d, p, now)
	a.Media = media.NewStore(d, cfg.DataDir, now)
	a.Search = search.New(d)
	lib, err := library.New(d, p, a.Search, filepath.Join(cfg.DataDir, "files"), int64(cfg.MaxUploadMB)<<20, log, now)
	if err != nil {
		return nil, err
	}
	a.Library = lib
	// Connect the areas (wire.go).
	a.wireArticleIndex()
	a.Members.Publisher = memberPublisher{a}
	a.wireMail()
	a.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(d.W, "writer"),
	)
	if d.R != d.W {
		a.Registry.MustRegister(collectors.NewDBStatsCollector(d.R, "reader"))
	}
	return a, nil
}

// buildDonations builds the donations service with the Stripe provider
// when a key is configured.
func buildDonations(cfg config.Config, log *slog.Logger, d *db.DB, a *App, now func() time.Time) (*donations.Service, error) {
	cur, err := donations.ParseCurrencies(cfg.Currencies)
	if err != nil {
		return nil, fmt.Errorf("--currencies: %w", err)
	}
	var providers []donations.Provider
	if cfg.StripeKey != "" {
		p, err := donations.NewStripe(donations.StripeOptions{SecretKey: cfg.StripeKey, WebhookSecret: cfg.StripeWebhookSecret,
			APIURL: cfg.StripeAPIURL, CheckoutOrigin: cfg.StripeCheckoutOrigin})
		if err != nil {
			return nil, err
		}
		providers = append(providers, p)
	}
	return donations.New(donations.Options{DB: d, Outbox: a.Outbox, Settings: a.Settings, Log: log, Now: now, BaseURL: cfg.BaseURL,
		Providers: providers, Currencies: cur, MinMajor: int64(cfg.DonationMin), MaxMajor: int64(cfg.DonationMax)}), nil
}

// Close releases the database.
func (a *App) Close() error { return a.DB.Close() }

// Handler builds the web server.
func (a *App) Handler(ctx context.Context) (*web.Server, error) {
	return web.New(ctx, web.Deps{
		Config: a.Config, DB: a.DB, Log: a.Log, Accounts: a.Accounts, Settings: a.Settings,
		Audit: a.Audit, Outbox: a.Outbox, Places: a.Places, Members: a.Members, Crises: a.Crises, Donations: a.Donations, Content: a.Content, Media: a.Media, Now: func() time.Time { return a.Now() }, Registry: a.Registry,
		Search: a.Search, Library: a.Library, Related: related{a}, Mail: a.Mail, Subscribers: mailPeople{a.Mail},
	})
}

// Serve runs the workers and the HTTP server on ln until ctx ends, then
// stops accepting connections, lets in-flight requests finish (up to the
// shutdown timeout) and stops the workers.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	h, err := a.Handler(ctx)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // uploads on slow connections
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	for name, run := range a.workers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.Log.Debug("worker started", "worker", name)
			run(workCtx)
			a.Log.Debug("worker stopped", "worker", name)
		}()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.Log.Info("listening", "addr", ln.Addr().String(), "url", a.Config.BaseURL, "database", string(a.DB.Dialect))

	select {
	case err := <-errc:
		stopWork()
		wg.Wait()
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down", "timeout", a.Config.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	stopWork()
	wg.Wait()
	if errors.Is(err, context.DeadlineExceeded) {
		a.Log.Warn("shutdown timed out; some requests were cut off")
		err = nil
	}
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) {
		err = errors.Join(err, e)
	}
	a.Log.Info("stopped")
	return err
}

// workers are the background loops that run beside the HTTP server. Each
// keeps its state in the database, so a crash loses nothing.
func (a *App) workers() map[string]func(context.Context) {
	if a.DB.ReadOnly {
		return nil // every worker writes; none can run until the directory is writable
	}
	return map[string]func(context.Context){
		"outbox": a.Outbox.Run,
		"purge":  a.purgeLoop,
		// Alerts of crisis updates that did not go out at once.
		"crisis-alerts": a.Crises.Run,
		"donations":     a.Donations.Run,
		"publish":       func(ctx context.Context) { a.Content.Run(ctx, a.Log) },
		"extract":       a.Library.Run,
		"mail-sender":   a.Mail.RunSender,
		"alerts":        a.Mail.RunAlerts,
		"alert-sweep":   a.alertSweep,
	}
}

func (a *App) purgeLoop(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if err := a.Accounts.PurgeExpired(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("purge expired sessions", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

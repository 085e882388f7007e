// Package config holds the server's configuration, read from command-line
// flags with COALITION_* environment variables as a fallback, and validated
// into one-line errors that name the problem.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is everything the server needs to start. The zero value is not
// usable; start from Default.
type Config struct {
	Addr        string // listen address, HOST:PORT
	DataDir     string // SQLite database (unless DatabaseURL is set) and uploaded files
	DatabaseURL string // postgres://… to use PostgreSQL instead of SQLite
	BaseURL     string // public URL of the site, used in e-mails and feeds; derived from Addr if empty
	LogFormat   string // text or json
	LogLevel    string // debug, info, warn, error

	SMTPURL  string // smtp://[user:pass@]host:port or smtps://…; empty keeps mail in the outbox
	MailFrom string // From: address of outgoing mail

	// Bulk mail (campaigns and alerts).
	DKIMKey         string  // PEM private key file for DKIM signing; empty: no signing
	DKIMSelector    string  // DKIM selector (DNS: SELECTOR._domainkey.DOMAIN)
	DKIMDomain      string  // signing domain; From's domain when empty
	BounceAddress   string  // Return-Path of bulk mail and the mailto of List-Unsubscribe
	BounceSecret    string  // shared secret of /webhooks/bounce (?secret=… or Bearer)
	MailRate        float64 // campaign messages per second (0: no limit)
	MailHourly      int     // campaign messages per hour (0: no limit)
	MailConnections int     // SMTP connections the sender uses at once
	MailTracking    bool    // count opens (off by default)
	// MailSenderTimeout is how long a sender may go silent before another
	// instance (or the restarted one) takes over its unfinished deliveries.
	MailSenderTimeout time.Duration

	MetricsToken string // bearer token that opens /metrics to non-loopback clients

	MaxUploadMB     int           // largest accepted upload
	ShutdownTimeout time.Duration // how long in-flight requests get on SIGTERM
	TrustProxy      bool          // take the client address from X-Forwarded-For (behind a reverse proxy)

	// Donations.
	StripeKey            string // Stripe secret API key; empty turns card gifts off
	StripeWebhookSecret  string // signing secret of the Stripe webhook endpoint (whsec_…)
	StripeAPIURL         string // Stripe API base URL (stripe-mock in tests); Stripe's own when empty
	StripeCheckoutOrigin string // origin of Stripe Checkout pages (a custom domain); https://checkout.stripe.com when empty
	Currencies           string // currencies gifts can be made in, comma-separated ISO codes
	DonationMin          int    // smallest gift, in major units of any currency
	DonationMax          int    // largest gift taken online, in major units
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		Addr:              "127.0.0.1:8080",
		DataDir:           "./data",
		LogFormat:         "text",
		LogLevel:          "info",
		MaxUploadMB:       50,
		ShutdownTimeout:   20 * time.Second,
		Currencies:        "USD,EUR",
		MailConnections:   4,
		MailSenderTimeout: 30 * time.Second,
		DonationMin:       1,
		DonationMax:       100000,
	}
}

// ServerFlags registers the flags of commands that run the server (serve,
// demo) on fs, writing into c.
func (c *Config) ServerFlags(fs *flag.FlagSet) {
	c.StoreFlags(fs)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address `HOST:PORT`")
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public `URL` of the site (default http://ADDR)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: text or json")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn or error")
	fs.StringVar(&c.SMTPURL, "smtp", c.SMTPURL, "outgoing mail server `smtp://[user:pass@]host:port` (smtps:// for implicit TLS); empty keeps mail in the admin outbox")
	fs.StringVar(&c.MailFrom, "mail-from", c.MailFrom, "From `address` of outgoing mail (default noreply@HOST)")
	fs.StringVar(&c.DKIMKey, "dkim-key", c.DKIMKey, "PEM private key `FILE` (RSA or Ed25519) to DKIM-sign outgoing mail")
	fs.StringVar(&c.DKIMSelector, "dkim-selector", c.DKIMSelector, "DKIM `selector` published in DNS (required with --dkim-key)")
	fs.StringVar(&c.DKIMDomain, "dkim-domain", c.DKIMDomain, "DKIM signing `domain` (default: the domain of --mail-from)")
	fs.StringVar(&c.BounceAddress, "bounce-address", c.BounceAddress, "Return-Path `address` of bulk mail, also the mailto of List-Unsubscribe (default --mail-from)")
	fs.StringVar(&c.BounceSecret, "bounce-secret", c.BounceSecret, "shared `secret` that opens /webhooks/bounce (as ?secret= or a Bearer token); empty accepts API tokens only")
	fs.Float64Var(&c.MailRate, "mail-rate", c.MailRate, "campaign `messages` per second (0: as fast as the server takes them)")
	fs.IntVar(&c.MailHourly, "mail-hourly", c.MailHourly, "campaign `messages` per hour (0: no hourly limit)")
	fs.IntVar(&c.MailConnections, "mail-connections", c.MailConnections, "SMTP `connections` the campaign sender uses at once")
	fs.DurationVar(&c.MailSenderTimeout, "mail-sender-timeout", c.MailSenderTimeout, "how long a campaign sender may go silent before another instance takes over its deliveries")
	fs.BoolVar(&c.MailTracking, "mail-tracking", c.MailTracking, "count campaign opens with a pixel (off by default: no tracking)")
	fs.StringVar(&c.MetricsToken, "metrics-token", c.MetricsToken, "bearer `token` that opens /metrics beyond loopback")
	fs.IntVar(&c.MaxUploadMB, "max-upload-mb", c.MaxUploadMB, "largest accepted upload in `MB`")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "time in-flight requests get to finish on SIGTERM")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", c.TrustProxy, "take client addresses from X-Forwarded-For (only behind a reverse proxy)")
	fs.StringVar(&c.StripeKey, "stripe-key", c.StripeKey, "Stripe secret API `key` (sk_…); empty turns card gifts off")
	fs.StringVar(&c.StripeWebhookSecret, "stripe-webhook-secret", c.StripeWebhookSecret, "signing `secret` of the Stripe webhook endpoint /webhooks/stripe (whsec_…)")
	fs.StringVar(&c.StripeAPIURL, "stripe-api-url", c.StripeAPIURL, "Stripe API base `URL` (e.g. stripe-mock for tests); Stripe's own when empty")
	fs.StringVar(&c.StripeCheckoutOrigin, "stripe-checkout-origin", c.StripeCheckoutOrigin, "`origin` of Stripe Checkout pages if you use a custom domain (default https://checkout.stripe.com)")
	fs.StringVar(&c.Currencies, "currencies", c.Currencies, "`codes` of the currencies gifts can be made in, comma-separated; the first is the default")
	fs.IntVar(&c.DonationMin, "donation-min", c.DonationMin, "smallest gift, in whole `units` of any currency")
	fs.IntVar(&c.DonationMax, "donation-max", c.DonationMax, "largest gift taken online, in whole `units` of any currency")
}

// StoreFlags registers the flags every command that opens the database needs.
func (c *Config) StoreFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.DataDir, "data", c.DataDir, "data `DIR` holding the SQLite database and uploaded files")
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "PostgreSQL `URL` (postgres://…); SQLite in --data when empty")
}

// Parse parses args into fs, then fills every flag not given on the command
// line from the environment variable COALITION_<FLAG> (upper case, dashes as
// underscores). Errors are one line and name the flag or variable.
func Parse(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errors.New(strings.TrimSpace(err.Error()))
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || set[f.Name] {
			return
		}
		name := EnvName(f.Name)
		if v := getenv(name); v != "" {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("invalid value %q for %s: %v", v, name, e)
			}
		}
	})
	return err
}

// EnvName is the environment variable that stands in for a flag.
func EnvName(flagName string) string {
	return "COALITION_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Getenv is os.Getenv, named for callers that pass it to Parse.
var Getenv = os.Getenv

// Validate checks the configuration and fills derived values (BaseURL,
// MailFrom). The error names the first problem found.
func (c *Config) Validate() error {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("--addr %q: want HOST:PORT, e.g. 127.0.0.1:8080", c.Addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("--addr %q: port must be a number from 0 to 65535", c.Addr)
	}
	if c.DataDir == "" {
		return errors.New("--data must not be empty")
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return errors.New("--database-url must start with postgres:// or postgresql://")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("--log-format %q: want text or json", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.MaxUploadMB < 1 || c.MaxUploadMB > 4096 {
		return fmt.Errorf("--max-upload-mb %d: want 1 to 4096", c.MaxUploadMB)
	}
	if c.StripeKey != "" && c.StripeWebhookSecret == "" {
		return errors.New("--stripe-webhook-secret is required with --stripe-key: without it no payment can be confirmed")
	}
	if c.StripeAPIURL != "" {
		if u, err := url.Parse(c.StripeAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--stripe-api-url %q: want an absolute http(s) URL", c.StripeAPIURL)
		}
	}
	if c.StripeCheckoutOrigin != "" {
		if u, err := url.Parse(c.StripeCheckoutOrigin); err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("--stripe-checkout-origin %q: want an https origin, like https://pay.example.org", c.StripeCheckoutOrigin)
		}
	}
	for _, cur := range strings.Split(c.Currencies, ",") {
		cur = strings.TrimSpace(cur)
		if len(cur) != 3 || strings.Trim(strings.ToUpper(cur), "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return fmt.Errorf("--currencies %q: want ISO codes separated by commas, like USD,EUR", c.Currencies)
		}
	}
	if c.DonationMin < 1 || c.DonationMax < c.DonationMin || c.DonationMax > 10000000 {
		return fmt.Errorf("--donation-min %d and --donation-max %d: want 1 ≤ min ≤ max ≤ 10000000", c.DonationMin, c.DonationMax)
	}
	if c.SMTPURL != "" {
		if _, err := ParseSMTP(c.SMTPURL); err != nil {
			return err
		}
	}
	if c.BaseURL == "" {
		h := host
		if h == "" || h == "0.0.0.0" || h == "::" {
			h = "localhost"
		}
		c.BaseURL = "http://" + net.JoinHostPort(h, port)
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--base-url %q: want an absolute http(s) URL", c.BaseURL)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.MailFrom == "" {
		c.MailFrom = "noreply@" + u.Hostname()
		if !strings.Contains(u.Hostname(), ".") {
			c.MailFrom = "noreply@localhost.localdomain"
		}
	}
	if c.DKIMKey != "" && c.DKIMSelector == "" {
		return errors.New("--dkim-selector is required with --dkim-key")
	}
	if c.MailRate < 0 || c.MailHourly < 0 {
		return errors.New("--mail-rate and --mail-hourly must not be negative")
	}
	if c.MailSenderTimeout < time.Second {
		return fmt.Errorf("--mail-sender-timeout %s: want at least 1s", c.MailSenderTimeout)
	}
	if c.MailConnections < 1 || c.MailConnections > 64 {
		return fmt.Errorf("--mail-connections %d: want 1 to 64", c.MailConnections)
	}
	if c.BounceAddress != "" && !strings.Contains(c.BounceAddress, "@") {
		return fmt.Errorf("--bounce-address %q: want an e-mail address", c.BounceAddress)
	}
	if !strings.Contains(c.MailFrom, "@") {
		return fmt.Errorf("--mail-from %q: want an e-mail address", c.MailFrom)
	}
	return nil
}

// SMTP is a parsed --smtp URL.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	// ImplicitTLS is true for smtps://; otherwise STARTTLS is used when offered.
	ImplicitTLS bool
}

// ParseSMTP parses smtp://[user:pass@]host:port or smtps://….
func ParseSMTP(raw string) (SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SMTP{}, errors.New("--smtp: not a URL; want smtp://[user:pass@]host:port")
	}
	var s SMTP
	switch u.Scheme {
	case "smtp":
	case "smtps":
		s.ImplicitTLS = true
	default:
		return SMTP{}, fmt.Errorf("--smtp: scheme %q: want smtp:// or smtps://", u.Scheme)
	}
	s.Host = u.Hostname()
	if s.Host == "" {
		return SMTP{}, errors.New("--smtp: missing host")
	}
	port := u.Port()
	if port == "" {
		port = "25"
		if s.ImplicitTLS {
			port = "465"
		}
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p > 65535 {
		return SMTP{}, fmt.Errorf("--smtp: bad port %q", port)
	}
	s.Port = p
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	return s, nil
}

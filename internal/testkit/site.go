package testkit

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/app"
	"coalition/internal/config"
	"coalition/internal/db"
	"coalition/internal/web"
)

// SiteOptions configure NewSite.
type SiteOptions struct {
	// DB is the database to serve; a fresh SQLite database when nil.
	DB *db.DB
	// SMTP, when set, is where the site sends mail; otherwise mail is held.
	SMTP *SMTPServer
	// Config tweaks the configuration before start.
	Config func(*config.Config)
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Site is a running Coalition on a loopback port, with its workers.
type Site struct {
	App  *app.App
	URL  string
	Data string
	stop context.CancelFunc
	done chan struct{}
}

// Clock is a settable clock for tests.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// NewSite starts the app (HTTP server and workers) for the test.
func NewSite(t testing.TB, o SiteOptions) *Site {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Addr = ln.Addr().String()
	cfg.DataDir = t.TempDir()
	cfg.ShutdownTimeout = 5 * time.Second
	if o.SMTP != nil {
		cfg.SMTPURL = o.SMTP.URL
	}
	if o.Config != nil {
		o.Config(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	level := slog.LevelWarn
	if os.Getenv("COALITION_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: level}))
	ctx := context.Background()
	d := o.DB
	if d == nil {
		d, err = db.Open(ctx, cfg.DataDir, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
	}
	a, err := app.OpenDB(ctx, cfg, log, d)
	if err != nil {
		t.Fatal(err)
	}
	if o.Now != nil {
		a.Now = o.Now
	}
	sctx, stop := context.WithCancel(ctx)
	s := &Site{App: a, URL: cfg.BaseURL, Data: cfg.DataDir, stop: stop, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if err := a.Serve(sctx, ln); err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	t.Cleanup(s.Close)
	return s
}

// Close stops the site gracefully and waits for it.
func (s *Site) Close() {
	s.stop()
	<-s.done
}

// AddUser creates a user with a password.
func (s *Site) AddUser(t testing.TB, email string, role accounts.Role, password string) accounts.User {
	t.Helper()
	u, err := s.App.Accounts.Create(context.Background(), accounts.NewUser{Email: email, Name: strings.Split(email, "@")[0], Role: role, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Routes returns the site's route table (as the router declares it).
func (s *Site) Routes(t testing.TB) []web.Route {
	t.Helper()
	h, err := s.App.Handler(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return h.Routes()
}

// ClientAs returns a client already signed in as u (the session is created
// directly, without the cost of a password check) that holds a CSRF token.
func (s *Site) ClientAs(t testing.TB, u *accounts.User) *Client {
	t.Helper()
	c := s.NewClient(t)
	if u != nil {
		tok, _, err := s.App.Accounts.CreateSession(context.Background(), u.ID, "127.0.0.1", "testkit")
		if err != nil {
			t.Fatal(err)
		}
		base, _ := url.Parse(s.URL) //nolint:errcheck // our own URL
		c.HTTP.Jar.SetCookies(base, []*http.Cookie{{Name: "coalition_session", Value: tok, Path: "/"}})
		c.Get("/account") // has the sign-out form, hence a CSRF token
		return c
	}
	c.Get("/login")
	return c
}

// Client is a browser-like HTTP client: it keeps cookies, does not follow
// redirects (tests check them), and fills in the CSRF token it last saw.
type Client struct {
	t    testing.TB
	base string
	HTTP *http.Client
	csrf string
}

// Response is a fetched page.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// NewClient returns a client for the site.
func (s *Site) NewClient(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil) //nolint:errcheck // never fails without options
	return &Client{t: t, base: s.URL, HTTP: &http.Client{
		Jar:     jar,
		Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// Do sends a request and reads the whole response.
func (c *Client) Do(req *http.Request) Response {
	c.t.Helper()
	res, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read: %v", req.Method, req.URL, err)
	}
	if m := csrfRe.FindSubmatch(b); m != nil {
		c.csrf = string(m[1])
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

// Get fetches a path.
func (c *Client) Get(path string) Response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.Do(req)
}

// Post submits a form, adding the CSRF token seen on the last page unless
// the form sets csrf_token itself. Fetch a page with the form first.
func (c *Client) Post(path string, form url.Values) Response {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf_token"]; !ok {
		if c.csrf == "" {
			c.Get("/")
		}
		form.Set("csrf_token", c.csrf)
	}
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(req)
}

// CSRF returns the last token seen.
func (c *Client) CSRF() string { return c.csrf }

// Login signs in through the real form and fails the test if it does not work.
func (c *Client) Login(email, password string) {
	c.t.Helper()
	c.Get("/login")
	r := c.Post("/login", url.Values{"email": {email}, "password": {password}})
	if r.Status != http.StatusSeeOther {
		c.t.Fatalf("login %s: status %d: %s", email, r.Status, r.Body)
	}
}

// Cookie returns the value of a cookie the client holds for the site.
func (c *Client) Cookie(name string) string {
	u, _ := url.Parse(c.base) //nolint:errcheck // our own URL
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// NewOrganisation adds a member organisation and returns its id.
func NewOrganisation(t testing.TB, s *Site, name string) int64 {
	t.Helper()
	var id int64
	err := s.App.DB.W.QueryRowContext(context.Background(), "INSERT INTO organisations (name, slug, created_at) VALUES ($1, $2, $3) RETURNING id",
		name, strings.ToLower(strings.ReplaceAll(name, " ", "-")), time.Now().UTC()).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Package settings stores the organisation's details that admins edit (name,
// tagline, address, contact, social links) and the server's own secrets.
package settings

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"coalition/internal/accounts"
	"coalition/internal/db"
	"coalition/internal/errs"
)

// Settings are the organisation's details shown on every page.
type Settings struct {
	OrgName       string
	Tagline       string
	PostalAddress string // several lines
	ContactEmail  string
	Social        Social
}

// Social holds the organisation's profiles; empty fields are not shown.
type Social struct {
	Facebook string
	Twitter  string
	LinkedIn string
	Bluesky  string
	Mastodon string
	YouTube  string
	Blog     string
}

// SocialLink is one profile, for templates.
type SocialLink struct {
	Key   string // settings key, e.g. "social.facebook"
	Label string
	URL   string
}

// Links lists the social profiles in display order, including empty ones.
func (s Social) Links() []SocialLink {
	return []SocialLink{
		{"social.facebook", "Facebook", s.Facebook},
		{"social.twitter", "X (Twitter)", s.Twitter},
		{"social.linkedin", "LinkedIn", s.LinkedIn},
		{"social.bluesky", "Bluesky", s.Bluesky},
		{"social.mastodon", "Mastodon", s.Mastodon},
		{"social.youtube", "YouTube", s.YouTube},
		{"social.blog", "Blog", s.Blog},
	}
}

// Set returns only the profiles that have a URL.
func (s Social) Set() []SocialLink {
	var out []SocialLink
	for _, l := range s.Links() {
		if l.URL != "" {
			out = append(out, l)
		}
	}
	return out
}

// AddressLines splits the postal address into lines for display.
func (s Settings) AddressLines() []string {
	var out []string
	for _, l := range strings.Split(s.PostalAddress, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Defaults are used for any setting never saved.
func Defaults() Settings {
	return Settings{OrgName: "Coalition", Tagline: "A coalition of civil society organisations"}
}

// Store reads and writes settings. Reads are cached for a few seconds: every
// page needs them, and several app instances may share the database.
type Store struct {
	db  *db.DB
	ttl time.Duration

	mu      sync.Mutex
	cached  Settings
	expires time.Time
}

// NewStore returns a Store over d.
func NewStore(d *db.DB) *Store { return &Store{db: d, ttl: 3 * time.Second} }

func (s *Settings) field(key string) *string {
	switch key {
	case "org.name":
		return &s.OrgName
	case "org.tagline":
		return &s.Tagline
	case "org.address":
		return &s.PostalAddress
	case "org.email":
		return &s.ContactEmail
	case "social.facebook":
		return &s.Social.Facebook
	case "social.twitter":
		return &s.Social.Twitter
	case "social.linkedin":
		return &s.Social.LinkedIn
	case "social.bluesky":
		return &s.Social.Bluesky
	case "social.mastodon":
		return &s.Social.Mastodon
	case "social.youtube":
		return &s.Social.YouTube
	case "social.blog":
		return &s.Social.Blog
	}
	return nil
}

var keys = []string{"org.name", "org.tagline", "org.address", "org.email",
	"social.facebook", "social.twitter", "social.linkedin", "social.bluesky", "social.mastodon", "social.youtube", "social.blog"}

// Get returns the current settings.
func (s *Store) Get(ctx context.Context) (Settings, error) {
	s.mu.Lock()
	if time.Now().Before(s.expires) {
		c := s.cached
		s.mu.Unlock()
		return c, nil
	}
	s.mu.Unlock()
	out := Defaults()
	rows, err := s.db.R.QueryContext(ctx, "SELECT key, value FROM settings")
	if err != nil {
		return out, fmt.Errorf("read settings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return out, fmt.Errorf("read settings: %w", err)
		}
		if p := out.field(k); p != nil {
			*p = v
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("read settings: %w", err)
	}
	s.mu.Lock()
	s.cached, s.expires = out, time.Now().Add(s.ttl)
	s.mu.Unlock()
	return out, nil
}

// Validate checks every field and returns the first problem.
func (st Settings) Validate() error {
	if strings.TrimSpace(st.OrgName) == "" {
		return errs.Invalid("org.name", "Enter the organisation's name.")
	}
	for _, k := range keys {
		v := *st.field(k)
		limit := 300
		if k == "org.address" {
			limit = 1000
		}
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return errs.Invalid(k, "Contains characters that are not allowed.")
		}
		if utf8.RuneCountInString(v) > limit {
			return errs.Invalid(k, fmt.Sprintf("Use at most %d characters.", limit))
		}
	}
	if st.ContactEmail != "" {
		if _, err := accounts.NormalizeEmail(st.ContactEmail); err != nil {
			return errs.Invalid("org.email", "Enter a valid e-mail address, like info@example.org.")
		}
	}
	for _, l := range st.Social.Links() {
		if l.URL == "" {
			continue
		}
		u, err := url.Parse(l.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return errs.Invalid(l.Key, fmt.Sprintf("Enter the full address of the %s page, starting with https://.", l.Label))
		}
	}
	return nil
}

// Save validates and stores every field.
func (s *Store) Save(ctx context.Context, st Settings) error {
	st.OrgName = strings.TrimSpace(st.OrgName)
	st.ContactEmail = strings.ToLower(strings.TrimSpace(st.ContactEmail))
	for _, k := range keys {
		p := st.field(k)
		*p = strings.TrimSpace(strings.ReplaceAll(*p, "\r\n", "\n"))
	}
	if err := st.Validate(); err != nil {
		return err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, *st.field(k)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	s.mu.Lock()
	s.expires = time.Time{}
	s.mu.Unlock()
	return nil
}

// Value reads a free-form setting that other areas own (e.g. "mail.consent").
func (s *Store) Value(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.R.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = $1", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errs.ErrNotFound
	}
	return v, err
}

// SetValue writes a free-form setting.
func (s *Store) SetValue(ctx context.Context, key, value string) error {
	_, err := s.db.W.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	s.mu.Lock()
	s.expires = time.Time{}
	s.mu.Unlock()
	return db.Classify(err)
}

// Secret returns the named server secret (32 random bytes), creating it on
// first use. Secrets live in the database so that every instance shares them.
func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	var have string
	// Read first: most calls find it, and a read-only database can still serve it.
	switch err := s.db.R.QueryRowContext(ctx, "SELECT value FROM app_secrets WHERE name = $1", name).Scan(&have); {
	case err == nil:
		return base64.StdEncoding.DecodeString(have)
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("read secret %s: %w", name, db.Classify(err))
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if _, err := s.db.W.ExecContext(ctx, "INSERT INTO app_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
		name, base64.StdEncoding.EncodeToString(b)); err != nil {
		return nil, fmt.Errorf("create secret %s: %w", name, db.Classify(err))
	}
	var v string
	if err := s.db.W.QueryRowContext(ctx, "SELECT value FROM app_secrets WHERE name = $1", name).Scan(&v); err != nil {
		return nil, fmt.Errorf("read secret %s: %w", name, err)
	}
	return base64.StdEncoding.DecodeString(v)
}

package mail

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/places"
	"coalition/internal/settings"
)

// The mailing lists: lists and subscribers with double opt-in and consent
// records (subscribers.go), alerts on followed tags (alerts.go), campaigns
// (campaigns.go) sent by an exactly-once sender (sender.go), bounces
// (bounces.go). Transactional mail keeps using the Outbox.

// Alert frequencies.
const (
	FrequencyInstant = "instant"
	FrequencyDaily   = "daily"
)

// Subscription states.
const (
	SubPending      = "pending"      // waiting for the confirmation link
	SubActive       = "active"       // receives the list
	SubUnsubscribed = "unsubscribed" // left; a new subscription needs a new confirmation
)

// Campaign states.
const (
	CampaignDraft     = "draft"
	CampaignScheduled = "scheduled"
	CampaignSending   = "sending"
	CampaignSent      = "sent"
	CampaignCancelled = "cancelled"
)

// List is a mailing list.
type List struct {
	ID          int64
	Slug        string
	Name        string
	Description string
	MembersOnly bool // only signed-in members may subscribe; campaigns reach members only
	Position    int
	// Counts (filled by Lists): confirmed active subscribers, and pending.
	Active, Pending int
}

// ListInput is what an editor types for a list.
type ListInput struct {
	Name        string
	Slug        string // made from Name when empty
	Description string
	MembersOnly bool
	Position    int
}

// Subscriber is one address.
type Subscriber struct {
	ID             int64
	Email          string
	Name           string
	CreatedAt      time.Time
	ConfirmedAt    time.Time // zero until the address is confirmed
	SuppressedAt   time.Time // zero unless a hard bounce or complaint stopped mail
	SuppressReason string
	Frequency      string // alerts: instant or daily
	TokenVersion   int
}

// Confirmed reports whether the address has been confirmed.
func (s Subscriber) Confirmed() bool { return !s.ConfirmedAt.IsZero() }

// Suppressed reports whether mail to the address is stopped.
func (s Subscriber) Suppressed() bool { return !s.SuppressedAt.IsZero() }

// Subscription is a subscriber's state on one list.
type Subscription struct {
	List      List
	Status    string // pending, active, unsubscribed
	UpdatedAt time.Time
}

// Consent is one entry of a subscriber's consent record.
type Consent struct {
	At          time.Time
	Action      string // subscribe, confirm, preferences, unsubscribe, import, api, admin
	Source      string // page path, "api", "import", …
	ConsentText string // exactly as shown
	Lists       string // list names at the time
}

// AlertItem is a published article, document or crisis update that may
// interest followers of its tags.
type AlertItem struct {
	Type        string // article, document, crisis-update
	ID          int64
	Title       string
	URL         string // absolute
	Summary     string
	TagIDs      []int64 // direct tags; regions and groupings follow from countries
	PublishedAt time.Time
}

// Article is what the campaign editor's article picker offers.
type Article struct {
	ID          int64
	Title       string
	Summary     string
	URL         string // absolute
	Category    string
	PublishedAt time.Time
}

// ArticleSource lists published public articles for the picker (wired to
// the publishing area by the app).
type ArticleSource interface {
	// Recent returns the latest published public articles, newest first.
	Recent(ctx context.Context, n int) ([]Article, error)
	// Articles returns the published public articles among ids, in ids' order.
	Articles(ctx context.Context, ids []int64) ([]Article, error)
}

// Options configure the mailing-list service.
type Options struct {
	DB       *db.DB
	Outbox   *Outbox // confirmations, alerts and tests go through it
	Settings *settings.Store
	Places   *places.Service
	Log      *slog.Logger
	Now      func() time.Time
	BaseURL  string // public URL of the site, no trailing slash
	From     string // From address (for List-Id's domain and the mailto unsubscribe)

	// Sending campaigns.
	Transport   Transport // nil keeps campaigns from leaving (deliveries stay pending)
	Connections int       // SMTP connections used in parallel (default 4)
	RatePerSec  float64   // messages per second across this process (0: unlimited)
	RatePerHour int       // messages per hour across this process (0: unlimited)
	BounceAddr  string    // mailto target of List-Unsubscribe (and Return-Path, set on the transport)
	SenderID    string    // this process's id among senders (random when empty)
	// SenderTimeout is how long a sender may stay silent before its claimed
	// deliveries are taken over by another (default 30s).
	SenderTimeout time.Duration
	// Tracking turns on open counting (off by default).
	Tracking bool
}

// Service is the mailing lists, alerts and campaigns.
type Service struct {
	o        Options
	db       *db.DB
	outbox   *Outbox
	settings *settings.Store
	places   *places.Service
	log      *slog.Logger
	now      func() time.Time

	mu       sync.Mutex
	key      []byte
	articles ArticleSource

	kick chan struct{} // wakes the sender
}

// New returns the service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Connections <= 0 {
		o.Connections = 4
	}
	if o.SenderTimeout <= 0 {
		o.SenderTimeout = 30 * time.Second
	}
	if o.SenderID == "" {
		o.SenderID = randomID()[:12]
	}
	now := o.Now
	return &Service{o: o, db: o.DB, outbox: o.Outbox, settings: o.Settings, places: o.Places, log: o.Log,
		now: func() time.Time { return now().UTC() }, kick: make(chan struct{}, 1)}
}

// SetArticles wires the article picker's source.
func (s *Service) SetArticles(a ArticleSource) {
	s.mu.Lock()
	s.articles = a
	s.mu.Unlock()
}

func (s *Service) articleSource() ArticleSource {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.articles
}

// BaseURL returns the site's public URL.
func (s *Service) BaseURL() string { return s.o.BaseURL }

// linkKey loads the key of signed links once. Call it before opening a
// write transaction (with SQLite nothing may be read from inside one).
func (s *Service) linkKey(ctx context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key != nil {
		return s.key, nil
	}
	k, err := s.settings.Secret(ctx, "mail-links")
	if err != nil {
		return nil, err
	}
	s.key = k
	return k, nil
}

// Token purposes.
const (
	PurposeConfirm = "confirm" // double opt-in link; extra = unix expiry
	PurposePrefs   = "prefs"   // preference centre
	PurposeUnsub   = "unsub"   // one-click unsubscribe; extra = scope: "c<campaign id>", "alerts" or "all"
	PurposeAddress = "address" // confirm a new address; extra = base64url(new address) + "~" + unix expiry
	PurposeOpen    = "open"    // open-counting pixel (only with Options.Tracking); extra = "c<campaign id>"
)

// Sign makes a signed token "<sid>.<version>.<extra>.<mac>" for a purpose.
// extra must not contain '.'. The caller must have loaded the key (any
// earlier call with a ctx does).
func (s *Service) Sign(ctx context.Context, purpose string, sid int64, version int, extra string) (string, error) {
	k, err := s.linkKey(ctx)
	if err != nil {
		return "", err
	}
	return sign(k, purpose, sid, version, extra), nil
}

func sign(k []byte, purpose string, sid int64, version int, extra string) string {
	m := hmac.New(sha256.New, k)
	fmt.Fprintf(m, "%s|%d|%d|%s", purpose, sid, version, extra)
	return strconv.FormatInt(sid, 36) + "." + strconv.Itoa(version) + "." + extra + "." +
		base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// Verify checks a token made by Sign for purpose and returns its parts. It
// does not check the version against the subscriber (callers do).
func (s *Service) Verify(ctx context.Context, purpose, tok string) (sid int64, version int, extra string, err error) {
	if len(tok) > 300 {
		return 0, 0, "", errs.ErrNotFound
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 4 {
		return 0, 0, "", errs.ErrNotFound
	}
	sid, err1 := strconv.ParseInt(parts[0], 36, 64)
	version, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || sid <= 0 {
		return 0, 0, "", errs.ErrNotFound
	}
	k, err := s.linkKey(ctx)
	if err != nil {
		return 0, 0, "", err
	}
	if !hmac.Equal([]byte(sign(k, purpose, sid, version, parts[2])), []byte(tok)) {
		return 0, 0, "", errs.ErrNotFound
	}
	return sid, version, parts[2], nil
}

// PreferencesURL is the preference centre link of a subscriber.
func (s *Service) PreferencesURL(ctx context.Context, sub Subscriber) (string, error) {
	t, err := s.Sign(ctx, PurposePrefs, sub.ID, sub.TokenVersion, "")
	if err != nil {
		return "", err
	}
	return s.o.BaseURL + "/subscribe/manage/" + t, nil
}

// UnsubscribeURL is the RFC 8058 one-click link of a subscriber for a scope
// ("c<campaign id>", "alerts" or "all").
func (s *Service) UnsubscribeURL(ctx context.Context, sub Subscriber, scope string) (string, error) {
	t, err := s.Sign(ctx, PurposeUnsub, sub.ID, sub.TokenVersion, scope)
	if err != nil {
		return "", err
	}
	return s.o.BaseURL + "/unsubscribe/" + t, nil
}

// BulkHeaders are the headers every bulk message carries: RFC 8058
// one-click unsubscribe (https and mailto) and List-Id.
func (s *Service) BulkHeaders(unsubURL, listName, listSlug string) map[string]string {
	dom := domainOf(s.o.From)
	h := map[string]string{
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"List-Id":               fmt.Sprintf("%s <%s.%s>", strings.NewReplacer("<", "", ">", "", "\"", "").Replace(listName), listSlug, dom),
		"Precedence":            "bulk",
	}
	lu := "<" + unsubURL + ">"
	if addr := s.o.BounceAddr; addr != "" {
		tok := unsubURL[strings.LastIndexByte(unsubURL, '/')+1:]
		lu += ", <mailto:" + addr + "?subject=unsubscribe%20" + tok + ">"
	}
	h["List-Unsubscribe"] = lu
	return h
}

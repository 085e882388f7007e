package mail

// STUBS: the subscribers helper replaces this file with subscribers.go,
// alerts.go and import.go (same signatures; add more if needed).

import (
	"context"
	"errors"
	"io"
	"time"
)

var errTodo = errors.New("not implemented yet")

// Lists returns every list with its counts, in position order.
func (s *Service) Lists(ctx context.Context) ([]List, error) { return nil, errTodo }

// OfferedLists returns the lists a visitor may choose on the subscribe form:
// public lists, plus members-only lists when member is true.
func (s *Service) OfferedLists(ctx context.Context, member bool) ([]List, error) { return nil, errTodo }

// GetList returns one list.
func (s *Service) GetList(ctx context.Context, id int64) (List, error) { return List{}, errTodo }

// CreateList adds a list (errs.Invalid on a missing name or taken slug).
func (s *Service) CreateList(ctx context.Context, in ListInput) (List, error) { return List{}, errTodo }

// UpdateList changes a list.
func (s *Service) UpdateList(ctx context.Context, id int64, in ListInput) error { return errTodo }

// DeleteList removes a list and its subscriptions (errs.Invalid while a
// scheduled or sending campaign targets it).
func (s *Service) DeleteList(ctx context.Context, id int64) error { return errTodo }

// SubscribeInput is a sign-up from a form, the donate form or the API.
type SubscribeInput struct {
	Email       string
	Name        string
	ListIDs     []int64
	Follows     []int64 // tag ids to follow for alerts (optional)
	Frequency   string  // instant (default) or daily
	Source      string  // page path the form was on, "donate", "api"…
	ConsentText string  // exactly as shown next to the form
	Member      bool    // a signed-in member (may choose members-only lists)
}

// Subscribe records pending subscriptions (and follows), the consent, and
// queues a confirmation e-mail with a signed link (double opt-in). It
// answers the same whether or not the address is known, never reveals
// subscriptions, and does not resend a confirmation within 5 minutes.
// errs.Invalid for a bad address, no list and no follow, an unknown list,
// or a members-only list for a non-member.
func (s *Service) Subscribe(ctx context.Context, in SubscribeInput) error { return errTodo }

// Confirm takes a confirmation token: the address is confirmed and its
// pending subscriptions become active. Confirming twice is fine.
// errs.ErrNotFound for a bad token, errs.Invalid("token", …) for an expired one.
func (s *Service) Confirm(ctx context.Context, token string) (Subscriber, error) {
	return Subscriber{}, errTodo
}

// Preferences is what the preference centre shows.
type Preferences struct {
	Subscriber Subscriber
	Lists      []Subscription // every list the subscriber may see, with its state ("" if never subscribed)
	Follows    []int64        // followed tag ids
	Token      string         // the prefs token it was opened with
}

// PreferencesInput is the preference centre's form.
type PreferencesInput struct {
	Name      string
	Email     string  // a different address gets a confirmation link first
	ListIDs   []int64 // lists wanted; others become unsubscribed
	Follows   []int64
	Frequency string
	Member    bool // signed-in member (may keep members-only lists)
}

// Preferences opens the preference centre with a prefs token.
func (s *Service) Preferences(ctx context.Context, token string) (Preferences, error) {
	return Preferences{}, errTodo
}

// SavePreferences applies the form. Lists newly chosen become active at
// once when the address is confirmed (it proved itself by the signed link).
// A new address is not applied until its confirmation link is followed:
// addressPending is then true.
func (s *Service) SavePreferences(ctx context.Context, token string, in PreferencesInput) (addressPending bool, err error) {
	return false, errTodo
}

// ConfirmAddress applies an address change from its signed link.
func (s *Service) ConfirmAddress(ctx context.Context, token string) (Subscriber, error) {
	return Subscriber{}, errTodo
}

// LeaveAll unsubscribes from every list and stops all alerts (prefs token).
func (s *Service) LeaveAll(ctx context.Context, token string) error { return errTodo }

// OneClick applies an RFC 8058 unsubscribe token: scope "c<id>" leaves the
// lists that campaign went to, "alerts" stops alerts, "all" leaves
// everything. Idempotent. It returns the subscriber for the page shown after.
func (s *Service) OneClick(ctx context.Context, token string) (Subscriber, error) {
	return Subscriber{}, errTodo
}

// SubscriberFilter narrows the admin's subscriber list.
type SubscriberFilter struct {
	Q      string // part of the address or name
	ListID int64
	Status string // "", confirmed, unconfirmed, unsubscribed (from every list), suppressed
	TagID  int64  // follows this tag
	Limit  int
	Offset int
}

// SubscriberRow is one line of the admin's subscriber list.
type SubscriberRow struct {
	Subscriber
	Lists []string // names of active lists
}

// Subscribers lists subscribers for the admin, newest first, with the total.
func (s *Service) Subscribers(ctx context.Context, f SubscriberFilter) ([]SubscriberRow, int, error) {
	return nil, 0, errTodo
}

// SubscriberDetail is the admin's view of one subscriber.
type SubscriberDetail struct {
	Subscriber    Subscriber
	Subscriptions []Subscription
	Follows       []int64
	Consents      []Consent // oldest first
	Bounces       []Bounce
}

// SubscriberByID returns the admin's view of one subscriber.
func (s *Service) SubscriberByID(ctx context.Context, id int64) (SubscriberDetail, error) {
	return SubscriberDetail{}, errTodo
}

// AdminUpdate lets staff suppress or unsuppress an address, or erase it
// (action: "suppress", "unsuppress", "delete").
func (s *Service) AdminUpdate(ctx context.Context, id int64, action string) error { return errTodo }

// AddInput is a subscriber added by the API or an import.
type AddInput struct {
	Email   string
	Name    string
	ListIDs []int64
	Status  string // "confirmed" (consent obtained elsewhere) or "pending" (sends a confirmation)
	Source  string // "api", "import"
}

// Add creates or updates a subscriber without a form (API, import).
func (s *Service) Add(ctx context.Context, in AddInput) (Subscriber, error) { return Subscriber{}, errTodo }

// ImportResult is the summary of a CSV import.
type ImportResult struct {
	Added, Updated, Skipped int
	Errors                  []RowError
}

// RowError is a line of the CSV that was not imported, and why.
type RowError struct {
	Line   int
	Email  string
	Reason string
}

// Import reads a CSV with a header: our own export's columns
// (email,name,status,lists,…) or a Mailchimp audience export ("Email
// Address","First Name","Last Name",…). Rows go to listIDs; confirmed says
// the editor holds consent (else each new address gets a confirmation).
func (s *Service) Import(ctx context.Context, r io.Reader, listIDs []int64, confirmed bool) (ImportResult, error) {
	return ImportResult{}, errTodo
}

// Export writes the filtered subscribers as CSV (header email,name,status,
// lists,follows,created_at,confirmed_at,consent_source,consent_text).
func (s *Service) Export(ctx context.Context, w io.Writer, f SubscriberFilter) error { return errTodo }

// PersonRecord is a subscription summary for the admin's person view.
type PersonRecord struct {
	SubscriberID int64
	Summary      string // "Monthly Newsletter (active), Crisis Alerts (pending)"
	At           time.Time
}


// PersonRecords returns the subscriber record of an address, if any.
func (s *Service) PersonRecords(ctx context.Context, email string) ([]PersonRecord, error) {
	return nil, errTodo
}

// Notify records a published item and queues an alert for every confirmed,
// unsuppressed subscriber following one of its tags (a country's region,
// sub-region and coalition groupings count). Idempotent per (Type, ID).
func (s *Service) Notify(ctx context.Context, item AlertItem) error { return errTodo }

// RunAlerts sends queued alerts until ctx ends: at once for "instant"
// subscribers, and one digest a day (at 07:00 UTC) for "daily" ones.
func (s *Service) RunAlerts(ctx context.Context) { <-ctx.Done() }

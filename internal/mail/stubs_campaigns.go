package mail

// STUBS: the campaigns helper replaces this file with campaigns.go,
// sender.go and bounces.go (same signatures; add more if needed).

import (
	"context"
	"time"
)

// Campaign is a newsletter sent to one or more lists.
type Campaign struct {
	ID          int64
	Subject     string
	Preheader   string
	Body        string  // Markdown
	ArticleIDs  []int64 // picked articles, in order
	ListIDs     []int64
	Status      string // draft, scheduled, sending, sent, cancelled
	Archive     bool   // show in /newsletters once sent
	Slug        string // archive address, set when sending starts
	ScheduledAt time.Time
	StartedAt   time.Time
	FinishedAt  time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	HTML        string // the frozen web version (sent campaigns)
}

// CampaignInput is the compose form (and the API's body).
type CampaignInput struct {
	Subject    string
	Preheader  string
	Body       string
	ArticleIDs []int64
	ListIDs    []int64
	Archive    bool
}

// CampaignStats are a campaign's figures (and the live progress bar's).
type CampaignStats struct {
	Status    string
	Total     int
	Sent      int
	Failed    int
	Remaining int
	Rate      float64       // messages per second over the last minute
	TimeLeft  time.Duration // at that rate; 0 when unknown
	Bounces   int
	Unsubs    int // unsubscribed through this campaign's links
}

// Rendered is a campaign as a recipient sees it.
type Rendered struct {
	Subject string
	HTML    string
	Text    string
}

// CampaignFilter narrows the admin list.
type CampaignFilter struct {
	Status string
	Limit  int
	Offset int
}

// Campaigns lists campaigns newest first with the total.
func (s *Service) Campaigns(ctx context.Context, f CampaignFilter) ([]Campaign, int, error) {
	return nil, 0, errTodo
}

// GetCampaign returns one campaign.
func (s *Service) GetCampaign(ctx context.Context, id int64) (Campaign, error) { return Campaign{}, errTodo }

// CreateCampaign saves a draft (errs.Invalid: no subject, unknown list or article).
func (s *Service) CreateCampaign(ctx context.Context, in CampaignInput, userID int64) (Campaign, error) {
	return Campaign{}, errTodo
}

// UpdateCampaign changes a draft or scheduled campaign (errs.Invalid once sending).
func (s *Service) UpdateCampaign(ctx context.Context, id int64, in CampaignInput) error { return errTodo }

// DeleteCampaign removes a draft, scheduled or cancelled campaign.
func (s *Service) DeleteCampaign(ctx context.Context, id int64) error { return errTodo }

// Preview renders a campaign for a sample recipient (links point nowhere harmful).
func (s *Service) Preview(ctx context.Context, c Campaign) (Rendered, error) { return Rendered{}, errTodo }

// SendTest sends the campaign to up to 10 given addresses now (through the
// outbox, subject prefixed "[Test]"); errs.Invalid for a bad address.
func (s *Service) SendTest(ctx context.Context, id int64, addrs []string) error { return errTodo }

// Schedule sends the campaign at a time (errs.Invalid: in the past, no lists).
func (s *Service) Schedule(ctx context.Context, id int64, at time.Time) error { return errTodo }

// Unschedule returns a scheduled campaign to draft.
func (s *Service) Unschedule(ctx context.Context, id int64) error { return errTodo }

// Send starts sending now: the body is frozen and one delivery row is
// created per eligible recipient (confirmed, unsuppressed, active on one of
// the lists; members-only lists reach only addresses of member or staff
// accounts), each address once. Idempotent while sending.
func (s *Service) Send(ctx context.Context, id int64) error { return errTodo }

// Cancel stops a sending campaign (what was sent stays sent).
func (s *Service) Cancel(ctx context.Context, id int64) error { return errTodo }

// Stats returns a campaign's figures.
func (s *Service) Stats(ctx context.Context, id int64) (CampaignStats, error) {
	return CampaignStats{}, errTodo
}

// Archived lists sent campaigns shown in the public archive, newest first.
func (s *Service) Archived(ctx context.Context, limit, offset int) ([]Campaign, int, error) {
	return nil, 0, errTodo
}

// ArchivedBySlug returns a sent, archived campaign by its slug.
func (s *Service) ArchivedBySlug(ctx context.Context, slug string) (Campaign, error) {
	return Campaign{}, errTodo
}

// RecentArticles is the article picker's list.
func (s *Service) RecentArticles(ctx context.Context, n int) ([]Article, error) { return nil, errTodo }

// RunSender is the background sender: it starts scheduled campaigns when
// due, claims deliveries (SKIP LOCKED on PostgreSQL), sends them over a pool
// of SMTP connections at the configured rate, records each one's state,
// retries temporary failures with backoff, and marks campaigns sent.
func (s *Service) RunSender(ctx context.Context) { <-ctx.Done() }

// Kick wakes the sender.
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Bounce is a bounce or complaint report.
type Bounce struct {
	At         time.Time
	Email      string
	Kind       string // hard, soft, complaint
	Source     string // generic, ses
	CampaignID int64
	Detail     string
}

// ParseBounces reads a bounce webhook body: the generic JSON format
// {"email","type":"hard|soft|complaint","campaign_id","reason"} (or a list
// of them), or an Amazon SNS notification carrying an SES bounce or
// complaint. A SubscriptionConfirmation returns its SubscribeURL instead.
func ParseBounces(body []byte) (bounces []Bounce, subscribeURL string, err error) {
	return nil, "", errTodo
}

// RecordBounces stores reports; hard bounces and complaints suppress the
// address (soft bounces suppress after 3 within 30 days).
func (s *Service) RecordBounces(ctx context.Context, bs []Bounce) error { return errTodo }

package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"coalition/internal/content"
	"coalition/internal/crises"
	"coalition/internal/mail"
	"coalition/internal/web"
)

// The mailing lists meet the other areas here: crisis updates, new public
// articles and new documents raise alerts; the campaign editor picks
// articles; the donate form's newsletter box subscribes (double opt-in);
// the admin's person view shows subscriptions.

func (a *App) wireMail() {
	a.Crises.Notifier = crisisAlerts{a.Mail}
	a.Mail.SetArticles(articlePicker{a})
	a.Donations.SetNewsletter(donorNewsletter{a.Mail})
}

// crisisAlerts hands published crisis updates to the alerts.
type crisisAlerts struct{ m *mail.Service }

func (c crisisAlerts) Notify(ctx context.Context, it crises.AlertItem) error {
	return c.m.Notify(ctx, mail.AlertItem{Type: it.Type, ID: it.ID, Title: it.Title, URL: it.URL, Summary: it.Summary,
		TagIDs: it.TagIDs, PublishedAt: it.PublishedAt})
}

// donorNewsletter subscribes a donor who ticked the newsletter box to the
// first public list (the monthly newsletter in the demo), with the usual
// confirmation e-mail.
type donorNewsletter struct{ m *mail.Service }

func (d donorNewsletter) Subscribe(ctx context.Context, email, name, source, consentText string) error {
	ls, err := d.m.OfferedLists(ctx, false)
	if err != nil {
		return err
	}
	if len(ls) == 0 {
		return errors.New("there is no public mailing list yet; the wish is kept until there is one")
	}
	return d.m.Subscribe(ctx, mail.SubscribeInput{Email: email, Name: name, ListIDs: []int64{ls[0].ID}, Source: source, ConsentText: consentText})
}

// articlePicker offers published public articles to the campaign editor.
type articlePicker struct{ a *App }

func (p articlePicker) toMail(art content.Article) mail.Article {
	return mail.Article{ID: art.ID, Title: art.Title, Summary: art.Summary, URL: p.a.Config.BaseURL + art.Path(),
		Category: art.CategoryName, PublishedAt: art.PublishAt}
}

func (p articlePicker) Recent(ctx context.Context, n int) ([]mail.Article, error) {
	arts, _, err := p.a.Content.List(ctx, content.Filter{Kind: content.KindArticle, Live: true, Limit: n})
	if err != nil {
		return nil, err
	}
	var out []mail.Article
	for _, art := range arts {
		if art.Live() && art.Visibility == content.Public {
			out = append(out, p.toMail(art))
		}
	}
	return out, nil
}

func (p articlePicker) Articles(ctx context.Context, ids []int64) ([]mail.Article, error) {
	var out []mail.Article
	for _, id := range ids {
		art, err := p.a.Content.ByID(ctx, id)
		if err != nil {
			continue // deleted since: left out
		}
		if art.Live() && art.Visibility == content.Public && art.Kind == content.KindArticle {
			out = append(out, p.toMail(art))
		}
	}
	return out, nil
}

// mailPeople shows an address's subscriptions in the admin's person view.
type mailPeople struct{ m *mail.Service }

func (p mailPeople) PersonRecords(ctx context.Context, email string) ([]web.PersonRecord, error) {
	recs, err := p.m.PersonRecords(ctx, email)
	if err != nil {
		return nil, err
	}
	out := make([]web.PersonRecord, 0, len(recs))
	for _, r := range recs {
		out = append(out, web.PersonRecord{Area: "Mailing lists", Summary: r.Summary,
			URL: "/admin/subscribers/" + strconv.FormatInt(r.SubscriberID, 10), At: r.At})
	}
	return out, nil
}

// alertSweep raises alerts for public articles and documents published
// lately that have not raised one yet — whatever published them (an editor,
// the scheduler, an approved member submission, the bulk importer). Alerts
// are idempotent per item, so a second pass or a second instance does no
// harm. Documents dated more than 30 days back (an archive being filled in)
// raise none.
func (a *App) alertSweep(ctx context.Context) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		if err := a.SweepAlerts(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("alert sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

type sweepItem struct {
	typ, title, summary, url string
	id                       int64
	at                       time.Time
}

// SweepAlerts is one pass of the alert sweep (tests call it directly).
func (a *App) SweepAlerts(ctx context.Context) error {
	now := a.Now().UTC()
	var items []sweepItem
	rows, err := a.DB.R.QueryContext(ctx, `SELECT id, slug, title, summary, first_published_at FROM articles
		WHERE kind = 'article' AND status = 'published' AND visibility = 'public' AND first_published_at >= $1 AND first_published_at <= $2
		AND NOT EXISTS (SELECT 1 FROM alert_items ai WHERE ai.item_type = 'article' AND ai.item_id = articles.id)
		ORDER BY id LIMIT 200`, now.Add(-24*time.Hour), now)
	if err != nil {
		return fmt.Errorf("articles to alert: %w", err)
	}
	for rows.Next() {
		var it sweepItem
		var slug string
		if err := rows.Scan(&it.id, &slug, &it.title, &it.summary, &it.at); err != nil {
			rows.Close()
			return err
		}
		it.typ, it.url = "article", a.Config.BaseURL+"/articles/"+slug
		items = append(items, it)
	}
	rows.Close()
	rows, err = a.DB.R.QueryContext(ctx, `SELECT id, title, summary, created_at FROM documents
		WHERE access = 'public' AND created_at >= $1 AND published_on >= $2
		AND NOT EXISTS (SELECT 1 FROM alert_items ai WHERE ai.item_type = 'document' AND ai.item_id = documents.id)
		ORDER BY id LIMIT 200`, now.Add(-24*time.Hour), now.AddDate(0, 0, -30))
	if err != nil {
		return fmt.Errorf("documents to alert: %w", err)
	}
	for rows.Next() {
		var it sweepItem
		if err := rows.Scan(&it.id, &it.title, &it.summary, &it.at); err != nil {
			rows.Close()
			return err
		}
		it.typ, it.url = "document", a.Config.BaseURL+"/documents/"+strconv.FormatInt(it.id, 10)
		items = append(items, it)
	}
	rows.Close()
	if len(items) == 0 {
		return nil
	}
	for _, it := range items {
		byItem, err := a.Places.ItemTags(ctx, it.typ, []int64{it.id})
		if err != nil {
			return err
		}
		var tags []int64
		for _, t := range byItem[it.id] {
			tags = append(tags, t.ID)
		}
		if err := a.Mail.Notify(ctx, mail.AlertItem{Type: it.typ, ID: it.id, Title: it.title, URL: it.url,
			Summary: strings.TrimSpace(it.summary), TagIDs: tags, PublishedAt: it.at}); err != nil {
			return err
		}
	}
	return nil
}

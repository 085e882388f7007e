package donations

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/slug"
)

// Appeal is a fundraising campaign with a goal and dates. Its story is an
// article (ArticleSlug, linked as /articles/<slug>), with a short
// description of its own for the appeal page and the donate form.
type Appeal struct {
	ID          int64
	Slug        string
	Title       string
	Summary     string // short Markdown description
	ArticleSlug string // the article telling the story; "" for none
	GoalMinor   int64
	Currency    string
	StartsAt    time.Time // zero: open from creation
	EndsAt      time.Time // zero: no end; otherwise open until the end of this day (UTC)
	Published   bool
	CreatedAt   time.Time
}

// Open reports whether the appeal takes gifts at now.
func (a Appeal) Open(now time.Time) bool {
	if !a.StartsAt.IsZero() && now.Before(a.StartsAt) {
		return false
	}
	return a.EndsAt.IsZero() || now.Before(a.EndsAt.Add(24*time.Hour))
}

const appealCols = `id, slug, title, summary, article_slug, goal_minor, currency, starts_at, ends_at, published, created_at`

func scanAppeal(row scanner) (Appeal, error) {
	var a Appeal
	var starts, ends sql.NullTime
	err := row.Scan(&a.ID, &a.Slug, &a.Title, &a.Summary, &a.ArticleSlug, &a.GoalMinor, &a.Currency, &starts, &ends, &a.Published, &a.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return a, errs.ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("read appeal: %w", err)
	}
	a.StartsAt, a.EndsAt = starts.Time, ends.Time
	return a, nil
}

// AppealBySlug returns an appeal by slug.
func (s *Service) AppealBySlug(ctx context.Context, sl string) (Appeal, error) {
	if !slug.Valid(sl) {
		return Appeal{}, errs.ErrNotFound
	}
	return scanAppeal(s.db.R.QueryRowContext(ctx, "SELECT "+appealCols+" FROM appeals WHERE slug = $1", sl))
}

// AppealByID returns an appeal by id.
func (s *Service) AppealByID(ctx context.Context, id int64) (Appeal, error) {
	return scanAppeal(s.db.R.QueryRowContext(ctx, "SELECT "+appealCols+" FROM appeals WHERE id = $1", id))
}

// Appeals lists appeals, newest first; only published ones unless all.
func (s *Service) Appeals(ctx context.Context, all bool) ([]Appeal, error) {
	q := "SELECT " + appealCols + " FROM appeals"
	if !all {
		q += " WHERE published = TRUE"
	}
	rows, err := s.db.R.QueryContext(ctx, q+" ORDER BY created_at DESC, id DESC")
	if err != nil {
		return nil, fmt.Errorf("list appeals: %w", err)
	}
	defer rows.Close()
	var out []Appeal
	for rows.Next() {
		a, err := scanAppeal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AppealForm is the appeal editor as typed.
type AppealForm struct {
	Title       string
	Slug        string
	Summary     string
	ArticleSlug string
	Goal        string
	Currency    string
	StartsOn    string // YYYY-MM-DD or empty
	EndsOn      string
	Published   bool
}

// SaveAppeal creates (id 0) or updates an appeal.
func (s *Service) SaveAppeal(ctx context.Context, id int64, f AppealForm) (Appeal, error) {
	fe := map[string]string{}
	a := Appeal{ID: id, Published: f.Published}
	var ok bool
	if a.Title, ok = cleanText(f.Title, 200); !ok {
		fe["title"] = "Use at most 200 characters, on one line."
	} else if a.Title == "" {
		fe["title"] = "Give the appeal a title."
	}
	a.Slug = strings.TrimSpace(f.Slug)
	if a.Slug == "" {
		a.Slug = slug.Make(a.Title, 80)
	}
	if !slug.Valid(a.Slug) {
		fe["slug"] = "Use lower-case letters, digits and hyphens, like winter-appeal-2026."
	}
	a.Summary = strings.TrimSpace(strings.ReplaceAll(f.Summary, "\r\n", "\n"))
	if utf8.RuneCountInString(a.Summary) > 4000 || !utf8.ValidString(a.Summary) || strings.ContainsRune(a.Summary, 0) {
		fe["summary"] = "Use at most 4000 characters."
	}
	a.ArticleSlug = strings.TrimSpace(f.ArticleSlug)
	if a.ArticleSlug != "" && !slug.Valid(a.ArticleSlug) {
		fe["article_slug"] = "Enter the article's address name (the part after /articles/), or leave it empty."
	}
	c, cok := LookupCurrency(f.Currency)
	if !cok {
		fe["currency"] = "Choose a currency."
	}
	a.Currency = c.Code
	if strings.TrimSpace(f.Goal) == "" {
		fe["goal"] = "Enter the goal, like 50000."
	} else if cok {
		g, err := ParseAmount("goal", f.Goal, c)
		if ie, ok := errs.AsInvalid(err); ok {
			fe["goal"] = ie.Msg
		} else if err != nil {
			return a, err
		}
		a.GoalMinor = g
	}
	parseDay := func(field, v string) time.Time {
		v = strings.TrimSpace(v)
		if v == "" {
			return time.Time{}
		}
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			fe[field] = "Enter a date like 2026-12-31, or leave it empty."
		}
		return t.UTC()
	}
	a.StartsAt, a.EndsAt = parseDay("starts_on", f.StartsOn), parseDay("ends_on", f.EndsOn)
	if !a.StartsAt.IsZero() && !a.EndsAt.IsZero() && a.EndsAt.Before(a.StartsAt) {
		fe["ends_on"] = "The appeal must end after it starts."
	}
	if len(fe) > 0 {
		return a, &FormError{Fields: fe}
	}
	now := s.now()
	var err error
	if id == 0 {
		err = s.db.W.QueryRowContext(ctx, `INSERT INTO appeals (slug, title, summary, article_slug, goal_minor, currency, starts_at, ends_at,
			published, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`,
			a.Slug, a.Title, a.Summary, a.ArticleSlug, a.GoalMinor, a.Currency, nullTime(a.StartsAt), nullTime(a.EndsAt), a.Published, now).Scan(&a.ID)
	} else {
		var res sql.Result
		res, err = s.db.W.ExecContext(ctx, `UPDATE appeals SET slug = $1, title = $2, summary = $3, article_slug = $4, goal_minor = $5,
			currency = $6, starts_at = $7, ends_at = $8, published = $9, updated_at = $10 WHERE id = $11`,
			a.Slug, a.Title, a.Summary, a.ArticleSlug, a.GoalMinor, a.Currency, nullTime(a.StartsAt), nullTime(a.EndsAt), a.Published, now, id)
		if err == nil {
			if n, rerr := res.RowsAffected(); rerr == nil && n == 0 {
				return a, errs.ErrNotFound
			}
		}
	}
	if db.IsUnique(err) {
		return a, &FormError{Fields: map[string]string{"slug": "Another appeal already uses this address; choose another."}}
	}
	if err != nil {
		return a, fmt.Errorf("save appeal: %w", db.Classify(err))
	}
	return s.AppealByID(ctx, a.ID)
}

// Total is an amount in one currency.
type Total struct {
	Currency string
	Minor    int64
	Count    int
}

// Progress is what an appeal has raised.
type Progress struct {
	RaisedMinor int64   // net of refunds, in the appeal's currency
	Donors      int     // distinct donors, any currency
	Gifts       int     // paid gifts, any currency
	Other       []Total // raised in other currencies (not counted towards the goal)
	Percent     int     // of the goal, capped at 100 for the bar
	RealPercent int     // of the goal, uncapped
}

// Progress sums an appeal's paid gifts.
func (s *Service) Progress(ctx context.Context, a Appeal) (Progress, error) {
	var p Progress
	rows, err := s.db.R.QueryContext(ctx, `SELECT currency, COALESCE(SUM(amount_minor - refunded_minor), 0), COUNT(*)
		FROM donations WHERE appeal_id = $1 AND status IN ('paid', 'refunded') GROUP BY currency ORDER BY currency`, a.ID)
	if err != nil {
		return p, fmt.Errorf("appeal progress: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t Total
		if err := rows.Scan(&t.Currency, &t.Minor, &t.Count); err != nil {
			return p, fmt.Errorf("appeal progress: %w", err)
		}
		p.Gifts += t.Count
		if t.Currency == a.Currency {
			p.RaisedMinor = t.Minor
		} else if t.Minor > 0 {
			p.Other = append(p.Other, t)
		}
	}
	if err := rows.Err(); err != nil {
		return p, err
	}
	if err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(DISTINCT donor_id) FROM donations WHERE appeal_id = $1 AND status IN ('paid', 'refunded')
		AND amount_minor > refunded_minor`, a.ID).Scan(&p.Donors); err != nil {
		return p, fmt.Errorf("appeal donors: %w", err)
	}
	if a.GoalMinor > 0 {
		p.RealPercent = int(p.RaisedMinor * 100 / a.GoalMinor)
		p.Percent = min(max(p.RealPercent, 0), 100)
	}
	return p, nil
}

package app

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"

	"coalition/internal/content"
	"coalition/internal/errs"
	"coalition/internal/library"
	"coalition/internal/members"
	"coalition/internal/render"
	"coalition/internal/search"
	"coalition/internal/web"
)

// This file connects the areas to one another: articles into the search
// index, approved member submissions into articles and library documents,
// and the "related material" of crisis pages and member profiles out of the
// index. Each area defines the small interface it needs; the adapters live
// here so that no domain package imports another's internals.

// Search item types of content.
const (
	articleItem = "article"
	pageItem    = "page"
)

func itemType(k content.Kind) string {
	if k == content.KindPage {
		return pageItem
	}
	return articleItem
}

// wireArticleIndex keeps the search index in step with articles and pages:
// inside the publishing transaction (so that whatever publishes an article —
// the scheduler, an editor, an approved member submission — indexes it in
// the same commit) and after every other save, unpublish or delete.
func (a *App) wireArticleIndex() {
	a.Content.OnPublish(func(ctx context.Context, tx *sql.Tx, art content.Article) error {
		it, err := articleItemTx(ctx, tx, art)
		if err != nil {
			return err
		}
		return a.Search.Put(ctx, tx, it)
	})
	a.Content.OnChange(func(ctx context.Context, id int64) {
		if err := a.reindexArticle(ctx, id); err != nil {
			a.Log.Error("index article", "id", id, "err", err)
		}
	})
}

// articleItemTx builds the index entry of an article, reading its tags
// through tx (it may not be committed yet).
func articleItemTx(ctx context.Context, tx *sql.Tx, art content.Article) (search.Item, error) {
	rows, err := tx.QueryContext(ctx, "SELECT tag_id FROM item_tags WHERE item_type = 'article' AND item_id = $1", art.ID)
	if err != nil {
		return search.Item{}, fmt.Errorf("tags of article %d: %w", art.ID, err)
	}
	defer rows.Close()
	var tags []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return search.Item{}, err
		}
		tags = append(tags, id)
	}
	if err := rows.Err(); err != nil {
		return search.Item{}, err
	}
	doc, err := render.Markdown(art.Body, render.Options{})
	if err != nil {
		return search.Item{}, err
	}
	it := search.Item{Type: itemType(art.Kind), ID: art.ID, Title: art.Title, Summary: art.Summary, Body: doc.Text, URL: art.Path(),
		Date: art.PublishAt, Language: "en", Access: search.AccessPublic, TagIDs: tags}
	if art.Visibility == content.Members {
		it.Access = search.AccessMembers
	}
	return it, nil
}

// reindexArticle puts a live article into the index or takes it out.
func (a *App) reindexArticle(ctx context.Context, id int64) error {
	e, err := a.Content.IndexEntry(ctx, id)
	if errors.Is(err, errs.ErrNotFound) {
		return a.DB.Tx(ctx, func(tx *sql.Tx) error {
			if err := a.Search.Delete(ctx, tx, articleItem, id); err != nil {
				return err
			}
			return a.Search.Delete(ctx, tx, pageItem, id)
		})
	}
	if err != nil {
		return err
	}
	return a.DB.Tx(ctx, func(tx *sql.Tx) error {
		if !e.Live {
			return a.Search.Delete(ctx, tx, itemType(e.Kind), id)
		}
		it := search.Item{Type: itemType(e.Kind), ID: e.ID, Title: e.Title, Summary: e.Summary, Body: e.Text, URL: e.URL,
			Date: e.PublishedAt, Language: "en", Access: search.AccessPublic, TagIDs: e.TagIDs}
		if e.Visibility == content.Members {
			it.Access = search.AccessMembers
		}
		return a.Search.Put(ctx, tx, it)
	})
}

// ReindexContent indexes every article and page afresh (at start, so that an
// index entry missed by a crash between a commit and its after-commit update
// is repaired).
func (a *App) ReindexContent(ctx context.Context) error {
	ids, err := a.Content.AllIDs(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := a.reindexArticle(ctx, id); err != nil {
			return fmt.Errorf("reindex article %d: %w", id, err)
		}
	}
	return nil
}

// memberPublisher publishes approved member submissions as articles (news)
// and library documents, inside the approval's transaction.
type memberPublisher struct{ a *App }

func (p memberPublisher) PublishNews(ctx context.Context, tx *sql.Tx, sub members.Submission, org members.Organisation) (string, error) {
	catID, err := p.a.Content.EnsureCategoryTx(ctx, tx, "news", "News")
	if err != nil {
		return "", err
	}
	var tags []int64
	for _, t := range sub.Tags {
		tags = append(tags, t.ID)
	}
	vis := content.Public
	if sub.MembersOnly {
		vis = content.Members
	}
	in := content.Input{Kind: content.KindArticle, CategoryID: catID, Title: sub.Title, Summary: sub.Summary, Body: sub.Body,
		AuthorName: org.Name, Status: content.StatusPublished, Visibility: vis, TagIDs: tags,
		Editor: content.Editor{Name: org.Name}, Note: "Submitted by " + org.Name}
	id, err := p.a.Content.CreateTx(ctx, tx, in, nil)
	if err != nil {
		return "", err
	}
	var slug string
	if err := tx.QueryRowContext(ctx, "SELECT slug FROM articles WHERE id = $1", id).Scan(&slug); err != nil {
		return "", fmt.Errorf("published article %d: %w", id, err)
	}
	return "/articles/" + slug, nil
}

func (p memberPublisher) PublishDocument(ctx context.Context, tx *sql.Tx, sub members.Submission, f members.File, org members.Organisation) (string, error) {
	in := library.Input{Title: sub.Title, Date: sub.CreatedAt.Format("2006-01-02"), Type: "report", Source: org.Name,
		Language: "en", Summary: sub.Summary, Access: library.AccessPublic}
	if sub.MembersOnly {
		in.Access = library.AccessMembers
	}
	if _, err := p.a.Library.TypeBySlug(ctx, "report"); err != nil {
		in.Type = ""
	}
	for _, t := range sub.Tags {
		switch t.Kind {
		case "country":
			in.Countries = append(in.Countries, t.Code)
		case "theme":
			in.Themes = append(in.Themes, t.Slug)
		case "crisis":
			in.Crises = append(in.Crises, t.Slug)
		}
	}
	id, err := p.a.Library.CreateTx(ctx, tx, in, &library.File{Name: f.Name, Body: bytes.NewReader(f.Data)}, 0)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("/documents/%d", id), nil
}

// related answers "what else is there on this?" from the search index.
type related struct{ a *App }

func hitsToRelated(hits []search.Hit) []web.RelatedItem {
	out := make([]web.RelatedItem, 0, len(hits))
	for _, h := range hits {
		out = append(out, web.RelatedItem{Type: h.Type, Title: h.Title, URL: h.URL, Date: h.Date, MembersOnly: h.Access == search.AccessMembers})
	}
	return out
}

func (r related) ForTags(ctx context.Context, tagIDs []int64, limit int, withMembersOnly bool) ([]web.RelatedItem, error) {
	seen := map[string]bool{}
	var hits []search.Hit
	for _, t := range tagIDs {
		res, err := r.a.Search.Search(ctx, search.Query{Tags: []int64{t}, Types: []string{articleItem, library.ItemType},
			Members: withMembersOnly, Sort: search.SortNewest, Limit: limit, NoFacets: true})
		if err != nil {
			return nil, err
		}
		for _, h := range res.Hits {
			if k := h.URL; !seen[k] {
				seen[k] = true
				hits = append(hits, h)
			}
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Date.After(hits[j].Date) })
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hitsToRelated(hits), nil
}

// ByOrganisation is answered by the members area itself (its approved
// submissions, wherever they were published), so nothing is listed twice.
func (r related) ByOrganisation(context.Context, int64, int, bool) ([]web.RelatedItem, error) {
	return nil, nil
}

func (r related) MembersOnly(ctx context.Context, limit int) ([]web.RelatedItem, error) {
	res, err := r.a.Search.Search(ctx, search.Query{Types: []string{articleItem, library.ItemType}, Members: true,
		Sort: search.SortNewest, Limit: 100, NoFacets: true})
	if err != nil {
		return nil, err
	}
	var hits []search.Hit
	for _, h := range res.Hits {
		if h.Access == search.AccessMembers && len(hits) < limit {
			hits = append(hits, h)
		}
	}
	return hitsToRelated(hits), nil
}

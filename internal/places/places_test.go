package places_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/places"
	"coalition/internal/testkit"
)

func TestPlaces(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p, err := places.New(d)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if err := p.Sync(ctx); err != nil { // idempotent
			t.Fatal(err)
		}
		regions, err := p.List(ctx, places.KindRegion)
		if err != nil || len(regions) != 5 {
			t.Fatalf("regions: %d %v", len(regions), err)
		}
		subs, _ := p.List(ctx, places.KindSubregion)
		if len(subs) != 17 {
			t.Fatalf("sub-regions: %d", len(subs))
		}
		syr, err := p.Get(ctx, places.KindCountry, "SYR")
		if err != nil || syr.Name != "Syria" || syr.Code != "SYR" {
			t.Fatalf("Syria: %+v %v", syr, err)
		}
		sub, _ := p.ByID(ctx, syr.ParentID)
		reg, _ := p.ByID(ctx, sub.ParentID)
		if sub.Name != "Western Asia" || reg.Slug != "asia" {
			t.Fatalf("Syria is in %q / %q", sub.Name, reg.Slug)
		}
		c, ok := p.Gaz.Country("civ")
		if !ok || c.Names["fr"] != "Côte d’Ivoire" || c.Names["ru"] == "" || c.Names["zh"] == "" || c.Names["ar"] == "" {
			t.Fatalf("Côte d'Ivoire names: %+v", c.Names)
		}

		theme, err := p.Create(ctx, places.KindTheme, "Women, Peace & Security", "")
		if err != nil || theme.Slug != "women-peace-security" {
			t.Fatalf("theme: %+v %v", theme, err)
		}
		if _, err := p.Create(ctx, places.KindTheme, "Women, Peace & Security", ""); err == nil {
			t.Fatal("duplicate theme accepted")
		}
		if _, err := p.Create(ctx, places.KindCountry, "Atlantis", ""); err == nil {
			t.Fatal("a country was created by hand")
		}
		mena, err := p.Create(ctx, places.KindGrouping, "Middle East and North Africa", "")
		if err != nil {
			t.Fatal(err)
		}
		if err := p.SetGroupingCountries(ctx, mena.ID, []string{"SYR", "egy", "LBY"}); err != nil {
			t.Fatal(err)
		}
		if err := p.SetGroupingCountries(ctx, mena.ID, []string{"SYR", "XXX"}); err == nil {
			t.Fatal("unknown country accepted")
		}
		gc, _ := p.GroupingCountries(ctx, mena.ID)
		if len(gc) != 3 {
			t.Fatalf("a failed update must leave the grouping as it was: %d countries", len(gc))
		}
		if _, err := p.ResolveCountries(ctx, []string{"SYR", "EU"}); err == nil {
			t.Fatal("EU is not a country code")
		}
		ids, err := p.ResolveCountries(ctx, []string{"syr", " UKR "})
		if err != nil || len(ids) != 2 {
			t.Fatalf("resolve: %v %v", ids, err)
		}
		err = d.Tx(ctx, func(tx *sql.Tx) error {
			return places.SetItemTags(ctx, tx, "article", 7, append(ids, theme.ID, theme.ID))
		})
		if err != nil {
			t.Fatal(err)
		}
		tags, err := p.ItemTags(ctx, "article", []int64{7, 8})
		if err != nil || len(tags[7]) != 3 || len(tags[8]) != 0 {
			t.Fatalf("item tags: %+v %v", tags, err)
		}
		if tags[7][0].Kind != places.KindCountry || tags[7][2].Kind != places.KindTheme {
			t.Fatalf("order: %+v", tags[7])
		}
		if err := p.Delete(ctx, theme.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := p.ByID(ctx, theme.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("deleted theme: %v", err)
		}
		tags, _ = p.ItemTags(ctx, "article", []int64{7})
		if len(tags[7]) != 2 {
			t.Fatalf("taggings of a deleted theme remain: %+v", tags[7])
		}
	})
}

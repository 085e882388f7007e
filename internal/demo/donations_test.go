package demo_test

import (
	"context"
	"testing"

	"coalition/internal/demo"
	"coalition/internal/donations"
	"coalition/internal/testkit"
)

// TestDemoDonations loads the demo twice: the appeal, its gifts and the
// pledge are there once, and the appeal shows progress.
func TestDemoDonations(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{})
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := demo.Load(ctx, site.App); err != nil {
			t.Fatal(err)
		}
	}
	// A second load after a version bump must not duplicate anything either.
	if err := site.App.Settings.SetValue(ctx, "demo.version", "0"); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Load(ctx, site.App); err != nil {
		t.Fatal(err)
	}
	d := site.App.Donations
	list, total, err := d.List(ctx, donations.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if total != 7 {
		t.Fatalf("%d demo gifts, want 7", total)
	}
	pledged := 0
	for _, g := range list {
		if g.Status == donations.StatusPledged {
			pledged++
		}
	}
	if pledged != 1 {
		t.Fatalf("%d pledges, want 1", pledged)
	}
	appeals, err := d.Appeals(ctx, false)
	if err != nil || len(appeals) != 1 {
		t.Fatalf("appeals: %d %v", len(appeals), err)
	}
	p, err := d.Progress(ctx, appeals[0])
	if err != nil || p.RaisedMinor != 1382500 || p.Donors != 4 || p.Percent == 0 {
		t.Fatalf("progress: %+v %v", p, err)
	}
	if r := site.NewClient(t).Get("/appeals/" + appeals[0].Slug); r.Status != 200 {
		t.Fatalf("demo appeal page: %d", r.Status)
	}
}

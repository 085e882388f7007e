package crises_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"coalition/internal/crises"
	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/places"
	"coalition/internal/testkit"
)

// recordingNotifier keeps every alert; fail makes it refuse.
type recordingNotifier struct {
	mu    sync.Mutex
	items []crises.AlertItem
	fail  bool
}

func (n *recordingNotifier) Notify(_ context.Context, it crises.AlertItem) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail {
		return errors.New("alerts unavailable")
	}
	n.items = append(n.items, it)
	return nil
}

func (n *recordingNotifier) got() []crises.AlertItem {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]crises.AlertItem(nil), n.items...)
}

func setup(t *testing.T, d *db.DB) (*crises.Service, *places.Service) {
	t.Helper()
	p, err := places.New(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	return crises.New(d, p, "https://coalition.example.org", nil, nil), p
}

func field(err error) string {
	if ie, ok := errs.AsInvalid(err); ok {
		return ie.Field
	}
	return ""
}

func statusID(t *testing.T, c *crises.Service, slugv string) int64 {
	t.Helper()
	sts, err := c.Statuses(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		if st.Slug == slugv {
			return st.ID
		}
	}
	t.Fatalf("no status %s", slugv)
	return 0
}

func TestCrises(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c, p := setup(t, d)
		sts, err := c.Statuses(ctx)
		if err != nil || len(sts) != 4 || sts[0].Name != "Current crisis" || sts[3].Name != "Resolved" || sts[0].Colour != "#a4161a" {
			t.Fatalf("default scale: %+v %v", sts, err)
		}
		current := statusID(t, c, "current-crisis")
		for _, bad := range []crises.Input{
			{Title: "", StatusID: current, Countries: []string{"SDN"}},
			{Title: "X", StatusID: 9999, Countries: []string{"SDN"}},
			{Title: "X", StatusID: current},
			{Title: "X", StatusID: current, Countries: []string{"ZZZ"}},
			{Title: "X", StatusID: current, Countries: []string{"SDN"}, Slug: "Not A Slug"},
			{Title: "X", StatusID: current, Countries: []string{"SDN"}, Sections: []crises.Section{{Body: "text without heading"}}},
		} {
			if _, err := c.Create(ctx, bad); field(err) == "" {
				t.Errorf("%+v: %v", bad, err)
			}
		}
		// A crisis tag made earlier in the tags admin is adopted.
		pre, err := p.Create(ctx, places.KindCrisis, "Sudan", "sudan")
		if err != nil {
			t.Fatal(err)
		}
		sd, err := c.Create(ctx, crises.Input{Title: "Sudan", StatusID: current, Countries: []string{"sdn", "TCD"}, Summary: "War since 2023.",
			Sections:        []crises.Section{{Heading: "Background", Body: "Text"}, {}, {Heading: "Protection", Body: "More"}},
			Recommendations: []string{"Protect civilians", "  ", "Allow aid"}, Published: true})
		if err != nil {
			t.Fatal(err)
		}
		if sd.Slug != "sudan" || sd.TagID != pre.ID || len(sd.Countries) != 2 || len(sd.Sections) != 2 || len(sd.Recommendations) != 2 ||
			sd.Status.Name != "Current crisis" || sd.URL() != "/crises/sudan" {
			t.Fatalf("created: %+v", sd)
		}
		if _, err := c.Create(ctx, crises.Input{Title: "Sudan", StatusID: current, Countries: []string{"SDN"}}); field(err) != "slug" {
			t.Fatalf("duplicate slug: %v", err)
		}
		concern := statusID(t, c, "serious-concern")
		mm, err := c.Create(ctx, crises.Input{Title: "Myanmar", StatusID: concern, Countries: []string{"MMR"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Update(ctx, sd.ID, crises.Input{Title: "Sudan: war and famine", StatusID: current, Countries: []string{"SDN"}, Published: true}); err != nil {
			t.Fatal(err)
		}
		if tag, _ := p.ByID(ctx, sd.TagID); tag.Name != "Sudan: war and famine" || tag.Slug != "sudan" || tag.Kind != places.KindCrisis {
			t.Fatalf("tag after rename: %+v", tag)
		}
		got, _ := c.BySlug(ctx, "sudan")
		if got.Title != "Sudan: war and famine" || len(got.Countries) != 1 || len(got.Sections) != 0 {
			t.Fatalf("after update: %+v", got)
		}
		pub, err := c.List(ctx, true)
		if err != nil || len(pub) != 1 || pub[0].ID != sd.ID {
			t.Fatalf("published list: %+v %v", pub, err)
		}
		if all, _ := c.List(ctx, false); len(all) != 2 || all[0].ID != sd.ID || all[1].ID != mm.ID {
			t.Fatalf("all crises, gravest first: %+v", all)
		}
		if l, _ := c.ForCountries(ctx, "sdn"); len(l) != 1 || l[0].ID != sd.ID {
			t.Fatalf("for countries: %v", l)
		}
		if l, _ := c.ForRegion(ctx, "northern-africa"); len(l) != 1 || l[0].ID != sd.ID {
			t.Fatalf("for region: %v", l)
		}
		if l, _ := c.ForRegion(ctx, "europe"); len(l) != 0 {
			t.Fatalf("for another region: %v", l)
		}
		if l, _ := c.ForCountries(ctx, "MMR"); len(l) != 0 {
			t.Fatalf("unpublished crisis listed for its country: %v", l)
		}
		if err := c.DeleteStatus(ctx, current); field(err) != "status" {
			t.Fatalf("deleting a used status: %v", err)
		}
		if _, err := c.CreateStatus(ctx, crises.StatusInput{Name: "Watch", Gravity: 3, Colour: "red"}); field(err) != "colour" {
			t.Fatalf("bad colour: %v", err)
		}
		w, err := c.CreateStatus(ctx, crises.StatusInput{Name: "Watch list", Gravity: 5, Colour: "#3366AA"})
		if err != nil || w.Slug != "watch-list" || w.Colour != "#3366aa" {
			t.Fatalf("create status: %+v %v", w, err)
		}
		if err := c.UpdateStatus(ctx, w.ID, crises.StatusInput{Name: "Watch", Gravity: 0, Colour: "#000000"}); field(err) != "gravity" {
			t.Fatalf("bad gravity: %v", err)
		}
		if err := c.DeleteStatus(ctx, w.ID); err != nil {
			t.Fatal(err)
		}
		if err := c.Delete(ctx, mm.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Get(ctx, mm.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("deleted: %v", err)
		}
		if _, err := c.BySlug(ctx, "../x"); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("bad slug: %v", err)
		}
	})
}

func TestUpdatesNotify(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c, p := setup(t, d)
		n := &recordingNotifier{}
		c.Notifier = n
		cr, err := c.Create(ctx, crises.Input{Title: "Sahel", StatusID: statusID(t, c, "imminent-risk"), Countries: []string{"MLI", "BFA"}, Published: true})
		if err != nil {
			t.Fatal(err)
		}
		before := cr.UpdatedAt
		day := time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC)
		if _, err := c.AddUpdate(ctx, cr.ID, crises.UpdateInput{Title: "", HappenedOn: day}, 0); field(err) != "title" {
			t.Fatalf("no title: %v", err)
		}
		if _, err := c.AddUpdate(ctx, cr.ID, crises.UpdateInput{Title: "X"}, 0); field(err) != "date" {
			t.Fatalf("no date: %v", err)
		}
		if _, err := c.AddUpdate(ctx, 99999, crises.UpdateInput{Title: "X", HappenedOn: day}, 0); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("unknown crisis: %v", err)
		}
		draft, err := c.AddUpdate(ctx, cr.ID, crises.UpdateInput{Title: "Draft", HappenedOn: day}, 0)
		if err != nil || draft.Published() {
			t.Fatalf("draft: %+v %v", draft, err)
		}
		if len(n.got()) != 0 {
			t.Fatal("a draft was alerted")
		}
		up, err := c.AddUpdate(ctx, cr.ID, crises.UpdateInput{Title: "Attack on a market in Mopti", Body: "**Twelve** civilians were killed.", HappenedOn: day, Publish: true}, 0)
		if err != nil {
			t.Fatal(err)
		}
		items := n.got()
		if len(items) != 1 {
			t.Fatalf("alerts: %+v", items)
		}
		it := items[0]
		if it.Type != "crisis-update" || it.ID != up.ID || it.Title != "Sahel: Attack on a market in Mopti" || it.Summary != "Twelve civilians were killed." ||
			it.URL != "https://coalition.example.org/crises/sahel#update-"+itoa(up.ID) || it.PublishedAt.IsZero() {
			t.Fatalf("alert: %+v", it)
		}
		want := map[int64]string{cr.TagID: "crisis"}
		for _, code := range []string{"mli", "bfa"} {
			ct, _ := p.Get(ctx, places.KindCountry, code)
			want[ct.ID] = code
			sub, _ := p.ByID(ctx, ct.ParentID)
			want[sub.ID] = sub.Name
			want[sub.ParentID] = "region"
		}
		got := map[int64]bool{}
		for _, id := range it.TagIDs {
			got[id] = true
		}
		for id, what := range want {
			if !got[id] {
				t.Errorf("alert lacks the %s tag", what)
			}
		}
		if len(it.TagIDs) != len(want) {
			t.Errorf("alert tags %v, want %v", it.TagIDs, want)
		}
		if after, _ := c.Get(ctx, cr.ID); !after.UpdatedAt.After(before) && !after.UpdatedAt.Equal(before) || len(after.Updates) != 2 {
			t.Fatalf("after update: %+v", after)
		}
		// Editing a published update does not alert again; publishing the draft does.
		if err := c.EditUpdate(ctx, cr.ID, up.ID, crises.UpdateInput{Title: "Attack on a market in Mopti (corrected)", HappenedOn: day, Publish: true}); err != nil {
			t.Fatal(err)
		}
		if len(n.got()) != 1 {
			t.Fatal("an edit was alerted again")
		}
		// The notifier fails: the update is published anyway; the retry sends it.
		n.fail = true
		if err := c.EditUpdate(ctx, cr.ID, draft.ID, crises.UpdateInput{Title: "Displacement figures", HappenedOn: day, Publish: true}); err != nil {
			t.Fatal(err)
		}
		if len(n.got()) != 1 {
			t.Fatal("alert recorded although the notifier failed")
		}
		n.fail = false
		if err := c.RetryAlerts(ctx); err != nil {
			t.Fatal(err)
		}
		if items := n.got(); len(items) != 2 || items[1].ID != draft.ID {
			t.Fatalf("after retry: %+v", items)
		}
		if err := c.RetryAlerts(ctx); err != nil || len(n.got()) != 2 {
			t.Fatalf("second retry sent again: %v", err)
		}
		// Updates to an unpublished crisis alert no one, now or later.
		hidden, _ := c.Create(ctx, crises.Input{Title: "Hidden", StatusID: statusID(t, c, "serious-concern"), Countries: []string{"HTI"}})
		if _, err := c.AddUpdate(ctx, hidden.ID, crises.UpdateInput{Title: "Quiet", HappenedOn: day, Publish: true}, 0); err != nil {
			t.Fatal(err)
		}
		if err := c.RetryAlerts(ctx); err != nil || len(n.got()) != 2 {
			t.Fatalf("draft crisis alerted: %v %d", err, len(n.got()))
		}
		if err := c.DeleteUpdate(ctx, hidden.ID, up.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("deleting another crisis's update: %v", err)
		}
		if err := c.DeleteUpdate(ctx, cr.ID, up.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

package settings_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"coalition/internal/audit"
	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/settings"
	"coalition/internal/testkit"
)

func TestSettingsAndAudit(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := settings.NewStore(d)
		got, err := s.Get(ctx)
		if err != nil || got.OrgName != settings.Defaults().OrgName {
			t.Fatalf("defaults: %+v %v", got, err)
		}
		want := settings.Settings{OrgName: "  GCCP ", Tagline: "t", PostalAddress: "a\r\nb", ContactEmail: "Info@Example.org",
			Social: settings.Social{Bluesky: "https://bsky.app/profile/x"}}
		if err := s.Save(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Get(ctx)
		if got.OrgName != "GCCP" || got.PostalAddress != "a\nb" || got.ContactEmail != "info@example.org" || got.Social.Bluesky == "" {
			t.Fatalf("saved: %+v", got)
		}
		if lines := got.AddressLines(); len(lines) != 2 {
			t.Fatalf("address lines: %q", lines)
		}
		for _, bad := range []settings.Settings{
			{OrgName: ""},
			{OrgName: "x", ContactEmail: "nope"},
			{OrgName: "x", Social: settings.Social{YouTube: "javascript:alert(1)"}},
			{OrgName: "x\x00y"},
		} {
			err := s.Save(ctx, bad)
			if _, ok := errs.AsInvalid(err); !ok {
				t.Errorf("%+v: %v", bad, err)
			}
		}
		if again, _ := s.Get(ctx); again.OrgName != "GCCP" {
			t.Fatal("a refused save changed the settings")
		}
		k1, err := s.Secret(ctx, "test")
		if err != nil || len(k1) != 32 {
			t.Fatalf("secret: %v", err)
		}
		k2, _ := s.Secret(ctx, "test")
		if !bytes.Equal(k1, k2) {
			t.Fatal("a secret changed between reads")
		}

		log := audit.New(d, func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) })
		for _, a := range []string{"login.success", "login.failure", "user.role"} {
			if err := log.Record(ctx, audit.Entry{Action: a, ActorEmail: "x@example.org", IP: "10.0.0.1"}); err != nil {
				t.Fatal(err)
			}
		}
		entries, total, err := log.List(ctx, audit.Filter{Action: "login"})
		if err != nil || total != 2 || len(entries) != 2 || entries[0].Action != "login.failure" {
			t.Fatalf("audit: %d %+v %v", total, entries, err)
		}
		if !entries[0].At.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
			t.Fatalf("audit time: %v", entries[0].At)
		}
	})
}

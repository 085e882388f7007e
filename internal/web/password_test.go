package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/db"
	"coalition/internal/testkit"
)

var linkRe = regexp.MustCompile(`https?://\S+/(password/reset|welcome)/([A-Za-z0-9_-]+)`)

func TestPasswordResetOverSMTP(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		smtp := testkit.NewSMTP(t)
		clock := testkit.NewClock(time.Now().UTC())
		site := testkit.NewSite(t, testkit.SiteOptions{DB: d, SMTP: smtp, Now: clock.Now})
		site.AddUser(t, "ana@example.org", accounts.RoleMember, "the old password")
		c := site.NewClient(t)
		c.Get("/password/forgot")

		known := c.Post("/password/forgot", url.Values{"email": {"ana@example.org"}})
		unknown := c.Post("/password/forgot", url.Values{"email": {"nobody@example.org"}})
		if known.Status != http.StatusOK || unknown.Status != http.StatusOK {
			t.Fatalf("statuses %d %d", known.Status, unknown.Status)
		}
		strip := func(s, email string) string { return strings.ReplaceAll(s, email, "") }
		if strip(pageMain(known.Body), "ana@example.org") != strip(pageMain(unknown.Body), "nobody@example.org") {
			t.Fatal("the reply reveals whether the address has an account")
		}
		msgs := smtp.WaitFor(t, 1)
		time.Sleep(300 * time.Millisecond)
		if n := len(smtp.Messages()); n != 1 {
			t.Fatalf("%d messages sent; want 1 (none for the unknown address)", n)
		}
		m := msgs[0]
		if m.To[0] != "ana@example.org" || !strings.Contains(m.Header("Subject"), "Reset") {
			t.Fatalf("message: to %v subject %q", m.To, m.Header("Subject"))
		}
		link := linkRe.FindStringSubmatch(m.Text)
		if link == nil {
			t.Fatalf("no reset link in %q", m.Text)
		}
		path := "/password/reset/" + link[2]
		if r := c.Get(path); r.Status != http.StatusOK || !strings.Contains(r.Body, "ana@example.org") {
			t.Fatalf("reset form: %d", r.Status)
		}
		if r := c.Post(path, url.Values{"password": {"a brand new password"}, "confirm": {"not the same"}}); r.Status != http.StatusBadRequest {
			t.Fatalf("mismatched passwords: %d", r.Status)
		}
		if r := c.Post(path, url.Values{"password": {"a brand new password"}, "confirm": {"a brand new password"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("reset: %d", r.Status)
		}
		// Single use.
		if r := c.Post(path, url.Values{"password": {"a third password!"}, "confirm": {"a third password!"}}); r.Status != http.StatusGone {
			t.Fatalf("reused reset link: %d", r.Status)
		}
		c.Login("ana@example.org", "a brand new password")

		// Expiry: a link older than an hour no longer works.
		tok, err := site.App.Accounts.NewToken(context.Background(), mustUser(t, site, "ana@example.org").ID, accounts.PurposeReset, accounts.ResetTTL)
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(accounts.ResetTTL + time.Minute)
		c2 := site.NewClient(t)
		if r := c2.Get("/password/reset/" + tok); r.Status != http.StatusGone || !strings.Contains(r.Body, "expired") {
			t.Fatalf("expired link: %d", r.Status)
		}
	})
}

func TestInviteUser(t *testing.T) {
	smtp := testkit.NewSMTP(t)
	site := testkit.NewSite(t, testkit.SiteOptions{SMTP: smtp})
	site.AddUser(t, "admin@example.org", accounts.RoleAdmin, "an admin password")
	c := site.NewClient(t)
	c.Login("admin@example.org", "an admin password")
	c.Get("/admin/users")
	if r := c.Post("/admin/users", url.Values{"email": {"not an address"}, "role": {"editor"}}); r.Status != http.StatusBadRequest || msg(r.Body) == "" {
		t.Fatalf("bad invite: %d %q", r.Status, msg(r.Body))
	}
	if r := c.Post("/admin/users", url.Values{"email": {"new.editor@example.org"}, "name": {"New Editor"}, "role": {"editor"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("invite: %d %s", r.Status, msg(r.Body))
	}
	m := smtp.WaitFor(t, 1)[0]
	link := linkRe.FindStringSubmatch(m.Text)
	if link == nil || link[1] != "welcome" {
		t.Fatalf("no invitation link in %q", m.Text)
	}
	nc := site.NewClient(t)
	path := "/welcome/" + link[2]
	nc.Get(path)
	if r := nc.Post(path, url.Values{"password": {"my chosen password"}, "confirm": {"my chosen password"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("accept invite: %d", r.Status)
	}
	nc.Login("new.editor@example.org", "my chosen password")
	if r := nc.Get("/admin"); r.Status != http.StatusOK {
		t.Fatalf("invited editor at /admin: %d", r.Status)
	}
	// Disable the new editor: their session ends.
	u := mustUser(t, site, "new.editor@example.org")
	c.Get("/admin/users")
	if r := c.Post("/admin/users/"+itoa(u.ID)+"/disable", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("disable: %d", r.Status)
	}
	if r := nc.Get("/admin"); r.Status != http.StatusSeeOther {
		t.Fatalf("disabled editor still signed in: %d", r.Status)
	}
	// The admin cannot disable themselves.
	me := mustUser(t, site, "admin@example.org")
	if r := c.Post("/admin/users/"+itoa(me.ID)+"/disable", url.Values{}); r.Status != http.StatusBadRequest {
		t.Fatalf("self-disable: %d", r.Status)
	}
	if r := c.Post("/admin/users/999999/role", url.Values{"role": {"admin"}}); r.Status != http.StatusNotFound {
		t.Fatalf("unknown user: %d", r.Status)
	}
	if r := c.Post("/admin/users/abc/role", url.Values{"role": {"admin"}}); r.Status != http.StatusNotFound {
		t.Fatalf("non-numeric id: %d", r.Status)
	}
}

func mustUser(t *testing.T, site *testkit.Site, email string) accounts.User {
	t.Helper()
	u, err := site.App.Accounts.ByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func itoa(n int64) string { return strconvFormat(n) }

var mainRe = regexp.MustCompile(`(?s)<main.*</main>`)

// pageMain returns the <main> element, without the per-browser CSRF token.
func pageMain(body string) string {
	m := mainRe.FindString(body)
	return regexp.MustCompile(`name="csrf_token" value="[^"]*"`).ReplaceAllString(m, "")
}

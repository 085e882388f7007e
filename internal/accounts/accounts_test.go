package accounts_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/testkit"
)

func TestAccountsStore(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := testkit.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
		s := accounts.NewService(d, clock.Now)

		u, err := s.Create(ctx, accounts.NewUser{Email: " Ana@Example.ORG ", Name: "Ana", Role: accounts.RoleEditor, Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "ana@example.org" || u.Role != accounts.RoleEditor || !u.HasPassword {
			t.Fatalf("created %+v", u)
		}
		if _, err := s.Create(ctx, accounts.NewUser{Email: "ana@example.org", Role: accounts.RoleMember}); !isInvalid(err, "email") {
			t.Fatalf("duplicate e-mail: %v", err)
		}
		if _, err := s.Create(ctx, accounts.NewUser{Email: "not-an-address", Role: accounts.RoleMember}); !isInvalid(err, "email") {
			t.Fatalf("bad e-mail: %v", err)
		}
		if _, err := s.Create(ctx, accounts.NewUser{Email: "b@example.org", Role: "owner"}); !isInvalid(err, "role") {
			t.Fatalf("bad role: %v", err)
		}
		if _, err := s.Create(ctx, accounts.NewUser{Email: "c@example.org", Role: accounts.RoleMember, Password: "short"}); !isInvalid(err, "password") {
			t.Fatalf("short password: %v", err)
		}
		if _, err := s.ByEmail(ctx, "nobody@example.org"); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("missing user: %v", err)
		}

		// Sign-in: right password, wrong password, unknown user — the last two alike.
		if _, err := s.Authenticate(ctx, "ANA@example.org", "correct horse battery", "10.0.0.1"); err != nil {
			t.Fatalf("good password: %v", err)
		}
		_, e1 := s.Authenticate(ctx, "ana@example.org", "wrong", "10.0.0.1")
		_, e2 := s.Authenticate(ctx, "ghost@example.org", "wrong", "10.0.0.1")
		if !errors.Is(e1, accounts.ErrBadCredentials) || !errors.Is(e2, accounts.ErrBadCredentials) {
			t.Fatalf("failures: %v / %v", e1, e2)
		}

		// Sessions.
		tok, sess, err := s.CreateSession(ctx, u.ID, "10.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		if got, gu, err := s.SessionUser(ctx, tok); err != nil || got.ID != sess.ID || gu.ID != u.ID {
			t.Fatalf("session lookup: %v %+v", err, gu)
		}
		if _, _, err := s.SessionUser(ctx, tok+"x"); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("forged token: %v", err)
		}
		clock.Advance(accounts.SessionTTL + time.Minute)
		if _, _, err := s.SessionUser(ctx, tok); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("expired session: %v", err)
		}

		// Reset tokens: single use, expiring.
		rt, err := s.NewToken(ctx, u.ID, accounts.PurposeReset, accounts.ResetTTL)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UseToken(ctx, rt, accounts.PurposeInvite, "another good password"); !errors.Is(err, accounts.ErrTokenInvalid) {
			t.Fatalf("token used for the wrong purpose: %v", err)
		}
		if _, err := s.UseToken(ctx, rt, accounts.PurposeReset, "another good password"); err != nil {
			t.Fatalf("use token: %v", err)
		}
		if _, err := s.UseToken(ctx, rt, accounts.PurposeReset, "a third good password"); !errors.Is(err, accounts.ErrTokenInvalid) {
			t.Fatalf("token reused: %v", err)
		}
		if _, err := s.Authenticate(ctx, "ana@example.org", "another good password", "10.0.0.2"); err != nil {
			t.Fatalf("new password: %v", err)
		}
		rt2, _ := s.NewToken(ctx, u.ID, accounts.PurposeReset, accounts.ResetTTL)
		clock.Advance(accounts.ResetTTL + time.Second)
		if _, err := s.UseToken(ctx, rt2, accounts.PurposeReset, "a fourth good password"); !errors.Is(err, accounts.ErrTokenInvalid) {
			t.Fatalf("expired token: %v", err)
		}

		// The last admin stays an admin.
		admin, err := s.Create(ctx, accounts.NewUser{Email: "boss@example.org", Role: accounts.RoleAdmin, Password: "a good long password"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetRole(ctx, admin.ID, accounts.RoleEditor); !isInvalid(err, "role") {
			t.Fatalf("demoting the last admin: %v", err)
		}
		if err := s.SetDisabled(ctx, admin.ID, true); !isInvalid(err, "role") {
			t.Fatalf("disabling the last admin: %v", err)
		}
		if err := s.SetRole(ctx, u.ID, accounts.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if err := s.SetDisabled(ctx, admin.ID, true); err != nil {
			t.Fatalf("disabling a second admin: %v", err)
		}
		if _, err := s.Authenticate(ctx, "boss@example.org", "a good long password", "10.0.0.3"); !errors.Is(err, accounts.ErrBadCredentials) {
			t.Fatalf("disabled user signed in: %v", err)
		}
	})
}

func TestThrottle(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := testkit.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
		s := accounts.NewService(d, clock.Now)
		if _, err := s.Create(ctx, accounts.NewUser{Email: "t@example.org", Role: accounts.RoleMember, Password: "the right password"}); err != nil {
			t.Fatal(err)
		}
		var slowed bool
		var throttled *accounts.ThrottledError
		for i := 0; i < 10; i++ {
			delay, err := s.Delay(ctx, "t@example.org", "192.0.2.1")
			if errors.As(err, &throttled) {
				break
			}
			if delay > 0 {
				slowed = true
			}
			_, err = s.Authenticate(ctx, "t@example.org", "wrong", "192.0.2.1")
			if errors.As(err, &throttled) {
				break
			}
		}
		if !slowed || throttled == nil {
			t.Fatalf("slowed=%v throttled=%v", slowed, throttled)
		}
		// While locked, even the right password is refused.
		if _, err := s.Authenticate(ctx, "t@example.org", "the right password", "192.0.2.9"); !errors.As(err, &throttled) {
			t.Fatalf("locked account accepted a sign-in: %v", err)
		}
		clock.Advance(16 * time.Minute)
		if _, err := s.Authenticate(ctx, "t@example.org", "the right password", "192.0.2.9"); err != nil {
			t.Fatalf("after the lockout: %v", err)
		}
	})
}

func isInvalid(err error, field string) bool {
	ie, ok := errs.AsInvalid(err)
	return ok && ie.Field == field
}

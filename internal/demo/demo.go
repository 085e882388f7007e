// Package demo loads the demo content: a fictional coalition, written for
// this project, with its settings, staff accounts and publications. Loading
// is idempotent: a marker in the settings records what has been loaded, and
// every step skips what already exists.
package demo

import (
	"context"
	"errors"
	"fmt"

	"coalition/internal/accounts"
	"coalition/internal/app"
	"coalition/internal/errs"
	"coalition/internal/settings"
)

// The demo admin's credentials, printed by `coalition demo`.
const (
	AdminEmail    = "admin@example.org"
	AdminPassword = "coalition-demo"
	EditorEmail   = "editor@example.org"
)

// marker is the settings key holding the loaded demo version.
const marker = "demo.version"

// version is bumped when the demo gains content; Load adds what is missing.
const version = "6"

// Load fills an empty site with the demo content once. It reports whether it
// loaded anything.
func Load(ctx context.Context, a *app.App) (bool, error) {
	v, err := a.Settings.Value(ctx, marker)
	if err == nil && v == version {
		return false, nil
	}
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		return false, err
	}
	if err := a.Settings.Save(ctx, Settings()); err != nil {
		return false, fmt.Errorf("settings: %w", err)
	}
	for _, u := range []accounts.NewUser{
		{Email: AdminEmail, Name: "Amara Diallo", Role: accounts.RoleAdmin, Password: AdminPassword},
		{Email: EditorEmail, Name: "Tomás Ferreira", Role: accounts.RoleEditor, Password: AdminPassword},
	} {
		if _, err := a.Accounts.ByEmail(ctx, u.Email); err == nil {
			continue
		}
		if _, err := a.Accounts.Create(ctx, u); err != nil {
			return false, fmt.Errorf("user %s: %w", u.Email, err)
		}
	}
	if err := loadArticles(ctx, a); err != nil {
		return false, fmt.Errorf("articles: %w", err)
	}
	// Member organisations and crises (issue 6). Crises first: the demo
	// member news is filed under a crisis tag.
	if err := loadCrises(ctx, a); err != nil {
		return false, fmt.Errorf("crises: %w", err)
	}
	if err := loadMembers(ctx, a); err != nil {
		return false, fmt.Errorf("members: %w", err)
	}
	if err := loadDocuments(ctx, a); err != nil {
		return false, fmt.Errorf("documents: %w", err)
	}
	if err := loadDonations(ctx, a); err != nil {
		return false, fmt.Errorf("donations: %w", err)
	}
	if err := loadMail(ctx, a); err != nil {
		return false, fmt.Errorf("mailing lists: %w", err)
	}
	if err := a.Settings.SetValue(ctx, marker, version); err != nil {
		return false, err
	}
	return true, nil
}

// Settings are the fictional coalition's details.
func Settings() settings.Settings {
	return settings.Settings{
		OrgName:       "Global Coalition for Civilian Protection",
		Tagline:       "Civil society working together so that no population is left unprotected from mass atrocities",
		PostalAddress: "Secretariat, 14 Quai des Bergues\n1201 Geneva\nSwitzerland",
		ContactEmail:  "secretariat@gccp.example.org",
		Social: settings.Social{
			Facebook: "https://www.facebook.com/gccp.example",
			Twitter:  "https://x.com/gccp_example",
			LinkedIn: "https://www.linkedin.com/company/gccp-example",
			Bluesky:  "https://bsky.app/profile/gccp.example.org",
			Mastodon: "https://mastodon.social/@gccp_example",
			YouTube:  "https://www.youtube.com/@gccp-example",
			Blog:     "https://blog.gccp.example.org",
		},
	}
}

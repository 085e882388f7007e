package members

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"coalition/internal/accounts"
	"coalition/internal/db"
	"coalition/internal/errs"
)

// Person is someone who signs in for a member organisation.
type Person struct {
	ID          int64
	Email       string
	Name        string
	OrgAdmin    bool // may edit the profile and invite or remove colleagues
	HasPassword bool
	Disabled    bool
	LastLoginAt time.Time
}

// DisplayName is the name, or the address when there is none.
func (p Person) DisplayName() string {
	if p.Name != "" {
		return p.Name
	}
	return p.Email
}

// Invite is a person just invited, with the single-use link token to choose
// a password at /welcome/{token}.
type Invite struct {
	Person
	OrganisationID int64
	Token          string
}

// People returns the people of an organisation, its admins first.
func (s *Service) People(ctx context.Context, orgID int64) ([]Person, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, email, name, org_admin, password_hash <> '', disabled, last_login_at
		FROM users WHERE organisation_id = $1 ORDER BY org_admin DESC, email`, orgID)
	if err != nil {
		return nil, fmt.Errorf("people of %d: %w", orgID, err)
	}
	defer rows.Close()
	var out []Person
	for rows.Next() {
		var p Person
		var last sql.NullTime
		if err := rows.Scan(&p.ID, &p.Email, &p.Name, &p.OrgAdmin, &p.HasPassword, &p.Disabled, &last); err != nil {
			return nil, fmt.Errorf("people of %d: %w", orgID, err)
		}
		if last.Valid {
			p.LastLoginAt = last.Time
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// IsOrgAdmin reports whether the user administers organisation orgID.
func (s *Service) IsOrgAdmin(ctx context.Context, userID, orgID int64) (bool, error) {
	var n int
	err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE id = $1 AND organisation_id = $2 AND org_admin = TRUE AND NOT disabled",
		userID, orgID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("org admin %d: %w", userID, err)
	}
	return n > 0, nil
}

// inviteTx creates a member user for orgID with a fresh invitation token,
// inside the caller's transaction (so that the organisation, the account and
// the e-mail carrying the link exist together or not at all). The token is
// stored hashed in the accounts' user_tokens table, exactly as
// accounts.Service.NewToken does, so /welcome/{token} accepts it.
func (s *Service) inviteTx(ctx context.Context, tx *sql.Tx, orgID int64, email, name string, admin bool) (Invite, error) {
	e, err := accounts.NormalizeEmail(email)
	if err != nil {
		return Invite{}, err
	}
	name = strings.Join(strings.Fields(name), " ")
	if utf8.RuneCountInString(name) > 200 {
		return Invite{}, errs.Invalid("name", "Use at most 200 characters.")
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO users (email, name, password_hash, role, organisation_id, disabled, created_at, org_admin)
		VALUES ($1, $2, '', 'member', $3, FALSE, $4, $5) RETURNING id`, e, name, orgID, s.now(), admin).Scan(&id)
	if db.IsUnique(err) {
		return Invite{}, errs.Invalid("email", "Someone with this e-mail address already has an account on the site. Ask the secretariat to attach it to the organisation.")
	}
	if err != nil {
		return Invite{}, fmt.Errorf("create member %s: %w", e, err)
	}
	tok, err := s.tokenTx(ctx, tx, id)
	if err != nil {
		return Invite{}, err
	}
	return Invite{Person: Person{ID: id, Email: e, Name: name, OrgAdmin: admin}, OrganisationID: orgID, Token: tok}, nil
}

func (s *Service) tokenTx(ctx context.Context, tx *sql.Tx, userID int64) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("invitation token: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	now := s.now()
	if _, err := tx.ExecContext(ctx, "DELETE FROM user_tokens WHERE user_id = $1 AND purpose = $2", userID, accounts.PurposeInvite); err != nil {
		return "", fmt.Errorf("invitation token: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO user_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
		accounts.HashToken(tok), userID, accounts.PurposeInvite, now, now.Add(accounts.InviteTTL)); err != nil {
		return "", fmt.Errorf("invitation token: %w", err)
	}
	return tok, nil
}

// InviteHook runs inside the transaction that creates an invitation; the web
// layer queues the e-mail carrying the link with it. An error rolls back.
type InviteHook func(ctx context.Context, tx *sql.Tx, inv Invite) error

// InvitePerson adds a colleague to an organisation and invites them.
func (s *Service) InvitePerson(ctx context.Context, orgID int64, email, name string, admin bool, hook InviteHook) (Invite, error) {
	var inv Invite
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM organisations WHERE id = $1", orgID).Scan(&n); err != nil {
			return fmt.Errorf("invite: %w", err)
		}
		if n == 0 {
			return errs.ErrNotFound
		}
		var err error
		if inv, err = s.inviteTx(ctx, tx, orgID, email, name, admin); err != nil {
			return err
		}
		if hook != nil {
			return hook(ctx, tx, inv)
		}
		return nil
	})
	return inv, err
}

// Reinvite sends a person of orgID who has not chosen a password yet a new link.
func (s *Service) Reinvite(ctx context.Context, orgID, userID int64, hook InviteHook) (Invite, error) {
	var inv Invite
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		p, err := personTx(ctx, tx, orgID, userID)
		if err != nil {
			return err
		}
		if p.HasPassword {
			return errs.Invalid("user", "This person has already chosen a password; they can use “Forgotten your password?” on the sign-in page.")
		}
		tok, err := s.tokenTx(ctx, tx, userID)
		if err != nil {
			return err
		}
		inv = Invite{Person: p, OrganisationID: orgID, Token: tok}
		if hook != nil {
			return hook(ctx, tx, inv)
		}
		return nil
	})
	return inv, err
}

func personTx(ctx context.Context, tx *sql.Tx, orgID, userID int64) (Person, error) {
	var p Person
	err := tx.QueryRowContext(ctx, `SELECT id, email, name, org_admin, password_hash <> '', disabled FROM users
		WHERE id = $1 AND organisation_id = $2 AND role = 'member'`, userID, orgID).
		Scan(&p.ID, &p.Email, &p.Name, &p.OrgAdmin, &p.HasPassword, &p.Disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return Person{}, errs.ErrNotFound
	}
	if err != nil {
		return Person{}, fmt.Errorf("person %d: %w", userID, err)
	}
	return p, nil
}

// keepOneOrgAdmin refuses a change that would leave orgID without an admin.
func keepOneOrgAdmin(ctx context.Context, tx *sql.Tx, orgID, changing int64) error {
	var others int
	err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE organisation_id = $1 AND org_admin = TRUE AND NOT disabled AND id <> $2",
		orgID, changing).Scan(&others)
	if err != nil {
		return fmt.Errorf("count organisation admins: %w", err)
	}
	if others == 0 {
		return errs.Invalid("user", "The organisation needs at least one admin: make a colleague an admin first.")
	}
	return nil
}

// RemovePerson deletes a colleague's account (their submissions stay with
// the organisation). Only people of orgID with the member role can be
// removed, and never the organisation's last admin.
func (s *Service) RemovePerson(ctx context.Context, orgID, userID int64) (Person, error) {
	var p Person
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if p, err = personTx(ctx, tx, orgID, userID); err != nil {
			return err
		}
		if p.OrgAdmin {
			if err := keepOneOrgAdmin(ctx, tx, orgID, userID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM users WHERE id = $1 AND organisation_id = $2", userID, orgID); err != nil {
			return fmt.Errorf("remove %d: %w", userID, err)
		}
		return nil
	})
	return p, err
}

// SetOrgAdmin makes a person of orgID an admin of it, or not.
func (s *Service) SetOrgAdmin(ctx context.Context, orgID, userID int64, admin bool) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		p, err := personTx(ctx, tx, orgID, userID)
		if err != nil {
			return err
		}
		if p.OrgAdmin && !admin {
			if err := keepOneOrgAdmin(ctx, tx, orgID, userID); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, "UPDATE users SET org_admin = $1 WHERE id = $2", admin, userID)
		return err
	})
}

// Package accounts holds users, their roles, password hashing, sessions,
// sign-in throttling and single-use tokens (password reset, invitations).
package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"coalition/internal/db"
	"coalition/internal/errs"
)

// Role is what a user may do.
type Role string

// The roles, from most to least powerful.
const (
	RoleAdmin  Role = "admin"
	RoleEditor Role = "editor"
	RoleMember Role = "member"
)

// Roles lists every role, for forms and validation.
var Roles = []Role{RoleAdmin, RoleEditor, RoleMember}

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case RoleAdmin, RoleEditor, RoleMember:
		return r, nil
	}
	return "", errs.Invalid("role", "Choose admin, editor or member.")
}

// User is a person who can sign in.
type User struct {
	ID             int64
	Email          string
	Name           string
	Role           Role
	OrganisationID int64 // 0 when the user belongs to no member organisation
	Disabled       bool
	HasPassword    bool
	CreatedAt      time.Time
	LastLoginAt    time.Time // zero if never
	passwordHash   string
}

// IsStaff reports whether the user works at the secretariat (editor or admin).
func (u *User) IsStaff() bool { return u != nil && (u.Role == RoleAdmin || u.Role == RoleEditor) }

// IsAdmin reports whether the user is an admin.
func (u *User) IsAdmin() bool { return u != nil && u.Role == RoleAdmin }

// DisplayName is the name, or the e-mail address when no name is set.
func (u *User) DisplayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// Service is the accounts store.
type Service struct {
	db     *db.DB
	hasher *Hasher
	now    func() time.Time
}

// NewService returns a Service over d. now is the clock (time.Now in production).
func NewService(d *db.DB, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: d, hasher: NewHasher(), now: func() time.Time { return now().UTC() }}
}

// Hasher exposes the password hasher (for the CLI and tests).
func (s *Service) Hasher() *Hasher { return s.hasher }

// NormalizeEmail trims and lower-cases an address and checks its form.
func NormalizeEmail(raw string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(raw))
	if e == "" {
		return "", errs.Invalid("email", "Enter an e-mail address.")
	}
	if len(e) > 254 {
		return "", errs.Invalid("email", "That e-mail address is too long.")
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") && !strings.HasSuffix(e, "@localhost") {
		return "", errs.Invalid("email", "Enter a valid e-mail address, like name@example.org.")
	}
	return e, nil
}

const userCols = `id, email, name, password_hash, role, COALESCE(organisation_id, 0), disabled, created_at, last_login_at`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var last sql.NullTime
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.passwordHash, &u.Role, &u.OrganisationID, &u.Disabled, &u.CreatedAt, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, errs.ErrNotFound
	}
	if err != nil {
		return User{}, err
	}
	u.HasPassword = u.passwordHash != ""
	if last.Valid {
		u.LastLoginAt = last.Time
	}
	return u, nil
}

// NewUser is what Create needs.
type NewUser struct {
	Email          string
	Name           string
	Role           Role
	Password       string // empty for an invited user who sets it later
	OrganisationID int64
}

// Create adds a user. The e-mail must be unused.
func (s *Service) Create(ctx context.Context, nu NewUser) (User, error) {
	email, err := NormalizeEmail(nu.Email)
	if err != nil {
		return User{}, err
	}
	role, err := ParseRole(string(nu.Role))
	if err != nil {
		return User{}, err
	}
	name := strings.TrimSpace(nu.Name)
	if len(name) > 200 {
		return User{}, errs.Invalid("name", "Use at most 200 characters.")
	}
	hash := ""
	if nu.Password != "" {
		if err := CheckPolicy(nu.Password); err != nil {
			return User{}, err
		}
		if hash, err = s.hasher.Hash(ctx, nu.Password); err != nil {
			return User{}, err
		}
	}
	var org any
	if nu.OrganisationID != 0 {
		org = nu.OrganisationID
	}
	var id int64
	err = s.db.W.QueryRowContext(ctx,
		`INSERT INTO users (email, name, password_hash, role, organisation_id, disabled, created_at)
		 VALUES ($1, $2, $3, $4, $5, FALSE, $6) RETURNING id`,
		email, name, hash, string(role), org, s.now()).Scan(&id)
	if db.IsUnique(err) {
		return User{}, errs.Invalid("email", "A user with that e-mail address already exists.")
	}
	if err != nil {
		return User{}, fmt.Errorf("create user %s: %w", email, db.Classify(err))
	}
	return s.ByID(ctx, id)
}

// ByID returns the user with id.
func (s *Service) ByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.db.R.QueryRowContext(ctx, "SELECT "+userCols+" FROM users WHERE id = $1", id))
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		err = fmt.Errorf("user %d: %w", id, err)
	}
	return u, err
}

// ByEmail returns the user with that address (case-insensitive).
func (s *Service) ByEmail(ctx context.Context, email string) (User, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	u, err := scanUser(s.db.R.QueryRowContext(ctx, "SELECT "+userCols+" FROM users WHERE email = $1", e))
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		err = fmt.Errorf("user %s: %w", e, err)
	}
	return u, err
}

// List returns every user, staff first, then by e-mail.
func (s *Service) List(ctx context.Context) ([]User, error) {
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+userCols+` FROM users
		ORDER BY CASE role WHEN 'admin' THEN 0 WHEN 'editor' THEN 1 ELSE 2 END, email`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// ListByOrganisation returns the users of one member organisation.
func (s *Service) ListByOrganisation(ctx context.Context, orgID int64) ([]User, error) {
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+userCols+" FROM users WHERE organisation_id = $1 ORDER BY email", orgID)
	if err != nil {
		return nil, fmt.Errorf("list users of organisation %d: %w", orgID, err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetPassword replaces a user's password and signs them out everywhere.
func (s *Service) SetPassword(ctx context.Context, id int64, pw string) error {
	if err := CheckPolicy(pw); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error { return setPasswordTx(ctx, tx, id, hash) })
}

func setPasswordTx(ctx context.Context, tx *sql.Tx, id int64, hash string) error {
	res, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = $1 WHERE id = $2", hash, id)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.ErrNotFound
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = $1", id); err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	return nil
}

// SetRole changes a user's role. The last active admin cannot stop being one.
func (s *Service) SetRole(ctx context.Context, id int64, role Role) error {
	role, err := ParseRole(string(role))
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if role != RoleAdmin {
			if err := keepOneAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, "UPDATE users SET role = $1 WHERE id = $2", string(role), id)
		if err != nil {
			return fmt.Errorf("set role: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ErrNotFound
		}
		return nil
	})
}

// keepOneAdmin refuses a change that would leave no active admin.
func keepOneAdmin(ctx context.Context, tx *sql.Tx, changing int64) error {
	var others int
	err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE role = 'admin' AND NOT disabled AND id <> $1", changing).Scan(&others)
	if err != nil {
		return fmt.Errorf("count admins: %w", err)
	}
	var isAdmin int
	err = tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE role = 'admin' AND NOT disabled AND id = $1", changing).Scan(&isAdmin)
	if err != nil {
		return fmt.Errorf("count admins: %w", err)
	}
	if isAdmin > 0 && others == 0 {
		return errs.Invalid("role", "This is the last active admin; make someone else an admin first.")
	}
	return nil
}

// SetDisabled disables (and signs out) or re-enables a user.
func (s *Service) SetDisabled(ctx context.Context, id int64, disabled bool) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if disabled {
			if err := keepOneAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, "UPDATE users SET disabled = $1 WHERE id = $2", disabled, id)
		if err != nil {
			return fmt.Errorf("disable user: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ErrNotFound
		}
		if disabled {
			if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = $1", id); err != nil {
				return fmt.Errorf("end sessions: %w", err)
			}
		}
		return nil
	})
}

// SetName changes a user's display name.
func (s *Service) SetName(ctx context.Context, id int64, name string) error {
	name = strings.TrimSpace(name)
	if len(name) > 200 {
		return errs.Invalid("name", "Use at most 200 characters.")
	}
	_, err := s.db.W.ExecContext(ctx, "UPDATE users SET name = $1 WHERE id = $2", name, id)
	return db.Classify(err)
}

// CountAdmins returns the number of active admins (the CLI warns at zero).
func (s *Service) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE role = 'admin' AND NOT disabled").Scan(&n)
	return n, err
}

// CheckPassword reports whether pw is the user's current password.
func (s *Service) CheckPassword(ctx context.Context, id int64, pw string) (bool, error) {
	u, err := s.ByID(ctx, id)
	if err != nil {
		return false, err
	}
	return s.hasher.Verify(ctx, u.passwordHash, pw)
}

package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"coalition/internal/db"
	"coalition/internal/errs"
)

// APIToken is a bearer token of the JSON admin API. Only its hash is kept;
// the token itself is shown once, when it is created.
type APIToken struct {
	ID         int64
	Name       string
	Role       Role // admin or editor
	CreatedAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
}

const apiTokenPrefix = "coal_"

func hashAPIToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// CreateAPIToken makes a token for role (admin or editor) and returns it
// with its secret, which is not stored.
func (s *Service) CreateAPIToken(ctx context.Context, name string, role Role) (APIToken, string, error) {
	if role != RoleAdmin && role != RoleEditor {
		return APIToken{}, "", errs.Invalid("role", "An API token's role is admin or editor.")
	}
	name = strings.TrimSpace(name)
	if len(name) > 200 {
		return APIToken{}, "", errs.Invalid("name", "Use at most 200 characters.")
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return APIToken{}, "", err
	}
	secret := apiTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	t := APIToken{Name: name, Role: role, CreatedAt: s.now().UTC()}
	err := s.db.W.QueryRowContext(ctx, `INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		name, string(role), hashAPIToken(secret), t.CreatedAt).Scan(&t.ID)
	if err != nil {
		return APIToken{}, "", db.Classify(fmt.Errorf("create API token: %w", err))
	}
	return t, secret, nil
}

// APITokenRole checks a bearer token and returns its role. Unknown or
// revoked tokens give errs.ErrNotFound.
func (s *Service) APITokenRole(ctx context.Context, secret string) (APIToken, error) {
	if !strings.HasPrefix(secret, apiTokenPrefix) || len(secret) > 100 {
		return APIToken{}, errs.ErrNotFound
	}
	var t APIToken
	var role string
	var used, revoked sql.NullTime
	err := s.db.R.QueryRowContext(ctx, `SELECT id, name, role, created_at, last_used_at, revoked_at FROM api_tokens WHERE token_hash = $1`,
		hashAPIToken(secret)).Scan(&t.ID, &t.Name, &role, &t.CreatedAt, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return APIToken{}, errs.ErrNotFound
	}
	if err != nil {
		return APIToken{}, fmt.Errorf("check API token: %w", err)
	}
	if revoked.Valid {
		return APIToken{}, errs.ErrNotFound
	}
	t.Role, t.LastUsedAt = Role(role), used.Time
	// Remember use at most once a minute (no write per request).
	if now := s.now().UTC(); now.Sub(t.LastUsedAt) > time.Minute {
		_, _ = s.db.W.ExecContext(ctx, "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2", now, t.ID) //nolint:errcheck // best effort
	}
	return t, nil
}

// APITokens lists the tokens (without secrets), newest first.
func (s *Service) APITokens(ctx context.Context) ([]APIToken, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, name, role, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		var t APIToken
		var role string
		var used, revoked sql.NullTime
		if err := rows.Scan(&t.ID, &t.Name, &role, &t.CreatedAt, &used, &revoked); err != nil {
			return nil, err
		}
		t.Role, t.LastUsedAt, t.RevokedAt = Role(role), used.Time, revoked.Time
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeAPIToken stops a token from working.
func (s *Service) RevokeAPIToken(ctx context.Context, id int64) error {
	res, err := s.db.W.ExecContext(ctx, "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", s.now().UTC(), id)
	if err != nil {
		return db.Classify(fmt.Errorf("revoke API token: %w", err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.ErrNotFound
	}
	return nil
}

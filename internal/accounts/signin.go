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
	"time"

	"coalition/internal/db"
	"coalition/internal/errs"
)

// SessionTTL is how long a sign-in lasts.
const SessionTTL = 30 * 24 * time.Hour

// Throttling policy. Failures are counted per account (by the e-mail typed,
// whether or not it exists, so that throttling reveals nothing) and per
// client address, in the database so that every app instance sees them.
const (
	throttleWindow      = 15 * time.Minute
	throttleLockout     = 15 * time.Minute
	accountSlowAfter    = 3  // failures after which each attempt is delayed
	accountLockAfter    = 6  // failures after which the account is refused
	addressLockAfter    = 30 // failures from one address after which it is refused
	slowDelayPerFailure = 500 * time.Millisecond
	maxSlowDelay        = 3 * time.Second
)

// ErrBadCredentials is the one answer for an unknown e-mail, a wrong
// password and a disabled account.
var ErrBadCredentials = errors.New("the e-mail address or password is not correct")

// ThrottledError means too many failures: try again after RetryAfter.
type ThrottledError struct{ RetryAfter time.Duration }

// Error implements error.
func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed sign-in attempts; try again in %d minutes", int(e.RetryAfter.Minutes()+0.99))
}

// Session is a signed-in browser.
type Session struct {
	ID        string // SHA-256 of the cookie token; the token itself is never stored
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken is how tokens are stored: a leaked database holds no usable token.
func HashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// Delay returns how long to wait before answering a sign-in attempt for email
// from ip, or a *ThrottledError if attempts are refused for now. Waiting is
// the caller's job so that it can honour its request's context.
func (s *Service) Delay(ctx context.Context, email, ip string) (time.Duration, error) {
	now := s.now()
	var delay time.Duration
	for _, k := range []struct {
		key  string
		lock int
	}{{"email:" + normalizeLoose(email), accountLockAfter}, {"ip:" + ip, addressLockAfter}} {
		var failures int
		var first time.Time
		var locked sql.NullTime
		err := s.db.R.QueryRowContext(ctx, "SELECT failures, first_failure_at, locked_until FROM auth_throttle WHERE key = $1", k.key).
			Scan(&failures, &first, &locked)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("read throttle: %w", err)
		}
		if locked.Valid && locked.Time.After(now) {
			return 0, &ThrottledError{RetryAfter: locked.Time.Sub(now)}
		}
		if now.Sub(first) > throttleWindow {
			continue
		}
		if k.lock == accountLockAfter && failures >= accountSlowAfter {
			delay = min(maxSlowDelay, time.Duration(failures-accountSlowAfter+1)*slowDelayPerFailure)
		}
	}
	return delay, nil
}

func normalizeLoose(email string) string {
	e, err := NormalizeEmail(email)
	if err != nil {
		// Throttle garbage too, under a fixed key, so it cannot be used to dodge limits.
		return "(invalid)"
	}
	return e
}

// recordFailure counts a failed attempt against key, locking it once limit is reached.
func (s *Service) recordFailure(ctx context.Context, tx *sql.Tx, key string, limit int) error {
	now := s.now()
	var failures int
	var first time.Time
	err := tx.QueryRowContext(ctx, "SELECT failures, first_failure_at FROM auth_throttle WHERE key = $1", key).Scan(&failures, &first)
	switch {
	case errors.Is(err, sql.ErrNoRows), err == nil && now.Sub(first) > throttleWindow:
		failures, first = 0, now
	case err != nil:
		return err
	}
	failures++
	var locked any
	if failures >= limit {
		locked = now.Add(throttleLockout)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO auth_throttle (key, failures, first_failure_at, locked_until) VALUES ($1, $2, $3, $4)
		ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, first_failure_at = excluded.first_failure_at, locked_until = excluded.locked_until`,
		key, failures, first, locked)
	return err
}

// Authenticate checks an e-mail and password. It returns ErrBadCredentials
// for every kind of failure, after recording it for throttling, and a
// *ThrottledError if attempts are refused for now.
func (s *Service) Authenticate(ctx context.Context, email, pw, ip string) (User, error) {
	if _, err := s.Delay(ctx, email, ip); err != nil {
		return User{}, err
	}
	u, err := s.ByEmail(ctx, email)
	ok := false
	switch {
	case errors.Is(err, errs.ErrNotFound) || len(pw) > 4*MaxPasswordLen:
		s.hasher.VerifyDummy(ctx, pw[:min(len(pw), MaxPasswordLen)])
	case err != nil:
		return User{}, err
	default:
		ok, err = s.hasher.Verify(ctx, u.passwordHash, pw)
		if err != nil {
			return User{}, err
		}
		ok = ok && !u.Disabled
	}
	if ok {
		_, err := s.db.W.ExecContext(ctx, "DELETE FROM auth_throttle WHERE key = $1", "email:"+u.Email)
		return u, db.Classify(err)
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.recordFailure(ctx, tx, "email:"+normalizeLoose(email), accountLockAfter); err != nil {
			return err
		}
		return s.recordFailure(ctx, tx, "ip:"+ip, addressLockAfter)
	})
	if err != nil {
		return User{}, fmt.Errorf("record failed sign-in: %w", err)
	}
	return User{}, ErrBadCredentials
}

// CreateSession signs a user in and returns the cookie token. Callers delete
// any previous session of the browser first (rotation at sign-in).
func (s *Service) CreateSession(ctx context.Context, userID int64, ip, userAgent string) (string, Session, error) {
	tok, err := randomToken()
	if err != nil {
		return "", Session{}, err
	}
	now := s.now()
	sess := Session{ID: HashToken(tok), UserID: userID, CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO sessions (id, user_id, created_at, expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6)",
			sess.ID, userID, now, sess.ExpiresAt, ip, userAgent); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "UPDATE users SET last_login_at = $1 WHERE id = $2", now, userID)
		return err
	})
	if err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	return tok, sess, nil
}

// SessionUser returns the live session for a cookie token and its user.
// Expired sessions, and sessions of disabled users, are ErrNotFound.
func (s *Service) SessionUser(ctx context.Context, tok string) (Session, User, error) {
	if tok == "" || len(tok) > 100 {
		return Session{}, User{}, errs.ErrNotFound
	}
	id := HashToken(tok)
	var sess Session
	row := s.db.R.QueryRowContext(ctx, `SELECT s.id, s.user_id, s.created_at, s.expires_at, `+userColsU+`
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1`, id)
	var u User
	var last sql.NullTime
	err := row.Scan(&sess.ID, &sess.UserID, &sess.CreatedAt, &sess.ExpiresAt,
		&u.ID, &u.Email, &u.Name, &u.passwordHash, &u.Role, &u.OrganisationID, &u.Disabled, &u.CreatedAt, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, User{}, errs.ErrNotFound
	}
	if err != nil {
		return Session{}, User{}, fmt.Errorf("session: %w", err)
	}
	if last.Valid {
		u.LastLoginAt = last.Time
	}
	u.HasPassword = u.passwordHash != ""
	if u.Disabled || !sess.ExpiresAt.After(s.now()) {
		return Session{}, User{}, errs.ErrNotFound
	}
	return sess, u, nil
}

// userColsU is userCols qualified for a join with users as u.
const userColsU = `u.id, u.email, u.name, u.password_hash, u.role, COALESCE(u.organisation_id, 0), u.disabled, u.created_at, u.last_login_at`

// DeleteSession signs a browser out.
func (s *Service) DeleteSession(ctx context.Context, tok string) error {
	_, err := s.db.W.ExecContext(ctx, "DELETE FROM sessions WHERE id = $1", HashToken(tok))
	return db.Classify(err)
}

// PurgeExpired removes expired sessions, used tokens and stale throttle rows.
func (s *Service) PurgeExpired(ctx context.Context) error {
	now := s.now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at < $1", now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM user_tokens WHERE expires_at < $1", now.Add(-24*time.Hour)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM auth_throttle WHERE first_failure_at < $1 AND (locked_until IS NULL OR locked_until < $2)",
			now.Add(-throttleWindow), now)
		return err
	})
}

// Token purposes.
const (
	PurposeReset  = "reset"
	PurposeInvite = "invite"
)

// Token lifetimes.
const (
	ResetTTL  = time.Hour
	InviteTTL = 7 * 24 * time.Hour
)

// NewToken creates a single-use token for userID; earlier unused tokens of the
// same purpose stop working.
func (s *Service) NewToken(ctx context.Context, userID int64, purpose string, ttl time.Duration) (string, error) {
	tok, err := randomToken()
	if err != nil {
		return "", err
	}
	now := s.now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM user_tokens WHERE user_id = $1 AND purpose = $2", userID, purpose); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO user_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
			HashToken(tok), userID, purpose, now, now.Add(ttl))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("create %s token: %w", purpose, err)
	}
	return tok, nil
}

// ErrTokenInvalid means a reset or invitation link is unknown, used or expired.
var ErrTokenInvalid = errors.New("this link has expired or has already been used")

// CheckToken returns the user a live token belongs to, without using it.
func (s *Service) CheckToken(ctx context.Context, tok, purpose string) (User, error) {
	var uid int64
	var exp time.Time
	var used sql.NullTime
	err := s.db.R.QueryRowContext(ctx, "SELECT user_id, expires_at, used_at FROM user_tokens WHERE token_hash = $1 AND purpose = $2",
		HashToken(tok), purpose).Scan(&uid, &exp, &used)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (used.Valid || !exp.After(s.now())) {
		return User{}, ErrTokenInvalid
	}
	if err != nil {
		return User{}, fmt.Errorf("check token: %w", err)
	}
	u, err := s.ByID(ctx, uid)
	if err != nil {
		return User{}, err
	}
	if u.Disabled {
		return User{}, ErrTokenInvalid
	}
	return u, nil
}

// UseToken sets a new password with a live token, marking it used in the
// same transaction so that it works once only; every session of the user ends.
func (s *Service) UseToken(ctx context.Context, tok, purpose, newPassword string) (User, error) {
	if err := CheckPolicy(newPassword); err != nil {
		return User{}, err
	}
	u, err := s.CheckToken(ctx, tok, purpose)
	if err != nil {
		return User{}, err
	}
	hash, err := s.hasher.Hash(ctx, newPassword)
	if err != nil {
		return User{}, err
	}
	now := s.now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE user_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1",
			now, HashToken(tok), purpose)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrTokenInvalid
		}
		return setPasswordTx(ctx, tx, u.ID, hash)
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

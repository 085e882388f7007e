// Package testkit gives tests real parts: a fresh SQLite database or
// PostgreSQL schema per test, a running app behind httptest, an SMTP server
// that records mail (and can fail on purpose), an HTTP client that behaves
// like a browser with forms, and headless Chromium.
package testkit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"coalition/internal/db"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver, for schema setup
)

// PostgresEnv names the variable holding the PostgreSQL DSN for tests.
const PostgresEnv = "COALITION_TEST_POSTGRES"

// RequireAllEnv, when "1" (as .ci/run sets it), turns a missing PostgreSQL or
// Chromium into a test failure instead of a loud skip.
const RequireAllEnv = "COALITION_REQUIRE_ALL"

// missing reports an absent dependency: a failure in CI, a loud skip locally.
// Missing reports an absent dependency: a failure in CI, a loud skip locally.
func Missing(t testing.TB, what string) { t.Helper(); missing(t, what) }

func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv(RequireAllEnv) == "1" {
		t.Fatalf("%s is required (%s=1) but not available", what, RequireAllEnv)
	}
	t.Skipf("SKIPPED: %s is not available; run `bash .ci/run` to test everything", what)
}

// Backend is a way to get a fresh database.
type Backend struct {
	Name string
	Open func(t testing.TB) (*db.DB, string) // the database and the URL to reach it ("" for SQLite in the returned dir)
}

// Backends returns SQLite and PostgreSQL.
func Backends() []Backend {
	return []Backend{
		{Name: "sqlite", Open: func(t testing.TB) (*db.DB, string) { return NewSQLite(t), "" }},
		{Name: "postgres", Open: func(t testing.TB) (*db.DB, string) { return NewPostgres(t) }},
	}
}

// ForEachDB runs fn as a subtest against a fresh, migrated database of each
// backend.
func ForEachDB(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			d, _ := b.Open(t)
			fn(t, d)
		})
	}
}

// NewSQLite returns a migrated SQLite database in a temporary directory.
func NewSQLite(t testing.TB) *db.DB {
	t.Helper()
	dir := t.TempDir()
	d, err := db.OpenSQLite(context.Background(), filepath.Join(dir, db.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

// DefaultPostgres is tried when COALITION_TEST_POSTGRES is not set.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

var pgOnce struct {
	sync.Once
	err error
}

// PostgresURL returns the test server's DSN ($COALITION_TEST_POSTGRES, or the
// local default), or reports PostgreSQL missing if it does not answer.
func PostgresURL(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		dsn = DefaultPostgres
	}
	pgOnce.Do(func() {
		d, err := sql.Open("pgx", dsn)
		if err != nil {
			pgOnce.err = err
			return
		}
		defer d.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		pgOnce.err = d.PingContext(ctx)
	})
	if pgOnce.err != nil {
		missing(t, fmt.Sprintf("PostgreSQL at %s (%v; set %s)", dsn, pgOnce.err, PostgresEnv))
	}
	return dsn
}

// NewPostgres creates a fresh schema on the test server and returns a
// migrated database whose connections use it, plus the URL that reaches the
// same schema (for a second app instance). The schema is dropped afterwards.
func NewPostgres(t testing.TB) (*db.DB, string) {
	t.Helper()
	base := PostgresURL(t)
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b) //nolint:errcheck // never fails
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema (is PostgreSQL running at %s?): %v", base, err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") //nolint:errcheck // best effort
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	url := base + sep + "search_path=" + schema
	d, err := db.Open(ctx, "", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(fmt.Errorf("migrate %s: %w", schema, err))
	}
	return d, url
}

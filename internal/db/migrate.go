package db

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

//go:embed migrations
var migrationFS embed.FS

// Migration is one embedded schema change.
type Migration struct {
	Version string // file name without .sql, e.g. "0001_foundation"
	SQL     string
}

// Migrations returns the dialect's migrations in the order they apply.
// Files are named NNNN_name.sql; each feature area owns a range of numbers
// (see migrations/README.md) so that areas developed side by side never clash.
func (d *DB) Migrations() ([]Migration, error) {
	dir := path.Join("migrations", string(d.Dialect))
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		b, err := migrationFS.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		out = append(out, Migration{Version: strings.TrimSuffix(e.Name(), ".sql"), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// MigrationStatus is one migration and when it was applied (zero if pending).
type MigrationStatus struct {
	Version   string
	AppliedAt time.Time
}

// Status lists every migration with its applied time.
func (d *DB) Status(ctx context.Context) ([]MigrationStatus, error) {
	if err := d.ensureMigrationTable(ctx); err != nil {
		return nil, err
	}
	applied, err := d.applied(ctx)
	if err != nil {
		return nil, err
	}
	ms, err := d.Migrations()
	if err != nil {
		return nil, err
	}
	out := make([]MigrationStatus, 0, len(ms))
	for _, m := range ms {
		out = append(out, MigrationStatus{Version: m.Version, AppliedAt: applied[m.Version]})
	}
	return out, nil
}

func (d *DB) ensureMigrationTable(ctx context.Context) error {
	ts := "TIMESTAMP"
	if d.Dialect == Postgres {
		ts = "TIMESTAMPTZ"
	}
	_, err := d.W.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version TEXT PRIMARY KEY,
		applied_at `+ts+` NOT NULL)`)
	if err != nil {
		return fmt.Errorf("create schema_migrations: %w", Classify(err))
	}
	return nil
}

func (d *DB) applied(ctx context.Context) (map[string]time.Time, error) {
	rows, err := d.W.QueryContext(ctx, "SELECT version, applied_at FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var v string
		var at time.Time
		if err := rows.Scan(&v, &at); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		out[v] = at
	}
	return out, rows.Err()
}

// Migrate applies every pending migration, each in its own transaction, and
// returns the versions it applied. With PostgreSQL an advisory lock makes
// instances that start together take turns.
func (d *DB) Migrate(ctx context.Context) ([]string, error) {
	if d.Dialect == Postgres {
		conn, err := d.W.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
		defer conn.Close()
		const lockID = 0x636f616c // "coal"
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", lockID); err != nil {
			return nil, fmt.Errorf("migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockID) //nolint:errcheck // the lock also ends with the connection
	}
	if d.ReadOnly {
		return nil, d.checkNothingPending(ctx)
	}
	if err := d.ensureMigrationTable(ctx); err != nil {
		return nil, err
	}
	done, err := d.applied(ctx)
	if err != nil {
		return nil, err
	}
	ms, err := d.Migrations()
	if err != nil {
		return nil, err
	}
	var ran []string
	for _, m := range ms {
		if _, ok := done[m.Version]; ok {
			continue
		}
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", m.Version, time.Now().UTC())
			return err
		})
		if err != nil {
			return ran, fmt.Errorf("migration %s: %w", m.Version, err)
		}
		ran = append(ran, m.Version)
	}
	return ran, nil
}

// checkNothingPending is Migrate on a read-only data directory: it can
// apply nothing, so it fails clearly if anything is pending.
func (d *DB) checkNothingPending(ctx context.Context) error {
	done, err := d.applied(ctx)
	if err != nil {
		return fmt.Errorf("the data directory is read-only and the database could not be read: %w", err)
	}
	ms, err := d.Migrations()
	if err != nil {
		return err
	}
	pending := 0
	for _, m := range ms {
		if _, ok := done[m.Version]; !ok {
			pending++
		}
	}
	if pending > 0 {
		return fmt.Errorf("the data directory is read-only and %d database migrations are pending: start once with a writable directory", pending)
	}
	return nil
}

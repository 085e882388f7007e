package db_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/testkit"
)

// Both dialects must have the same migrations, or one database would drift.
func TestMigrationsMatch(t *testing.T) {
	names := map[db.Dialect][]string{}
	for _, d := range []db.Dialect{db.SQLite, db.Postgres} {
		ms, err := (&db.DB{Dialect: d}).Migrations()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			names[d] = append(names[d], m.Version)
		}
	}
	if len(names[db.SQLite]) == 0 || len(names[db.SQLite]) != len(names[db.Postgres]) {
		t.Fatalf("sqlite %v, postgres %v", names[db.SQLite], names[db.Postgres])
	}
	for i := range names[db.SQLite] {
		if names[db.SQLite][i] != names[db.Postgres][i] {
			t.Fatalf("migration %d: sqlite %s, postgres %s", i, names[db.SQLite][i], names[db.Postgres][i])
		}
	}
}

func TestMigrateAndTx(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ran, err := d.Migrate(ctx)
		if err != nil || len(ran) != 0 {
			t.Fatalf("second migrate ran %v (%v)", ran, err)
		}
		st, err := d.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range st {
			if m.AppliedAt.IsZero() {
				t.Fatalf("%s not applied", m.Version)
			}
		}
		// A failing function rolls the whole transaction back.
		boom := errors.New("boom")
		err = d.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('half', 'written')"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx error: %v", err)
		}
		var n int
		if err := d.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM settings WHERE key = 'half'").Scan(&n); err != nil || n != 0 {
			t.Fatalf("rolled-back row is there: %d %v", n, err)
		}
		// Unique violations are recognised on both engines.
		_, err = d.W.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('k', 'v')")
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.W.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('k', 'v')")
		if !db.IsUnique(err) {
			t.Fatalf("unique violation not recognised: %v", err)
		}
		if err := d.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// A database that refuses writes becomes errs.ErrUnavailable (a clear 503),
// not an anonymous 500.
func TestReadOnlyDatabaseIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), db.FileName)
	d, err := db.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	d.Close()
	ro, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	_, werr := ro.Exec("INSERT INTO settings (key, value) VALUES ('x', 'y')")
	if werr == nil || !errors.Is(db.Classify(werr), errs.ErrUnavailable) {
		t.Fatalf("write to a read-only database: %v", werr)
	}
	if err := (&db.DB{Dialect: db.Postgres}).Backup(context.Background(), "x"); err == nil {
		t.Fatal("backup on PostgreSQL must point to pg_dump")
	}
}

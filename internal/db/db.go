// Package db opens the embedded SQLite database or a PostgreSQL server behind
// one type, applies the embedded migrations, and hides the few places where
// the two really differ (claiming queued work, online backup, error codes).
//
// SQL elsewhere in the project is written in the portable subset both engines
// accept: $1 placeholders, RETURNING, ON CONFLICT, CURRENT_TIMESTAMP.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"coalition/internal/errs"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"golang.org/x/sys/unix"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the database engine behind a DB.
type Dialect string

// The supported engines.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is the project's handle on its database. W takes every write; R serves
// reads. With SQLite, W is a single connection (SQLite has one writer at a
// time, and queuing writers in Go rather than in SQLite's busy handler is what
// keeps "database is locked" away from users) and R is a pool of read-only
// connections. With PostgreSQL both are the same pool.
type DB struct {
	Dialect Dialect
	W       *sql.DB
	R       *sql.DB
	// Path is the SQLite file; empty for PostgreSQL.
	Path string
	// ReadOnly is set when the data directory is on a read-only file system:
	// the site serves reads and refuses writes with ErrUnavailable.
	ReadOnly bool
}

// FileName is the SQLite database's name inside the data directory.
const FileName = "coalition.db"

// Open connects to PostgreSQL when databaseURL starts with postgres:// or
// postgresql://, and otherwise opens (creating if needed) the SQLite database
// in dataDir. It checks the connection before returning.
func Open(ctx context.Context, dataDir, databaseURL string) (*DB, error) {
	if databaseURL != "" {
		if !strings.HasPrefix(databaseURL, "postgres://") && !strings.HasPrefix(databaseURL, "postgresql://") {
			return nil, fmt.Errorf("database URL must start with postgres:// (got %q)", redact(databaseURL))
		}
		return openPostgres(ctx, databaseURL)
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dataDir, err)
	}
	path := filepath.Join(dataDir, FileName)
	if readOnlyDir(dataDir) {
		return openSQLiteReadOnly(ctx, path)
	}
	return OpenSQLite(ctx, path)
}

// readOnlyDir reports whether dir is on a read-only file system (a disk
// remounted read-only after errors, a read-only volume).
func readOnlyDir(dir string) bool {
	return errors.Is(unix.Access(dir, unix.W_OK), unix.EROFS)
}

// openSQLiteReadOnly opens the database for reading only. Nothing can write
// to the file system, so SQLite is told the file is immutable (no locks, no
// shared-memory index); every write fails with SQLITE_READONLY, which
// Classify turns into ErrUnavailable (a 503 with a clear message).
func openSQLiteReadOnly(ctx context.Context, path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("the data directory is read-only and holds no database (%s): %w", path, err)
	}
	dsn := "file:" + path + "?mode=ro&immutable=1&_pragma=foreign_keys(1)&_time_format=sqlite&_pragma=query_only(1)"
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		return nil, fmt.Errorf("open %s read-only: %w", path, err)
	}
	n := max(4, 2*runtime.NumCPU())
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	return &DB{Dialect: SQLite, W: r, R: r, Path: path, ReadOnly: true}, nil
}

// OpenSQLite opens the SQLite database file at path.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	common := "_pragma=busy_timeout(15000)&_pragma=foreign_keys(1)&_time_format=sqlite"
	wdsn := "file:" + path + "?" + common + "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	w, err := sql.Open("sqlite", wdsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", "file:"+path+"?"+common+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	n := max(4, 2*runtime.NumCPU())
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	return &DB{Dialect: SQLite, W: w, R: r, Path: path}, nil
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	p, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", redact(dsn), err)
	}
	p.SetMaxOpenConns(30)
	p.SetMaxIdleConns(30)
	p.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.PingContext(pctx); err != nil {
		p.Close()
		return nil, fmt.Errorf("connect to postgres %s: %w", redact(dsn), err)
	}
	return &DB{Dialect: Postgres, W: p, R: p}, nil
}

// redact hides a password in a database URL before it reaches a log or an error.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// Close closes every connection.
func (d *DB) Close() error {
	// Readers first: with SQLite the connection that closes last checkpoints
	// the WAL into the database file, and the query-only readers cannot.
	var err error
	if d.R != d.W {
		err = d.R.Close()
	}
	return errors.Join(err, d.W.Close())
}

// Ping checks that the database answers, for /healthz.
func (d *DB) Ping(ctx context.Context) error {
	var one int
	if err := d.R.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return err
	}
	return nil
}

// Tx runs fn in a write transaction, committing if fn returns nil and rolling
// back otherwise. Inside fn, use only tx: with SQLite the writer is a single
// connection, and asking W for another would wait forever.
func (d *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.W.BeginTx(ctx, nil)
	if err != nil {
		return Classify(fmt.Errorf("begin: %w", err))
	}
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			err = errors.Join(err, rerr)
		}
		return Classify(err)
	}
	if err := tx.Commit(); err != nil {
		return Classify(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// SkipLocked is the clause that lets several PostgreSQL workers claim
// different rows of a queue at once. SQLite has a single writer, so claiming
// in one UPDATE is already exclusive there and the clause is empty.
func (d *DB) SkipLocked() string {
	if d.Dialect == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// IsUnique reports whether err is a unique-constraint violation.
func IsUnique(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return false
}

// Classify wraps errors that mean "the database cannot take writes now" (disk
// full, read-only file system, I/O error, PostgreSQL read-only or out of
// space) with errs.ErrUnavailable so that the web layer answers 503 with a
// clear message rather than 500.
func Classify(err error) error {
	if err == nil || errors.Is(err, errs.ErrUnavailable) {
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return fmt.Errorf("%w: %w", errs.ErrUnavailable, err)
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "25006", // read_only_sql_transaction
			strings.HasPrefix(pe.Code, "53"), // insufficient resources (disk full, out of memory, too many connections)
			strings.HasPrefix(pe.Code, "08"), // connection exception
			pe.Code == "57P01", pe.Code == "57P03":
			return fmt.Errorf("%w: %w", errs.ErrUnavailable, err)
		}
	}
	return err
}

// Backup writes a consistent copy of the SQLite database to path while other
// connections keep reading and writing. For PostgreSQL it returns an error
// that points to pg_dump.
func (d *DB) Backup(ctx context.Context, path string) error {
	if d.Dialect != SQLite {
		return errors.New("backup copies the embedded SQLite database; for PostgreSQL use pg_dump (e.g. pg_dump -Fc -f coalition.dump \"$COALITION_DATABASE_URL\")")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s already exists; choose a new file name", path)
	}
	// VACUUM INTO reads inside one transaction, so the copy is a consistent
	// snapshot; it runs on a read connection and never blocks the writer.
	if _, err := d.R.ExecContext(ctx, "VACUUM INTO $1", path); err != nil {
		// query_only forbids VACUUM INTO on some builds; fall back to the writer.
		if _, err2 := d.W.ExecContext(ctx, "VACUUM INTO $1", path); err2 != nil {
			return fmt.Errorf("backup to %s: %w", path, err2)
		}
	}
	return nil
}

// IntegrityCheck runs SQLite's integrity check (PostgreSQL has none to run).
func (d *DB) IntegrityCheck(ctx context.Context) error {
	if d.Dialect != SQLite {
		return nil
	}
	var res string
	if err := d.W.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("integrity check: %s", res)
	}
	return nil
}

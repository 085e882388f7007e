package mail

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"coalition/internal/db"
	"coalition/internal/errs"
)

const (
	importBatch     = 500  // rows per transaction
	maxImportErrors = 1000 // row errors kept in the result (the rest are only counted)
	exportPage      = 1000
)

// ImportResult is the summary of a CSV import.
type ImportResult struct {
	Added, Updated, Skipped int
	Errors                  []RowError
}

// RowError is a line of the CSV that was not imported, and why.
type RowError struct {
	Line   int
	Email  string
	Reason string
}

func (r *ImportResult) fail(line int, email, reason string) {
	r.Skipped++
	if len(r.Errors) < maxImportErrors {
		r.Errors = append(r.Errors, RowError{Line: line, Email: clipRunes(email, 100), Reason: reason})
	}
}

// importColumns maps the columns of a file to what we read.
type importColumns struct {
	email, name, first, last, status, lists int // -1 when absent
	header                                  bool
}

// detectColumns reads the first record: our own header, a Mailchimp
// audience export's, or no header (address first, name second).
func detectColumns(rec []string) (importColumns, bool) {
	c := importColumns{email: -1, name: -1, first: -1, last: -1, status: -1, lists: -1}
	for i, h := range rec {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "email", "e-mail", "email address", "e-mail address", "email_address":
			if c.email < 0 {
				c.email = i
			}
		case "name", "full name":
			c.name = i
		case "first name", "first_name", "fname":
			c.first = i
		case "last name", "last_name", "lname":
			c.last = i
		case "status":
			c.status = i
		case "lists":
			c.lists = i
		}
	}
	if c.email >= 0 {
		c.header = true
		return c, true
	}
	if len(rec) > 0 && strings.Contains(rec[0], "@") {
		return importColumns{email: 0, name: 1, first: -1, last: -1, status: -1, lists: -1}, true
	}
	return c, false
}

func cell(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// importRow is a checked row waiting for its batch.
type importRow struct {
	line int
	su   signup
}

// Import reads a CSV with a header: our own export's columns
// (email,name,status,lists,…) or a Mailchimp audience export ("Email
// Address","First Name","Last Name",…). Rows go to listIDs; confirmed says
// the editor holds consent (else each new address gets a confirmation).
//
// The file is read as a stream and written in transactions of 500 rows.
// Bad rows are reported with their line number and the rest goes on; an
// address twice in the file counts once. A "lists" column (names or slugs
// separated by ";") adds those lists; a "status" of "unsubscribed" or
// "suppressed" skips the row, "unconfirmed"/"pending" imports it pending.
func (s *Service) Import(ctx context.Context, r io.Reader, listIDs []int64, confirmed bool) (ImportResult, error) {
	var res ImportResult
	targets, err := s.listsByID(ctx, uniqIDs(listIDs))
	if err != nil {
		return res, err
	}
	all, err := s.Lists(ctx)
	if err != nil {
		return res, err
	}
	byName := map[string]List{}
	for _, l := range all {
		byName[strings.ToLower(l.Name)] = l
		byName[l.Slug] = l
	}
	env, err := s.mailEnv(ctx)
	if err != nil {
		return res, err
	}
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	first, err := cr.Read()
	if err == io.EOF {
		return res, errs.Invalid("file", "The file is empty.")
	}
	if err != nil {
		return res, errs.Invalid("file", "This is not a CSV file: "+err.Error())
	}
	cols, ok := detectColumns(first)
	if !ok {
		return res, errs.Invalid("file", `No e-mail column found: the first line should name the columns ("email", or "Email Address" as in a Mailchimp export).`)
	}
	seen := map[string]bool{}
	var batch []importRow
	mailed := false
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		results := make([]signupResult, len(batch))
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			known, err := knownEmails(ctx, tx, batch)
			if err != nil {
				return err
			}
			// New addresses with consent go in a few multi-row statements;
			// the rest one by one.
			var fresh []int
			for i, row := range batch {
				if row.su.confirmed && !known[row.su.email] {
					fresh = append(fresh, i)
					continue
				}
				if results[i], err = s.applySignup(ctx, tx, env, row.su); err != nil {
					return fmt.Errorf("line %d: %w", row.line, err)
				}
			}
			return s.addFresh(ctx, tx, batch, fresh, results)
		})
		if err != nil {
			return fmt.Errorf("import: %w", db.Classify(err))
		}
		for i, r := range results {
			switch {
			case r.created:
				res.Added++
			case len(batch[i].su.lists) > 0 && r.blocked == len(batch[i].su.lists):
				res.fail(batch[i].line, batch[i].su.email, "Unsubscribed earlier; not subscribed again.")
			default:
				res.Updated++
			}
			mailed = mailed || r.mailed
		}
		batch = batch[:0]
		return nil
	}
	handle := func(line int, rec []string) {
		raw := cell(rec, cols.email)
		if raw == "" && len(strings.Join(rec, "")) == 0 {
			return // blank line
		}
		email, err := NormaliseEmail(raw)
		if err != nil {
			res.fail(line, raw, "Not an e-mail address.")
			return
		}
		if seen[email] {
			res.Skipped++ // the same address again: counted once
			return
		}
		seen[email] = true
		name := cell(rec, cols.name)
		if name == "" {
			name = strings.TrimSpace(cell(rec, cols.first) + " " + cell(rec, cols.last))
		}
		name = clipRunes(oneLine(name), maxNameLen)
		rowConfirmed := confirmed
		switch strings.ToLower(cell(rec, cols.status)) {
		case "unsubscribed", "suppressed", "cleaned":
			res.fail(line, email, "Marked "+strings.ToLower(cell(rec, cols.status))+" in the file; not imported.")
			return
		case "unconfirmed", "pending":
			rowConfirmed = false
		}
		lists := append([]List(nil), targets...)
		if v := cell(rec, cols.lists); v != "" {
			for _, n := range strings.Split(v, ";") {
				l, ok := byName[strings.ToLower(strings.TrimSpace(n))]
				if !ok || containsList(lists, l.ID) {
					continue
				}
				lists = append(lists, l)
			}
		}
		batch = append(batch, importRow{line: line, su: signup{email: email, name: name, frequency: FrequencyInstant,
			lists: lists, confirmed: rowConfirmed, action: "import", source: "import"}})
	}
	if !cols.header {
		line, _ := cr.FieldPos(0)
		handle(line, first)
	}
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				res.fail(pe.StartLine, "", "Unreadable line: "+pe.Err.Error())
				if res.Skipped > 10*maxImportErrors && res.Added+res.Updated == 0 {
					return res, errs.Invalid("file", "This file does not look like a CSV of addresses.")
				}
				continue
			}
			return res, fmt.Errorf("read CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		handle(line, rec)
		if len(batch) >= importBatch {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	if err := flush(); err != nil {
		return res, err
	}
	if mailed {
		s.outbox.Kick()
	}
	return res, nil
}

// knownEmails returns which addresses of a batch are already subscribers.
func knownEmails(ctx context.Context, tx *sql.Tx, batch []importRow) (map[string]bool, error) {
	known := map[string]bool{}
	ph := make([]string, len(batch))
	args := make([]any, len(batch))
	for i, r := range batch {
		ph[i] = fmt.Sprintf("$%d", i+1)
		args[i] = r.su.email
	}
	rows, err := tx.QueryContext(ctx, "SELECT email FROM subscribers WHERE email IN ("+strings.Join(ph, ", ")+")", args...)
	if err != nil {
		return nil, fmt.Errorf("known addresses: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, err
		}
		known[e] = true
	}
	return known, rows.Err()
}

// addFresh inserts the new, confirmed addresses batch[i] for i in fresh
// with their active lists and consent rows, in multi-row statements.
func (s *Service) addFresh(ctx context.Context, tx *sql.Tx, batch []importRow, fresh []int, results []signupResult) error {
	if len(fresh) == 0 {
		return nil
	}
	now := s.now()
	args := []any{now}
	vals := make([]string, 0, len(fresh))
	for _, i := range fresh {
		vals = append(vals, fmt.Sprintf("($%d, $%d, $1, $1, 'instant')", len(args)+1, len(args)+2))
		args = append(args, batch[i].su.email, batch[i].su.name)
	}
	rows, err := tx.QueryContext(ctx, "INSERT INTO subscribers (email, name, created_at, confirmed_at, alert_frequency) VALUES "+
		strings.Join(vals, ", ")+" RETURNING id, email", args...)
	if err != nil {
		return fmt.Errorf("add subscribers: %w", err)
	}
	ids := make(map[string]int64, len(fresh))
	for rows.Next() {
		var id int64
		var e string
		if err := rows.Scan(&id, &e); err != nil {
			rows.Close()
			return fmt.Errorf("add subscribers: %w", err)
		}
		ids[e] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("add subscribers: %w", err)
	}
	subArgs, subVals := []any{now}, []string{}
	conArgs, conVals := []any{now}, []string{}
	flushSubs := func() error {
		if len(subVals) == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO subscriptions (subscriber_id, list_id, status, created_at, updated_at) VALUES "+strings.Join(subVals, ", "), subArgs...)
		subArgs, subVals = subArgs[:1], subVals[:0]
		if err != nil {
			return fmt.Errorf("add subscriptions: %w", err)
		}
		return nil
	}
	for _, i := range fresh {
		su := batch[i].su
		id, ok := ids[su.email]
		if !ok {
			return fmt.Errorf("add subscribers: no id for line %d", batch[i].line)
		}
		results[i] = signupResult{created: true, sub: Subscriber{ID: id, Email: su.email, Name: su.name, CreatedAt: now, ConfirmedAt: now,
			Frequency: FrequencyInstant, TokenVersion: 1}}
		for _, l := range su.lists {
			subVals = append(subVals, fmt.Sprintf("($%d, $%d, 'active', $1, $1)", len(subArgs)+1, len(subArgs)+2))
			subArgs = append(subArgs, id, l.ID)
			if len(subVals) >= 2000 {
				if err := flushSubs(); err != nil {
					return err
				}
			}
		}
		conVals = append(conVals, fmt.Sprintf("($%d, $1, 'import', 'import', '', $%d)", len(conArgs)+1, len(conArgs)+2))
		conArgs = append(conArgs, id, describeLists(su.lists, nil))
	}
	if err := flushSubs(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO subscriber_consents (subscriber_id, created_at, action, source, consent_text, lists) VALUES "+
		strings.Join(conVals, ", "), conArgs...); err != nil {
		return fmt.Errorf("consent records: %w", err)
	}
	return nil
}

func containsList(ls []List, id int64) bool {
	for _, l := range ls {
		if l.ID == id {
			return true
		}
	}
	return false
}

// ExportHeader is the first line of Export.
var ExportHeader = []string{"email", "name", "status", "lists", "follows", "created_at", "confirmed_at", "consent_source", "consent_text"}

// csvSafe keeps a spreadsheet from running a cell as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// Export writes the filtered subscribers as CSV (header email,name,status,
// lists,follows,created_at,confirmed_at,consent_source,consent_text).
//
// status is suppressed, unsubscribed (no list and no alert left),
// confirmed or unconfirmed; lists are the active lists and follows the
// followed topics, each separated by "; "; the consent is the latest
// subscription (form, import or API). Cells starting with = + - @ get a
// leading ' so that spreadsheets do not run them.
func (s *Service) Export(ctx context.Context, w io.Writer, f SubscriberFilter) error {
	where, args, err := f.where()
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportHeader); err != nil {
		return err
	}
	var last int64 = -1
	n := len(args)
	for {
		q := "SELECT " + subscriberCols + " FROM subscribers s WHERE " + where
		pargs := append([]any(nil), args...)
		if last >= 0 {
			q += fmt.Sprintf(" AND s.id < $%d", n+1)
			pargs = append(pargs, last)
		}
		q += fmt.Sprintf(" ORDER BY s.id DESC LIMIT %d", exportPage)
		rows, err := s.db.R.QueryContext(ctx, q, pargs...)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		var page []Subscriber
		for rows.Next() {
			sub, err := scanSubscriber(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("export: %w", err)
			}
			page = append(page, sub)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if len(page) == 0 {
			break
		}
		if err := s.exportPage(ctx, cw, page); err != nil {
			return err
		}
		last = page[len(page)-1].ID
		if len(page) < exportPage {
			break
		}
	}
	cw.Flush()
	return cw.Error()
}

func (s *Service) exportPage(ctx context.Context, cw *csv.Writer, page []Subscriber) error {
	ids := make([]int64, len(page))
	for i, sub := range page {
		ids[i] = sub.ID
	}
	lists, err := s.activeListNames(ctx, ids)
	if err != nil {
		return err
	}
	ph, args := subIDArgs(ids, 0)
	collect := func(q string, into func(id int64, a, b string)) error {
		rows, err := s.db.R.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var a, b string
			if err := rows.Scan(&id, &a, &b); err != nil {
				return fmt.Errorf("export: %w", err)
			}
			into(id, a, b)
		}
		return rows.Err()
	}
	follows := map[int64][]string{}
	waiting := map[int64]bool{}
	if err := collect(`SELECT f.subscriber_id, t.name, '' FROM subscriber_follows f JOIN tags t ON t.id = f.tag_id
		WHERE f.subscriber_id IN (`+ph+`) ORDER BY t.name`, func(id int64, n, _ string) { follows[id] = append(follows[id], n) }); err != nil {
		return err
	}
	if err := collect(`SELECT DISTINCT subscriber_id, '', '' FROM subscriptions WHERE status = 'pending' AND subscriber_id IN (`+ph+`)`,
		func(id int64, _, _ string) { waiting[id] = true }); err != nil {
		return err
	}
	type consent struct{ source, text string }
	consents := map[int64]consent{}
	if err := collect(`SELECT subscriber_id, source, consent_text FROM subscriber_consents
		WHERE action IN ('subscribe', 'import', 'api') AND subscriber_id IN (`+ph+`) ORDER BY id`,
		func(id int64, src, txt string) { consents[id] = consent{src, txt} }); err != nil {
		return err
	}
	for _, sub := range page {
		status := "unconfirmed"
		switch {
		case sub.Suppressed():
			status = "suppressed"
		case sub.Confirmed() && len(lists[sub.ID]) == 0 && len(follows[sub.ID]) == 0 && !waiting[sub.ID]:
			status = "unsubscribed"
		case sub.Confirmed():
			status = "confirmed"
		}
		conf := ""
		if sub.Confirmed() {
			conf = sub.ConfirmedAt.Format(time.RFC3339)
		}
		c := consents[sub.ID]
		rec := []string{sub.Email, sub.Name, status, strings.Join(lists[sub.ID], "; "), strings.Join(follows[sub.ID], "; "),
			sub.CreatedAt.Format(time.RFC3339), conf, c.source, c.text}
		for i := range rec {
			rec[i] = csvSafe(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

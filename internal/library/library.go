// Package library is the coalition's document library: statements, reports,
// resolutions, letters, speeches and toolkits, uploaded as files (PDF, DOCX,
// ODT, TXT, HTML) or linked from elsewhere, tagged with countries, themes and
// crises, their text extracted in the background and indexed for search.
package library

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/places"
	"coalition/internal/search"
)

// ItemType is the type name of documents in item_tags and the search index.
const ItemType = "document"

// Extraction states.
const (
	StateNone    = "none"    // a link: nothing to extract
	StatePending = "pending" // waiting for the worker
	StateRunning = "running" // claimed by a worker
	StateDone    = "done"
	StateEmpty   = "empty"  // read, but the file holds no text (e.g. scanned images)
	StateFailed  = "failed" // see ExtractError
)

// Access levels.
const (
	AccessPublic  = search.AccessPublic
	AccessMembers = search.AccessMembers
)

// Document is one item of the library.
type Document struct {
	ID           int64
	Title        string
	Date         time.Time
	Type         string // document type slug
	Source       string
	Language     string
	Summary      string
	Access       string
	LinkURL      string
	FileName     string
	Format       string
	Size         int64
	Checksum     string
	ExtractState string
	ExtractError string
	TextLength   int
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Tags         []places.Tag
}

// URL is the document's page on the site.
func (d Document) URL() string { return "/documents/" + strconv.FormatInt(d.ID, 10) }

// FileURL is where the file is downloaded (empty for links).
func (d Document) FileURL() string {
	if d.Checksum == "" {
		return ""
	}
	return d.URL() + "/file"
}

// MembersOnly reports whether only members and staff may see it.
func (d Document) MembersOnly() bool { return d.Access == AccessMembers }

// TagsOf returns the document's tags of one kind.
func (d Document) TagsOf(kind places.Kind) []places.Tag {
	var out []places.Tag
	for _, t := range d.Tags {
		if t.Kind == kind {
			out = append(out, t)
		}
	}
	return out
}

// Countries are the document's countries.
func (d Document) Countries() []places.Tag { return d.TagsOf(places.KindCountry) }

// Themes are the document's themes.
func (d Document) Themes() []places.Tag { return d.TagsOf(places.KindTheme) }

// Crises are the document's crises.
func (d Document) Crises() []places.Tag { return d.TagsOf(places.KindCrisis) }

// CountryCodes are the ISO alpha-3 codes of its countries.
func (d Document) CountryCodes() []string {
	out := []string{}
	for _, t := range d.Countries() {
		out = append(out, t.Code)
	}
	return out
}

// Input is what editors (or the importer) give for a document.
type Input struct {
	Title     string
	Date      string // YYYY-MM-DD, YYYY-MM or YYYY
	Type      string // slug of a document type
	Source    string
	Language  string
	Summary   string
	Access    string
	LinkURL   string
	Countries []string // ISO alpha-3
	Themes    []string // slugs
	Crises    []string // slugs
}

// File is an uploaded file.
type File struct {
	Name string
	Body io.Reader
}

// Service stores documents and runs their extraction.
type Service struct {
	db        *db.DB
	places    *places.Service
	index     search.Index
	files     *FileStore
	extractor *Extractor
	log       *slog.Logger
	now       func() time.Time
	// MaxUpload is the largest accepted file in bytes.
	MaxUpload int64
	kick      chan struct{}
}

// New returns the library over d, storing files under filesDir.
func New(d *db.DB, p *places.Service, idx search.Index, filesDir string, maxUpload int64, log *slog.Logger, now func() time.Time) (*Service, error) {
	fs, err := NewFileStore(filesDir)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Service{db: d, places: p, index: idx, files: fs, extractor: NewExtractor(), log: log,
		now: func() time.Time { return now().UTC() }, MaxUpload: maxUpload, kick: make(chan struct{}, 1)}, nil
}

// Extractor returns the text extractor (tests tighten its limits).
func (s *Service) Extractor() *Extractor { return s.extractor }

// Files returns the file store.
func (s *Service) Files() *FileStore { return s.files }

// Index returns the search index.
func (s *Service) Index() search.Index { return s.index }

var langRe = regexp.MustCompile(`^[a-z]{2,3}$`)

// ParseDate reads YYYY-MM-DD, YYYY-MM or YYYY.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "2006-01", "2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1900 || t.Year() > 2200 {
				break
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, errs.Invalid("date", "Enter the date as YYYY-MM-DD (or YYYY-MM, or the year alone).")
}

// resolved is a validated Input.
type resolved struct {
	in     Input
	date   time.Time
	tagIDs []int64
}

// resolve validates in and looks up its tags.
func (s *Service) resolve(ctx context.Context, in Input) (resolved, error) {
	r := resolved{in: in}
	in.Title = strings.Join(strings.Fields(in.Title), " ")
	if in.Title == "" || utf8.RuneCountInString(in.Title) > 300 {
		return r, errs.Invalid("title", "Enter a title of 1 to 300 characters.")
	}
	d, err := ParseDate(in.Date)
	if err != nil {
		return r, err
	}
	r.date = d
	in.Type = strings.TrimSpace(strings.ToLower(in.Type))
	if _, err := s.TypeBySlug(ctx, in.Type); err != nil {
		if errors.Is(err, errs.ErrNotFound) {
			return r, errs.Invalid("type", fmt.Sprintf("Unknown document type %q: choose one from the list (editors add types under Admin → Tags).", in.Type))
		}
		return r, err
	}
	in.Source = strings.Join(strings.Fields(in.Source), " ")
	if utf8.RuneCountInString(in.Source) > 200 {
		return r, errs.Invalid("source", "Use at most 200 characters for the source.")
	}
	in.Language = strings.ToLower(strings.TrimSpace(in.Language))
	if in.Language == "" {
		in.Language = "en"
	}
	if !langRe.MatchString(in.Language) {
		return r, errs.Invalid("language", "Enter the language as an ISO 639 code, like en, fr or ar.")
	}
	in.Summary = strings.TrimSpace(in.Summary)
	if utf8.RuneCountInString(in.Summary) > 5000 {
		return r, errs.Invalid("summary", "Keep the summary under 5,000 characters.")
	}
	switch in.Access = strings.ToLower(strings.TrimSpace(in.Access)); in.Access {
	case "", AccessPublic:
		in.Access = AccessPublic
	case AccessMembers, "members-only":
		in.Access = AccessMembers
	default:
		return r, errs.Invalid("access", "Access is public or members.")
	}
	in.LinkURL = strings.TrimSpace(in.LinkURL)
	if in.LinkURL != "" {
		u, err := url.Parse(in.LinkURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(in.LinkURL) > 2000 {
			return r, errs.Invalid("link", "Enter the link as a full address starting with https://.")
		}
	}
	ids, err := s.places.ResolveCountries(ctx, in.Countries)
	if err != nil {
		return r, err
	}
	r.tagIDs = ids
	for _, k := range []struct {
		kind  places.Kind
		slugs []string
		field string
	}{{places.KindTheme, in.Themes, "themes"}, {places.KindCrisis, in.Crises, "crises"}} {
		for _, sl := range k.slugs {
			sl = strings.TrimSpace(sl)
			if sl == "" {
				continue
			}
			t, err := s.places.Get(ctx, k.kind, sl)
			if errors.Is(err, errs.ErrNotFound) {
				return r, errs.Invalid(k.field, fmt.Sprintf("Unknown %s %q.", k.kind, sl))
			}
			if err != nil {
				return r, err
			}
			r.tagIDs = append(r.tagIDs, t.ID)
		}
	}
	r.in = in
	return r, nil
}

const docCols = `id, title, published_on, type, source, language, summary, access, link_url, file_name, file_format, file_size, checksum,
	extract_state, extract_error, LENGTH(body), created_at, updated_at`

func scanDoc(row interface{ Scan(...any) error }) (Document, error) {
	var d Document
	err := row.Scan(&d.ID, &d.Title, &d.Date, &d.Type, &d.Source, &d.Language, &d.Summary, &d.Access, &d.LinkURL, &d.FileName,
		&d.Format, &d.Size, &d.Checksum, &d.ExtractState, &d.ExtractError, &d.TextLength, &d.CreatedAt, &d.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return d, errs.ErrNotFound
	}
	return d, err
}

// Get returns one document with its tags.
func (s *Service) Get(ctx context.Context, id int64) (Document, error) {
	d, err := scanDoc(s.db.R.QueryRowContext(ctx, "SELECT "+docCols+" FROM documents WHERE id = $1", id))
	if err != nil {
		if errors.Is(err, errs.ErrNotFound) {
			return d, err
		}
		return d, fmt.Errorf("document %d: %w", id, err)
	}
	tags, err := s.places.ItemTags(ctx, ItemType, []int64{id})
	if err != nil {
		return d, err
	}
	d.Tags = tags[id]
	return d, nil
}

// Text returns a document's extracted text.
func (s *Service) Text(ctx context.Context, id int64) (string, error) {
	var t string
	err := s.db.R.QueryRowContext(ctx, "SELECT body FROM documents WHERE id = $1", id).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errs.ErrNotFound
	}
	return t, err
}

// ListFilter selects documents for the admin list.
type ListFilter struct {
	State  string // extraction state, or "" for all
	Query  string // words in the title
	Limit  int
	Offset int
}

// List returns documents newest first, with the total.
func (s *Service) List(ctx context.Context, f ListFilter) ([]Document, int, error) {
	where := []string{"TRUE"}
	var args []any
	if f.State != "" {
		args = append(args, f.State)
		where = append(where, "extract_state = $"+strconv.Itoa(len(args)))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		args = append(args, "%"+strings.ToLower(strings.NewReplacer("%", "", "_", "").Replace(q))+"%")
		where = append(where, "LOWER(title) LIKE $"+strconv.Itoa(len(args)))
	}
	w := strings.Join(where, " AND ")
	var total int
	if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM documents WHERE "+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count documents: %w", err)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	args = append(args, f.Limit, f.Offset)
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+docCols+" FROM documents WHERE "+w+
		" ORDER BY created_at DESC, id DESC LIMIT $"+strconv.Itoa(len(args)-1)+" OFFSET $"+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list documents: %w", err)
	}
	defer rows.Close()
	var out []Document
	var ids []int64
	for rows.Next() {
		d, err := scanDoc(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list documents: %w", err)
		}
		out = append(out, d)
		ids = append(ids, d.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list documents: %w", err)
	}
	tags, err := s.places.ItemTags(ctx, ItemType, ids)
	if err != nil {
		return nil, 0, err
	}
	for i := range out {
		out[i].Tags = tags[out[i].ID]
	}
	return out, total, nil
}

// StateCounts counts documents per extraction state (admin dashboard).
func (s *Service) StateCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.R.QueryContext(ctx, "SELECT extract_state, COUNT(*) FROM documents GROUP BY extract_state")
	if err != nil {
		return nil, fmt.Errorf("state counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// item builds the search item for a document row (inside tx).
func (s *Service) putIndex(ctx context.Context, tx *sql.Tx, id int64) error {
	var it search.Item
	var body string
	err := tx.QueryRowContext(ctx, `SELECT title, summary, body, published_on, language, source, type, access FROM documents WHERE id = $1`, id).
		Scan(&it.Title, &it.Summary, &body, &it.Date, &it.Language, &it.Source, &it.Kind, &it.Access)
	if err != nil {
		return fmt.Errorf("index document %d: %w", id, err)
	}
	it.Type, it.ID, it.Body, it.URL = ItemType, id, body, "/documents/"+strconv.FormatInt(id, 10)
	rows, err := tx.QueryContext(ctx, "SELECT tag_id FROM item_tags WHERE item_type = $1 AND item_id = $2", ItemType, id)
	if err != nil {
		return fmt.Errorf("index document %d: %w", id, err)
	}
	for rows.Next() {
		var t int64
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		it.TagIDs = append(it.TagIDs, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return s.index.Put(ctx, tx, it)
}

// extraction is text already extracted (by the importer) before insert.
type extraction struct {
	state, reason, text string
}

// Create adds a document: a file (checked, stored, queued for extraction)
// or, with no file, a link. The file is written under a temporary name and
// renamed into the store before the database commit; if the commit fails
// the file is removed again, so neither a row without its file nor an
// unreferenced file is left behind.
func (s *Service) Create(ctx context.Context, in Input, f *File, by int64) (Document, error) {
	return s.create(ctx, in, f, by, "", "", nil, true)
}

func (s *Service) create(ctx context.Context, in Input, f *File, by int64, importKey, importHash string, pre *extraction, sync bool) (Document, error) {
	if f != nil && strings.TrimSpace(in.Title) == "" {
		in.Title = TitleFromName(f.Name)
	}
	r, err := s.resolve(ctx, in)
	if err != nil {
		return Document{}, err
	}
	if f == nil && r.in.LinkURL == "" {
		return Document{}, errs.Invalid("file", "Choose a file to upload, or give a link to the document elsewhere.")
	}
	var st Stored
	if f != nil {
		if st, err = s.files.Put(f.Name, f.Body, s.MaxUpload, sync); err != nil {
			return Document{}, err
		}
	}
	id, err := s.insert(ctx, r, st, by, importKey, importHash, pre)
	if err != nil {
		return Document{}, err
	}
	return s.Get(ctx, id)
}

// insert writes a validated document whose file (if any) is already stored;
// if the transaction fails the file is removed again unless another
// document uses it.
func (s *Service) insert(ctx context.Context, r resolved, st Stored, by int64, importKey, importHash string, pre *extraction) (int64, error) {
	state := StateNone
	if st.Checksum != "" {
		state = StatePending
		r.in.LinkURL = ""
	}
	text, reason := "", ""
	if pre != nil && st.Checksum != "" {
		state, reason, text = pre.state, pre.reason, pre.text
	}
	now := s.now()
	var id int64
	var byID any
	if by > 0 {
		byID = by
	}
	var key any
	if importKey != "" {
		key = importKey
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = s.insertTx(ctx, tx, r, st, state, reason, text, byID, key, importHash, now)
		return err
	})
	if err != nil {
		if st.Checksum != "" {
			s.removeIfUnused(ctx, st.Checksum)
		}
		if db.IsUnique(err) {
			return 0, errs.Invalid("file", "This document was added at the same moment by someone else.")
		}
		return 0, err
	}
	if state == StatePending {
		s.Kick()
	}
	return id, nil
}

// insertTx writes the document row, its tags and its index entry.
func (s *Service) insertTx(ctx context.Context, tx *sql.Tx, r resolved, st Stored, state, reason, text string, byID, key any, importHash string, now time.Time) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO documents (title, published_on, type, source, language, summary, access, link_url,
		file_name, file_format, file_size, checksum, import_key, import_hash, extract_state, extract_error, body, created_at, updated_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, $19) RETURNING id`,
		r.in.Title, r.date, r.in.Type, r.in.Source, r.in.Language, r.in.Summary, r.in.Access, r.in.LinkURL,
		st.Name, st.Format, st.Size, st.Checksum, key, importHash, state, reason, search.Clean(text), now, byID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert document: %w", err)
	}
	if err := places.SetItemTags(ctx, tx, ItemType, id, r.tagIDs); err != nil {
		return 0, err
	}
	return id, s.putIndex(ctx, tx, id)
}

// CreateTx adds a document inside the caller's transaction (a member's
// submission approved and published into the library commits with the
// approval). The file is stored first; if the caller's transaction rolls
// back, the unreferenced file is removed by the worker's sweep. Text
// extraction starts once the worker next looks (or after Kick).
func (s *Service) CreateTx(ctx context.Context, tx *sql.Tx, in Input, f *File, by int64) (int64, error) {
	if f != nil && strings.TrimSpace(in.Title) == "" {
		in.Title = TitleFromName(f.Name)
	}
	r, err := s.resolve(ctx, in)
	if err != nil {
		return 0, err
	}
	if f == nil && r.in.LinkURL == "" {
		return 0, errs.Invalid("file", "Choose a file to upload, or give a link to the document elsewhere.")
	}
	var st Stored
	state := StateNone
	if f != nil {
		if st, err = s.files.Put(f.Name, f.Body, s.MaxUpload, true); err != nil {
			return 0, err
		}
		state = StatePending
		r.in.LinkURL = ""
	}
	var byID any
	if by > 0 {
		byID = by
	}
	return s.insertTx(ctx, tx, r, st, state, "", "", byID, nil, "", s.now())
}

// TitleFromName makes a readable title from a file name.
func TitleFromName(name string) string {
	name = cleanName(name)
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		name = name[:i]
	}
	name = strings.NewReplacer("_", " ", "-", " ").Replace(name)
	name = strings.Join(strings.Fields(name), " ")
	if name == "" {
		return "Untitled document"
	}
	r, n := utf8.DecodeRuneInString(name)
	return strings.ToUpper(string(r)) + name[n:]
}

// removeIfUnused deletes a stored file no document refers to.
func (s *Service) removeIfUnused(ctx context.Context, sum string) {
	var n int
	if err := s.db.W.QueryRowContext(ctx, "SELECT COUNT(*) FROM documents WHERE checksum = $1", sum).Scan(&n); err != nil {
		s.log.Warn("check file use", "checksum", sum, "err", err)
		return
	}
	if n == 0 {
		if err := s.files.Remove(sum); err != nil {
			s.log.Warn("remove unused file", "err", err)
		}
	}
}

// Update changes a document's details and, when f is given, replaces its
// file (queuing the new one for extraction).
func (s *Service) Update(ctx context.Context, id int64, in Input, f *File) (Document, error) {
	old, err := s.Get(ctx, id)
	if err != nil {
		return Document{}, err
	}
	r, err := s.resolve(ctx, in)
	if err != nil {
		return Document{}, err
	}
	var st Stored
	if f != nil {
		if st, err = s.files.Put(f.Name, f.Body, s.MaxUpload, true); err != nil {
			return Document{}, err
		}
	} else if old.Checksum == "" && r.in.LinkURL == "" {
		return Document{}, errs.Invalid("link", "A linked document needs its link (or upload a file instead).")
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE documents SET title = $1, published_on = $2, type = $3, source = $4, language = $5,
			summary = $6, access = $7, updated_at = $8 WHERE id = $9`,
			r.in.Title, r.date, r.in.Type, r.in.Source, r.in.Language, r.in.Summary, r.in.Access, s.now(), id)
		if err != nil {
			return fmt.Errorf("update document %d: %w", id, err)
		}
		if f != nil {
			_, err = tx.ExecContext(ctx, `UPDATE documents SET file_name = $1, file_format = $2, file_size = $3, checksum = $4, link_url = '',
				extract_state = 'pending', extract_error = '', extract_attempts = 0, body = '' WHERE id = $5`, st.Name, st.Format, st.Size, st.Checksum, id)
		} else if old.Checksum == "" {
			_, err = tx.ExecContext(ctx, "UPDATE documents SET link_url = $1 WHERE id = $2", r.in.LinkURL, id)
		}
		if err != nil {
			return fmt.Errorf("update document %d: %w", id, err)
		}
		if err := places.SetItemTags(ctx, tx, ItemType, id, r.tagIDs); err != nil {
			return err
		}
		return s.putIndex(ctx, tx, id)
	})
	if err != nil {
		if st.Checksum != "" && st.Checksum != old.Checksum {
			s.removeIfUnused(ctx, st.Checksum)
		}
		return Document{}, err
	}
	if f != nil {
		if old.Checksum != "" && old.Checksum != st.Checksum {
			s.removeIfUnused(ctx, old.Checksum)
		}
		s.Kick()
	}
	return s.Get(ctx, id)
}

// Delete removes a document, its tags, its index entry and (if no other
// document shares it) its file.
func (s *Service) Delete(ctx context.Context, id int64) error {
	d, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM documents WHERE id = $1", id); err != nil {
			return fmt.Errorf("delete document %d: %w", id, err)
		}
		if err := places.SetItemTags(ctx, tx, ItemType, id, nil); err != nil {
			return err
		}
		return s.index.Delete(ctx, tx, ItemType, id)
	})
	if err != nil {
		return err
	}
	if d.Checksum != "" {
		s.removeIfUnused(ctx, d.Checksum)
	}
	return nil
}

// Retry queues a document's extraction again.
func (s *Service) Retry(ctx context.Context, id int64) error {
	res, err := s.db.W.ExecContext(ctx, `UPDATE documents SET extract_state = 'pending', extract_error = '', extract_attempts = 0
		WHERE id = $1 AND checksum <> ''`, id)
	if err != nil {
		return db.Classify(fmt.Errorf("retry extraction: %w", err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.ErrNotFound
	}
	s.Kick()
	return nil
}

// ReindexAll puts every document into the search index again.
func (s *Service) ReindexAll(ctx context.Context) error {
	rows, err := s.db.R.QueryContext(ctx, "SELECT id FROM documents ORDER BY id")
	if err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if err := s.db.Tx(ctx, func(tx *sql.Tx) error { return s.putIndex(ctx, tx, id) }); err != nil {
			return err
		}
	}
	return nil
}

// Type is an editable document type.
type Type struct {
	ID       int64
	Slug     string
	Name     string
	Position int
	Count    int // documents of this type (ListTypes only)
}

// ListTypes returns the document types in display order, with counts.
func (s *Service) ListTypes(ctx context.Context) ([]Type, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT t.id, t.slug, t.name, t.position, (SELECT COUNT(*) FROM documents d WHERE d.type = t.slug)
		FROM document_types t ORDER BY t.position, t.name`)
	if err != nil {
		return nil, fmt.Errorf("document types: %w", err)
	}
	defer rows.Close()
	var out []Type
	for rows.Next() {
		var t Type
		if err := rows.Scan(&t.ID, &t.Slug, &t.Name, &t.Position, &t.Count); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// TypeBySlug returns one document type.
func (s *Service) TypeBySlug(ctx context.Context, slugv string) (Type, error) {
	var t Type
	err := s.db.R.QueryRowContext(ctx, "SELECT id, slug, name, position FROM document_types WHERE slug = $1", slugv).Scan(&t.ID, &t.Slug, &t.Name, &t.Position)
	if errors.Is(err, sql.ErrNoRows) {
		return t, errs.ErrNotFound
	}
	return t, err
}

// GetMany returns the documents with the given ids (with tags), keyed by id;
// missing ids are left out.
func (s *Service) GetMany(ctx context.Context, ids []int64) (map[int64]Document, error) {
	out := map[int64]Document{}
	if len(ids) == 0 {
		return out, nil
	}
	ph := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		ph[i] = "$" + strconv.Itoa(i+1)
		args[i] = id
	}
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+docCols+" FROM documents WHERE id IN ("+strings.Join(ph, ",")+")", args...)
	if err != nil {
		return nil, fmt.Errorf("documents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDoc(rows)
		if err != nil {
			return nil, fmt.Errorf("documents: %w", err)
		}
		out[d.ID] = d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("documents: %w", err)
	}
	tags, err := s.places.ItemTags(ctx, ItemType, ids)
	if err != nil {
		return nil, err
	}
	for id, d := range out {
		d.Tags = tags[id]
		out[id] = d
	}
	return out, nil
}

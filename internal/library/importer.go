package library

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"coalition/internal/errs"
	"coalition/internal/places"
)

// ImportColumns are the columns of a bulk-import CSV, in the documented
// order (the header may list them in any order; path is required).
var ImportColumns = []string{"path", "title", "date", "type", "countries", "themes", "crises", "language", "source", "summary", "access"}

// ImportOptions configure Import.
type ImportOptions struct {
	// CSV is the metadata file; paths in it are relative to its folder.
	CSV string
	// CreateTags creates themes, crises and document types the CSV names
	// but the site does not have yet. Without it such rows fail.
	CreateTags bool
	// Progress, if set, is called after every row.
	Progress func(done, total int)
}

// RowError is one CSV row that could not be imported.
type RowError struct {
	Line   int // line number in the CSV (the header is line 1)
	Path   string
	Reason string
}

// ImportReport sums up an import.
type ImportReport struct {
	Rows, Added, Updated, Unchanged int
	Created                         []string // tags and types created on the way
	Failed                          []RowError
	Elapsed                         time.Duration
}

// Import adds the documents a CSV describes. Every row stands alone: a bad
// row is reported and the import goes on. Each document's text is extracted
// during the import. Running the same import again changes nothing: a row is
// known by its file's checksum and path (or its link), and a known row whose
// details changed updates the document.
func (s *Service) Import(ctx context.Context, o ImportOptions) (ImportReport, error) {
	start := time.Now()
	var rep ImportReport
	f, err := os.Open(o.CSV)
	if err != nil {
		return rep, fmt.Errorf("open metadata: %w", err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return rep, fmt.Errorf("%s: cannot read the header line: %w", o.CSV, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		known := false
		for _, c := range ImportColumns {
			known = known || c == h
		}
		if !known {
			return rep, fmt.Errorf("%s: unknown column %q in the header (the columns are %s)", o.CSV, h, strings.Join(ImportColumns, ","))
		}
		col[h] = i
	}
	for _, need := range []string{"path", "date", "type"} {
		if _, ok := col[need]; !ok {
			return rep, fmt.Errorf("%s: the header has no %q column (the columns are %s)", o.CSV, need, strings.Join(ImportColumns, ","))
		}
	}
	type row struct {
		line   int
		fields []string
		err    error
	}
	var rows []row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rows = append(rows, row{line: pe.StartLine, err: fmt.Errorf("the CSV line is malformed: %v", pe.Err)})
				continue
			}
			return rep, fmt.Errorf("read %s: %w", o.CSV, err)
		}
		line, _ := cr.FieldPos(0)
		rows = append(rows, row{line: line, fields: rec})
	}
	rep.Rows = len(rows)
	base := filepath.Dir(o.CSV)
	lk := &lookups{s: s, create: o.CreateTags, seen: map[string]int{}}
	for i, r := range rows {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		get := func(name string) string {
			if j, ok := col[name]; ok && j < len(r.fields) {
				return strings.TrimSpace(r.fields[j])
			}
			return ""
		}
		path := get("path")
		fail := func(err error) {
			msg := err.Error()
			if ie, ok := errs.AsInvalid(err); ok {
				msg = ie.Msg
			}
			rep.Failed = append(rep.Failed, RowError{Line: r.line, Path: path, Reason: msg})
		}
		switch {
		case r.err != nil:
			fail(r.err)
		default:
			outcome, err := s.importRow(ctx, lk, r.line, base, path, get)
			switch {
			case err != nil:
				fail(err)
			case outcome == "added":
				rep.Added++
			case outcome == "updated":
				rep.Updated++
			default:
				rep.Unchanged++
			}
		}
		if o.Progress != nil {
			o.Progress(i+1, len(rows))
		}
	}
	syscall.Sync() // the files were written without a flush each
	if rep.Added+rep.Updated > 0 {
		if err := s.index.Tidy(ctx); err != nil {
			s.log.Warn("import: tidying the search index failed (searches stay correct, only slower until the database's own maintenance)", "err", err)
		}
	}
	rep.Created = lk.created
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// lookups resolve names or slugs of themes, crises and types, creating
// them when allowed.
type lookups struct {
	s       *Service
	create  bool
	tags    map[places.Kind]map[string]string
	types   map[string]string
	created []string
	seen    map[string]int // import key → CSV line, to catch a file listed twice
}

func (l *lookups) tag(ctx context.Context, kind places.Kind, v string) (string, error) {
	if l.tags == nil {
		l.tags = map[places.Kind]map[string]string{}
	}
	m, ok := l.tags[kind]
	if !ok {
		m = map[string]string{}
		ts, err := l.s.places.List(ctx, kind)
		if err != nil {
			return "", err
		}
		for _, t := range ts {
			m[t.Slug] = t.Slug
			m[strings.ToLower(t.Name)] = t.Slug
		}
		l.tags[kind] = m
	}
	if sl, ok := m[strings.ToLower(v)]; ok {
		return sl, nil
	}
	if !l.create {
		return "", errs.Invalid(string(kind), fmt.Sprintf("unknown %s %q (add it under Admin → Tags first, or run the import with --create-tags)", kind, v))
	}
	t, err := l.s.places.Create(ctx, kind, v, "")
	if err != nil {
		return "", err
	}
	m[t.Slug], m[strings.ToLower(t.Name)] = t.Slug, t.Slug
	l.created = append(l.created, fmt.Sprintf("%s %q", kind, t.Name))
	return t.Slug, nil
}

func (l *lookups) docType(ctx context.Context, v string) (string, error) {
	if l.types == nil {
		l.types = map[string]string{}
		ts, err := l.s.ListTypes(ctx)
		if err != nil {
			return "", err
		}
		for _, t := range ts {
			l.types[t.Slug] = t.Slug
			l.types[strings.ToLower(t.Name)] = t.Slug
		}
	}
	if v == "" {
		return "", errs.Invalid("type", "the type is missing (statement, report, resolution, …)")
	}
	if sl, ok := l.types[strings.ToLower(v)]; ok {
		return sl, nil
	}
	if !l.create {
		return "", errs.Invalid("type", fmt.Sprintf("unknown document type %q (add it under Admin → Tags first, or run the import with --create-tags)", v))
	}
	t, err := l.s.CreateType(ctx, v)
	if err != nil {
		return "", err
	}
	l.types[t.Slug], l.types[strings.ToLower(t.Name)] = t.Slug, t.Slug
	l.created = append(l.created, fmt.Sprintf("type %q", t.Name))
	return t.Slug, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// importRow imports one row and says whether it was added, updated or
// unchanged.
func (s *Service) importRow(ctx context.Context, lk *lookups, line int, base, path string, get func(string) string) (string, error) {
	if path == "" {
		return "", errs.Invalid("path", "the path is empty")
	}
	in := Input{Title: get("title"), Date: get("date"), Source: get("source"), Language: get("language"), Summary: get("summary"),
		Access: get("access")}
	var key, full string
	link := strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://")
	if link {
		key = "link:" + path
		in.LinkURL = path
	} else {
		if filepath.IsAbs(path) {
			return "", errs.Invalid("path", "use a path relative to the CSV file's folder")
		}
		rel := filepath.ToSlash(filepath.Clean(path))
		full = filepath.Join(base, filepath.FromSlash(rel))
		sum, err := fileSum(full)
		if err != nil {
			return "", err
		}
		key = sum + ":" + rel
		if in.Title == "" {
			in.Title = TitleFromName(rel)
		}
	}
	if first, ok := lk.seen[key]; ok {
		return "", errs.Invalid("path", fmt.Sprintf("the same document is already listed on line %d", first))
	}
	lk.seen[key] = line
	var err error
	if in.Type, err = lk.docType(ctx, get("type")); err != nil {
		return "", err
	}
	for _, c := range strings.FieldsFunc(get("countries"), func(r rune) bool { return r == ';' || r == ',' }) {
		if c = strings.TrimSpace(c); c != "" {
			in.Countries = append(in.Countries, c)
		}
	}
	for _, v := range splitList(get("themes")) {
		sl, err := lk.tag(ctx, places.KindTheme, v)
		if err != nil {
			return "", err
		}
		in.Themes = append(in.Themes, sl)
	}
	for _, v := range splitList(get("crises")) {
		sl, err := lk.tag(ctx, places.KindCrisis, v)
		if err != nil {
			return "", err
		}
		in.Crises = append(in.Crises, sl)
	}
	meta := sha256.Sum256([]byte(strings.Join([]string{in.Title, in.Date, in.Type, strings.Join(in.Countries, ";"), strings.Join(in.Themes, ";"),
		strings.Join(in.Crises, ";"), in.Language, in.Source, in.Summary, in.Access}, "\x1f")))
	hash := hex.EncodeToString(meta[:16])

	var id int64
	var have string
	err = s.db.R.QueryRowContext(ctx, "SELECT id, import_hash FROM documents WHERE import_key = $1", key).Scan(&id, &have)
	if err == nil {
		if have == hash {
			return "unchanged", nil
		}
		if _, err := s.Update(ctx, id, in, nil); err != nil {
			return "", err
		}
		if _, err := s.db.W.ExecContext(ctx, "UPDATE documents SET import_hash = $1 WHERE id = $2", hash, id); err != nil {
			return "", fmt.Errorf("record import: %w", err)
		}
		return "updated", nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("look up import: %w", err)
	}
	r, err := s.resolve(ctx, in)
	if err != nil {
		return "", err
	}
	var st Stored
	var pre *extraction
	if !link {
		fh, err := os.Open(full)
		if err != nil {
			return "", fmt.Errorf("open %s: %w", path, err)
		}
		st, err = s.files.Put(filepath.Base(full), fh, s.MaxUpload, false)
		fh.Close()
		if err != nil {
			return "", err
		}
		text, err := s.extractor.Extract(ctx, s.files.Path(st.Checksum), st.Format)
		pre = &extraction{state: StateDone, text: text}
		var ee *ExtractError
		switch {
		case errors.As(err, &ee):
			pre.state, pre.reason = StateFailed, ee.Reason
		case err != nil:
			pre.state, pre.reason = StatePending, ""
		case text == "":
			pre.state, pre.reason = StateEmpty, "No text was found in the file (a scanned document without a text layer?)."
		}
	}
	if _, err := s.insert(ctx, r, st, 0, key, hash, pre); err != nil {
		return "", err
	}
	return "added", nil
}

// fileSum returns the SHA-256 of a file, with plain messages for the usual
// mistakes.
func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", errs.Invalid("path", "file not found: "+path)
	}
	if err != nil {
		return "", errs.Invalid("path", fmt.Sprintf("cannot open %s: %v", path, err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return "", errs.Invalid("path", path+" is a folder, not a file")
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

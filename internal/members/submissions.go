package members

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"coalition/internal/errs"
	"coalition/internal/places"
)

// Submission kinds.
const (
	KindNews     = "news"
	KindDocument = "document"
)

// Submission states.
const (
	SubSubmitted = "submitted" // waiting for an editor
	SubReturned  = "returned"  // sent back to the member with a note
	SubApproved  = "approved"  // published
)

// Submission is news or a document a member organisation sends for
// publication.
type Submission struct {
	ID             int64
	OrganisationID int64
	OrgName        string
	OrgSlug        string
	SubmittedBy    int64
	SubmitterName  string
	SubmitterEmail string
	Kind           string
	Title          string
	Summary        string
	Body           string // Markdown (news) or a description (documents)
	MembersOnly    bool
	State          string
	ReviewNote     string
	ReviewerID     int64
	ReviewedAt     time.Time
	PublishedURL   string
	PublishedAt    time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	File           *FileInfo
	Tags           []places.Tag // countries and themes
	Events         []Event
}

// Editable reports whether the member (or an editor) may still change it.
func (s Submission) Editable() bool { return s.State != SubApproved }

// Countries returns the ISO codes of the submission's country tags.
func (s Submission) Countries() []string {
	var out []string
	for _, t := range s.Tags {
		if t.Kind == places.KindCountry {
			out = append(out, t.Code)
		}
	}
	return out
}

// HasTag reports whether the submission carries tag id (for checkboxes).
func (s Submission) HasTag(id int64) bool {
	for _, t := range s.Tags {
		if t.ID == id {
			return true
		}
	}
	return false
}

// TagIDs lists the submission's tag ids.
func (s Submission) TagIDs() []int64 {
	out := make([]int64, 0, len(s.Tags))
	for _, t := range s.Tags {
		out = append(out, t.ID)
	}
	return out
}

// FileInfo describes a submitted document's file.
type FileInfo struct {
	Name        string
	ContentType string
	Size        int64
	SHA256      string
}

// File is a submitted document's file with its bytes.
type File struct {
	FileInfo
	Data []byte
}

// Upload is a file as received from a form.
type Upload struct {
	Name string
	Data []byte
}

// SubmissionInput is what a member (or an editor) fills in.
type SubmissionInput struct {
	Kind        string
	Title       string
	Summary     string
	Body        string
	MembersOnly bool
	Countries   []string // ISO alpha-3
	ThemeIDs    []int64
	File        *Upload // documents: required when submitting, optional when editing
}

// Publisher publishes an approved submission for real: as an article
// (issue 3) or a library document (issue 4). It runs inside the approval's
// transaction — write with tx only — and returns the public URL (a path such
// as /news/slug). sub carries the (possibly edited) text and its tags;
// MembersOnly asks for a members-only publication.
type Publisher interface {
	PublishNews(ctx context.Context, tx *sql.Tx, sub Submission, org Organisation) (url string, err error)
	PublishDocument(ctx context.Context, tx *sql.Tx, sub Submission, file File, org Organisation) (url string, err error)
}

// Document file types accepted, by extension, with the bytes they must start
// with. Files are only ever served as downloads (Content-Disposition:
// attachment) with these types.
var docTypes = map[string]struct {
	ct    string
	magic []byte
}{
	".pdf":  {"application/pdf", []byte("%PDF-")},
	".docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", []byte("PK\x03\x04")},
	".odt":  {"application/vnd.oasis.opendocument.text", []byte("PK\x03\x04")},
	".xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", []byte("PK\x03\x04")},
	".ods":  {"application/vnd.oasis.opendocument.spreadsheet", []byte("PK\x03\x04")},
}

// MaxDocumentBytes is the largest document a member can submit.
const MaxDocumentBytes = 20 << 20

func checkFile(u *Upload) (File, error) {
	name := strings.TrimSpace(path.Base(strings.ReplaceAll(u.Name, "\\", "/")))
	if name == "" || name == "." || name == "/" {
		name = "document"
	}
	name = strings.Map(func(r rune) rune {
		if r < 32 || r == '"' || r == 127 {
			return -1
		}
		return r
	}, name)
	if utf8.RuneCountInString(name) > 150 {
		name = string([]rune(name)[:150])
	}
	if len(u.Data) == 0 {
		return File{}, errs.Invalid("file", "The file is empty.")
	}
	if len(u.Data) > MaxDocumentBytes {
		return File{}, errs.Invalid("file", "The file is too large: the limit is 20 MB.")
	}
	ext := strings.ToLower(path.Ext(name))
	t, ok := docTypes[ext]
	if !ok {
		return File{}, errs.Invalid("file", "Upload a PDF, Word (.docx), OpenDocument (.odt, .ods) or Excel (.xlsx) file.")
	}
	if !bytes.HasPrefix(u.Data, t.magic) {
		return File{}, errs.Invalid("file", "The file's contents do not match its name ("+ext+"). Save it again in that format.")
	}
	sum := sha256.Sum256(u.Data)
	return File{FileInfo: FileInfo{Name: name, ContentType: t.ct, Size: int64(len(u.Data)), SHA256: hex.EncodeToString(sum[:])}, Data: u.Data}, nil
}

// cleanSubmission validates the input and resolves its tags.
func (s *Service) cleanSubmission(ctx context.Context, in SubmissionInput, needFile bool) (SubmissionInput, []int64, *File, error) {
	if in.Kind != KindNews && in.Kind != KindDocument {
		return in, nil, nil, errs.Invalid("kind", "Choose news or a document.")
	}
	in.Title = strings.Join(strings.Fields(in.Title), " ")
	if in.Title == "" {
		return in, nil, nil, errs.Invalid("title", "Enter a title.")
	}
	if utf8.RuneCountInString(in.Title) > 200 {
		return in, nil, nil, errs.Invalid("title", "Use at most 200 characters.")
	}
	var err error
	if in.Summary, err = cleanText("summary", in.Summary, 1000); err != nil {
		return in, nil, nil, err
	}
	if in.Body, err = cleanText("body", in.Body, 100000); err != nil {
		return in, nil, nil, err
	}
	if in.Kind == KindNews && in.Body == "" {
		return in, nil, nil, errs.Invalid("body", "Write the text of the news.")
	}
	var file *File
	if in.File != nil && len(in.File.Data) > 0 {
		if in.Kind != KindDocument {
			return in, nil, nil, errs.Invalid("file", "Only documents carry a file.")
		}
		f, err := checkFile(in.File)
		if err != nil {
			return in, nil, nil, err
		}
		file = &f
	} else if in.Kind == KindDocument && needFile {
		return in, nil, nil, errs.Invalid("file", "Choose the document's file.")
	}
	tags, err := s.places.ResolveCountries(ctx, in.Countries)
	if err != nil {
		return in, nil, nil, err
	}
	for _, id := range in.ThemeIDs {
		t, err := s.places.ByID(ctx, id)
		if errors.Is(err, errs.ErrNotFound) || err == nil && t.Kind != places.KindTheme && t.Kind != places.KindCrisis {
			return in, nil, nil, errs.Invalid("themes", "Choose themes from the list.")
		}
		if err != nil {
			return in, nil, nil, fmt.Errorf("theme %d: %w", id, err)
		}
		tags = append(tags, id)
	}
	return in, tags, file, nil
}

// SubmissionHook runs inside the transaction of a change to a submission;
// the web layer queues e-mail with it.
type SubmissionHook func(ctx context.Context, tx *sql.Tx, sub Submission) error

func addSubEvent(ctx context.Context, tx *sql.Tx, id int64, at time.Time, by Actor, action, note string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO member_submission_events (submission_id, at, actor_id, actor_name, action, note)
		VALUES ($1, $2, $3, $4, $5, $6)`, id, at, by.id(), clipBytes(by.Name, 200), action, note)
	if err != nil {
		return fmt.Errorf("submission %d event: %w", id, err)
	}
	return nil
}

func saveFile(ctx context.Context, tx *sql.Tx, id int64, f *File) error {
	if f == nil {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO member_submission_files (submission_id, name, content_type, size, sha256, data)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (submission_id) DO UPDATE SET name = excluded.name,
		content_type = excluded.content_type, size = excluded.size, sha256 = excluded.sha256, data = excluded.data`,
		id, f.Name, f.ContentType, f.Size, f.SHA256, f.Data)
	if err != nil {
		return fmt.Errorf("save file of submission %d: %w", id, err)
	}
	return nil
}

// Submit records a new submission from organisation orgID.
func (s *Service) Submit(ctx context.Context, orgID int64, by Actor, in SubmissionInput, hook SubmissionHook) (Submission, error) {
	in, tags, file, err := s.cleanSubmission(ctx, in, true)
	if err != nil {
		return Submission{}, err
	}
	var id int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		err := tx.QueryRowContext(ctx, `INSERT INTO member_submissions (organisation_id, submitted_by, kind, title, summary, body, members_only, state, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`,
			orgID, by.id(), in.Kind, in.Title, in.Summary, in.Body, in.MembersOnly, SubSubmitted, now).Scan(&id)
		if err != nil {
			return fmt.Errorf("save submission: %w", err)
		}
		if err := saveFile(ctx, tx, id, file); err != nil {
			return err
		}
		if err := places.SetItemTags(ctx, tx, "submission", id, tags); err != nil {
			return err
		}
		if err := addSubEvent(ctx, tx, id, now, by, SubSubmitted, ""); err != nil {
			return err
		}
		return s.runSubHook(ctx, tx, id, hook)
	})
	if err != nil {
		return Submission{}, err
	}
	return s.Submission(ctx, id)
}

func (s *Service) runSubHook(ctx context.Context, tx *sql.Tx, id int64, hook SubmissionHook) error {
	if hook == nil {
		return nil
	}
	sub, err := s.submission(ctx, tx, id)
	if err != nil {
		return err
	}
	return hook(ctx, tx, sub)
}

// Resubmit saves a member's changes to a submission of its own organisation
// that has not been approved; a returned submission goes back to the queue.
// A submission of another organisation is not found.
func (s *Service) Resubmit(ctx context.Context, orgID, id int64, by Actor, in SubmissionInput, hook SubmissionHook) error {
	return s.edit(ctx, orgID, id, by, in, true, hook)
}

// Edit saves an editor's changes to a submission before approval.
func (s *Service) Edit(ctx context.Context, id int64, by Actor, in SubmissionInput) error {
	return s.edit(ctx, 0, id, by, in, false, nil)
}

func (s *Service) edit(ctx context.Context, orgID, id int64, by Actor, in SubmissionInput, member bool, hook SubmissionHook) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var org int64
		var state, kind string
		err := tx.QueryRowContext(ctx, "SELECT organisation_id, state, kind FROM member_submissions WHERE id = $1", id).Scan(&org, &state, &kind)
		if errors.Is(err, sql.ErrNoRows) || err == nil && member && org != orgID {
			return errs.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("submission %d: %w", id, err)
		}
		if state == SubApproved {
			return errs.Invalid("state", "This submission has been published and can no longer be changed.")
		}
		in.Kind = kind
		in, tags, file, err := s.cleanSubmission(ctx, in, false)
		if err != nil {
			return err
		}
		now := s.now()
		newState, action := state, "edited"
		if member {
			newState, action = SubSubmitted, "resubmitted"
			if state == SubSubmitted {
				action = "edited"
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE member_submissions SET title = $1, summary = $2, body = $3, members_only = $4, state = $5, updated_at = $6 WHERE id = $7`,
			in.Title, in.Summary, in.Body, in.MembersOnly, newState, now, id)
		if err != nil {
			return fmt.Errorf("submission %d: %w", id, err)
		}
		if err := saveFile(ctx, tx, id, file); err != nil {
			return err
		}
		if err := places.SetItemTags(ctx, tx, "submission", id, tags); err != nil {
			return err
		}
		if err := addSubEvent(ctx, tx, id, now, by, action, ""); err != nil {
			return err
		}
		return s.runSubHook(ctx, tx, id, hook)
	})
}

// ReturnSubmission sends a submission back to its organisation with a note.
func (s *Service) ReturnSubmission(ctx context.Context, id int64, by Actor, note string, hook SubmissionHook) error {
	note, err := cleanText("note", note, maxStatement)
	if err != nil {
		return err
	}
	if note == "" {
		return errs.Invalid("note", "Write a note saying what should change.")
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var state string
		err := tx.QueryRowContext(ctx, "SELECT state FROM member_submissions WHERE id = $1", id).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("submission %d: %w", id, err)
		}
		if state != SubSubmitted {
			return errs.Invalid("state", "Only a submission waiting for review can be returned.")
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, "UPDATE member_submissions SET state = $1, review_note = $2, reviewer_id = $3, reviewed_at = $4, updated_at = $4 WHERE id = $5",
			SubReturned, note, by.id(), now, id); err != nil {
			return fmt.Errorf("submission %d: %w", id, err)
		}
		if err := addSubEvent(ctx, tx, id, now, by, SubReturned, note); err != nil {
			return err
		}
		return s.runSubHook(ctx, tx, id, hook)
	})
}

// ApproveSubmission publishes a submission: through the Publisher when one is set,
// otherwise as this package's own page (/members/<slug>/news/<id> or
// /members/<slug>/documents/<id>). Publication, state and the hook's e-mail
// happen in one transaction.
func (s *Service) ApproveSubmission(ctx context.Context, id int64, by Actor, hook SubmissionHook) (Submission, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		sub, err := s.submission(ctx, tx, id)
		if err != nil {
			return err
		}
		if sub.State != SubSubmitted {
			return errs.Invalid("state", "Only a submission waiting for review can be approved.")
		}
		org, err := s.scanOrg(tx.QueryRowContext(ctx, "SELECT "+orgCols+orgFrom+" WHERE o.id = $1", sub.OrganisationID))
		if err != nil {
			return fmt.Errorf("organisation %d: %w", sub.OrganisationID, err)
		}
		var url string
		switch {
		case s.Publisher != nil && sub.Kind == KindNews:
			url, err = s.Publisher.PublishNews(ctx, tx, sub, org)
		case s.Publisher != nil:
			var f File
			if f, err = s.file(ctx, tx, id); err == nil {
				url, err = s.Publisher.PublishDocument(ctx, tx, sub, f, org)
			}
		case sub.Kind == KindNews:
			url = "/members/" + org.Slug + "/news/" + strconv.FormatInt(id, 10)
		default:
			url = "/members/" + org.Slug + "/documents/" + strconv.FormatInt(id, 10)
		}
		if err != nil {
			return fmt.Errorf("publish submission %d: %w", id, err)
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE member_submissions SET state = $1, reviewer_id = $2, reviewed_at = $3, updated_at = $3,
			published_url = $4, published_at = $3, review_note = '' WHERE id = $5`, SubApproved, by.id(), now, url, id); err != nil {
			return fmt.Errorf("submission %d: %w", id, err)
		}
		if err := addSubEvent(ctx, tx, id, now, by, SubApproved, ""); err != nil {
			return err
		}
		return s.runSubHook(ctx, tx, id, hook)
	})
	if err != nil {
		return Submission{}, err
	}
	return s.Submission(ctx, id)
}

const subCols = `s.id, s.organisation_id, o.name, o.slug, COALESCE(s.submitted_by, 0), COALESCE(u.name, ''), COALESCE(u.email, ''),
	s.kind, s.title, s.summary, s.body, s.members_only, s.state, s.review_note, COALESCE(s.reviewer_id, 0), s.reviewed_at,
	s.published_url, s.published_at, s.created_at, s.updated_at, f.name, f.content_type, f.size, f.sha256`

const subFrom = ` FROM member_submissions s JOIN organisations o ON o.id = s.organisation_id
	LEFT JOIN users u ON u.id = s.submitted_by LEFT JOIN member_submission_files f ON f.submission_id = s.id`

func scanSub(row interface{ Scan(...any) error }) (Submission, error) {
	var s Submission
	var reviewed, published sql.NullTime
	var fname, ftype, fsum sql.NullString
	var fsize sql.NullInt64
	err := row.Scan(&s.ID, &s.OrganisationID, &s.OrgName, &s.OrgSlug, &s.SubmittedBy, &s.SubmitterName, &s.SubmitterEmail,
		&s.Kind, &s.Title, &s.Summary, &s.Body, &s.MembersOnly, &s.State, &s.ReviewNote, &s.ReviewerID, &reviewed,
		&s.PublishedURL, &published, &s.CreatedAt, &s.UpdatedAt, &fname, &ftype, &fsize, &fsum)
	if errors.Is(err, sql.ErrNoRows) {
		return Submission{}, errs.ErrNotFound
	}
	if err != nil {
		return Submission{}, err
	}
	if reviewed.Valid {
		s.ReviewedAt = reviewed.Time
	}
	if published.Valid {
		s.PublishedAt = published.Time
	}
	if fname.Valid {
		s.File = &FileInfo{Name: fname.String, ContentType: ftype.String, Size: fsize.Int64, SHA256: fsum.String}
	}
	if s.SubmitterName == "" {
		s.SubmitterName = s.SubmitterEmail
	}
	return s, nil
}

func (s *Service) submission(ctx context.Context, q querier, id int64) (Submission, error) {
	sub, err := scanSub(q.QueryRowContext(ctx, "SELECT "+subCols+subFrom+" WHERE s.id = $1", id))
	if err != nil {
		if !errors.Is(err, errs.ErrNotFound) {
			err = fmt.Errorf("submission %d: %w", id, err)
		}
		return Submission{}, err
	}
	rows, err := q.QueryContext(ctx, `SELECT t.id, t.kind, t.slug, t.name, t.code, COALESCE(t.parent_id, 0)
		FROM item_tags it JOIN tags t ON t.id = it.tag_id WHERE it.item_type = 'submission' AND it.item_id = $1 ORDER BY t.kind, t.name`, id)
	if err != nil {
		return Submission{}, fmt.Errorf("submission %d tags: %w", id, err)
	}
	for rows.Next() {
		var t places.Tag
		if err := rows.Scan(&t.ID, &t.Kind, &t.Slug, &t.Name, &t.Code, &t.ParentID); err != nil {
			rows.Close()
			return Submission{}, fmt.Errorf("submission %d tags: %w", id, err)
		}
		sub.Tags = append(sub.Tags, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Submission{}, fmt.Errorf("submission %d tags: %w", id, err)
	}
	rows, err = q.QueryContext(ctx, `SELECT at, COALESCE(actor_id, 0), actor_name, action, note FROM member_submission_events
		WHERE submission_id = $1 ORDER BY at, id`, id)
	if err != nil {
		return Submission{}, fmt.Errorf("submission %d events: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.At, &e.ActorID, &e.ActorName, &e.Action, &e.Note); err != nil {
			return Submission{}, fmt.Errorf("submission %d events: %w", id, err)
		}
		sub.Events = append(sub.Events, e)
	}
	return sub, rows.Err()
}

// Submission returns one submission with its tags and history.
func (s *Service) Submission(ctx context.Context, id int64) (Submission, error) {
	return s.submission(ctx, s.db.R, id)
}

func (s *Service) listSubs(ctx context.Context, where string, args ...any) ([]Submission, error) {
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+subCols+subFrom+" WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list submissions: %w", err)
	}
	defer rows.Close()
	var out []Submission
	for rows.Next() {
		sub, err := scanSub(rows)
		if err != nil {
			return nil, fmt.Errorf("list submissions: %w", err)
		}
		out = append(out, sub)
	}
	return out, rows.Err()
}

// SubmissionsOf lists an organisation's submissions, newest first.
func (s *Service) SubmissionsOf(ctx context.Context, orgID int64) ([]Submission, error) {
	return s.listSubs(ctx, "s.organisation_id = $1 ORDER BY s.created_at DESC, s.id DESC", orgID)
}

// Queue lists submissions in a state (default: waiting for review, oldest
// first; "all": everything, newest first).
func (s *Service) Queue(ctx context.Context, state string) ([]Submission, error) {
	switch state {
	case "", SubSubmitted:
		return s.listSubs(ctx, "s.state = 'submitted' ORDER BY s.updated_at, s.id")
	case SubReturned, SubApproved:
		return s.listSubs(ctx, "s.state = $1 ORDER BY s.updated_at DESC, s.id DESC LIMIT 200", state)
	default:
		return s.listSubs(ctx, "1 = 1 ORDER BY s.updated_at DESC, s.id DESC LIMIT 200")
	}
}

// CountQueue counts the submissions waiting for review.
func (s *Service) CountQueue(ctx context.Context) (int, error) {
	var n int
	err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM member_submissions WHERE state = 'submitted'").Scan(&n)
	return n, err
}

// Published lists an organisation's approved submissions that were
// published as this package's own pages (no Publisher), newest first;
// members-only ones only when withMembersOnly.
func (s *Service) Published(ctx context.Context, orgID int64, withMembersOnly bool, limit int) ([]Submission, error) {
	q := "s.organisation_id = $1 AND s.state = 'approved'"
	if !withMembersOnly {
		q += " AND s.members_only = FALSE"
	}
	return s.listSubs(ctx, q+" ORDER BY s.published_at DESC, s.id DESC LIMIT $2", orgID, limit)
}

// MembersOnlyNews lists the members-only items published as this package's
// own pages, newest first (shown in the member area).
func (s *Service) MembersOnlyNews(ctx context.Context, limit int) ([]Submission, error) {
	return s.listSubs(ctx, "s.state = 'approved' AND s.members_only = TRUE AND s.published_url LIKE '/members/%' ORDER BY s.published_at DESC, s.id DESC LIMIT $1", limit)
}

func (s *Service) file(ctx context.Context, q querier, id int64) (File, error) {
	var f File
	err := q.QueryRowContext(ctx, "SELECT name, content_type, size, sha256, data FROM member_submission_files WHERE submission_id = $1", id).
		Scan(&f.Name, &f.ContentType, &f.Size, &f.SHA256, &f.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return File{}, errs.ErrNotFound
	}
	if err != nil {
		return File{}, fmt.Errorf("file of submission %d: %w", id, err)
	}
	return f, nil
}

// SubmissionFile returns a submission's file.
func (s *Service) SubmissionFile(ctx context.Context, id int64) (File, error) {
	return s.file(ctx, s.db.R, id)
}

// PublishedForTags lists approved submissions published as this package's
// own pages and filed under any of the tags (e.g. a crisis), newest first.
func (s *Service) PublishedForTags(ctx context.Context, tagIDs []int64, withMembersOnly bool, limit int) ([]Submission, error) {
	if len(tagIDs) == 0 {
		return nil, nil
	}
	args := []any{limit}
	ph := make([]string, len(tagIDs))
	for i, id := range tagIDs {
		args = append(args, id)
		ph[i] = "$" + strconv.Itoa(i+2)
	}
	q := `s.state = 'approved' AND s.published_url LIKE '/members/%' AND o.public = TRUE AND s.id IN
		(SELECT item_id FROM item_tags WHERE item_type = 'submission' AND tag_id IN (` + strings.Join(ph, ", ") + `))`
	if !withMembersOnly {
		q += " AND s.members_only = FALSE"
	}
	return s.listSubs(ctx, q+" ORDER BY s.published_at DESC, s.id DESC LIMIT $1", args...)
}

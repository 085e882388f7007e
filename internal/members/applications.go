package members

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/errs"
)

// Application states.
const (
	AppSubmitted     = "submitted"      // waiting for the secretariat
	AppInfoRequested = "info_requested" // the secretariat asked the applicant for more
	AppApproved      = "approved"
	AppRejected      = "rejected"
)

// Application is a request to join the coalition.
type Application struct {
	ID             int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
	OrgName        string
	Website        string
	Country        string // ISO alpha-3
	CountryName    string
	Description    string
	ContactName    string
	ContactEmail   string
	TierID         int64
	TierName       string
	Statement      string
	State          string
	OrganisationID int64 // once approved
	Events         []Event
}

// Open reports whether staff can still act on the application.
func (a Application) Open() bool { return a.State == AppSubmitted || a.State == AppInfoRequested }

// LastNote is the latest note the secretariat wrote to the applicant.
func (a Application) LastNote() string {
	for i := len(a.Events) - 1; i >= 0; i-- {
		switch a.Events[i].Action {
		case AppInfoRequested, AppRejected, AppApproved:
			return a.Events[i].Note
		}
	}
	return ""
}

// ApplicationInput is what an applicant fills in.
type ApplicationInput struct {
	OrgName      string
	Website      string
	Country      string
	Description  string
	ContactName  string
	ContactEmail string
	TierID       int64
	Statement    string
}

func (s *Service) cleanApplication(ctx context.Context, in ApplicationInput) (ApplicationInput, error) {
	var err error
	if in.OrgName, err = cleanName("org_name", in.OrgName); err != nil {
		return in, err
	}
	if in.Website, err = cleanWebsite("website", in.Website); err != nil {
		return in, err
	}
	if in.Country, err = s.cleanCountry("country", in.Country, true); err != nil {
		return in, err
	}
	if in.Description, err = cleanText("description", in.Description, maxDescription); err != nil {
		return in, err
	}
	in.ContactName = strings.Join(strings.Fields(in.ContactName), " ")
	if in.ContactName == "" {
		return in, errs.Invalid("contact_name", "Enter the name of the person we should contact.")
	}
	if len(in.ContactName) > maxName {
		return in, errs.Invalid("contact_name", "Use at most 200 characters.")
	}
	if in.ContactEmail, err = accounts.NormalizeEmail(in.ContactEmail); err != nil {
		return in, errs.Invalid("contact_email", "Enter a valid e-mail address, like name@example.org.")
	}
	if err := tierExists(ctx, s.db.R, in.TierID); err != nil {
		return in, err
	}
	if in.Statement, err = cleanText("statement", in.Statement, maxStatement); err != nil {
		return in, err
	}
	if len([]rune(in.Statement)) < 20 {
		return in, errs.Invalid("statement", "Tell us in a few sentences why your organisation wants to join (at least 20 characters).")
	}
	return in, nil
}

// ApplicationHook runs inside the transaction of a change to an application,
// after it is written; the web layer queues e-mail with it.
type ApplicationHook func(ctx context.Context, tx *sql.Tx, a Application) error

func addAppEvent(ctx context.Context, tx *sql.Tx, appID int64, at time.Time, by Actor, action, note string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO member_application_events (application_id, at, actor_id, actor_name, action, note)
		VALUES ($1, $2, $3, $4, $5, $6)`, appID, at, by.id(), clipBytes(by.Name, 200), action, note)
	if err != nil {
		return fmt.Errorf("application %d event: %w", appID, err)
	}
	return nil
}

// Apply records an application.
func (s *Service) Apply(ctx context.Context, in ApplicationInput, hook ApplicationHook) (Application, error) {
	in, err := s.cleanApplication(ctx, in)
	if err != nil {
		return Application{}, err
	}
	var id int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		err := tx.QueryRowContext(ctx, `INSERT INTO member_applications (created_at, updated_at, org_name, website, country, description,
			contact_name, contact_email, tier_id, statement, state) VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			now, in.OrgName, in.Website, in.Country, in.Description, in.ContactName, in.ContactEmail, in.TierID, in.Statement, AppSubmitted).Scan(&id)
		if err != nil {
			return fmt.Errorf("save application: %w", err)
		}
		if err := addAppEvent(ctx, tx, id, now, Actor{Name: in.ContactName}, AppSubmitted, ""); err != nil {
			return err
		}
		return s.runAppHook(ctx, tx, id, hook)
	})
	if err != nil {
		return Application{}, err
	}
	return s.Application(ctx, id)
}

func (s *Service) runAppHook(ctx context.Context, tx *sql.Tx, id int64, hook ApplicationHook) error {
	if hook == nil {
		return nil
	}
	a, err := s.application(ctx, tx, id)
	if err != nil {
		return err
	}
	return hook(ctx, tx, a)
}

type querier interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

const appCols = `a.id, a.created_at, a.updated_at, a.org_name, a.website, a.country, a.description, a.contact_name, a.contact_email,
	COALESCE(a.tier_id, 0), COALESCE(t.name, ''), a.statement, a.state, COALESCE(a.organisation_id, 0)`

func (s *Service) scanApp(row interface{ Scan(...any) error }) (Application, error) {
	var a Application
	err := row.Scan(&a.ID, &a.CreatedAt, &a.UpdatedAt, &a.OrgName, &a.Website, &a.Country, &a.Description, &a.ContactName, &a.ContactEmail,
		&a.TierID, &a.TierName, &a.Statement, &a.State, &a.OrganisationID)
	if errors.Is(err, sql.ErrNoRows) {
		return Application{}, errs.ErrNotFound
	}
	if err != nil {
		return Application{}, err
	}
	if c, ok := s.places.Gaz.Country(a.Country); ok {
		a.CountryName = c.Name
	}
	return a, nil
}

func (s *Service) application(ctx context.Context, q querier, id int64) (Application, error) {
	a, err := s.scanApp(q.QueryRowContext(ctx, "SELECT "+appCols+" FROM member_applications a LEFT JOIN member_tiers t ON t.id = a.tier_id WHERE a.id = $1", id))
	if err != nil {
		if !errors.Is(err, errs.ErrNotFound) {
			err = fmt.Errorf("application %d: %w", id, err)
		}
		return Application{}, err
	}
	rows, err := q.QueryContext(ctx, `SELECT at, COALESCE(actor_id, 0), actor_name, action, note FROM member_application_events
		WHERE application_id = $1 ORDER BY at, id`, id)
	if err != nil {
		return Application{}, fmt.Errorf("application %d events: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.At, &e.ActorID, &e.ActorName, &e.Action, &e.Note); err != nil {
			return Application{}, fmt.Errorf("application %d events: %w", id, err)
		}
		a.Events = append(a.Events, e)
	}
	return a, rows.Err()
}

// Application returns one application with its history.
func (s *Service) Application(ctx context.Context, id int64) (Application, error) {
	return s.application(ctx, s.db.R, id)
}

// Applications lists applications in a state ("" for all open ones), oldest first.
func (s *Service) Applications(ctx context.Context, state string) ([]Application, error) {
	q := "SELECT " + appCols + " FROM member_applications a LEFT JOIN member_tiers t ON t.id = a.tier_id"
	var args []any
	switch state {
	case "":
		q += " WHERE a.state IN ('submitted', 'info_requested') ORDER BY a.created_at, a.id"
	case "all":
		q += " ORDER BY a.created_at DESC, a.id DESC"
	default:
		q += " WHERE a.state = $1 ORDER BY a.updated_at DESC, a.id DESC"
		args = append(args, state)
	}
	rows, err := s.db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list applications: %w", err)
	}
	defer rows.Close()
	var out []Application
	for rows.Next() {
		a, err := s.scanApp(rows)
		if err != nil {
			return nil, fmt.Errorf("list applications: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// CountOpenApplications counts applications waiting for staff.
func (s *Service) CountOpenApplications(ctx context.Context) (int, error) {
	var n int
	err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM member_applications WHERE state = 'submitted'").Scan(&n)
	return n, err
}

// transition moves an open application to state with a note from by.
func (s *Service) transition(ctx context.Context, id int64, by Actor, from []string, to, note string, needNote bool, hook ApplicationHook) error {
	note, err := cleanText("note", note, maxStatement)
	if err != nil {
		return err
	}
	if needNote && note == "" {
		return errs.Invalid("note", "Write a note for the applicant.")
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var state string
		err := tx.QueryRowContext(ctx, "SELECT state FROM member_applications WHERE id = $1", id).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("application %d: %w", id, err)
		}
		ok := false
		for _, f := range from {
			ok = ok || f == state
		}
		if !ok {
			return errs.Invalid("state", "This application has already been decided.")
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, "UPDATE member_applications SET state = $1, updated_at = $2 WHERE id = $3", to, now, id); err != nil {
			return fmt.Errorf("application %d: %w", id, err)
		}
		if err := addAppEvent(ctx, tx, id, now, by, to, note); err != nil {
			return err
		}
		return s.runAppHook(ctx, tx, id, hook)
	})
}

// RequestInfo asks the applicant for more information.
func (s *Service) RequestInfo(ctx context.Context, id int64, by Actor, note string, hook ApplicationHook) error {
	return s.transition(ctx, id, by, []string{AppSubmitted, AppInfoRequested}, AppInfoRequested, note, true, hook)
}

// Reject turns an application down with a note to the applicant.
func (s *Service) Reject(ctx context.Context, id int64, by Actor, note string, hook ApplicationHook) error {
	return s.transition(ctx, id, by, []string{AppSubmitted, AppInfoRequested}, AppRejected, note, true, hook)
}

// Answer records the applicant's reply to a request for more information,
// with their corrected details, and puts the application back in the queue.
func (s *Service) Answer(ctx context.Context, id int64, in ApplicationInput, answer string, hook ApplicationHook) error {
	in, err := s.cleanApplication(ctx, in)
	if err != nil {
		return err
	}
	answer, err = cleanText("answer", answer, maxStatement)
	if err != nil {
		return err
	}
	if answer == "" {
		return errs.Invalid("answer", "Write your answer to the secretariat's question.")
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var state string
		err := tx.QueryRowContext(ctx, "SELECT state FROM member_applications WHERE id = $1", id).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("application %d: %w", id, err)
		}
		if state != AppInfoRequested {
			return errs.Invalid("state", "This application is not waiting for an answer.")
		}
		now := s.now()
		_, err = tx.ExecContext(ctx, `UPDATE member_applications SET org_name = $1, website = $2, country = $3, description = $4, contact_name = $5,
			contact_email = $6, tier_id = $7, statement = $8, state = $9, updated_at = $10 WHERE id = $11`,
			in.OrgName, in.Website, in.Country, in.Description, in.ContactName, in.ContactEmail, in.TierID, in.Statement, AppSubmitted, now, id)
		if err != nil {
			return fmt.Errorf("application %d: %w", id, err)
		}
		if err := addAppEvent(ctx, tx, id, now, Actor{Name: in.ContactName}, "answered", answer); err != nil {
			return err
		}
		return s.runAppHook(ctx, tx, id, hook)
	})
}

// Approval is the outcome of approving an application: the new organisation
// and the invitation of its contact person, who administers it.
type Approval struct {
	Application  Application
	Organisation Organisation
	Invite       Invite
}

// ApprovalHook runs inside the approval's transaction; the web layer queues
// the welcome e-mail with the invitation link.
type ApprovalHook func(ctx context.Context, tx *sql.Tx, ap Approval) error

// ApproveApplication creates the organisation (public, in the tier asked for), invites
// the contact person as its admin, and closes the application — all in one
// transaction, with the hook's e-mail.
func (s *Service) ApproveApplication(ctx context.Context, id int64, by Actor, note string, hook ApprovalHook) (Approval, error) {
	note, err := cleanText("note", note, maxStatement)
	if err != nil {
		return Approval{}, err
	}
	var ap Approval
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		a, err := s.application(ctx, tx, id)
		if err != nil {
			return err
		}
		if !a.Open() {
			return errs.Invalid("state", "This application has already been decided.")
		}
		orgID, err := s.createTx(ctx, tx, OrgInput{Name: a.OrgName, Description: a.Description, Website: a.Website, Country: a.Country,
			ContactEmail: a.ContactEmail, TierID: a.TierID, Public: true})
		if ie, ok := errs.AsInvalid(err); ok {
			return errs.Invalid(ie.Field, "The application cannot be approved as it stands ("+ie.Msg+") Ask the applicant to correct it.")
		}
		if err != nil {
			return err
		}
		inv, err := s.inviteTx(ctx, tx, orgID, a.ContactEmail, a.ContactName, true)
		if err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, "UPDATE member_applications SET state = $1, organisation_id = $2, updated_at = $3 WHERE id = $4",
			AppApproved, orgID, now, id); err != nil {
			return fmt.Errorf("application %d: %w", id, err)
		}
		if err := addAppEvent(ctx, tx, id, now, by, AppApproved, note); err != nil {
			return err
		}
		if ap.Application, err = s.application(ctx, tx, id); err != nil {
			return err
		}
		if ap.Organisation, err = s.scanOrg(tx.QueryRowContext(ctx, "SELECT "+orgCols+orgFrom+" WHERE o.id = $1", orgID)); err != nil {
			return fmt.Errorf("organisation %d: %w", orgID, err)
		}
		ap.Invite = inv
		if hook != nil {
			return hook(ctx, tx, ap)
		}
		return nil
	})
	if err != nil {
		return Approval{}, err
	}
	return ap, nil
}

// ApplicationRef is the stable reference printed in e-mails ("A-12").
func ApplicationRef(id int64) string { return "A-" + strconv.FormatInt(id, 10) }

package crises

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"

	"coalition/internal/errs"
	"coalition/internal/slug"
)

// Statuses lists the status scale, gravest first, with how many crises
// (published or not) have each status.
func (s *Service) Statuses(ctx context.Context) ([]Status, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT st.id, st.slug, st.name, st.description, st.gravity, st.colour,
		(SELECT COUNT(*) FROM crises c WHERE c.status_id = st.id) FROM crisis_statuses st ORDER BY st.gravity, st.id`)
	if err != nil {
		return nil, fmt.Errorf("list statuses: %w", err)
	}
	defer rows.Close()
	var out []Status
	for rows.Next() {
		var st Status
		if err := rows.Scan(&st.ID, &st.Slug, &st.Name, &st.Description, &st.Gravity, &st.Colour, &st.Crises); err != nil {
			return nil, fmt.Errorf("list statuses: %w", err)
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// StatusInput is an edited status.
type StatusInput struct {
	Name        string
	Description string
	Gravity     int    // 1 is the gravest
	Colour      string // #rrggbb
}

func cleanStatus(in StatusInput) (StatusInput, error) {
	var err error
	if in.Name, err = oneLine("name", in.Name, 80, "a name"); err != nil {
		return in, err
	}
	if in.Description, err = cleanText("description", in.Description, 1000); err != nil {
		return in, err
	}
	if in.Gravity < 1 || in.Gravity > 99 {
		return in, errs.Invalid("gravity", "Give the order of gravity as a number from 1 (the gravest) to 99.")
	}
	in.Colour = strings.ToLower(strings.TrimSpace(in.Colour))
	if !colourRe.MatchString(in.Colour) {
		return in, errs.Invalid("colour", "Give the colour as # and six hexadecimal digits, like #a4161a.")
	}
	return in, nil
}

// CreateStatus adds a status to the scale.
func (s *Service) CreateStatus(ctx context.Context, in StatusInput) (Status, error) {
	in, err := cleanStatus(in)
	if err != nil {
		return Status{}, err
	}
	st := Status{Name: in.Name, Description: in.Description, Gravity: in.Gravity, Colour: in.Colour}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		base := slug.Make(in.Name, 60)
		if base == "" || utf8.RuneCountInString(base) == 0 {
			base = "status"
		}
		st.Slug = base
		for i := 2; ; i++ {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM crisis_statuses WHERE slug = $1", st.Slug).Scan(&n); err != nil {
				return fmt.Errorf("check status slug: %w", err)
			}
			if n == 0 {
				break
			}
			st.Slug = fmt.Sprintf("%s-%d", base, i)
		}
		return tx.QueryRowContext(ctx, "INSERT INTO crisis_statuses (slug, name, description, gravity, colour) VALUES ($1, $2, $3, $4, $5) RETURNING id",
			st.Slug, st.Name, st.Description, st.Gravity, st.Colour).Scan(&st.ID)
	})
	if err != nil {
		return Status{}, fmt.Errorf("create status: %w", err)
	}
	return st, nil
}

// UpdateStatus changes a status (its slug, used for the map's colours, stays).
func (s *Service) UpdateStatus(ctx context.Context, id int64, in StatusInput) error {
	in, err := cleanStatus(in)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE crisis_statuses SET name = $1, description = $2, gravity = $3, colour = $4 WHERE id = $5",
			in.Name, in.Description, in.Gravity, in.Colour, id)
		if err != nil {
			return fmt.Errorf("update status %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ErrNotFound
		}
		return nil
	})
}

// DeleteStatus removes a status that no crisis has.
func (s *Service) DeleteStatus(ctx context.Context, id int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM crises WHERE status_id = $1", id).Scan(&n); err != nil {
			return fmt.Errorf("delete status %d: %w", id, err)
		}
		if n > 0 {
			return errs.Invalid("status", "Crises still have this status; give them another status first.")
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM crisis_statuses WHERE id = $1", id)
		if err != nil {
			return fmt.Errorf("delete status %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ErrNotFound
		}
		return nil
	})
}

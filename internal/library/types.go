package library

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/slug"
)

// CreateType adds a document type named name.
func (s *Service) CreateType(ctx context.Context, name string) (Type, error) {
	name = strings.Join(strings.Fields(name), " ")
	if name == "" || utf8.RuneCountInString(name) > 60 {
		return Type{}, errs.Invalid("name", "Enter a name of 1 to 60 characters.")
	}
	sl := slug.Make(name, 40)
	if !slug.Valid(sl) {
		return Type{}, errs.Invalid("name", "Use letters or digits in the name.")
	}
	var t Type
	err := s.db.W.QueryRowContext(ctx, `INSERT INTO document_types (slug, name, position)
		VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM document_types WHERE position < 99)) RETURNING id, slug, name, position`, sl, name).
		Scan(&t.ID, &t.Slug, &t.Name, &t.Position)
	if db.IsUnique(err) {
		return Type{}, errs.Invalid("name", "There is already a type with that name.")
	}
	if err != nil {
		return Type{}, db.Classify(fmt.Errorf("create type: %w", err))
	}
	return t, nil
}

// RenameType changes a type's name (its slug, part of URLs, stays).
func (s *Service) RenameType(ctx context.Context, id int64, name string) error {
	name = strings.Join(strings.Fields(name), " ")
	if name == "" || utf8.RuneCountInString(name) > 60 {
		return errs.Invalid("name", "Enter a name of 1 to 60 characters.")
	}
	res, err := s.db.W.ExecContext(ctx, "UPDATE document_types SET name = $1 WHERE id = $2", name, id)
	if err != nil {
		return db.Classify(fmt.Errorf("rename type: %w", err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.ErrNotFound
	}
	return nil
}

// DeleteType removes a type no document uses.
func (s *Service) DeleteType(ctx context.Context, id int64) error {
	var sl string
	var n int
	err := s.db.R.QueryRowContext(ctx, `SELECT t.slug, (SELECT COUNT(*) FROM documents d WHERE d.type = t.slug) FROM document_types t WHERE t.id = $1`, id).Scan(&sl, &n)
	if err != nil {
		return errs.ErrNotFound
	}
	if n > 0 {
		return errs.Invalid("type", fmt.Sprintf("%d documents have this type: give them another type first.", n))
	}
	if _, err := s.db.W.ExecContext(ctx, "DELETE FROM document_types WHERE id = $1", id); err != nil {
		return db.Classify(fmt.Errorf("delete type: %w", err))
	}
	return nil
}

package content

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/render"
	"coalition/internal/slug"
)

// Category groups articles: News, Statements, Newsletters, …
type Category struct {
	ID          int64
	Slug        string // part of URLs; fixed once created
	Name        string
	Description string
	Position    int
	TOC         bool // articles get an automatic "In this issue" contents list
	Articles    int  // how many articles it holds (any status)
}

// Path is the category's listing.
func (c Category) Path() string { return "/category/" + c.Slug }

const categoryCols = "c.id, c.slug, c.name, c.description, c.position, c.toc"

func scanCategory(row interface{ Scan(...any) error }, extra ...any) (Category, error) {
	var c Category
	err := row.Scan(append([]any{&c.ID, &c.Slug, &c.Name, &c.Description, &c.Position, &c.TOC}, extra...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errs.ErrNotFound
	}
	return c, err
}

// Categories lists every category in display order, with article counts.
func (s *Service) Categories(ctx context.Context) ([]Category, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+categoryCols+`, (SELECT COUNT(*) FROM articles a WHERE a.category_id = c.id)
		FROM categories c ORDER BY c.position, c.name`)
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	defer rows.Close()
	var out []Category
	for rows.Next() {
		var n int
		c, err := scanCategory(rows, &n)
		if err != nil {
			return nil, fmt.Errorf("list categories: %w", err)
		}
		c.Articles = n
		out = append(out, c)
	}
	return out, rows.Err()
}

// Category returns one category by id.
func (s *Service) Category(ctx context.Context, id int64) (Category, error) {
	c, err := scanCategory(s.db.R.QueryRowContext(ctx, "SELECT "+categoryCols+" FROM categories c WHERE c.id = $1", id))
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		return c, fmt.Errorf("category %d: %w", id, err)
	}
	return c, err
}

// CategoryBySlug returns one category by slug.
func (s *Service) CategoryBySlug(ctx context.Context, slugv string) (Category, error) {
	c, err := scanCategory(s.db.R.QueryRowContext(ctx, "SELECT "+categoryCols+" FROM categories c WHERE c.slug = $1", slugv))
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		return c, fmt.Errorf("category %s: %w", slugv, err)
	}
	return c, err
}

func (c *Category) validate() error {
	c.Name = strings.TrimSpace(c.Name)
	c.Description = strings.TrimSpace(c.Description)
	if c.Name == "" || utf8.RuneCountInString(c.Name) > 80 {
		return errs.Invalid("name", "Enter a name of 1 to 80 characters.")
	}
	if render.ContainsEmail(c.Name + " " + c.Description) {
		return errs.Invalid("description", "Leave e-mail addresses out of category names and descriptions.")
	}
	if utf8.RuneCountInString(c.Description) > 500 {
		return errs.Invalid("description", "Use at most 500 characters for the description.")
	}
	if c.Position < 0 || c.Position > 10000 {
		return errs.Invalid("position", "Enter a position from 0 to 10000.")
	}
	return nil
}

// SaveCategory creates a category (ID 0; the slug is made from the name when
// empty) or updates one's name, description, position and contents setting.
func (s *Service) SaveCategory(ctx context.Context, c Category) (Category, error) {
	if err := c.validate(); err != nil {
		return c, err
	}
	if c.ID == 0 {
		c.Slug = strings.TrimSpace(c.Slug)
		if c.Slug == "" {
			c.Slug = slug.Make(c.Name, 60)
		}
		if !slug.Valid(c.Slug) {
			return c, errs.Invalid("slug", "Use lower-case letters, digits and hyphens for the address.")
		}
		err := s.db.W.QueryRowContext(ctx, `INSERT INTO categories (slug, name, description, position, toc, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, c.Slug, c.Name, c.Description, c.Position, c.TOC, s.now()).Scan(&c.ID)
		if db.IsUnique(err) {
			return c, errs.Invalid("slug", "Another category already has this address; choose another name or address.")
		}
		if err != nil {
			return c, fmt.Errorf("create category: %w", db.Classify(err))
		}
		return c, nil
	}
	res, err := s.db.W.ExecContext(ctx, "UPDATE categories SET name = $1, description = $2, position = $3, toc = $4 WHERE id = $5",
		c.Name, c.Description, c.Position, c.TOC, c.ID)
	if err != nil {
		return c, fmt.Errorf("update category %d: %w", c.ID, db.Classify(err))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return c, errs.ErrNotFound
	}
	return s.Category(ctx, c.ID)
}

// DeleteCategory removes an empty category; one that still holds articles
// is refused with a message saying so.
func (s *Service) DeleteCategory(ctx context.Context, id int64) error {
	c, err := s.Category(ctx, id)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM articles WHERE category_id = $1", id).Scan(&n); err != nil {
			return fmt.Errorf("count articles of category %d: %w", id, err)
		}
		if n > 0 {
			return errs.Invalid("category", fmt.Sprintf("“%s” still holds %d articles. Move them to another category first.", c.Name, n))
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM categories WHERE id = $1", id); err != nil {
			return fmt.Errorf("delete category %d: %w", id, err)
		}
		return nil
	})
}

// EnsureCategoryTx returns the id of the category with slug, creating it
// (named name, last in the menu) inside the caller's transaction if there is
// none. Member news needs a category even on a site whose editors have not
// made one.
func (s *Service) EnsureCategoryTx(ctx context.Context, tx *sql.Tx, slugv, name string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, "SELECT id FROM categories WHERE slug = $1", slugv).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("category %s: %w", slugv, err)
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO categories (slug, name, position, created_at)
		VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM categories), $3) RETURNING id`, slugv, name, s.now()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("create category %s: %w", slugv, err)
	}
	return id, nil
}

// Package errs holds the error values that domain packages return and that the
// web layer maps to HTTP status codes. Domain code never imports net/http.
package errs

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned when a lookup finds nothing.
var ErrNotFound = errors.New("not found")

// ErrForbidden is returned when the caller may not do what it asked.
var ErrForbidden = errors.New("forbidden")

// ErrConflict is returned when a write would break a uniqueness rule.
var ErrConflict = errors.New("conflict")

// ErrUnavailable is returned when a dependency (the database, the disk) cannot
// take writes right now; the caller should retry later.
var ErrUnavailable = errors.New("temporarily unavailable")

// InvalidError reports user input that cannot be accepted, naming the field so
// that forms can show the message next to it.
type InvalidError struct {
	Field string
	Msg   string
}

// Error implements error.
func (e *InvalidError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return fmt.Sprintf("%s: %s", e.Field, e.Msg)
}

// Invalid returns an *InvalidError for field with a human-readable message.
func Invalid(field, msg string) error { return &InvalidError{Field: field, Msg: msg} }

// AsInvalid reports whether err is (or wraps) an *InvalidError and returns it.
func AsInvalid(err error) (*InvalidError, bool) {
	var ie *InvalidError
	if errors.As(err, &ie) {
		return ie, true
	}
	return nil, false
}

package delivery

import (
	"errors"
	"fmt"
)

// ErrInvalidConfig reports a Config that New cannot use; the error names the field.
var ErrInvalidConfig = errors.New("delivery: invalid config")

func invalid(field, why string) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, why)
}

// StatusError reports an inbox that answered a delivery with a status other than 2xx.
type StatusError struct {
	// Inbox is where the activity was posted.
	Inbox string
	// Code is the HTTP status code.
	Code int
}

// Error names the inbox and its answer.
func (e *StatusError) Error() string {
	return fmt.Sprintf("delivery: %s answered %d", e.Inbox, e.Code)
}

var errBadInbox = errors.New("not a valid http(s) URL")

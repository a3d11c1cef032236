package streamable

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel causes of decode failures. An *Error wraps one of these (or a
// more specific error that wraps one), so callers can test with errors.Is.
var (
	// ErrUnexpectedEOF means the input ended inside a value.
	ErrUnexpectedEOF = errors.New("unexpected end of input")
	// ErrInvalidBool means a bool byte was neither 0 nor 1.
	ErrInvalidBool = errors.New("invalid bool")
	// ErrInvalidOptional means an Optional presence byte was not valid.
	ErrInvalidOptional = errors.New("invalid optional")
	// ErrInvalidUTF8 means a str field held invalid UTF-8.
	ErrInvalidUTF8 = errors.New("invalid UTF-8 in string")
	// ErrLengthTooLarge means a length or count prefix promised more data
	// than the input holds.
	ErrLengthTooLarge = errors.New("length prefix exceeds the remaining input")
	// ErrTrailingBytes means a top-level value did not use all its input.
	ErrTrailingBytes = errors.New("trailing bytes after value")
	// ErrInvalidValue means a field held a value its type does not allow
	// (an unknown version, an inconsistent packed option byte, ...).
	ErrInvalidValue = errors.New("invalid value")
	// ErrInvalidJSON means a JSON input did not have the expected shape.
	ErrInvalidJSON = errors.New("invalid JSON")
	// ErrMissingField means a JSON object lacked a field of the type.
	ErrMissingField = errors.New("missing field")
)

// Error is a decode or encode failure with the path of the field where it
// happened. Path elements are field names, or "[i]" for list elements.
//
// An Error does not change once made: Field and Index return a new Error
// with a longer path and leave the one they wrap as it was, so an Error may
// be formatted, inspected and wrapped from several goroutines at once.
type Error struct {
	// Path lists the fields from the outermost value inwards. It is
	// complete as soon as the Error is returned.
	Path []string
	// Err is the cause; it wraps one of the sentinel errors of this package.
	Err error
}

// Error renders the path and the cause, for example
// "RespondBlock.block.foliage: unexpected end of input".
func (e *Error) Error() string {
	path := e.FieldPath()
	if path == "" {
		return e.Err.Error()
	}
	return path + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// FieldPath returns the path as one dotted string.
func (e *Error) FieldPath() string {
	var sb strings.Builder
	for i, p := range e.Path {
		if i > 0 && !strings.HasPrefix(p, "[") {
			sb.WriteByte('.')
		}
		sb.WriteString(p)
	}
	return sb.String()
}

// Field records that err happened inside the field called name. It is
// called on the way out of nested decoders, so the innermost name is
// added first. If err is or wraps an *Error, the result is a new *Error
// with name put before that error's path and the same cause; otherwise it
// is a new *Error with err as its cause. err itself is never modified.
// It returns nil for a nil err.
func Field(err error, name string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		path := make([]string, 0, len(e.Path)+1)
		path = append(path, name)
		return &Error{Path: append(path, e.Path...), Err: e.Err}
	}
	return &Error{Path: []string{name}, Err: err}
}

// Index records that err happened in element i of a list.
func Index(err error, i int) error {
	return Field(err, "["+strconv.Itoa(i)+"]")
}

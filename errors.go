package distrisearch

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the API. Each kind maps to exactly one HTTP
// status in api's table.
type Kind string

// The error kinds. Their string values are stable: clients see them as the
// "code" of a JSON error unless a more specific code is set.
const (
	KindInvalid             Kind = "invalid"
	KindNotFound            Kind = "not_found"
	KindForbidden           Kind = "forbidden"
	KindUnauthorized        Kind = "unauthorized"
	KindConflict            Kind = "conflict"
	KindUnavailable         Kind = "unavailable"
	KindTooLarge            Kind = "too_large"
	KindRateLimited         Kind = "rate_limited"
	KindRangeNotSatisfiable Kind = "range_not_satisfiable"
	KindInternal            Kind = "internal"
)

// Error is the error type every package returns when the caller (finally a
// person) needs to know what went wrong. Code is a stable machine-readable
// identifier such as "bad_query"; Message is a sentence a person understands.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Op      string // the operation, e.g. "index.Search"
	Err     error  // the underlying error, if any
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if e.Op != "" {
		return e.Op + ": " + msg
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind and code with a formatted message.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of the first *Error in err's chain, or KindInternal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// CodeOf returns the code of the first *Error in err's chain; it falls back to
// the kind's name.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		if e.Code != "" {
			return e.Code
		}
		return string(e.Kind)
	}
	return string(KindInternal)
}

// MessageOf returns a message fit to show a person. Internal errors are not
// described, so nothing about the server's insides leaks.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind != KindInternal {
		if e.Message != "" {
			return e.Message
		}
		if e.Err != nil {
			return e.Err.Error()
		}
	}
	return "internal error"
}

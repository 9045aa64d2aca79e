package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/paraat-nl/paraat/engine"
)

// ErrorCode is a stable code for what a user sees; the UI translates codes to nl/en.
type ErrorCode string

// Error codes, documented in PROTOCOL.md.
const (
	EInvalid      ErrorCode = "invalid"
	EBadJSON      ErrorCode = "bad_json"
	ETooLarge     ErrorCode = "too_large"
	EUnauthorized ErrorCode = "unauthorized"
	EForbidden    ErrorCode = "forbidden"
	ENotFound     ErrorCode = "not_found"
	EExpired      ErrorCode = "expired"
	EClosed       ErrorCode = "closed"
	EDuplicate    ErrorCode = "duplicate"
	EConflict     ErrorCode = "conflict"
	ERateLimited  ErrorCode = "rate_limited"
	EUnavailable  ErrorCode = "unavailable"
	EOverloaded   ErrorCode = "overloaded"
	EInternal     ErrorCode = "internal"
)

// httpStatus maps every code to its HTTP status: the one table of PROTOCOL.md.
var httpStatus = map[ErrorCode]int{
	EInvalid:      http.StatusBadRequest,
	EBadJSON:      http.StatusBadRequest,
	ETooLarge:     http.StatusRequestEntityTooLarge,
	EUnauthorized: http.StatusUnauthorized,
	EForbidden:    http.StatusForbidden,
	ENotFound:     http.StatusNotFound,
	EExpired:      http.StatusGone,
	EClosed:       http.StatusConflict,
	EDuplicate:    http.StatusConflict,
	EConflict:     http.StatusConflict,
	ERateLimited:  http.StatusTooManyRequests,
	EUnavailable:  http.StatusServiceUnavailable,
	EOverloaded:   http.StatusServiceUnavailable,
	EInternal:     http.StatusInternalServerError,
}

// Status returns the HTTP status of a code.
func (c ErrorCode) Status() int {
	if s, ok := httpStatus[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Error is an error a user sees: a code and an English message. A refusal because of a limit
// also says when to try again and carries a reference the server logs it under, so that an
// operator can find the refusal a user reports.
type Error struct {
	Code         ErrorCode `json:"code"`
	Message      string    `json:"message"`
	RetryAfterMS int64     `json:"retry_after_ms,omitempty"`
	Reference    string    `json:"reference,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// Limited returns an *Error for a request refused by a limit: code (rate_limited or
// unavailable), when to retry, and a fresh reference.
func Limited(code ErrorCode, retry time.Duration, format string, args ...any) *Error {
	e := Errorf(code, format, args...)
	// Whole seconds, at least one: what the Retry-After header can say.
	e.RetryAfterMS = max(1, int64((retry+time.Second-1)/time.Second)) * 1000
	b := make([]byte, 5)
	rand.Read(b)
	e.Reference = "rl-" + hex.EncodeToString(b)
	return e
}

// Errorf returns an *Error.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorOf turns any error into what a user may see: an *Error as is, an engine refusal with
// its code, a store's not-found or conflict, and everything else as internal (its text is
// not shown: it may hold details of the machine).
func ErrorOf(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if c := engine.CodeOf(err); c != "" {
		code := EInvalid
		switch c {
		case engine.CodeNotFound:
			code = ENotFound
		case engine.CodeClosed:
			code = EClosed
		case engine.CodeForbidden:
			code = EForbidden
		case engine.CodeDuplicate:
			code = EDuplicate
		}
		return &Error{Code: code, Message: err.Error()}
	}
	switch {
	case errors.Is(err, ErrNotFound):
		return &Error{Code: ENotFound, Message: "not found"}
	case errors.Is(err, ErrConflict):
		return &Error{Code: EConflict, Message: "conflict"}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: EUnavailable, Message: "the server is busy or shutting down; try again"}
	}
	return &Error{Code: EInternal, Message: "internal error; nothing was changed"}
}

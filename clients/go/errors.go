package mcias

import (
	"errors"
	"fmt"
	"time"
)

// Error codes: the server's `code` values (SPEC §3), plus CodeTransport for "no usable
// answer" and CodeInvalidToken for a token VerifyLocally rejected.
const (
	CodeBadRequest      = "bad_request"
	CodeUnauthorized    = "unauthorized"
	CodeForbidden       = "forbidden"
	CodeNotFound        = "not_found"
	CodeConflict        = "conflict"
	CodePayloadTooLarge = "payload_too_large"
	CodeRateLimited     = "rate_limited"
	CodeVaultSealed     = "vault_sealed"
	CodeInternal        = "internal"
	CodeTransport       = "transport"
	CodeInvalidToken    = "invalid_token"
)

// Error is the one error type this package returns. Get it with errors.As:
//
//	var e *mcias.Error
//	if errors.As(err, &e) && e.Code == mcias.CodeRateLimited { time.Sleep(e.RetryAfter) }
//
// Each code also has a sentinel kind (ErrUnauthorized, ErrNotFound, …) matched with
// errors.Is. The message is built from the method, the path and the server's own
// message only: never from a request body, a header, a token or a password.
type Error struct {
	// Status is the HTTP status, or 0 when no usable answer arrived.
	Status int
	// Code is the server's error code, CodeTransport or CodeInvalidToken.
	Code string
	// Message is the server's human-readable message (or what went wrong locally).
	Message string
	// Method and Path name the call ("GET", "/v1/auth/me"); empty for local checks.
	Method, Path string
	// RetryAfter is the server's Retry-After for CodeRateLimited (0 if it sent none).
	RetryAfter time.Duration
	// Err is the underlying cause (a TLS or network error, a JSON error), if any.
	Err error
}

// Error describes the failure without any secret.
func (e *Error) Error() string {
	var s string
	if e.Method != "" {
		s = fmt.Sprintf("mcias: %s %s: ", e.Method, e.Path)
	} else {
		s = "mcias: "
	}
	s += e.Message
	if e.Status != 0 {
		s += fmt.Sprintf(" (%s, HTTP %d)", e.Code, e.Status)
	} else {
		s += fmt.Sprintf(" (%s)", e.Code)
	}
	if e.Code == CodeRateLimited && e.RetryAfter > 0 {
		s += fmt.Sprintf("; retry after %s", e.RetryAfter)
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel kind of e's code (errors.Is(err, mcias.ErrNotFound)).
func (e *Error) Is(target error) bool {
	k, ok := target.(*kind)
	return ok && k.code == e.Code
}

// kind is a sentinel error standing for one error code.
type kind struct{ code string }

func (k *kind) Error() string { return "mcias: " + k.code }

// Sentinel kinds, one per code, for errors.Is.
var (
	ErrBadRequest      error = &kind{CodeBadRequest}
	ErrUnauthorized    error = &kind{CodeUnauthorized}
	ErrForbidden       error = &kind{CodeForbidden}
	ErrNotFound        error = &kind{CodeNotFound}
	ErrConflict        error = &kind{CodeConflict}
	ErrPayloadTooLarge error = &kind{CodePayloadTooLarge}
	ErrRateLimited     error = &kind{CodeRateLimited}
	ErrVaultSealed     error = &kind{CodeVaultSealed}
	ErrInternal        error = &kind{CodeInternal}
	ErrTransport       error = &kind{CodeTransport}
	ErrInvalidToken    error = &kind{CodeInvalidToken}
)

var knownCodes = map[string]bool{
	CodeBadRequest: true, CodeUnauthorized: true, CodeForbidden: true, CodeNotFound: true,
	CodeConflict: true, CodePayloadTooLarge: true, CodeRateLimited: true, CodeVaultSealed: true,
	CodeInternal: true,
}

var codeByStatus = map[int]string{
	400: CodeBadRequest, 401: CodeUnauthorized, 403: CodeForbidden, 404: CodeNotFound,
	409: CodeConflict, 413: CodePayloadTooLarge, 429: CodeRateLimited, 503: CodeVaultSealed,
	500: CodeInternal,
}

// CodeOf returns the code of an error from this package ("" for any other error).
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Package mcias is the Go client for MCIAS, the Metacircular Identity and Access
// System: log in, validate or locally verify tokens, and administer accounts, roles,
// tags, service tokens, Postgres credentials, audit and policy over its REST API.
//
// A Client is safe for concurrent use. Every method takes a context. Failures are
// *Error values carrying the HTTP status and the server's code; match a kind with
// errors.Is (ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict,
// ErrRateLimited, ErrVaultSealed, ErrBadRequest, ErrTransport, …) or read the details
// with errors.As. No error text, String or GoString ever contains a token, password
// or secret. Unknown response fields are ignored; a missing required field is an
// ErrTransport error.
//
//	c, err := mcias.New("https://auth.example.com", mcias.Options{CAFile: "ca.pem"})
//	if err != nil { … }
//	if _, err := c.Login(ctx, "alice", password, ""); err != nil { … }
//	me, err := c.Me(ctx)
//
// VerifyLocally checks a token's signature and claims against the server's cached
// JWKS without a round trip (see its doc for what it cannot see).
package mcias

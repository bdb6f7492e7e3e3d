package mcias

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a Client. The zero value trusts the system's CA store and sends
// no token.
type Options struct {
	// CAFile is a PEM file with the CA (or self-signed certificate) to trust instead
	// of the system store.
	CAFile string
	// CAPEM is the same as CAFile, given as PEM bytes.
	CAPEM []byte
	// Token is the initial bearer token.
	Token string
	// Timeout bounds each request (default 30 s). A context deadline may end it sooner.
	Timeout time.Duration
	// HTTPClient replaces the client's own HTTP client (CAFile, CAPEM and Timeout are
	// then ignored). Redirects should not be followed: they could carry the token away.
	HTTPClient *http.Client
	// Issuer is the `iss` VerifyLocally expects (the server's tokens.issuer).
	Issuer string
	// Audience, when set, makes VerifyLocally reject a token minted for another
	// audience (a token without `aud` is accepted, as the server does).
	Audience string
}

// Client talks to one MCIAS server. It is safe for concurrent use; the token it
// sends can be changed at any time (Login, Renew, Logout, SetToken).
type Client struct {
	base     *url.URL
	http     *http.Client
	issuer   string
	audience string

	mu    sync.RWMutex
	token string

	keys keyCache
}

// maxResponse bounds how much of a response body is read.
const maxResponse = 4 << 20

// New returns a Client for the server at baseURL (https://…; plain http only for a
// loopback host). Nothing is sent until the first call.
func New(baseURL string, opts Options) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Host == "" {
		return nil, &Error{Code: CodeBadRequest, Message: "base URL is not a valid absolute URL"}
	}
	host := u.Hostname()
	loopback := host == "localhost"
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		loopback = true
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback) {
		return nil, &Error{Code: CodeBadRequest, Message: "base URL must be https:// (http:// only for loopback)"}
	}
	hc := opts.HTTPClient
	if hc == nil {
		tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
		pem := opts.CAPEM
		if opts.CAFile != "" {
			if pem, err = os.ReadFile(opts.CAFile); err != nil {
				return nil, &Error{Code: CodeTransport, Message: "cannot read the CA file", Err: err}
			}
		}
		if pem != nil {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, &Error{Code: CodeTransport, Message: "the CA file holds no PEM certificate"}
			}
			tlsConf.RootCAs = pool
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = tlsConf
		timeout := opts.Timeout
		if timeout == 0 {
			timeout = 30 * time.Second
		}
		hc = &http.Client{
			Transport: tr,
			Timeout:   timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	return &Client{base: u, http: hc, token: opts.Token, issuer: opts.Issuer, audience: opts.Audience}, nil
}

// Token returns the bearer token in use ("" when none).
func (c *Client) Token() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.token
}

// SetToken replaces the bearer token ("" clears it).
func (c *Client) SetToken(token string) {
	c.mu.Lock()
	c.token = token
	c.mu.Unlock()
}

// String describes the client without its token.
func (c *Client) String() string {
	state := "no token"
	if c.Token() != "" {
		state = "token [redacted]"
	}
	return fmt.Sprintf("mcias.Client{%s, %s}", c.base, state)
}

// GoString is String, so %#v does not reveal the token either.
func (c *Client) GoString() string { return c.String() }

// BaseURL returns the server's base URL.
func (c *Client) BaseURL() string { return c.base.String() }

type call struct {
	method, path string
	query        url.Values
	body         any
	noAuth       bool
	// okStatus lists non-2xx statuses whose body is a result (health's 503).
	okStatus []int
	out      any
	required []string
}

// do sends one request and decodes a successful body into c.out.
func (c *Client) do(ctx context.Context, r call) error {
	fail := func(code, msg string, cause error) error {
		return &Error{Code: code, Message: msg, Method: r.method, Path: r.path, Err: cause}
	}
	u := *c.base
	u.Path = c.base.Path + r.path
	u.RawPath = ""
	if r.query != nil {
		u.RawQuery = r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return fail(CodeBadRequest, "cannot encode the request body", nil)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return fail(CodeBadRequest, "cannot build the request", nil)
	}
	req.Header.Set("Accept", "application/json")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok := c.Token(); tok != "" && !r.noAuth {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := c.http.Do(req)
	if err != nil {
		// *url.Error names the URL (no token: it travels in a header) and the cause.
		var ue *url.Error
		cause := err
		if errors.As(err, &ue) {
			cause = ue.Err
		}
		return fail(CodeTransport, "request failed: "+cause.Error(), cause)
	}
	defer func() { _ = res.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxResponse))
	if err != nil {
		return &Error{Code: CodeTransport, Status: res.StatusCode, Message: "reading the response failed", Method: r.method, Path: r.path, Err: err}
	}
	ok := res.StatusCode >= 200 && res.StatusCode < 300
	for _, s := range r.okStatus {
		ok = ok || res.StatusCode == s
	}
	if !ok {
		return errorFrom(r.method, r.path, res, data)
	}
	if r.out == nil || res.StatusCode == http.StatusNoContent || len(bytes.TrimSpace(data)) == 0 {
		if r.out != nil && len(r.required) > 0 {
			return fail(CodeTransport, fmt.Sprintf("empty response (HTTP %d)", res.StatusCode), nil)
		}
		return nil
	}
	if err := decode(data, r.out, r.required); err != nil {
		return &Error{Code: CodeTransport, Status: res.StatusCode, Message: err.Error(), Method: r.method, Path: r.path}
	}
	return nil
}

// decode unmarshals data into out after checking that every required field is
// present and not null (in the object, or in each element of an array). Unknown
// fields are ignored.
func decode(data []byte, out any, required []string) error {
	if len(required) > 0 {
		check := func(raw json.RawMessage) error {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(raw, &m); err != nil {
				return errors.New("the response is not the expected JSON object")
			}
			for _, f := range required {
				if v, ok := m[f]; !ok || string(v) == "null" {
					return fmt.Errorf("the response lacks the required field %q", f)
				}
			}
			return nil
		}
		trimmed := bytes.TrimSpace(data)
		if len(trimmed) > 0 && trimmed[0] == '[' {
			var items []json.RawMessage
			if err := json.Unmarshal(trimmed, &items); err != nil {
				return errors.New("the response is not the expected JSON array")
			}
			for _, it := range items {
				if err := check(it); err != nil {
					return err
				}
			}
		} else if err := check(trimmed); err != nil {
			return err
		}
	}
	if err := json.Unmarshal(data, out); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("the response field %q has the wrong type", te.Field)
		}
		return errors.New("the response is not valid JSON of the expected shape")
	}
	return nil
}

func errorFrom(method, path string, res *http.Response, data []byte) error {
	var b struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}
	_ = json.Unmarshal(data, &b)
	code := b.Code
	if !knownCodes[code] {
		code = codeByStatus[res.StatusCode]
		if code == "" {
			if res.StatusCode >= 500 {
				code = CodeInternal
			} else {
				code = CodeBadRequest
			}
		}
	}
	msg := b.Error
	if msg == "" {
		msg = "HTTP " + strconv.Itoa(res.StatusCode)
	}
	if len(msg) > 500 {
		msg = msg[:500]
	}
	e := &Error{Status: res.StatusCode, Code: code, Message: msg, Method: method, Path: path}
	if code == CodeRateLimited {
		if n, err := strconv.Atoi(strings.TrimSpace(res.Header.Get("Retry-After"))); err == nil && n >= 0 {
			e.RetryAfter = time.Duration(n) * time.Second
		}
	}
	return e
}

// seg escapes one path segment; "", "." and ".." are refused (URL resolution would
// move them to another route).
func seg(s string) (string, error) {
	if s == "" || s == "." || s == ".." {
		return "", &Error{Code: CodeBadRequest, Message: "invalid path parameter"}
	}
	return url.PathEscape(s), nil
}

func segs(parts ...string) (string, error) {
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 0 {
			b.WriteString(p)
			continue
		}
		s, err := seg(p)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

var (
	reqToken      = []string{"token", "expires_at"}
	reqIssued     = []string{"token", "expires_at", "jti"}
	reqAccount    = []string{"id", "username", "account_type", "status", "roles", "tags", "totp_enabled", "created_at", "updated_at"}
	reqJWK        = []string{"kty", "crv", "x", "kid"}
	reqTokenInfo  = []string{"jti", "issued_at", "expires_at"}
	reqPgCreds    = []string{"host", "port", "database", "username"}
	reqPgSummary  = []string{"account_id", "host", "port", "database", "username"}
	reqAuditPage  = []string{"events"}
	reqEvaluate   = []string{"effect"}
	reqEnrollment = []string{"secret", "otpauth_uri"}
)

// ---- system ---------------------------------------------------------------------

// Health returns the server's health: Status "ok", or "sealed" while the vault is
// sealed (that is an answer, not an error).
func (c *Client) Health(ctx context.Context) (*Health, error) {
	var h Health
	err := c.do(ctx, call{method: "GET", path: "/v1/health", noAuth: true, okStatus: []int{503}, out: &h, required: []string{"status"}})
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// PublicKey returns the token-signing key as a JWK.
func (c *Client) PublicKey(ctx context.Context) (*JWK, error) {
	var k JWK
	if err := c.do(ctx, call{method: "GET", path: "/v1/keys/public", noAuth: true, out: &k, required: reqJWK}); err != nil {
		return nil, err
	}
	return &k, nil
}

// JWKS returns the server's JSON Web Key Set.
func (c *Client) JWKS(ctx context.Context) (*JWKSet, error) {
	var s JWKSet
	if err := c.do(ctx, call{method: "GET", path: "/.well-known/jwks.json", noAuth: true, out: &s, required: []string{"keys"}}); err != nil {
		return nil, err
	}
	return &s, nil
}

// ---- auth -----------------------------------------------------------------------

// Login authenticates a human account (totpCode "" when TOTP is not enrolled). On
// success the client uses the new token from then on. Every failure is ErrUnauthorized.
func (c *Client) Login(ctx context.Context, username, password, totpCode string) (*TokenResponse, error) {
	body := map[string]string{"username": username, "password": password}
	if totpCode != "" {
		body["totp_code"] = totpCode
	}
	var t TokenResponse
	if err := c.do(ctx, call{method: "POST", path: "/v1/auth/login", body: body, noAuth: true, out: &t, required: reqToken}); err != nil {
		return nil, err
	}
	c.SetToken(t.Token)
	return &t, nil
}

// Logout revokes the current token and forgets it.
func (c *Client) Logout(ctx context.Context) error {
	if err := c.do(ctx, call{method: "POST", path: "/v1/auth/logout"}); err != nil {
		return err
	}
	c.SetToken("")
	return nil
}

// Renew exchanges the current token for a fresh one (the old one is revoked) and
// uses the new one from then on.
func (c *Client) Renew(ctx context.Context) (*TokenResponse, error) {
	var t TokenResponse
	if err := c.do(ctx, call{method: "POST", path: "/v1/auth/renew", out: &t, required: reqToken}); err != nil {
		return nil, err
	}
	c.SetToken(t.Token)
	return &t, nil
}

// Me returns the caller's account.
func (c *Client) Me(ctx context.Context) (*Account, error) {
	var a Account
	if err := c.do(ctx, call{method: "GET", path: "/v1/auth/me", out: &a, required: reqAccount}); err != nil {
		return nil, err
	}
	return &a, nil
}

// ChangePassword changes the caller's own password; all its other tokens are revoked.
func (c *Client) ChangePassword(ctx context.Context, currentPassword, newPassword string) error {
	return c.do(ctx, call{method: "PUT", path: "/v1/auth/password", body: map[string]string{"current_password": currentPassword, "new_password": newPassword}})
}

// TOTPEnroll starts TOTP enrollment (step-up: the caller's current password is
// required). The secret is not active until TOTPConfirm.
func (c *Client) TOTPEnroll(ctx context.Context, currentPassword string) (*TOTPEnrollment, error) {
	var e TOTPEnrollment
	err := c.do(ctx, call{method: "POST", path: "/v1/auth/totp/enroll", body: map[string]string{"current_password": currentPassword}, out: &e, required: reqEnrollment})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// TOTPConfirm turns TOTP on with a current code; from then on Login needs a code.
// Any response body (the server may add recovery codes) is ignored.
func (c *Client) TOTPConfirm(ctx context.Context, code string) error {
	return c.do(ctx, call{method: "POST", path: "/v1/auth/totp/confirm", body: map[string]string{"code": code}})
}

// ---- tokens ---------------------------------------------------------------------

// Validate asks the server whether token is valid (no bearer needed). An invalid
// token is Valid == false, not an error.
func (c *Client) Validate(ctx context.Context, token string) (*Validation, error) {
	var v Validation
	err := c.do(ctx, call{method: "POST", path: "/v1/token/validate", body: map[string]string{"token": token}, noAuth: true, out: &v, required: []string{"valid"}})
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// RevokeToken revokes the token with this jti.
func (c *Client) RevokeToken(ctx context.Context, jti string) error {
	p, err := segs("/v1/token/", jti)
	if err != nil {
		return err
	}
	return c.do(ctx, call{method: "DELETE", path: p})
}

// IssueServiceToken issues a new token for a system account; its previous token is
// revoked. The client's own token is unchanged.
func (c *Client) IssueServiceToken(ctx context.Context, accountID string) (*IssuedToken, error) {
	p, err := segs("/v1/accounts/", accountID, "/token")
	if err != nil {
		return nil, err
	}
	var t IssuedToken
	if err := c.do(ctx, call{method: "POST", path: p, out: &t, required: reqIssued}); err != nil {
		return nil, err
	}
	return &t, nil
}

// ListTokens lists an account's tokens (metadata only).
func (c *Client) ListTokens(ctx context.Context, accountID string) ([]TokenInfo, error) {
	p, err := segs("/v1/accounts/", accountID, "/tokens")
	if err != nil {
		return nil, err
	}
	var l []TokenInfo
	if err := c.do(ctx, call{method: "GET", path: p, out: &l, required: reqTokenInfo}); err != nil {
		return nil, err
	}
	return l, nil
}

// ---- accounts -------------------------------------------------------------------

// CreateAccount creates a human or system account (admin).
func (c *Client) CreateAccount(ctx context.Context, req CreateAccountRequest) (*Account, error) {
	var a Account
	if err := c.do(ctx, call{method: "POST", path: "/v1/accounts", body: req, out: &a, required: reqAccount}); err != nil {
		return nil, err
	}
	return &a, nil
}

// ListAccounts lists accounts (admin); deleted ones only with Status "deleted".
func (c *Client) ListAccounts(ctx context.Context, opts ListAccountsOptions) ([]Account, error) {
	var q url.Values
	if opts.Status != "" {
		q = url.Values{"status": {opts.Status}}
	}
	var l []Account
	if err := c.do(ctx, call{method: "GET", path: "/v1/accounts", query: q, out: &l, required: reqAccount}); err != nil {
		return nil, err
	}
	return l, nil
}

func (c *Client) account(ctx context.Context, method, id string, body any) (*Account, error) {
	p, err := segs("/v1/accounts/", id)
	if err != nil {
		return nil, err
	}
	var a Account
	if err := c.do(ctx, call{method: method, path: p, body: body, out: &a, required: reqAccount}); err != nil {
		return nil, err
	}
	return &a, nil
}

// GetAccount returns one account (admin, or the account itself).
func (c *Client) GetAccount(ctx context.Context, id string) (*Account, error) {
	return c.account(ctx, "GET", id, nil)
}

// UpdateAccount changes an account's status (admin); going inactive revokes its tokens.
func (c *Client) UpdateAccount(ctx context.Context, id string, req UpdateAccountRequest) (*Account, error) {
	return c.account(ctx, "PATCH", id, req)
}

// DeleteAccount soft-deletes an account (admin): its tokens are revoked and the
// username stays reserved.
func (c *Client) DeleteAccount(ctx context.Context, id string) error {
	p, err := segs("/v1/accounts/", id)
	if err != nil {
		return err
	}
	return c.do(ctx, call{method: "DELETE", path: p})
}

// SetPassword sets another account's password (admin); all its tokens are revoked.
func (c *Client) SetPassword(ctx context.Context, id, password string) error {
	p, err := segs("/v1/accounts/", id, "/password")
	if err != nil {
		return err
	}
	return c.do(ctx, call{method: "PUT", path: p, body: map[string]string{"password": password}})
}

// ---- roles and tags -------------------------------------------------------------

func (c *Client) set(ctx context.Context, method, field string, body any, parts ...string) ([]string, error) {
	p, err := segs(parts...)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	if err := c.do(ctx, call{method: method, path: p, body: body, out: &out, required: []string{field}}); err != nil {
		return nil, err
	}
	if out[field] == nil {
		return []string{}, nil
	}
	return out[field], nil
}

// GetRoles returns an account's roles.
func (c *Client) GetRoles(ctx context.Context, id string) ([]string, error) {
	return c.set(ctx, "GET", "roles", nil, "/v1/accounts/", id, "/roles")
}

// SetRoles replaces an account's roles and returns the new set.
func (c *Client) SetRoles(ctx context.Context, id string, roles []string) ([]string, error) {
	if roles == nil {
		roles = []string{}
	}
	return c.set(ctx, "PUT", "roles", map[string][]string{"roles": roles}, "/v1/accounts/", id, "/roles")
}

// GrantRole adds one role and returns the new set.
func (c *Client) GrantRole(ctx context.Context, id, role string) ([]string, error) {
	return c.set(ctx, "POST", "roles", map[string]string{"role": role}, "/v1/accounts/", id, "/roles")
}

// RevokeRole removes one role and returns the new set.
func (c *Client) RevokeRole(ctx context.Context, id, role string) ([]string, error) {
	return c.set(ctx, "DELETE", "roles", nil, "/v1/accounts/", id, "/roles/", role)
}

// GetTags returns an account's tags.
func (c *Client) GetTags(ctx context.Context, id string) ([]string, error) {
	return c.set(ctx, "GET", "tags", nil, "/v1/accounts/", id, "/tags")
}

// SetTags replaces an account's tags and returns the new set.
func (c *Client) SetTags(ctx context.Context, id string, tags []string) ([]string, error) {
	if tags == nil {
		tags = []string{}
	}
	return c.set(ctx, "PUT", "tags", map[string][]string{"tags": tags}, "/v1/accounts/", id, "/tags")
}

// ---- Postgres credentials -------------------------------------------------------

// GetPgCreds returns a system account's Postgres credentials: with the password for
// who may manage the account and for the account itself, without it for a grantee.
func (c *Client) GetPgCreds(ctx context.Context, accountID string) (*PgCreds, error) {
	p, err := segs("/v1/accounts/", accountID, "/pgcreds")
	if err != nil {
		return nil, err
	}
	var pc PgCreds
	if err := c.do(ctx, call{method: "GET", path: p, out: &pc, required: reqPgCreds}); err != nil {
		return nil, err
	}
	return &pc, nil
}

// SetPgCreds stores a system account's Postgres credentials (admin); the password is
// encrypted under the server's master key.
func (c *Client) SetPgCreds(ctx context.Context, accountID string, creds PgCreds) error {
	p, err := segs("/v1/accounts/", accountID, "/pgcreds")
	if err != nil {
		return err
	}
	body := map[string]any{"host": creds.Host, "port": creds.Port, "database": creds.Database, "username": creds.Username, "password": creds.Password}
	return c.do(ctx, call{method: "PUT", path: p, body: body})
}

// ListPgCreds lists every credential the caller may read (metadata, never passwords).
func (c *Client) ListPgCreds(ctx context.Context) ([]PgCredsSummary, error) {
	var l []PgCredsSummary
	if err := c.do(ctx, call{method: "GET", path: "/v1/pgcreds", out: &l, required: reqPgSummary}); err != nil {
		return nil, err
	}
	return l, nil
}

// ---- audit and policy -----------------------------------------------------------

// AuditQuery returns one page of audit events, newest first (admin).
func (c *Client) AuditQuery(ctx context.Context, q AuditQuery) (*AuditPage, error) {
	v := url.Values{}
	if q.Account != "" {
		v.Set("account", q.Account)
	}
	if q.Type != "" {
		v.Set("type", q.Type)
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.UTC().Format(time.RFC3339Nano))
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	}
	var page AuditPage
	if err := c.do(ctx, call{method: "GET", path: "/v1/audit", query: v, out: &page, required: reqAuditPage}); err != nil {
		return nil, err
	}
	return &page, nil
}

// PolicyEvaluate returns what the policy engine would decide (admin).
func (c *Client) PolicyEvaluate(ctx context.Context, req EvaluateRequest) (*EvaluateResult, error) {
	var r EvaluateResult
	if err := c.do(ctx, call{method: "POST", path: "/v1/policy/evaluate", body: req, out: &r, required: reqEvaluate}); err != nil {
		return nil, err
	}
	return &r, nil
}

// ---- vault ----------------------------------------------------------------------

// VaultStatus tells whether the vault is sealed.
func (c *Client) VaultStatus(ctx context.Context) (*VaultStatus, error) {
	var s VaultStatus
	if err := c.do(ctx, call{method: "GET", path: "/v1/vault/status", noAuth: true, out: &s, required: []string{"sealed"}}); err != nil {
		return nil, err
	}
	return &s, nil
}

// Seal seals the vault (admin): until it is unsealed every /v1 call but health,
// vault status and unseal fails with ErrVaultSealed.
func (c *Client) Seal(ctx context.Context) (*VaultStatus, error) {
	var s VaultStatus
	if err := c.do(ctx, call{method: "POST", path: "/v1/vault/seal", out: &s, required: []string{"sealed"}}); err != nil {
		return nil, err
	}
	return &s, nil
}

// Unseal unseals the vault with the master passphrase (no token; rate limited per IP).
func (c *Client) Unseal(ctx context.Context, passphrase string) (*VaultStatus, error) {
	var s VaultStatus
	err := c.do(ctx, call{method: "POST", path: "/v1/vault/unseal", body: map[string]string{"passphrase": passphrase}, noAuth: true, out: &s, required: []string{"sealed"}})
	if err != nil {
		return nil, err
	}
	return &s, nil
}

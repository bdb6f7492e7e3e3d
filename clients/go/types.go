package mcias

import (
	"fmt"
	"time"
)

// Health is the answer of GET /v1/health: Status is "ok", or "sealed" while the vault
// is sealed (not an error).
type Health struct {
	Status string `json:"status"`
}

// JWK is the server's Ed25519 token-signing public key (GET /v1/keys/public).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
}

// JWKSet is the JSON Web Key Set of GET /.well-known/jwks.json.
type JWKSet struct {
	Keys []JWK `json:"keys"`
}

// TokenResponse is a fresh bearer token (login, renew). Its String and GoString
// methods never show the token.
type TokenResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// String describes the token without revealing it.
func (t TokenResponse) String() string {
	return fmt.Sprintf("mcias.TokenResponse{Token:[redacted] ExpiresAt:%s}", t.ExpiresAt.Format(time.RFC3339))
}

// GoString is String, so %#v does not reveal the token either.
func (t TokenResponse) GoString() string { return t.String() }

// IssuedToken is a system account's new token (IssueServiceToken). Its String and
// GoString methods never show the token.
type IssuedToken struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	JTI       string    `json:"jti"`
}

// String describes the token without revealing it.
func (t IssuedToken) String() string {
	return fmt.Sprintf("mcias.IssuedToken{Token:[redacted] JTI:%s ExpiresAt:%s}", t.JTI, t.ExpiresAt.Format(time.RFC3339))
}

// GoString is String, so %#v does not reveal the token either.
func (t IssuedToken) GoString() string { return t.String() }

// Validation is the answer of POST /v1/token/validate. When Valid is false every
// other field is empty.
type Validation struct {
	Valid       bool       `json:"valid"`
	Sub         string     `json:"sub,omitempty"`
	Username    string     `json:"username,omitempty"`
	AccountType string     `json:"account_type,omitempty"`
	Roles       []string   `json:"roles,omitempty"`
	JTI         string     `json:"jti,omitempty"`
	IssuedAt    *time.Time `json:"issued_at,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	// Audience is the token's `aud`, when it was minted for one app.
	Audience string `json:"audience,omitempty"`
}

// Account is the only shape accounts take in responses.
type Account struct {
	ID          string    `json:"id"`
	Username    string    `json:"username"`
	AccountType string    `json:"account_type"`
	Status      string    `json:"status"`
	Roles       []string  `json:"roles"`
	Tags        []string  `json:"tags"`
	TOTPEnabled bool      `json:"totp_enabled"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Account types and statuses.
const (
	AccountHuman  = "human"
	AccountSystem = "system"

	StatusActive   = "active"
	StatusInactive = "inactive"
	StatusDeleted  = "deleted"
)

// CreateAccountRequest is the body of CreateAccount. Password is for human accounts
// only; system accounts never log in with a password.
type CreateAccountRequest struct {
	Username    string   `json:"username"`
	AccountType string   `json:"account_type"`
	Password    string   `json:"password,omitempty"`
	Roles       []string `json:"roles,omitempty"`
}

// String describes the request without the password.
func (r CreateAccountRequest) String() string {
	return fmt.Sprintf("mcias.CreateAccountRequest{Username:%s AccountType:%s Password:[redacted] Roles:%v}", r.Username, r.AccountType, r.Roles)
}

// GoString is String.
func (r CreateAccountRequest) GoString() string { return r.String() }

// UpdateAccountRequest is the body of UpdateAccount.
type UpdateAccountRequest struct {
	// Status is StatusActive or StatusInactive; going inactive revokes all tokens.
	Status string `json:"status,omitempty"`
}

// ListAccountsOptions filters ListAccounts.
type ListAccountsOptions struct {
	// Status "deleted" lists deleted accounts (they are left out otherwise).
	Status string
}

// TokenInfo is a token's metadata (ListTokens); RevokedAt is nil while it is valid.
type TokenInfo struct {
	JTI       string     `json:"jti"`
	IssuedAt  time.Time  `json:"issued_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// PgCreds are a system account's Postgres credentials. Password is empty for a
// reader who may only see the connection metadata. String and GoString never show it.
type PgCreds struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Database string `json:"database"`
	Username string `json:"username"`
	Password string `json:"password,omitempty"`
}

// String describes the credentials without the password.
func (p PgCreds) String() string {
	pw := ""
	if p.Password != "" {
		pw = " Password:[redacted]"
	}
	return fmt.Sprintf("mcias.PgCreds{Host:%s Port:%d Database:%s Username:%s%s}", p.Host, p.Port, p.Database, p.Username, pw)
}

// GoString is String.
func (p PgCreds) GoString() string { return p.String() }

// PgCredsSummary is one entry of ListPgCreds: metadata only, never a password.
type PgCredsSummary struct {
	AccountID string `json:"account_id"`
	Service   string `json:"service"`
	Host      string `json:"host"`
	Port      int    `json:"port"`
	Database  string `json:"database"`
	Username  string `json:"username"`
}

// AuditQuery filters AuditQuery; zero fields are not sent.
type AuditQuery struct {
	Account string    // account id or username
	Type    string    // event type, e.g. "login_ok"
	Since   time.Time // events at or after
	Until   time.Time // events before
	Limit   int       // 1..500 (server default 100)
	Cursor  string    // NextCursor of the previous page
}

// AuditEvent is one audit row.
type AuditEvent struct {
	ID       int64          `json:"id"`
	Time     time.Time      `json:"time"`
	Type     string         `json:"type"`
	ActorID  *string        `json:"actor_id"`
	Actor    *string        `json:"actor"`
	TargetID *string        `json:"target_id"`
	Target   *string        `json:"target"`
	IP       *string        `json:"ip"`
	Details  map[string]any `json:"details"`
}

// AuditPage is one page of AuditQuery, newest first. NextCursor is empty on the last page.
type AuditPage struct {
	Events     []AuditEvent `json:"events"`
	NextCursor *string      `json:"next_cursor"`
}

// Resource is what a policy decision is about: a type ("account", "token",
// "pgcreds", "audit", "policy", "vault") and, for accounts and their tokens and
// credentials, the account id.
type Resource struct {
	Type string `json:"type"`
	ID   string `json:"id,omitempty"`
}

// EvaluateRequest asks the policy engine what it would decide.
type EvaluateRequest struct {
	SubjectID string   `json:"subject_id"`
	Action    string   `json:"action"`
	Resource  Resource `json:"resource"`
}

// EvaluateResult is the engine's decision and the rule that made it.
type EvaluateResult struct {
	Effect          string `json:"effect"`
	RuleID          *int64 `json:"rule_id"`
	RuleDescription string `json:"rule_description"`
}

// TOTPEnrollment is a new TOTP secret (active only once confirmed). String and
// GoString never show the secret.
type TOTPEnrollment struct {
	Secret     string `json:"secret"`
	OTPAuthURI string `json:"otpauth_uri"`
}

// String describes the enrollment without the secret.
func (TOTPEnrollment) String() string {
	return "mcias.TOTPEnrollment{Secret:[redacted] OTPAuthURI:[redacted]}"
}

// GoString is String.
func (e TOTPEnrollment) GoString() string { return e.String() }

// VaultStatus tells whether the server's vault is sealed.
type VaultStatus struct {
	Sealed bool `json:"sealed"`
}

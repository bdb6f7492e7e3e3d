package mcias

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Claims are the verified claims of an MCIAS token (VerifyLocally).
type Claims struct {
	Issuer      string   `json:"iss"`
	Subject     string   `json:"sub"`
	Audience    Audience `json:"aud,omitempty"`
	IssuedAt    int64    `json:"iat"`
	Expiry      int64    `json:"exp"`
	AuthTime    int64    `json:"auth_time,omitempty"`
	ID          string   `json:"jti"`
	Username    string   `json:"username"`
	AccountType string   `json:"account_type"`
	Roles       []string `json:"roles"`
}

// Audience is the `aud` claim: one string or an array of them on the wire.
type Audience []string

// UnmarshalJSON accepts a string or an array of strings.
func (a *Audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = Audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

// Leeway is the clock skew VerifyLocally tolerates on exp and iat (SPEC §2).
const Leeway = 60 * time.Second

// minRefresh is the least time between two JWKS fetches caused by unknown key ids,
// so tokens with made-up kids cannot make the client hammer the server.
const minRefresh = 30 * time.Second

// keyCache holds the server's JWKS, fetched on first use and again when a token
// names a kid it does not know.
type keyCache struct {
	mu   sync.Mutex
	set  *jose.JSONWebKeySet
	miss time.Time // when an unknown kid last caused a fetch
}

// VerifyLocally checks token without asking the server: header alg EdDSA with a kid
// and no jku/x5u/jwk/crit/x5c, an Ed25519 signature by a key of the server's JWKS
// (cached; fetched again once when the kid is unknown), iss equal to Options.Issuer,
// exp and iat within Leeway, sub and jti present, and (with Options.Audience) a
// matching aud. It cannot see revocation: use Validate where a revoked token must be
// refused at once. A rejected token is ErrInvalidToken; failing to fetch the keys is
// the transport or server error of that fetch.
func (c *Client) VerifyLocally(ctx context.Context, token string) (*Claims, error) {
	bad := func(msg string) error { return &Error{Code: CodeInvalidToken, Message: "token rejected: " + msg} }
	if c.issuer == "" {
		return nil, &Error{Code: CodeBadRequest, Message: "VerifyLocally needs Options.Issuer"}
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, bad("not a compact JWS")
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, bad("malformed header")
	}
	var hdr map[string]any
	if err := json.Unmarshal(hb, &hdr); err != nil {
		return nil, bad("malformed header")
	}
	// alg first, before anything else is trusted (no "none", HS*, RS*, ES*).
	if alg, _ := hdr["alg"].(string); alg != "EdDSA" {
		return nil, bad("alg is not EdDSA")
	}
	for _, h := range []string{"jku", "x5u", "jwk", "x5c", "crit"} {
		if _, ok := hdr[h]; ok {
			return nil, bad("forbidden header " + h)
		}
	}
	kid, _ := hdr["kid"].(string)
	if kid == "" {
		return nil, bad("no kid")
	}
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return nil, bad("malformed token")
	}
	key, err := c.keyFor(ctx, kid)
	if err != nil {
		return nil, err
	}
	if key == nil {
		return nil, bad("unknown kid")
	}
	var std jwt.Claims
	var out Claims
	if err := tok.Claims(key.Key, &std, &out); err != nil {
		return nil, bad("bad signature")
	}
	if std.Subject == "" || std.ID == "" || std.IssuedAt == nil || std.Expiry == nil || std.Issuer == "" {
		return nil, bad("missing claim")
	}
	exp := jwt.Expected{Issuer: c.issuer, Time: time.Now()}
	if err := std.ValidateWithLeeway(exp, Leeway); err != nil {
		return nil, bad(strings.TrimPrefix(err.Error(), "go-jose/go-jose/jwt: validation failed, "))
	}
	if c.audience != "" && len(std.Audience) > 0 && !std.Audience.Contains(c.audience) {
		return nil, bad("audience mismatch")
	}
	out.Audience = Audience(std.Audience)
	return &out, nil
}

// keyFor returns the cached key with this kid, fetching the JWKS when there is no
// cache yet or (at most every minRefresh) when the kid is unknown. nil: no such key.
func (c *Client) keyFor(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
	k := &c.keys
	k.mu.Lock()
	defer k.mu.Unlock()
	find := func() *jose.JSONWebKey {
		if k.set == nil {
			return nil
		}
		for _, key := range k.set.Key(kid) {
			if key.Algorithm == "" || key.Algorithm == string(jose.EdDSA) {
				return &key
			}
		}
		return nil
	}
	if key := find(); key != nil {
		return key, nil
	}
	if k.set != nil {
		if !k.miss.IsZero() && time.Since(k.miss) < minRefresh {
			return nil, nil
		}
		k.miss = time.Now()
	}
	var set jose.JSONWebKeySet
	if err := c.do(ctx, call{method: "GET", path: "/.well-known/jwks.json", noAuth: true, out: &set, required: []string{"keys"}}); err != nil {
		return nil, err
	}
	k.set = &set
	return find(), nil
}

package mcias_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	mcias "git.wntrmute.dev/kyle/mcias/clients/go"
)

// countingTransport counts requests per path.
type countingTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	n    map[string]int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n[r.URL.Path]++
	c.mu.Unlock()
	return c.base.RoundTrip(r)
}

func (c *countingTransport) count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[path]
}

func newClient(t *testing.T, srv *serverInfo, opts mcias.Options) *mcias.Client {
	t.Helper()
	opts.CAFile = srv.CAFile
	if opts.Issuer == "" {
		opts.Issuer = srv.Issuer
	}
	c, err := mcias.New(srv.URL, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// No token, password or secret in any error text, String, GoString or %v/%+v/%#v.
func TestSecretsNeverPrinted(t *testing.T) {
	srv := sharedServer(t)
	ctx := context.Background()
	admin := newClient(t, srv, mcias.Options{})
	if _, err := admin.Login(ctx, srv.AdminUsername, srv.AdminPassword, ""); err != nil {
		t.Fatal(err)
	}
	const userPass = "redaction-password-1"
	if _, err := admin.CreateAccount(ctx, mcias.CreateAccountRequest{Username: "redact", AccountType: mcias.AccountHuman, Password: userPass}); err != nil {
		t.Fatal(err)
	}
	svc, err := admin.CreateAccount(ctx, mcias.CreateAccountRequest{Username: "redact-svc", AccountType: mcias.AccountSystem})
	if err != nil {
		t.Fatal(err)
	}
	const pgPass = "pg-password-never-printed"
	if err := admin.SetPgCreds(ctx, svc.ID, mcias.PgCreds{Host: "h", Port: 5432, Database: "d", Username: "u", Password: pgPass}); err != nil {
		t.Fatal(err)
	}
	u := newClient(t, srv, mcias.Options{})
	tr, err := u.Login(ctx, "redact", userPass, "")
	if err != nil {
		t.Fatal(err)
	}
	issued, err := admin.IssueServiceToken(ctx, svc.ID)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := admin.GetPgCreds(ctx, svc.ID)
	if err != nil || creds.Password != pgPass {
		t.Fatalf("pgcreds: %v", err)
	}
	enr, err := u.TOTPEnroll(ctx, userPass)
	if err != nil {
		t.Fatal(err)
	}
	req := mcias.CreateAccountRequest{Username: "x", AccountType: mcias.AccountHuman, Password: userPass}

	// Errors that carry secrets in their request: a failed login, a refused call with a
	// token, a transport failure with a token, a failed unseal.
	var errs []error
	_, e1 := u.Login(ctx, "redact", "wrong-"+userPass, "")
	errs = append(errs, e1)
	_, e2 := u.ListAccounts(ctx, mcias.ListAccountsOptions{})
	errs = append(errs, e2)
	untrusted, _ := mcias.New(srv.URL, mcias.Options{Token: tr.Token})
	_, e3 := untrusted.Me(ctx)
	errs = append(errs, e3)
	_, e4 := untrusted.Login(ctx, "redact", userPass, "")
	errs = append(errs, e4)
	_, e5 := u.VerifyLocally(ctx, tr.Token+"x")
	errs = append(errs, e5)
	refused, _ := mcias.New("https://127.0.0.1:1", mcias.Options{Token: tr.Token})
	_, e6 := refused.Me(ctx)
	errs = append(errs, e6)

	var texts []string
	for _, v := range []any{u, tr, *tr, issued, *issued, creds, *creds, enr, *enr, req, untrusted} {
		texts = append(texts, fmt.Sprintf("%v|%+v|%#v|%s", v, v, v, v))
	}
	for i, err := range errs {
		if err == nil {
			t.Fatalf("error %d: expected an error", i)
		}
		var me *mcias.Error
		if !errors.As(err, &me) {
			t.Fatalf("error %d is not *mcias.Error: %v", i, err)
		}
		texts = append(texts, err.Error(), fmt.Sprintf("%v|%+v|%#v", err, err, me))
		if me.Err != nil {
			texts = append(texts, me.Err.Error())
		}
	}
	secrets := []string{tr.Token, issued.Token, userPass, pgPass, enr.Secret, srv.AdminPassword, tr.Token[len(tr.Token)-20:]}
	for _, txt := range texts {
		for _, s := range secrets {
			if strings.Contains(txt, s) {
				t.Errorf("a secret appears in %q", txt)
			}
		}
	}
	if !strings.Contains(fmt.Sprint(u), "redacted") {
		t.Errorf("client String: %s", u)
	}
	// The secret values are still there for the program to use.
	if u.Token() != tr.Token || enr.Secret == "" {
		t.Fatal("accessors lost their values")
	}
}

func TestErrorKinds(t *testing.T) {
	srv := sharedServer(t)
	ctx := context.Background()
	c := newClient(t, srv, mcias.Options{})
	_, err := c.Me(ctx)
	if !errors.Is(err, mcias.ErrUnauthorized) || errors.Is(err, mcias.ErrForbidden) {
		t.Fatalf("Me without a token: %v", err)
	}
	var e *mcias.Error
	if !errors.As(err, &e) || e.Status != 401 || e.Code != mcias.CodeUnauthorized || e.Path != "/v1/auth/me" {
		t.Fatalf("details: %#v", e)
	}
	if mcias.CodeOf(err) != "unauthorized" || mcias.CodeOf(errors.New("x")) != "" {
		t.Fatal("CodeOf")
	}
	if _, err := c.GetAccount(ctx, ".."); !errors.Is(err, mcias.ErrBadRequest) {
		t.Fatalf("dot-dot id: %v", err)
	}
	if _, err := mcias.New("http://example.com", mcias.Options{}); err == nil {
		t.Fatal("plain http to a remote host must be refused")
	}
	if _, err := mcias.New("http://127.0.0.1:1", mcias.Options{}); err != nil {
		t.Fatalf("plain http to loopback: %v", err)
	}
	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Health(ctx2); !errors.Is(err, mcias.ErrTransport) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
}

// One client, many goroutines (run with -race).
func TestConcurrentUse(t *testing.T) {
	srv := sharedServer(t)
	ctx := context.Background()
	c := newClient(t, srv, mcias.Options{})
	tok, err := c.Login(ctx, srv.AdminUsername, srv.AdminPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var failures atomic.Int32
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if i%4 == 0 {
				c.SetToken(tok.Token)
			}
			if _, err := c.Me(ctx); err != nil {
				failures.Add(1)
			}
			if _, err := c.VerifyLocally(ctx, tok.Token); err != nil {
				failures.Add(1)
			}
		}(i)
	}
	wg.Wait()
	if failures.Load() != 0 {
		t.Fatalf("%d concurrent calls failed", failures.Load())
	}
}

// The JWKS is fetched once, then again for an unknown kid (at most every 30 s).
func TestVerifyLocallyJWKSCache(t *testing.T) {
	srv := sharedServer(t)
	ctx := context.Background()
	ct := &countingTransport{n: map[string]int{}}
	hc := httpClientWithCA(t, srv.CAFile)
	ct.base = hc.Transport
	hc.Transport = ct
	c, err := mcias.New(srv.URL, mcias.Options{HTTPClient: hc, Issuer: srv.Issuer})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.Login(ctx, srv.AdminUsername, srv.AdminPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		claims, err := c.VerifyLocally(ctx, tok.Token)
		if err != nil {
			t.Fatal(err)
		}
		if claims.Username != srv.AdminUsername || claims.Issuer != srv.Issuer || claims.Expiry <= time.Now().Unix() {
			t.Fatalf("claims: %+v", claims)
		}
	}
	if n := ct.count("/.well-known/jwks.json"); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", n)
	}
	// A token from another key with an unknown kid: one refresh, then rejected.
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	forged := sign(t, priv, "other-kid", jwt.Claims{Issuer: srv.Issuer, Subject: "x", ID: "j", IssuedAt: jwt.NewNumericDate(time.Now()), Expiry: jwt.NewNumericDate(time.Now().Add(time.Hour))}, nil)
	if _, err := c.VerifyLocally(ctx, forged); !errors.Is(err, mcias.ErrInvalidToken) {
		t.Fatalf("forged: %v", err)
	}
	if n := ct.count("/.well-known/jwks.json"); n != 2 {
		t.Fatalf("JWKS fetched %d times after an unknown kid, want 2", n)
	}
	if _, err := c.VerifyLocally(ctx, forged); !errors.Is(err, mcias.ErrInvalidToken) {
		t.Fatalf("forged again: %v", err)
	}
	if n := ct.count("/.well-known/jwks.json"); n != 2 {
		t.Fatalf("a second unknown kid within 30 s refetched (%d)", n)
	}
	// The real server's kid with a foreign signature: bad signature, no refetch.
	hdr := strings.Split(tok.Token, ".")[0]
	parts := strings.Split(forged, ".")
	if _, err := c.VerifyLocally(ctx, hdr+"."+parts[1]+"."+parts[2]); !errors.Is(err, mcias.ErrInvalidToken) {
		t.Fatalf("foreign signature: %v", err)
	}
	// Wrong expected issuer.
	c2, _ := mcias.New(srv.URL, mcias.Options{CAFile: srv.CAFile, Issuer: "https://other.example"})
	if _, err := c2.VerifyLocally(ctx, tok.Token); !errors.Is(err, mcias.ErrInvalidToken) {
		t.Fatalf("wrong issuer: %v", err)
	}
	c3, _ := mcias.New(srv.URL, mcias.Options{CAFile: srv.CAFile})
	if _, err := c3.VerifyLocally(ctx, tok.Token); err == nil {
		t.Fatal("VerifyLocally without an issuer must refuse")
	}
}

func httpClientWithCA(t *testing.T, caFile string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

func sign(t *testing.T, priv ed25519.PrivateKey, kid string, std jwt.Claims, extra map[string]any, hdrs ...map[jose.HeaderKey]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid)
	for _, h := range hdrs {
		for k, v := range h {
			opts = opts.WithHeader(k, v)
		}
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: priv}, opts)
	if err != nil {
		t.Fatal(err)
	}
	b := jwt.Signed(s).Claims(std)
	if extra != nil {
		b = b.Claims(extra)
	}
	tok, err := b.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Claim checks against a JWKS we control (a local TLS server publishing our key).
func TestVerifyLocallyClaims(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: pub, KeyID: "k1", Algorithm: "EdDSA", Use: "sig"}}}
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/jwks.json" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(set)
	}))
	defer ts.Close()
	ctx := context.Background()
	const iss = "https://issuer.test"
	mk := func(aud string) *mcias.Client {
		c, err := mcias.New(ts.URL, mcias.Options{HTTPClient: ts.Client(), Issuer: iss, Audience: aud})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := mk("")
	now := time.Now()
	good := jwt.Claims{Issuer: iss, Subject: "s", ID: "j", IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour))}
	extra := map[string]any{"username": "u", "roles": []string{"r"}, "account_type": "human"}
	if cl, err := c.VerifyLocally(ctx, sign(t, priv, "k1", good, extra)); err != nil || cl.Username != "u" || cl.Roles[0] != "r" {
		t.Fatalf("good token: %v %+v", err, cl)
	}
	with := func(f func(*jwt.Claims)) jwt.Claims { x := good; f(&x); return x }
	cases := map[string]string{
		"expired beyond skew":   sign(t, priv, "k1", with(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(-2 * time.Minute)) }), extra),
		"issued in the future":  sign(t, priv, "k1", with(func(c *jwt.Claims) { c.IssuedAt = jwt.NewNumericDate(now.Add(5 * time.Minute)) }), extra),
		"other issuer":          sign(t, priv, "k1", with(func(c *jwt.Claims) { c.Issuer = "https://evil.test" }), extra),
		"no jti":                sign(t, priv, "k1", with(func(c *jwt.Claims) { c.ID = "" }), extra),
		"no sub":                sign(t, priv, "k1", with(func(c *jwt.Claims) { c.Subject = "" }), extra),
		"no exp":                sign(t, priv, "k1", with(func(c *jwt.Claims) { c.Expiry = nil }), extra),
		"jku header":            sign(t, priv, "k1", good, extra, map[jose.HeaderKey]any{"jku": "https://evil.test/jwks"}),
		"no kid":                sign(t, priv, "", good, extra),
		"alg none":              "eyJhbGciOiJub25lIiwidHlwIjoiSldUIiwia2lkIjoiazEifQ.eyJzdWIiOiJ4In0.",
		"garbage":               "a.b.c",
		"two parts":             "a.b",
		"tampered payload":      tamper(sign(t, priv, "k1", good, extra)),
		"audience of other app": sign(t, priv, "k1", with(func(c *jwt.Claims) { c.Audience = jwt.Audience{"other-app"} }), extra),
	}
	d := mk("my-app")
	for name, tok := range cases {
		if _, err := d.VerifyLocally(ctx, tok); !errors.Is(err, mcias.ErrInvalidToken) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Within the 60 s skew: accepted. Audience: matching or absent is accepted.
	if _, err := c.VerifyLocally(ctx, sign(t, priv, "k1", with(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(-30 * time.Second)) }), extra)); err != nil {
		t.Errorf("expired 30 s ago (within skew): %v", err)
	}
	if _, err := d.VerifyLocally(ctx, sign(t, priv, "k1", with(func(c *jwt.Claims) { c.Audience = jwt.Audience{"my-app"} }), extra)); err != nil {
		t.Errorf("matching audience: %v", err)
	}
	if _, err := d.VerifyLocally(ctx, sign(t, priv, "k1", good, extra)); err != nil {
		t.Errorf("no audience: %v", err)
	}
}

func tamper(tok string) string {
	p := strings.Split(tok, ".")
	b := []byte(p[1])
	if b[2] == 'A' {
		b[2] = 'B'
	} else {
		b[2] = 'A'
	}
	return p[0] + "." + string(b) + "." + p[2]
}

// Unknown response fields are ignored; a missing required field is an error.
func TestResponseShapes(t *testing.T) {
	var body atomic.Value
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body.Load().(string)))
	}))
	defer ts.Close()
	c, _ := mcias.New(ts.URL, mcias.Options{HTTPClient: ts.Client(), Token: "t"})
	ctx := context.Background()
	body.Store(`{"id":"i","username":"u","account_type":"human","status":"active","roles":[],"tags":[],"totp_enabled":false,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","email":"u@example.com","display_name":"U","future":{"x":1}}`)
	if a, err := c.Me(ctx); err != nil || a.Username != "u" {
		t.Fatalf("unknown fields: %v", err)
	}
	body.Store(`{"id":"i","username":"u","account_type":"human","status":"active","roles":[],"tags":[],"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`)
	if _, err := c.Me(ctx); !errors.Is(err, mcias.ErrTransport) || !strings.Contains(err.Error(), "totp_enabled") {
		t.Fatalf("missing totp_enabled: %v", err)
	}
	body.Store(`{"token":"abc"}`)
	if _, err := c.Renew(ctx); !errors.Is(err, mcias.ErrTransport) {
		t.Fatalf("missing expires_at: %v", err)
	}
	if c.Token() != "t" {
		t.Fatal("a failed renew replaced the token")
	}
	body.Store(`[{"jti":"a","issued_at":"2026-01-01T00:00:00Z","expires_at":"2026-01-01T00:00:00Z","revoked_at":null},{"jti":"b"}]`)
	if _, err := c.ListTokens(ctx, "x"); !errors.Is(err, mcias.ErrTransport) {
		t.Fatalf("list element missing fields: %v", err)
	}
	body.Store(`{"status":12}`)
	if _, err := c.Health(ctx); !errors.Is(err, mcias.ErrTransport) {
		t.Fatalf("wrong type: %v", err)
	}
	body.Store(`not json`)
	if _, err := c.Health(ctx); !errors.Is(err, mcias.ErrTransport) {
		t.Fatalf("not JSON: %v", err)
	}
	// TOTP confirm tolerates a 200 with a body (recovery codes) as well as 204.
	body.Store(`{"recovery_codes":["a","b"]}`)
	if err := c.TOTPConfirm(ctx, "123456"); err != nil {
		t.Fatalf("confirm with a body: %v", err)
	}
}

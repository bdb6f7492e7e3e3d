package mcias_test

// The Go runner of clients/conformance/cases.json (format: clients/conformance/README.md):
// every case, in file order, against one fresh real server.

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	mcias "git.wntrmute.dev/kyle/mcias/clients/go"
)

type confStep struct {
	Client string         `json:"client"`
	Op     string         `json:"op"`
	Args   map[string]any `json:"args"`
	Expect struct {
		Error  string         `json:"error"`
		Result map[string]any `json:"result"`
	} `json:"expect"`
	Save   map[string]string `json:"save"`
	Repeat *struct {
		UntilError  string `json:"until_error"`
		MaxAttempts int    `json:"max_attempts"`
	} `json:"repeat"`
}

type confCase struct {
	Name     string   `json:"name"`
	Requires []string `json:"requires"`
	Clients  map[string]struct {
		TrustCA *bool `json:"trust_ca"`
	} `json:"clients"`
	Steps []confStep `json:"steps"`
}

// features this client implements (cases requiring others are skipped).
var features = map[string]bool{"verify_locally": true}

var statusOf = map[string]int{
	"bad_request": 400, "unauthorized": 401, "forbidden": 403, "not_found": 404, "conflict": 409,
	"rate_limited": 429, "vault_sealed": 503, "transport": 0, "invalid_token": 0,
}

func TestConformance(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(), "clients", "conformance", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var suite struct {
		Format int        `json:"format"`
		Cases  []confCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &suite); err != nil {
		t.Fatal(err)
	}
	if suite.Format != 1 {
		t.Fatalf("cases.json format %d, this runner knows 1", suite.Format)
	}
	srv := startServer(t)
	for _, c := range suite.Cases {
		t.Run(c.Name, func(t *testing.T) {
			for _, f := range c.Requires {
				if !features[f] {
					t.Skipf("needs %s", f)
				}
			}
			runCase(t, srv, c)
		})
	}
}

// TOTP (RFC 6238 over RFC 4226) with the standard library's HMAC-SHA1.
func totpAt(secret string, at time.Time) (string, error) {
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil {
		return "", err
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(at.Unix()/30))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	n := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", n%1_000_000), nil
}

func TestTOTPHelperRFC6238Vectors(t *testing.T) {
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	for _, v := range []struct {
		t    int64
		want string
	}{{59, "287082"}, {1111111109, "081804"}, {1234567890, "005924"}} {
		got, err := totpAt(secret, time.Unix(v.t, 0))
		if err != nil || got != v.want {
			t.Errorf("T=%d: got %q (%v), want %q", v.t, got, err, v.want)
		}
	}
}

var varRe = regexp.MustCompile(`\$\{([^}]+)\}`)

func lookup(vars map[string]any, expr string) (any, error) {
	if name, ok := strings.CutPrefix(expr, "totp:"); ok {
		s, _ := vars[name].(string)
		return totpAt(s, time.Now())
	}
	if name, ok := strings.CutPrefix(expr, "totp_next:"); ok {
		s, _ := vars[name].(string)
		return totpAt(s, time.Now().Add(30*time.Second))
	}
	v, ok := vars[expr]
	if !ok {
		return nil, fmt.Errorf("unknown variable ${%s}", expr)
	}
	return v, nil
}

func subst(v any, vars map[string]any) (any, error) {
	switch x := v.(type) {
	case string:
		if m := varRe.FindStringSubmatch(x); m != nil && m[0] == x {
			return lookup(vars, m[1])
		}
		var err error
		out := varRe.ReplaceAllStringFunc(x, func(s string) string {
			val, e := lookup(vars, s[2:len(s)-1])
			if e != nil {
				err = e
			}
			if f, ok := val.(float64); ok {
				return strconv.FormatFloat(f, 'f', -1, 64)
			}
			return fmt.Sprint(val)
		})
		return out, err
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := subst(e, vars)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := subst(e, vars)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	}
	return v, nil
}

// absent marks a missing key or index.
type absentT struct{}

var absent = absentT{}

func at(v any, path string) any {
	if path == "" {
		return v
	}
	cur := v
	for _, seg := range strings.Split(path, ".") {
		switch x := cur.(type) {
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return absent
			}
			cur = x[i]
		case map[string]any:
			e, ok := x[seg]
			if !ok {
				return absent
			}
			cur = e
		default:
			return absent
		}
	}
	return cur
}

func deepEq(a, b any) bool {
	if a == absent {
		return false
	}
	return reflect.DeepEqual(a, b)
}

func typeName(v any) string {
	switch v.(type) {
	case nil, absentT:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func show(v any) string {
	if v == absent {
		return "<absent>"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func matchObj(v any, spec map[string]any) []string {
	var errs []string
	for path, m := range spec {
		for _, e := range match(at(v, path), m) {
			p := path
			if p == "" {
				p = "<result>"
			}
			errs = append(errs, p+": "+e)
		}
	}
	return errs
}

func match(v any, m any) []string {
	if m == nil {
		if v == nil || v == absent {
			return nil
		}
		return []string{"expected absent/null, got " + show(v)}
	}
	spec, isObj := m.(map[string]any)
	if !isObj {
		if deepEq(v, m) {
			return nil
		}
		return []string{fmt.Sprintf("expected %s, got %s", show(m), show(v))}
	}
	var errs []string
	arr, isArr := v.([]any)
	for k, a := range spec {
		fail := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
		switch k {
		case "eq":
			if !deepEq(v, a) {
				fail("expected %s, got %s", show(a), show(v))
			}
		case "ne":
			if deepEq(v, a) {
				fail("expected anything but %s", show(a))
			}
		case "type":
			if typeName(v) != a {
				fail("expected type %v, got %s", a, typeName(v))
			}
		case "present":
			if (v != nil && v != absent) != a {
				fail("expected present=%v, got %s", a, show(v))
			}
		case "nonempty":
			s, isStr := v.(string)
			ne := (isStr && s != "") || (isArr && len(arr) > 0)
			if ne != a {
				fail("expected nonempty=%v, got %s", a, show(v))
			}
		case "length":
			if !isArr || float64(len(arr)) != a {
				fail("expected length %v, got %s", a, show(v))
			}
		case "min_length":
			if !isArr || float64(len(arr)) < a.(float64) {
				fail("expected length >= %v, got %s", a, show(v))
			}
		case "min":
			if f, ok := v.(float64); !ok || f < a.(float64) {
				fail("expected >= %v, got %s", a, show(v))
			}
		case "set":
			want := a.([]any)
			ok := isArr && len(arr) == len(want)
			for _, w := range want {
				found := false
				for _, x := range arr {
					found = found || deepEq(x, w)
				}
				ok = ok && found
			}
			if !ok {
				fail("expected the set %s, got %s", show(a), show(v))
			}
		case "contains", "excludes":
			found := false
			for _, x := range arr {
				found = found || deepEq(x, a)
			}
			if !isArr || found != (k == "contains") {
				fail("expected %s %s, got %s", k, show(a), show(v))
			}
		case "some", "none":
			found := false
			for _, x := range arr {
				found = found || len(matchObj(x, a.(map[string]any))) == 0
			}
			if !isArr || found != (k == "some") {
				fail("%s of %s failed on %s", k, show(a), show(v))
			}
		case "all":
			if !isArr {
				fail("expected an array, got %s", show(v))
			}
			for i, x := range arr {
				for _, e := range matchObj(x, a.(map[string]any)) {
					fail("[%d].%s", i, e)
				}
			}
		default:
			panic("unknown matcher " + k)
		}
	}
	return errs
}

// ---- ops ---------------------------------------------------------------------------

func str(a map[string]any, k string) string { s, _ := a[k].(string); return s }

func strs(a map[string]any, k string) []string {
	var out []string
	for _, x := range a[k].([]any) {
		out = append(out, x.(string))
	}
	return out
}

func num(a map[string]any, k string) int { f, _ := a[k].(float64); return int(f) }

func callOp(ctx context.Context, c *mcias.Client, op string, a map[string]any) (any, error) {
	switch op {
	case "health":
		return c.Health(ctx)
	case "public_key":
		return c.PublicKey(ctx)
	case "jwks":
		return c.JWKS(ctx)
	case "login":
		return c.Login(ctx, str(a, "username"), str(a, "password"), str(a, "totp_code"))
	case "logout":
		return nil, c.Logout(ctx)
	case "renew":
		return c.Renew(ctx)
	case "validate":
		return c.Validate(ctx, str(a, "token"))
	case "me":
		return c.Me(ctx)
	case "get_token":
		if t := c.Token(); t != "" {
			return t, nil
		}
		return nil, nil
	case "set_token":
		c.SetToken(str(a, "token"))
		return nil, nil
	case "create_account":
		var roles []string
		if a["roles"] != nil {
			roles = strs(a, "roles")
		}
		return c.CreateAccount(ctx, mcias.CreateAccountRequest{Username: str(a, "username"), AccountType: str(a, "account_type"), Password: str(a, "password"), Roles: roles})
	case "list_accounts":
		return c.ListAccounts(ctx, mcias.ListAccountsOptions{Status: str(a, "status")})
	case "get_account":
		return c.GetAccount(ctx, str(a, "id"))
	case "update_account":
		return c.UpdateAccount(ctx, str(a, "id"), mcias.UpdateAccountRequest{Status: str(a, "status")})
	case "delete_account":
		return nil, c.DeleteAccount(ctx, str(a, "id"))
	case "set_password":
		return nil, c.SetPassword(ctx, str(a, "id"), str(a, "password"))
	case "get_roles":
		return c.GetRoles(ctx, str(a, "id"))
	case "set_roles":
		return c.SetRoles(ctx, str(a, "id"), strs(a, "roles"))
	case "grant_role":
		return c.GrantRole(ctx, str(a, "id"), str(a, "role"))
	case "revoke_role":
		return c.RevokeRole(ctx, str(a, "id"), str(a, "role"))
	case "get_tags":
		return c.GetTags(ctx, str(a, "id"))
	case "set_tags":
		return c.SetTags(ctx, str(a, "id"), strs(a, "tags"))
	case "issue_service_token":
		return c.IssueServiceToken(ctx, str(a, "id"))
	case "revoke_token":
		return nil, c.RevokeToken(ctx, str(a, "jti"))
	case "list_tokens":
		return c.ListTokens(ctx, str(a, "id"))
	case "get_pgcreds":
		return c.GetPgCreds(ctx, str(a, "id"))
	case "set_pgcreds":
		return nil, c.SetPgCreds(ctx, str(a, "id"), mcias.PgCreds{Host: str(a, "host"), Port: num(a, "port"), Database: str(a, "database"), Username: str(a, "username"), Password: str(a, "password")})
	case "list_pgcreds":
		return c.ListPgCreds(ctx)
	case "audit_query":
		q := mcias.AuditQuery{Account: str(a, "account"), Type: str(a, "type"), Limit: num(a, "limit"), Cursor: str(a, "cursor")}
		for k, dst := range map[string]*time.Time{"since": &q.Since, "until": &q.Until} {
			if s := str(a, k); s != "" {
				tm, err := time.Parse(time.RFC3339Nano, s)
				if err != nil {
					return nil, err
				}
				*dst = tm
			}
		}
		return c.AuditQuery(ctx, q)
	case "policy_evaluate":
		res, _ := a["resource"].(map[string]any)
		return c.PolicyEvaluate(ctx, mcias.EvaluateRequest{SubjectID: str(a, "subject_id"), Action: str(a, "action"), Resource: mcias.Resource{Type: str(res, "type"), ID: str(res, "id")}})
	case "totp_enroll":
		return c.TOTPEnroll(ctx, str(a, "current_password"))
	case "totp_confirm":
		return nil, c.TOTPConfirm(ctx, str(a, "code"))
	case "vault_status":
		return c.VaultStatus(ctx)
	case "vault_seal":
		return c.Seal(ctx)
	case "vault_unseal":
		return c.Unseal(ctx, str(a, "passphrase"))
	case "verify_locally":
		return c.VerifyLocally(ctx, str(a, "token"))
	}
	return nil, fmt.Errorf("op %q is not implemented by this runner", op)
}

// toJSON turns a typed result into plain JSON values with the wire names.
func toJSON(v any) (any, error) {
	if v == nil || (reflect.ValueOf(v).Kind() == reflect.Pointer && reflect.ValueOf(v).IsNil()) {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}

func checkErr(where string, err error, kind string) error {
	var e *mcias.Error
	if !errors.As(err, &e) {
		return fmt.Errorf("%s: error is not *mcias.Error: %v", where, err)
	}
	if e.Code != kind {
		return fmt.Errorf("%s: expected error %s, got %s: %v", where, kind, e.Code, err)
	}
	if e.Status != statusOf[kind] {
		return fmt.Errorf("%s: %s with status %d, expected %d", where, kind, e.Status, statusOf[kind])
	}
	if kind == "rate_limited" && e.RetryAfter < time.Second {
		return fmt.Errorf("%s: rate_limited without Retry-After >= 1 s", where)
	}
	return nil
}

func runCase(t *testing.T, srv *serverInfo, c confCase) {
	vars := map[string]any{}
	for k, v := range srv.raw {
		vars[k] = v
	}
	clients := map[string]*mcias.Client{}
	clientFor := func(name string) *mcias.Client {
		if cl, ok := clients[name]; ok {
			return cl
		}
		opts := mcias.Options{CAFile: srv.CAFile, Issuer: srv.Issuer}
		if tc := c.Clients[name].TrustCA; tc != nil && !*tc {
			opts.CAFile = ""
		}
		cl, err := mcias.New(srv.URL, opts)
		if err != nil {
			t.Fatal(err)
		}
		clients[name] = cl
		return cl
	}
	ctx := context.Background()
	for i, st := range c.Steps {
		where := fmt.Sprintf("%s step %d (%s)", c.Name, i+1, st.Op)
		name := st.Client
		if name == "" {
			name = "main"
		}
		cl := clientFor(name)
		rawArgs, err := subst(map[string]any(st.Args), vars)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		args, _ := rawArgs.(map[string]any)
		if args == nil {
			args = map[string]any{}
		}
		attempts := 1
		if st.Repeat != nil {
			attempts = st.Repeat.MaxAttempts
		}
		var result any
		for n := 1; n <= attempts; n++ {
			out, err := callOp(ctx, cl, st.Op, args)
			if st.Repeat != nil && err != nil {
				if e := checkErr(where, err, st.Repeat.UntilError); e != nil {
					t.Fatalf("attempt %d: %v", n, e)
				}
				if n == 1 {
					t.Fatalf("%s: failed at the first attempt", where)
				}
				break
			}
			if st.Repeat != nil && n == attempts {
				t.Fatalf("%s: no %s within %d attempts", where, st.Repeat.UntilError, attempts)
			}
			if st.Expect.Error != "" {
				if err == nil {
					t.Fatalf("%s: expected error %s, got success", where, st.Expect.Error)
				}
				if e := checkErr(where, err, st.Expect.Error); e != nil {
					t.Fatal(e)
				}
				break
			}
			if err != nil {
				t.Fatalf("%s: unexpected error: %v", where, err)
			}
			if result, err = toJSON(out); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			spec, err := subst(map[string]any(st.Expect.Result), vars)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			if errs := matchObj(result, spec.(map[string]any)); len(errs) > 0 {
				t.Fatalf("%s: %s", where, strings.Join(errs, "; "))
			}
		}
		for name, path := range st.Save {
			v := at(result, path)
			if v == absent {
				t.Fatalf("%s: nothing at %q to save as %s", where, path, name)
			}
			vars[name] = v
		}
	}
}

//! The case format of clients/conformance/README.md: variables, steps, expectations,
//! error kinds (the reference runner is test/e2e/client-conformance.test.ts).

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use mcias_client::{Client, Error};
use serde_json::{Map, Value};

use crate::ops::{self, CallError};

pub type Vars = HashMap<String, Value>;

// ---- TOTP (RFC 6238: SHA1, 6 digits, 30 s) for ${totp:var} and ${totp_next:var} ------

fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut bits: u64 = 0;
    let mut n = 0;
    let mut out = Vec::new();
    for ch in s.trim_end_matches('=').chars() {
        let v = match ch.to_ascii_uppercase() {
            c @ 'A'..='Z' => c as u64 - 'A' as u64,
            c @ '2'..='7' => c as u64 - '2' as u64 + 26,
            _ => return None,
        };
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    Some(out)
}

fn totp(secret_b32: &str, unix: u64) -> Result<String, String> {
    let key = base32_decode(secret_b32).ok_or("totp secret is not base32")?;
    let k = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &key);
    let mac = ring::hmac::sign(&k, &(unix / 30).to_be_bytes());
    let h = mac.as_ref();
    let off = (h[19] & 0x0f) as usize;
    let bin = u32::from_be_bytes([h[off] & 0x7f, h[off + 1], h[off + 2], h[off + 3]]);
    Ok(format!("{:06}", bin % 1_000_000))
}

fn lookup(vars: &Vars, expr: &str) -> Result<Value, String> {
    for (prefix, ahead) in [("totp:", 0), ("totp_next:", 30)] {
        if let Some(name) = expr.strip_prefix(prefix) {
            let secret = lookup(vars, name)?;
            let secret = secret.as_str().ok_or("totp secret variable is not a string")?;
            let now = SystemTime::now().duration_since(UNIX_EPOCH).map_err(|e| e.to_string())?.as_secs();
            return totp(secret, now + ahead).map(Value::String);
        }
    }
    vars.get(expr).cloned().ok_or_else(|| format!("unknown variable ${{{expr}}}"))
}

/// Replaces `${…}` in every string of `v`; a string that is exactly one `${…}` takes
/// the variable's JSON value.
pub fn subst(v: &Value, vars: &Vars) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) => {
            if s.starts_with("${") && s.ends_with('}') && s.matches("${").count() == 1 {
                return lookup(vars, &s[2..s.len() - 1]);
            }
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(i) = rest.find("${") {
                out.push_str(&rest[..i]);
                let end = rest[i..].find('}').ok_or("unclosed ${")? + i;
                match lookup(vars, &rest[i + 2..end])? {
                    Value::String(x) => out.push_str(&x),
                    other => out.push_str(&other.to_string()),
                }
                rest = &rest[end + 1..];
            }
            out.push_str(rest);
            Value::String(out)
        }
        Value::Array(xs) => Value::Array(xs.iter().map(|x| subst(x, vars)).collect::<Result<_, _>>()?),
        Value::Object(o) => {
            let mut m = Map::new();
            for (k, x) in o {
                m.insert(k.clone(), subst(x, vars)?);
            }
            Value::Object(m)
        }
        other => other.clone(),
    })
}

// ---- paths and matchers ----------------------------------------------------------

/// The value at a dot path (`events.0.id`); `None` when absent.
pub fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(v);
    }
    let mut cur = v;
    for seg in path.split('.') {
        cur = match cur {
            Value::Array(xs) if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) => xs.get(seg.parse::<usize>().ok()?)?,
            Value::Object(o) => o.get(seg)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn deep_eq(a: Option<&Value>, b: &Value) -> bool {
    match (a, b) {
        (None, _) => false,
        (Some(Value::Number(x)), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Some(Value::Array(xs)), Value::Array(ys)) => xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| deep_eq(Some(x), y)),
        (Some(Value::Object(xo)), Value::Object(yo)) => {
            xo.len() == yo.len() && yo.iter().all(|(k, y)| deep_eq(xo.get(k), y))
        }
        (Some(x), y) => x == y,
    }
}

fn type_name(v: Option<&Value>) -> &'static str {
    match v {
        None | Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "boolean",
        Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Array(_)) => "array",
        Some(Value::Object(_)) => "object",
    }
}

fn show(v: Option<&Value>) -> String {
    v.map(Value::to_string).unwrap_or_else(|| "<absent>".into())
}

/// Every `path: matcher` of `spec` against `v`; returns the mismatches.
pub fn match_obj(v: Option<&Value>, spec: &Map<String, Value>) -> Result<Vec<String>, String> {
    let mut errs = Vec::new();
    for (path, m) in spec {
        let sub = v.and_then(|v| at(v, path));
        for e in matches(sub, m)? {
            errs.push(format!("{}: {e}", if path.is_empty() { "<result>" } else { path }));
        }
    }
    Ok(errs)
}

fn spec_obj(a: &Value) -> Result<&Map<String, Value>, String> {
    a.as_object().ok_or_else(|| format!("matcher argument {a} is not an object"))
}

fn matches(v: Option<&Value>, m: &Value) -> Result<Vec<String>, String> {
    let mut errs = Vec::new();
    let obj = match m {
        Value::Null => {
            if !matches!(v, None | Some(Value::Null)) {
                errs.push(format!("expected absent/null, got {}", show(v)));
            }
            return Ok(errs);
        }
        Value::Object(o) => o,
        other => {
            if !deep_eq(v, other) {
                errs.push(format!("expected {other}, got {}", show(v)));
            }
            return Ok(errs);
        }
    };
    let arr = match v {
        Some(Value::Array(xs)) => Some(xs),
        _ => None,
    };
    let num = |a: &Value| a.as_f64().ok_or_else(|| format!("matcher argument {a} is not a number"));
    for (k, a) in obj {
        match k.as_str() {
            "eq" => {
                if !deep_eq(v, a) {
                    errs.push(format!("expected {a}, got {}", show(v)));
                }
            }
            "ne" => {
                if deep_eq(v, a) {
                    errs.push(format!("expected anything but {a}"));
                }
            }
            "type" => {
                if Some(type_name(v)) != a.as_str() {
                    errs.push(format!("expected type {a}, got {}", type_name(v)));
                }
            }
            "present" => {
                let present = !matches!(v, None | Some(Value::Null));
                if Some(present) != a.as_bool() {
                    errs.push(format!("expected present={a}, got {}", show(v)));
                }
            }
            "nonempty" => {
                let nonempty = match v {
                    Some(Value::String(s)) => !s.is_empty(),
                    Some(Value::Array(xs)) => !xs.is_empty(),
                    _ => false,
                };
                if Some(nonempty) != a.as_bool() {
                    errs.push(format!("expected nonempty={a}, got {}", show(v)));
                }
            }
            "length" => {
                if arr.map(|x| x.len() as f64) != Some(num(a)?) {
                    errs.push(format!("expected length {a}, got {}", show(v)));
                }
            }
            "min_length" => {
                if !arr.is_some_and(|x| x.len() as f64 >= num(a).unwrap_or(f64::MAX)) {
                    errs.push(format!("expected length >= {a}, got {}", show(v)));
                }
            }
            "min" => {
                if !v.and_then(Value::as_f64).is_some_and(|x| x >= num(a).unwrap_or(f64::MAX)) {
                    errs.push(format!("expected >= {a}, got {}", show(v)));
                }
            }
            "set" => {
                let want = a.as_array().ok_or("set: not an array")?;
                let ok = arr.is_some_and(|x| x.len() == want.len() && want.iter().all(|w| x.iter().any(|y| deep_eq(Some(y), w))));
                if !ok {
                    errs.push(format!("expected the set {a}, got {}", show(v)));
                }
            }
            "contains" => {
                if !arr.is_some_and(|x| x.iter().any(|y| deep_eq(Some(y), a))) {
                    errs.push(format!("expected to contain {a}, got {}", show(v)));
                }
            }
            "excludes" => {
                if arr.is_none_or(|x| x.iter().any(|y| deep_eq(Some(y), a))) {
                    errs.push(format!("expected not to contain {a}, got {}", show(v)));
                }
            }
            "some" | "none" => {
                let spec = spec_obj(a)?;
                let mut any = false;
                for x in arr.map(|x| x.as_slice()).unwrap_or(&[]) {
                    if match_obj(Some(x), spec)?.is_empty() {
                        any = true;
                        break;
                    }
                }
                if arr.is_none() || (k == "some") != any {
                    errs.push(format!(
                        "{} element matches {a} in {}",
                        if k == "some" { "no" } else { "an" },
                        show(v)
                    ));
                }
            }
            "all" => {
                let spec = spec_obj(a)?;
                match arr {
                    None => errs.push(format!("expected an array, got {}", show(v))),
                    Some(xs) => {
                        for (i, x) in xs.iter().enumerate() {
                            for e in match_obj(Some(x), spec)? {
                                errs.push(format!("[{i}].{e}"));
                            }
                        }
                    }
                }
            }
            other => return Err(format!("unknown matcher \"{other}\"")),
        }
    }
    Ok(errs)
}

// ---- error kinds -----------------------------------------------------------------

fn kind_of(e: &Error) -> &'static str {
    match e {
        Error::BadRequest(_) => "bad_request",
        Error::Unauthorized(_) => "unauthorized",
        Error::Forbidden(_) => "forbidden",
        Error::NotFound(_) => "not_found",
        Error::Conflict(_) => "conflict",
        Error::RateLimited { .. } => "rate_limited",
        Error::VaultSealed(_) => "vault_sealed",
        Error::Server(_) => "internal",
        Error::Transport { .. } => "transport",
        Error::InvalidToken(_) => "invalid_token",
        Error::Config(_) => "config",
        _ => "unknown",
    }
}

fn expected_status(kind: &str) -> Option<u16> {
    Some(match kind {
        "bad_request" => 400,
        "unauthorized" => 401,
        "forbidden" => 403,
        "not_found" => 404,
        "conflict" => 409,
        "rate_limited" => 429,
        "vault_sealed" => 503,
        _ => return None, // transport, invalid_token: no HTTP status
    })
}

fn check_error(where_: &str, e: &Error, kind: &str) -> Result<(), String> {
    if e.status() != expected_status(kind) {
        return Err(format!("{where_}: {kind} with status {:?}, expected {:?}", e.status(), expected_status(kind)));
    }
    if e.code() != kind {
        return Err(format!("{where_}: code {}, expected {kind}", e.code()));
    }
    if kind == "rate_limited" && e.retry_after().is_none_or(|d| d.as_secs() < 1) {
        return Err(format!("{where_}: rate_limited without Retry-After >= 1"));
    }
    Ok(())
}

// ---- one case ----------------------------------------------------------------------

pub struct Env<'a> {
    pub info: &'a Value,
    pub ca_pem: &'a [u8],
    pub issuer: &'a str,
}

fn client_for<'c>(env: &Env, case: &Value, clients: &'c mut HashMap<String, Client>, name: &str) -> Result<&'c Client, String> {
    if !clients.contains_key(name) {
        let trust = case
            .get("clients")
            .and_then(|c| c.get(name))
            .and_then(|c| c.get("trust_ca"))
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let url = env.info.get("url").and_then(Value::as_str).ok_or("server info has no url")?;
        let mut b = Client::builder(url);
        if trust {
            b = b.ca_pem(env.ca_pem.to_vec());
        }
        clients.insert(name.to_owned(), b.build().map_err(|e| e.to_string())?);
    }
    Ok(&clients[name])
}

pub async fn run_case(env: &Env<'_>, case: &Value) -> Result<(), String> {
    let name = case.get("name").and_then(Value::as_str).unwrap_or("?");
    let mut vars: Vars = env.info.as_object().map(|o| o.clone().into_iter().collect()).unwrap_or_default();
    let mut clients: HashMap<String, Client> = HashMap::new();
    let steps = case.get("steps").and_then(Value::as_array).ok_or("case has no steps")?;
    for (i, step) in steps.iter().enumerate() {
        let op = step.get("op").and_then(Value::as_str).ok_or("step has no op")?;
        let where_ = format!("{name} step {} ({op})", i + 1);
        let cname = step.get("client").and_then(Value::as_str).unwrap_or("main");
        let client = client_for(env, case, &mut clients, cname)?;
        let args = subst(step.get("args").unwrap_or(&Value::Null), &vars)?;
        let repeat = step.get("repeat");
        let attempts = repeat.and_then(|r| r.get("max_attempts")).and_then(Value::as_u64).unwrap_or(1);
        let until = repeat.and_then(|r| r.get("until_error")).and_then(Value::as_str);
        let expect = step.get("expect");
        let want_err = if repeat.is_some() { None } else { expect.and_then(|e| e.get("error")).and_then(Value::as_str) };
        let mut result = Value::Null;
        for n in 1..=attempts {
            let out = ops::call(client, op, &args, env.issuer).await;
            let out = match out {
                Err(CallError::Case(msg)) => return Err(format!("{where_}: {msg}")),
                Err(CallError::Client(e)) => Err(e),
                Ok(v) => Ok(v),
            };
            if let (Some(until), Err(e)) = (until, &out) {
                let k = kind_of(e);
                if k != until {
                    return Err(format!("{where_}: attempt {n} failed with {k}, not {until}: {e}"));
                }
                check_error(&where_, e, k)?;
                if n == 1 {
                    return Err(format!("{where_}: failed at the first attempt (no success before {k})"));
                }
                break;
            }
            if let Some(until) = until {
                if n == attempts {
                    return Err(format!("{where_}: no {until} within {attempts} attempts"));
                }
            }
            if let Some(want) = want_err {
                match &out {
                    Ok(v) => return Err(format!("{where_}: expected error {want}, got success {v}")),
                    Err(e) => {
                        let k = kind_of(e);
                        if k != want {
                            return Err(format!("{where_}: expected error {want}, got {k}: {e}"));
                        }
                        check_error(&where_, e, k)?;
                        break;
                    }
                }
            }
            result = match out {
                Ok(v) => v,
                Err(e) => return Err(format!("{where_}: unexpected error {}: {e}", kind_of(&e))),
            };
            let spec = subst(expect.and_then(|e| e.get("result")).unwrap_or(&Value::Object(Map::new())), &vars)?;
            let errs = match_obj(Some(&result), spec_obj(&spec)?)?;
            if !errs.is_empty() {
                return Err(format!("{where_}: {}", errs.join("; ")));
            }
        }
        if let Some(save) = step.get("save").and_then(Value::as_object) {
            for (var, path) in save {
                let path = path.as_str().ok_or("save path is not a string")?;
                let v = at(&result, path).ok_or_else(|| format!("{where_}: nothing at \"{path}\" to save as {var}"))?;
                vars.insert(var.clone(), v.clone());
            }
        }
    }
    Ok(())
}

/// The TOTP used for `${totp:…}` against RFC 6238 appendix B (SHA1, 6 digits):
/// T = 59 s → 287082, T = 1111111109 → 081804.
pub fn self_check() -> Result<(), String> {
    for (t, want) in [(59, "287082"), (1_111_111_109, "081804")] {
        match totp("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", t) {
            Ok(code) if code == want => {}
            other => return Err(format!("TOTP at {t} does not match RFC 6238: {other:?}")),
        }
    }
    Ok(())
}

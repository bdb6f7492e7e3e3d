//! Local token verification: the JWT's Ed25519 signature against the server's JWKS
//! (cached, refreshed on an unknown `kid`), its header, `iss`, `exp`/`iat` (with
//! leeway) and an optional `aud`. Local verification cannot see revocation: use
//! [`crate::Client::validate`] where a revoked token must be refused at once.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

use crate::types::{AccountType, JwkSet};
use crate::Error;

/// What [`crate::Client::verify_locally`] checks besides the signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The expected `iss` (the server's `tokens.issuer` setting). Required.
    pub issuer: String,
    /// When set, the token's `aud` must contain it.
    pub audience: Option<String>,
    /// Clock skew allowed on `exp` and `iat` (at most 60 s is what the server allows).
    pub leeway: Duration,
}

impl VerifyOptions {
    /// Options for tokens of the given issuer, no audience, 60 s leeway.
    pub fn new(issuer: impl Into<String>) -> Self {
        VerifyOptions { issuer: issuer.into(), audience: None, leeway: Duration::from_secs(60) }
    }

    /// Requires this audience.
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }
}

/// The claims of a token that verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Account id.
    pub sub: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// Token id.
    pub jti: String,
    /// The account's roles when the token was issued (the server re-reads roles on
    /// every call; use these only for coarse local decisions).
    pub roles: Vec<String>,
    /// Human or system.
    pub account_type: AccountType,
    /// The account's username.
    pub username: String,
    /// The audience the token is bound to (a string or a list), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<serde_json::Value>,
    /// When the session's last primary authentication happened (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
}

/// The JWKS cache: keys by `kid`, and when they were last fetched.
#[derive(Default)]
pub(crate) struct JwksCache {
    pub(crate) keys: HashMap<String, DecodingKey>,
    pub(crate) fetched_at: Option<Instant>,
}

/// An unknown `kid` triggers at most one JWKS fetch per this interval, so garbage
/// tokens cannot make the client hammer the server.
pub(crate) const MIN_REFRESH: Duration = Duration::from_secs(10);

impl JwksCache {
    /// Replaces the cached keys with the Ed25519 keys of `set`.
    pub(crate) fn replace(&mut self, set: &JwkSet) {
        let mut keys = HashMap::new();
        for k in &set.keys {
            if k.kty != "OKP" || k.crv != "Ed25519" {
                continue;
            }
            if let Ok(dk) = DecodingKey::from_ed_components(&k.x) {
                keys.insert(k.kid.clone(), dk);
            }
        }
        self.keys = keys;
        self.fetched_at = Some(Instant::now());
    }

    /// Whether a fetch for an unknown `kid` is allowed now.
    pub(crate) fn may_refresh(&self) -> bool {
        self.fetched_at.is_none_or(|t| t.elapsed() >= MIN_REFRESH)
    }
}

fn invalid(why: &str) -> Error {
    Error::InvalidToken(why.to_owned())
}

/// Checks the header before anything else and returns its `kid`.
pub(crate) fn header_kid(token: &str) -> Result<String, Error> {
    let mut parts = token.split('.');
    let (Some(h), Some(_), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(invalid("not a compact JWS"));
    };
    let raw = URL_SAFE_NO_PAD.decode(h).map_err(|_| invalid("header is not base64url"))?;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&raw).map_err(|_| invalid("header is not a JSON object"))?;
    if header.get("alg").and_then(|a| a.as_str()) != Some("EdDSA") {
        return Err(invalid("algorithm is not EdDSA"));
    }
    for forbidden in ["jku", "x5u", "jwk", "crit"] {
        if header.contains_key(forbidden) {
            return Err(invalid("header carries a forbidden parameter"));
        }
    }
    match header.get("kid").and_then(|k| k.as_str()) {
        Some(kid) if !kid.is_empty() => Ok(kid.to_owned()),
        _ => Err(invalid("header has no kid")),
    }
}

/// Verifies signature and claims with `key`.
pub(crate) fn verify_with_key(token: &str, key: &DecodingKey, opts: &VerifyOptions) -> Result<Claims, Error> {
    let mut v = Validation::new(Algorithm::EdDSA);
    v.leeway = opts.leeway.as_secs();
    v.validate_exp = true;
    v.validate_nbf = true;
    v.set_issuer(&[opts.issuer.as_str()]);
    v.set_required_spec_claims(&["exp", "iss", "sub"]);
    match &opts.audience {
        Some(aud) => {
            v.set_audience(&[aud.as_str()]);
            v.required_spec_claims.insert("aud".to_owned());
        }
        None => v.validate_aud = false,
    }
    let data = jsonwebtoken::decode::<Claims>(token, key, &v).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind as K;
        invalid(match e.kind() {
            K::InvalidSignature => "signature does not verify",
            K::ExpiredSignature => "token has expired",
            K::ImmatureSignature => "token is not valid yet",
            K::InvalidIssuer => "wrong issuer",
            K::InvalidAudience => "wrong audience",
            K::MissingRequiredClaim(_) => "a required claim is missing",
            K::InvalidAlgorithm => "algorithm is not EdDSA",
            K::Json(_) => "claims do not have the expected shape",
            _ => "token is malformed",
        })
    })?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    if data.claims.iat > now + opts.leeway.as_secs() as i64 {
        return Err(invalid("token is issued in the future"));
    }
    if data.claims.jti.is_empty() || data.claims.sub.is_empty() {
        return Err(invalid("a required claim is missing"));
    }
    Ok(data.claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn header_checks_come_first() {
        let tok = |h: &str| format!("{}.{}.sig", b64(h), b64("{}"));
        assert_eq!(header_kid(&tok(r#"{"alg":"EdDSA","typ":"JWT","kid":"k1"}"#)).unwrap(), "k1");
        for bad in [
            r#"{"alg":"none","kid":"k1"}"#,
            r#"{"alg":"HS256","kid":"k1"}"#,
            r#"{"alg":"EdDSA","kid":"k1","jku":"https://evil"}"#,
            r#"{"alg":"EdDSA","kid":"k1","crit":["x"]}"#,
            r#"{"alg":"EdDSA"}"#,
        ] {
            assert!(matches!(header_kid(&tok(bad)), Err(Error::InvalidToken(_))), "{bad}");
        }
        assert!(header_kid("garbage").is_err());
        assert!(header_kid("a.b.c.d").is_err());
    }

    #[test]
    fn jwks_cache_refreshes_only_when_allowed() {
        let mut cache = JwksCache::default();
        assert!(cache.may_refresh(), "an empty cache fetches");
        let set = crate::types::JwkSet {
            keys: vec![crate::types::Jwk {
                kty: "OKP".into(),
                crv: "Ed25519".into(),
                x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo".into(),
                kid: "k1".into(),
                key_use: Some("sig".into()),
                alg: Some("EdDSA".into()),
            }],
        };
        cache.replace(&set);
        assert!(cache.keys.contains_key("k1"));
        assert!(!cache.may_refresh(), "no refetch within MIN_REFRESH of a fetch");
        cache.fetched_at = Some(Instant::now() - MIN_REFRESH);
        assert!(cache.may_refresh(), "refetch once MIN_REFRESH has passed");
    }

    #[test]
    fn error_text_never_holds_the_token() {
        let token = format!("{}.{}.c2VjcmV0", b64(r#"{"alg":"EdDSA","kid":"k"}"#), b64(r#"{"sub":"x"}"#));
        let key = DecodingKey::from_ed_components("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo").unwrap();
        let err = verify_with_key(&token, &key, &VerifyOptions::new("https://x")).unwrap_err();
        assert!(!err.to_string().contains(&token));
        assert!(!format!("{err:?}").contains("c2VjcmV0"));
    }
}

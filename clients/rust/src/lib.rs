//! # mcias-client
//!
//! An async client for the MCIAS identity and access server's REST API: login,
//! token validation (remote and local), accounts, roles, tags, service tokens,
//! Postgres credentials, audit and policy.
//!
//! HTTPS goes through `reqwest` with rustls; give the server's CA (or self-signed
//! certificate) with [`ClientBuilder::ca_file`] or [`ClientBuilder::ca_pem`], and only
//! that CA is trusted. The bearer token lives in a [`TokenHolder`] whose `Debug`
//! never prints it; every secret in a request or response is a [`SecretString`].
//! Every call fails with one [`Error`], with a variant per server error code.
//!
//! ```no_run
//! # async fn run() -> Result<(), mcias_client::Error> {
//! use mcias_client::{Client, ExposeSecret, VerifyOptions};
//!
//! let mcias = Client::builder("https://auth.example.com:8443")
//!     .ca_file("/etc/mcias/ca.pem")
//!     .build()?;
//! mcias.login("alice", "correct horse battery staple", None).await?;
//! let me = mcias.me().await?;
//! println!("logged in as {} with roles {:?}", me.username, me.roles);
//!
//! // An app that received a token checks it locally (signature, iss, exp) ...
//! let token = mcias.token().expect("logged in");
//! let claims = mcias
//!     .verify_locally(token.expose_secret(), &VerifyOptions::new("https://auth.example.com:8443"))
//!     .await?;
//! // ... or asks the server, which also knows about revocation.
//! let valid = mcias.validate(token.expose_secret()).await?;
//! assert_eq!(valid.map(|v| v.sub), Some(claims.sub));
//! # Ok(())
//! # }
//! ```
//!
//! Secrets stay out of `Debug` output:
//!
//! ```
//! let client = mcias_client::Client::builder("https://auth.example.com")
//!     .token("eyJhbGciOiJFZERTQSJ9.e30.c2lnbmF0dXJl")
//!     .build()
//!     .unwrap();
//! let shown = format!("{client:?}");
//! assert!(shown.contains("auth.example.com"));
//! assert!(!shown.contains("c2lnbmF0dXJl"));
//! assert!(client.token().is_some());
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod types;
mod verify;

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use url::Url;

pub use error::{ApiError, Error};
pub use secrecy::{ExposeSecret, SecretString};
pub use types::*;
pub use verify::{Claims, VerifyOptions};

/// The result type of every call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Holds the bearer token: shared by clones of a [`Client`], safe across threads, and
/// its `Debug` says only whether a token is set.
#[derive(Clone, Default)]
pub struct TokenHolder(Arc<RwLock<Option<SecretString>>>);

impl TokenHolder {
    /// The current token, if any.
    pub fn get(&self) -> Option<SecretString> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Replaces (or with `None`, clears) the token.
    pub fn set(&self, token: Option<SecretString>) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = token;
    }
}

impl fmt::Debug for TokenHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = self.0.read().map(|t| t.is_some()).unwrap_or(false);
        f.write_str(if set { "TokenHolder([REDACTED])" } else { "TokenHolder(None)" })
    }
}

/// Configures a [`Client`]: base URL, optional CA, optional token, timeout.
#[derive(Debug)]
pub struct ClientBuilder {
    base_url: String,
    ca_file: Option<PathBuf>,
    ca_pem: Option<Vec<u8>>,
    token: Option<SecretString>,
    timeout: Duration,
}

impl ClientBuilder {
    /// Trusts the CA certificate(s) in this PEM file instead of the built-in roots.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// Trusts the CA certificate(s) in this PEM text instead of the built-in roots.
    pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem = Some(pem.into());
        self
    }

    /// Starts with this bearer token (e.g. a service's token from its config).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(SecretString::from(token.into()));
        self
    }

    /// Per-request timeout (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Builds the client. Fails on a URL that is not `https://` (plain `http://` only
    /// to loopback) or an unreadable or empty CA.
    pub fn build(self) -> Result<Client> {
        let mut base = Url::parse(&self.base_url).map_err(|_| Error::Config("the base URL is not a valid URL".into()))?;
        let loopback = matches!(base.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        if base.scheme() != "https" && !(base.scheme() == "http" && loopback) {
            return Err(Error::Config("the base URL must be https://".into()));
        }
        if base.cannot_be_a_base() || base.query().is_some() || base.fragment().is_some() {
            return Err(Error::Config("the base URL must not have a query or fragment".into()));
        }
        // Path segments are appended later; keep no trailing empty segment.
        let trimmed = base.path().trim_end_matches('/').to_owned();
        base.set_path(&trimmed);

        let mut http = reqwest::Client::builder()
            .use_rustls_tls()
            .https_only(base.scheme() == "https")
            .min_tls_version(reqwest::tls::Version::TLS_1_2)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .user_agent(concat!("mcias-client-rust/", env!("CARGO_PKG_VERSION")));
        let pem = match (&self.ca_pem, &self.ca_file) {
            (Some(p), _) => Some(p.clone()),
            (None, Some(f)) => Some(std::fs::read(f).map_err(|e| Error::Config(format!("cannot read the CA file: {e}")))?),
            (None, None) => None,
        };
        if let Some(pem) = pem {
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|_| Error::Config("the CA is not PEM certificates".into()))?;
            if certs.is_empty() {
                return Err(Error::Config("the CA holds no certificate".into()));
            }
            http = http.tls_built_in_root_certs(false);
            for c in certs {
                http = http.add_root_certificate(c);
            }
        }
        let http = http.build().map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        let token = TokenHolder::default();
        token.set(self.token);
        Ok(Client { inner: Arc::new(Inner { base, http, token, jwks: Mutex::new(verify::JwksCache::default()) }) })
    }
}

struct Inner {
    base: Url,
    http: reqwest::Client,
    token: TokenHolder,
    jwks: Mutex<verify::JwksCache>,
}

/// The MCIAS client. Cheap to clone (clones share the connection pool, the token and
/// the JWKS cache) and safe to use from many tasks at once.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .field("token", &self.inner.token)
            .finish_non_exhaustive()
    }
}

/// Whether a request carries the bearer token.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Auth {
    Bearer,
    None,
}

#[derive(Serialize)]
struct AudienceBody<'a> {
    audience: &'a str,
}

#[derive(Deserialize)]
struct Roles {
    roles: Vec<String>,
}

#[derive(Deserialize)]
struct Tags {
    tags: Vec<String>,
}

#[derive(Deserialize)]
struct ValidateRaw {
    valid: bool,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

impl Client {
    /// A builder for a client of the server at `base_url`, e.g. `https://auth.example.com:8443`.
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            ca_file: None,
            ca_pem: None,
            token: None,
            timeout: Duration::from_secs(30),
        }
    }

    /// A client with the system's default trust roots and no token.
    pub fn new(base_url: impl Into<String>) -> Result<Client> {
        Client::builder(base_url).build()
    }

    /// The base URL in use.
    pub fn base_url(&self) -> &str {
        self.inner.base.as_str()
    }

    /// The bearer token in use (set by the builder, `login`, `renew` or `set_token`).
    pub fn token(&self) -> Option<SecretString> {
        self.inner.token.get()
    }

    /// Replaces (or with `None`, clears) the bearer token.
    pub fn set_token(&self, token: Option<SecretString>) {
        self.inner.token.set(token)
    }

    /// The shared token holder (e.g. to hand to another component).
    pub fn token_holder(&self) -> &TokenHolder {
        &self.inner.token
    }

    // ---- plumbing ------------------------------------------------------------------

    fn url(&self, segments: &[&str]) -> Result<Url> {
        let mut u = self.inner.base.clone();
        {
            let mut p = u.path_segments_mut().map_err(|_| Error::Config("the base URL cannot take a path".into()))?;
            for s in segments {
                // "." and ".." would be resolved away by the URL parser.
                if s.is_empty() || *s == "." || *s == ".." {
                    return Err(Error::Config("invalid path parameter (empty, \".\" or \"..\")".into()));
                }
                p.push(s);
            }
        }
        Ok(u)
    }

    /// Sends one request; returns the status and body of a success, or the typed error.
    async fn send<B: Serialize + ?Sized>(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<&B>,
        auth: Auth,
        allow: &[StatusCode],
    ) -> Result<(StatusCode, Vec<u8>)> {
        let mut url = self.url(segments)?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let path = url.path().to_owned();
        let what = format!("{method} {path}");
        let mut req = self.inner.http.request(method, url).header(reqwest::header::ACCEPT, "application/json");
        if auth == Auth::Bearer {
            // Without a token the server answers 401, which surfaces as Unauthorized.
            if let Some(t) = self.inner.token.get() {
                req = req.bearer_auth(t.expose_secret());
            }
        }
        if let Some(b) = body {
            let bytes = serde_json::to_vec(b).map_err(|_| Error::Config("the request body cannot be encoded".into()))?;
            req = req.header(reqwest::header::CONTENT_TYPE, "application/json").body(bytes);
        }
        let res = req.send().await.map_err(|e| transport(&what, &e, None))?;
        let status = res.status();
        let retry_after = res
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = res.bytes().await.map_err(|e| transport(&what, &e, Some(status.as_u16())))?;
        if status.is_success() || allow.contains(&status) {
            return Ok((status, bytes.to_vec()));
        }
        if status.as_u16() < 400 {
            return Err(Error::Transport {
                message: format!("{what}: unexpected HTTP {}", status.as_u16()),
                status: Some(status.as_u16()),
            });
        }
        Err(Error::from_response(status.as_u16(), &bytes, retry_after.as_deref()))
    }

    async fn call<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<&B>,
        auth: Auth,
    ) -> Result<T> {
        let what = format!("{method} /{}", segments.join("/"));
        let (status, bytes) = self.send(method, segments, query, body, auth, &[]).await?;
        decode(&what, status, &bytes)
    }

    async fn call_empty<B: Serialize + ?Sized>(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<&B>,
    ) -> Result<()> {
        self.send(method, segments, &[], body, Auth::Bearer, &[]).await?;
        Ok(())
    }

    async fn get<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T> {
        self.call::<T, ()>(Method::GET, segments, &[], None, Auth::Bearer).await
    }

    // ---- system --------------------------------------------------------------------

    /// `GET /v1/health`: status `ok`, or `sealed` (not an error) while sealed.
    pub async fn health(&self) -> Result<Health> {
        let (status, bytes) = self
            .send::<()>(Method::GET, &["v1", "health"], &[], None, Auth::None, &[StatusCode::SERVICE_UNAVAILABLE])
            .await?;
        decode("GET /v1/health", status, &bytes)
    }

    /// `GET /v1/keys/public`: the Ed25519 token-signing key as a JWK.
    pub async fn public_key(&self) -> Result<Jwk> {
        self.call::<_, ()>(Method::GET, &["v1", "keys", "public"], &[], None, Auth::None).await
    }

    /// `GET /.well-known/jwks.json`: the key set for local verification.
    pub async fn jwks(&self) -> Result<JwkSet> {
        self.call::<_, ()>(Method::GET, &[".well-known", "jwks.json"], &[], None, Auth::None).await
    }

    // ---- auth ----------------------------------------------------------------------

    /// `POST /v1/auth/login` (with `totp_code` when the account has TOTP); on success
    /// the client uses the new token from then on.
    pub async fn login(&self, username: &str, password: &str, totp_code: Option<&str>) -> Result<TokenResponse> {
        self.login_for_audience(username, password, totp_code, None).await
    }

    /// [`Client::login`] for a token bound to one app: with `Some(audience)` the token
    /// carries `aud` and validation for another audience refuses it.
    pub async fn login_for_audience(
        &self,
        username: &str,
        password: &str,
        totp_code: Option<&str>,
        audience: Option<&str>,
    ) -> Result<TokenResponse> {
        #[derive(Serialize)]
        struct Body<'a> {
            username: &'a str,
            password: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            totp_code: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            audience: Option<&'a str>,
        }
        let body = Body { username, password, totp_code, audience };
        let r: TokenResponse = self.call(Method::POST, &["v1", "auth", "login"], &[], Some(&body), Auth::None).await?;
        self.inner.token.set(Some(r.token.clone()));
        Ok(r)
    }

    /// `POST /v1/auth/logout`: revokes the current token and forgets it.
    pub async fn logout(&self) -> Result<()> {
        self.call_empty::<()>(Method::POST, &["v1", "auth", "logout"], None).await?;
        self.inner.token.set(None);
        Ok(())
    }

    /// `POST /v1/auth/renew`: a fresh token for the same session; the old one is
    /// revoked and replaced here.
    pub async fn renew(&self) -> Result<TokenResponse> {
        self.renew_for_audience(None).await
    }

    /// [`Client::renew`] asking for a token bound to `audience` (the server never
    /// moves a token that already has one to another audience).
    pub async fn renew_for_audience(&self, audience: Option<&str>) -> Result<TokenResponse> {
        let body = audience.map(|audience| AudienceBody { audience });
        let r: TokenResponse = self.call(Method::POST, &["v1", "auth", "renew"], &[], body.as_ref(), Auth::Bearer).await?;
        self.inner.token.set(Some(r.token.clone()));
        Ok(r)
    }

    /// `GET /v1/auth/me`: the caller's account.
    pub async fn me(&self) -> Result<Account> {
        self.get(&["v1", "auth", "me"]).await
    }

    /// `PUT /v1/auth/password` (humans): every other token of the account is revoked.
    pub async fn change_password(&self, current_password: &str, new_password: &str) -> Result<()> {
        #[derive(Serialize)]
        struct Body<'a> {
            current_password: &'a str,
            new_password: &'a str,
        }
        self.call_empty(Method::PUT, &["v1", "auth", "password"], Some(&Body { current_password, new_password }))
            .await
    }

    /// `POST /v1/auth/totp/enroll`: a new TOTP secret, active only once confirmed.
    /// Needs the account's current password (step-up; without it the server answers
    /// 403).
    pub async fn totp_enroll(&self, current_password: &str) -> Result<TotpEnrollment> {
        #[derive(Serialize)]
        struct Body<'a> {
            current_password: &'a str,
        }
        self.call(Method::POST, &["v1", "auth", "totp", "enroll"], &[], Some(&Body { current_password }), Auth::Bearer)
            .await
    }

    /// `POST /v1/auth/totp/confirm`: turns TOTP on with a current code.
    pub async fn totp_confirm(&self, code: &str) -> Result<()> {
        #[derive(Serialize)]
        struct Body<'a> {
            code: &'a str,
        }
        self.call_empty(Method::POST, &["v1", "auth", "totp", "confirm"], Some(&Body { code })).await
    }

    // ---- tokens --------------------------------------------------------------------

    /// `POST /v1/token/validate` (no bearer needed): the token's claims if the server
    /// says it is valid (signature, expiry, not revoked, account active), else `None`.
    pub async fn validate(&self, token: &str) -> Result<Option<ValidToken>> {
        self.validate_for_audience(token, None).await
    }

    /// [`Client::validate`] for one app: a token minted for another audience is
    /// invalid (a token without `aud` is valid for any audience).
    pub async fn validate_for_audience(&self, token: &str, audience: Option<&str>) -> Result<Option<ValidToken>> {
        #[derive(Serialize)]
        struct Body<'a> {
            token: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            audience: Option<&'a str>,
        }
        let raw: ValidateRaw = self
            .call(Method::POST, &["v1", "token", "validate"], &[], Some(&Body { token, audience }), Auth::None)
            .await?;
        if !raw.valid {
            return Ok(None);
        }
        serde_json::from_value(serde_json::Value::Object(raw.rest))
            .map(Some)
            .map_err(|e| shape_error("POST /v1/token/validate", StatusCode::OK, &e))
    }

    /// `DELETE /v1/token/{jti}`.
    pub async fn revoke_token(&self, jti: &str) -> Result<()> {
        self.call_empty::<()>(Method::DELETE, &["v1", "token", jti], None).await
    }

    /// `POST /v1/accounts/{id}/token`: a system account's new token; its previous one
    /// is revoked.
    pub async fn issue_service_token(&self, account_id: &str) -> Result<IssuedToken> {
        self.issue_service_token_for_audience(account_id, None).await
    }

    /// [`Client::issue_service_token`] for a token bound to `audience`.
    pub async fn issue_service_token_for_audience(&self, account_id: &str, audience: Option<&str>) -> Result<IssuedToken> {
        let body = audience.map(|audience| AudienceBody { audience });
        self.call(Method::POST, &["v1", "accounts", account_id, "token"], &[], body.as_ref(), Auth::Bearer).await
    }

    /// `GET /v1/accounts/{id}/tokens`: the account's tokens (metadata only).
    pub async fn list_tokens(&self, account_id: &str) -> Result<Vec<TokenInfo>> {
        self.get(&["v1", "accounts", account_id, "tokens"]).await
    }

    // ---- accounts ------------------------------------------------------------------

    /// `POST /v1/accounts`.
    pub async fn create_account(&self, req: &CreateAccount) -> Result<Account> {
        self.call(Method::POST, &["v1", "accounts"], &[], Some(req), Auth::Bearer).await
    }

    /// `GET /v1/accounts` (deleted accounts only with `Some(AccountStatus::Deleted)`).
    pub async fn list_accounts(&self, status: Option<AccountStatus>) -> Result<Vec<Account>> {
        let q: Vec<(&str, String)> = status.map(|s| ("status", s.as_str().to_owned())).into_iter().collect();
        self.call::<_, ()>(Method::GET, &["v1", "accounts"], &q, None, Auth::Bearer).await
    }

    /// `GET /v1/accounts/{id}`.
    pub async fn get_account(&self, id: &str) -> Result<Account> {
        self.get(&["v1", "accounts", id]).await
    }

    /// `PATCH /v1/accounts/{id}`; going inactive revokes all its tokens.
    pub async fn update_account(&self, id: &str, req: &UpdateAccount) -> Result<Account> {
        self.call(Method::PATCH, &["v1", "accounts", id], &[], Some(req), Auth::Bearer).await
    }

    /// `DELETE /v1/accounts/{id}`: soft delete; its tokens are revoked and the
    /// username stays reserved.
    pub async fn delete_account(&self, id: &str) -> Result<()> {
        self.call_empty::<()>(Method::DELETE, &["v1", "accounts", id], None).await
    }

    /// `PUT /v1/accounts/{id}/password` (admin): all its tokens are revoked.
    pub async fn set_account_password(&self, id: &str, password: &str) -> Result<()> {
        #[derive(Serialize)]
        struct Body<'a> {
            password: &'a str,
        }
        self.call_empty(Method::PUT, &["v1", "accounts", id, "password"], Some(&Body { password })).await
    }

    /// `DELETE /v1/accounts/{id}/totp` (admin): turns the account's TOTP off.
    pub async fn remove_totp(&self, id: &str) -> Result<()> {
        self.call_empty::<()>(Method::DELETE, &["v1", "accounts", id, "totp"], None).await
    }

    // ---- roles and tags ------------------------------------------------------------

    /// `GET /v1/accounts/{id}/roles`.
    pub async fn get_roles(&self, id: &str) -> Result<Vec<String>> {
        self.get::<Roles>(&["v1", "accounts", id, "roles"]).await.map(|r| r.roles)
    }

    /// `PUT /v1/accounts/{id}/roles`: replaces the set; returns the new set.
    pub async fn set_roles(&self, id: &str, roles: &[&str]) -> Result<Vec<String>> {
        #[derive(Serialize)]
        struct Body<'a> {
            roles: &'a [&'a str],
        }
        self.call::<Roles, _>(Method::PUT, &["v1", "accounts", id, "roles"], &[], Some(&Body { roles }), Auth::Bearer)
            .await
            .map(|r| r.roles)
    }

    /// `POST /v1/accounts/{id}/roles`: adds one role; returns the new set.
    pub async fn grant_role(&self, id: &str, role: &str) -> Result<Vec<String>> {
        #[derive(Serialize)]
        struct Body<'a> {
            role: &'a str,
        }
        self.call::<Roles, _>(Method::POST, &["v1", "accounts", id, "roles"], &[], Some(&Body { role }), Auth::Bearer)
            .await
            .map(|r| r.roles)
    }

    /// `DELETE /v1/accounts/{id}/roles/{role}`: removes one role; returns the new set.
    pub async fn revoke_role(&self, id: &str, role: &str) -> Result<Vec<String>> {
        self.call::<Roles, ()>(Method::DELETE, &["v1", "accounts", id, "roles", role], &[], None, Auth::Bearer)
            .await
            .map(|r| r.roles)
    }

    /// `GET /v1/accounts/{id}/tags`.
    pub async fn get_tags(&self, id: &str) -> Result<Vec<String>> {
        self.get::<Tags>(&["v1", "accounts", id, "tags"]).await.map(|t| t.tags)
    }

    /// `PUT /v1/accounts/{id}/tags`: replaces the set; returns the new set.
    pub async fn set_tags(&self, id: &str, tags: &[&str]) -> Result<Vec<String>> {
        #[derive(Serialize)]
        struct Body<'a> {
            tags: &'a [&'a str],
        }
        self.call::<Tags, _>(Method::PUT, &["v1", "accounts", id, "tags"], &[], Some(&Body { tags }), Auth::Bearer)
            .await
            .map(|t| t.tags)
    }

    // ---- delegates -----------------------------------------------------------------

    /// `GET /v1/accounts/{id}/token/delegates`: humans allowed to manage the system
    /// account's token.
    pub async fn list_delegates(&self, id: &str) -> Result<Vec<Grant>> {
        self.get(&["v1", "accounts", id, "token", "delegates"]).await
    }

    /// `POST /v1/accounts/{id}/token/delegates`.
    pub async fn grant_delegate(&self, id: &str, grantee_id: &str) -> Result<Grant> {
        #[derive(Serialize)]
        struct Body<'a> {
            grantee_id: &'a str,
        }
        self.call(Method::POST, &["v1", "accounts", id, "token", "delegates"], &[], Some(&Body { grantee_id }), Auth::Bearer)
            .await
    }

    /// `DELETE /v1/accounts/{id}/token/delegates/{grantee_id}`.
    pub async fn revoke_delegate(&self, id: &str, grantee_id: &str) -> Result<()> {
        self.call_empty::<()>(Method::DELETE, &["v1", "accounts", id, "token", "delegates", grantee_id], None)
            .await
    }

    // ---- Postgres credentials ------------------------------------------------------

    /// `GET /v1/pgcreds`: every credential the caller may read (never passwords).
    pub async fn list_pgcreds(&self) -> Result<Vec<PgCredsSummary>> {
        self.get(&["v1", "pgcreds"]).await
    }

    /// `GET /v1/accounts/{id}/pgcreds`: with `password` for managers and the account
    /// itself, without it for metadata grantees.
    pub async fn get_pgcreds(&self, id: &str) -> Result<PgCreds> {
        self.get(&["v1", "accounts", id, "pgcreds"]).await
    }

    /// `PUT /v1/accounts/{id}/pgcreds` (admin): the password is stored encrypted.
    pub async fn set_pgcreds(&self, id: &str, creds: &SetPgCreds) -> Result<()> {
        self.call_empty(Method::PUT, &["v1", "accounts", id, "pgcreds"], Some(creds)).await
    }

    /// `GET /v1/accounts/{id}/pgcreds/access`: who may read the metadata.
    pub async fn list_pgcreds_access(&self, id: &str) -> Result<Vec<Grant>> {
        self.get(&["v1", "accounts", id, "pgcreds", "access"]).await
    }

    /// `POST /v1/accounts/{id}/pgcreds/access`: lets `grantee_id` read the metadata.
    pub async fn grant_pgcreds_access(&self, id: &str, grantee_id: &str) -> Result<Grant> {
        #[derive(Serialize)]
        struct Body<'a> {
            grantee_id: &'a str,
        }
        self.call(Method::POST, &["v1", "accounts", id, "pgcreds", "access"], &[], Some(&Body { grantee_id }), Auth::Bearer)
            .await
    }

    /// `DELETE /v1/accounts/{id}/pgcreds/access/{grantee_id}`.
    pub async fn revoke_pgcreds_access(&self, id: &str, grantee_id: &str) -> Result<()> {
        self.call_empty::<()>(Method::DELETE, &["v1", "accounts", id, "pgcreds", "access", grantee_id], None)
            .await
    }

    // ---- audit and policy ----------------------------------------------------------

    /// `GET /v1/audit` (admin): one page of events, newest first.
    pub async fn audit_query(&self, query: &AuditQuery) -> Result<AuditPage> {
        let mut q: Vec<(&str, String)> = Vec::new();
        let fields = [
            ("account", &query.account),
            ("type", &query.event_type),
            ("since", &query.since),
            ("until", &query.until),
            ("cursor", &query.cursor),
        ];
        for (k, v) in fields {
            if let Some(v) = v {
                q.push((k, v.clone()));
            }
        }
        if let Some(l) = query.limit {
            q.push(("limit", l.to_string()));
        }
        self.call::<_, ()>(Method::GET, &["v1", "audit"], &q, None, Auth::Bearer).await
    }

    /// `POST /v1/policy/evaluate` (admin): what the policy engine would decide.
    pub async fn policy_evaluate(&self, req: &EvaluateRequest) -> Result<EvaluateResponse> {
        self.call(Method::POST, &["v1", "policy", "evaluate"], &[], Some(req), Auth::Bearer).await
    }

    // ---- vault ---------------------------------------------------------------------

    /// `GET /v1/vault/status`.
    pub async fn vault_status(&self) -> Result<VaultStatus> {
        self.call::<_, ()>(Method::GET, &["v1", "vault", "status"], &[], None, Auth::None).await
    }

    /// `POST /v1/vault/seal` (admin).
    pub async fn seal(&self) -> Result<VaultStatus> {
        self.call::<_, ()>(Method::POST, &["v1", "vault", "seal"], &[], None, Auth::Bearer).await
    }

    /// `POST /v1/vault/unseal` (no bearer; rate limited per IP).
    pub async fn unseal(&self, passphrase: &str) -> Result<VaultStatus> {
        #[derive(Serialize)]
        struct Body<'a> {
            passphrase: &'a str,
        }
        self.call(Method::POST, &["v1", "vault", "unseal"], &[], Some(&Body { passphrase }), Auth::None).await
    }

    // ---- local verification --------------------------------------------------------

    /// Verifies a token without asking the server: the header (`alg` must be `EdDSA`,
    /// no `jku`/`x5u`/`jwk`/`crit`), the Ed25519 signature against the server's JWKS
    /// (cached; refetched when the `kid` is unknown, at most once per 10 s), `iss`,
    /// `exp` and `iat` within the leeway, and `aud` when asked for.
    ///
    /// It cannot know whether the token was revoked or the account disabled since it
    /// was issued: call [`Client::validate`] where that matters.
    pub async fn verify_locally(&self, token: &str, opts: &VerifyOptions) -> Result<Claims> {
        let kid = verify::header_kid(token)?;
        let key = {
            let mut cache = self.inner.jwks.lock().await;
            if !cache.keys.contains_key(&kid) && cache.may_refresh() {
                let set = self.jwks().await?;
                cache.replace(&set);
            }
            cache.keys.get(&kid).cloned()
        };
        let key = key.ok_or_else(|| Error::InvalidToken("unknown signing key (kid)".into()))?;
        verify::verify_with_key(token, &key, opts)
    }
}

fn decode<T: DeserializeOwned>(what: &str, status: StatusCode, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| shape_error(what, status, &e))
}

/// A response that is not the expected JSON. serde's message can quote a value from
/// the body, so only "missing field" (which names the field) is passed on.
fn shape_error(what: &str, status: StatusCode, e: &serde_json::Error) -> Error {
    let text = e.to_string();
    let detail = if text.starts_with("missing field") {
        text.split(" at line").next().unwrap_or("missing field").to_owned()
    } else if e.is_syntax() || e.is_eof() {
        "not JSON".to_owned()
    } else {
        format!("unexpected shape at line {} column {}", e.line(), e.column())
    };
    Error::Transport { message: format!("{what}: invalid response: {detail}"), status: Some(status.as_u16()) }
}

/// A request that got no usable answer; the text is the cause chain (which names the
/// URL at most, never headers or bodies).
fn transport(what: &str, e: &reqwest::Error, status: Option<u16>) -> Error {
    let mut msg = format!("{what}: {}", kind_text(e));
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    Error::Transport { message: msg, status }
}

/// What kind of failure a reqwest error is, without its URL.
fn kind_text(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "reading the response failed"
    } else {
        "request failed"
    }
}

/// The README's examples, compiled as doctests so that they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

//! Request and response shapes of the MCIAS REST API.
//!
//! Unknown response fields are ignored (the server may add fields); a missing
//! required field makes the call fail with [`crate::Error::Transport`]. Secrets
//! (tokens, passwords, TOTP secrets) are held as [`SecretString`], whose `Debug`
//! prints `[REDACTED]`.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An RFC 3339 UTC timestamp as the server sends it, e.g. `2026-01-02T03:04:05Z`.
pub type Time = String;

fn ser_secret<S: Serializer>(s: &SecretString, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.expose_secret())
}

fn ser_opt_secret<S: Serializer>(s: &Option<SecretString>, ser: S) -> Result<S::Ok, S::Error> {
    match s {
        Some(s) => ser.serialize_str(s.expose_secret()),
        None => ser.serialize_none(),
    }
}

fn de_secret<'de, D: Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
    String::deserialize(d).map(SecretString::from)
}

fn de_opt_secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    Option::<String>::deserialize(d).map(|o| o.map(SecretString::from))
}

/// `human` accounts log in with a password; `system` accounts only hold tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountType {
    /// A person.
    Human,
    /// A service (holds exactly one valid token at a time).
    System,
}

/// Lifecycle state of an account; `Deleted` is a soft delete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    /// Can log in and use its tokens.
    Active,
    /// Disabled; its tokens were revoked.
    Inactive,
    /// Soft-deleted; the username stays reserved.
    Deleted,
}

impl AccountStatus {
    /// The wire name (`active`, `inactive`, `deleted`).
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Inactive => "inactive",
            AccountStatus::Deleted => "deleted",
        }
    }
}

/// The only shape accounts take in responses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// UUID.
    pub id: String,
    /// Unique, lower-case username.
    pub username: String,
    /// Human or system.
    pub account_type: AccountType,
    /// Active, inactive or deleted.
    pub status: AccountStatus,
    /// Role names.
    pub roles: Vec<String>,
    /// Tags (`key:value` or plain).
    pub tags: Vec<String>,
    /// Whether login requires a TOTP code.
    pub totp_enabled: bool,
    /// Creation time.
    pub created_at: Time,
    /// Last change.
    pub updated_at: Time,
}

/// `POST /v1/accounts` body.
#[derive(Clone, Debug, Serialize)]
pub struct CreateAccount {
    /// The new username (`^[a-z0-9][a-z0-9._-]{0,63}$`).
    pub username: String,
    /// Human or system.
    pub account_type: AccountType,
    /// Humans only: 12–256 characters, not the username.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_opt_secret")]
    pub password: Option<SecretString>,
    /// Initial roles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
}

impl CreateAccount {
    /// A human account with a password.
    pub fn human(username: impl Into<String>, password: impl Into<String>) -> Self {
        CreateAccount {
            username: username.into(),
            account_type: AccountType::Human,
            password: Some(SecretString::from(password.into())),
            roles: None,
        }
    }

    /// A system (service) account.
    pub fn system(username: impl Into<String>) -> Self {
        CreateAccount { username: username.into(), account_type: AccountType::System, password: None, roles: None }
    }

    /// Sets the initial roles.
    pub fn with_roles<I: IntoIterator<Item = S>, S: Into<String>>(mut self, roles: I) -> Self {
        self.roles = Some(roles.into_iter().map(Into::into).collect());
        self
    }
}

/// `PATCH /v1/accounts/{id}` body.
#[derive(Clone, Debug, Default, Serialize)]
pub struct UpdateAccount {
    /// `Active` or `Inactive` (going inactive revokes all its tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<AccountStatus>,
}

/// A freshly issued bearer token (`login`, `renew`).
#[derive(Clone, Debug, Deserialize)]
pub struct TokenResponse {
    /// The JWT.
    #[serde(deserialize_with = "de_secret")]
    pub token: SecretString,
    /// When it expires.
    pub expires_at: Time,
}

/// A system account's token from `POST /v1/accounts/{id}/token`.
#[derive(Clone, Debug, Deserialize)]
pub struct IssuedToken {
    /// The JWT.
    #[serde(deserialize_with = "de_secret")]
    pub token: SecretString,
    /// When it expires.
    pub expires_at: Time,
    /// Its id (for `revoke_token`).
    pub jti: String,
}

/// One row of `GET /v1/accounts/{id}/tokens`: metadata, never the token itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Token id.
    pub jti: String,
    /// Issue time.
    pub issued_at: Time,
    /// Expiry time.
    pub expires_at: Time,
    /// Revocation time, if revoked.
    pub revoked_at: Option<Time>,
}

/// The claims the server reports for a valid token (`POST /v1/token/validate`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidToken {
    /// Account id.
    pub sub: String,
    /// Account username.
    pub username: String,
    /// Human or system.
    pub account_type: AccountType,
    /// The account's roles.
    pub roles: Vec<String>,
    /// Token id.
    pub jti: String,
    /// Issue time.
    pub issued_at: Time,
    /// Expiry time.
    pub expires_at: Time,
    /// The app the token was minted for, when it is bound to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
}

/// `POST /v1/auth/totp/enroll` answer (base32 secret, SHA1, 6 digits, 30 s).
#[derive(Clone, Debug, Deserialize)]
pub struct TotpEnrollment {
    /// The base32 TOTP secret.
    #[serde(deserialize_with = "de_secret")]
    pub secret: SecretString,
    /// `otpauth://` URI for authenticator apps (it contains the secret).
    #[serde(deserialize_with = "de_secret")]
    pub otpauth_uri: SecretString,
}

/// The token-signing public key as a JWK.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// `OKP`.
    pub kty: String,
    /// `Ed25519`.
    pub crv: String,
    /// The public key, base64url.
    pub x: String,
    /// Key id (the JWT header's `kid`).
    pub kid: String,
    /// `sig`.
    #[serde(rename = "use", default)]
    pub key_use: Option<String>,
    /// `EdDSA`.
    #[serde(default)]
    pub alg: Option<String>,
}

/// `GET /.well-known/jwks.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkSet {
    /// The keys.
    pub keys: Vec<Jwk>,
}

/// `GET /v1/health`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `ok`, or `sealed` while the vault is sealed.
    pub status: String,
}

/// `GET /v1/vault/status`, `seal`, `unseal`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultStatus {
    /// Whether the vault is sealed.
    pub sealed: bool,
}

/// Postgres connection details; `password` only for readers allowed to see it.
#[derive(Clone, Debug, Deserialize)]
pub struct PgCreds {
    /// Host name.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Database name.
    pub database: String,
    /// Postgres user.
    pub username: String,
    /// Postgres password (absent for metadata-only grantees).
    #[serde(default, deserialize_with = "de_opt_secret")]
    pub password: Option<SecretString>,
}

/// `PUT /v1/accounts/{id}/pgcreds` body.
#[derive(Clone, Debug, Serialize)]
pub struct SetPgCreds {
    /// Host name.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Database name.
    pub database: String,
    /// Postgres user.
    pub username: String,
    /// Postgres password (stored encrypted by the server).
    #[serde(serialize_with = "ser_secret")]
    pub password: SecretString,
}

/// One entry of `GET /v1/pgcreds`: a credential the caller may read (never the password).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PgCredsSummary {
    /// The system account the credential belongs to.
    pub account_id: String,
    /// That account's username.
    pub service: String,
    /// Host name.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Database name.
    pub database: String,
    /// Postgres user.
    pub username: String,
}

/// A grant: a token delegate of a system account, or a reader of its credential metadata.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The grantee's account id.
    pub grantee_id: String,
    /// The grantee's username.
    pub username: String,
    /// When it was granted.
    pub granted_at: Time,
}

/// `GET /v1/audit` filters; every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Account id or username (as actor or target).
    pub account: Option<String>,
    /// Event type, e.g. `login_ok`.
    pub event_type: Option<String>,
    /// Not before this time.
    pub since: Option<Time>,
    /// Not after this time.
    pub until: Option<Time>,
    /// Page size, 1..=500 (server default 100).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One audit row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Row id.
    pub id: i64,
    /// When it happened.
    pub time: Time,
    /// Event type.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Acting account id.
    pub actor_id: Option<String>,
    /// Acting account username.
    pub actor: Option<String>,
    /// Target account id.
    pub target_id: Option<String>,
    /// Target account username.
    pub target: Option<String>,
    /// Client IP.
    pub ip: Option<String>,
    /// Event details (never secrets).
    pub details: serde_json::Value,
}

/// One page of `GET /v1/audit`, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    /// The events.
    pub events: Vec<AuditEvent>,
    /// Pass as [`AuditQuery::cursor`] for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// The resource of a policy evaluation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyResource {
    /// `account`, `token`, `pgcreds`, `audit`, `policy` or `vault`.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// The resource id (e.g. an account id), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// `POST /v1/policy/evaluate` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EvaluateRequest {
    /// The account whose request is evaluated.
    pub subject_id: String,
    /// The action, e.g. `pgcreds:read`.
    pub action: String,
    /// What it acts on.
    pub resource: PolicyResource,
}

/// `POST /v1/policy/evaluate` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluateResponse {
    /// `allow` or `deny`.
    pub effect: String,
    /// The deciding rule, `None` for the default deny.
    pub rule_id: Option<i64>,
    /// That rule's description.
    pub rule_description: Option<String>,
}

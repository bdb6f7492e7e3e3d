//! The error type of every fallible call.
//!
//! Messages are built only from the HTTP method, the request path and the server's
//! own (secret-free) error message: never from a request body, a header or a token.

use std::fmt;
use std::time::Duration;

/// What the server said when it answered with an error status: `{"error","code"}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status code (e.g. 404).
    pub status: u16,
    /// The server's error code (`bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `conflict`, `payload_too_large`, `rate_limited`, `vault_sealed`, `internal`).
    pub code: String,
    /// The server's human-readable message (the server never puts a secret in it).
    pub message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}, HTTP {})", self.message, self.code, self.status)
    }
}

/// Every way a call can fail. Match on the variant (one per server error code), or use
/// [`Error::status`] and [`Error::code`] for the uniform view.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 400 `bad_request` (also 413 `payload_too_large` and any other unexpected 4xx):
    /// malformed input, an unknown field, a bad id.
    #[error("bad request: {0}")]
    BadRequest(ApiError),
    /// 401 `unauthorized`: no, bad, expired or revoked token; a failed login.
    #[error("unauthorized: {0}")]
    Unauthorized(ApiError),
    /// 403 `forbidden`: the policy engine denied the call.
    #[error("forbidden: {0}")]
    Forbidden(ApiError),
    /// 404 `not_found`.
    #[error("not found: {0}")]
    NotFound(ApiError),
    /// 409 `conflict`, e.g. a username that is already taken.
    #[error("conflict: {0}")]
    Conflict(ApiError),
    /// 429 `rate_limited`; `retry_after` is the server's `Retry-After`, when it sent one.
    #[error("rate limited: {error}")]
    RateLimited {
        /// The server's answer.
        error: ApiError,
        /// How long to wait before trying again.
        retry_after: Option<Duration>,
    },
    /// 503 `vault_sealed`: the server's vault is sealed; unseal it first.
    #[error("vault sealed: {0}")]
    VaultSealed(ApiError),
    /// 500 `internal` or any other 5xx.
    #[error("server error: {0}")]
    Server(ApiError),
    /// No usable answer: connection refused, TLS failure, timeout, a redirect, or a
    /// body that is not the JSON shape the call expects (`status` is set then).
    #[error("transport: {message}")]
    Transport {
        /// What went wrong (method, path and the cause; never a header or body).
        message: String,
        /// The HTTP status when a response arrived but could not be used.
        status: Option<u16>,
    },
    /// [`crate::Client::verify_locally`] rejected the token (the text says why, never
    /// the token).
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// The client could not be built (a bad URL or CA file), or a call got an unusable
    /// argument (an empty, `.` or `..` id); nothing was sent.
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl Error {
    /// The server's answer, for the variants that carry one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::BadRequest(e)
            | Error::Unauthorized(e)
            | Error::Forbidden(e)
            | Error::NotFound(e)
            | Error::Conflict(e)
            | Error::VaultSealed(e)
            | Error::Server(e)
            | Error::RateLimited { error: e, .. } => Some(e),
            _ => None,
        }
    }

    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Transport { status, .. } => *status,
            other => other.api_error().map(|e| e.status),
        }
    }

    /// The server's error code, or `transport`, `invalid_token`, `config` for the
    /// client-side kinds.
    pub fn code(&self) -> &str {
        match self {
            Error::Transport { .. } => "transport",
            Error::InvalidToken(_) => "invalid_token",
            Error::Config(_) => "config",
            other => other.api_error().map(|e| e.code.as_str()).unwrap_or("internal"),
        }
    }

    /// The server's `Retry-After` of a [`Error::RateLimited`].
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Builds the typed error of an error response (status ≥ 400).
    pub(crate) fn from_response(status: u16, body: &[u8], retry_after: Option<&str>) -> Error {
        #[derive(serde::Deserialize)]
        struct Body {
            error: Option<serde_json::Value>,
            code: Option<serde_json::Value>,
        }
        let parsed: Option<Body> = serde_json::from_slice(body).ok();
        let code = parsed
            .as_ref()
            .and_then(|b| b.code.as_ref())
            .and_then(|c| c.as_str())
            .filter(|c| KNOWN_CODES.contains(c))
            .map(str::to_owned)
            .unwrap_or_else(|| code_for_status(status).to_owned());
        let message = parsed
            .as_ref()
            .and_then(|b| b.error.as_ref())
            .and_then(|m| m.as_str())
            .map(|m| m.chars().take(500).collect::<String>())
            .unwrap_or_else(|| format!("HTTP {status}"));
        let e = ApiError { status, code, message };
        match e.code.as_str() {
            "unauthorized" => Error::Unauthorized(e),
            "forbidden" => Error::Forbidden(e),
            "not_found" => Error::NotFound(e),
            "conflict" => Error::Conflict(e),
            "rate_limited" => Error::RateLimited {
                error: e,
                retry_after: retry_after
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs),
            },
            "vault_sealed" => Error::VaultSealed(e),
            "internal" => Error::Server(e),
            _ => Error::BadRequest(e),
        }
    }
}

const KNOWN_CODES: [&str; 9] = [
    "bad_request",
    "unauthorized",
    "forbidden",
    "not_found",
    "conflict",
    "payload_too_large",
    "rate_limited",
    "vault_sealed",
    "internal",
];

fn code_for_status(status: u16) -> &'static str {
    match status {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        413 => "payload_too_large",
        429 => "rate_limited",
        503 => "vault_sealed",
        s if s >= 500 => "internal",
        _ => "bad_request",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_codes_to_variants() {
        let e = Error::from_response(404, br#"{"error":"no such account","code":"not_found"}"#, None);
        assert!(matches!(e, Error::NotFound(_)));
        assert_eq!(e.status(), Some(404));
        assert_eq!(e.code(), "not_found");
        assert_eq!(e.to_string(), "not found: no such account (not_found, HTTP 404)");

        let e = Error::from_response(429, br#"{"error":"slow down","code":"rate_limited"}"#, Some("7"));
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));

        // A body that is not the error shape falls back to the status.
        let e = Error::from_response(503, b"<html>", None);
        assert!(matches!(e, Error::VaultSealed(_)));
        let e = Error::from_response(502, b"", None);
        assert!(matches!(e, Error::Server(_)));
        assert_eq!(e.code(), "internal");
        let e = Error::from_response(413, br#"{"error":"too big","code":"payload_too_large"}"#, None);
        assert!(matches!(e, Error::BadRequest(_)));
        assert_eq!(e.code(), "payload_too_large");
    }
}

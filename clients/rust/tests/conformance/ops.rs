//! Maps a conformance operation name and its JSON arguments onto one call of the
//! client, and its result onto JSON (secrets exposed: the cases compare them).

use mcias_client::{
    AccountStatus, AccountType, AuditQuery, Client, CreateAccount, Error, EvaluateRequest, ExposeSecret,
    PolicyResource, SecretString, SetPgCreds, UpdateAccount, VerifyOptions,
};
use serde_json::{json, Value};

/// A bad case (missing argument, unknown operation): reported as a test failure.
#[derive(Debug)]
pub enum CallError {
    Client(Error),
    Case(String),
}

impl From<Error> for CallError {
    fn from(e: Error) -> Self {
        CallError::Client(e)
    }
}

type R = Result<Value, CallError>;

fn arg<'a>(a: &'a Value, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| a.get(*n)).filter(|v| !v.is_null())
}

fn s(a: &Value, names: &[&str]) -> Result<String, CallError> {
    match arg(a, names) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(CallError::Case(format!("missing string argument {}", names[0]))),
    }
}

fn opt_s(a: &Value, names: &[&str]) -> Option<String> {
    s(a, names).ok()
}

fn list(a: &Value, name: &str) -> Result<Vec<String>, CallError> {
    match a.get(name) {
        Some(Value::Array(xs)) => xs
            .iter()
            .map(|x| x.as_str().map(str::to_owned).ok_or_else(|| CallError::Case(format!("{name}: not strings"))))
            .collect(),
        _ => Err(CallError::Case(format!("missing list argument {name}"))),
    }
}

fn to_json<T: serde::Serialize>(v: T) -> R {
    serde_json::to_value(v).map_err(|e| CallError::Case(e.to_string()))
}

fn id(a: &Value) -> Result<String, CallError> {
    s(a, &["id", "account_id", "account"])
}

fn secret(v: &SecretString) -> Value {
    Value::String(v.expose_secret().to_owned())
}

fn status(a: &Value) -> Result<Option<AccountStatus>, CallError> {
    match opt_s(a, &["status"]).as_deref() {
        None => Ok(None),
        Some("active") => Ok(Some(AccountStatus::Active)),
        Some("inactive") => Ok(Some(AccountStatus::Inactive)),
        Some("deleted") => Ok(Some(AccountStatus::Deleted)),
        Some(other) => Err(CallError::Case(format!("unknown status {other}"))),
    }
}

/// Normalizes `issueServiceToken`, `issue-service-token` to `issue_service_token`.
pub fn normalize(op: &str) -> String {
    let mut out = String::new();
    for ch in op.chars() {
        if ch.is_ascii_uppercase() {
            if !out.is_empty() {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else if ch == '-' || ch == '.' || ch == ' ' {
            out.push('_');
        } else {
            out.push(ch);
        }
    }
    out
}

/// Runs `op` with arguments `a` on client `c`; `issuer` is the server's token issuer
/// (for `verify_locally`).
pub async fn call(c: &Client, op: &str, a: &Value, issuer: &str) -> R {
    let a = if a.is_null() { &Value::Object(Default::default()) } else { a };
    match normalize(op).as_str() {
        "get_token" => Ok(c.token().map(|t| secret(&t)).unwrap_or(Value::Null)),
        "set_token" => {
            c.set_token(opt_s(a, &["token"]).map(SecretString::from));
            Ok(Value::Null)
        }
        "health" => to_json(c.health().await?),
        "public_key" => to_json(c.public_key().await?),
        "jwks" => to_json(c.jwks().await?),
        "login" => {
            let totp = opt_s(a, &["totp_code", "totp", "code"]);
            let aud = opt_s(a, &["audience"]);
            let r = c
                .login_for_audience(&s(a, &["username"])?, &s(a, &["password"])?, totp.as_deref(), aud.as_deref())
                .await?;
            Ok(json!({ "token": secret(&r.token), "expires_at": r.expires_at }))
        }
        "logout" => c.logout().await.map(|_| Value::Null).map_err(Into::into),
        "renew" => {
            let r = c.renew_for_audience(opt_s(a, &["audience"]).as_deref()).await?;
            Ok(json!({ "token": secret(&r.token), "expires_at": r.expires_at }))
        }
        "me" => to_json(c.me().await?),
        "change_password" => {
            c.change_password(&s(a, &["current_password"])?, &s(a, &["new_password"])?).await?;
            Ok(Value::Null)
        }
        "totp_enroll" => {
            let r = c.totp_enroll(&s(a, &["current_password", "password"])?).await?;
            Ok(json!({ "secret": secret(&r.secret), "otpauth_uri": secret(&r.otpauth_uri) }))
        }
        "totp_confirm" => c.totp_confirm(&s(a, &["code", "totp_code"])?).await.map(|_| Value::Null).map_err(Into::into),
        "validate" | "validate_token" => match c.validate_for_audience(&s(a, &["token"])?, opt_s(a, &["audience"]).as_deref()).await? {
            None => Ok(json!({ "valid": false })),
            Some(v) => {
                let mut o = to_json(v)?;
                o["valid"] = Value::Bool(true);
                Ok(o)
            }
        },
        "revoke_token" => c.revoke_token(&s(a, &["jti"])?).await.map(|_| Value::Null).map_err(Into::into),
        "issue_service_token" => {
            let r = c.issue_service_token_for_audience(&id(a)?, opt_s(a, &["audience"]).as_deref()).await?;
            Ok(json!({ "token": secret(&r.token), "expires_at": r.expires_at, "jti": r.jti }))
        }
        "list_tokens" => to_json(c.list_tokens(&id(a)?).await?),
        "create_account" => {
            let account_type = match opt_s(a, &["account_type", "type"]).as_deref() {
                None | Some("human") => AccountType::Human,
                Some("system") => AccountType::System,
                Some(other) => return Err(CallError::Case(format!("unknown account_type {other}"))),
            };
            let req = CreateAccount {
                username: s(a, &["username"])?,
                account_type,
                password: opt_s(a, &["password"]).map(SecretString::from),
                roles: if a.get("roles").is_some() { Some(list(a, "roles")?) } else { None },
            };
            to_json(c.create_account(&req).await?)
        }
        "list_accounts" => to_json(c.list_accounts(status(a)?).await?),
        "get_account" => to_json(c.get_account(&id(a)?).await?),
        "update_account" => to_json(c.update_account(&id(a)?, &UpdateAccount { status: status(a)? }).await?),
        "delete_account" => c.delete_account(&id(a)?).await.map(|_| Value::Null).map_err(Into::into),
        "set_account_password" | "set_password" => {
            c.set_account_password(&id(a)?, &s(a, &["password"])?).await?;
            Ok(Value::Null)
        }
        "remove_totp" => c.remove_totp(&id(a)?).await.map(|_| Value::Null).map_err(Into::into),
        "get_roles" => to_json(c.get_roles(&id(a)?).await?),
        "set_roles" => {
            let roles = list(a, "roles")?;
            let refs: Vec<&str> = roles.iter().map(String::as_str).collect();
            to_json(c.set_roles(&id(a)?, &refs).await?)
        }
        "grant_role" => to_json(c.grant_role(&id(a)?, &s(a, &["role"])?).await?),
        "revoke_role" => to_json(c.revoke_role(&id(a)?, &s(a, &["role"])?).await?),
        "get_tags" => to_json(c.get_tags(&id(a)?).await?),
        "set_tags" => {
            let tags = list(a, "tags")?;
            let refs: Vec<&str> = tags.iter().map(String::as_str).collect();
            to_json(c.set_tags(&id(a)?, &refs).await?)
        }
        "list_delegates" => to_json(c.list_delegates(&id(a)?).await?),
        "grant_delegate" => to_json(c.grant_delegate(&id(a)?, &s(a, &["grantee_id"])?).await?),
        "revoke_delegate" => {
            c.revoke_delegate(&id(a)?, &s(a, &["grantee_id"])?).await?;
            Ok(Value::Null)
        }
        "get_pgcreds" => {
            let p = c.get_pgcreds(&id(a)?).await?;
            let mut o = json!({ "host": p.host, "port": p.port, "database": p.database, "username": p.username });
            if let Some(pw) = &p.password {
                o["password"] = secret(pw);
            }
            Ok(o)
        }
        "set_pgcreds" => {
            let creds = SetPgCreds {
                host: s(a, &["host"])?,
                port: arg(a, &["port"])
                    .and_then(Value::as_u64)
                    .and_then(|p| u16::try_from(p).ok())
                    .ok_or_else(|| CallError::Case("missing port".into()))?,
                database: s(a, &["database"])?,
                username: s(a, &["username"])?,
                password: SecretString::from(s(a, &["password"])?),
            };
            c.set_pgcreds(&id(a)?, &creds).await?;
            Ok(Value::Null)
        }
        "list_pgcreds" => to_json(c.list_pgcreds().await?),
        "list_pgcreds_access" => to_json(c.list_pgcreds_access(&id(a)?).await?),
        "grant_pgcreds_access" => to_json(c.grant_pgcreds_access(&id(a)?, &s(a, &["grantee_id"])?).await?),
        "revoke_pgcreds_access" => {
            c.revoke_pgcreds_access(&id(a)?, &s(a, &["grantee_id"])?).await?;
            Ok(Value::Null)
        }
        "audit_query" | "query_audit" | "audit" => {
            let q = AuditQuery {
                account: opt_s(a, &["account"]),
                event_type: opt_s(a, &["type", "event_type"]),
                since: opt_s(a, &["since"]),
                until: opt_s(a, &["until"]),
                limit: arg(a, &["limit"]).and_then(Value::as_u64).map(|l| l as u32),
                cursor: opt_s(a, &["cursor"]),
            };
            to_json(c.audit_query(&q).await?)
        }
        "policy_evaluate" | "evaluate_policy" => {
            let res = a.get("resource").cloned().unwrap_or(Value::Null);
            let req = EvaluateRequest {
                subject_id: s(a, &["subject_id"])?,
                action: s(a, &["action"])?,
                resource: PolicyResource {
                    resource_type: s(&res, &["type"]).or_else(|_| s(a, &["resource_type"]))?,
                    id: opt_s(&res, &["id"]).or_else(|| opt_s(a, &["resource_id"])),
                },
            };
            to_json(c.policy_evaluate(&req).await?)
        }
        "vault_status" => to_json(c.vault_status().await?),
        "seal" | "seal_vault" | "vault_seal" => to_json(c.seal().await?),
        "unseal" | "unseal_vault" | "vault_unseal" => to_json(c.unseal(&s(a, &["passphrase"])?).await?),
        "verify_locally" => {
            let mut opts = VerifyOptions::new(s(a, &["issuer"]).unwrap_or_else(|_| issuer.to_owned()));
            if let Some(aud) = opt_s(a, &["audience", "aud"]) {
                opts = opts.with_audience(aud);
            }
            to_json(c.verify_locally(&s(a, &["token"])?, &opts).await?)
        }
        other => Err(CallError::Case(format!("unknown operation {other}"))),
    }
}

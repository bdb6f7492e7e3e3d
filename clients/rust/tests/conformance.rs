//! The shared conformance cases (clients/conformance/cases.json) against the real
//! compiled server, plus a few Rust-specific live checks. A custom harness: each case
//! is one test, and the summary is libtest's "test result:" line.

#[path = "conformance/ops.rs"]
mod ops;
#[path = "conformance/runner.rs"]
mod runner;
#[path = "conformance/server.rs"]
mod server;

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use mcias_client::{Client, CreateAccount, Error, ExposeSecret, SecretString, SetPgCreds, VerifyOptions};
use serde_json::Value;

/// Optional features of the case format this client implements.
const FEATURES: &[&str] = &["verify_locally"];

/// The issuer the conformance server's tokens carry, when its JSON line does not say.
const DEFAULT_ISSUER: &str = "https://mcias.conformance.test";

type Check<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + 'a>>;

fn main() {
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let (passed, failed, skipped) = rt.block_on(run(&filter));
    println!(
        "\ntest result: {}. {passed} passed; {failed} failed; {skipped} ignored; 0 measured; 0 filtered out",
        if failed == 0 { "ok" } else { "FAILED" }
    );
    if failed > 0 {
        std::process::exit(101);
    }
}

fn report(name: &str, r: &Result<(), String>, started: Instant) {
    match r {
        Ok(()) => println!("test {name} ... ok ({} ms)", started.elapsed().as_millis()),
        Err(e) => println!("test {name} ... FAILED\n    {e}"),
    }
}

async fn run(filter: &[String]) -> (usize, usize, usize) {
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut tally = |name: &str, r: Result<(), String>, t: Instant| {
        report(name, &r, t);
        if r.is_ok() {
            passed += 1
        } else {
            failed += 1
        }
    };
    if let Err(e) = runner::self_check() {
        tally("totp_self_check", Err(e), Instant::now());
        return (passed, failed, skipped);
    }
    let path = server::repo_root().join("clients/conformance/cases.json");
    let suite: Value = match std::fs::read_to_string(&path).map_err(|e| e.to_string()).and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string())) {
        Ok(v) => v,
        Err(e) => {
            tally("load_cases", Err(format!("{}: {e}", path.display())), Instant::now());
            return (passed, failed, skipped);
        }
    };
    if suite.get("format").and_then(Value::as_u64) != Some(1) {
        tally("format_1", Err("cases.json is not format 1".into()), Instant::now());
        return (passed, failed, skipped);
    }
    let t = Instant::now();
    let srv = match server::Server::start() {
        Ok(s) => s,
        Err(e) => {
            tally("start_server", Err(e), t);
            return (passed, failed, skipped);
        }
    };
    let ca_pem = match srv.get("ca_file").map(std::fs::read) {
        Some(Ok(b)) => b,
        _ => {
            tally("read_ca_file", Err("cannot read the server's ca_file".into()), t);
            return (passed, failed, skipped);
        }
    };
    let issuer = srv.get("issuer").unwrap_or(DEFAULT_ISSUER).to_owned();
    let env = runner::Env { info: &srv.info, ca_pem: &ca_pem, issuer: &issuer };
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));

    // Rust-specific live checks first: the shared cases end with the rate limit.
    let extra: Vec<(&str, Check)> = vec![
        ("rust_wrong_ca_is_refused", Box::pin(wrong_ca(&env))),
        ("rust_verify_locally_signature_and_claims", Box::pin(verify_checks(&env))),
        ("rust_clones_share_token_concurrently", Box::pin(concurrent(&env))),
        ("rust_delegates_and_pgcreds_access_grants", Box::pin(grants(&env))),
    ];
    for (name, fut) in extra {
        if !wanted(name) {
            continue;
        }
        let t = Instant::now();
        tally(name, fut.await, t);
    }

    for case in suite.get("cases").and_then(Value::as_array).into_iter().flatten() {
        let name = case.get("name").and_then(Value::as_str).unwrap_or("?").to_owned();
        if !wanted(&name) {
            continue;
        }
        let missing: Vec<&str> = case
            .get("requires")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|f| !FEATURES.contains(f))
            .collect();
        if !missing.is_empty() {
            println!("test {name} ... ignored (needs {})", missing.join(", "));
            skipped += 1;
            continue;
        }
        let t = Instant::now();
        tally(&format!("conformance::{name}"), runner::run_case(&env, case).await, t);
    }
    drop(srv);
    (passed, failed, skipped)
}

fn admin(env: &runner::Env<'_>) -> Result<(Client, String, String), String> {
    let url = env.info["url"].as_str().ok_or("no url")?;
    let user = env.info["admin_username"].as_str().ok_or("no admin_username")?.to_owned();
    let pass = env.info["admin_password"].as_str().ok_or("no admin_password")?.to_owned();
    let c = Client::builder(url).ca_pem(env.ca_pem.to_vec()).build().map_err(|e| e.to_string())?;
    Ok((c, user, pass))
}

/// A client trusting another CA gets a TLS failure as `Transport`, never a response.
async fn wrong_ca(env: &runner::Env<'_>) -> Result<(), String> {
    let url = env.info["url"].as_str().ok_or("no url")?;
    let c = Client::builder(url)
        .ca_pem(include_bytes!("conformance/other-ca.pem").to_vec())
        .build()
        .map_err(|e| e.to_string())?;
    match c.health().await {
        Err(e @ Error::Transport { status: None, .. }) => {
            let text = e.to_string();
            if text.contains("certificate") || text.contains("Certificate") {
                Ok(())
            } else {
                Err(format!("transport error does not say why: {text}"))
            }
        }
        other => Err(format!("expected a TLS transport error, got {other:?}")),
    }
}

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

/// verify_locally against the live JWKS: a good token passes; a changed payload, a
/// wrong issuer, a wrong audience and an unknown kid fail; a token bound to an
/// audience passes for that audience.
async fn verify_checks(env: &runner::Env<'_>) -> Result<(), String> {
    let (c, user, pass) = admin(env)?;
    c.login(&user, &pass, None).await.map_err(|e| e.to_string())?;
    let token = c.token().ok_or("no token after login")?.expose_secret().to_owned();
    let opts = VerifyOptions::new(env.issuer);
    let claims = c.verify_locally(&token, &opts).await.map_err(|e| format!("good token refused: {e}"))?;
    if claims.username != user || claims.iss != env.issuer {
        return Err(format!("unexpected claims {claims:?}"));
    }
    let parts: Vec<&str> = token.split('.').collect();
    let forged_payload = b64(&format!(
        r#"{{"iss":"{}","sub":"{}","iat":{},"exp":{},"jti":"x","roles":["admin"],"account_type":"human","username":"{}"}}"#,
        claims.iss, claims.sub, claims.iat, claims.exp + 1000, claims.username
    ));
    let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    let refused = |r: Result<mcias_client::Claims, Error>, what: &str| match r {
        Err(Error::InvalidToken(_)) => Ok(()),
        other => Err(format!("{what}: expected InvalidToken, got {other:?}")),
    };
    refused(c.verify_locally(&forged, &opts).await, "changed payload")?;
    refused(c.verify_locally(&token, &VerifyOptions::new("https://someone-else.example")).await, "wrong issuer")?;
    refused(c.verify_locally(&token, &VerifyOptions::new(env.issuer).with_audience("app-x")).await, "audience on a token without aud")?;
    let unknown_kid = format!("{}.{}.{}", b64(r#"{"alg":"EdDSA","typ":"JWT","kid":"no-such-kid"}"#), parts[1], parts[2]);
    refused(c.verify_locally(&unknown_kid, &opts).await, "unknown kid")?;

    let bound = Client::builder(env.info["url"].as_str().unwrap_or_default()).ca_pem(env.ca_pem.to_vec()).build().map_err(|e| e.to_string())?;
    bound.login_for_audience(&user, &pass, None, Some("app-x")).await.map_err(|e| e.to_string())?;
    let bt = bound.token().ok_or("no token")?.expose_secret().to_owned();
    c.verify_locally(&bt, &VerifyOptions::new(env.issuer).with_audience("app-x")).await.map_err(|e| format!("bound token refused: {e}"))?;
    refused(c.verify_locally(&bt, &VerifyOptions::new(env.issuer).with_audience("app-y")).await, "other audience")?;
    match c.validate_for_audience(&bt, Some("app-y")).await {
        Ok(None) => {}
        other => return Err(format!("server validation for another audience: {other:?}")),
    }
    match c.validate_for_audience(&bt, Some("app-x")).await {
        Ok(Some(v)) if v.audience.as_deref() == Some("app-x") => Ok(()),
        other => Err(format!("server validation for its audience: {other:?}")),
    }
}

/// Clones share one token; many calls at once from several tasks all succeed.
async fn concurrent(env: &runner::Env<'_>) -> Result<(), String> {
    let (c, user, pass) = admin(env)?;
    c.login(&user, &pass, None).await.map_err(|e| e.to_string())?;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let c2 = c.clone();
        tasks.push(tokio::spawn(async move { c2.me().await }));
    }
    for t in tasks {
        let me = t.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
        if me.username != user {
            return Err(format!("me returned {}", me.username));
        }
    }
    let c3 = c.clone();
    c3.set_token(None);
    match c.me().await {
        Err(Error::Unauthorized(_)) => Ok(()),
        other => Err(format!("a clone's set_token(None) should clear the shared token: {other:?}")),
    }
}

/// Delegates may issue a system account's token until revoked; pgcreds access grants
/// expose the metadata, never the password.
async fn grants(env: &runner::Env<'_>) -> Result<(), String> {
    let s = |e: Error| e.to_string();
    let (c, user, pass) = admin(env)?;
    c.login(&user, &pass, None).await.map_err(s)?;
    let svc = c.create_account(&CreateAccount::system("rust-svc")).await.map_err(s)?;
    let h = c.create_account(&CreateAccount::human("rust-human", "rust-human-password-1")).await.map_err(s)?;
    let g = c.grant_delegate(&svc.id, &h.id).await.map_err(s)?;
    if g.grantee_id != h.id || g.username != "rust-human" {
        return Err(format!("grant {g:?}"));
    }
    if !c.list_delegates(&svc.id).await.map_err(s)?.iter().any(|g| g.grantee_id == h.id) {
        return Err("delegate not listed".into());
    }
    let d = Client::builder(env.info["url"].as_str().unwrap_or_default()).ca_pem(env.ca_pem.to_vec()).build().map_err(s)?;
    d.login("rust-human", "rust-human-password-1", None).await.map_err(s)?;
    d.issue_service_token(&svc.id).await.map_err(|e| format!("delegate cannot issue: {e}"))?;
    c.revoke_delegate(&svc.id, &h.id).await.map_err(s)?;
    if !c.list_delegates(&svc.id).await.map_err(s)?.is_empty() {
        return Err("delegate still listed".into());
    }
    if !matches!(d.issue_service_token(&svc.id).await, Err(Error::Forbidden(_))) {
        return Err("revoked delegate still issues".into());
    }
    let creds = SetPgCreds {
        host: "db".into(),
        port: 5432,
        database: "d".into(),
        username: "u".into(),
        password: SecretString::from("pg-password-123"),
    };
    c.set_pgcreds(&svc.id, &creds).await.map_err(s)?;
    if !matches!(d.get_pgcreds(&svc.id).await, Err(Error::Forbidden(_))) {
        return Err("pgcreds readable without a grant".into());
    }
    c.grant_pgcreds_access(&svc.id, &h.id).await.map_err(s)?;
    if c.list_pgcreds_access(&svc.id).await.map_err(s)?.len() != 1 {
        return Err("grant not listed".into());
    }
    let pg = d.get_pgcreds(&svc.id).await.map_err(s)?;
    if pg.host != "db" || pg.password.is_some() {
        return Err(format!("grantee read {pg:?}"));
    }
    if c.get_pgcreds(&svc.id).await.map_err(s)?.password.map(|p| p.expose_secret().to_owned()).as_deref() != Some("pg-password-123") {
        return Err("admin does not read the password".into());
    }
    c.revoke_pgcreds_access(&svc.id, &h.id).await.map_err(s)?;
    if !c.list_pgcreds_access(&svc.id).await.map_err(s)?.is_empty() {
        return Err("grant still listed".into());
    }
    Ok(())
}

//! No token or password in any error text or `Debug` output (offline: nothing listens
//! on the port used, so every call fails with a transport error).

use mcias_client::{Client, CreateAccount, Error, SecretString, SetPgCreds};

const TOKEN: &str = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2VjcmV0LXNpZ25hdHVyZQ";
const PASSWORD: &str = "a-password-that-is-secret";

fn assert_clean(text: &str) {
    assert!(!text.contains("c2VjcmV0"), "token leaked: {text}");
    assert!(!text.contains(PASSWORD), "password leaked: {text}");
}

#[tokio::test]
async fn transport_errors_name_no_secret() {
    let c = Client::builder("http://127.0.0.1:1").token(TOKEN).build().unwrap();
    assert_clean(&format!("{c:?}"));
    let e = c.login("alice", PASSWORD, None).await.unwrap_err();
    assert!(matches!(e, Error::Transport { status: None, .. }), "{e:?}");
    assert_eq!(e.code(), "transport");
    assert!(e.to_string().contains("POST /v1/auth/login"), "{e}");
    assert_clean(&e.to_string());
    assert_clean(&format!("{e:?}"));

    let e = c.me().await.unwrap_err();
    assert_clean(&e.to_string());
    assert_clean(&format!("{e:?}"));
    let e = c.set_account_password("00000000-0000-4000-8000-000000000000", PASSWORD).await.unwrap_err();
    assert_clean(&format!("{e} {e:?}"));
    let e = c.validate(TOKEN).await.unwrap_err();
    assert_clean(&format!("{e} {e:?}"));
}

#[test]
fn request_and_response_types_redact_secrets() {
    let req = CreateAccount::human("alice", PASSWORD).with_roles(["dev"]);
    assert_clean(&format!("{req:?}"));
    let creds = SetPgCreds {
        host: "db".into(),
        port: 5432,
        database: "app".into(),
        username: "app".into(),
        password: SecretString::from(PASSWORD),
    };
    assert_clean(&format!("{creds:?}"));
    let holder = Client::builder("https://auth.example.com").token(TOKEN).build().unwrap();
    assert_clean(&format!("{:?}", holder.token_holder()));
    assert_clean(&format!("{:?}", holder.token()));
}

#[test]
fn builder_refuses_plain_http_to_remote_hosts_and_bad_cas() {
    assert!(matches!(Client::new("http://auth.example.com"), Err(Error::Config(_))));
    assert!(matches!(Client::new("not a url"), Err(Error::Config(_))));
    assert!(matches!(
        Client::builder("https://auth.example.com").ca_pem("not pem").build(),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        Client::builder("https://auth.example.com").ca_file("/nonexistent/ca.pem").build(),
        Err(Error::Config(_))
    ));
    assert!(Client::new("http://127.0.0.1:8080").is_ok());
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_transport_error_after_the_timeout() {
    // The kernel completes the connection (backlog); nothing ever answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    for scheme in ["http", "https"] {
        let c = Client::builder(format!("{scheme}://127.0.0.1:{port}"))
            .timeout(std::time::Duration::from_secs(1))
            .token(TOKEN)
            .build()
            .unwrap();
        let started = std::time::Instant::now();
        let e = c.me().await.unwrap_err();
        assert!(matches!(e, Error::Transport { status: None, .. }), "{scheme}: {e:?}");
        assert!(e.to_string().contains("timed out"), "{scheme}: {e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        assert_clean(&format!("{e} {e:?}"));
    }
    drop(listener);
}

/// Serves each body once, in order, on plain HTTP over loopback (a stand-in for a
/// server of another version), and returns its base URL.
fn one_shot_server(bodies: Vec<&'static str>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for body in bodies {
            let Ok((mut s, _)) = listener.accept() else { return };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[tokio::test]
async fn unknown_fields_are_ignored_and_missing_ones_are_an_error() {
    const FULL: &str = r#"{"id":"i","username":"alice","account_type":"human","status":"active","roles":[],"tags":[],"totp_enabled":false,"created_at":"t","updated_at":"t","added_later":{"x":1}}"#;
    const MISSING: &str = r#"{"id":"i","account_type":"human","status":"active","roles":[],"tags":[],"totp_enabled":false,"created_at":"t","updated_at":"t"}"#;
    const WRONG_TYPE: &str = r#"{"token":12345,"expires_at":"t"}"#;
    let url = one_shot_server(vec![FULL, MISSING, WRONG_TYPE]);
    let c = Client::builder(url).token(TOKEN).build().unwrap();
    assert_eq!(c.me().await.unwrap().username, "alice");
    let e = c.me().await.unwrap_err();
    assert!(matches!(e, Error::Transport { status: Some(200), .. }), "{e:?}");
    assert!(e.to_string().contains("missing field `username`"), "{e}");
    // A wrong type is reported by position, never by quoting the value.
    let e = c.login("alice", PASSWORD, None).await.unwrap_err();
    assert!(matches!(e, Error::Transport { status: Some(200), .. }), "{e:?}");
    assert!(!e.to_string().contains("12345"), "{e}");
    assert_clean(&format!("{e} {e:?}"));
}

#[test]
fn client_is_send_sync_and_clone() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<Client>();
    check::<mcias_client::TokenHolder>();
    fn error_is_std_error<E: std::error::Error + Send + Sync + 'static>() {}
    error_is_std_error::<Error>();
}

#[tokio::test]
async fn dot_segments_are_refused_before_sending() {
    let c = Client::new("http://127.0.0.1:1").unwrap();
    for id in ["", ".", ".."] {
        assert!(matches!(c.get_account(id).await, Err(Error::Config(_))), "{id:?}");
    }
}

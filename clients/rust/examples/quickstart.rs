//! Quick start: log in, look at yourself, validate the token remotely and locally.
//!
//! ```sh
//! MCIAS_URL=https://auth.example.com:8443 MCIAS_CA_FILE=ca.pem MCIAS_ISSUER=https://auth.example.com:8443 \
//! MCIAS_USERNAME=alice MCIAS_PASSWORD=... cargo run --example quickstart
//! ```

use mcias_client::{Client, Error, ExposeSecret, VerifyOptions};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("set {name}"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let mut builder = Client::builder(env("MCIAS_URL"));
    if let Ok(ca) = std::env::var("MCIAS_CA_FILE") {
        builder = builder.ca_file(ca);
    }
    let mcias = builder.build()?;
    println!("health: {}", mcias.health().await?.status);

    let totp = std::env::var("MCIAS_TOTP").ok();
    mcias.login(&env("MCIAS_USERNAME"), &env("MCIAS_PASSWORD"), totp.as_deref()).await?;
    println!("client: {mcias:?}"); // the token shows as [REDACTED]

    let me = mcias.me().await?;
    println!("I am {} ({:?}), roles {:?}", me.username, me.account_type, me.roles);

    let token = mcias.token().expect("logged in");
    match mcias.validate(token.expose_secret()).await? {
        Some(v) => println!("server says valid until {}", v.expires_at),
        None => println!("server says invalid"),
    }
    if let Ok(issuer) = std::env::var("MCIAS_ISSUER") {
        let claims = mcias.verify_locally(token.expose_secret(), &VerifyOptions::new(issuer)).await?;
        println!("verified locally: sub {} exp {}", claims.sub, claims.exp);
    }
    mcias.logout().await
}

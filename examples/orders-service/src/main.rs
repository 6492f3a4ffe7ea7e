//! `cargo run -p orders-service` with `CASTELLAN_ISSUER` (default `http://127.0.0.1:8080`),
//! `ORDERS_AUDIENCE` (default `https://orders.example`), `ORDERS_LISTEN` (default
//! `127.0.0.1:8090`) and `ORDERS_REVOCATION_INTERVAL` (seconds, default 5).

use std::net::TcpListener;
use std::time::Duration;

use orders_service::{guard, serve, Settings};

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let mut settings = Settings::new(
        env("CASTELLAN_ISSUER", "http://127.0.0.1:8080"),
        env("ORDERS_AUDIENCE", "https://orders.example"),
    );
    let interval = env("ORDERS_REVOCATION_INTERVAL", "5");
    let seconds: u64 = interval.parse().map_err(|_| {
        std::io::Error::other(format!(
            "ORDERS_REVOCATION_INTERVAL={interval:?} is not seconds"
        ))
    })?;
    settings.revocation_interval = Duration::from_secs(seconds.max(1));
    let guard = guard(&settings).map_err(std::io::Error::other)?;
    let listen = env("ORDERS_LISTEN", "127.0.0.1:8090");
    let listener = TcpListener::bind(&listen)?;
    log::info!(
        "orders-service on http://{listen}, tokens from {}",
        settings.issuer
    );
    serve(listener, guard)?.await
}

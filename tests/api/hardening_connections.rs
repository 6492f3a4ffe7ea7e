//! Slow and greedy callers: bodies cut off in time, connections capped per address (CONTRACT
//! "Sharper rules").

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use actix_web::rt::time::{sleep, timeout};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::{TcpSocket, TcpStream};

use crate::hardening_support::{status_of, GRANT};
use crate::helpers::{basic, spawn_app_with, Backend, TestApp};

/// A connection to the main listener from `source` (any 127.0.0.0/8 address is loopback), so
/// that a test can be several callers.
async fn connect_from(app: &TestApp, source: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(source.parse().unwrap(), 0))
        .unwrap();
    let port: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();
    socket
        .connect(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .unwrap()
}

fn token_head(auth: Option<&str>, length: usize) -> String {
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    format!(
        "POST /oauth2/token HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: \
         application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n"
    )
}

/// Reads until the status line is in; 0 when the peer closed without answering.
async fn read_status(reader: &mut OwnedReadHalf) -> u16 {
    let mut seen = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        if let Some(end) = seen.windows(2).position(|w| w == b"\r\n") {
            let line = String::from_utf8_lossy(&seen[..end]).to_string();
            return line
                .split(' ')
                .nth(1)
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
        }
        match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => return 0,
            Ok(n) => seen.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A token request whose body comes one byte every 300 ms: never complete in time. Returns
/// the status it got and when.
async fn dribble(stream: TcpStream) -> (u16, Duration) {
    let started = Instant::now();
    let (mut reader, mut writer) = stream.into_split();
    let drip = async move {
        let _ = writer.write_all(token_head(None, 64).as_bytes()).await;
        for _ in 0..64 {
            if writer.write_all(b"g").await.is_err() {
                break;
            }
            sleep(Duration::from_millis(300)).await;
        }
        writer
    };
    tokio::select! {
        status = read_status(&mut reader) => (status, started.elapsed()),
        _writer = drip => (read_status(&mut reader).await, started.elapsed()),
    }
}

/// 300 connections from one address dribble token-request bodies, more than the default cap of
/// 256 per address. Meanwhile `/healthz` (both listeners) and another caller's token request
/// answer at once; the connections over the cap are refused at once (503); the others are cut
/// off when the body timeout passes (408). Every one of them ends, within bounded time.
#[actix_web::test]
async fn slow_bodies_are_cut_off_and_greedy_addresses_capped_while_others_are_served() {
    let app = spawn_app_with(Backend::Sqlite, |s| s.limits.body_timeout_seconds = 2)
        .await
        .unwrap();
    let (id, secret) = app.service_account("svc-steady").await;
    let cap = app.settings.limits.connections_per_address as usize;
    assert_eq!(cap, 256, "the default cap");
    const SLOW: usize = 300;
    let mut streams = Vec::with_capacity(SLOW);
    for _ in 0..SLOW {
        streams.push(connect_from(&app, "127.0.0.2").await);
    }
    // Let the server accept (and count) every one of them before any is refused and closed.
    sleep(Duration::from_millis(300)).await;
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|s| actix_web::rt::spawn(dribble(s)))
        .collect();
    sleep(Duration::from_millis(300)).await;

    let served = Instant::now();
    assert_eq!(status_of(&app.http, app.url("/healthz")).await, 200);
    assert_eq!(
        status_of(&app.http, app.management_url("/healthz")).await,
        200
    );
    assert_eq!(app.token_basic(&id, &secret, GRANT).await.status(), 200);
    assert!(
        served.elapsed() < Duration::from_secs(1),
        "the others waited {:?}",
        served.elapsed()
    );

    let (mut refused, mut cut_off) = (0, 0);
    for task in tasks {
        let (status, took) = timeout(Duration::from_secs(10), task)
            .await
            .expect("a slow caller was neither refused nor cut off")
            .unwrap();
        match status {
            503 => {
                assert!(took < Duration::from_millis(1500), "refused late: {took:?}");
                refused += 1;
            }
            408 => {
                assert!(
                    took >= Duration::from_millis(1500),
                    "cut off early: {took:?}"
                );
                cut_off += 1;
            }
            other => panic!("a slow caller got {other} after {took:?}"),
        }
    }
    assert!(refused >= SLOW - cap, "only {refused} refused over the cap");
    assert!(cut_off > 0);
    assert_eq!(refused + cut_off, SLOW);
    // And afterwards the server is as it was.
    assert_eq!(status_of(&app.http, app.url("/healthz")).await, 200);
    assert_eq!(app.token_basic(&id, &secret, GRANT).await.status(), 200);
}

/// A body that arrives in parts, but in time, is served as usual.
#[actix_web::test]
async fn a_body_that_arrives_in_time_is_not_cut_off() {
    let app = spawn_app_with(Backend::Sqlite, |s| s.limits.body_timeout_seconds = 2)
        .await
        .unwrap();
    let (id, secret) = app.service_account("svc-patient").await;
    let body = "grant_type=client_credentials";
    let stream = connect_from(&app, "127.0.0.1").await;
    let (mut reader, mut writer) = stream.into_split();
    let head = token_head(Some(&basic(&id, &secret)), body.len());
    writer.write_all(head.as_bytes()).await.unwrap();
    writer.write_all(&body.as_bytes()[..6]).await.unwrap();
    sleep(Duration::from_millis(800)).await;
    writer.write_all(&body.as_bytes()[6..]).await.unwrap();
    let status = timeout(Duration::from_secs(5), read_status(&mut reader)).await;
    assert_eq!(status.unwrap(), 200);
}

/// Past the cap, a connection from that address gets 503 and is closed; other addresses are
/// not affected; once the address closes connections, it gets in again.
#[actix_web::test]
async fn connections_beyond_the_cap_of_one_address_are_refused_and_closed() {
    let app = spawn_app_with(Backend::Sqlite, |s| s.limits.connections_per_address = 4)
        .await
        .unwrap();
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(connect_from(&app, "127.0.0.3").await);
    }
    sleep(Duration::from_millis(200)).await;
    let healthz = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    let mut extra = connect_from(&app, "127.0.0.3").await;
    extra.write_all(healthz).await.unwrap();
    let mut answer = Vec::new();
    // read_to_end ends only when the server closes the connection.
    timeout(Duration::from_secs(3), extra.read_to_end(&mut answer))
        .await
        .expect("the refused connection is closed")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert_eq!(status_of(&app.http, app.url("/healthz")).await, 200);

    drop(idle);
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let (mut reader, mut writer) = connect_from(&app, "127.0.0.3").await.into_split();
        writer.write_all(healthz).await.unwrap();
        let status = read_status(&mut reader).await;
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "still refused: {status}");
        sleep(Duration::from_millis(100)).await;
    }
}

//! CONTRACT ("Revocation that reaches resource servers"): the example service under
//! `examples/orders-service`, built on the `castellan-resource` crate alone, accepts Castellan's
//! tokens offline and refuses a token revoked at Castellan (one by one, or in bulk) within the
//! revocation feed's polling interval.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use serde_json::{json, Value};

use crate::helpers::{basic, service_account, spawn_app, Backend, TestApp};
use crate::on_both_backends;

const AUDIENCE: &str = "https://orders.example";
const INTERVAL: Duration = Duration::from_millis(250);

struct Orders {
    url: String,
    handle: ServerHandle,
    http: reqwest::Client,
}

impl Orders {
    async fn start(app: &TestApp) -> Orders {
        let mut settings = orders_service::Settings::new(app.state.issuer.clone(), AUDIENCE);
        settings.revocation_interval = INTERVAL;
        let guard = orders_service::guard(&settings).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = orders_service::serve(listener, guard).unwrap();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        let orders = Orders {
            url,
            handle,
            http: reqwest::Client::new(),
        };
        // The first list arrives at once; until then every token would get a 503.
        let deadline = Instant::now() + Duration::from_secs(5);
        while orders.health().await["revocation_list"] != json!(true) {
            assert!(Instant::now() < deadline, "no revocation list within 5 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        orders
    }

    async fn health(&self) -> Value {
        let res = self.http.get(format!("{}/healthz", self.url)).send().await;
        match res {
            Ok(res) => res.json().await.unwrap_or(Value::Null),
            Err(_) => Value::Null,
        }
    }

    async fn get(&self, path: &str, token: &str) -> (u16, String, Value) {
        let res = self
            .http
            .get(format!("{}{path}", self.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let challenge = res
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (status, challenge, res.json().await.unwrap_or(Value::Null))
    }

    /// How long until `token` is refused at `/orders` (401 invalid_token), polled every 10 ms.
    async fn refused_after(&self, token: &str, since: Instant) -> Duration {
        let deadline = since + Duration::from_secs(10);
        loop {
            let (status, challenge, _) = self.get("/orders", token).await;
            if status == 401 {
                assert!(challenge.contains("invalid_token"), "{challenge}");
                return since.elapsed();
            }
            assert_eq!(status, 200);
            assert!(Instant::now() < deadline, "still accepted after 10 s");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn orders_bot(app: &TestApp) -> String {
    let mut client = service_account("orders-bot");
    client.scopes = vec!["orders:read".into()];
    client.default_scopes = vec!["orders:read".into()];
    client.audiences = vec![AUDIENCE.into()];
    app.create_client(client).await.unwrap()
}

async fn the_example_service_refuses_a_revoked_token_within_the_feed_interval(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let secret = orders_bot(&app).await;
    let orders = Orders::start(&app).await;
    let token = app.access_token("orders-bot", &secret, &[]).await;

    // Accepted offline, and typed: a service account is never reported as a user.
    let (status, _, body) = orders.get("/orders", &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["caller"], json!({"service_account": "orders-bot"}));
    let (status, _, body) = orders.get("/me", &token).await;
    assert_eq!(
        status, 403,
        "a route for people refuses a service account: {body}"
    );

    // RFC 7009 revocation at Castellan: refused at the service within the interval.
    let at = Instant::now();
    let res = app
        .http
        .post(app.url("/oauth2/revoke"))
        .header("Authorization", basic("orders-bot", &secret))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let took = orders.refused_after(&token, at).await;
    eprintln!("one token revoked: refused by the example service after {took:?}");
    assert!(took <= INTERVAL + Duration::from_millis(750), "{took:?}");

    // A bulk revocation refuses every token issued before it, and none issued after.
    let before = app.access_token("orders-bot", &secret, &[]).await;
    let admin = app.admin_token().await;
    let at = Instant::now();
    let res = app
        .admin(
            "POST",
            "/clients/orders-bot/revoke-tokens",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let took = orders.refused_after(&before, at).await;
    eprintln!("bulk revocation: refused by the example service after {took:?}");
    assert!(took <= INTERVAL + Duration::from_millis(750), "{took:?}");
    let after = app.access_token("orders-bot", &secret, &[]).await;
    tokio::time::sleep(INTERVAL * 2).await;
    assert_eq!(orders.get("/orders", &after).await.0, 200);

    // Disabling the client refuses its tokens there too.
    let at = Instant::now();
    let res = app
        .admin(
            "PATCH",
            "/clients/orders-bot",
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let took = orders.refused_after(&after, at).await;
    eprintln!("client disabled: refused by the example service after {took:?}");
    orders.handle.stop(true).await;
}

on_both_backends!(the_example_service_refuses_a_revoked_token_within_the_feed_interval);

//! A person signing in through the authorization endpoint, as a browser would (no redirects
//! followed, cookies carried by hand), and a client exchanging the code.

use base64::Engine;
use reqwest::redirect::Policy;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::rules_support::ADMIN_AUD;

/// The public client the tests sign people in through.
pub const WEB_APP: &str = "web-app";
/// Its registered redirect URI (a loopback IP literal: any port matches).
pub const CALLBACK: &str = "http://127.0.0.1/cb";
/// The password every test person gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// A PKCE verifier and its S256 challenge.
pub fn pkce() -> (String, String) {
    let verifier = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
    (verifier, challenge)
}

/// A browser: no redirects followed, its cookies kept by hand.
pub struct Browser {
    http: reqwest::Client,
    pub cookies: Vec<(String, String)>,
    /// The raw Set-Cookie headers seen, for the flag checks.
    pub set_cookies: Vec<String>,
}

/// One answer: status, Location, body.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    /// The value of a hidden input.
    pub fn hidden(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(
            self.body[start..end]
                .replace("&#x2b;", "+")
                .replace("&#43;", "+"),
        )
    }

    /// A query parameter of the Location.
    pub fn param(&self, name: &str) -> Option<String> {
        let url = url::Url::parse(self.location.as_ref()?).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

impl Default for Browser {
    fn default() -> Self {
        Browser {
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            cookies: Vec::new(),
            set_cookies: Vec::new(),
        }
    }
}

impl Browser {
    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let req = if cookie.is_empty() {
            req
        } else {
            req.header("cookie", cookie)
        };
        let res = req.send().await.unwrap();
        for sc in res.headers().get_all("set-cookie") {
            let sc = sc.to_str().unwrap().to_string();
            let pair = sc.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            self.cookies.retain(|(name, _)| name != k);
            if !v.is_empty() && !sc.contains("Max-Age=0") {
                self.cookies.push((k.to_string(), v.to_string()));
            }
            self.set_cookies.push(sc);
        }
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        Page {
            status,
            location,
            body: res.text().await.unwrap(),
        }
    }

    /// GET a URL.
    pub async fn get(&mut self, url: &str) -> Page {
        let req = self.http.get(url);
        self.send(req).await
    }

    /// POST a form.
    pub async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        let req = self.http.post(url).form(form);
        self.send(req).await
    }

    /// Opens the authorization endpoint with these parameters.
    pub async fn authorize(&mut self, app: &TestApp, params: &[(&str, &str)]) -> Page {
        let q = serde_urlencoded::to_string(params).unwrap();
        self.get(&app.url(&format!("/oauth2/authorize?{q}"))).await
    }

    /// Submits the sign-in form a page holds, with these credentials.
    pub async fn sign_in(
        &mut self,
        app: &TestApp,
        page: &Page,
        user: &str,
        password: &str,
    ) -> Page {
        let mut form: Vec<(String, String)> = Vec::new();
        for name in [
            "csrf",
            "client_id",
            "redirect_uri",
            "response_type",
            "state",
            "code_challenge",
            "code_challenge_method",
            "scope",
            "resource",
        ] {
            if let Some(v) = page.hidden(name) {
                form.push((name.into(), v));
            }
        }
        form.push(("username".into(), user.into()));
        form.push(("password".into(), password.into()));
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.post(&app.url("/oauth2/authorize"), &pairs).await
    }
}

/// The standard authorization request of `web-app` for the admin audience.
pub fn request<'a>(challenge: &'a str, scope: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("client_id", WEB_APP),
        ("redirect_uri", "http://127.0.0.1:4567/cb"),
        ("response_type", "code"),
        ("state", "st-123"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("scope", scope),
        ("resource", ADMIN_AUD),
    ]
}

/// Creates `web-app`, and a person `name` in root holding `scopes` (admin audience) through a
/// group. Returns the person's id.
pub async fn setup(app: &TestApp, name: &str, scopes: &[&str]) -> String {
    let admin = app.admin_token().await;
    let web_app = json!({"client_id": WEB_APP, "name": "Web app", "client_type": "public",
        "grant_types": ["authorization_code", "refresh_token"], "redirect_uris": [CALLBACK],
        "is_service_account": false, "audiences": [ADMIN_AUD]});
    let a = app
        .admin("POST", "/clients", Some(&admin), Some(web_app))
        .await;
    assert!(a.status == 201 || a.status == 409, "{}", a.body);
    let user = app
        .admin(
            "POST",
            "/users",
            Some(&admin),
            Some(json!({"username": name, "password": PASSWORD})),
        )
        .await;
    assert_eq!(user.status, 201, "{}", user.body);
    let group = app
        .admin(
            "POST",
            "/groups",
            Some(&admin),
            Some(json!({"name": format!("{name}-group"),
            "scopes": scopes, "audiences": [ADMIN_AUD]})),
        )
        .await;
    assert_eq!(group.status, 201, "{}", group.body);
    let gid = group.body["id"].as_str().unwrap();
    let m = app
        .admin(
            "POST",
            &format!("/groups/{gid}/members"),
            Some(&admin),
            Some(json!({"principal": name})),
        )
        .await;
    assert_eq!(m.status, 201, "{}", m.body);
    user.body["id"].as_str().unwrap().to_string()
}

/// Exchanges a code at the token endpoint as `web-app` (public: client_id only).
pub async fn exchange(app: &TestApp, code: &str, verifier: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(app.url("/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", WEB_APP),
            ("code", code),
            ("redirect_uri", "http://127.0.0.1:4567/cb"),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// Uses a refresh token as `web-app`.
pub async fn refresh(app: &TestApp, token: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(app.url("/oauth2/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", WEB_APP),
            ("refresh_token", token),
        ])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// Signs `name` in and returns the code and the verifier.
pub async fn code_for(
    app: &TestApp,
    browser: &mut Browser,
    name: &str,
    scope: &str,
) -> (String, String) {
    let (verifier, challenge) = pkce();
    let page = browser.authorize(app, &request(&challenge, scope)).await;
    let page = if page.status == 200 {
        browser.sign_in(app, &page, name, PASSWORD).await
    } else {
        page
    };
    assert_eq!(page.status, 303, "{}", page.body);
    (page.param("code").expect("a code"), verifier)
}

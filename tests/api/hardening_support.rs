//! Helpers shared by the hardening_* tests.

pub(crate) const GRANT: &[(&str, &str)] = &[("grant_type", "client_credentials")];

pub(crate) async fn status_of(http: &reqwest::Client, url: String) -> u16 {
    http.get(url).send().await.unwrap().status().as_u16()
}

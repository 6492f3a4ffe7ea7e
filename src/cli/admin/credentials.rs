//! Who calls and where: the server's URL, the client secret (from the environment, a flag or
//! a file named on the command line, never anywhere else) and HTTP Basic credentials.

use std::fmt;
use std::path::Path;

use base64::Engine;
use url::{Host, Url};

use super::failure::Failure;

/// A secret given on the command line or in the environment: never shown by `Debug`.
#[derive(Clone)]
pub struct Secret(String);

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_string()))
    }
}

impl Secret {
    /// Whether it is empty (an unset variable, as shells often leave it).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The server URL: absolute, http(s), and http only to a loopback host unless allowed.
pub fn server_url(server: &str, allow_http: bool) -> Result<Url, Failure> {
    let url = Url::parse(server)
        .map_err(|e| Failure::Usage(format!("--server {server:?} is not a URL ({e})")))?;
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback || allow_http => {}
        "http" => {
            return Err(Failure::Usage(format!(
                "--server {server}: plain http would send the secret and the token in clear; \
                 use https, or --allow-http if you mean it"
            )))
        }
        other => {
            return Err(Failure::Usage(format!(
                "--server {server}: the scheme must be https or http, not {other}"
            )))
        }
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(Failure::Usage(format!(
            "--server {server}: give the base URL only (no user, query or fragment)"
        )));
    }
    Ok(url)
}

/// The first line of the named file, without its line ending. Errors name the file only.
pub fn read_secret_file(path: &Path) -> Result<Secret, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::Usage(format!(
            "cannot read the client secret file {}: {}",
            path.display(),
            e.kind()
        ))
    })?;
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if line.is_empty() {
        return Err(Failure::Usage(format!(
            "the client secret file {} is empty",
            path.display()
        )));
    }
    Ok(Secret(line.to_string()))
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`, RFC 6749 §2.3.1.
pub fn basic(id: &str, secret: &Secret) -> String {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", enc(id), enc(&secret.0));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_for_loopback_hosts_unless_allowed() {
        assert!(server_url("http://127.0.0.1:8080", false).is_ok());
        assert!(server_url("http://[::1]:8080/", false).is_ok());
        assert!(server_url("http://localhost:8080", false).is_ok());
        assert!(server_url("https://auth.example.com", false).is_ok());
        let refused = server_url("http://auth.example.com", false);
        assert!(matches!(refused, Err(Failure::Usage(_))));
        assert!(server_url("http://auth.example.com", true).is_ok());
        assert!(server_url("ftp://auth.example.com", true).is_err());
        assert!(server_url("https://u:p@auth.example.com", false).is_err());
    }

    #[test]
    fn the_secret_never_shows_in_debug_output() {
        let s: Secret = "hunter2".parse().unwrap_or_else(|e| match e {});
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn basic_credentials_are_form_urlencoded() {
        let s: Secret = "a b:c".parse().unwrap_or_else(|e| match e {});
        let expected = base64::engine::general_purpose::STANDARD.encode("i%3Ad:a+b%3Ac");
        assert_eq!(basic("i:d", &s), format!("Basic {expected}"));
    }
}

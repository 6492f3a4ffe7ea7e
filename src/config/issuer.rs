//! The issuer a server may announce: one that names a host its clients can reach.

use url::{Host, Url};

use super::{ConfigError, Settings};

impl Settings {
    /// Refuses an issuer whose host is the unspecified address (`0.0.0.0`, `[::]`), as the
    /// default issuer (`http://` + `listen`) is when the server listens on every address: it
    /// would go into every token's `iss` and no verifier would expect it. Checked when the
    /// server starts; the other commands don't use the issuer.
    pub fn check_issuer(&self) -> Result<(), ConfigError> {
        let issuer = self.issuer();
        let unspecified = match Url::parse(&issuer).ok().as_ref().and_then(Url::host) {
            Some(Host::Ipv4(ip)) => ip.is_unspecified(),
            Some(Host::Ipv6(ip)) => ip.is_unspecified(),
            _ => false,
        };
        if !unspecified {
            return Ok(());
        }
        let why = match &self.issuer {
            None => format!(
                "no issuer is set, and the default one, {issuer} (http:// + listen), names no \
                 host a client can reach"
            ),
            Some(_) => format!("the issuer {issuer} names no host a client can reach"),
        };
        Err(ConfigError(format!(
            "{why}: set CASTELLAN_ISSUER (or `issuer` in the configuration file) to the URL \
             clients and resource servers use, e.g. https://auth.example.com"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(listen: &str, issuer: Option<&str>) -> Settings {
        let mut s = Settings::defaults().unwrap();
        s.listen = listen.into();
        s.issuer = issuer.map(String::from);
        s
    }

    #[test]
    fn a_default_issuer_on_every_address_is_refused_and_names_the_variable() {
        for listen in ["0.0.0.0:8080", "[::]:8080"] {
            let err = settings(listen, None)
                .check_issuer()
                .unwrap_err()
                .to_string();
            assert!(err.contains("CASTELLAN_ISSUER"), "{listen}: {err}");
            assert!(err.contains(&format!("http://{listen}")), "{listen}: {err}");
        }
        let err = settings("127.0.0.1:8080", Some("http://0.0.0.0:41234"))
            .check_issuer()
            .unwrap_err();
        assert!(err.to_string().contains("CASTELLAN_ISSUER"), "{err}");
    }

    #[test]
    fn a_reachable_issuer_is_accepted() {
        for (listen, issuer) in [
            ("127.0.0.1:8080", None),
            ("[::1]:8080", None),
            ("0.0.0.0:8080", Some("https://auth.example.com")),
            ("[::]:8080", Some("http://10.0.0.7:8080")),
        ] {
            settings(listen, issuer).check_issuer().unwrap();
        }
    }
}

//! The rules every client must keep: [`Client::validate`], and the identifier and scope-token
//! checks.

use super::jwks_rules::check_jwks;
use super::model::{Client, AUTH_METHODS, GRANT_TYPES};

impl Client {
    /// Checks every rule a client must keep. Returns each broken rule; never repairs anything.
    pub fn validate(&self, max_ttl_seconds: i64) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if let Err(problem) = crate::identifiers::check_client_id(&self.client_id) {
            problems.push(problem);
        }
        if self.name.trim().is_empty() || self.name.chars().count() > 200 {
            problems.push("name must be 1 to 200 characters".into());
        }
        if self.client_type != "confidential" && self.client_type != "public" {
            problems.push("client_type must be confidential or public".into());
        }
        for g in &self.grant_types {
            if !GRANT_TYPES.contains(&g.as_str()) {
                problems.push(format!("unknown grant type {g:?}"));
            }
        }
        for s in self.scopes.iter().chain(&self.default_scopes) {
            if !valid_scope_token(s) {
                problems.push(format!("{s:?} is not a valid scope (RFC 6749 §3.3)"));
            }
        }
        for d in &self.default_scopes {
            if !self.scopes.contains(d) {
                problems.push(format!(
                    "default scope {d:?} is not among the client's scopes"
                ));
            }
        }
        for a in &self.audiences {
            if a.is_empty() || a.chars().any(|c| c.is_whitespace() || c.is_control()) {
                problems.push(format!("{a:?} is not a valid audience"));
            }
        }
        for d in self.default_audiences.iter().flatten() {
            if !self.audiences.contains(d) {
                problems.push(format!(
                    "default audience {d:?} is not among the client's audiences"
                ));
            }
        }
        if let Some(ttl) = self.token_ttl_seconds {
            if ttl <= 0 || ttl > max_ttl_seconds {
                problems.push(format!(
                    "token_ttl_seconds must be between 1 and {max_ttl_seconds}"
                ));
            }
        }
        if !AUTH_METHODS.contains(&self.token_endpoint_auth_method.as_str()) {
            problems.push(format!(
                "token_endpoint_auth_method must be one of {}",
                AUTH_METHODS.join(", ")
            ));
        }
        match (
            self.client_type.as_str(),
            self.token_endpoint_auth_method.as_str(),
        ) {
            ("public", m) if m != "none" => problems
                .push("a public client authenticates with token_endpoint_auth_method none".into()),
            ("confidential", "none") => problems.push(
                "a confidential client needs a token_endpoint_auth_method other than none".into(),
            ),
            _ => {}
        }
        match (
            &self.jwks,
            &self.jwks_uri,
            self.token_endpoint_auth_method.as_str(),
        ) {
            (None, None, "private_key_jwt") => problems.push(
                "private_key_jwt needs the client's public keys in jwks, or a jwks_uri".into(),
            ),
            (Some(_), Some(_), _) => problems.push("give jwks or jwks_uri, not both".into()),
            (Some(jwks), None, _) => problems.extend(check_jwks(jwks)),
            (None, Some(uri), _) => {
                if let Err(e) = crate::resource::check_jwks_uri(uri) {
                    problems.push(format!("jwks_uri: {e}"));
                }
            }
            _ => {}
        }
        problems.extend(self.redirect_problems());
        if self.is_admin_service_account {
            // CONTRACT: only a confidential service account with client_credentials may be an
            // admin service account. Refused, never repaired.
            if self.client_type != "confidential" {
                problems.push("is_admin_service_account requires a confidential client".into());
            }
            if !self.is_service_account {
                problems.push("is_admin_service_account requires is_service_account".into());
            }
            if !self.has_grant("client_credentials") {
                problems
                    .push("is_admin_service_account requires the client_credentials grant".into());
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

impl Client {
    /// CONTRACT ("People"): the authorization_code grant needs registered redirect URIs, each
    /// absolute, without a fragment, and https unless on a loopback host (RFC 8252 §7.3) or a
    /// private-use scheme of a native app; a public client may only use the code grant (PKCE
    /// binds it) and refresh tokens.
    fn redirect_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for uri in &self.redirect_uris {
            match url::Url::parse(uri) {
                Ok(u) if u.fragment().is_none() && !uri.contains('#') => {
                    let loopback =
                        matches!(u.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
                    if u.scheme() == "http" && !loopback {
                        problems.push(format!(
                            "redirect URI {uri:?} must be https (http only on a loopback host)"
                        ));
                    }
                }
                _ => problems.push(format!(
                    "redirect URI {uri:?} must be an absolute URI without a fragment"
                )),
            }
        }
        if self.has_grant("authorization_code") && self.redirect_uris.is_empty() {
            problems.push("the authorization_code grant needs at least one redirect URI".into());
        }
        if self.client_type == "public"
            && self
                .grant_types
                .iter()
                .any(|g| g != "authorization_code" && g != "refresh_token")
        {
            problems.push(
                "a public client may only use authorization_code (with PKCE) and refresh_token"
                    .into(),
            );
        }
        problems
    }
}

/// A scope token: RFC 6749 §3.3 `1*( %x21 / %x23-5B / %x5D-7E )`.
pub fn valid_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn admin() -> Client {
        Client {
            scopes: vec!["admin".into()],
            default_scopes: vec!["admin".into()],
            audiences: vec!["urn:castellan:admin".into()],
            is_admin_service_account: true,
            ..Client::service_account("ci", "CI", Utc::now())
        }
    }

    #[test]
    fn an_admin_service_account_must_be_a_confidential_service_account_with_the_grant() {
        assert!(admin().validate(3600).is_ok());
        let mut c = admin();
        c.grant_types.clear();
        assert!(c.validate(3600).is_err());
        let mut c = admin();
        c.is_service_account = false;
        assert!(c.validate(3600).is_err());
        let mut c = admin();
        c.client_type = "public".into();
        c.token_endpoint_auth_method = "none".into();
        assert!(c.validate(3600).is_err());
    }

    #[test]
    fn scope_tokens_follow_rfc_6749() {
        assert!(valid_scope_token("account:usage:read"));
        assert!(!valid_scope_token("a b"));
        assert!(!valid_scope_token("quote\""));
        assert!(!valid_scope_token(""));
    }
}

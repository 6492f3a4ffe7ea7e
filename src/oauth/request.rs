//! Reading an OAuth endpoint's request: form body, parameters, client credentials.
//! Strict on purpose: every malformed request is a clean `invalid_request`.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::error::OAuthError;

/// Largest request body accepted by the OAuth endpoints.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The parameters of a form body. Empty values count as omitted (RFC 6749 §3.1).
#[derive(Debug, Default)]
pub struct Params {
    single: HashMap<String, String>,
    multi: HashMap<String, Vec<String>>,
}

impl Params {
    /// Parses an `application/x-www-form-urlencoded` body. A parameter not in `repeatable`
    /// given twice is `invalid_request` (RFC 6749 §3.1, §3.2).
    pub fn parse(body: &[u8], repeatable: &[&str]) -> Result<Self, OAuthError> {
        if std::str::from_utf8(body).is_err() {
            return Err(OAuthError::invalid_request("the request body is not UTF-8"));
        }
        let mut params = Params::default();
        for (key, value) in form_urlencoded::parse(body) {
            // form_urlencoded decodes lossily: a replacement character means undecodable input.
            if key.contains('\u{FFFD}') || value.contains('\u{FFFD}') {
                return Err(OAuthError::invalid_request(
                    "the request body is not valid form encoding",
                ));
            }
            if value.is_empty() {
                continue;
            }
            if repeatable.contains(&key.as_ref()) {
                params
                    .multi
                    .entry(key.into_owned())
                    .or_default()
                    .push(value.into_owned());
            } else if params
                .single
                .insert(key.to_string(), value.into_owned())
                .is_some()
            {
                return Err(OAuthError::invalid_request(format!(
                    "the parameter {key} is given more than once"
                )));
            }
        }
        Ok(params)
    }

    /// A single-valued parameter.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.single.get(key).map(String::as_str)
    }

    /// Every value of a repeatable parameter.
    pub fn all(&self, key: &str) -> &[String] {
        self.multi.get(key).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Checks method-independent request framing and reads the body: form content type, size.
pub async fn read_form(req: &HttpRequest, payload: web::Payload) -> Result<web::Bytes, OAuthError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut parts = content_type.split(';').map(str::trim);
    let essence = parts.next().unwrap_or("");
    if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request(
            "the request must be application/x-www-form-urlencoded",
        ));
    }
    for param in parts {
        if let Some((name, value)) = param.split_once('=') {
            let value = value.trim_matches('"');
            if name.trim().eq_ignore_ascii_case("charset") && !value.eq_ignore_ascii_case("utf-8") {
                return Err(OAuthError::invalid_request(
                    "the request body must be UTF-8",
                ));
            }
        }
    }
    let too_large =
        || OAuthError::invalid_request(format!("the request body exceeds {MAX_BODY_BYTES} bytes"));
    if let Some(len) = req.headers().get(header::CONTENT_LENGTH) {
        let len: usize = len
            .to_str()
            .ok()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| OAuthError::invalid_request("bad Content-Length"))?;
        if len > MAX_BODY_BYTES {
            return Err(too_large());
        }
    }
    match payload.to_bytes_limited(MAX_BODY_BYTES).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(OAuthError::invalid_request(
            "the request body could not be read",
        )),
        Err(_) => Err(too_large()),
    }
}

/// How the client authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_secret_basic`.
    Basic {
        /// client_id
        client_id: String,
        /// client_secret
        secret: String,
    },
    /// `client_secret_post`.
    Post {
        /// client_id
        client_id: String,
        /// client_secret
        secret: String,
    },
    /// `private_key_jwt` (RFC 7523 §2.2).
    Assertion {
        /// client_id (from the body, or the assertion's `sub`)
        client_id: String,
        /// The signed JWT.
        assertion: String,
    },
    /// No credentials at all.
    None,
}

impl ClientAuth {
    /// The client_id presented, by whatever method.
    pub fn client_id(&self) -> Option<&str> {
        match self {
            ClientAuth::Basic { client_id, .. }
            | ClientAuth::Post { client_id, .. }
            | ClientAuth::Assertion { client_id, .. } => Some(client_id),
            ClientAuth::None => None,
        }
    }

    /// Whether HTTP Basic was used (and so a 401 must carry `WWW-Authenticate: Basic`).
    pub fn is_basic(&self) -> bool {
        matches!(self, ClientAuth::Basic { .. })
    }
}

/// RFC 6749 §2.3.1: client_id and secret are form-urlencoded before Basic encoding.
fn form_decode(part: &str) -> Option<String> {
    let plus_as_space = part.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

fn basic_credentials(value: &str) -> Result<(String, String), OAuthError> {
    let malformed = || OAuthError::invalid_request("malformed HTTP Basic credentials");
    let encoded = value.get(6..).ok_or_else(malformed)?.trim();
    let decoded = STANDARD.decode(encoded).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let id = form_decode(id).ok_or_else(malformed)?;
    let secret = form_decode(secret).ok_or_else(malformed)?;
    if id.is_empty() {
        return Err(malformed());
    }
    Ok((id, secret))
}

/// Reads the client's credentials from the Authorization header or the body; using two
/// methods at once is `invalid_request` (RFC 6749 §2.3).
pub fn client_auth(req: &HttpRequest, params: &Params) -> Result<ClientAuth, OAuthError> {
    let mut headers = req.headers().get_all(header::AUTHORIZATION);
    let authorization = headers.next();
    if headers.next().is_some() {
        return Err(OAuthError::invalid_request(
            "more than one Authorization header",
        ));
    }
    let basic = match authorization {
        None => None,
        Some(value) => {
            let value = value
                .to_str()
                .map_err(|_| OAuthError::invalid_request("malformed Authorization header"))?;
            if value.len() < 6 || !value[..6].eq_ignore_ascii_case("basic ") {
                return Err(OAuthError::invalid_request(
                    "the Authorization header must use the Basic scheme here",
                ));
            }
            Some(basic_credentials(value)?)
        }
    };
    let body_id = params.get("client_id");
    let body_secret = params.get("client_secret");
    let assertion =
        params.get("client_assertion").is_some() || params.get("client_assertion_type").is_some();
    match (basic, body_id, body_secret) {
        (Some(_), _, Some(_)) => Err(OAuthError::invalid_request(
            "the client authenticated with more than one method",
        )),
        (Some(_), _, _) if assertion => Err(OAuthError::invalid_request(
            "the client authenticated with more than one method",
        )),
        // A client_id in the body beside Basic is allowed when it names the same client.
        (Some((id, _)), Some(body_id), None) if body_id != id => Err(OAuthError::invalid_request(
            "client_id in the body does not match the Authorization header",
        )),
        (Some((client_id, secret)), _, None) => Ok(ClientAuth::Basic { client_id, secret }),
        (None, Some(_), Some(_)) if assertion => Err(OAuthError::invalid_request(
            "the client authenticated with more than one method",
        )),
        (None, Some(client_id), Some(secret)) => Ok(ClientAuth::Post {
            client_id: client_id.to_string(),
            secret: secret.to_string(),
        }),
        (None, None, Some(_)) => Err(OAuthError::invalid_request(
            "client_secret without client_id",
        )),
        (None, body_id, None) if assertion => assertion_auth(params, body_id),
        (None, _, None) => Ok(ClientAuth::None),
    }
}

/// RFC 7521 §4.2 / RFC 7523 §2.2: `client_assertion_type` is the JWT bearer URN and
/// `client_assertion` a JWT. The client_id is the body's, or else the assertion's `sub`
/// (read unverified here only to find the client; the registry verifies it).
fn assertion_auth(params: &Params, body_id: Option<&str>) -> Result<ClientAuth, OAuthError> {
    let kind = params.get("client_assertion_type");
    let Some(assertion) = params.get("client_assertion") else {
        return Err(OAuthError::invalid_request(
            "client_assertion_type without client_assertion",
        ));
    };
    if kind != Some(JWT_BEARER) {
        return Err(OAuthError::invalid_request(format!(
            "client_assertion_type must be {JWT_BEARER}"
        )));
    }
    let client_id = match body_id {
        Some(id) => id.to_string(),
        None => jsonwebtoken::dangerous::insecure_decode_claims::<serde_json::Value>(assertion)
            .ok()
            .and_then(|c| c.get("sub").and_then(|s| s.as_str()).map(str::to_string))
            .ok_or_else(|| OAuthError::invalid_client(false))?,
    };
    Ok(ClientAuth::Assertion {
        client_id,
        assertion: assertion.to_string(),
    })
}

/// The assertion type of RFC 7523 §2.2.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The audiences a client assertion may name: our issuer and our token endpoint.
pub fn assertion_audiences(issuer: &str) -> Vec<String> {
    vec![issuer.to_string(), format!("{issuer}/oauth2/token")]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_refused_unless_repeatable() {
        assert!(Params::parse(b"scope=a&scope=b", &[]).is_err());
        let p = Params::parse(b"resource=a&resource=b&scope=", &["resource"]).unwrap();
        assert_eq!(p.all("resource"), ["a", "b"]);
        assert_eq!(p.get("scope"), None);
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = format!("Basic {}", STANDARD.encode("my%3Aclient:p%2Bss+word%25"));
        let (id, secret) = basic_credentials(&header).unwrap();
        assert_eq!(id, "my:client");
        assert_eq!(secret, "p+ss word%");
    }

    #[test]
    fn undecodable_bodies_are_refused() {
        assert!(Params::parse(b"grant_type=%FF", &[]).is_err());
        assert!(Params::parse(&[0x67, 0xFF], &[]).is_err());
    }
}

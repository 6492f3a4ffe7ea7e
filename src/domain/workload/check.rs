//! The one check of a workload's token against a service account's trust policies: the
//! signature by the issuer's key (the algorithm pinned by that key, never the token's header),
//! `iss` exact, `aud` containing the policy's audience, `sub` and every claim exact, `exp` in the
//! future, `iat` present and recent enough, `nbf` respected. Its refusals tell an operator which
//! check failed and an attacker nothing secret.

use std::sync::Arc;

use base64::Engine;
use serde_json::Value;

use super::policy::{PolicyKeys, TrustPolicy};
use crate::keys::VerifyKey;
use crate::resource::OutsideKeys;

/// The workload a token proved, and the policy that matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// The policy's id.
    pub policy_id: String,
    /// The workload token's `iss`.
    pub iss: String,
    /// The workload token's `sub`.
    pub sub: String,
}

/// The largest workload token looked at.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The `iss` of a JWT, read without trusting it: only to pick the policies to try (and, at
/// the token endpoint, to tell a federated assertion from a client's own).
pub fn unverified_iss(token: &str) -> Option<String> {
    unverified_claims(token)?
        .get("iss")?
        .as_str()
        .map(str::to_string)
}

/// The token's claims, read without trusting them.
fn unverified_claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

async fn key_for(
    outside: &OutsideKeys,
    policy: &TrustPolicy,
    kid: Option<&str>,
) -> Result<Arc<VerifyKey>, String> {
    match &policy.keys {
        PolicyKeys::Pinned(keys) => match kid {
            Some(kid) => keys.get(kid).cloned(),
            None if keys.len() == 1 => keys.values().next().cloned(),
            None => None,
        }
        .ok_or_else(|| "the token was signed by a key the trust policy does not pin".into()),
        PolicyKeys::Remote(uri) => {
            let kid = kid.ok_or("the token names no key (kid)")?;
            let jwks = outside
                .get_or_insert(uri)
                .map_err(|e| format!("the issuer's keys are not configured: {e}"))?;
            match jwks.key(kid).await {
                Ok(Some(key)) => Ok(key),
                Ok(None) => Err("the token was signed by a key the issuer does not publish".into()),
                Err(_) => Err("the issuer's keys could not be fetched".into()),
            }
        }
    }
}

fn audience_contains(aud: Option<&Value>, wanted: &str) -> bool {
    match aud {
        Some(Value::String(a)) => a == wanted,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(wanted)),
        _ => false,
    }
}

/// Checks `token` against one policy.
async fn against(
    outside: &OutsideKeys,
    policy: &TrustPolicy,
    token: &str,
    now: i64,
    leeway: i64,
) -> Result<Workload, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| "the token is not a JWT")?;
    let key = key_for(outside, policy, header.kid.as_deref()).await?;
    let mut validation = jsonwebtoken::Validation::new(key.alg);
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let claims = jsonwebtoken::decode::<Value>(token, &key.key, &validation)
        .map_err(|_| "the token's signature does not verify with the issuer's key")?
        .claims;
    let text = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or("");
    if text("iss") != policy.issuer {
        return Err("the token's iss is not the policy's issuer".into());
    }
    if !audience_contains(claims.get("aud"), &policy.audience) {
        return Err(format!(
            "the token's aud does not contain {}",
            policy.audience
        ));
    }
    if text("sub") != policy.subject {
        return Err("the token's sub is not the policy's subject".into());
    }
    for (pointer, wanted) in &policy.claims {
        if claims.pointer(pointer) != Some(wanted) {
            return Err(format!(
                "the token's claim {pointer} does not match the policy"
            ));
        }
    }
    let number = |name: &str| claims.get(name).and_then(Value::as_i64);
    match number("exp") {
        Some(exp) if exp > now.saturating_sub(leeway) => {}
        _ => return Err("the token has expired (exp)".into()),
    }
    match number("iat") {
        None => return Err("the token has no iat".into()),
        Some(iat) if iat > now.saturating_add(leeway) => {
            return Err("the token was issued in the future (iat)".into())
        }
        Some(iat) if now.saturating_sub(iat) > policy.max_token_age_seconds => {
            return Err("the token is older than the policy's max_token_age_seconds (iat)".into())
        }
        Some(_) => {}
    }
    if number("nbf").is_some_and(|nbf| nbf > now.saturating_add(leeway)) {
        return Err("the token is not valid yet (nbf)".into());
    }
    Ok(Workload {
        policy_id: policy.id.clone(),
        iss: text("iss").to_string(),
        sub: text("sub").to_string(),
    })
}

/// Checks a workload's token against a service account's policies: the first policy for the
/// token's issuer that accepts it matches. The refusal names the check that failed (of the
/// first policy tried for that issuer).
pub async fn check(
    outside: &OutsideKeys,
    policies: &[Arc<TrustPolicy>],
    token: &str,
    now: i64,
    leeway: i64,
) -> Result<Workload, String> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err("the token is too long".into());
    }
    let claims = unverified_claims(token).ok_or("the token is not a JWT")?;
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    let mut first_refusal = None;
    for policy in policies.iter().filter(|p| p.issuer == iss) {
        match against(outside, policy, token, now, leeway).await {
            Ok(workload) => return Ok(workload),
            Err(why) => {
                first_refusal.get_or_insert(why);
            }
        }
    }
    Err(first_refusal.unwrap_or_else(|| {
        "no trust policy of this service account names the token's issuer".into()
    }))
}

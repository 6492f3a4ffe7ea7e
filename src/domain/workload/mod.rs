//! Workload identity (CONTRACT "Workload identity"): a service account trusts tokens that an
//! outside platform (a Kubernetes cluster, GitHub Actions, GitLab CI, any OIDC issuer) gives its
//! workloads, under trust policies that pin the issuer, its keys, the audience, the subject and
//! further claims. One check serves both doors: a federated client assertion at the token
//! endpoint, and RFC 8693 token exchange.

mod check;
mod policy;

pub use check::{check, unverified_iss, Workload};
pub use policy::{NewPolicy, Policy, PolicyKeys, TrustPolicy};

/// The token-exchange grant type (RFC 8693 §2.1).
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// The subject token type of a JWT (RFC 8693 §3).
pub const JWT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";
/// The issued token type of an access token (RFC 8693 §3).
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// The default oldest `iat` accepted.
pub const DEFAULT_MAX_TOKEN_AGE_SECONDS: i64 = 3600;

/// Audits the tokens issued under each trust policy since the last flush (from the background
/// job, never the request path): one `trust_policy.used` event per policy, with the count.
pub fn record_uses(
    conn: &mut crate::storage::DbConnection,
    uses: Vec<(String, u64)>,
    now: chrono::DateTime<chrono::Utc>,
) -> crate::storage::StoreResult<()> {
    for (policy_id, count) in uses {
        let Some(policy) = crate::storage::trust::find(conn, &policy_id)? else {
            continue;
        };
        let client = crate::storage::clients::find(conn, &policy.client_pk)?;
        crate::audit::record(
            conn,
            &crate::audit::Actor::system(),
            "trust_policy.used",
            crate::audit::Target::new("client", &client.client_id, &client.org_id),
            serde_json::json!({"policy_id": policy_id, "issuer": policy.issuer,
                               "subject": policy.subject, "tokens": count}),
            now,
        )?;
    }
    Ok(())
}

//! Authorization codes: issued to a signed-in person for one client, one redirect URI and one
//! PKCE challenge; exchanged once, within 60 s. oxide-auth's PKCE extension encodes the
//! challenge and checks the verifier (constant time); we add what it leaves out (RFC 7636 §4.1
//! and §4.2 syntax, S256 only).

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use oxide_auth::code_grant::extensions::Pkce;
use oxide_auth::primitives::grant::Value;

use super::{at, live_user, new_secret, GrantError, PeopleService, CODE_SECONDS};
use crate::domain::clients::CachedClient;
use crate::domain::holdings;
use crate::domain::DomainError;
use crate::storage::people::{self as rows, CodeRow};
use crate::storage::users::UserRow;
use crate::storage::{join_list, split_list, DbConnection};

/// What the authorization endpoint decided, for a signed-in person.
#[derive(Debug, Clone)]
pub struct CodeRequest {
    /// The client.
    pub client_id: String,
    /// The person.
    pub user_id: String,
    /// The redirect URI (already matched against the client's).
    pub redirect_uri: String,
    /// The S256 challenge.
    pub code_challenge: String,
    /// Scopes asked for.
    pub scope: Vec<String>,
    /// Audiences asked for (`resource`, `audience`).
    pub audiences: Vec<String>,
}

/// A code presented at the token endpoint.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The code.
    pub code: String,
    /// `redirect_uri`, which must be the one the code was sent to.
    pub redirect_uri: Option<String>,
    /// `code_verifier`.
    pub verifier: Option<String>,
    /// Audiences asked for at the exchange (added to those asked at the authorization).
    pub audiences: Vec<String>,
}

/// What a person's token carries, decided inside the exchange's transaction.
#[derive(Debug, Clone)]
pub struct UserGrant {
    /// The person.
    pub user: UserRow,
    /// The scopes granted: asked for, held by the person (through its groups), and listed by
    /// the client when it lists any.
    pub scope: Vec<String>,
    /// The audiences granted.
    pub audiences: Vec<String>,
    /// The family of everything issued from this code.
    pub family_id: String,
}

/// A token built for a grant: its value, its `jti`, its expiry.
pub struct Built<T> {
    /// What the caller answers.
    pub value: T,
    /// Its `jti`, recorded with the family.
    pub jti: String,
    /// Its `exp`.
    pub expires_at: NaiveDateTime,
}

/// RFC 7636 §4.2: an S256 challenge is the base64url SHA-256 of the verifier: 43 characters.
pub fn valid_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// RFC 7636 §4.1: 43 to 128 unreserved characters.
fn valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

enum Outcome<T> {
    Issued(T, Option<String>),
    Replayed,
}

impl PeopleService {
    /// Issues a code; returns it (shown once, in the redirect).
    pub async fn issue_code(
        &self,
        req: CodeRequest,
        now: DateTime<Utc>,
    ) -> Result<String, DomainError> {
        let pkce = Pkce::required()
            .challenge(
                Some(Cow::Borrowed("S256")),
                Some(Cow::Borrowed(&req.code_challenge)),
            )
            .ok()
            .flatten()
            .and_then(|v| v.into_private_value().ok().flatten())
            .ok_or_else(|| DomainError::Invalid(vec!["code_challenge is not valid".into()]))?;
        let code = new_secret()?;
        let row = CodeRow {
            code_hash: self.hash(&code),
            client_id: req.client_id,
            user_id: req.user_id,
            redirect_uri: req.redirect_uri,
            pkce,
            scope: join_list(&req.scope),
            audiences: join_list(&req.audiences),
            expires_at: at(now + Duration::seconds(CODE_SECONDS)),
            used_at: None,
            family_id: crate::storage::new_row_id(),
        };
        self.db
            .write(move |conn| rows::insert_code(conn, &row), |_| {})
            .await?;
        Ok(code)
    }

    /// Exchanges a code, once: checks it, decides the grant, lets `build` make the token, and
    /// records its `jti` (and a refresh token, when the client may have one) in the same
    /// transaction. A second use revokes everything the first one issued.
    pub async fn exchange<T, F>(
        &self,
        client: Arc<CachedClient>,
        ex: Exchange,
        admin_audience: String,
        now: DateTime<Utc>,
        build: F,
    ) -> Result<(T, Option<String>), GrantError>
    where
        F: FnOnce(&UserGrant) -> Result<Built<T>, GrantError> + Send + 'static,
        T: Send + 'static,
    {
        let hash = self.hash(&ex.code);
        let service = self.clone();
        let outcome = self
            .db
            .write(
                move |conn| {
                    let Some(code) = rows::find_code(conn, &hash)? else {
                        return Err(GrantError::InvalidGrant("the code is unknown or expired"));
                    };
                    if code.client_id != client.client_id {
                        return Err(GrantError::InvalidGrant(
                            "the code was issued to another client",
                        ));
                    }
                    let when = at(now);
                    // CONTRACT: a second use revokes what the first issued (committed, then
                    // refused).
                    if code.used_at.is_some() || !rows::use_code(conn, &hash, when)? {
                        rows::revoke_family(conn, &code.family_id, &client.id, when)?;
                        return Ok(Outcome::Replayed);
                    }
                    if code.expires_at <= when {
                        return Err(GrantError::InvalidGrant("the code is unknown or expired"));
                    }
                    if ex.redirect_uri.as_deref() != Some(code.redirect_uri.as_str()) {
                        return Err(GrantError::InvalidGrant(
                            "redirect_uri is not the one the code was sent to",
                        ));
                    }
                    let verifier = ex.verifier.as_deref().filter(|v| valid_verifier(v));
                    Pkce::required()
                        .verify(
                            Some(Value::private(Some(code.pkce.clone()))),
                            verifier.map(Cow::Borrowed),
                        )
                        .map_err(|_| {
                            GrantError::InvalidGrant("the code_verifier does not match")
                        })?;
                    let Some(user) = live_user(conn, &code.user_id)? else {
                        return Err(GrantError::InvalidGrant("the person may no longer sign in"));
                    };
                    let mut asked = split_list(&code.audiences);
                    asked.extend(ex.audiences.iter().cloned());
                    let grant = decide(
                        conn,
                        &client,
                        user,
                        &split_list(&code.scope),
                        asked,
                        &admin_audience,
                        code.family_id.clone(),
                    )?;
                    let built = build(&grant)?;
                    rows::record_family_token(
                        conn,
                        &built.jti,
                        &grant.family_id,
                        built.expires_at,
                    )?;
                    let refresh = if client.refresh_token {
                        Some(service.new_refresh(conn, &client.client_id, &grant, when)?)
                    } else {
                        None
                    };
                    Ok(Outcome::Issued(built.value, refresh))
                },
                |_| {},
            )
            .await?;
        match outcome {
            Outcome::Issued(value, refresh) => Ok((value, refresh)),
            Outcome::Replayed => Err(GrantError::InvalidGrant(
                "the code was already used: everything issued from it is revoked",
            )),
        }
    }
}

/// What a person's token may carry: CONTRACT ("User tokens") the scopes asked for that the
/// person holds and, when the client lists scopes, that the client lists; audiences the same
/// (when none is asked for, the client's defaults). The admin audience goes alone.
pub(super) fn decide(
    conn: &mut DbConnection,
    client: &CachedClient,
    user: UserRow,
    scope: &[String],
    mut audiences: Vec<String>,
    admin_audience: &str,
    family_id: String,
) -> Result<UserGrant, GrantError> {
    let held = holdings::of_user(conn, &user)?;
    let listed = |list: &[String], item: &String| list.is_empty() || list.contains(item);
    let scope: Vec<String> = scope
        .iter()
        .filter(|s| held.scopes.contains(s) && listed(&client.scopes, s))
        .cloned()
        .collect();
    audiences.dedup();
    if audiences.is_empty() {
        audiences = client
            .default_audiences
            .clone()
            .unwrap_or_else(|| client.audiences.clone())
            .into_iter()
            .filter(|a| held.audiences.contains(a))
            .collect();
    } else if let Some(bad) = audiences
        .iter()
        .find(|a| !held.audiences.contains(a) || !listed(&client.audiences, a))
    {
        return Err(GrantError::InvalidTarget(format!(
            "the audience {bad} is not one this person may ask for with this client"
        )));
    }
    if audiences.is_empty() {
        return Err(GrantError::InvalidTarget(
            "name the audience: none was asked for and none is configured".into(),
        ));
    }
    if audiences.len() > 1 && audiences.iter().any(|a| a == admin_audience) {
        return Err(GrantError::InvalidTarget(
            "a token for the admin API carries no other audience: ask for it alone".into(),
        ));
    }
    Ok(UserGrant {
        user,
        scope,
        audiences,
        family_id,
    })
}

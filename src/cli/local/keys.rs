//! `castellan keys rotate` and `castellan keys revoke`, on the server's database.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::audit::Actor;
use crate::config::Settings;
use crate::keys::{self, KeyPolicy, Switch};

fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Publishes a new signing key that signs after the delay (or at once with `Switch::Now`).
pub fn rotate(settings: &Settings, switch: Switch) -> Result<(), String> {
    keys::provider::install();
    let (db, master) = super::open_with_master_key(settings)?;
    let policy = KeyPolicy::from_settings(settings).map_err(|e| e.to_string())?;
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    let now = Utc::now();
    let rotation = keys::rotate_at(&mut conn, &master, &policy, now, switch, &Actor::system())
        .map_err(|e| e.to_string())?;
    let kid = &rotation.kid;
    let when = at(rotation.activates_at);
    let wait = (rotation.activates_at - now).num_seconds().max(0);
    match (switch, rotation.created) {
        (Switch::Now, _) => eprintln!(
            "castellan: the new signing key {kid} signs now; running servers switch to it \
             within a second. Verifiers that cached the JWKS refuse its tokens until they \
             refetch it (without --now the key is published first). The old key stays \
             published until its tokens have expired."
        ),
        (Switch::After(_), true) => eprintln!(
            "castellan: published the new signing key {kid}; it signs from {when} (in {wait} s) \
             on every running server, without a restart. The current key stops signing then \
             and stays published until its tokens have expired."
        ),
        (Switch::After(_), false) => eprintln!(
            "castellan: the signing key {kid} is already published and waiting; it signs from \
             {when} (in {wait} s). No new key was made."
        ),
    }
    Ok(())
}

/// Revokes a (compromised) key at once.
pub fn revoke(settings: &Settings, kid: &str) -> Result<(), String> {
    keys::provider::install();
    let (db, master) = super::open_with_master_key(settings)?;
    let policy = KeyPolicy::from_settings(settings).map_err(|e| e.to_string())?;
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    let revocation = keys::revoke(
        &mut conn,
        &master,
        &policy,
        kid,
        Utc::now(),
        &Actor::system(),
    )
    .map_err(|e| match e {
        keys::KeyError::Store(crate::storage::StoreError::NotFound) => {
            format!("no signing key has the kid {kid}")
        }
        other => other.to_string(),
    })?;
    if !revocation.revoked_now {
        eprintln!("castellan: key {kid} was already revoked");
        return Ok(());
    }
    match revocation.replaced_by {
        Some(new_kid) => eprintln!(
            "castellan: revoked key {kid}; the new signing key is {new_kid}; running servers drop the old one within a second"
        ),
        None => eprintln!("castellan: revoked key {kid}; running servers drop it within a second"),
    }
    Ok(())
}

//! Background jobs: write last-used times, pick up changes made elsewhere, purge revoked
//! token ids whose tokens have expired, used client assertions that have expired, and audit
//! events past their retention.

use std::time::Duration;

use actix_web::web;
use chrono::Utc;

use crate::domain::Core;

/// How often a node looks for key changes made elsewhere (a rotation or revocation on another
/// node or by the CLI): one small query, and a rebuild only when something changed.
const KEY_WATCH: Duration = Duration::from_millis(500);

/// Starts the periodic refresh and the key watch on the current runtime.
pub fn spawn(state: web::Data<Core>, metrics: web::Data<crate::telemetry::Metrics>) {
    let keys_state = state.clone();
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(KEY_WATCH);
        let mut failing = false;
        loop {
            tick.tick().await;
            let s = keys_state.clone();
            let result = keys_state
                .db
                .run(move |conn| {
                    Ok::<_, crate::storage::StoreError>(s.keys.refresh(conn, Utc::now()))
                })
                .await;
            // Logged on the change only: during an outage this fails twice a second.
            match result {
                Ok(Ok(_)) => failing = false,
                Err(e) if !failing => {
                    failing = true;
                    log::warn!("key watch: {e}");
                }
                Ok(Err(e)) if !failing => {
                    failing = true;
                    log::warn!("key watch: {e}");
                }
                _ => {}
            }
        }
    });

    let every = Duration::from_secs(state.settings.cache.refresh_seconds.max(1));
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            refresh(&state).await;
            // Per-client series of clients deleted since are dropped (when they are kept).
            metrics.retain_clients(&|id| state.clients.get(id).is_some());
        }
    });
}

/// One round: flush last-used times, reload clients and keys, purge expired revocations and
/// used assertions and audit events past their retention.
pub async fn refresh(state: &web::Data<Core>) {
    // The clients reload as a write: one writer at a time on this node, so a change made here
    // meanwhile can't be overwritten in the cache by the older picture this read.
    let s = state.clone();
    let reloaded = state
        .db
        .write(
            move |conn| {
                s.directory.reload(conn)?;
                s.clients.reload(conn)
            },
            |_| (),
        )
        .await;
    if let Err(e) = reloaded {
        log::warn!("background client reload failed: {e}");
    }
    // Outside keys no client or policy names any more are let go.
    let used = state.clients.jwks_uris();
    state.outside.retain(|uri| used.contains(uri));
    let s = state.clone();
    let result = state
        .db
        .run(move |conn| {
            s.clients.flush_uses(conn)?;
            let policy_uses = s.clients.take_policy_uses();
            if !policy_uses.is_empty() {
                crate::domain::workload::record_uses(conn, policy_uses, Utc::now())?;
            }
            // maintain = scheduled rotation (when configured) + reload.
            s.keys
                .maintain(conn, Utc::now())
                .map_err(|e| crate::storage::StoreError::Pool(e.to_string()))?;
            // A verifier with leeway still accepts a token up to leeway seconds past its exp
            // (RFC 7519 §4.1.4 allows "some small leeway"), so its revocation must outlive that.
            let leeway = chrono::Duration::seconds(s.settings.token.leeway_seconds.max(0));
            let now = Utc::now();
            crate::storage::revoked::purge_expired(conn, (now - leeway).naive_utc())?;
            // A deleted client's last token has expired by then.
            let longest = chrono::Duration::seconds(s.settings.token.max_ttl_seconds.max(0));
            crate::storage::revoked::purge_deleted(conn, (now - longest - leeway).naive_utc())?;
            // Rows are kept until the assertion's exp plus its leeway: none here is still usable.
            crate::storage::used_assertions::purge_expired(conn, now.naive_utc())?;
            let purged = crate::audit::purge_expired(conn, s.settings.audit.retention_days, now)?;
            if purged > 0 {
                log::info!("purged {purged} audit events past audit.retention_days");
            }
            Ok::<_, crate::storage::StoreError>(())
        })
        .await;
    if let Err(e) = result {
        log::warn!("background refresh failed: {e}");
    }
}

/// On PostgreSQL, applies the changes other nodes announce (`LISTEN`) within a poll (100 ms):
/// organizations, groups, clients, secrets and trust policies are reloaded from the store, and
/// the keys looked at. A node that loses its listening connection resynchronises in full when
/// it gets it back. The timed reload stays as a safety net. The listener ends with the server.
pub fn spawn_listener(state: &web::Data<Core>) {
    let crate::storage::Backend::Postgres(url) =
        crate::storage::Backend::from_url(&state.settings.database_url)
    else {
        return;
    };
    let url = url.to_string();
    let node = state.db.node().to_string();
    let weak = std::sync::Arc::downgrade(&state.clone().into_inner());
    let alive = weak.clone();
    let started = std::thread::Builder::new()
        .name("castellan-listen".into())
        .spawn(move || {
            crate::storage::listen::listen(
                &url,
                &node,
                |_heard| {
                    if let Some(core) = weak.upgrade() {
                        apply_changes(&core);
                    }
                },
                move || alive.strong_count() > 0,
            )
        });
    if let Err(e) = started {
        log::warn!("the change listener could not start ({e}); changes arrive on the timer");
    }
}

/// Reloads what the caches hold, as the only writer (so a change made here meanwhile is not
/// overwritten by an older picture).
fn apply_changes(core: &Core) {
    let reloaded = core.db.write_blocking(
        |conn| {
            core.directory.reload(conn)?;
            core.clients.reload(conn)
        },
        |_| (),
    );
    if let Err(e) = reloaded {
        log::warn!("applying announced changes failed: {e}");
    }
    if let Ok(mut conn) = core.db.conn() {
        let _ = core.keys.refresh(&mut conn, Utc::now());
    }
}

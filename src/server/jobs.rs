//! Background jobs: write last-used times, pick up changes made elsewhere.

use std::time::Duration;

use actix_web::web;
use chrono::Utc;

use super::AppState;

/// Starts the periodic refresh on the current runtime.
pub fn spawn(state: web::Data<AppState>) {
    let every = Duration::from_secs(state.settings.cache.refresh_seconds.max(1));
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            refresh(&state).await;
        }
    });
}

/// One round: flush last-used times, reload clients and keys.
pub async fn refresh(state: &web::Data<AppState>) {
    let s = state.clone();
    let result = state
        .db
        .run(move |conn| {
            s.clients.flush_uses(conn)?;
            s.clients.reload(conn)?;
            s.keys
                .reload(conn, Utc::now())
                .map_err(|e| crate::storage::StoreError::Pool(e.to_string()))?;
            Ok(())
        })
        .await;
    if let Err(e) = result {
        log::warn!("background refresh failed: {e}");
    }
}

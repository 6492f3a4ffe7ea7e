//! Listening for the changes other nodes announce (PostgreSQL `LISTEN`), on a connection of its
//! own, outside the pool. A lost connection is opened again, and the caller resynchronises in
//! full when it comes back (a change announced meanwhile would otherwise be missed).

use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::prelude::*;

use super::write::CHANGES_CHANNEL;

/// What the listener tells its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// Another node changed something a cache holds.
    Change,
    /// The listening connection is (again) open: anything may have changed meanwhile.
    Resync,
}

/// How often announcements are looked for; changes heard within one poll are applied once.
const POLL: Duration = Duration::from_millis(100);

/// Listens forever on `url` (a PostgreSQL URL), calling `on` for what it hears. Announcements
/// from `node` (this node's own) are ignored. Returns only when `keep_going` says so.
pub fn listen(url: &str, node: &str, mut on: impl FnMut(Heard), keep_going: impl Fn() -> bool) {
    let mut backoff = Duration::from_millis(200);
    while keep_going() {
        let mut conn = match PgConnection::establish(url) {
            Ok(c) => c,
            Err(e) => {
                log::warn!("change listener: can't connect ({e}); retrying");
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        if let Err(e) = diesel::sql_query(format!("LISTEN {CHANGES_CHANNEL}")).execute(&mut conn) {
            log::warn!("change listener: LISTEN failed ({e}); retrying");
            std::thread::sleep(backoff);
            continue;
        }
        backoff = Duration::from_millis(200);
        on(Heard::Resync);
        let mut last_check = Instant::now();
        'connected: while keep_going() {
            std::thread::sleep(POLL);
            let mut changed = false;
            for note in conn.notifications_iter() {
                match note {
                    Ok(n) if n.payload != node => changed = true,
                    Ok(_) => {}
                    Err(e) => {
                        log::warn!("change listener: connection lost ({e}); reconnecting");
                        break 'connected;
                    }
                }
            }
            // An idle connection that died says so only when used: check it now and then.
            if last_check.elapsed() > Duration::from_secs(5) {
                last_check = Instant::now();
                if diesel::sql_query("SELECT 1").execute(&mut conn).is_err() {
                    log::warn!("change listener: connection lost; reconnecting");
                    break 'connected;
                }
            }
            if changed {
                on(Heard::Change);
            }
        }
    }
}

//! `castellan admin audit list` (`/admin/v1/audit-events`), and `--follow`: the newest events,
//! then each new one as it is written, oldest first, by polling.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::Value;

use super::fields::{OrgFilter, PageArgs};
use super::http::{Api, Failure};
use super::output::{self, Column};
use super::Output;

const COLUMNS: &[Column] = &[
    ("OCCURRED_AT", "occurred_at"),
    ("ACTION", "action"),
    ("ACTOR", "actor"),
    ("TARGET_KIND", "target_kind"),
    ("TARGET", "target"),
    ("IP", "ip"),
];
/// How many event ids `--follow` remembers, to print each event once.
const REMEMBERED: usize = 10_000;
/// The page size `--follow` polls with, and how many pages one poll reads at most.
const POLL_PAGE: usize = 200;
const POLL_PAGES: usize = 10;

/// `castellan admin audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Audit events on targets inside the caller's reach, newest first.
    List(ListArgs),
}

/// `audit list`'s filters.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only events by this actor (a client_id or username).
    #[arg(long)]
    pub actor: Option<String>,
    /// Only events on this target.
    #[arg(long)]
    pub target: Option<String>,
    /// Only this action, e.g. client.created, secret.revoked, key.rotated.
    #[arg(long)]
    pub action: Option<String>,
    #[command(flatten)]
    pub org: OrgFilter,
    #[command(flatten)]
    pub page: PageArgs,
    /// Keep running: print the latest events (--limit, default 20), then each new one, oldest
    /// first; in JSON, one event a line.
    #[arg(long, conflicts_with = "offset")]
    pub follow: bool,
    /// With --follow: seconds between two polls.
    #[arg(long, default_value_t = 2, requires = "follow", value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub interval: u64,
}

impl ListArgs {
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        for (key, value) in [
            ("actor", &self.actor),
            ("target", &self.target),
            ("action", &self.action),
        ] {
            if let Some(v) = value {
                query.push((key, v.clone()));
            }
        }
        self.org.push(&mut query);
        query
    }
}

/// Runs one `audit` command.
pub async fn run(api: &mut Api, out: Output, cmd: AuditCommand) -> Result<(), Failure> {
    let AuditCommand::List(args) = cmd;
    if args.follow {
        return follow(api, out, &args).await;
    }
    let mut query = args.query();
    args.page.push(&mut query);
    let answer = api.get(&["audit-events"], &query).await?;
    output::show(out, &answer, |v| output::list(v, COLUMNS))
}

/// The events seen so far (the last [`REMEMBERED`] of them).
#[derive(Default)]
struct Seen {
    ids: HashSet<String>,
    order: VecDeque<String>,
}

impl Seen {
    fn insert(&mut self, id: &str) -> bool {
        if !self.ids.insert(id.to_string()) {
            return false;
        }
        self.order.push_back(id.to_string());
        if self.order.len() > REMEMBERED {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
        true
    }
}

async fn follow(api: &mut Api, out: Output, args: &ListArgs) -> Result<(), Failure> {
    let backlog = usize::from(args.page.limit.unwrap_or(20));
    let mut seen = Seen::default();
    if out == Output::Table && !output::print_checked(&line(&heading())) {
        return Ok(());
    }
    let mut started = false;
    let mut away = false;
    loop {
        match poll(api, args, &mut seen, !started).await {
            Ok(mut events) => {
                if !started {
                    events.truncate(backlog);
                    started = true;
                }
                if away {
                    output::note("castellan: the server answers again");
                    away = false;
                }
                for event in events.iter().rev() {
                    let text = match out {
                        Output::Json => event.to_string(),
                        Output::Table => line(&row(event)),
                    };
                    if !output::print_checked(&text) {
                        return Ok(());
                    }
                }
            }
            // Once started, a server restarting is waited for; anything else ends the command.
            Err(Failure::Unreachable(why)) if started => {
                if !away {
                    output::note(&format!("castellan: {why}; retrying"));
                    away = true;
                }
            }
            Err(other) => return Err(other),
        }
        tokio::time::sleep(Duration::from_secs(args.interval)).await;
    }
}

/// The events not seen yet, newest first. The first poll reads one page (all of it counts as
/// seen); later ones read page after page until a page holds an event already seen.
async fn poll(
    api: &mut Api,
    args: &ListArgs,
    seen: &mut Seen,
    first_poll: bool,
) -> Result<Vec<Value>, Failure> {
    let mut fresh = Vec::new();
    for page in 0..POLL_PAGES {
        let mut query = args.query();
        query.push(("limit", POLL_PAGE.to_string()));
        query.push(("offset", (page * POLL_PAGE).to_string()));
        let answer = api.get(&["audit-events"], &query).await?;
        let body = answer.json()?;
        let items = body["items"].as_array().cloned().unwrap_or_default();
        let mut met_seen = false;
        for item in &items {
            let id = item["id"].as_str().unwrap_or_default();
            if seen.insert(id) {
                fresh.push(item.clone());
            } else {
                met_seen = true;
            }
        }
        if first_poll || met_seen || items.len() < POLL_PAGE {
            break;
        }
    }
    Ok(fresh)
}

fn heading() -> Vec<String> {
    COLUMNS.iter().map(|(h, _)| (*h).to_string()).collect()
}

fn row(event: &Value) -> Vec<String> {
    COLUMNS
        .iter()
        .map(|(_, f)| output::cell(&event[*f]))
        .collect()
}

/// One line of fixed-width columns (a followed stream can't be measured in advance).
fn line(cells: &[String]) -> String {
    const WIDTHS: [usize; 5] = [30, 24, 20, 12, 36];
    let mut s = String::new();
    for (i, c) in cells.iter().enumerate() {
        match WIDTHS.get(i) {
            Some(w) => s.push_str(&format!("{c:<w$}  ")),
            None => s.push_str(c),
        }
    }
    s.trim_end().to_string()
}

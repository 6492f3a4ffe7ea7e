//! Arguments several commands share (paging, the organization filter), and turning flags into
//! JSON: space-separated lists, durations, files named on the command line.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use clap::Args;
use serde_json::{Map, Value};

use super::http::Failure;

/// `--limit` and `--offset` of a list call.
#[derive(Debug, Clone, Args)]
pub struct PageArgs {
    /// Items per page (1 to 200; the server's default is 50).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=200))]
    pub limit: Option<u16>,
    /// Items to skip (the `next_offset` of the page before).
    #[arg(long, value_name = "N")]
    pub offset: Option<u32>,
}

impl PageArgs {
    /// Adds `limit` and `offset` to a query.
    pub fn push(&self, query: &mut Vec<(&'static str, String)>) {
        if let Some(l) = self.limit {
            query.push(("limit", l.to_string()));
        }
        if let Some(o) = self.offset {
            query.push(("offset", o.to_string()));
        }
    }
}

/// `--org` and `--subtree` of a list call.
#[derive(Debug, Clone, Args)]
pub struct OrgFilter {
    /// Only this organization (its id or slug).
    #[arg(long, value_name = "ID_OR_SLUG")]
    pub org: Option<String>,
    /// With --org: the organizations below it too.
    #[arg(long, requires = "org")]
    pub subtree: bool,
}

impl OrgFilter {
    /// Adds `org` and `subtree` to a query.
    pub fn push(&self, query: &mut Vec<(&'static str, String)>) {
        if let Some(org) = &self.org {
            query.push(("org", org.clone()));
            if self.subtree {
                query.push(("subtree", "true".into()));
            }
        }
    }
}

/// A JSON object being built from flags.
#[derive(Default)]
pub struct Body(Map<String, Value>);

impl Body {
    /// Sets `key` when the flag was given.
    pub fn set(&mut self, key: &str, value: Option<impl Into<Value>>) -> &mut Self {
        if let Some(v) = value {
            self.0.insert(key.to_string(), v.into());
        }
        self
    }

    /// Sets `key` to a list from a space-separated flag (`""` is the empty list).
    pub fn list(&mut self, key: &str, value: Option<&String>) -> &mut Self {
        if let Some(v) = value {
            self.0.insert(key.to_string(), words(v).into());
        }
        self
    }

    /// Sets `key` to `null` when `clear` is true.
    pub fn clear(&mut self, key: &str, clear: bool) -> &mut Self {
        if clear {
            self.0.insert(key.to_string(), Value::Null);
        }
        self
    }

    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The object.
    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

/// The words of a space-separated list.
pub fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

/// A JSON document read from a file named on the command line.
pub fn json_file(flag: &str, path: &Path) -> Result<Value, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::Usage(format!(
            "{flag} {}: cannot read it: {}",
            path.display(),
            e.kind()
        ))
    })?;
    serde_json::from_str(&text)
        .map_err(|e| Failure::Usage(format!("{flag} {}: not JSON ({e})", path.display())))
}

/// A JSON file, when its flag was given.
pub fn optional_json_file(flag: &str, path: Option<&PathBuf>) -> Result<Option<Value>, Failure> {
    path.map(|p| json_file(flag, p)).transpose()
}

/// A duration such as `90d`, `12h`, `30m`, `45s`, `2w` or `1d12h`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("{s:?} is not a duration such as 90d, 12h, 30m or 1d12h");
    let mut total: i64 = 0;
    let mut number = String::new();
    for c in s.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit: i64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let n: i64 = number.parse().map_err(|_| bad())?;
        number.clear();
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    if !number.is_empty() || total <= 0 {
        return Err(bad());
    }
    // At most a century: past that, leave the secret without an expiry.
    if total > 100 * 366 * 86_400 {
        return Err(format!("{s:?} is more than a hundred years"));
    }
    Duration::try_seconds(total).ok_or_else(bad)
}

/// An RFC 3339 time such as `2027-01-31T00:00:00Z`.
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{s:?} is not an RFC 3339 time such as 2027-01-31T00:00:00Z ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_add_their_parts() {
        assert_eq!(parse_duration("90d"), Ok(Duration::days(90)));
        assert_eq!(parse_duration("1d12h"), Ok(Duration::hours(36)));
        assert_eq!(parse_duration("2w"), Ok(Duration::weeks(2)));
        assert_eq!(parse_duration("45s"), Ok(Duration::seconds(45)));
        for bad in ["", "d", "12", "5x", "0s", "-3d", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_are_rfc_3339_in_any_offset() {
        let t = parse_time("2027-01-31T02:00:00+02:00");
        assert_eq!(
            t.map(|t| t.to_rfc3339()),
            Ok("2027-01-31T00:00:00+00:00".into())
        );
        assert!(parse_time("tomorrow").is_err());
    }

    #[test]
    fn an_empty_list_flag_is_the_empty_list() {
        let mut body = Body::default();
        body.list("scopes", Some(&String::new()))
            .list("audiences", Some(&"a  b".to_string()));
        assert_eq!(
            body.into_value(),
            serde_json::json!({"scopes": [], "audiences": ["a", "b"]})
        );
    }
}

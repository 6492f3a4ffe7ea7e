//! What list pages and forms share: form fields read leniently, pages of a list, times as
//! shown.

/// Turns a space- or comma-separated field into a list.
pub fn words(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// An optional text field: None when blank.
pub fn optional(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The offset of a list page from the query (never negative).
fn offset(raw: Option<i64>) -> i64 {
    raw.unwrap_or(0).max(0)
}

/// Items per list page.
pub const PAGE_SIZE: i64 = 50;

/// Links to the previous and next pages of a list.
#[derive(Debug, Clone, Default)]
pub struct Pager {
    /// The previous page, if any.
    pub prev: Option<String>,
    /// The next page, if there may be one.
    pub next: Option<String>,
}

impl Pager {
    /// The pager of a page at `offset` that showed `shown` items; `query` is the rest of the
    /// query string (already encoded, may be empty).
    pub fn new(path: &str, query: &str, offset: i64, shown: usize) -> Self {
        let link = |o: i64| {
            let sep = if query.is_empty() { "" } else { "&" };
            format!("{path}?{query}{sep}offset={o}")
        };
        Pager {
            prev: (offset > 0).then(|| link((offset - PAGE_SIZE).max(0))),
            next: (shown as i64 >= PAGE_SIZE).then(|| link(offset + PAGE_SIZE)),
        }
    }
}

/// A time as shown in tables: UTC, to the second.
pub fn when(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// An optional time, or a dash.
pub fn when_or(t: &Option<chrono::DateTime<chrono::Utc>>, none: &str) -> String {
    t.as_ref().map_or_else(|| none.to_string(), when)
}

/// `?org=&offset=` of a list page; lenient: what does not parse is ignored.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// An organization's id or slug; empty: everything the person reaches.
    pub org: String,
    /// Items to skip.
    pub offset: String,
}

impl ListQuery {
    /// The offset (0 when absent or not a number).
    pub fn offset(&self) -> i64 {
        offset(self.offset.trim().parse().ok())
    }

    /// The organization selector of the domain's lists.
    pub fn selector(&self) -> crate::domain::tenancy::OrgSelector {
        crate::domain::tenancy::OrgSelector {
            org: optional(&self.org),
            subtree: false,
        }
    }

    /// The pager of a list at `path` that showed `shown` items.
    pub fn pager(&self, path: &str, shown: usize) -> Pager {
        let query = match optional(&self.org) {
            Some(org) => form_urlencoded::Serializer::new(String::new())
                .append_pair("org", &org)
                .finish(),
            None => String::new(),
        };
        Pager::new(path, &query, self.offset(), shown)
    }
}

/// A form that carries only the CSRF token.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    /// CSRF token.
    pub csrf: String,
}

/// A stored (UTC) time, as shown in tables.
pub fn naive(t: &chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

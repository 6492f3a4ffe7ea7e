//! Paging for list calls.

use serde::{Deserialize, Serialize};

use crate::domain::tenancy::OrgSelector;

/// `?limit=&offset=`.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page (1 to 200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Items to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

impl PageQuery {
    /// The limit and offset to use; out-of-range values are the caller's mistake (400).
    pub fn resolve(self) -> Result<(i64, i64), super::error::ApiError> {
        let limit = self.limit.unwrap_or(50);
        let offset = self.offset.unwrap_or(0);
        if !(1..=200).contains(&limit) || offset < 0 {
            return Err(super::error::ApiError::bad_request(
                "limit must be 1 to 200 and offset at least 0",
            ));
        }
        Ok((limit, offset))
    }
}

/// `?limit=&offset=&org=&subtree=`: a page of what the caller may see, optionally of one
/// organization (by id or slug) and, with `subtree=true`, those below it.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgPageQuery {
    /// Items per page (1 to 200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Items to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Only this organization (its id or slug).
    pub org: Option<String>,
    /// With `org`: also the organizations below it.
    pub subtree: Option<bool>,
}

impl OrgPageQuery {
    /// Limit, offset and the organization selector.
    pub fn resolve(self) -> Result<(i64, i64, OrgSelector), super::error::ApiError> {
        let (limit, offset) = PageQuery {
            limit: self.limit,
            offset: self.offset,
        }
        .resolve()?;
        Ok((
            limit,
            offset,
            OrgSelector {
                org: self.org,
                subtree: self.subtree.unwrap_or(false),
            },
        ))
    }
}

/// A page of items.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// The limit used.
    pub limit: i64,
    /// The offset used.
    pub offset: i64,
    /// The offset of the next page, when there may be one.
    pub next_offset: Option<i64>,
}

impl<T> Page<T> {
    /// Wraps one page of results.
    pub fn new(items: Vec<T>, limit: i64, offset: i64) -> Self {
        let next_offset = (items.len() as i64 == limit).then_some(offset + limit);
        Page {
            items,
            limit,
            offset,
            next_offset,
        }
    }
}

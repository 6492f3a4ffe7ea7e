//! The table of admin operations: what each needs and which errors it may answer beyond
//! those of every operation.

use super::operations::Needs;
use Needs::{Scope, User};

const CLIENTS_READ: Needs = Scope("admin:clients:read");
const CLIENTS_WRITE: Needs = Scope("admin:clients:write");
const USERS_READ: Needs = Scope("admin:users:read");
const USERS_WRITE: Needs = Scope("admin:users:write");
const AUDIT_READ: Needs = Scope("admin:audit:read");
const KEYS_WRITE: Needs = Scope("admin:keys:write");
const ORGS_READ: Needs = Scope("admin:orgs:read");
const ORGS_WRITE: Needs = Scope("admin:orgs:write");
const GROUPS_READ: Needs = Scope("admin:groups:read");
const GROUPS_WRITE: Needs = Scope("admin:groups:write");

/// Errors every authenticated operation may answer: a malformed request or bearer header
/// (400), no or a bad token (401), a token that may not do this (403), a failure on our side
/// (500), the store or the keys unreachable for now (503).
pub const EVERY_OPERATION: &[u16] = &[400, 401, 403, 500, 503];

/// One row per operation: method (lowercase, as OpenAPI spells it), path template, what it
/// needs, and the errors it may answer beyond [`EVERY_OPERATION`]. A row whose route is not
/// (yet) in the document is harmless: rows apply only to operations that exist.
pub const OPERATIONS: &[(&str, &str, Needs, &[u16])] = &[
    ("get", "/admin/v1/clients", CLIENTS_READ, &[]),
    ("post", "/admin/v1/clients", CLIENTS_WRITE, &[409, 422]),
    ("get", "/admin/v1/clients/{id}", CLIENTS_READ, &[404]),
    (
        "patch",
        "/admin/v1/clients/{id}",
        CLIENTS_WRITE,
        &[404, 409, 422],
    ),
    (
        "delete",
        "/admin/v1/clients/{id}",
        CLIENTS_WRITE,
        &[404, 409],
    ),
    (
        "post",
        "/admin/v1/clients/{id}/revoke-tokens",
        CLIENTS_WRITE,
        &[404, 409],
    ),
    (
        "get",
        "/admin/v1/clients/{id}/secrets",
        CLIENTS_READ,
        &[404],
    ),
    (
        "post",
        "/admin/v1/clients/{id}/secrets",
        CLIENTS_WRITE,
        &[404, 409, 422],
    ),
    (
        "delete",
        "/admin/v1/clients/{id}/secrets/{secret_id}",
        CLIENTS_WRITE,
        &[404, 409],
    ),
    ("get", "/admin/v1/users", USERS_READ, &[]),
    ("post", "/admin/v1/users", USERS_WRITE, &[409, 422]),
    ("get", "/admin/v1/users/{id}", USERS_READ, &[404]),
    (
        "patch",
        "/admin/v1/users/{id}",
        USERS_WRITE,
        &[404, 409, 422],
    ),
    ("delete", "/admin/v1/users/{id}", USERS_WRITE, &[404, 409]),
    ("put", "/admin/v1/me/password", User, &[404, 422]),
    ("get", "/admin/v1/audit-events", AUDIT_READ, &[]),
    ("get", "/admin/v1/keys", KEYS_WRITE, &[]),
    ("post", "/admin/v1/keys/rotate", KEYS_WRITE, &[422]),
    ("post", "/admin/v1/keys/{kid}/revoke", KEYS_WRITE, &[404]),
    (
        "get",
        "/admin/v1/clients/{id}/permissions",
        CLIENTS_READ,
        &[404],
    ),
    (
        "get",
        "/admin/v1/users/{id}/permissions",
        USERS_READ,
        &[404],
    ),
    (
        "get",
        "/admin/v1/clients/{id}/trust-policies",
        CLIENTS_READ,
        &[404],
    ),
    (
        "post",
        "/admin/v1/clients/{id}/trust-policies",
        CLIENTS_WRITE,
        &[404, 409, 422],
    ),
    (
        "delete",
        "/admin/v1/clients/{id}/trust-policies/{policy_id}",
        CLIENTS_WRITE,
        &[404, 409],
    ),
    ("get", "/admin/v1/orgs", ORGS_READ, &[]),
    ("post", "/admin/v1/orgs", ORGS_WRITE, &[404, 409, 422]),
    ("get", "/admin/v1/orgs/{id}", ORGS_READ, &[404]),
    ("patch", "/admin/v1/orgs/{id}", ORGS_WRITE, &[404, 409, 422]),
    ("delete", "/admin/v1/orgs/{id}", ORGS_WRITE, &[404, 409]),
    ("get", "/admin/v1/groups", GROUPS_READ, &[404]),
    ("post", "/admin/v1/groups", GROUPS_WRITE, &[404, 409, 422]),
    ("get", "/admin/v1/groups/{id}", GROUPS_READ, &[404]),
    (
        "patch",
        "/admin/v1/groups/{id}",
        GROUPS_WRITE,
        &[404, 409, 422],
    ),
    ("delete", "/admin/v1/groups/{id}", GROUPS_WRITE, &[404, 409]),
    ("get", "/admin/v1/groups/{id}/members", GROUPS_READ, &[404]),
    (
        "post",
        "/admin/v1/groups/{id}/members",
        GROUPS_WRITE,
        &[404, 409, 422],
    ),
    (
        "delete",
        "/admin/v1/groups/{id}/members/{principal}",
        GROUPS_WRITE,
        &[404, 409, 422],
    ),
];

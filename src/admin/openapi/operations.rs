//! What each admin operation needs and which errors it may answer, in one table, applied to
//! every operation of the OpenAPI document by [`ErrorsAndScopes`]. A new route's
//! `#[utoipa::path]` describes its success; its row here describes the rest. An operation
//! missing from the table is caught by the tests (unit test below, tests/api/openapi.rs).

use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{Content, Ref, RefOr, Response, ResponseBuilder};
use utoipa::Modify;

/// What an operation needs from the caller's token, beyond the admin audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// This scope, or `admin`, which covers every admin scope.
    Scope(&'static str),
    /// A person's token (a route made for people): service-account tokens get 403.
    User,
}

pub use super::table::{EVERY_OPERATION, OPERATIONS};
use Needs::{Scope, User};

/// The row for `method` `path`, if there is one.
pub fn lookup(method: &str, path: &str) -> Option<(Needs, &'static [u16])> {
    OPERATIONS
        .iter()
        .find(|(m, p, _, _)| *m == method && *p == path)
        .map(|(_, _, needs, errors)| (*needs, *errors))
}

/// The reusable error responses: status, component name, description.
const ERRORS: &[(u16, &str, &str)] = &[
    (400, "BadRequest", "The request can't be read: malformed JSON, query or path, or a bearer token sent in two places (`urn:castellan:problem:invalid-request`)."),
    (401, "Unauthorized", "No bearer token, or one that is malformed, expired, badly signed, for another audience, revoked, or whose principal is gone or disabled. `WWW-Authenticate: Bearer` says which (RFC 6750 §3)."),
    (403, "Forbidden", "A good token that may not do this: it lacks the scope (`urn:castellan:problem:insufficient-scope`), its service account is not an admin service account, or the target holds more than the caller."),
    (404, "NotFound", "No such resource (or none the caller may see)."),
    (409, "Conflict", "The identifier is taken, the resource is managed by the configuration file, or the change would leave no active holder of the full `admin` scope."),
    (422, "UnprocessableContent", "The change would break a rule; `errors` lists each broken rule. Nothing is repaired silently."),
    (500, "InternalServerError", "A failure on the server's side; the cause is logged, never sent."),
    (503, "ServiceUnavailable", "The database or the verification keys can't be reached right now; `Retry-After` says when to retry. The server recovers by itself."),
];

/// Adds the `Problem` error responses, the scope each operation needs (`security`,
/// `x-required-scopes`, a sentence in the description) to every operation in [`OPERATIONS`].
pub struct ErrorsAndScopes;

impl Modify for ErrorsAndScopes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (status, name, description) in ERRORS {
            components.responses.insert(
                (*name).to_string(),
                RefOr::T(problem_response(*status, description)),
            );
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                ("get", &mut item.get),
                ("put", &mut item.put),
                ("post", &mut item.post),
                ("delete", &mut item.delete),
                ("patch", &mut item.patch),
                ("head", &mut item.head),
                ("options", &mut item.options),
                ("trace", &mut item.trace),
            ];
            for (method, operation) in operations {
                let (Some(operation), Some((needs, errors))) =
                    (operation.as_mut(), lookup(method, path))
                else {
                    continue;
                };
                describe_needs(operation, needs);
                for status in EVERY_OPERATION.iter().chain(errors) {
                    add_error(operation, *status);
                }
            }
        }
    }
}

fn problem_response(status: u16, description: &str) -> Response {
    let mut response = ResponseBuilder::new().description(description).content(
        "application/problem+json",
        Content::new(Some(Ref::from_schema_name("Problem"))),
    );
    let header = |kind: Type, text: &str| {
        HeaderBuilder::new()
            .schema(ObjectBuilder::new().schema_type(kind))
            .description(Some(text))
            .build()
    };
    if status == 401 {
        response = response.header(
            "WWW-Authenticate",
            header(Type::String, "`Bearer realm=\"castellan\"`, with `error` and `error_description` when a token was sent (RFC 6750 §3)."),
        );
    }
    if status == 403 {
        response = response.header(
            "WWW-Authenticate",
            header(Type::String, "For a missing scope: `Bearer … error=\"insufficient_scope\", scope=\"…\"` naming the scopes that would do."),
        );
    }
    if status == 503 {
        response = response.header(
            "Retry-After",
            header(Type::Integer, "Seconds to wait before retrying."),
        );
    }
    response.build()
}

/// `security`, `x-required-scopes` and a sentence in the description.
fn describe_needs(operation: &mut Operation, needs: Needs) {
    let (security, scopes, sentence) = match needs {
        Scope(scope) => (
            vec![
                SecurityRequirement::new("bearer", [scope]),
                SecurityRequirement::new("bearer", ["admin"]),
            ],
            vec![scope],
            format!("Needs a token with the `{scope}` scope, or `admin`, which covers all."),
        ),
        User => (
            vec![SecurityRequirement::new("bearer", Vec::<String>::new())],
            vec![],
            "Needs a person's token (no scope); a service account's token gets 403.".to_string(),
        ),
    };
    operation.security = Some(security);
    let extensions = operation.extensions.get_or_insert_with(Extensions::default);
    extensions.insert("x-required-scopes".into(), serde_json::json!(scopes));
    operation.description = Some(match operation.description.take() {
        Some(d) if !d.trim().is_empty() => format!("{d}\n\n{sentence}"),
        _ => sentence,
    });
}

/// Points `status` at its reusable problem response, unless the handler's annotation already
/// describes that status with a body of its own.
fn add_error(operation: &mut Operation, status: u16) {
    let Some((_, name, _)) = ERRORS.iter().find(|(s, _, _)| *s == status) else {
        return;
    };
    let key = status.to_string();
    let described = matches!(
        operation.responses.responses.get(&key),
        Some(RefOr::T(r)) if !r.content.is_empty()
    );
    if !described {
        operation
            .responses
            .responses
            .insert(key, RefOr::Ref(Ref::from_response_name(*name)));
    }
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    use super::*;

    /// Every operation in the document has a row: a new route can't be left without its
    /// scope and errors.
    #[test]
    fn every_documented_operation_has_a_row() {
        let doc = serde_json::to_value(super::super::AdminApiDoc::openapi()).unwrap_or_default();
        let methods = [
            "get", "put", "post", "delete", "patch", "head", "options", "trace",
        ];
        let mut documented = 0;
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for method in methods.iter().filter(|m| item.get(**m).is_some()) {
                documented += 1;
                assert!(
                    lookup(method, path).is_some(),
                    "{method} {path} is missing from OPERATIONS in src/admin/openapi/operations.rs"
                );
            }
        }
        assert!(documented >= 18, "only {documented} operations documented");
    }
}

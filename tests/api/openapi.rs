//! The admin API's OpenAPI document, fetched from a running server: valid OpenAPI (checked by
//! openapi-spec-validator), every path parameter in its path, every operation with its error
//! responses as problem details and the scope it needs, and that scope the one the server
//! enforces.

use std::io::Write;
use std::process::Command;

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    the_openapi_document_passes_openapi_spec_validator,
    every_path_parameter_is_named_in_its_path_template,
    every_operation_declares_its_errors_as_problem_details,
    every_operation_says_the_scope_it_needs,
    the_scope_the_document_names_is_the_one_the_server_enforces,
);

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

async fn document(app: &TestApp) -> Value {
    let res = app
        .http
        .get(app.url("/admin/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// (method, path, operation) for every operation in the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                out.push((method.to_string(), path.clone(), op.clone()));
            }
        }
    }
    assert!(out.len() >= 18, "too few operations: {}", out.len());
    out
}

/// Follows a `$ref` inside the document.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str() {
        Some(r) => doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling $ref {r}")),
        None => v,
    }
}

fn validator_available() -> bool {
    Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .output()
        .is_ok_and(|o| o.status.success())
}

async fn the_openapi_document_passes_openapi_spec_validator(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let doc = document(&app).await;
    if !validator_available() {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
        assert!(
            !ci,
            "CI is set but python3 -m openapi_spec_validator is not available: \
             pip install openapi-spec-validator"
        );
        // Straight to stderr: the test harness captures eprintln!.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIP: openapi-spec-validator is not installed (pip install \
             openapi-spec-validator): the admin API's OpenAPI document was NOT validated. ***\n"
        );
        return;
    }
    let file = app.dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let out = Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openapi-spec-validator refuses the document:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn every_path_parameter_is_named_in_its_path_template(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let doc = document(&app).await;
    for (method, path, op) in operations(&doc) {
        let templated: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        let params: Vec<Value> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| resolve(&doc, p).clone())
            .collect();
        let in_path: Vec<&str> = params
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for name in &in_path {
            assert!(
                templated.contains(name),
                "{method} {path}: path parameter {name} is not in the template"
            );
        }
        for name in &templated {
            assert!(
                in_path.contains(name),
                "{method} {path}: {{{name}}} has no path parameter"
            );
        }
        for p in params.iter().filter(|p| p["in"] == "path") {
            assert_eq!(p["required"], true, "{method} {path}: {p}");
        }
        for p in params.iter().filter(|p| p["in"] == "query") {
            assert_ne!(p["required"], true, "{method} {path}: {p} must be optional");
        }
    }
    let list = &doc["paths"]["/admin/v1/clients"]["get"]["parameters"];
    let limit = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .expect("limit documented");
    assert_eq!(limit["in"], "query");
}

async fn every_operation_declares_its_errors_as_problem_details(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let doc = document(&app).await;
    let problem = &doc["components"]["schemas"]["Problem"];
    for field in ["type", "title", "status", "detail", "instance", "errors"] {
        assert!(
            problem["properties"].get(field).is_some(),
            "Problem lacks {field}: {problem}"
        );
    }
    for (method, path, op) in operations(&doc) {
        let responses = op["responses"].as_object().unwrap();
        for status in ["400", "401", "403", "500", "503"] {
            assert!(
                responses.contains_key(status),
                "{method} {path} does not declare {status}"
            );
        }
        if path.contains('{') {
            assert!(responses.contains_key("404"), "{method} {path}: no 404");
        }
        if op.get("requestBody").is_some() {
            assert!(responses.contains_key("422"), "{method} {path}: no 422");
        }
        for (status, response) in responses.iter().filter(|(s, _)| s.as_str() >= "400") {
            let response = resolve(&doc, response);
            let schema = &response["content"]["application/problem+json"]["schema"];
            assert_eq!(
                schema["$ref"], "#/components/schemas/Problem",
                "{method} {path} {status}: {response}"
            );
            assert!(!response["description"].as_str().unwrap().is_empty());
        }
        let unauthorized = resolve(&doc, &responses["401"]);
        assert!(unauthorized["headers"].get("WWW-Authenticate").is_some());
        let unavailable = resolve(&doc, &responses["503"]);
        assert!(unavailable["headers"].get("Retry-After").is_some());
    }
}

const ADMIN_SCOPES: [&str; 10] = [
    "admin:clients:read",
    "admin:clients:write",
    "admin:users:read",
    "admin:users:write",
    "admin:orgs:read",
    "admin:orgs:write",
    "admin:groups:read",
    "admin:groups:write",
    "admin:audit:read",
    "admin:keys:write",
];

async fn every_operation_says_the_scope_it_needs(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let doc = document(&app).await;
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for (method, path, op) in operations(&doc) {
        let scopes = op["x-required-scopes"].as_array().unwrap_or_else(|| {
            panic!(
                "{method} {path} has no x-required-scopes: add its row to OPERATIONS in \
                 src/admin/openapi/operations.rs"
            )
        });
        let security = op["security"].as_array().unwrap();
        assert!(!security.is_empty(), "{method} {path}: no security");
        let description = op["description"].as_str().unwrap_or_default();
        assert!(
            description.contains("Needs "),
            "{method} {path}: {description}"
        );
        for scope in scopes {
            let scope = scope.as_str().unwrap();
            assert!(ADMIN_SCOPES.contains(&scope), "{method} {path}: {scope}");
            assert!(security.contains(&json!({"bearer": [scope]})));
            assert!(security.contains(&json!({"bearer": ["admin"]})));
            assert!(
                description.contains(scope),
                "{method} {path}: {description}"
            );
        }
    }
}

/// A body each write operation accepts far enough to reach the scope check.
fn probe_body(method: &str, path: &str) -> Option<Value> {
    match (method, path) {
        ("post", "/admin/v1/clients") => Some(json!({"name": "probe"})),
        ("post", "/admin/v1/users") => Some(json!({"username": "probe"})),
        ("post", "/admin/v1/orgs") => Some(json!({"slug": "probe", "name": "probe"})),
        ("post", "/admin/v1/groups") => Some(json!({"name": "probe"})),
        ("post", "/admin/v1/groups/{id}/members") => Some(json!({"principal": "probe"})),
        ("post", "/admin/v1/clients/{id}/trust-policies") => Some(json!({"issuer": "https://i",
            "jwks_uri": "https://i/jwks", "audience": "a", "subject": "s"})),
        ("post" | "patch" | "put", _) => Some(json!({})),
        _ => None,
    }
}

async fn the_scope_the_document_names_is_the_one_the_server_enforces(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let doc = document(&app).await;
    let mut tokens = std::collections::HashMap::new();
    for (i, scope) in ADMIN_SCOPES.iter().enumerate() {
        let (token, _) = app.limited_admin(&format!("probe-{i}"), &[scope]).await;
        tokens.insert(*scope, token);
    }
    for (method, path, op) in operations(&doc) {
        let Some(needed) = op["x-required-scopes"].as_array().and_then(|s| s.first()) else {
            continue; // a route for people: no scope
        };
        let needed = needed.as_str().unwrap();
        // Every path parameter names nothing: the scope check comes before the lookup.
        let concrete: Vec<&str> = path
            .trim_start_matches("/admin/v1")
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    "no-such-thing"
                } else {
                    s
                }
            })
            .collect();
        let concrete = concrete.join("/");
        for scope in ADMIN_SCOPES {
            let a = app
                .admin(
                    &method.to_uppercase(),
                    &concrete,
                    Some(&tokens[scope]),
                    probe_body(&method, &path),
                )
                .await;
            if scope == needed {
                assert!(
                    a.status != 401 && a.status != 403,
                    "{method} {path} with {scope}: {} {}",
                    a.status,
                    a.body
                );
            } else {
                assert_eq!(a.status, 403, "{method} {path} with {scope}: {}", a.body);
            }
        }
    }
}

//! A refused form's feedback: domain errors turned into messages shown beside the form and
//! the field they concern.

use actix_web::http::StatusCode;

use crate::domain::DomainError;
use crate::storage::StoreError;

/// A refused command, shown beside the form it concerns.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Which form on the page (its id prefix).
    pub form: &'static str,
    /// The answer's status.
    pub status: StatusCode,
    /// One line saying what kind of refusal it is.
    pub title: String,
    /// Messages about one field of the form: (field name, messages).
    pub fields: Vec<(&'static str, Vec<String>)>,
    /// Messages about the form as a whole.
    pub general: Vec<String>,
}

impl Problem {
    /// A refusal of the form `form`, whose fields are `fields` (a message whose first word
    /// names a field, such as `name must be…`, goes beside that field).
    pub fn new(form: &'static str, fields: &[&'static str], e: DomainError) -> Self {
        let (status, title, messages) = describe(e);
        let mut problem = Problem {
            form,
            status,
            title,
            fields: Vec::new(),
            general: Vec::new(),
        };
        for m in messages {
            match fields.iter().find(|f| mentions(&m, f)) {
                Some(f) => match problem.fields.iter_mut().find(|(n, _)| n == f) {
                    Some((_, list)) => list.push(m),
                    None => problem.fields.push((f, vec![m])),
                },
                None => problem.general.push(m),
            }
        }
        problem
    }
}

/// Whether a domain message is about `field`: its first word names it (`scope "x" is…` is
/// about `scopes`).
fn mentions(message: &str, field: &str) -> bool {
    let first = message
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
    first == field || format!("{first}s") == field
}

/// The status, the title and the messages of a refusal.
pub(super) fn describe(e: DomainError) -> (StatusCode, String, Vec<String>) {
    match e {
        DomainError::Invalid(list) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Please correct the following:".into(),
            list,
        ),
        DomainError::Conflict(m) => (StatusCode::CONFLICT, "This can't be done:".into(), vec![m]),
        DomainError::Forbidden(m) => (StatusCode::FORBIDDEN, "Not allowed:".into(), vec![m]),
        DomainError::NotFound(what) => (
            StatusCode::NOT_FOUND,
            "Not found:".into(),
            vec![format!(
                "no such {what} (or it is outside your organization)"
            )],
        ),
        DomainError::Store(StoreError::Unavailable(m)) => {
            log::error!("console: the database is unavailable: {m}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "The server can't complete this now:".into(),
                vec!["the database can't be reached right now; try again in a moment".into()],
            )
        }
        other => {
            log::error!("console: internal error: {other}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The server failed:".into(),
                vec!["the change could not be completed; the cause has been logged".into()],
            )
        }
    }
}

/// What a page shows about the last refused form (nothing, when the page is shown fresh).
#[derive(Debug, Clone, Default)]
pub struct Feedback {
    /// The refusal, if any.
    pub problem: Option<Problem>,
}

impl Feedback {
    /// Feedback about one refusal.
    pub fn of(problem: Problem) -> Self {
        Feedback {
            problem: Some(problem),
        }
    }

    /// The status the page answers with.
    pub fn status(&self) -> StatusCode {
        self.problem.as_ref().map_or(StatusCode::OK, |p| p.status)
    }

    /// The refusal of `form`, if that is the form refused.
    pub fn at(&self, form: &str) -> Option<&Problem> {
        self.problem.as_ref().filter(|p| p.form == form)
    }

    /// The messages about `field` of `form`.
    pub fn field(&self, form: &str, field: &str) -> Vec<String> {
        self.at(form)
            .and_then(|p| p.fields.iter().find(|(f, _)| *f == field))
            .map(|(_, list)| list.clone())
            .unwrap_or_default()
    }
}

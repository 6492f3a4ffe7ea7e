//! The log: env_logger's text layout (with the request id) or one JSON object per line
//! (`log_format = "json"`, `CASTELLAN_LOG_FORMAT=json`). Structured fields travel as `log`
//! key-values; nothing here ever receives a secret or a token (callers log ids, never values).

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use log::kv::{self, Key, Value, VisitSource};
use serde_json::{Map, Number, Value as Json};

use super::with_request_id;
pub use crate::config::LogFormat;

static JSON: AtomicBool = AtomicBool::new(false);

/// Switches the layout of every line written from now on.
pub fn set_format(format: LogFormat) {
    JSON.store(format == LogFormat::Json, Ordering::Relaxed);
}

/// Installs the logger (level from `RUST_LOG`, default `info`). The layout starts as
/// `CASTELLAN_LOG_FORMAT` says, so that even the lines written before the settings are read
/// are JSON when asked; the settings may switch it later with [`set_format`].
pub fn init() {
    if std::env::var("CASTELLAN_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json")) {
        set_format(LogFormat::Json);
    }
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|buf, record| {
            if JSON.load(Ordering::Relaxed) {
                let line = json_line(record, &buf.timestamp_millis().to_string());
                serde_json::to_writer(&mut *buf, &line)?;
                return writeln!(buf);
            }
            let level = buf.default_level_style(record.level());
            write!(
                buf,
                "[{} {level}{:<5}{level:#} {}]",
                buf.timestamp(),
                record.level(),
                record.target()
            )?;
            with_request_id(|id| write!(buf, " [{id}]")).unwrap_or(Ok(()))?;
            write!(buf, " {}", record.args())?;
            let mut fields = Fields(Map::new());
            let _ = record.key_values().visit(&mut fields);
            for (key, value) in fields.0 {
                match value {
                    Json::String(s) => write!(buf, " {key}={s}")?,
                    other => write!(buf, " {key}={other}")?,
                }
            }
            writeln!(buf)
        })
        .init();
}

/// One record as a JSON object: time, level, target, message, the request id when a request is
/// being handled, and the record's key-values.
pub fn json_line(record: &log::Record<'_>, time: &str) -> Json {
    let mut line = Map::new();
    line.insert("time".into(), Json::String(time.to_string()));
    line.insert("level".into(), Json::String(record.level().to_string()));
    line.insert("target".into(), Json::String(record.target().to_string()));
    line.insert("message".into(), Json::String(record.args().to_string()));
    if let Some(id) = with_request_id(str::to_owned) {
        line.insert("request_id".into(), Json::String(id));
    }
    let mut fields = Fields(line);
    let _ = record.key_values().visit(&mut fields);
    Json::Object(fields.0)
}

struct Fields(Map<String, Json>);

impl<'kvs> VisitSource<'kvs> for Fields {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), kv::Error> {
        let json = if let Some(n) = value.to_u64() {
            Json::Number(n.into())
        } else if let Some(n) = value.to_i64() {
            Json::Number(n.into())
        } else if let Some(n) = value.to_f64().and_then(Number::from_f64) {
            Json::Number(n)
        } else if let Some(b) = value.to_bool() {
            Json::Bool(b)
        } else {
            Json::String(value.to_string())
        };
        self.0.insert(key.as_str().to_string(), json);
        Ok(())
    }
}

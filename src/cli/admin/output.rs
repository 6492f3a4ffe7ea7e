//! What `castellan admin` prints: the API's JSON as it came (`--output json`), or for people
//! aligned columns (lists) and one field a line (one item). Values are shown without control
//! characters, so a name can't move the terminal's cursor or change its colours.

use std::io::Write;

use serde_json::Value;

use super::http::{Answer, Failure};
use super::Output;

/// A column: its heading and the field it shows.
pub type Column = (&'static str, &'static str);

/// Writes to standard output; a closed pipe (`| head`) ends the output quietly.
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// Whether standard output still takes lines (false once a pipe is closed).
pub fn print_checked(text: &str) -> bool {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").and_then(|()| out.flush()).is_ok()
}

/// A note for people, on standard error (so that standard output stays parseable).
pub fn note(text: &str) {
    eprintln!("{text}");
}

/// Control characters replaced by their escapes.
pub fn clean(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A JSON value as one cell: text as is, lists joined, nothing as `-`.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) if s.is_empty() => "-".into(),
        Value::String(s) => clean(s),
        Value::Array(items) if items.is_empty() => "-".into(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(" "),
        other => clean(&other.to_string()),
    }
}

/// Rows under headings, each column as wide as its widest cell (the last one not padded).
pub fn table(headings: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headings.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            s.push_str(c);
            if i < last {
                s.push_str(&" ".repeat(w - c.chars().count() + 2));
            }
        }
        s.trim_end().to_string()
    };
    let mut lines = vec![line(headings.to_vec())];
    lines.extend(
        rows.iter()
            .map(|r| line(r.iter().map(String::as_str).collect())),
    );
    lines.join("\n")
}

/// A list of objects (a page's `items`, or a plain array) as a table of the given columns.
pub fn list(v: &Value, columns: &[Column]) -> String {
    let items = v
        .get("items")
        .and_then(Value::as_array)
        .or_else(|| v.as_array());
    let rows: Vec<Vec<String>> = items
        .into_iter()
        .flatten()
        .map(|item| columns.iter().map(|(_, f)| cell(&item[*f])).collect())
        .collect();
    let headings: Vec<&str> = columns.iter().map(|(h, _)| *h).collect();
    table(&headings, &rows)
}

/// One object, one field a line: the fields named in `first` first, then the others sorted.
pub fn record(v: &Value, first: &[&str]) -> String {
    let Some(map) = v.as_object() else {
        return cell(v);
    };
    let mut keys: Vec<&str> = first
        .iter()
        .copied()
        .filter(|k| map.contains_key(*k))
        .collect();
    let mut rest: Vec<&str> = map
        .keys()
        .map(String::as_str)
        .filter(|k| !first.contains(k))
        .collect();
    rest.sort_unstable();
    keys.extend(rest);
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| vec![format!("{k}:"), cell(&map[*k])])
        .collect();
    let mut text = table(&["", ""], &rows);
    // The empty heading line of `table`.
    text = text.trim_start_matches('\n').to_string();
    text
}

/// `GET /admin/v1/{collection}` with the organization filter and paging, printed as a table of
/// `columns` or as JSON: the one shape every list command shares.
pub async fn list_collection(
    api: &mut super::http::Api,
    out: Output,
    collection: &str,
    org: &super::fields::OrgFilter,
    page: &super::fields::PageArgs,
    columns: &[Column],
) -> Result<(), Failure> {
    let mut query = Vec::new();
    org.push(&mut query);
    page.push(&mut query);
    let answer = api.get(&[collection], &query).await?;
    show(out, &answer, |v| list(v, columns))
}

/// Prints an answer: raw JSON, or `human` applied to its body.
pub fn show(
    out: Output,
    answer: &Answer,
    human: impl FnOnce(&Value) -> String,
) -> Result<(), Failure> {
    match out {
        Output::Json => {
            if !answer.body.is_empty() {
                print(answer.body.trim_end());
            }
        }
        Output::Table => {
            let v = answer.json()?;
            print(&human(&v));
            if let Some(next) = v.get("next_offset").and_then(Value::as_i64) {
                note(&format!("(more: --offset {next})"));
            }
        }
    }
    Ok(())
}

/// Prints what a call without a body did (people only; nothing in JSON mode).
pub fn done(out: Output, what: &str) {
    if out == Output::Table {
        print(&clean(what));
    }
}

/// A `permissions` answer: each scope and audience, and where it comes from.
pub fn permissions(v: &Value) -> String {
    let mut rows = Vec::new();
    for (kind, key) in [("scope", "scopes"), ("audience", "audiences")] {
        for item in v[key].as_array().into_iter().flatten() {
            let from: Vec<String> = item["from"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| match f["kind"].as_str() {
                    Some("group") => format!("group {}", cell(&f["name"])),
                    Some(k) => clean(k),
                    None => "-".into(),
                })
                .collect();
            rows.push(vec![
                kind.to_string(),
                cell(&item["value"]),
                from.join(", "),
            ]);
        }
    }
    table(&["KIND", "VALUE", "FROM"], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn columns_line_up_whatever_the_cell_widths() {
        let t = table(
            &["ID", "NAME"],
            &[
                vec!["a".into(), "x".into()],
                vec!["long-id".into(), "y".into()],
            ],
        );
        assert_eq!(t, "ID       NAME\na        x\nlong-id  y");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(cell(&json!("a\u{1b}[31mb")), "a\\u{1b}[31mb");
        assert_eq!(cell(&json!(["x", "y"])), "x y");
        assert_eq!(cell(&Value::Null), "-");
    }

    #[test]
    fn a_record_shows_the_chosen_fields_first() {
        let r = record(&json!({"b": 1, "a": true, "id": "x"}), &["id"]);
        assert_eq!(r, "id:  x\na:   true\nb:   1");
    }
}

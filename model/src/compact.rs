//! The compact form of a record on the `/v2` wire: an inspection's answers as a
//! positional array against its template version instead of one object per answer
//! naming its item. The template is on both sides (the server's built-in templates, the
//! device's stored reference), so the item codes and the answer keys need not travel.
//!
//! The compact form is lossless by construction: [`compact`] keeps a body as it is
//! whenever [`expand`] would not give back exactly the same JSON value (an answer with
//! an unexpected field, answers out of template order, an unknown template), so a
//! signature over the canonical body (`docs/signing.md`) verifies on the expanded body.
//!
//! Layout of `"a"`, one entry per template item in template order, trailing unanswered
//! items left out: `0` for an item without an answer, else
//! `[outcome, answered_at]`, `[outcome, answered_at, note]` or
//! `[outcome, answered_at, note, [photos…]]` (`note` is `null` when absent).
//! `answered_at` is a whole number of milliseconds after the time before it (the
//! previous answer's, the first's after `started_at`) when both are UTC RFC 3339 with
//! milliseconds (the device's form) and it is not earlier; otherwise the text itself.
//! A count of milliseconds is a byte or two where a timestamp is a dozen.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{Map, Value};

use crate::checklist::Template;
use crate::error::ModelError;
use crate::protocol::RecordKind;

/// The key of the positional answers in a compact inspection body.
pub const POSITIONAL: &str = "a";
const ANSWERS: &str = "answers";
const ANSWER_KEYS: [&str; 5] = ["item", "outcome", "note", "photos", "answered_at"];

fn template_of<'a>(body: &Map<String, Value>, templates: &'a [Template]) -> Option<&'a Template> {
    let id = body.get("template_id")?.as_str()?;
    let version = u32::try_from(body.get("template_version")?.as_u64()?).ok()?;
    templates
        .iter()
        .find(|t| t.id == id && t.version == version)
}

/// The compact form of a record's body; the body itself when it has none (not an
/// inspection, unknown template, or a shape the compact form cannot give back exactly).
pub fn compact(kind: &str, body: &Value, templates: &[Template]) -> Value {
    try_compact(kind, body, templates)
        .filter(|c| expand(kind, c, templates).ok().as_ref() == Some(body))
        .unwrap_or_else(|| body.clone())
}

fn try_compact(kind: &str, body: &Value, templates: &[Template]) -> Option<Value> {
    if kind != RecordKind::Inspection.as_str() {
        return None;
    }
    let object = body.as_object()?;
    if object.contains_key(POSITIONAL) {
        return None;
    }
    let template = template_of(object, templates)?;
    let codes: Vec<&str> = template.items().map(|(_, i)| i.code.as_str()).collect();
    let mut positional = Vec::new();
    let mut next = 0usize;
    let mut before = object.get("started_at")?.as_str()?.to_string();
    for answer in object.get(ANSWERS)?.as_array()? {
        let answer = answer.as_object()?;
        if answer.len() != ANSWER_KEYS.len() || !ANSWER_KEYS.iter().all(|k| answer.contains_key(*k))
        {
            return None;
        }
        let item = answer.get("item")?.as_str()?;
        // Answers come in template order; one out of order keeps the whole body as it is.
        let at = next + codes.get(next..)?.iter().position(|c| *c == item)?;
        positional.resize(at, Value::from(0));
        let answered_at = answer.get("answered_at")?.as_str()?;
        let at_value = match after(&before, answered_at) {
            Some(ms) => Value::from(ms),
            None => Value::String(answered_at.to_string()),
        };
        before = answered_at.to_string();
        let mut entry = vec![answer.get("outcome")?.clone(), at_value];
        let note = answer.get("note")?;
        let photos = answer.get("photos")?.as_array()?;
        if !note.is_null() || !photos.is_empty() {
            entry.push(note.clone());
        }
        if !photos.is_empty() {
            entry.push(Value::Array(photos.clone()));
        }
        positional.push(Value::Array(entry));
        next = at + 1;
    }
    let mut out = object.clone();
    out.remove(ANSWERS);
    out.insert(POSITIONAL.into(), Value::Array(positional));
    Some(Value::Object(out))
}

/// The full body of a record sent in compact form (a body not in compact form is
/// returned as it is). Refused: positional answers against a template not known here,
/// or entries that are not of the documented shape.
pub fn expand(kind: &str, body: &Value, templates: &[Template]) -> Result<Value, ModelError> {
    let Some(object) = body.as_object() else {
        return Ok(body.clone());
    };
    let Some(positional) = object.get(POSITIONAL) else {
        return Ok(body.clone());
    };
    let invalid = |what: &str| ModelError::Invalid(format!("compact {kind}: {what}"));
    if kind != RecordKind::Inspection.as_str() || object.contains_key(ANSWERS) {
        return Err(invalid(
            "only an inspection without `answers` has positional answers",
        ));
    }
    let template = template_of(object, templates)
        .ok_or_else(|| invalid("its template version is not known here"))?;
    let entries = positional
        .as_array()
        .ok_or_else(|| invalid("`a` is not an array"))?;
    let mut answers = Vec::new();
    let mut items = template.items();
    let mut before = object
        .get("started_at")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    for entry in entries {
        let (_, item) = items
            .next()
            .ok_or_else(|| invalid("more answers than the template has items"))?;
        if entry.as_u64() == Some(0) {
            continue;
        }
        let fields = entry
            .as_array()
            .filter(|f| (2..=4).contains(&f.len()))
            .ok_or_else(|| invalid("an answer is not [outcome, answered_at, note?, photos?]"))?;
        let photos = match fields.get(3) {
            None => Value::Array(Vec::new()),
            Some(Value::Array(p)) if !p.is_empty() => Value::Array(p.clone()),
            Some(_) => return Err(invalid("an answer's photos are not a non-empty array")),
        };
        let mut answer = Map::new();
        answer.insert("item".into(), Value::String(item.code.clone()));
        answer.insert("outcome".into(), fields[0].clone());
        answer.insert("note".into(), fields.get(2).cloned().unwrap_or(Value::Null));
        answer.insert("photos".into(), photos);
        let answered_at = match &fields[1] {
            Value::String(text) => text.clone(),
            Value::Number(ms) => ms
                .as_u64()
                .and_then(|ms| plus(&before, ms))
                .ok_or_else(|| {
                    invalid("an answer's time is not milliseconds after the one before")
                })?,
            _ => return Err(invalid("an answer's time is neither text nor milliseconds")),
        };
        before = answered_at.clone();
        answer.insert("answered_at".into(), Value::String(answered_at));
        answers.push(Value::Object(answer));
    }
    let mut out = object.clone();
    out.remove(POSITIONAL);
    out.insert(ANSWERS.into(), Value::Array(answers));
    Ok(Value::Object(out))
}

/// The device's form of a time: UTC RFC 3339 with milliseconds.
fn parse_exact(text: &str) -> Option<DateTime<Utc>> {
    let time = DateTime::parse_from_rfc3339(text).ok()?.with_timezone(&Utc);
    (time.to_rfc3339_opts(SecondsFormat::Millis, true) == text).then_some(time)
}

/// Milliseconds from `before` to `at`, when both are in the device's form and `at` is
/// not earlier.
fn after(before: &str, at: &str) -> Option<u64> {
    let ms = (parse_exact(at)? - parse_exact(before)?).num_milliseconds();
    u64::try_from(ms).ok()
}

/// `before` plus `ms` milliseconds, in the device's form.
fn plus(before: &str, ms: u64) -> Option<String> {
    let delta = TimeDelta::try_milliseconds(i64::try_from(ms).ok()?)?;
    let time = parse_exact(before)?.checked_add_signed(delta)?;
    Some(time.to_rfc3339_opts(SecondsFormat::Millis, true))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn templates() -> &'static [Template] {
        Template::builtin_cached().unwrap()
    }

    fn inspection(answers: Value) -> Value {
        let t = &templates()[0];
        json!({"id": "i1", "site_id": "s", "template_id": t.id, "template_version": t.version,
               "kind": "routine", "status": "submitted", "inspector": "Li Na",
               "started_at": "2026-01-01T00:00:00Z", "submitted_at": null, "answers": answers})
    }

    fn answer(item: &str, outcome: &str, note: Option<&str>, photos: &[&str]) -> Value {
        json!({"item": item, "outcome": outcome, "note": note, "photos": photos,
               "answered_at": "2026-01-01T00:01:00Z"})
    }

    #[test]
    fn answers_become_positional_and_come_back_exactly() {
        let codes: Vec<String> = templates()[0]
            .items()
            .map(|(_, i)| i.code.clone())
            .collect();
        let body = inspection(json!([
            answer(&codes[0], "ok", None, &[]),
            answer(&codes[2], "hazard", Some("wires"), &["ab"]),
            answer(&codes[3], "na", Some("closed"), &[]),
        ]));
        let small = compact("inspection", &body, templates());
        assert_eq!(
            small["a"],
            json!([
                ["ok", "2026-01-01T00:01:00Z"],
                0,
                ["hazard", "2026-01-01T00:01:00Z", "wires", ["ab"]],
                ["na", "2026-01-01T00:01:00Z", "closed"]
            ])
        );
        assert!(small.get("answers").is_none());
        assert_eq!(expand("inspection", &small, templates()).unwrap(), body);
    }

    #[test]
    fn device_times_become_milliseconds_after_the_one_before() {
        let codes: Vec<String> = templates()[0]
            .items()
            .map(|(_, i)| i.code.clone())
            .collect();
        let mut body = inspection(json!([
            answer(&codes[0], "ok", None, &[]),
            answer(&codes[1], "ok", None, &[]),
            answer(&codes[2], "ok", None, &[]),
        ]));
        body["started_at"] = json!("2026-01-01T00:00:00.000Z");
        body["answers"][0]["answered_at"] = json!("2026-01-01T00:00:01.250Z");
        body["answers"][1]["answered_at"] = json!("2026-01-01T00:00:00.900Z"); // earlier
        body["answers"][2]["answered_at"] = json!("2026-01-01T00:00:02.000Z");
        let small = compact("inspection", &body, templates());
        assert_eq!(
            small["a"],
            json!([
                ["ok", 1250],
                ["ok", "2026-01-01T00:00:00.900Z"],
                ["ok", 1100]
            ])
        );
        assert_eq!(expand("inspection", &small, templates()).unwrap(), body);
        let mut bad = small.clone();
        bad["a"][0][1] = json!(-5);
        assert!(expand("inspection", &bad, templates()).is_err());
    }

    #[test]
    fn what_the_compact_form_cannot_give_back_travels_as_it_is() {
        let codes: Vec<String> = templates()[0]
            .items()
            .map(|(_, i)| i.code.clone())
            .collect();
        let out_of_order = inspection(json!([
            answer(&codes[1], "ok", None, &[]),
            answer(&codes[0], "ok", None, &[]),
        ]));
        assert_eq!(
            compact("inspection", &out_of_order, templates()),
            out_of_order
        );
        let mut extra = answer(&codes[0], "ok", None, &[]);
        extra["flag"] = json!(true);
        let extra = inspection(json!([extra]));
        assert_eq!(compact("inspection", &extra, templates()), extra);
        let mut unknown = inspection(json!([]));
        unknown["template_version"] = json!(999);
        assert_eq!(compact("inspection", &unknown, templates()), unknown);
        let event = json!({"id": "e", "a": 1});
        assert_eq!(compact("hazard-event", &event, templates()), event);
        assert_eq!(
            expand("hazard-event", &json!({"id": "e"}), templates()).unwrap(),
            json!({"id": "e"})
        );
    }

    #[test]
    fn a_malformed_compact_body_is_refused() {
        let mut body = inspection(json!([]));
        body.as_object_mut().unwrap().remove("answers");
        for bad in [
            json!("x"),
            json!([[1]]),
            json!([["ok", "t", null, []]]),
            json!(vec![0; 500]),
        ] {
            body["a"] = bad;
            assert!(expand("inspection", &body, templates()).is_err(), "{body}");
        }
        body["a"] = json!([]);
        body["template_version"] = json!(999);
        assert!(expand("inspection", &body, templates()).is_err());
        assert!(expand("hazard-event", &json!({"a": []}), templates()).is_err());
    }
}

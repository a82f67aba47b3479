//! Puts history rows into a form the web crate turns into readable sentences: who did what
//! to which item, and which fields changed from what to what.

use super::cases::HistoryEntry;
use crate::plan::store::PlanHistoryRow;
use serde_json::Value;
use std::collections::BTreeMap;

/// One changed field. `field` is the last part of the field's path (`title`, `what`, ...),
/// which the web crate maps to the same label the form uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// Fields that are bookkeeping, not content (shown through the change itself).
const NOT_SHOWN: &[&str] = &[
    "at",
    "agreed_at",
    "consequence_shown_at",
    "created_by",
    "written_by",
    "by",
    "approved_by_client",
    "archived",
    "declined",
    "measure_id",
    "goal_id",
];

fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&path, v, out);
            }
        }
        Value::Null => {}
        Value::String(s) if s.is_empty() => {}
        Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        Value::Bool(false) => {}
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

/// The fields that differ between two stored versions, in path order.
pub fn changed_fields(before: Option<&str>, after: &str) -> Vec<FieldChange> {
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
    let mut b = BTreeMap::new();
    let mut a = BTreeMap::new();
    if let Some(before) = before {
        flatten("", &parse(before), &mut b);
    }
    flatten("", &parse(after), &mut a);
    let keys: std::collections::BTreeSet<_> = b.keys().chain(a.keys()).cloned().collect();
    keys.into_iter()
        .filter_map(|k| {
            let field = k.rsplit('.').next().unwrap_or(&k).to_string();
            if NOT_SHOWN.contains(&field.as_str()) {
                return None;
            }
            let (old, new) = (b.get(&k).cloned(), a.get(&k).cloned());
            (old != new).then(|| FieldChange {
                field,
                before: old.unwrap_or_default(),
                after: new.unwrap_or_default(),
            })
        })
        .collect()
}

/// The item's name as a person would call it (its title, wording or name).
fn title_of(json: &str) -> String {
    let v: Value = serde_json::from_str(json).unwrap_or(Value::Null);
    ["title", "text", "name"]
        .iter()
        .find_map(|k| v.get(k).and_then(Value::as_str))
        .unwrap_or_default()
        .to_string()
}

pub fn describe(row: PlanHistoryRow) -> HistoryEntry {
    let e = row.entry;
    HistoryEntry {
        at: e.at,
        actor_name: row.actor_name,
        actor_role: e.actor_role,
        title: title_of(&e.after),
        fields: changed_fields(e.before.as_deref(), &e.after),
        item_kind: e.item_kind,
        change: e.change,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changed_content_fields_are_listed() {
        let before = r#"{"title":"Apply","status":"proposed","agreement":{"pending":null},"created_by":"client"}"#;
        let after = r#"{"title":"Apply to Rema","status":"planned","agreement":{"pending":{"terms":{"what":"Two a week"},"by":"counselor"}},"created_by":"client"}"#;
        let changes = changed_fields(Some(before), after);
        let names: Vec<_> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(names, vec!["what", "status", "title"]);
        assert_eq!(changes[2].before, "Apply");
        assert_eq!(changes[2].after, "Apply to Rema");
    }
}

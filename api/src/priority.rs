//! What a submission may ask of its priority: one of Run:ai's priority classes (`priorityClass`)
//! and whether it may be preempted (`preemptibility`). The classes and their values are the
//! scheduler's ([`rota_scheduler::model::priority`]); this is the rule for what users type.
//!
//! - No class: the type's default (training `low`, workspace `high`, inference `very-high`).
//! - No preemptibility: as the priority says: below 100 preemptible, from 100 on not.
//! - Inference serves users and is never preemptible, whatever its class.

pub use rota_scheduler::WorkloadKind;
use rota_scheduler::model::priority;

use crate::error::FieldError;

/// `preemptibility` as Run:ai writes it.
pub const PREEMPTIBLE: &str = "preemptible";
/// `preemptibility` as Run:ai writes it.
pub const NON_PREEMPTIBLE: &str = "non-preemptible";

/// A workload's priority once checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chosen {
    /// The class's value.
    pub value: i32,
    /// Whether the scheduler may evict it.
    pub preemptible: bool,
}

/// The class names, lowest first, as the wizard and the CLI offer them.
pub fn class_names() -> impl Iterator<Item = &'static str> {
    priority::CLASSES.iter().map(|(name, _)| *name)
}

/// The class a stored priority belongs to; its number when no class has it.
pub fn class_label(value: i32) -> String {
    priority::class_of(value).map_or_else(|| value.to_string(), str::to_owned)
}

/// `preemptibility`'s word for a flag.
pub fn preemptibility_label(preemptible: bool) -> &'static str {
    if preemptible {
        PREEMPTIBLE
    } else {
        NON_PREEMPTIBLE
    }
}

/// Checks `class` (at `class_field`) and `preemptibility` (at `preemptibility_field`) for a
/// workload of `kind`, and fills in what they leave out.
pub fn choose(
    kind: WorkloadKind,
    (class_field, class): (&str, Option<&str>),
    (preemptibility_field, preemptibility): (&str, Option<&str>),
) -> Result<Chosen, FieldError> {
    let value = match class.map(str::trim) {
        None | Some("") => kind.default_priority(),
        Some(name) => priority::from_class(name).ok_or_else(|| FieldError {
            field: class_field.to_owned(),
            message: format!(
                "{name:?} is not a priority class; use one of {}",
                class_names().collect::<Vec<_>>().join(", ")
            ),
        })?,
    };
    let preemptible = match preemptibility.map(str::trim) {
        None | Some("") => priority::default_preemptible(value) && kind != WorkloadKind::Inference,
        Some(PREEMPTIBLE) => true,
        Some(NON_PREEMPTIBLE) => false,
        Some(other) => {
            return Err(FieldError {
                field: preemptibility_field.to_owned(),
                message: format!("must be {PREEMPTIBLE} or {NON_PREEMPTIBLE} (got {other:?})"),
            });
        }
    };
    if preemptible && kind == WorkloadKind::Inference {
        return Err(FieldError {
            field: preemptibility_field.to_owned(),
            message: "an inference workload serves users and is never preemptible".into(),
        });
    }
    Ok(Chosen { value, preemptible })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(
        kind: WorkloadKind,
        class: Option<&str>,
        p: Option<&str>,
    ) -> Result<Chosen, FieldError> {
        choose(kind, ("priorityClass", class), ("preemptibility", p))
    }

    #[test]
    fn defaults_follow_the_type() {
        let low = pick(WorkloadKind::Training, None, None).unwrap();
        assert_eq!((low.value, low.preemptible), (40, true));
        let high = pick(WorkloadKind::Workspace, None, None).unwrap();
        assert_eq!((high.value, high.preemptible), (125, false));
        let top = pick(WorkloadKind::Inference, None, None).unwrap();
        assert_eq!((top.value, top.preemptible), (150, false));
    }

    #[test]
    fn preemptibility_follows_the_class_unless_given() {
        let c = pick(WorkloadKind::Training, Some("medium-high"), None).unwrap();
        assert_eq!((c.value, c.preemptible), (90, true));
        let c = pick(WorkloadKind::Training, Some("high"), None).unwrap();
        assert_eq!((c.value, c.preemptible), (125, false));
        let c = pick(WorkloadKind::Training, Some("high"), Some("preemptible")).unwrap();
        assert_eq!((c.value, c.preemptible), (125, true));
        let c = pick(WorkloadKind::Workspace, None, Some("preemptible")).unwrap();
        assert_eq!((c.value, c.preemptible), (125, true));
        let c = pick(
            WorkloadKind::Training,
            Some("very-low"),
            Some("non-preemptible"),
        )
        .unwrap();
        assert_eq!((c.value, c.preemptible), (25, false));
    }

    #[test]
    fn unknown_words_are_named() {
        let e = pick(WorkloadKind::Training, Some("urgent"), None).unwrap_err();
        assert_eq!(e.field, "priorityClass");
        assert!(
            e.message.contains("\"urgent\" is not a priority class"),
            "{}",
            e.message
        );
        assert!(
            e.message.contains("very-low, low, medium-low"),
            "{}",
            e.message
        );
        let e = pick(WorkloadKind::Training, None, Some("sometimes")).unwrap_err();
        assert_eq!(e.field, "preemptibility");
        assert!(
            e.message.contains("preemptible or non-preemptible"),
            "{}",
            e.message
        );
    }

    #[test]
    fn inference_is_never_preemptible() {
        let e = pick(WorkloadKind::Inference, Some("low"), Some("preemptible")).unwrap_err();
        assert_eq!(e.field, "preemptibility");
        let c = pick(WorkloadKind::Inference, Some("low"), None).unwrap();
        assert_eq!((c.value, c.preemptible), (40, false));
    }

    #[test]
    fn labels_name_the_class() {
        assert_eq!(class_label(40), "low");
        assert_eq!(class_label(39), "39");
        assert_eq!(preemptibility_label(false), "non-preemptible");
    }
}

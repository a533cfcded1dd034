//! Scenario files: a cluster, its org units, and a story of submissions and deletions with the
//! outcomes expected after each step (shared/scenarios/README.md). Parsed from text and replayed
//! with this crate's scheduler; reading files is the caller's business.

mod format;
mod replay;

pub use format::{
    DepartmentSpec, Expectation, GpusPerPod, NodeSpec, ProjectSpec, Scenario, Status, Step,
    TimeFairShareSpec, UsageSpec, WorkloadSpec,
};
pub use replay::{
    MAX_CYCLES, ProjectReport, Report, START_MS, StepReport, USAGE_BUCKET_MS, WorkloadReport,
    World, replay,
};

use crate::error::SnapshotError;

/// Why a scenario cannot be replayed (as opposed to failing its expectations).
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// Not valid JSON, or a field is unknown, missing or of the wrong type.
    #[error("line {line}, column {column}, at {path}: {message}")]
    Parse {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The field, as a path (`steps[2].submit[0].gpus`).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A step names something that does not exist, or asks for something impossible.
    #[error("at {at}: {message}")]
    Step {
        /// The field, as a path.
        at: String,
        /// What is wrong.
        message: String,
    },
    /// The cluster and org units contradict themselves.
    #[error("{0}")]
    Snapshot(SnapshotError),
}

/// Parses a scenario from JSON text.
pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed: Result<Scenario, _> = serde_path_to_error::deserialize(&mut de);
    let scenario = parsed.map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        // serde_json appends " at line L column C" to its messages; the fields carry that already.
        let message = inner.to_string();
        let message = match message.rfind(" at line ") {
            Some(at) => message[..at].to_owned(),
            None => message,
        };
        ScenarioError::Parse {
            line: inner.line(),
            column: inner.column(),
            path,
            message,
        }
    })?;
    de.end().map_err(|e| ScenarioError::Parse {
        line: e.line(),
        column: e.column(),
        path: ".".into(),
        message: "unexpected text after the scenario".into(),
    })?;
    Ok(scenario)
}

//! What can be wrong with a snapshot. The scheduler refuses an inconsistent snapshot rather than
//! guess: a caller that hands it one has a bug worth seeing.

use thiserror::Error;

use crate::model::WorkloadId;

/// A snapshot the scheduler cannot work on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SnapshotError {
    /// Two nodes share a name.
    #[error("node {0} is listed twice")]
    DuplicateNode(String),
    /// Two departments share a name.
    #[error("department {0} is listed twice")]
    DuplicateDepartment(String),
    /// Two projects share a name.
    #[error("project {0} is listed twice")]
    DuplicateProject(String),
    /// Two workloads share an id.
    #[error("workload id {0} is listed twice")]
    DuplicateWorkload(WorkloadId),
    /// A department names a parent that does not exist.
    #[error("department {department} names parent {parent}, which does not exist")]
    UnknownParentDepartment {
        /// The department.
        department: String,
        /// The parent it names.
        parent: String,
    },
    /// Departments form a loop.
    #[error("department {0} is its own ancestor")]
    DepartmentCycle(String),
    /// A project names a department that does not exist.
    #[error("project {project} names department {department}, which does not exist")]
    UnknownDepartment {
        /// The project.
        project: String,
        /// The department it names.
        department: String,
    },
    /// A workload names a project that does not exist.
    #[error("workload {workload} names project {project}, which does not exist")]
    UnknownProject {
        /// The workload.
        workload: String,
        /// The project it names.
        project: String,
    },
    /// A pod runs on a node that does not exist.
    #[error("workload {workload} runs on node {node}, which does not exist")]
    UnknownNode {
        /// The workload.
        workload: String,
        /// The node it names.
        node: String,
    },
    /// A workload's request or placement makes no sense.
    #[error("workload {workload}: {what}")]
    InvalidWorkload {
        /// The workload.
        workload: String,
        /// What is wrong.
        what: String,
    },
    /// Running pods hold more of a node than it has.
    #[error("node {node} is over-allocated: {what}")]
    OverAllocated {
        /// The node.
        node: String,
        /// What is over.
        what: String,
    },
}

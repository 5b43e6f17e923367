//! Hazard cases: the event-sourced workflow from discovery to verified fix
//! (社区发现 → 街镇呼叫 → 部门响应 → 协同整治), and the campaign report.
//!
//! A case is never stored as a row that changes. Its history is an append-only log of
//! [`Event`]s; its state is [`fold`]ed from them, the same way on every device and the
//! server, whatever order they arrived in.
//!
//! Map of the module (a module uses only those above it here):
//! - [`hlc`]: the hybrid logical clock that orders events across devices.
//! - [`event`]: the event record, its kinds and payloads, actors, escalation levels.
//! - [`refusal`]: the named workflow rules and a refusal naming one.
//! - [`state`]: what a case's state holds (status, level, department, conflicts, ...).
//! - [`rules`]: which role may record which event in which state.
//! - [`fold`]: the pure fold of events into state, and conflict detection.
//! - [`deadline`]: due dates from severity and category, overdue, level that solved it.
//! - [`skew`]: flagging events recorded with a wrong device clock.
//! - [`report`]: the campaign report per category and org unit, JSON and CSV.

pub mod deadline;
pub mod event;
pub mod fold;
pub mod hlc;
pub mod refusal;
pub mod report;
pub mod rules;
pub mod skew;
pub mod state;

pub use deadline::{Deadline, DeadlinePolicy, SeverityDays};
pub use event::{Actor, Event, EventKind, HazardReport, Level, Payload, ReportSource, Withheld};
pub use fold::{FoldPosition, Folding, NotNext, fold};
pub use hlc::Hlc;
pub use report::{CampaignReport, ReportBuilder, ReportRow, RowGroup, Tally};
pub use rules::{AllowedAction, Refusal, Rule, allowed_actions, check_event};
pub use skew::{SkewFlag, SkewKind};
pub use state::{CaseState, Conflict, ConflictKind, Ignored, Solved, Status};

//! Hazard events: the immutable facts a case's history is made of.
//!
//! An event is never changed or deleted. Its id (UUIDv7) makes it unique everywhere, so
//! receiving it twice is harmless. `parents` names the case's events its author had seen
//! when recording it: that is how the fold tells "happened after" from "happened at the
//! same time, unaware of each other" (concurrent), which is where conflicts come from.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::checklist::Severity;
use crate::error::{ModelError, Result};
use crate::hazard::hlc::Hlc;
use crate::profile::{Profile, Role};

/// The escalation levels a case is called in to: community → street/town → district.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Level {
    /// Handled by the community (社区).
    Community,
    /// Called in to the street/town office (街道/乡镇).
    Street,
    /// Called in to the district (区).
    District,
}

impl Level {
    /// Every level, from the bottom.
    pub const ALL: [Level; 3] = [Level::Community, Level::Street, Level::District];

    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Community => "community",
            Level::Street => "street",
            Level::District => "district",
        }
    }
}

impl std::str::FromStr for Level {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Level> {
        Level::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| {
                ModelError::Invalid(format!(
                    "unknown level `{s}` (expected community, street or district)"
                ))
            })
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a hazard came to be known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ReportSource {
    /// A hazard answer in a submitted inspection.
    Inspection {
        /// The inspection's id.
        inspection_id: String,
        /// The checklist item answered `hazard`.
        item: String,
    },
    /// A resident told community staff.
    Resident,
    /// The city hotline.
    Hotline,
    /// The online platform.
    OnlinePlatform,
}

impl ReportSource {
    /// Whether the report came from the public rather than an inspection.
    pub fn is_public(&self) -> bool {
        !matches!(self, ReportSource::Inspection { .. })
    }
}

/// What the hazard is and where: the content of a `reported` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct HazardReport {
    /// How it became known.
    pub source: ReportSource,
    /// One of the nine campaign categories ([`crate::checklist::CATEGORIES`]).
    pub category: String,
    /// The checklist item, when known.
    pub item: Option<String>,
    /// How serious it is; drives the deadline.
    pub severity: Severity,
    /// The org unit (normally a grid or community) where the hazard is.
    pub unit: String,
    /// The site, when the hazard is at a known site.
    pub site_id: Option<String>,
    /// What was seen.
    pub description: String,
    /// SHA-256 names of evidence photos.
    pub photos: Vec<String>,
    /// The department that usually responds to this item, as a hint for the street.
    pub suggested_department: Option<String>,
}

/// What happened: the kind of event and its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Payload {
    /// The case is opened.
    Reported(HazardReport),
    /// The case is escalated to a higher level.
    CalledIn {
        /// The level it is called in to.
        level: Level,
        /// Why.
        note: String,
    },
    /// A department is made responsible (again, when reassigned).
    Assigned {
        /// The department's code.
        department: String,
        /// Instructions.
        note: String,
    },
    /// The assigned department takes the case on.
    Accepted {
        /// Free text.
        note: String,
    },
    /// A progress note.
    Progress {
        /// What was done.
        note: String,
    },
    /// The responsible party reports the hazard fixed.
    Rectified {
        /// SHA-256 names of photos of the fix (at least one).
        photos: Vec<String>,
        /// What was done.
        note: String,
    },
    /// A re-inspection checked the fix.
    Verified {
        /// Whether the fix holds.
        passed: bool,
        /// The re-inspection, when one was recorded.
        inspection_id: Option<String>,
        /// Findings.
        note: String,
    },
    /// A verified or closed case is opened again.
    Reopened {
        /// Why (required).
        reason: String,
    },
    /// The case is closed.
    Closed {
        /// Why; required when closing a case that was not verified.
        note: String,
    },
    /// A remark that changes nothing.
    Comment {
        /// The remark.
        text: String,
    },
}

/// The kinds of event, as named in storage, JSON and the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum EventKind {
    /// [`Payload::Reported`].
    Reported,
    /// [`Payload::CalledIn`].
    CalledIn,
    /// [`Payload::Assigned`].
    Assigned,
    /// [`Payload::Accepted`].
    Accepted,
    /// [`Payload::Progress`].
    Progress,
    /// [`Payload::Rectified`].
    Rectified,
    /// [`Payload::Verified`].
    Verified,
    /// [`Payload::Reopened`].
    Reopened,
    /// [`Payload::Closed`].
    Closed,
    /// [`Payload::Comment`].
    Comment,
}

impl EventKind {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Reported => "reported",
            EventKind::CalledIn => "called-in",
            EventKind::Assigned => "assigned",
            EventKind::Accepted => "accepted",
            EventKind::Progress => "progress",
            EventKind::Rectified => "rectified",
            EventKind::Verified => "verified",
            EventKind::Reopened => "reopened",
            EventKind::Closed => "closed",
            EventKind::Comment => "comment",
        }
    }

    /// Whether the event can change the case's state (everything but notes and comments).
    pub fn is_transition(self) -> bool {
        !matches!(self, EventKind::Progress | EventKind::Comment)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Payload {
    /// The event's kind.
    pub fn kind(&self) -> EventKind {
        match self {
            Payload::Reported(_) => EventKind::Reported,
            Payload::CalledIn { .. } => EventKind::CalledIn,
            Payload::Assigned { .. } => EventKind::Assigned,
            Payload::Accepted { .. } => EventKind::Accepted,
            Payload::Progress { .. } => EventKind::Progress,
            Payload::Rectified { .. } => EventKind::Rectified,
            Payload::Verified { .. } => EventKind::Verified,
            Payload::Reopened { .. } => EventKind::Reopened,
            Payload::Closed { .. } => EventKind::Closed,
            Payload::Comment { .. } => EventKind::Comment,
        }
    }

    /// Photo hashes the event refers to.
    pub fn photos(&self) -> &[String] {
        match self {
            Payload::Reported(r) => &r.photos,
            Payload::Rectified { photos, .. } => photos,
            _ => &[],
        }
    }
}

/// Who recorded an event: the person, their role, their unit and, for department
/// officers, their department. Copied from the device's profile at the time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Actor {
    /// The person's name.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// The org unit they work for.
    pub unit: String,
    /// Their department code (department officers only).
    pub department: Option<String>,
}

impl From<&Profile> for Actor {
    fn from(p: &Profile) -> Actor {
        Actor {
            name: p.name.clone(),
            role: p.role,
            unit: p.unit.clone(),
            department: p.department.clone(),
        }
    }
}

/// One immutable fact in a case's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Event {
    /// Event id (UUIDv7); unique everywhere.
    pub id: String,
    /// The case this event belongs to.
    pub case_id: String,
    /// Who recorded it.
    pub actor: Actor,
    /// The device it was recorded on.
    pub device: String,
    /// Hybrid-logical-clock timestamp: the order of events.
    pub hlc: Hlc,
    /// The device's wall clock when recording, in ms since the Unix epoch; kept to
    /// detect skew, never used for ordering.
    pub wall_ms: i64,
    /// The ids of the case's latest events the author had seen (the heads of the
    /// history on the author's device); empty for the event that opens the case.
    pub parents: Vec<String>,
    /// What a redacting server removed from this copy (absent on a full copy). The
    /// rules treat withheld text as written and withheld photos as attached, so a
    /// redacted copy folds to the same state as the full event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub withheld: Option<Withheld>,
    /// What happened.
    pub payload: Payload,
}

/// What redaction removed from an event: its free text and how many photos. The shape
/// of the payload stays (empty text, no photo names), this says what was there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Withheld {
    /// Whether the free text (description, note, reason or comment) was removed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub text: bool,
    /// How many photos were removed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub photos: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Withheld {
    /// Nothing withheld.
    pub fn is_empty(&self) -> bool {
        !self.text && self.photos == 0
    }
}

impl Event {
    /// This event as a reader without access to personal details receives it: free text
    /// blanked and photo names removed, with [`Event::withheld`] saying what was there.
    /// Redacting a redacted copy changes nothing.
    pub fn redacted(&self) -> Event {
        let mut event = self.clone();
        let mut withheld = self.withheld.unwrap_or_default();
        let mut take_text = |text: &mut String| {
            if !text.is_empty() {
                text.clear();
                withheld.text = true;
            }
        };
        let mut photos_removed = 0usize;
        match &mut event.payload {
            Payload::Reported(report) => {
                take_text(&mut report.description);
                photos_removed = std::mem::take(&mut report.photos).len();
            }
            Payload::CalledIn { note, .. }
            | Payload::Assigned { note, .. }
            | Payload::Accepted { note }
            | Payload::Progress { note }
            | Payload::Verified { note, .. }
            | Payload::Closed { note } => take_text(note),
            Payload::Rectified { photos, note } => {
                take_text(note);
                photos_removed = std::mem::take(photos).len();
            }
            Payload::Reopened { reason } => take_text(reason),
            Payload::Comment { text } => take_text(text),
        }
        withheld.photos = withheld
            .photos
            .saturating_add(u32::try_from(photos_removed).unwrap_or(u32::MAX));
        event.withheld = (!withheld.is_empty()).then_some(withheld);
        event
    }

    /// The event's kind.
    pub fn kind(&self) -> EventKind {
        self.payload.kind()
    }

    /// Checks what must hold for any event from anywhere, before it is stored: a UUID
    /// id, a case id, an actor and a device. (Workflow rules are the fold's business.)
    pub fn check_well_formed(&self) -> Result<()> {
        let bad = |why: &str| {
            Err(ModelError::Invalid(format!(
                "hazard event {}: {why}",
                self.id
            )))
        };
        if uuid::Uuid::parse_str(&self.id).is_err() {
            return bad("id is not a UUID");
        }
        if self.case_id.trim().is_empty() {
            return bad("case id is empty");
        }
        if self.actor.name.trim().is_empty() {
            return bad("actor name is empty");
        }
        if self.device.trim().is_empty() {
            return bad("device is empty");
        }
        if self.parents.iter().any(|p| p == &self.id) {
            return bad("an event cannot be its own parent");
        }
        Ok(())
    }
}

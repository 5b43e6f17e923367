//! `GET /v1/pull?cursor=&limit=`: the records the caller may see, in the server's
//! sequence order, a page at a time.
//!
//! The cursor is the server-assigned sequence number up to which the pull has *looked*
//! (not just the last one returned), so records the caller may not see are never
//! scanned again. Treat it as opaque: store `next_cursor` and send it back.
//!
//! The store narrows the page with its indexes ([`crate::scope::read_filter`]): only
//! the records of the caller's area, their own, and their department's cases are read
//! at all, and the rules decide each of those; records the filter leaves out are
//! passed over without being read, up to the highest sequence number stored when the
//! page began.
//!
//! Items come in sequence order, with one exception: when a hazard case is assigned
//! to a department, the `assigned` event brings the case's earlier events along for
//! that department's officers (they could not see them before). A page can then hold
//! more than `limit` items.
//!
//! Two parameters make a pull with nothing new cheap (see
//! [`gridwalk_model::protocol::conditional`]): `skip_own=true` leaves out the records
//! the calling device pushed (it holds them: a stored row is the body that device
//! pushed, and a draft's final version pushed from another device is a new row under
//! that device, so it still comes), and `reference=<tag>` asks for the caller's current
//! reference tag in the `Reference-ETag` header, sent only when it differs from the tag
//! named, so the device knows whether to fetch the reference without asking for it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use gridwalk_model::photo_record::ID_PREFIX;
use gridwalk_model::profile::Role;
use gridwalk_model::protocol::conditional::{REFERENCE, REFERENCE_ETAG, SKIP_OWN};
use gridwalk_model::protocol::{Person, PullResponse, PulledItem, RecordKind};

use super::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, blocking};
use crate::kinds;
use crate::scope::{Access, CaseScopes, may_read_blob, read_access, read_filter, with_cases};
use crate::storage::register::Register;
use crate::storage::{CaseScope, RecordStore, StoredRecord};

/// How many candidate records one pull looks through at most, so a caller who may see
/// little of what the filter lets through still gets a quick answer (with `has_more`)
/// instead of a long scan. Counted in records, not in sequence numbers, which need not
/// be dense (a city store numbers by transaction, ADR 15).
const SCAN_WINDOW: usize = 20_000;
/// Candidate records read from the store at a time.
const SCAN_BATCH: u32 = 500;

/// Handles a pull.
pub async fn pull(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let cursor = parse_cursor(params.get("cursor").map(String::as_str))?;
    let limit = parse_limit(&state, params.get("limit").map(String::as_str))?;
    let skip_own = match params.get(SKIP_OWN).map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(text) => {
            return Err(ApiError::BadRequest(format!(
                "{SKIP_OWN} must be true or false, not `{text}`"
            )));
        }
    };
    let held_reference = params.get(REFERENCE).cloned();
    let store = state.store.clone();
    let (response, reference_tag) = blocking(move || {
        let register = store.register()?;
        page(
            store.as_ref(),
            &caller,
            cursor,
            limit,
            skip_own,
            held_reference,
            register,
        )
    })
    .await?;
    let mut answer = Json(response).into_response();
    if let Some(tag) = reference_tag {
        let value = HeaderValue::from_str(&tag)
            .map_err(|e| ApiError::Internal(format!("reference tag {tag}: {e}")))?;
        answer
            .headers_mut()
            .insert(HeaderName::from_static(REFERENCE_ETAG), value);
    }
    Ok(answer)
}

/// A pull cursor from its text (absent or empty: from the start).
pub fn parse_cursor(text: Option<&str>) -> Result<i64, ApiError> {
    match text {
        None | Some("") => Ok(0),
        Some(text) => text.parse().ok().filter(|c| *c >= 0).ok_or_else(|| {
            ApiError::BadRequest(format!("cursor `{text}` is not one this server gave out"))
        }),
    }
}

/// A page size from its text (absent: the configured default), within the limits.
pub fn parse_limit(state: &AppState, text: Option<&str>) -> Result<u32, ApiError> {
    let max = state.limits.max_pull_limit;
    match text {
        None => Ok(state.limits.default_pull_limit),
        Some(text) => text
            .parse()
            .ok()
            .filter(|l| (1..=max).contains(l))
            .ok_or_else(|| ApiError::BadRequest(format!("limit must be a number from 1 to {max}"))),
    }
}

/// One page after `cursor` as `caller` may see it (without its device's own records
/// when `skip_own`), and the caller's current reference tag when `held_reference`
/// names another one, read against `register` (a `/v2` sync's is its push's,
/// milliseconds old): what `/v1/pull` and `/v2/sync` share. Blocking.
pub fn page(
    store: &dyn RecordStore,
    caller: &Caller,
    mut cursor: i64,
    limit: u32,
    skip_own: bool,
    held_reference: Option<String>,
    register: Arc<Register>,
) -> Result<(PullResponse, Option<String>), ApiError> {
    // Compared without the quotes, which a query string may or may not carry.
    let reference_tag = match held_reference {
        Some(held) => {
            let current = super::reference::current_tag(store, caller)?;
            (current.trim_matches('"') != held.trim_matches('"')).then_some(current)
        }
        None => None,
    };
    let skip_device = skip_own.then_some(caller.device.as_str());
    let filter = read_filter(&caller.person, skip_device, &register.tree);
    let mut page = Page {
        store,
        caller: &caller.person,
        skip_device,
        register,
        cases: CaseScopes::default(),
        photos: HashMap::new(),
        seen: HashSet::new(),
        items: Vec::new(),
    };
    // Read before the page: every record up to it is committed (sequence numbers are
    // drawn in commit order), so the cursor may move past the ones the filter leaves
    // out without skipping one that commits later.
    let upto = store.max_seq()?;
    let mut scanned = 0;
    'scan: while cursor < upto && scanned < SCAN_WINDOW {
        let batch = store.records_after(cursor, upto, &filter, SCAN_BATCH)?;
        let whole = batch.len() < SCAN_BATCH as usize;
        scanned += batch.len();
        page.read_photo_grounds(&batch)?;
        for record in batch {
            cursor = record.seq;
            page.offer(record)?;
            if page.items.len() >= limit as usize {
                break 'scan;
            }
        }
        if whole {
            cursor = upto;
        }
    }
    // Against the top read before the page, not read again: a record committed during
    // the page comes with the next sync, and on a city store the top is a query of its
    // own (the oldest open transaction, ADR 15) on every request.
    let has_more = cursor < upto;
    let response = PullResponse {
        items: page.items,
        next_cursor: cursor.to_string(),
        has_more,
    };
    tracing::info!(items = response.items.len(), cursor = %response.next_cursor, "pull");
    Ok((response, reference_tag))
}

/// The records naming a photo and the people who uploaded it: what
/// [`may_read_blob`] weighs.
#[derive(Debug, Default)]
struct PhotoGrounds {
    links: Vec<crate::storage::BlobLink>,
    uploaders: Vec<String>,
}

/// One pull page being filled: the access decisions, with case scopes looked up once.
struct Page<'a> {
    store: &'a dyn RecordStore,
    caller: &'a Person,
    /// The calling device, when its own records are left out.
    skip_device: Option<&'a str>,
    register: Arc<Register>,
    /// Every case scope the page looked up, for its records and its photos' records.
    cases: CaseScopes,
    /// What decides who may read each photo record of the scan batch being offered
    /// (the records naming the photo, and its uploaders), read for the batch at once.
    photos: HashMap<String, PhotoGrounds>,
    seen: HashSet<String>,
    items: Vec<PulledItem>,
}

impl Page<'_> {
    fn case(&mut self, record: &StoredRecord) -> Result<Option<CaseScope>, ApiError> {
        let Some(id) = &record.case_id else {
            return Ok(None);
        };
        Ok(self.cases.get(self.store, id)?)
    }

    /// Adds the record if the caller may see it (and, for an assignment to the
    /// caller's department, the case's earlier events).
    fn offer(&mut self, record: StoredRecord) -> Result<(), ApiError> {
        if record.is(RecordKind::Photo) {
            let sha = record.id.strip_prefix(ID_PREFIX).unwrap_or(&record.id);
            // Read with the batch (`read_photo_grounds`); a photo named twice in a page
            // is offered once (`seen`), so taking them out loses nothing.
            let grounds = self.photos.remove(sha).unwrap_or_default();
            let referring = with_cases(grounds.links, self.store, &mut self.cases)?;
            if may_read_blob(
                self.caller,
                &grounds.uploaders,
                &referring,
                &self.register.tree,
            ) {
                return self.push(record, Access::Full);
            }
            return Ok(());
        }
        let case = self.case(&record)?;
        let Some(access) = read_access(self.caller, &record, case.as_ref(), &self.register.tree)
        else {
            return Ok(());
        };
        let backfill = self.caller.role == Role::DepartmentOfficer
            && record.is(RecordKind::HazardEvent)
            && record.department.is_some()
            && record.department == self.caller.department;
        if backfill && let Some(case_id) = record.case_id.clone() {
            for earlier in self.store.case_records(&case_id)? {
                if earlier.seq < record.seq
                    && let Some(access) =
                        read_access(self.caller, &earlier, case.as_ref(), &self.register.tree)
                {
                    self.push(earlier, access)?;
                }
            }
        }
        self.push(record, access)
    }

    /// Reads, in two queries, what decides who may read each photo record of `batch`:
    /// a question per photo was most of a city pull's statements (`docs/BENCHMARKS.md`).
    fn read_photo_grounds(&mut self, batch: &[StoredRecord]) -> Result<(), ApiError> {
        let shas: Vec<&str> = batch
            .iter()
            .filter(|r| r.is(RecordKind::Photo))
            .map(|r| r.id.strip_prefix(ID_PREFIX).unwrap_or(&r.id))
            .collect();
        self.photos.clear();
        if shas.is_empty() {
            return Ok(());
        }
        for sha in &shas {
            self.photos
                .insert((*sha).to_owned(), PhotoGrounds::default());
        }
        for (sha, link) in self.store.records_with_blobs(&shas)? {
            if let Some(grounds) = self.photos.get_mut(&sha) {
                grounds.links.push(link);
            }
        }
        for (sha, person) in self.store.uploaders_of_blobs(&shas)? {
            if let Some(grounds) = self.photos.get_mut(&sha) {
                grounds.uploaders.push(person);
            }
        }
        Ok(())
    }

    fn push(&mut self, record: StoredRecord, access: Access) -> Result<(), ApiError> {
        if self.skip_device == Some(record.author_device.as_str()) {
            return Ok(());
        }
        if !self.seen.insert(record.id.clone()) {
            return Ok(());
        }
        let redacted = access == Access::Redacted;
        let body = if redacted {
            kinds::redact(&record.kind, &record.body)?
        } else {
            serde_json::from_str(&record.body)
                .map_err(|e| ApiError::Internal(format!("stored record {}: {e}", record.id)))?
        };
        self.items.push(PulledItem {
            seq: record.seq,
            id: record.id,
            kind: record.kind,
            body,
            redacted,
            author: record.author_person,
            received_at: record.received_at,
            chain: record.chain,
        });
        Ok(())
    }
}

//! `POST /v1/push`: a batch of items, each accepted, recognised as a duplicate, or
//! rejected with a reason. Idempotent by item id: pushing the same batch again stores
//! nothing twice, so a client may retry any push whose answer it did not get.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use gridwalk_model::protocol::{
    ItemResult, ItemStatus, PushItem, PushRequest, PushResponse, RecordKind,
};
use gridwalk_model::wire::Unreadable;

use super::{AppState, parse_json, read_body};
use crate::auth::Caller;
use crate::error::{ApiError, blocking};
use crate::kinds::{self, CheckError, Reject};
use crate::proofs::{self, ProofError, Sealing};
use crate::scope::{WriteIntent, check_authorship, may_write};
use crate::storage::register::Register;
use crate::storage::{BatchStep, NewRecord, PutOutcome, RecordStore};

/// Most items stored in one transaction, with one durable commit. A phone's push of two
/// inspections (7 records each) is one; a long request (up to the batch limit) is many
/// in turn, so that it holds the embedded store's one connection only briefly (the
/// store serves it first come, first served) and a push to an unrelated case, which
/// needs the connection a few times, never waits for all of it (issue 10;
/// `sync-server/tests/case_stall.rs`: at 64, a batch held it ~25 ms and the unrelated
/// push could finish last). A crash keeps whole batches: what the re-send finds stored
/// it answers as duplicates.
pub const BATCH_ITEMS: usize = 16;

/// Handles a push batch.
pub async fn push(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<Json<PushResponse>, ApiError> {
    let bytes = read_body(body, state.limits.max_body_bytes).await?;
    let request: PushRequest = parse_json(&bytes)?;
    let items = request.items.into_iter().map(Ok).collect();
    let (results, _) = store_batch(&state, caller, items).await?;
    Ok(Json(PushResponse { results }))
}

/// Checks and stores a batch, one result per item in order, with the register the
/// items were checked against (for the page a `/v2` sync pulls next): what `/v1/push`
/// and `/v2/sync` share. An item the request could not give in full (`Err`, from the
/// `/v2` compact form) is rejected as invalid with the reason.
pub async fn store_batch(
    state: &AppState,
    caller: Caller,
    items: Vec<Result<PushItem, Unreadable>>,
) -> Result<(Vec<ItemResult>, Arc<Register>), ApiError> {
    let max = state.limits.max_batch_items;
    if items.len() > max {
        return Err(ApiError::TooLarge(format!(
            "the batch has {} items, the limit is {max}; send smaller batches",
            items.len()
        )));
    }
    let store = state.store.clone();
    let (results, register) = blocking(move || {
        // Looked up once per request: every item is the same caller's.
        let register = store.register()?;
        // Which items the request's signatures authenticate, against the key the device
        // registered (read with its token), decided before any is stored: a chained
        // record is kept only when its request seals it.
        let sealing = proofs::seal_request(caller.public_key.as_deref(), &items);
        // One transaction and one durable commit for up to `BATCH_ITEMS` items, not one
        // per record: an item refused changes nothing (its checks fail before it is
        // written, or its write is a savepoint undone), a store error undoes the batch,
        // which the device re-sends since nothing was acknowledged.
        let mut results = Vec::with_capacity(items.len());
        let mut failed = None;
        let mut pending = items.into_iter().zip(sealing).peekable();
        while pending.peek().is_some() && failed.is_none() {
            let batch: Vec<_> = pending.by_ref().take(BATCH_ITEMS).collect();
            // Every case the batch's events name, locked by `in_batch` for the whole
            // batch (in one fixed order, so batches sharing cases cannot deadlock): two
            // devices pushing to one case at once never both build on the same row.
            let cases: Vec<String> = batch
                .iter()
                .filter_map(|(item, _)| item.as_ref().ok().and_then(event_case))
                .map(str::to_owned)
                .collect();
            let cases: Vec<&str> = cases.iter().map(String::as_str).collect();
            let mut batch = batch.into_iter();
            store.in_batch(&cases, &mut |view| {
                let Some((item, sealing)) = batch.next() else {
                    return BatchStep::Done;
                };
                let result = match item {
                    Ok(item) => push_one(view, &caller, sealing, &register, item),
                    Err(Unreadable { id, reason }) => Ok(rejected(id, Reject::Invalid(reason))),
                };
                match result {
                    Ok(result) => {
                        results.push(result);
                        BatchStep::More
                    }
                    Err(e) => {
                        failed = Some(e);
                        BatchStep::Abort
                    }
                }
            })?;
        }
        match failed {
            Some(e) => Err(e),
            None => Ok((results, register)),
        }
    })
    .await?;
    let accepted = results
        .iter()
        .filter(|r| r.status == ItemStatus::Accepted)
        .count();
    tracing::info!(items = results.len(), accepted, "push");
    Ok((results, register))
}

/// The case a pushed hazard event names, read from the raw body before it is checked
/// (an item that is not a hazard event, or names no case, is refused or stored without
/// touching a case).
fn event_case(item: &PushItem) -> Option<&str> {
    (item.kind.parse::<RecordKind>().ok() == Some(RecordKind::HazardEvent))
        .then(|| item.body.get("case_id").and_then(serde_json::Value::as_str))
        .flatten()
}

fn rejected(id: String, reject: Reject) -> ItemResult {
    ItemResult {
        id,
        status: ItemStatus::Rejected,
        seq: None,
        code: Some(reject.code().to_string()),
        reason: Some(reject.to_string()),
    }
}

/// Checks and stores one pushed item for `caller`, with what its request's signatures
/// say of it (`sealing`, [`proofs::seal_request`]; [`Sealing::Unchecked`] for a device
/// without a key), with the caller holding the item's case lock: the one path every
/// record takes, from a phone's push or the desk console.
pub fn push_one(
    store: &dyn RecordStore,
    caller: &Caller,
    sealing: Sealing,
    register: &Register,
    item: PushItem,
) -> Result<ItemResult, ApiError> {
    if item.id.trim().is_empty() || item.id.len() > 128 {
        return Ok(rejected(
            item.id,
            Reject::Invalid("an item id must be 1 to 128 characters".into()),
        ));
    }
    let checked = match kinds::check(
        &item.kind,
        &item.id,
        &item.body,
        &caller.device,
        store,
        register,
    ) {
        Ok(c) => c,
        Err(CheckError::Reject(r)) => return Ok(rejected(item.id, r)),
        Err(CheckError::Store(e)) => return Err(e.into()),
    };
    match check_authorship(caller, &checked.author, store) {
        Ok(()) => {}
        Err(CheckError::Reject(r)) => return Ok(rejected(item.id, r)),
        Err(CheckError::Store(e)) => return Err(e.into()),
    }
    let proof = match proofs::check_pushed(
        &caller.device,
        sealing,
        checked.kind.as_str(),
        &item.id,
        &checked.body,
    ) {
        Ok(proof) => proof,
        Err(ProofError::BadSignature(reason)) => {
            return Ok(rejected(item.id, Reject::BadSignature(reason)));
        }
        Err(ProofError::Unsealed(reason)) => {
            return Ok(rejected(item.id, Reject::Unsealed(reason)));
        }
        Err(ProofError::Store(e)) => return Err(e.into()),
    };
    let intent = WriteIntent {
        unit: &checked.unit,
        spot_check: checked.spot_check,
        department: checked.department.as_deref(),
        case_event: checked.case_id.is_some(),
    };
    // A photo record is written by the device that attached the photo in a record the
    // server accepted under these rules (the kind's check found it): the photo record
    // adds no new write, so it is not held to the rules again (a department officer's
    // photo of a case outside their area would fail the area rule).
    if checked.kind != RecordKind::Photo
        && let Err(reject) = may_write(&caller.person, &intent, &register.tree)
    {
        return Ok(rejected(item.id, reject));
    }
    let record = NewRecord {
        id: item.id.clone(),
        kind: checked.kind,
        body: checked.body,
        body_hash: checked.body_hash,
        unit: checked.unit,
        department: checked.assigns,
        case_id: checked.case_id.clone(),
        author_person: caller.person.id.clone(),
        author_device: caller.device.clone(),
        draft: checked.draft,
        personal: checked.personal,
        blobs: checked.blobs,
        proof,
    };
    let result = |status, seq| ItemResult {
        id: item.id.clone(),
        status,
        seq: Some(seq),
        code: None,
        reason: None,
    };
    // The case's row is computed with the event and written in its transaction; under
    // the case's lock no other push changes the case in between.
    let case = match &checked.case_id {
        Some(case_id) => {
            kinds::case_row_with(store, case_id, &record.body, checked.case_has_row, register)?
        }
        None => None,
    };
    Ok(match store.put_record(&record, case.as_ref())? {
        PutOutcome::Stored(seq) => result(ItemStatus::Accepted, seq),
        PutOutcome::Duplicate(seq) | PutOutcome::Stale(seq) => result(ItemStatus::Duplicate, seq),
        PutOutcome::Conflict => rejected(
            item.id.clone(),
            Reject::Conflict(format!(
                "`{}` is already stored with different content; records are immutable",
                item.id
            )),
        ),
    })
}

//! The `/v2` sync protocol: one request that pushes and pulls together, in a compact
//! encoding, compressed with a zstd dictionary trained on gridwalk records.
//!
//! `GET /v2/sync` (nothing to push) or `POST /v2/sync` (a batch), with the query
//! parameters [`CURSOR`] (the pull cursor), [`REFERENCE`] (the reference tag held) and
//! [`LIMIT`] (page size, optional). The server stores the pushed items exactly as a
//! `/v1` push does, then answers with their results (in request order, without ids)
//! and the page after the cursor, without the caller device's own records; the
//! reference tag comes back ([`SyncResponse::reference`]) only when it differs from
//! the one named.
//!
//! Bodies: JSON with one-letter keys; an inspection's answers positional against its
//! template version ([`crate::compact`]); a proof's `prev` left out when it is the
//! link of the item before it in the same request (the server recomputes it, so every
//! signature is checked over exactly the signed bytes of `docs/signing.md`). A request
//! naming a dictionary in the [`DICTIONARY_HEADER`] header sends its body as one zstd
//! frame with that dictionary, and gets answers larger than [`COMPRESS_ABOVE`] bytes
//! compressed the same way (the answer names it in the same header); a dictionary the
//! server does not know is refused (`400 unknown_dictionary`).

pub mod codec;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::checklist::Template;
use crate::compact;
use crate::error::ModelError;
use crate::protocol::{ItemResult, ItemStatus, PulledItem, PushItem};
use crate::signing::{self, Proof};

/// The route: `GET` pulls, `POST` pushes a batch and pulls.
pub const SYNC: &str = "/v2/sync";
/// Query parameter: the pull cursor (absent or empty: from the start).
pub const CURSOR: &str = "c";
/// Query parameter: the reference tag the device holds.
pub const REFERENCE: &str = "r";
/// Query parameter: records per page (absent: the server's default).
pub const LIMIT: &str = "n";
/// Request and answer header: the id of the zstd dictionary the body is compressed
/// with (a request's: also the one the client reads answers with).
pub const DICTIONARY_HEADER: &str = "gw-dict";
/// The error code of a request naming a dictionary this server does not hold.
pub const UNKNOWN_DICTIONARY: &str = "unknown_dictionary";
/// Answers up to this many bytes go uncompressed (the frame would cost more than it
/// saves).
pub const COMPRESS_ABOVE: usize = 64;

/// The dictionaries this build holds, by id. Id 1 was trained by
/// `cargo run -p gridwalk-e2e --bin train-dictionary` on records a real store produced;
/// a dictionary never changes once released (a new one gets a new id, the old ones stay
/// for the devices that use them).
pub const DICTIONARIES: &[(u32, &[u8])] = &[(1, include_bytes!("../dict/records-1.zdict"))];

/// The dictionary a client of this build sends with.
pub const CURRENT_DICTIONARY: u32 = 1;

/// The bytes of dictionary `id`, when this build holds it.
pub fn dictionary(id: u32) -> Option<&'static [u8]> {
    DICTIONARIES
        .iter()
        .find(|(known, _)| *known == id)
        .map(|(_, bytes)| *bytes)
}

/// `POST /v2/sync` body.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SyncRequest {
    /// The records, in the order the device recorded them.
    #[serde(rename = "i", default)]
    pub items: Vec<Item>,
}

/// One pushed record in compact form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Record id.
    #[serde(rename = "i")]
    pub id: String,
    /// Record kind, as text.
    #[serde(rename = "k")]
    pub kind: String,
    /// The body, compact where [`crate::compact`] has a form for it.
    #[serde(rename = "b")]
    pub body: Value,
    /// The proof; `prev` absent when it is the link of the item before.
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<ItemProof>,
}

/// A proof on the `/v2` wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemProof {
    /// The previous link, absent when it is the link of the item before in the request.
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// DER signature, hex; absent for a chained record a later one seals.
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// [`Proof::chained`].
    #[serde(rename = "c", default, skip_serializing_if = "std::ops::Not::not")]
    pub chained: bool,
}

/// `/v2/sync` answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SyncResponse {
    /// One result per pushed item, in request order.
    #[serde(rename = "r", default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<Outcome>,
    /// The page after the cursor, in sequence order.
    #[serde(rename = "i", default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Pulled>,
    /// The cursor for the next request (opaque).
    #[serde(rename = "c")]
    pub cursor: String,
    /// Whether more records may wait after the cursor.
    #[serde(rename = "m", default, skip_serializing_if = "std::ops::Not::not")]
    pub has_more: bool,
    /// The caller's current reference tag, only when the request named another one.
    #[serde(rename = "e", default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// What happened to one pushed item (its id is its place in the request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Accepted, duplicate or rejected.
    #[serde(rename = "s")]
    pub status: ItemStatus,
    /// The stored record's sequence number.
    #[serde(rename = "q", default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    /// Why it was rejected: the `/v1` codes.
    #[serde(rename = "e", default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// A sentence saying what is wrong.
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One pulled record in compact form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pulled {
    /// Server sequence number.
    #[serde(rename = "q")]
    pub seq: i64,
    /// Record id.
    #[serde(rename = "i")]
    pub id: String,
    /// Record kind, as text.
    #[serde(rename = "k")]
    pub kind: String,
    /// The body, compact where [`crate::compact`] has a form for it.
    #[serde(rename = "b")]
    pub body: Value,
    /// Whether personal details were removed for this caller.
    #[serde(rename = "x", default, skip_serializing_if = "std::ops::Not::not")]
    pub redacted: bool,
    /// The person whose device pushed it.
    #[serde(rename = "u", default)]
    pub author: String,
    /// When the server stored it.
    #[serde(rename = "t", default)]
    pub received_at: String,
    /// Its place in its device's chain ([`PulledItem::chain`]).
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
}

/// A batch as the client sends it: bodies compacted, each `prev` left out when it is
/// the link of the item before.
pub fn compact_items(items: Vec<PushItem>, templates: &[Template]) -> Vec<Item> {
    let mut before: Option<String> = None;
    items
        .into_iter()
        .map(|item| {
            let own_link = item
                .proof
                .as_ref()
                .and_then(|p| link_of(&item.kind, &item.id, &item.body, p));
            let proof = item.proof.map(|p| ItemProof {
                prev: (before.as_deref() != Some(p.prev.as_str())).then_some(p.prev),
                signature: p.signature,
                chained: p.chained,
            });
            before = own_link;
            Item {
                body: without_id(
                    compact::compact(&item.kind, &item.body, templates),
                    &item.id,
                ),
                id: item.id,
                kind: item.kind,
                proof,
            }
        })
        .collect()
}

/// A pushed item the server could not give in full: rejected as invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// The item's id.
    pub id: String,
    /// Why.
    pub reason: String,
}

/// A batch as the server reads it: bodies expanded, each missing `prev` the link of
/// the item before. An item that cannot be expanded, or whose `prev` cannot be
/// recomputed, is an error naming why (the server rejects it as invalid).
pub fn expand_items(items: Vec<Item>, templates: &[Template]) -> Vec<Result<PushItem, Unreadable>> {
    let mut before: Option<String> = None;
    items
        .into_iter()
        .map(|item| {
            let body = compact::expand(&item.kind, &with_id(item.body, &item.id), templates);
            let proof = match item.proof {
                None => Ok(None),
                Some(ItemProof {
                    prev: Some(prev),
                    signature,
                    chained,
                }) => Ok(Some(Proof {
                    prev,
                    signature,
                    chained,
                })),
                Some(ItemProof {
                    prev: None,
                    signature,
                    chained,
                }) => before
                    .clone()
                    .map(|prev| {
                        Some(Proof {
                            prev,
                            signature,
                            chained,
                        })
                    })
                    .ok_or_else(|| {
                        format!(
                            "{} has no `prev` and the item before it has no link to take it from",
                            item.id
                        )
                    }),
            };
            let expanded = match body
                .map_err(|e| e.to_string())
                .and_then(|b| Ok((b, proof?)))
            {
                Ok((body, proof)) => Ok(PushItem {
                    id: item.id,
                    kind: item.kind,
                    body,
                    proof,
                }),
                Err(reason) => Err(Unreadable {
                    id: item.id,
                    reason,
                }),
            };
            before = expanded.as_ref().ok().and_then(|i| {
                i.proof
                    .as_ref()
                    .and_then(|p| link_of(&i.kind, &i.id, &i.body, p))
            });
            expanded
        })
        .collect()
}

/// A body without its `id` when it is the record's id (which travels beside it).
fn without_id(mut body: Value, id: &str) -> Value {
    if let Some(object) = body.as_object_mut()
        && object.get("id").and_then(Value::as_str) == Some(id)
    {
        object.remove("id");
    }
    body
}

/// A body with the record's id, when it has none (see [`without_id`]).
fn with_id(mut body: Value, id: &str) -> Value {
    if let Some(object) = body.as_object_mut()
        && !object.contains_key("id")
    {
        object.insert("id".into(), Value::String(id.into()));
    }
    body
}

/// The link a record makes (`docs/signing.md`), when its proof has the form of one.
fn link_of(kind: &str, id: &str, body: &Value, proof: &Proof) -> Option<String> {
    match (&proof.signature, proof.chained) {
        (Some(signature), false) => {
            let signed = signing::signed_bytes(kind, id, body, &proof.prev).ok()?;
            Some(signing::link(&signed, &signing::from_hex(signature)?))
        }
        _ => signing::chained_link_of(kind, id, body, &proof.prev).ok(),
    }
}

/// A pulled record in compact form (the server's side).
pub fn compact_pulled(item: PulledItem, templates: &[Template]) -> Pulled {
    Pulled {
        body: without_id(
            compact::compact(&item.kind, &item.body, templates),
            &item.id,
        ),
        seq: item.seq,
        id: item.id,
        kind: item.kind,
        redacted: item.redacted,
        author: item.author,
        received_at: item.received_at,
        chain: item.chain,
    }
}

/// A pulled record as the `/v1` protocol has it (the client's side); refused when its
/// compact body does not expand against the templates held here.
pub fn expand_pulled(item: Pulled, templates: &[Template]) -> Result<PulledItem, ModelError> {
    Ok(PulledItem {
        body: compact::expand(&item.kind, &with_id(item.body, &item.id), templates)?,
        seq: item.seq,
        id: item.id,
        kind: item.kind,
        redacted: item.redacted,
        author: item.author,
        received_at: item.received_at,
        chain: item.chain,
    })
}

/// A `/v2` outcome as the `/v1` result of the item with `id`.
pub fn item_result(id: &str, outcome: Outcome) -> ItemResult {
    ItemResult {
        id: id.to_string(),
        status: outcome.status,
        seq: outcome.seq,
        code: outcome.code,
        reason: outcome.reason,
    }
}

/// A `/v1` result as its `/v2` outcome.
pub fn outcome(result: ItemResult) -> Outcome {
    Outcome {
        status: result.status,
        seq: result.seq,
        code: result.code,
        reason: result.reason,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn signed(id: &str, prev: &str) -> PushItem {
        PushItem {
            id: id.into(),
            kind: "hazard-event".into(),
            body: json!({"id": id, "n": 1}),
            proof: Some(Proof {
                prev: prev.into(),
                signature: Some("3006020101020101".into()),
                chained: false,
            }),
        }
    }

    #[test]
    fn prevs_left_out_in_a_batch_are_recomputed_exactly() {
        let templates = Template::builtin_cached().unwrap();
        let first = signed("e1", signing::GENESIS);
        let one = link_of(
            &first.kind,
            &first.id,
            &first.body,
            first.proof.as_ref().unwrap(),
        );
        let second = signed("e2", one.as_deref().unwrap());
        let third = signed("e3", "ab"); // a fork: its prev is not the item before's link
        // Chained records (ADR 12): unsigned ones linked by their signed bytes alone,
        // the last signed; each prev still left out and recomputed.
        let mut fourth = signed("e4", signing::GENESIS);
        let fourth_proof = fourth.proof.as_mut().unwrap();
        fourth_proof.signature = None;
        fourth_proof.chained = true;
        let four = link_of(&fourth.kind, &fourth.id, &fourth.body, fourth_proof);
        let mut fifth = signed("e5", four.as_deref().unwrap());
        fifth.proof.as_mut().unwrap().chained = true;
        let batch = vec![first, second, third, fourth, fifth];
        let small = compact_items(batch.clone(), templates);
        let prevs: Vec<_> = small
            .iter()
            .map(|i| i.proof.as_ref().unwrap().prev.is_some())
            .collect();
        assert_eq!(prevs, [true, false, true, true, false]);
        let back: Vec<PushItem> = expand_items(small, templates)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(back, batch);
    }

    #[test]
    fn a_missing_prev_on_the_first_item_is_an_error() {
        let templates = Template::builtin_cached().unwrap();
        let item = Item {
            id: "e1".into(),
            kind: "hazard-event".into(),
            body: json!({}),
            proof: Some(ItemProof {
                prev: None,
                signature: Some("00".into()),
                chained: false,
            }),
        };
        let out = expand_items(vec![item], templates);
        assert!(out[0].as_ref().unwrap_err().reason.contains("no `prev`"));
    }

    #[test]
    fn an_idle_answer_is_a_few_bytes_and_every_dictionary_is_known_by_id() {
        let idle = SyncResponse {
            cursor: "42".into(),
            ..SyncResponse::default()
        };
        assert_eq!(serde_json::to_string(&idle).unwrap(), r#"{"c":"42"}"#);
        assert!(dictionary(CURRENT_DICTIONARY).is_some_and(|d| d.len() > 1024));
        assert!(dictionary(0).is_none());
    }
}

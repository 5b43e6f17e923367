"""Schemathesis hooks for sync-server/tests/schemathesis.rs.

They make the fuzzer reach the server's logic instead of stopping at `404` and `400`:
- tus chunks (`application/offset+octet-stream`, which schemathesis cannot serialize
  by itself) are generated as raw bytes;
- path parameters are, besides generated values, the photos and uploads the test
  seeded (`GRIDWALK_SEEDED_BLOBS`, `GRIDWALK_SEEDED_UPLOADS`: comma-separated);
- `Upload-Metadata` is, besides generated values, a well-formed one naming a random
  SHA-256, so `POST /v1/blobs` creates uploads;
- a PATCH is, besides generated values, one at offset 0 without a checksum, so chunks
  are stored in the seeded uploads.
"""

import base64
import os

import schemathesis
from hypothesis import strategies as st

schemathesis.openapi.media_type("application/offset+octet-stream", st.binary(max_size=64))


def _seeded(name):
    return [value for value in os.environ.get(name, "").split(",") if value]


SEEDED = {"sha256": _seeded("GRIDWALK_SEEDED_BLOBS"), "id": _seeded("GRIDWALK_SEEDED_UPLOADS")}


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    choices = [st.just(path_parameters)]
    for name, values in SEEDED.items():
        if path_parameters and name in path_parameters and values:
            choices.append(
                st.sampled_from(values).map(lambda v, n=name: {**path_parameters, n: v})
            )
    return st.one_of(choices)


def _metadata(digest):
    name = base64.b64encode(digest.hex().encode()).decode()
    return f"sha256 {name},filename {base64.b64encode(b'photo.jpg').decode()}"


@schemathesis.hook
def flatmap_headers(context, headers):
    if headers and "Upload-Metadata" in headers:
        valid = st.binary(min_size=32, max_size=32).map(
            lambda digest: {**headers, "Upload-Metadata": _metadata(digest)}
        )
        return st.one_of(st.just(headers), valid)
    if headers and "Upload-Offset" in headers:
        at_start = {**headers, "Tus-Resumable": "1.0.0", "Upload-Offset": "0"}
        at_start.pop("Upload-Checksum", None)
        return st.one_of(st.just(headers), st.just(at_start))
    return st.just(headers)

"""An independent tus client (tuspy, from PyPI) uploads a photo to gridwalk-server,
is interrupted part-way, resumes from the server's offset in a new uploader (found by
tuspy's own URL storage), and the finished photo downloads byte for byte.

Usage: upload_photo.py BASE_URL TOKEN PHOTO_FILE WORK_DIR
Exit status 0 and a last line starting with "ok" when everything held.
"""

import hashlib
import os
import sys

import requests
from tusclient import client as tus_client
from tusclient.storage.filestorage import FileStorage
from tusclient.uploader import Uploader


class Sha256Uploader(Uploader):
    """tuspy checksums chunks with sha1 by default; the server speaks sha256."""

    CHECKSUM_ALGORITHM_PAIR = ("sha256", hashlib.sha256)


def fail(message):
    print(f"FAILED: {message}")
    sys.exit(1)


def main():
    base, token, photo, work = sys.argv[1:5]
    data = open(photo, "rb").read()
    sha = hashlib.sha256(data).hexdigest()
    headers = {"Authorization": f"Bearer {token}"}
    client = tus_client.TusClient(f"{base}/v1/blobs", headers=headers)
    storage_path = os.path.join(work, "tus-urls.json")
    chunk = 64 * 1024
    stop_at = 3 * chunk

    def uploader():
        return Sha256Uploader(
            file_path=photo,
            client=client,
            chunk_size=chunk,
            metadata={"sha256": sha, "filename": os.path.basename(photo)},
            store_url=True,
            url_storage=FileStorage(storage_path),
            upload_checksum=True,
            retries=0,
        )

    # First session: the connection "drops" after three chunks.
    first = uploader()
    first.upload(stop_at=stop_at)
    if first.offset != stop_at:
        fail(f"first session stopped at {first.offset}, expected {stop_at}")
    url = first.url

    # Second session: tuspy finds the upload URL by the file's fingerprint and asks the
    # server (HEAD) where to resume.
    second = uploader()
    if second.url != url:
        fail(f"resumed a different upload: {second.url} != {url}")
    if second.offset != stop_at:
        fail(f"server offset after the drop is {second.offset}, expected {stop_at}")
    second.upload()
    if second.offset != len(data):
        fail(f"finished at {second.offset} of {len(data)}")

    got = requests.get(f"{base}/v1/blobs/{sha}", headers=headers, timeout=30)
    if got.status_code != 200 or got.content != data:
        fail(f"download: status {got.status_code}, {len(got.content)} bytes")
    print(f"ok: tuspy uploaded {len(data)} bytes, resumed at {stop_at}, sha256 {sha}")


if __name__ == "__main__":
    main()

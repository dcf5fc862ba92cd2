"""The SDK protocol's getEdoc and downloadEdoc stream the stored body: same bytes, never loaded whole."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import httpx
import pytest

from lienthong.api.app import create_app
from lienthong.client.sdk import sign_headers
from lienthong.hub.service import Hub
from lienthong.store.blobs import base64_chunks, base64_size
from tests.hub.conftest import SECRET, Server, document, send, system


@pytest.mark.parametrize("size", [0, 1, 2, 3, 14, 15, 16, 45, 46])
def test_base64_in_chunks_is_the_whole_files_base64(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "body"
    path.write_bytes(data)
    streamed = b"".join(base64_chunks(path, chunk=15))
    assert streamed == base64.b64encode(data)
    assert len(streamed) == base64_size(size)


def _post(http: httpx.Client, operation: str, delivery_id: str, method: str = "POST") -> httpx.Response:
    headers = sign_headers(
        "nghean.sys", SECRET, {"docid": delivery_id}, "application/json", "30112026T000000+0000"
    )
    return http.request(method, f"/{operation}", headers=headers, content=b"{}")


def test_get_edoc_and_download_edoc_answer_the_stored_bytes(hub: Hub) -> None:
    body = document(recipients=("000.00.00.H41",), content=b"%PDF-1.4\n" + os.urandom(1_000_001))
    send(hub, "vpcp.sys", body)
    delivery_id = hub.pending(system(hub, "nghean.sys"))[0].delivery_id
    with Server(create_app(hub)) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        answer = _post(http, "getEdoc", delivery_id)
        assert answer.status_code == 200
        assert int(answer.headers["content-length"]) == len(answer.content)
        expected = {
            "status": "OK",
            "ErrorCode": "0",
            "ErrorDesc": "Success",
            "data": base64.b64encode(body).decode(),
        }
        assert answer.content == json.dumps(expected).encode()  # byte for byte the answer it always was
        download = _post(http, "downloadEdoc", delivery_id, "GET")
        assert download.status_code == 200 and download.content == body
        missing = _post(http, "getEdoc", "no-such-delivery")
        assert missing.json()["status"] == "FAIL"

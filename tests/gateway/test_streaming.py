"""A package of several MB through gateways and a live hub, never held whole in memory (issue 15, item 4).

The sending gateway takes it from a staging file, checks it from disk, streams it to the hub; the
receivers (JSON API and SDK protocol, whose ``getEdoc`` answer is base64 inside JSON) decode it into
staging files as it arrives. Python's allocations over the whole exchange, hub included (it runs
in this process), stay far below the package's size; what arrives is byte for byte what was sent.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from lienthong.gateway import problems as GP
from lienthong.gateway.service import Gateway, GatewayError
from lienthong.hub.service import Hub
from lienthong.store.blobs import file_chunks
from tests.hub.conftest import Server, document

SPOOL = 256 << 10  # attachment text kept in memory by one parse: the rest spills to disk


def test_a_large_package_is_sent_and_received_without_being_held_whole(
    live_hub: tuple[Hub, Server], make_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    hub, _ = live_hub
    hub.parse_limits = dataclasses.replace(hub.parse_limits, spool_in_memory=SPOOL)
    vpcp = make_gateway("000.00.00.G22", "vpcp.sys", spool_in_memory=SPOOL)
    nghean = make_gateway("000.00.00.H41", "nghean.sys", spool_in_memory=SPOOL)
    caobang = make_gateway("000.00.00.H14", "caobang.sys", protocol="sdk", spool_in_memory=SPOOL)
    package = tmp_path / "big.edxml"
    package.write_bytes(document(content=b"%PDF-1.4\n" + os.urandom(6 << 20) + b"\n%%EOF\n"))
    size = package.stat().st_size
    digest = hashlib.sha256(package.read_bytes()).hexdigest()

    tracemalloc.start()
    try:
        staged = vpcp.stager().take(file_chunks(package))  # as the HTTP edge takes a request body
        out = vpcp.submit(staged, approve_as="Văn thư A")
        assert out.state == "queued"
        for _ in range(2):
            vpcp.process_outbox()
            nghean.poll_inbox()
            caobang.poll_inbox()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert vpcp.outbox()[0]["state"] == "sent"
    for receiver in (nghean, caobang):
        [incoming] = [i for i in receiver.inbox() if i["kind"] == "edoc"]
        assert hashlib.sha256(receiver.package(incoming["id"]).data).hexdigest() == digest
    assert size > 8 << 20
    # Chunks of a MB or so in flight in each stage (read, hashed, base64 in and out), never the package.
    assert peak < size // 3, f"{peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB package"


def test_a_package_over_the_limit_is_refused_while_it_streams_and_leaves_no_file(
    local_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    gateway = local_gateway("000.00.00.G22", max_package_bytes=1 << 20)
    stager = gateway.stager()
    with pytest.raises(GatewayError) as refused:
        stager.take(iter([b"x" * (600 << 10)] * 3))
    assert refused.value.problem.code == GP.TOO_LARGE.code and refused.value.status == 413
    assert not stager.path.exists()
    assert list((gateway.config.blob_dir / "tmp").iterdir()) == []

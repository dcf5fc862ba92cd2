"""Packages of many MB through gateways and a live hub, never held whole in memory (issue 15, item 4).

The sending gateway takes a package from a staging file, checks it from disk, streams it to the
hub; the receivers (JSON API and SDK protocol, whose ``getEdoc`` answer is base64 inside JSON)
decode it into staging files as it arrives. Each step's peak of Python allocations (tracemalloc;
the hub runs in this process and is counted too) does not grow with the package's size; what
arrives is byte for byte what was sent.
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
    gateways = (vpcp, nghean, caobang)
    exchange(gateways, tmp_path, 0, 1)  # warm-up: first-use imports and caches
    # Past a few MB, each stage's peak is a few chunks in flight (of a MB or so; the hub's getEdoc
    # sends 3 MB slices as base64), whatever the size: 18 MB more of package adds far less than
    # that to any stage. Holding it whole, or decoding it whole, would add all of it or more.
    small, small_size = exchange(gateways, tmp_path, 10, 2)
    large, large_size = exchange(gateways, tmp_path, 24, 3)
    assert large_size - small_size > 18 << 20
    for step, peak in large.items():
        assert peak - small[step] < (large_size - small_size) // 4, (step, small, large)


def exchange(gateways: tuple[Gateway, ...], folder: Path, mb: int, number: int) -> tuple[dict[str, int], int]:
    """One package of ``mb`` MB of PDF sent to both receivers: each step's peak Python allocations
    (hub included: it runs in this process), and the package's size. It arrives byte for byte."""
    vpcp, *receivers = gateways
    package = folder / f"big-{number}.edxml"
    content = b"%PDF-1.4\n" + os.urandom(mb << 20) + b"\n%%EOF\n"
    package.write_bytes(document(content=content, number=str(900 + number)))
    digest = hashlib.sha256(package.read_bytes()).hexdigest()
    peaks: dict[str, int] = {}

    def measured(name: str, step: Callable[[], object]) -> None:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        step()
        peaks[name] = max(peaks.get(name, 0), tracemalloc.get_traced_memory()[1] - before)

    tracemalloc.start()
    try:
        # As the HTTP edge takes a request body: streamed to a staging file, then submitted.
        measured("submit", lambda: vpcp.submit(vpcp.stager().take(file_chunks(package)), approve_as="A"))
        for _ in range(2):
            measured("send", vpcp.process_outbox)
            for g in receivers:
                measured(f"receive {g.config.hub.protocol}", g.poll_inbox)
    finally:
        tracemalloc.stop()
    mine = str(900 + number)
    assert any(str(o["notation"]).startswith(mine) for o in vpcp.outbox(state="sent"))
    for receiver in receivers:
        [got] = [i for i in receiver.inbox() if i["kind"] == "edoc" and str(i["notation"]).startswith(mine)]
        assert hashlib.sha256(receiver.package(got["id"]).data).hexdigest() == digest
    return peaks, package.stat().st_size


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

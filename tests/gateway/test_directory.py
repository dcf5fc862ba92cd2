"""Recipients from the hub's directory: named when the hub answers, typed codes when it cannot."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from lienthong.client.jsonapi import HubClient
from lienthong.gateway.service import Gateway
from tests.gateway.conftest import Clock


def test_the_directory_from_a_live_hub_is_kept_for_an_hour(make_gateway: Callable[..., Gateway]) -> None:
    clock = Clock()
    vpcp = make_gateway("000.00.00.G22", "vpcp.sys", clock=clock)
    bodies = dict(vpcp.directory.bodies())
    assert bodies["000.00.00.H41"] == "UBND tỉnh Nghệ An"
    real = vpcp.contact.inner
    vpcp.contact.inner = HubClient("http://127.0.0.1:9", "nothing-listens-here", timeout=1)
    assert dict(vpcp.directory.bodies()) == bodies  # kept: the hub is not asked again within the hour
    clock.now += timedelta(hours=2)
    assert dict(vpcp.directory.bodies()) == bodies  # the hub is down: the last list stays
    vpcp.contact.inner = real


def test_without_a_directory_the_list_is_empty(local_gateway: Callable[..., Gateway]) -> None:
    gateway = local_gateway("000.00.00.G22")  # the in-memory hub offers no directory (as the SDK protocol)
    assert gateway.directory.bodies() == []
    assert gateway.directory.names() == {}

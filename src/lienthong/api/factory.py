"""The hub's app built from the environment: what every ``lienthong hub serve`` worker process runs.

``hub serve`` puts its options in ``LIENTHONG_HUB_SERVE`` (JSON) and has uvicorn call
``app_from_environment`` in each worker. Each worker has its own hub (pool, writer, caches); they
share the PostgreSQL database and the data folder. Background work (monitor sweeps, the warning
system's schedule) runs in the one worker holding the background lock; long-poll wake-ups reach
every worker through ``LISTEN/NOTIFY``; each worker enforces its share of the rate limit.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from lienthong.api.app import create_app
from lienthong.delivery.mail import SmtpMailer
from lienthong.hub.config import HubConfig, Policy
from lienthong.hub.relay import Federation, FederationConfig
from lienthong.hub.service import Hub
from lienthong.monitor.config import MonitorConfig
from lienthong.monitor.hub import HubMonitor
from lienthong.monitor.notify import QueuedNotifier, mail_settings
from lienthong.store.leader import Leader
from lienthong.watch.config import WatchConfig
from lienthong.watch.service import Watch

ENV = "LIENTHONG_HUB_SERVE"


@dataclass(frozen=True)
class ServeOptions:
    db: str | None = None
    data_dir: str | None = None
    policy: str = Policy.DEFAULT.value
    sdk_prefix: str = ""
    max_package_bytes: int = 100 << 20
    checks_policy: str | None = None
    watch: bool = True
    rate: float = 50.0  # per connected system, for the whole hub (all workers together)
    burst: int = 200
    workers: int = 1

    def to_env(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_env(cls) -> ServeOptions:
        return cls(**json.loads(os.environ.get(ENV) or "{}"))

    def hub_config(self) -> HubConfig:
        # The rate limit is the hub's, not a worker's: every worker draws from one bucket per system
        # kept in the data folder (hub/ratelimit.py).
        return HubConfig.from_env(
            self.db,
            self.data_dir,
            policy=Policy(self.policy),
            max_package_bytes=self.max_package_bytes,
            checks_policy=Path(self.checks_policy) if self.checks_policy else None,
            rate_per_second=self.rate,
            rate_burst=self.burst,
        )


class Background:
    """What runs beside the requests: wake-ups from other workers, and (in one worker) the schedules."""

    def __init__(
        self, hub: Hub, monitor: HubMonitor, watch: Watch | None, federation: Federation | None = None
    ) -> None:
        self.hub, self.monitor, self.watch = hub, monitor, watch
        # Issue 16: relays, upstream pulls and the directory sync, in the leader only.
        self.federation = federation or Federation(hub, FederationConfig.from_env())
        self.leader = Leader(hub.engine, self._run_schedules)

    def _run_schedules(self) -> None:
        self.monitor.start()
        if self.watch is not None:
            self.watch.start()
        self.federation.start()

    def start(self) -> None:
        self.hub.listen()
        self.leader.start()

    def stop(self) -> None:
        self.leader.stop()
        self.federation.stop()
        if self.watch is not None:
            self.watch.stop()
        self.monitor.stop()
        self.hub.close()


def build(options: ServeOptions) -> FastAPI:
    hub = Hub(options.hub_config())
    watch_config = WatchConfig.from_env()
    # Every worker hears of refusals (alerts go to the shared outbox, once per event and target).
    watch = Watch(hub, watch_config).attach() if options.watch else None
    monitor_config = MonitorConfig.from_env()
    email: QueuedNotifier | None = None
    if watch is not None and monitor_config.smtp is not None:
        # The monitor's alert e-mails wait in the same durable outbox: an SMTP outage only delays them.
        smtp = monitor_config.smtp
        carry = watch.carry_alerts(SmtpMailer(mail_settings(smtp)), smtp.sender)
        email = QueuedNotifier(smtp.recipients, carry)
    monitor = HubMonitor(hub, monitor_config, email=email)
    return create_app(hub, options.sdk_prefix, monitor, watch_config, Background(hub, monitor, watch))


def app_from_environment() -> FastAPI:
    return build(ServeOptions.from_env())

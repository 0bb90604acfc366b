"""What the API process holds: its applications, the transport, and the
optional audit and simulation services, built once from the settings.

The ``eventsourcing`` applications are synchronous and thread-safe, so the API's
endpoints are plain ``def`` functions that FastAPI runs in its thread pool
(reference/eventsourcing-notes.md: no asyncio in the library).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import redis

from clearinghouse.application import registry_app_name
from clearinghouse.audit.reconcile import Reconciliation
from clearinghouse.audit.trace import Trace
from clearinghouse.audit.verify import Verification
from clearinghouse.service.access import AccessApplication
from clearinghouse.service.auditing import StoreAudit
from clearinghouse.service.settings import ServiceSettings
from clearinghouse.service.simulation_requests import (
    ScenarioCheck,
    SimulationRequest,
    SimulationStatus,
)
from clearinghouse.service.simulations import SimulationRunner
from clearinghouse.service.streams import StreamConsumer, connect
from clearinghouse.service.system import ServiceSystem
from projections.article6.view import Article6Projection, Article6View, catch_up

log = logging.getLogger(__name__)
T = TypeVar("T")


class AuditService(Protocol):
    """What the audit endpoints need (``clearinghouse.service.auditing.StoreAudit``
    over issue #6's services)."""

    def verify(self, head: str | None = None) -> Verification: ...

    def reconcile(self, registries: list[str] | None = None) -> list[Reconciliation]: ...

    def trace(
        self, serial: str, registry: str | None = None, unit_type: str | None = None
    ) -> Trace: ...


class SimulationService(Protocol):
    """What the simulation endpoints need (``clearinghouse.service.simulations.
    SimulationRunner`` over issue #5's engine). ``None`` means "no such run";
    refusals are raised as ``Refused`` (SIM-001/002 invalid, SVC-007 busy,
    SVC-008 not ready)."""

    def check(self, request: SimulationRequest) -> ScenarioCheck: ...

    def start(self, request: SimulationRequest, by: str) -> SimulationStatus: ...

    def runs(self, limit: int = 50) -> list[SimulationStatus]: ...

    def status(self, simulation_id: str) -> SimulationStatus | None: ...

    def results(self, simulation_id: str) -> dict[str, Any] | None: ...

    def reaccount(
        self, simulation_id: str, rules: list[str], by: str
    ) -> SimulationStatus | None: ...

    def cancel(self, simulation_id: str) -> SimulationStatus | None: ...

    def file(self, simulation_id: str, name: str) -> tuple[Path, str] | None: ...

    def archive(self, simulation_id: str) -> tuple[str, bytes] | None: ...

    def close(self) -> None: ...


class Article6Views:
    """One Article 6 projection per process, caught up on each request (only the
    new notifications are folded) and read under a lock."""

    def __init__(self, system: ServiceSystem) -> None:
        self.system = system
        self.lock = threading.Lock()
        self.projection = Article6Projection(Article6View())

    def read(self, use: Callable[[Article6View], T]) -> T:
        with self.lock:
            return use(catch_up(self.system.clearinghouse, self.projection))


class Clearing(threading.Thread):
    """The clearinghouse's consumer, run inside the API process (``clearing_in_api``)."""

    def __init__(self, consumer: StreamConsumer) -> None:
        super().__init__(name="clearing", daemon=True)
        self.consumer = consumer
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.consumer.run_once()
            except (redis.ConnectionError, redis.TimeoutError) as error:
                log.warning("clearing: Redis unreachable (%s); retrying", error)
                self.stopping.wait(1)
            except Exception:  # the store unreachable, or a bug: keep clearing, say so
                log.exception("clearing: a round failed; retrying in 1 s")
                self.stopping.wait(1)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)


@dataclass
class Services:
    settings: ServiceSettings
    system: ServiceSystem
    access: AccessApplication
    redis: redis.Redis | None = None
    audit: AuditService | None = None
    simulations: SimulationService | None = None
    clearing: Clearing | None = None
    article6: Article6Views = field(init=False)

    def __post_init__(self) -> None:
        self.article6 = Article6Views(self.system)
        self._writers: dict[str, threading.Lock] = {}
        self._writers_lock = threading.Lock()

    @classmethod
    def open(cls, settings: ServiceSettings) -> Services:
        store = settings.store_config()
        env = settings.application_env()
        in_process = settings.transport == "in-process"
        system = ServiceSystem(store, env, in_process=in_process)
        services = cls(settings, system, AccessApplication(store, env))
        services.audit = StoreAudit(system)
        services.simulations = SimulationRunner.from_settings(settings)
        if not in_process:
            services.redis = connect(settings.redis_url)
            if settings.clearing_in_api:
                services.clearing = Clearing(
                    StreamConsumer(
                        services.redis,
                        settings.stream_prefix,
                        system.clearinghouse,
                        lambda: [registry_app_name(c) for c in system.connected()],
                        f"api-{settings.consumer}",
                        block_ms=settings.block_ms,
                        claim_idle_ms=settings.claim_idle_ms,
                        max_deliveries=settings.max_deliveries,
                    )
                )
        return services

    def start(self) -> None:
        if self.clearing is not None and not self.clearing.is_alive():
            self.clearing.start()

    def command(self, run: Callable[[], T], registry: str | None = None) -> T:
        """Run a command; delivering in process, settle before answering.

        Commands for one registry take turns within this process: they would
        all write that registry's table, which PostgreSQL lets one transaction
        at a time append to anyway, and racing each other for the same account
        they would mostly lose (optimistic concurrency) and retry."""
        if not self.system.in_process:
            with self._writer(registry):
                return run()
        with self.system.lock:
            result = run()
            self.system.settle()
            return result

    def _writer(self, registry: str | None) -> threading.Lock:
        with self._writers_lock:
            return self._writers.setdefault(registry or "", threading.Lock())

    def close(self) -> None:
        if self.simulations is not None:
            self.simulations.close()
        if self.clearing is not None:
            self.clearing.stop()
        self.system.close()
        self.access.close()
        if self.redis is not None:
            self.redis.close()

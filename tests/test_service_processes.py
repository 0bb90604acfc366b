"""The deployment as separate OS processes on the real PostgreSQL and Redis:
``clearinghouse serve`` (API + clearing), a worker per registry, the relay.

Each test gets a fresh PostgreSQL schema and its own Redis key prefix, starts
the processes it needs, and stops them (SIGTERM, then SIGKILL) at the end.
Every wait is bounded; on failure the processes' logs are in the message.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from clearinghouse.application import CLEARINGHOUSE
from clearinghouse.messages import Envelope
from clearinghouse.service.access import AccessApplication
from clearinghouse.service.relay import cursor_key
from clearinghouse.service.streams import CRASH_EXIT, stream_key
from clearinghouse.service.system import ServiceSystem
from clearinghouse.store import StoreConfig
from projections.adjustments import adjustments
from projections.log import read
from tests.api_support import abroad, issuance
from tests.service_support import RedisSpace, redis_space

__all__ = ["redis_space"]  # the fixture

pytestmark = pytest.mark.postgres
TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Deployment:
    database_url: str
    space: RedisSpace
    logs: Path
    port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "CLEARINGHOUSE_DATABASE_URL": self.database_url,
            "CLEARINGHOUSE_REDIS_URL": self.space.url,
            "CLEARINGHOUSE_STREAM_PREFIX": self.space.prefix,
            "CLEARINGHOUSE_PORT": str(self.port),
            "CLEARINGHOUSE_BLOCK_MS": "200",
            "CLEARINGHOUSE_CLAIM_IDLE_MS": "1000",
            "CLEARINGHOUSE_RELAY_IDLE_MS": "50",
            "CLEARINGHOUSE_POOL_SIZE": "1",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }

    def start(self, name: str, *args: str, **env: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "clearinghouse.cli", *args],
            env=self.env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes[name] = process
        return process

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.processes.clear()

    def output(self) -> str:
        return "\n".join(
            f"--- {p.name} ---\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.logs.glob("*.log"))
        )

    def until(self, what: str, check: Callable[[], bool], timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}\n{self.output()}")

    # -- the API --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve(self) -> None:
        self.start("api", "serve", CLEARINGHOUSE_BOOTSTRAP="demo")

        def ready() -> bool:
            try:
                return httpx.get(f"{self.url}/ready", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        self.until("the API to be ready", ready)

    def call(
        self, method: str, who: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.keys[who]}", **(headers or {})}
        return httpx.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def state(self, registry: str, tid: str, direction: str = "out") -> str | None:
        found = self.call(
            "GET", "admin", f"/registries/{registry}/transactions/{tid}?direction={direction}"
        )
        return found.json()["state"] if found.status_code == 200 else None

    def holding(self, registry: str, account: str) -> int:
        found = self.call("GET", "admin", f"/registries/{registry}/accounts/{account}")
        total: int = found.json()["total"]
        return total

    def pending(self, app: str = CLEARINGHOUSE) -> dict[str, int]:
        """Entries delivered and not acknowledged, per consumer group of a stream."""
        groups = self.space.client.xinfo_groups(stream_key(self.space.prefix, app))
        return {g["name"]: g["pending"] for g in groups}  # type: ignore[union-attr]

    def pending_messages(self, group: str, app: str = CLEARINGHOUSE) -> list[tuple[str, str]]:
        """(kind, transaction id) of each entry of ``app``'s stream delivered to
        ``group`` and not acknowledged."""
        client, stream = self.space.client, stream_key(self.space.prefix, app)
        found: list[tuple[str, str]] = []
        for entry in client.xpending_range(stream, group, min="-", max="+", count=100):
            entry_id = entry["message_id"]
            [(_, fields)] = client.xrange(stream, entry_id, entry_id)  # type: ignore[misc]
            message = Envelope.model_validate_json(fields["envelope"]).message
            found.append((message.kind, message.transaction_id))
        return found

    def relayed(self, app: str) -> int:
        """The relay's position in ``app``'s log."""
        value: Any = self.space.client.get(cursor_key(self.space.prefix, app))
        return int(value or 0)

    def key(self, who: str, role: str, registry: str | None = None) -> None:
        access = AccessApplication(StoreConfig.from_env(database_url=self.database_url))
        self.keys[who] = access.create_key(role, who, registry)[1]
        access.close()


@pytest.fixture
def deployment(postgres_url: str, redis_space: RedisSpace, tmp_path: Path) -> Iterator[Deployment]:
    d = Deployment(postgres_url, redis_space, tmp_path)
    d.key("admin", "administrator")
    d.key("cn", "registry_operator", "CN_ETS")
    try:
        yield d
    finally:
        d.stop_all()


@contextmanager
def store_of(d: Deployment) -> Iterator[ServiceSystem]:
    """The deployment's store, opened by the test (as any other process would)."""
    system = ServiceSystem(StoreConfig.from_env(database_url=d.database_url))
    try:
        yield system
    finally:
        system.close()


def test_a_cross_border_transfer_through_api_workers_and_relay(deployment: Deployment) -> None:
    d = deployment
    d.serve()
    d.start("relay", "relay")
    d.start("worker-cn", "worker", "--registry", "CN_ETS")
    d.start("worker-kr", "worker", "--registry", "KR_ETS")

    issued = d.call(
        "POST", "cn", "/registries/CN_ETS/issuances?wait=30",
        json=issuance("i1", "HUANENG", "CEA", 1_000),
    )  # fmt: skip
    assert issued.status_code == 200, (issued.json(), d.output())
    sent = d.call(
        "POST", "cn", "/registries/CN_ETS/cross-border-transfers?wait=30",
        json=abroad("x1", "HUANENG", "KR_ETS", "POSCO", 400),
    )  # fmt: skip
    assert sent.status_code == 200, (sent.json(), d.output())
    assert sent.json()["state"] == "completed"
    assert d.holding("KR_ETS", "POSCO") == 400
    assert d.holding("CN_ETS", "HUANENG") == 600
    cleared = d.call("GET", "admin", "/clearing/transactions/CN_ETS/x1").json()
    assert cleared["state"] == "completed" and cleared["adjustments"][0]["quantity"] == 400

    # with an Idempotency-Key, a retry gets the first answer, even once things moved on
    body = abroad("x2", "HUANENG", "KR_ETS", "POSCO", 100)
    path = "/registries/CN_ETS/cross-border-transfers"
    first = d.call("POST", "cn", path, json=body, headers={"Idempotency-Key": "retry-1"})
    assert (first.status_code, first.json()["state"]) == (202, "proposed")
    d.until("x2 to complete", lambda: d.state("CN_ETS", "x2") == "completed")
    again = d.call("POST", "cn", path, json=body, headers={"Idempotency-Key": "retry-1"})
    assert (again.status_code, again.json()) == (202, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    assert d.holding("KR_ETS", "POSCO") == 500  # moved once


def test_a_destination_worker_killed_mid_transfer_finishes_it_exactly_once(
    deployment: Deployment,
) -> None:
    d = deployment
    d.serve()
    d.start("relay", "relay")
    d.start("worker-cn", "worker", "--registry", "CN_ETS")
    issued = d.call(
        "POST", "cn", "/registries/CN_ETS/issuances?wait=30",
        json=issuance("i1", "HUANENG", "CEA", 1_000),
    )  # fmt: skip
    assert issued.status_code == 200, d.output()

    # 1. KR's worker runs, and is killed (kill -9) while the transfer is in flight:
    #    whether it had credited or not, its successor finishes the transfer once
    d.start("worker-kr-0", "worker", "--registry", "KR_ETS")
    d.until("KR's worker to start", lambda: "worker for REGISTRY_KR_ETS" in d.output())
    sent = d.call(
        "POST", "cn", "/registries/CN_ETS/cross-border-transfers",
        json=abroad("x0", "HUANENG", "KR_ETS", "POSCO", 300),
    )  # fmt: skip
    assert sent.status_code == 202 and sent.json()["state"] == "proposed"
    d.until("the source to debit", lambda: d.state("CN_ETS", "x0") in ("debited", "completed"))
    d.kill("worker-kr-0")
    d.start("worker-kr-1", "worker", "--registry", "KR_ETS")
    d.until("x0 to complete", lambda: d.state("CN_ETS", "x0") == "completed")
    # x0 completes as soon as its credit is committed; if kr-0 was killed between
    # that commit and XACK, the entry is still pending and only kr-1's XAUTOCLAIM
    # (after CLAIM_IDLE_MS) acknowledges it: the successor leaves nothing behind
    d.until("KR's entries to be acknowledged", lambda: d.pending()["REGISTRY_KR_ETS"] == 0)
    d.kill("worker-kr-1")
    assert d.holding("KR_ETS", "POSCO") == 300

    # 2. KR's worker is down when the credit instruction is sent
    sent = d.call(
        "POST", "cn", "/registries/CN_ETS/cross-border-transfers",
        json=abroad("x1", "HUANENG", "KR_ETS", "POSCO", 400),
    )  # fmt: skip
    assert sent.status_code == 202 and sent.json()["state"] == "proposed"
    d.until("the source to debit", lambda: d.state("CN_ETS", "x1") == "debited")
    time.sleep(1)
    assert d.state("CN_ETS", "x1") == "debited" and d.holding("KR_ETS", "POSCO") == 300

    # 3. it starts, commits x1's credit, and dies before acknowledging it (the worst
    #    moment, made exact by the test hook: named by transaction, since a kind alone
    #    would also match a redelivery of an older credit instruction)
    crashing = d.start(
        "worker-kr-2", "worker", "--registry", "KR_ETS",
        CLEARINGHOUSE_CRASH_AFTER="credit_instruction:x1",
    )  # fmt: skip
    d.until("the KR worker to crash", lambda: crashing.poll() is not None)
    assert crashing.returncode == CRASH_EXIT, d.output()
    # committed with its tracking record ...
    assert d.holding("KR_ETS", "POSCO") == 700, d.output()
    # ... and not acknowledged
    assert d.pending_messages("REGISTRY_KR_ETS") == [("credit_instruction", "x1")], d.output()

    # 4. restarted (another consumer name, as a new pod): it reclaims the entry
    d.start("worker-kr-3", "worker", "--registry", "KR_ETS")
    d.until("the transfer to complete", lambda: d.state("CN_ETS", "x1") == "completed")
    d.until("the entry to be acknowledged", lambda: d.pending()["REGISTRY_KR_ETS"] == 0)
    assert d.holding("KR_ETS", "POSCO") == 700  # each transfer credited once
    with store_of(d) as system:
        kr = system.registry("KR_ETS")
        names = [type(e).__qualname__ for _, e in read(kr)]
        assert names.count("RegistryTransaction.Credited") == 2
        assert adjustments(read(system.clearinghouse)) == {
            "CN": {"2025": {"first_transfer": 700, "use": 0, "net": 700}}
        }


def test_the_relay_killed_and_restarted_loses_and_repeats_nothing(deployment: Deployment) -> None:
    d = deployment
    d.serve()
    d.start("relay", "relay", CLEARINGHOUSE_RELAY_PAGE="3")
    stream = stream_key(d.space.prefix, "REGISTRY_KR_ETS")
    d.key("kr", "registry_operator", "KR_ETS")
    for n in range(30):
        body = issuance(f"k{n}", "POSCO", "KAU", 10)
        answer = d.call("POST", "kr", "/registries/KR_ETS/issuances", json=body)
        assert answer.status_code == 202, answer.json()
        if n == 10:
            d.until("the relay to publish", lambda: d.space.client.xlen(stream) > 0)
            d.kill("relay")  # kill -9, wherever it is
    published_at_kill = d.space.client.xlen(stream)
    d.start("relay-2", "relay", CLEARINGHOUSE_RELAY_PAGE="3")

    with store_of(d) as system:
        registry = system.registry("KR_ETS")
        last = registry.recorder.max_notification_id()
        d.until("the new relay to catch up", lambda: d.relayed("REGISTRY_KR_ETS") >= last)
        expected = [position for position, event in read(registry) for _ in registry.outbox(event)]
    entries: Any = d.space.client.xrange(stream)
    published = [int(f["position"]) for _, f in entries]
    assert published == expected  # every message once, in log order
    assert len(published) == 30 and published_at_kill < 30

"""Load through the service: N cross-border transfers over HTTP on loopback,
next to the raw PostgreSQL append rate of the library, in the same run.

What runs (all on this machine, as OS processes, on a fresh PostgreSQL schema
and a private Redis key prefix, both removed afterwards):

* ``clearinghouse serve`` (the API, clearing in the same process), the relay,
  and the workers of CN_ETS and KR_ETS, over the demo's world (Parties,
  registries, the authorized CN→KR link with its import limit, accounts);
* a client with C threads (httpx, keep-alive) sending the transfers.

Two phases, N transfers of 1 t each:

1. **end to end**: each request asks ``?wait=60`` and returns when its transfer
   has completed at the source (proposed, accepted, debited, credited at the
   destination, completed: seven store transactions in three logs, six messages
   over Redis). Latency = request to completion; throughput = N ÷ wall time.
2. **accepted**: each request returns as soon as the proposal is recorded (202);
   latency = the API's command latency; throughput = N ÷ the time until the
   last of them completed.

Then the library alone: a plain ``eventsourcing`` Application on the same
PostgreSQL saves a trivial aggregate S times (one event per save), giving the
raw append rate the store allows one writer. Ratios compare the two.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench.transfers import positive
from clearinghouse.progress import ProgressBar
from clearinghouse.service.access import AccessApplication
from clearinghouse.service.streams import connect
from clearinghouse.store import StoreConfig, postgres_env

DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
APPS = ("CLEARINGHOUSE", "REGISTRY_CN_ETS", "REGISTRY_KR_ETS")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the deployment ------------------------------------------------------------------------


class Deployment:
    """The service's processes on loopback, over a schema and key prefix of their own."""

    def __init__(self, database_url: str, redis_url: str, workdir: Path) -> None:
        self.schema = f"bench_{uuid.uuid4().hex[:10]}"
        self.database_url = f"{database_url}?schema={self.schema}"
        self.base_url = database_url
        self.redis_url = redis_url
        self.prefix = f"bench{uuid.uuid4().hex[:8]}"
        self.workdir = workdir
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port: int = s.getsockname()[1]
        self.processes: list[subprocess.Popen[bytes]] = []
        self.keys: dict[str, str] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, name: str, *args: str, **env: str) -> None:
        log = (self.workdir / f"{name}.log").open("ab")
        environment = {
            **os.environ,
            "CLEARINGHOUSE_DATABASE_URL": self.database_url,
            "CLEARINGHOUSE_REDIS_URL": self.redis_url,
            "CLEARINGHOUSE_STREAM_PREFIX": self.prefix,
            "CLEARINGHOUSE_PORT": str(self.port),
            "CLEARINGHOUSE_RELAY_IDLE_MS": "5",
            "CLEARINGHOUSE_BLOCK_MS": "100",
            **env,
        }
        self.processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "clearinghouse.cli", *args],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )

    def up(self) -> None:
        access = AccessApplication(StoreConfig.from_env(database_url=self.database_url))
        self.keys["cn"] = access.create_key("registry_operator", "bench", "CN_ETS")[1]
        self.keys["admin"] = access.create_key("administrator", "bench")[1]
        access.close()
        self.start("api", "serve", CLEARINGHOUSE_BOOTSTRAP="demo")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit(f"bench: the API did not get ready; see {self.workdir}/api.log")
        self.start("relay", "relay")
        self.start("worker-cn", "worker", "--registry", "CN_ETS")
        self.start("worker-kr", "worker", "--registry", "KR_ETS")

    def down(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        client = connect(self.redis_url)
        keys = list(client.scan_iter(match=f"{self.prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
        drop_schema(self.base_url, self.schema)

    # -- reading the store ------------------------------------------------------------

    def counts(self) -> tuple[int, int]:
        """(events, tracking records) in the three logs the transfers write."""
        import psycopg
        from psycopg import sql

        events = tracked = 0
        with psycopg.connect(self.base_url, autocommit=True) as conn:
            for app in APPS:
                for suffix in ("events", "tracking"):
                    table = sql.Identifier(self.schema, f"{app.lower()}_{suffix}")
                    query = sql.SQL("SELECT count(*) FROM {}").format(table)
                    row = conn.execute(query).fetchone()
                    n = int(row[0]) if row else 0
                    if suffix == "events":
                        events += n
                    else:
                        tracked += n
        return events, tracked


def drop_schema(url: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


# -- the load ------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    transfers: int
    concurrency: int
    seconds: float
    latencies_ms: list[float]

    @property
    def per_second(self) -> float:
        return self.transfers / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "transfers": self.transfers,
            "concurrency": self.concurrency,
            "seconds": round(self.seconds, 3),
            "transfers_per_second": round(self.per_second, 2),
            "latency_ms": {
                "p50": round(self.percentile(50), 1),
                "p99": round(self.percentile(99), 1),
                "mean": round(statistics.fmean(self.latencies_ms), 1),
                "max": round(max(self.latencies_ms), 1),
            },
        }


def transfer(tid: str) -> dict[str, Any]:
    return {
        "transaction_id": tid,
        "business_date": "2025-03-01",
        "account": "HUANENG",
        "to_registry": "KR_ETS",
        "to_account": "POSCO",
        "quantity": 1,
    }


def drive(
    d: Deployment, label: str, n: int, concurrency: int, wait: bool, show: bool
) -> tuple[float, list[float]]:
    """Send ``n`` transfers with ``concurrency`` threads; returns (seconds, latencies)."""
    headers = {"Authorization": f"Bearer {d.keys['cn']}"}
    path = "/registries/CN_ETS/cross-border-transfers" + ("?wait=60" if wait else "")
    local = threading.local()
    lock = threading.Lock()
    latencies: list[float] = []
    bar = ProgressBar(label, n, enabled=show)

    def one(i: int) -> None:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=d.url, headers=headers, timeout=90)
        started = time.perf_counter()
        answer = local.client.post(path, json=transfer(f"{label}-{i}"))
        elapsed = (time.perf_counter() - started) * 1000
        expected = (200, "completed") if wait else (202, "proposed")
        json_body = answer.headers.get("content-type", "").startswith("application/json")
        state = answer.json().get("state") if json_body else None
        if (answer.status_code, state) != expected:
            raise SystemExit(f"bench: transfer {label}-{i}: {answer.status_code} {answer.text}")
        with lock:
            latencies.append(elapsed)
            bar.advance()

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(n)))
    seconds = time.perf_counter() - started
    bar.close()
    return seconds, latencies


def held_by_posco(d: Deployment) -> int:
    headers = {"Authorization": f"Bearer {d.keys['admin']}"}
    answer = httpx.get(f"{d.url}/registries/KR_ETS/accounts/POSCO", headers=headers, timeout=30)
    total: int = answer.json()["total"]
    return total


def until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: timed out waiting for {what}")
        time.sleep(0.02)


# -- the library alone ---------------------------------------------------------------------


class Counter(Aggregate):
    @event("Incremented")
    def increment(self) -> None:
        pass


@dataclass
class Raw:
    saves: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.saves / self.seconds


def raw_append(url: str, saves: int, show: bool) -> Raw:
    """A plain Application on eventsourcing.postgres: one event per save, one writer."""
    schema = f"bench_raw_{uuid.uuid4().hex[:10]}"
    env = postgres_env(f"{url}?schema={schema}")
    app = Application[Any](env=env)
    try:
        aggregates = [Counter() for _ in range(100)]
        app.save(*aggregates)  # create them first: the timed saves are appends
        with ProgressBar("raw PostgreSQL saves", saves, enabled=show) as bar:
            started = time.perf_counter()
            for i in range(saves):
                aggregate = aggregates[i % len(aggregates)]
                aggregate.increment()
                app.save(aggregate)
                bar.advance()
            seconds = time.perf_counter() - started
    finally:
        app.close()
        drop_schema(url, schema)
    return Raw(saves, seconds)


# -- the report ------------------------------------------------------------------------------


@dataclass
class Report:
    end_to_end: Phase
    accepted: Phase
    events_per_transfer: float
    writes_per_transfer: float
    raw: Raw

    def ratios(self) -> dict[str, float]:
        e2e = self.end_to_end
        return {
            "transfers_per_second_to_raw_saves_per_second": e2e.per_second / self.raw.per_second,
            "events_per_second_to_raw_events_per_second": (
                e2e.per_second * self.events_per_transfer / self.raw.per_second
            ),
            "raw_bound_transfers_per_second": self.raw.per_second / self.writes_per_transfer,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "end_to_end": self.end_to_end.as_dict(),
            "accepted": self.accepted.as_dict(),
            "events_per_transfer": round(self.events_per_transfer, 2),
            "writes_per_transfer": round(self.writes_per_transfer, 2),
            "raw": {**asdict(self.raw), "saves_per_second": round(self.raw.per_second, 1)},
            "ratios": {k: round(v, 4) for k, v in self.ratios().items()},
        }

    def table(self) -> str:
        lines = []
        for phase, what in (
            (self.end_to_end, "request until the transfer completed (?wait=60)"),
            (self.accepted, "request until the proposal was recorded (202)"),
        ):
            d = phase.as_dict()
            lines += [
                f"{phase.name}: {phase.transfers} transfers, {phase.concurrency} clients, "
                f"{phase.seconds:.2f} s",
                f"  transfers/s        {phase.per_second:8.1f}",
                f"  latency p50        {d['latency_ms']['p50']:8.1f} ms  ({what})",
                f"  latency p99        {d['latency_ms']['p99']:8.1f} ms",
            ]
        r = self.ratios()
        lines += [
            f"per transfer: {self.events_per_transfer:.1f} events, "
            f"{self.writes_per_transfer:.1f} store write transactions (in three logs)",
            "",
            f"raw eventsourcing PostgreSQL append: {self.raw.saves} saves in "
            f"{self.raw.seconds:.2f} s = {self.raw.per_second:,.0f} saves/s (1 event each)",
            "",
            "ratios (end to end ÷ raw)",
            f"  transfers/s ÷ raw saves/s    "
            f"{r['transfers_per_second_to_raw_saves_per_second']:.4f}",
            f"  events/s ÷ raw events/s      {r['events_per_second_to_raw_events_per_second']:.4f}",
            f"  raw-bound transfers/s        {r['raw_bound_transfers_per_second']:8.1f}"
            f"  (raw saves/s ÷ {self.writes_per_transfer:.1f} writes per transfer)",
        ]
        return "\n".join(lines)


def measure(args: argparse.Namespace, workdir: Path) -> Report:
    show = not args.quiet
    d = Deployment(args.database_url, args.redis_url, workdir)
    try:
        say(f"bench: starting API, relay and two workers (logs in {workdir})")
        d.up()
        funding = {
            "transaction_id": "bench-funding",
            "business_date": "2025-01-10",
            "account": "HUANENG",
            "unit_type": "CEA",
            "vintage": 2025,
            "quantity": 2 * args.transfers + 100,
        }
        headers = {"Authorization": f"Bearer {d.keys['cn']}"}
        funded = httpx.post(
            f"{d.url}/registries/CN_ETS/issuances?wait=60",
            json=funding,
            headers=headers,
            timeout=90,
        )
        if funded.status_code != 200:
            raise SystemExit(f"bench: funding failed: {funded.text}")
        drive(d, "warmup", 10, args.concurrency, wait=True, show=False)

        events_before, tracked_before = d.counts()
        seconds, latencies = drive(d, "e2e", args.transfers, args.concurrency, True, show)
        events_after, tracked_after = d.counts()
        end_to_end = Phase("end to end", args.transfers, args.concurrency, seconds, latencies)

        expected = held_by_posco(d) + args.transfers
        started = time.perf_counter()
        _, latencies = drive(d, "accepted", args.transfers, args.concurrency, False, show)
        until(lambda: held_by_posco(d) >= expected, 300, "the accepted transfers to complete")
        seconds = time.perf_counter() - started
        accepted = Phase("accepted", args.transfers, args.concurrency, seconds, latencies)
    except BaseException:
        for log in sorted(workdir.glob("*.log")):  # the processes' side of the story
            say(f"--- {log.name} ---\n{log.read_text(errors='replace')[-4000:]}")
        raise
    finally:
        d.down()
    raw = raw_append(args.database_url, args.raw_saves, show)
    n = args.transfers
    return Report(
        end_to_end,
        accepted,
        events_per_transfer=(events_after - events_before) / n,
        # one command, and one tracked message per step that had an effect
        writes_per_transfer=1 + (tracked_after - tracked_before) / n,
        raw=raw,
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description="Cross-border transfers through the HTTP API, the relay and the "
        "workers (PostgreSQL + Redis on this machine), next to the raw PostgreSQL append "
        "rate of eventsourcing in the same run. Needs the servers of `make test`.",
    )
    parser.add_argument("--transfers", type=positive, default=200, help="N per phase (200)")
    parser.add_argument("--concurrency", type=positive, default=8, help="client threads (8)")
    parser.add_argument("--raw-saves", type=positive, default=2000, help="raw saves (2000)")
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as workdir:
        report = measure(args, Path(workdir))
    print(json.dumps(report.as_dict(), indent=2) if args.json else report.table())
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How the service processes are configured: one settings model, read from the
environment (``CLEARINGHOUSE_*``) with the defaults a laptop needs.

Every process (``serve``, ``worker``, ``relay``, ``keys``) reads the same model,
so one environment file (``deploy/clearinghouse.env``) configures a deployment.
docs/operations.md lists every variable.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from clearinghouse.service.streams import CrashHook
from clearinghouse.store import StoreConfig


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLEARINGHOUSE_", extra="ignore")

    # -- where the logs live (the same variables as the embedded CLI) ---------------
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL, postgresql://user:pw@host:5432/db[?schema=name]; "
        "the service mode's store (tables are created on first start)",
    )
    store: str | None = Field(
        default=None,
        description="directory of SQLite files when there is no database URL "
        "(one process only: SQLite has no subscriptions and one writer)",
    )
    pool_size: int = Field(
        default=2,
        ge=1,
        description="PostgreSQL connections kept per application in each process",
    )
    pool_max_overflow: int = Field(default=4, ge=0, description="extra connections under load")

    # -- transport --------------------------------------------------------------------
    transport: Literal["redis", "in-process"] = Field(
        default="redis",
        description="'redis': processes exchange messages over Redis Streams (workers and "
        "a relay run apart); 'in-process': one `serve` process delivers everything itself "
        "(no Redis, no workers: a laptop or a SQLite store)",
    )
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", description="Redis for the streams")
    stream_prefix: str = Field(
        default="clearinghouse",
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="prefix of every Redis key this deployment uses",
    )
    consumer: str = Field(
        default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}",
        description="this process's name in its consumer group (default host-pid)",
    )
    block_ms: int = Field(default=1000, ge=1, description="how long a read waits for messages")
    claim_idle_ms: int = Field(
        default=30_000,
        ge=1,
        description="a message unacknowledged this long is reclaimed (XAUTOCLAIM) "
        "from the consumer that stalled",
    )
    max_deliveries: int = Field(
        default=10,
        ge=1,
        description="a message that failed this many times goes to the dead-letter stream",
    )
    relay_page: int = Field(default=200, ge=1, description="notifications per relay page")
    relay_idle_ms: int = Field(default=200, ge=1, description="relay pause when nothing is new")

    # -- the API ----------------------------------------------------------------------
    host: str = Field(default="127.0.0.1", description="address `serve` listens on")
    port: int = Field(default=8000, ge=1, le=65535)
    clearing_in_api: bool = Field(
        default=True,
        description="the API process also clears (consumes the registries' streams); "
        "set false when a separate `clearinghouse worker --clearinghouse` runs",
    )
    bootstrap: Literal["none", "demo"] = Field(
        default="none",
        description="'demo': on start, set up the demo's Parties, registries (CN_ETS, "
        "KR_ETS, TOKYO, SAITAMA), agreements, authorization and accounts (idempotent)",
    )
    max_wait_s: float = Field(
        default=30, ge=0, description="the longest ?wait= a command request may ask for"
    )

    # -- simulations (POST /simulations) ------------------------------------------------
    simulations_dir: Path = Field(
        default=Path("simulations"),
        description="where the API keeps simulation runs: one folder per run, with its "
        "own SQLite event store, results.json, CSV tables, charts and report (never the "
        "service's store); created on the first run",
    )
    simulation_workers: int = Field(
        default=1,
        ge=0,
        le=16,
        description="simulations run at once in the API process (they are CPU-heavy); "
        "0 turns simulations off in this process (503 SVC-007)",
    )
    simulation_queue: int = Field(
        default=8,
        ge=0,
        description="simulations that may wait for a worker; beyond that a start is "
        "refused (503 SVC-007) until one finishes",
    )
    simulation_max_entities: int = Field(
        default=50_000,
        ge=1,
        description="the most synthetic covered entities a scenario sent to the API may "
        "draw (all jurisdictions together; ne-asia-trilateral draws ~6,200)",
    )

    # -- testing ------------------------------------------------------------------------
    crash_after: str | None = Field(
        default=None,
        description="testing only: a worker exits right after handling a message of this "
        "kind, before acknowledging it; 'kind:transaction_id' (e.g. credit_instruction:x1) "
        "names the message exactly (a kind alone may match a redelivered older message)",
    )

    @field_validator("crash_after")
    @classmethod
    def _crash_hook(cls, value: str | None) -> str | None:
        if value is not None:
            CrashHook.parse(value)  # refuses a kind that no message has
        return value

    def store_config(self) -> StoreConfig:
        return StoreConfig.from_env(self.store, self.database_url)

    def application_env(self) -> dict[str, str]:
        """``eventsourcing`` settings every application of this process gets."""
        return {
            "POSTGRES_POOL_SIZE": str(self.pool_size),
            "POSTGRES_MAX_OVERFLOW": str(self.pool_max_overflow),
            # a request must not wait forever for the table lock of a busy log
            "POSTGRES_LOCK_TIMEOUT": "10",
            "POSTGRES_PRE_PING": "y",
        }

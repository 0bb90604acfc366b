"""Where each application's event log lives, and how its values are stored.

Every application (the clearinghouse and each registry) has its own log
(DESIGN.md, principle 1). The store is chosen once for all of them:

* ``sqlite`` (the embedded default): a directory holding one SQLite file per
  application, ``<dir>/<application>.sqlite``;
* ``memory``: nothing persists (unit tests);
* ``postgres``: one database, one table per application, through the
  ``eventsourcing.postgres`` module (tables are named after the application,
  e.g. ``registry_kr_ets_events``).

The choice comes from ``--store``/``--database-url`` on the command line or
``CLEARINGHOUSE_STORE`` / ``CLEARINGHOUSE_DATABASE_URL`` in the environment.
"""

from __future__ import annotations

import os
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlparse

from eventsourcing.persistence import JSONTranscoder, Transcoding
from pydantic import BaseModel, ConfigDict

from clearinghouse.units import Block

DEFAULT_STORE_DIR = "clearinghouse-store"


class StoreConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["sqlite", "memory", "postgres"] = "sqlite"
    path: Path = Path(DEFAULT_STORE_DIR)
    database_url: str | None = None

    @classmethod
    def from_env(cls, store: str | None = None, database_url: str | None = None) -> StoreConfig:
        """Command-line options first, then the environment, then the default."""
        url = database_url or os.environ.get("CLEARINGHOUSE_DATABASE_URL")
        if url:
            return cls(kind="postgres", database_url=url)
        where = store or os.environ.get("CLEARINGHOUSE_STORE") or DEFAULT_STORE_DIR
        if where == ":memory:":
            return cls(kind="memory")
        return cls(kind="sqlite", path=Path(where))

    @classmethod
    def memory(cls) -> StoreConfig:
        return cls(kind="memory")

    def describe(self) -> str:
        if self.kind == "sqlite":
            return f"SQLite files in {self.path}/"
        if self.kind == "postgres":
            parsed = urlparse(self.database_url or "")
            return f"PostgreSQL {parsed.hostname}:{parsed.port or 5432}{parsed.path}"
        return "in memory (nothing is kept)"

    def env_for(self, app_name: str) -> dict[str, str]:
        """The ``eventsourcing`` environment for one application."""
        env = {"SINGLE_ROW_TRACKING": "n"}  # out-of-order deliveries must not look like duplicates
        if self.kind == "memory":
            env["PERSISTENCE_MODULE"] = "eventsourcing.popo"
        elif self.kind == "sqlite":
            self.path.mkdir(parents=True, exist_ok=True)
            env["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
            env["SQLITE_DBNAME"] = str(self.path / f"{app_name.lower()}.sqlite")
            env["SQLITE_LOCK_TIMEOUT"] = "30"
        else:
            env.update(postgres_env(self.database_url or ""))
        return env


def postgres_env(url: str) -> dict[str, str]:
    """``postgresql://user:password@host:port/dbname[?schema=name]`` as eventsourcing
    settings. A schema named in the URL is created on first use."""
    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"not a PostgreSQL URL: {url!r}")
    schema = parse_qs(parsed.query).get("schema", [""])[0]
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parsed.path.lstrip("/") or "postgres",
        "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parsed.port or 5432),
        "POSTGRES_USER": unquote(parsed.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parsed.password or ""),
        # Not POSTGRES_ENABLE_DB_FUNCTIONS: in eventsourcing 9.5.6 its insert
        # function is named per schema (es_insert_events_uuid), not per table, so
        # applications sharing a schema overwrite each other's and one app's
        # events land in another's table (found by tests/test_persistence.py).
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
    }
    if schema:
        _create_schema(env, schema)
        env["POSTGRES_SCHEMA"] = schema
    return env


def _create_schema(env: dict[str, str], schema: str) -> None:
    import psycopg  # only with the postgres extra
    from psycopg import sql

    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        autocommit=True,
    ) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


# -- transcodings: the value types our events carry ------------------------------


class BlockAsList(Transcoding):
    type = Block
    name = "block"

    def encode(self, obj: Block) -> list[Any]:
        return [obj.registry, obj.unit_type, obj.vintage, obj.first, obj.last]

    def decode(self, data: list[Any]) -> Block:
        return Block(*data)


class FractionAsStr(Transcoding):
    type = Fraction
    name = "fraction"

    def encode(self, obj: Fraction) -> str:
        return str(obj)

    def decode(self, data: str) -> Fraction:
        return Fraction(data)


class DateAsISO(Transcoding):
    type = date
    name = "date"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class SetAsSortedList(Transcoding):
    type = set
    name = "set"

    def encode(self, obj: set[Any]) -> list[Any]:
        return sorted(obj)

    def decode(self, data: list[Any]) -> set[Any]:
        return set(data)


def register_transcodings(transcoder: JSONTranscoder) -> None:
    for transcoding in (BlockAsList(), FractionAsStr(), DateAsISO(), SetAsSortedList()):
        transcoder.register(transcoding)

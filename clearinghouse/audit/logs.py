"""The logs of one store, opened to read — what every audit service works on.

An auditor's tool must not change what it audits: it must not deliver pending
messages, open system accounts or create tables. So the logs are opened here as
plain ``eventsourcing`` applications (:class:`ReadOnlyLog`: the application's
name and store settings, every transcoding the project uses, ``CREATE_TABLE=n``)
and read through their recorders, never through the clearinghouse's or a
registry's application class. The same code reads SQLite and PostgreSQL.

Which logs a store has comes from the store itself, not from the clearinghouse's
log (which an auditor is checking): every ``*.sqlite`` file of a SQLite store,
every ``*_events`` table of the PostgreSQL schema. An in-memory store cannot be
listed: audit an :class:`~clearinghouse.system.EmbeddedSystem` then.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder

from clearinghouse.application import CLEARINGHOUSE, EntryAsList, ItmoTagAsDict
from clearinghouse.audit.anchors import AUDIT, AuditApplication
from clearinghouse.store import StoreConfig, postgres_env, register_transcodings
from clearinghouse.system import EmbeddedSystem

PAGE = 2000


class ReadOnlyLog(Application[UUID]):
    """One application's log, opened to read."""

    def __init__(self, name: str, store: StoreConfig) -> None:
        self.name = name
        env = store.env_for(name)
        env["CREATE_TABLE"] = "n"
        env["POSTGRES_POOL_SIZE"] = "1"  # one reader: a pool of five idles four connections
        super().__init__(env=env)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_transcodings(transcoder)
        transcoder.register(EntryAsList())
        transcoder.register(ItmoTagAsDict())


class Logs:
    """The applications' logs of one store, and its audit log.

    Make one with :meth:`of` from a ``StoreConfig`` (SQLite or PostgreSQL) or an
    ``EmbeddedSystem`` (any store, memory included); close it when done (it is
    a context manager)."""

    def __init__(
        self,
        store: StoreConfig,
        apps: dict[str, Application[Any]] | None = None,
        audit: AuditApplication | None = None,
    ) -> None:
        self.store = store
        self._given = apps is not None
        self._apps: dict[str, Application[Any]] = dict(apps or {})
        self._audit = audit
        self._owned: list[Application[Any]] = []

    @classmethod
    def of(
        cls, source: StoreConfig | EmbeddedSystem, audit: AuditApplication | None = None
    ) -> Logs:
        if isinstance(source, EmbeddedSystem):
            return cls(source.store, {app.name: app for app in source.apps()}, audit)
        if source.kind == "memory":
            raise ValueError("an in-memory store cannot be opened again: audit its system")
        return cls(source, audit=audit)

    # -- which logs ----------------------------------------------------------------

    def names(self) -> list[str]:
        """Every application log of the store except the audit log, clearinghouse first."""
        if self._given:
            found = set(self._apps)
        elif self.store.kind == "sqlite":
            found = {p.stem.upper() for p in self.store.path.glob("*.sqlite") if _is_log(p)}
        else:
            found = set(_postgres_logs(self.store.database_url or ""))
        found.discard(AUDIT)
        return sorted(found, key=lambda n: (n != CLEARINGHOUSE, n))

    def has(self, name: str) -> bool:
        return name in self.names()

    def app(self, name: str) -> Application[Any]:
        """The log of ``name``, to read (opened on first use)."""
        if name not in self._apps:
            if self._given or not self.has(name):
                raise KeyError(f"no log {name!r} in {self.store.describe()}")
            log = ReadOnlyLog(name, self.store)
            self._owned.append(log)
            self._apps[name] = log
        return self._apps[name]

    def registries(self) -> list[str]:
        """The registry logs (``REGISTRY_<code>``), as registry codes."""
        return [n.removeprefix("REGISTRY_") for n in self.names() if n.startswith("REGISTRY_")]

    @property
    def audit(self) -> AuditApplication:
        """The audit log (created on first use, in the same store)."""
        if self._audit is None:
            self._audit = AuditApplication(self.store)
            self._owned.append(self._audit)
        return self._audit

    # -- reading ---------------------------------------------------------------------

    def rows(self, name: str, start: int = 1, stop: int | None = None) -> Iterator[Any]:
        """The stored events of one log in recording order, in pages (constant memory)."""
        recorder = self.app(name).recorder
        while True:
            page = recorder.select_notifications(start=start, limit=PAGE, stop=stop)
            if not page:
                return
            yield from page
            start = page[-1].id + 1

    def pages(self, name: str, start: int = 1, stop: int | None = None) -> Iterator[Any]:
        """Like :meth:`rows`, a page at a time (for the hash chain's tight loop)."""
        recorder = self.app(name).recorder
        while True:
            page = recorder.select_notifications(start=start, limit=PAGE, stop=stop)
            if not page:
                return
            yield page
            start = page[-1].id + 1

    def events(
        self, name: str, start: int = 1, stop: int | None = None
    ) -> Iterator[tuple[int, Any]]:
        """``(position, domain event)`` pairs, decoded with the log's mapper."""
        mapper = self.mapper(name)
        for row in self.rows(name, start, stop):
            yield row.id, mapper.to_domain_event(row)

    def mapper(self, name: str) -> Any:
        """What turns the log's stored events back into domain events."""
        return self.app(name).mapper

    def position(self, name: str) -> int:
        return self.app(name).recorder.max_notification_id() or 0

    def close(self) -> None:
        for app in self._owned:
            app.close()
        self._owned.clear()

    def __enter__(self) -> Logs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_log(path: Path) -> bool:
    """Whether a SQLite file holds an ``eventsourcing`` log (other tools may keep
    files of their own in the store directory)."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'stored_events'"
            ).fetchone()
    except sqlite3.Error:
        return False
    return found is not None


def _postgres_logs(url: str) -> list[str]:
    """Application names from the ``<name>_events`` tables of the URL's schema."""
    import psycopg  # only with the postgres extra

    env = postgres_env(url)
    schema = parse_qs(urlparse(url).query).get("schema", ["public"])[0]
    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
    ) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = %s AND table_name LIKE %s",
            (schema, "%\\_events"),
        ).fetchall()
    return sorted(str(r[0]).removesuffix("_events").upper() for r in rows)

"""The audit log: checkpoints that anchor each application's hash chain, and heads.

Checkpoints live in an application of their own (``AUDIT``: ``audit.sqlite`` in
a SQLite store, table ``audit_events`` in PostgreSQL), not in the logs they
anchor. Written into a registry's own log, a checkpoint would be one more event
of the chain it anchors, the audit tool would have to write into logs it only
reads, and an auditor could not keep the anchors somewhere the operator cannot
reach. Here the audited logs stay untouched and the audit log can be copied,
published or kept by the auditor.

* :class:`ChainSegment` — one per checkpointed run of one log (at most
  ``segment_size`` events): positions, chain values, identities
  (:class:`~clearinghouse.audit.hashchain.Segment`).
* :class:`ChainTip` — one per audited log: how far it is anchored, its chain
  value there, and its segments in order.
* :class:`HeadRecord` — a *head*: every log's anchored position and chain value
  at one moment, and the SHA-256 digest of that list, the short string an
  operator publishes (``clearinghouse audit head``).
"""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import get_topic

from clearinghouse.audit.hashchain import Segment
from clearinghouse.store import StoreConfig, register_transcodings

AUDIT = "AUDIT"


def tip_id(application: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"clearinghouse:audit/tip/{application}")


def segment_id(application: str, first: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"clearinghouse:audit/segment/{application}/{first}")


def head_id(digest: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"clearinghouse:audit/head/{digest}")


class ChainSegment(Aggregate):
    """A checkpointed run of one log; never changes once recorded."""

    @staticmethod
    def create_id(application: str, first: int, **_: Any) -> UUID:
        return segment_id(application, first)

    @event("Anchored")
    def __init__(self, application: str, first: int, segment: dict[str, Any]) -> None:
        self.application = application
        self.first = first
        self.segment = segment

    def as_segment(self) -> Segment:
        return Segment.from_json(self.segment)


class ChainTip(Aggregate):
    """How far one log is anchored."""

    @staticmethod
    def create_id(application: str) -> UUID:
        return tip_id(application)

    @event("Started")
    def __init__(self, application: str, genesis: str) -> None:
        self.application = application
        self.position = 0
        self.head = genesis
        self.events = 0
        self.segments: list[int] = []  # first position of each segment, in order

    @event("Advanced")
    def advance(self, first: int, last: int, count: int, head: str) -> None:
        self.segments.append(first)
        self.position = last
        self.events += count
        self.head = head


def head_digest(logs: dict[str, tuple[int, str]]) -> str:
    """The digest of a head: one line per log, ``<application> <position> <chain
    value>``, sorted by application; SHA-256 of those lines, hex."""
    lines = "".join(f"{app} {pos} {value}\n" for app, (pos, value) in sorted(logs.items()))
    return hashlib.sha256(f"clearinghouse-audit-head/v1\n{lines}".encode()).hexdigest()


class HeadRecord(Aggregate):
    """A head as recorded when the checkpoints were taken."""

    @staticmethod
    def create_id(digest: str, **_: Any) -> UUID:
        return head_id(digest)

    @event("Recorded")
    def __init__(self, digest: str, logs: dict[str, list[Any]]) -> None:
        self.digest = digest
        self.logs = logs  # application -> [position, chain value hex]


class AuditApplication(Application[UUID]):
    """The audit log of one store."""

    name = AUDIT
    snapshotting_intervals = {ChainTip: 100}  # noqa: RUF012 - library convention

    def __init__(self, store: StoreConfig | None = None) -> None:
        self.store = store or StoreConfig.memory()
        env = self.store.env_for(self.name)
        env["POSTGRES_POOL_SIZE"] = "1"  # written by one audit command at a time
        super().__init__(env=env)

    def register_transcodings(self, transcoder: Any) -> None:
        super().register_transcodings(transcoder)
        register_transcodings(transcoder)

    def tip(self, application: str) -> ChainTip | None:
        try:
            found: ChainTip = self.repository.get(tip_id(application))
        except AggregateNotFoundError:
            return None
        return found

    def tips(self) -> list[ChainTip]:
        """Every anchored log's tip, by application name (reads only the tips'
        first events, not the segments)."""
        topic = get_topic(ChainTip.Started)  # type: ignore[attr-defined]
        names: list[str] = []
        start = 1
        while page := self.recorder.select_notifications(start, 500, topics=[topic]):
            started: list[Any] = [self.mapper.to_domain_event(n) for n in page]
            names += [e.application for e in started]
            start = page[-1].id + 1
        found = [self.tip(name) for name in sorted(names)]
        return [t for t in found if t is not None]

    def segment(self, application: str, first: int) -> Segment | None:
        try:
            found: ChainSegment = self.repository.get(segment_id(application, first))
        except AggregateNotFoundError:
            return None
        return found.as_segment()

    def head(self, digest: str) -> HeadRecord | None:
        try:
            found: HeadRecord = self.repository.get(head_id(digest))
        except AggregateNotFoundError:
            return None
        return found

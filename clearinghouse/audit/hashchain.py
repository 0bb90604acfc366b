"""The SHA-256 hash chain over one application's log (pure: no I/O).

Each stored event, in recording order, is chained to the one before it::

    h_0 = SHA-256("clearinghouse-audit/v1" 0x00 application name)
    h_p = SHA-256(h_prev || u64 position || u8 len(id) || id || u64 version
                  || u32 len(topic) || topic || state)

so ``h_p`` covers every stored event's identity (originator id and version),
topic and state, and its log position, up to ``p``. The state is hashed as
stored: compressed or encrypted bytes are covered as they are. Binding the
application's name into ``h_0`` means a log copied under another name does not
verify.

A :class:`Segment` is what a checkpoint anchors: for a run of consecutive
events, each one's position, chain value and a short *identity* (the first 8
bytes of its originator id and its version): the chain values locate the first
bad position, the identities tell a modified event from an inserted, moved or
deleted one. :class:`ChainCheck` streams a log against its segments in
constant memory (one segment at a time) and reports findings with their
positions; see docs/audit.md.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

VERSION = "clearinghouse-audit/v1"
HASH_SIZE = 32
IDENTITY_SIZE = 12
_HEAD_UUID = struct.Struct(">QB16sQ")
_IDENT = struct.Struct(">8sI")


class StoredRow(Protocol):
    """What the chain covers of a stored event: an ``eventsourcing`` Notification,
    or a line of an evidence pack."""

    @property
    def id(self) -> int: ...
    @property
    def originator_id(self) -> UUID | str: ...
    @property
    def originator_version(self) -> int: ...
    @property
    def topic(self) -> str: ...
    @property
    def state(self) -> bytes: ...


def genesis(application: str) -> bytes:
    return hashlib.sha256(f"{VERSION}\0{application}".encode()).digest()


_topics: dict[str, bytes] = {}


def _topic(topic: str) -> bytes:
    encoded = _topics.get(topic)
    if encoded is None:
        raw = topic.encode()
        encoded = _topics[topic] = len(raw).to_bytes(4, "big") + raw
    return encoded


def _id_bytes(originator_id: UUID | str) -> bytes:
    return originator_id.bytes if isinstance(originator_id, UUID) else str(originator_id).encode()


def content(row: StoredRow) -> bytes:
    """What follows ``h_prev`` in the hash input of ``row``."""
    oid = row.originator_id
    if isinstance(oid, UUID):
        head = _HEAD_UUID.pack(row.id, 16, oid.bytes, row.originator_version)
    else:
        raw = str(oid).encode()
        head = (
            row.id.to_bytes(8, "big")
            + len(raw).to_bytes(1, "big")
            + raw
            + row.originator_version.to_bytes(8, "big")
        )
    state = row.state
    if not isinstance(state, bytes):  # a hand-edited row may hold text or a view
        state = state.encode() if isinstance(state, str) else bytes(state)
    return b"".join((head, _topic(row.topic), state))


def link(previous: bytes, row: StoredRow) -> bytes:
    return hashlib.sha256(previous + content(row)).digest()


def identity(row: StoredRow) -> bytes:
    return _IDENT.pack(_id_bytes(row.originator_id)[:8], row.originator_version & 0xFFFFFFFF)


def describe_identity(ident: bytes) -> str:
    prefix, version = _IDENT.unpack(ident)
    return f"{prefix.hex()}… v{version}"


def chain(application: str, rows: Iterable[StoredRow], previous: bytes | None = None) -> bytes:
    """The chain value after ``rows`` (from ``h_0``, or from ``previous``)."""
    h = genesis(application) if previous is None else previous
    for row in rows:
        h = link(h, row)
    return h


# -- segments: what a checkpoint anchors ------------------------------------------------


def runs(positions: Sequence[int]) -> list[list[int]]:
    """Increasing positions as ``[first, last]`` runs (PostgreSQL logs may have gaps)."""
    out: list[list[int]] = []
    for p in positions:
        if out and out[-1][1] + 1 == p:
            out[-1][1] = p
        else:
            out.append([p, p])
    return out


def expand(position_runs: Iterable[Sequence[int]]) -> list[int]:
    return [p for first, last in position_runs for p in range(first, last + 1)]


@dataclass(frozen=True)
class Segment:
    """A checkpointed run of one log: positions, chain values and identities.

    ``previous`` is the chain value before the segment (``h_0`` for the first),
    so consecutive segments link: a segment removed from the audit log, or
    edited, breaks that link or its own values (AUD-014)."""

    application: str
    previous: bytes
    positions: tuple[int, ...]
    values: bytes  # HASH_SIZE bytes per event
    identities: bytes  # IDENTITY_SIZE bytes per event

    def __post_init__(self) -> None:
        n = len(self.positions)
        if n == 0 or len(self.values) != n * HASH_SIZE or len(self.identities) != n * IDENTITY_SIZE:
            raise ValueError(f"malformed checkpoint segment of {self.application}")

    @property
    def first(self) -> int:
        return self.positions[0]

    @property
    def last(self) -> int:
        return self.positions[-1]

    @property
    def count(self) -> int:
        return len(self.positions)

    @property
    def head(self) -> bytes:
        return self.values[-HASH_SIZE:]

    def value(self, i: int) -> bytes:
        return self.values[i * HASH_SIZE : (i + 1) * HASH_SIZE]

    def identity(self, i: int) -> bytes:
        return self.identities[i * IDENTITY_SIZE : (i + 1) * IDENTITY_SIZE]

    def as_json(self) -> dict[str, Any]:
        """The form stored in the audit log and in evidence packs."""
        return {
            "application": self.application,
            "first": self.first,
            "last": self.last,
            "count": self.count,
            "previous": self.previous.hex(),
            "head": self.head.hex(),
            "positions": runs(self.positions),
            "values": base64.b64encode(self.values).decode(),
            "identities": base64.b64encode(self.identities).decode(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Segment:
        segment = cls(
            application=data["application"],
            previous=bytes.fromhex(data["previous"]),
            positions=tuple(expand(data["positions"])),
            values=base64.b64decode(data["values"]),
            identities=base64.b64decode(data["identities"]),
        )
        if segment.head.hex() != data["head"] or segment.count != data["count"]:
            raise ValueError(f"checkpoint segment of {segment.application} is inconsistent")
        return segment


@dataclass
class SegmentBuilder:
    """Chains rows on from ``previous`` and cuts them into segments of ``size``."""

    application: str
    previous: bytes
    size: int = 10_000
    _positions: list[int] = field(default_factory=list)
    _values: list[bytes] = field(default_factory=list)
    _identities: list[bytes] = field(default_factory=list)

    @property
    def head(self) -> bytes:
        return self._values[-1] if self._values else self.previous

    def add(self, row: StoredRow) -> Segment | None:
        """Chain one more row; returns a full segment when one is complete."""
        self._values.append(link(self.head, row))
        self._positions.append(row.id)
        self._identities.append(identity(row))
        return self.cut() if len(self._positions) >= self.size else None

    def cut(self) -> Segment | None:
        """The segment of everything added since the last cut (None if nothing)."""
        if not self._positions:
            return None
        segment = Segment(
            self.application,
            self.previous,
            tuple(self._positions),
            b"".join(self._values),
            b"".join(self._identities),
        )
        self.previous = segment.head
        self._positions, self._values, self._identities = [], [], []
        return segment


# -- checking a log against its segments -----------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One thing wrong, at one position: ``code`` is an AUD check code."""

    code: str
    position: int
    facts: dict[str, Any]


@dataclass
class ChainResult:
    application: str
    events: int = 0
    anchored_through: int = 0  # last position the checkpoints cover
    anchored_events: int = 0
    unanchored: int = 0  # events after the last checkpoint
    segments: int = 0
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # findings per code, all of them
    position: int = 0  # last position of the log as it is
    head: bytes = b""  # chain value of the log as it is, at ``position``
    watched: dict[int, bytes | None] = field(default_factory=dict)  # position -> chain value

    @property
    def intact(self) -> bool:
        return not self.counts

    @property
    def first_bad(self) -> Finding | None:
        return min(self.findings, key=lambda f: f.position) if self.findings else None


class ChainCheck:
    """Streams one log against its checkpoint segments.

    Feed the log's rows in recording order (:meth:`feed`, any page size), then
    :meth:`finish`. Memory holds one segment (and its neighbours, to recognise
    events moved across a segment boundary), whatever the log's size. Each
    anchored event is checked on its own against the expected chain value before
    it, so every bad position is found, not only the first.
    """

    def __init__(
        self,
        application: str,
        segments: Iterable[Segment],
        watch: Iterable[int] = (),
        keep: int = 100,
    ) -> None:
        self.result = ChainResult(application)
        self.result.watched = dict.fromkeys(watch)
        self._watch = set(self.result.watched)
        self._keep = keep
        self._segments: Iterator[Segment] = iter(segments)
        self._after: Segment | None = next(self._segments, None)  # read one ahead
        self._segment: Segment | None = None
        self._before: Segment | None = None
        self._i = 0
        self._expected_prev = genesis(application)
        self._actual = self._expected_prev
        self._in_sync = True
        self._where: dict[bytes, int] | None = None
        self._unanchored_below = 0
        self._next_segment()

    # -- the expected side ----------------------------------------------------------------

    def _next_segment(self) -> None:
        following, self._after = self._after, next(self._segments, None)
        if following is not None:
            last = self._segment.last if self._segment else 0
            if following.previous != self._expected_prev or following.first <= last:
                self._record(
                    "AUD-014",
                    following.first,
                    application=self.result.application,
                    position=following.first,
                    reason="it does not continue the segment before it "
                    "(a checkpoint was removed or edited)",
                )
                # Check on from what this segment claims; the events before it
                # count as unanchored, not as inserted.
                self._expected_prev = following.previous
                self._in_sync = self._actual == following.previous
                self._unanchored_below = following.first
            self.result.segments += 1
            self.result.anchored_through = following.last
        self._before, self._segment, self._i = self._segment, following, 0
        self._where = None

    @property
    def _expected_position(self) -> int | None:
        return self._segment.positions[self._i] if self._segment else None

    def _advance(self) -> None:
        assert self._segment is not None
        self._expected_prev = self._segment.value(self._i)
        self.result.anchored_events += 1
        self._i += 1
        if self._i == self._segment.count:
            self._next_segment()

    def _anchored_at(self, ident: bytes) -> int | None:
        """Where the checkpoints put the event with this identity (this segment or
        a neighbour)."""
        if self._where is None:
            self._where = {}
            for seg in (self._before, self._segment, self._after):
                if seg is not None:
                    for i, p in enumerate(seg.positions):
                        self._where[seg.identity(i)] = p
        return self._where.get(ident)

    # -- findings -----------------------------------------------------------------------

    def _record(self, code: str, at: int, **facts: Any) -> None:
        counts = self.result.counts
        counts[code] = counts.get(code, 0) + 1
        if len(self.result.findings) < self._keep:
            self.result.findings.append(Finding(code, at, facts))

    def _unexpected(self, row: StoredRow, expected: bytes | None) -> None:
        """``row`` is not what the checkpoints anchored at its position."""
        app = self.result.application
        ident = identity(row)
        if expected is not None and ident == expected:
            self._record("AUD-010", row.id, application=app, position=row.id, topic=row.topic)
            return
        origin = self._anchored_at(ident)
        if origin is not None and origin != row.id:
            self._record(
                "AUD-013", row.id, application=app, position=row.id, origin=origin, topic=row.topic
            )
        else:
            self._record(
                "AUD-012",
                row.id,
                application=app,
                position=row.id,
                identity=describe_identity(ident),
                topic=row.topic,
            )

    # -- the stream ---------------------------------------------------------------------

    def feed(self, rows: Iterable[StoredRow]) -> None:
        result = self.result
        sha256 = hashlib.sha256
        for row in rows:
            p = row.id
            while self._segment is not None and self._segment.positions[self._i] < p:
                missing = self._segment.positions[self._i]
                self._record("AUD-011", missing, application=result.application, position=missing)
                self._in_sync = False
                self._advance()
            data = content(row)
            segment = self._segment
            if segment is not None and segment.positions[self._i] == p:
                expected = segment.value(self._i)
                h = sha256(self._expected_prev + data).digest()
                if h != expected:
                    self._unexpected(row, segment.identity(self._i))
                if self._in_sync:
                    self._actual = h
                    self._in_sync = h == expected
                else:
                    self._actual = sha256(self._actual + data).digest()
                self._advance()
            else:
                if segment is not None and p >= self._unanchored_below:
                    # a position the checkpoints do not have
                    self._unexpected(row, None)
                    self._in_sync = False
                else:
                    result.unanchored += 1
                self._actual = sha256(self._actual + data).digest()
            result.events += 1
            result.position = p
            if p in self._watch:
                result.watched[p] = self._actual

    def finish(self) -> ChainResult:
        while self._segment is not None:  # anchored events at the end are gone
            missing = self._segment.positions[self._i]
            self._record("AUD-011", missing, application=self.result.application, position=missing)
            self._advance()
        self.result.head = self._actual
        return self.result

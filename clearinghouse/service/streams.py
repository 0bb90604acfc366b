"""Redis Streams: the transport between the processes of a deployment.

**Streams.** One stream per application that publishes: one per registry
(``<prefix>:stream:REGISTRY_KR_ETS``: its proposals and reports, for the
clearinghouse) and one for the clearinghouse's decisions
(``<prefix>:stream:CLEARINGHOUSE``: verdicts, credit and return instructions,
completions, for the registries). Each stream is the source's outbox in log
order; an entry carries one :class:`~clearinghouse.messages.Envelope` (source,
log position, destination, message) as JSON.

**Consumer groups.** The group is the consuming application: ``CLEARINGHOUSE``
on every registry's stream, ``REGISTRY_<code>`` on the clearinghouse's stream
(a registry's group passes over decisions addressed to other registries). Any
number of processes may consume in one group: Redis hands each entry to one.

**Acknowledgement.** A consumer acknowledges an entry (``XACK``) only after the
application committed its effects together with the tracking record (source,
position) in one store transaction (:meth:`Participant.handle`). A crash before
the commit leaves the entry pending, and so does a crash between commit and
acknowledgement; either way it is delivered again. The redelivery has no
second effect: every step is idempotent by transaction id, and the tracking
record refuses a second commit of the same (source, position).

**Stuck entries.** An entry left pending longer than ``claim_idle_ms`` by a
consumer that died is taken over with ``XAUTOCLAIM``. An entry that failed
``max_deliveries`` times goes to the dead-letter stream ``<prefix>:dead`` with
the reason, and is acknowledged, so one poison message cannot stop a registry.

**Ordering.** Entries of one stream are read in order, but a reclaimed entry
may be handled after later ones. The protocol does not depend on it: every
message of a transaction is sent only after the previous step was committed by
its receiver (a registry is told ``TransferCompleted`` only after the
clearinghouse recorded the registry's own ``TransferDebited``), so two messages
about one transaction are never in flight at once.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast, get_args

import redis
from pydantic import ValidationError
from redis.typing import EncodableT, FieldT

from clearinghouse.messages import Envelope, Message
from clearinghouse.participant import Participant

log = logging.getLogger(__name__)

#: exit status of a worker stopped by the ``crash_after`` test hook
CRASH_EXIT = 70

#: every message kind of the contract (what a crash hook may name)
MESSAGE_KINDS = frozenset(
    cls.model_fields["kind"].default for cls in get_args(get_args(Message)[0])
)

Fields = dict[str, str]  # an entry as read (the client decodes to text)
Entry = dict[FieldT, EncodableT]  # an entry to write
Handler = Callable[[Envelope], None]


def stream_key(prefix: str, app_name: str) -> str:
    """The stream an application publishes to."""
    return f"{prefix}:stream:{app_name}"


def dead_key(prefix: str) -> str:
    return f"{prefix}:dead"


def connect(url: str) -> redis.Redis:
    """A Redis client that speaks text (every field we store is JSON or a number)."""
    return redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)


def fields_of(envelope: Envelope) -> Entry:
    return {
        "envelope": envelope.model_dump_json(),
        "destination": envelope.destination,
        "kind": envelope.message.kind,
        "position": str(envelope.position),
    }


@dataclass(frozen=True)
class CrashHook:
    """Testing only: the worker exits right after handling a message, before XACK,
    the worst moment for exactly-once (its effects and tracking are committed,
    the entry is still pending).

    Written ``kind`` or ``kind:transaction_id`` (``credit_instruction:x1``). A kind
    alone fires on the first message of that kind the worker handles, and that may
    be a *redelivery*: an older entry a killed worker left pending, reclaimed with
    ``XAUTOCLAIM`` before any new entry is read, whose handling commits nothing.
    Naming the transaction makes the moment exact.
    """

    kind: str
    transaction_id: str | None = None

    @classmethod
    def parse(cls, spec: str) -> CrashHook:
        kind, colon, transaction_id = spec.partition(":")
        if kind not in MESSAGE_KINDS:
            raise ValueError(
                f"{kind!r} is not a message kind; use one of "
                f"{', '.join(sorted(MESSAGE_KINDS))}, optionally followed by "
                f"':<transaction id>'"
            )
        if colon and not transaction_id:
            raise ValueError(f"{spec!r} names no transaction after ':'")
        return cls(kind, transaction_id or None)

    def matches(self, envelope: Envelope) -> bool:
        message = envelope.message
        return message.kind == self.kind and self.transaction_id in (None, message.transaction_id)

    def __str__(self) -> str:
        return f"{self.kind}:{self.transaction_id}" if self.transaction_id else self.kind


class RedisBus:
    """The bus interface of :mod:`clearinghouse.bus` over Redis Streams.

    ``publish`` appends an envelope to its source's stream; ``subscribe`` names
    the handler of a destination, which :meth:`consumer` wraps in a
    :class:`StreamConsumer`. The outbox relay (``relay.py``) publishes whole
    pages atomically with its cursor instead of one envelope at a time.
    """

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.redis = client
        self.prefix = prefix
        self.handlers: dict[str, Handler] = {}

    def publish(self, envelope: Envelope) -> None:
        self.redis.xadd(stream_key(self.prefix, envelope.source), fields_of(envelope))

    def subscribe(self, destination: str, handler: Handler) -> None:
        self.handlers[destination] = handler


class StreamConsumer:
    """Delivers the entries addressed to one application, in its consumer group."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        app: Participant,
        sources: Callable[[], Iterable[str]],
        consumer: str,
        *,
        block_ms: int = 1000,
        claim_idle_ms: int = 30_000,
        max_deliveries: int = 10,
        batch: int = 100,
        crash_after: CrashHook | str | None = None,
    ) -> None:
        self.redis = client
        self.prefix = prefix
        self.app = app
        self.group = app.name
        self.sources = sources
        self.consumer = consumer
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.max_deliveries = max_deliveries
        self.batch = batch
        self.crash_after = (
            CrashHook.parse(crash_after) if isinstance(crash_after, str) else crash_after
        )
        self.stats: Counter[str] = Counter()
        self._groups: set[str] = set()
        self._own_pending = True  # at start, finish what this consumer name left pending
        self._failures: Counter[str] = Counter()

    # -- the loop -------------------------------------------------------------------------

    def streams(self) -> list[str]:
        """The streams that may carry messages for this application (groups made on
        first sight, from the stream's beginning, so nothing published before this
        consumer existed is missed)."""
        keys = [stream_key(self.prefix, s) for s in self.sources()]
        for key in keys:
            if key not in self._groups:
                try:
                    self.redis.xgroup_create(key, self.group, id="0", mkstream=True)
                except redis.ResponseError as error:
                    if "BUSYGROUP" not in str(error):
                        raise
                self._groups.add(key)
        return keys

    def run_once(self, block: bool = True) -> int:
        """Reclaim stuck entries, retry this consumer's pending ones, then read new
        ones (waiting up to ``block_ms``). Returns how many entries were processed."""
        streams = self.streams()
        if not streams:
            if block:
                time.sleep(self.block_ms / 1000)
            return 0
        done = self._reclaim(streams)
        if self._own_pending:
            self._own_pending = False
            done += self._read(streams, "0", None)
        if not done:
            done += self._read(streams, ">", self.block_ms if block else None)
        return done

    def drain(self, rounds: int = 100) -> int:
        """Process until nothing is left (tests and tools; workers loop on run_once)."""
        total = 0
        for _ in range(rounds):
            done = self.run_once(block=False)
            total += done
            if not done:
                return total
        return total

    def _read(self, streams: list[str], from_id: str, block: int | None) -> int:
        reply = self.redis.xreadgroup(
            self.group,
            self.consumer,
            dict.fromkeys(streams, from_id),
            count=self.batch,
            block=block,
        )
        done = 0
        for stream, entries in cast(list[tuple[str, list[tuple[str, Fields]]]], reply or []):
            if from_id == "0" and len(entries) == self.batch:
                self._own_pending = True  # more of our pending entries than one batch
            for entry_id, fields in entries:
                if fields:  # a pending entry trimmed from the stream reads as empty
                    self._process(stream, entry_id, fields)
                else:
                    self.redis.xack(stream, self.group, entry_id)
                done += 1
        return done

    def _reclaim(self, streams: list[str]) -> int:
        done = 0
        for stream in streams:
            reply: list[Any] = self.redis.xautoclaim(
                stream,
                self.group,
                self.consumer,
                min_idle_time=self.claim_idle_ms,
                start_id="0-0",
                count=self.batch,
            )
            entries = cast(list[tuple[str, Fields]], reply[1])
            for entry_id, fields in entries:
                log.info("%s: reclaimed %s %s", self.group, stream, entry_id)
                self.stats["reclaimed"] += 1
                if self._deliveries(stream, entry_id) > self.max_deliveries:
                    self._dead(stream, entry_id, fields, "failed too many times")
                else:
                    self._process(stream, entry_id, fields)
                done += 1
        return done

    def _deliveries(self, stream: str, entry_id: str) -> int:
        pending = cast(
            list[dict[str, Any]],
            self.redis.xpending_range(stream, self.group, min=entry_id, max=entry_id, count=1),
        )
        return int(pending[0]["times_delivered"]) if pending else 0

    # -- one entry --------------------------------------------------------------------------

    def _process(self, stream: str, entry_id: str, fields: Fields) -> None:
        try:
            envelope = Envelope.model_validate_json(fields.get("envelope", ""))
        except ValidationError as error:
            self._dead(stream, entry_id, fields, f"not an envelope: {error.errors()[0]['msg']}")
            return
        if envelope.destination != self.app.name:
            self.redis.xack(stream, self.group, entry_id)
            self.stats["passed_over"] += 1
            return
        try:
            # effects and tracking in one store transaction; a redelivery changes nothing
            self.app.handle(envelope)
        except Exception as error:
            self._failures[entry_id] += 1
            self.stats["failed"] += 1
            log.exception("%s: %s failed (%s)", self.group, envelope.message_id, error)
            if self._failures[entry_id] >= self.max_deliveries:
                self._dead(stream, entry_id, fields, f"{type(error).__name__}: {error}")
            else:
                self._own_pending = True  # retry it on the next round
                time.sleep(min(0.1 * 2 ** self._failures[entry_id], 5))
            return
        if self.crash_after is not None and self.crash_after.matches(envelope):
            log.warning(
                "%s: crash_after=%s: handled %s %s (%s %s), exiting before XACK",
                self.group,
                self.crash_after,
                stream,
                entry_id,
                envelope.message.kind,
                envelope.message.transaction_id,
            )
            self._crash()
        self.redis.xack(stream, self.group, entry_id)
        self._failures.pop(entry_id, None)
        self.stats["handled"] += 1

    def _crash(self) -> None:
        """The crash hook's exit: immediate, no cleanup, like a kill -9 (tests replace it)."""
        os._exit(CRASH_EXIT)

    def _dead(self, stream: str, entry_id: str, fields: Fields, reason: str) -> None:
        log.error("%s: %s %s to the dead-letter stream: %s", self.group, stream, entry_id, reason)
        pipe = self.redis.pipeline(transaction=True)
        dead: Entry = dict(fields.items())
        dead.update(stream=stream, entry=entry_id, group=self.group, reason=reason)
        pipe.xadd(dead_key(self.prefix), dead)
        pipe.xack(stream, self.group, entry_id)
        pipe.execute()
        self._failures.pop(entry_id, None)
        self.stats["dead"] += 1

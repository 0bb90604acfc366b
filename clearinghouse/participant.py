"""What the clearinghouse and every registry application have in common.

Each is an ``eventsourcing`` application with its own log that

* consumes integration messages (:meth:`Participant.handle`), recording the
  message's origin and position as *tracking* in the same transaction as its
  effects, so a redelivered message has no second effect;
* publishes integration messages derived from its own domain events
  (:meth:`Participant.outbox`), read from its notification log by a relay
  (transactional outbox: an event and the message it implies are never apart).

Handlers run in a :class:`UnitOfWork`: aggregates are loaded once, changed
through their command methods, and saved together with the tracking record. A
write that loses an optimistic-concurrency race (``IntegrityError``) is retried
from a fresh load, which is how "exactly one of two concurrent transfers of the
same block wins" works in practice.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, ProcessRecorder, Tracking

from clearinghouse.messages import Envelope, Message
from clearinghouse.store import StoreConfig, register_transcodings

log = logging.getLogger(__name__)

A = TypeVar("A", bound=Aggregate)
MAX_ATTEMPTS = 20


class Contended(RuntimeError):
    """Every attempt lost a race with another writer: nothing was written; retry."""


class UnitOfWork:
    """Aggregates loaded or created while handling one command or message."""

    def __init__(self, app: Application[UUID]) -> None:
        self.app = app
        self.loaded: dict[UUID, Aggregate] = {}

    def get(self, cls: type[A], aggregate_id: UUID) -> A | None:
        if aggregate_id not in self.loaded:
            try:
                self.loaded[aggregate_id] = self.app.repository.get(aggregate_id)
            except AggregateNotFoundError:
                return None
        found = self.loaded[aggregate_id]
        assert isinstance(found, cls)
        return found

    def require(self, cls: type[A], aggregate_id: UUID, what: str) -> A:
        found = self.get(cls, aggregate_id)
        if found is None:
            raise LookupError(f"no {what}")
        return found

    def add(self, aggregate: A) -> A:
        self.loaded[aggregate.id] = aggregate
        return aggregate

    def pending(self) -> list[Aggregate]:
        return [a for a in self.loaded.values() if a.pending_events]


class Participant(Application[UUID]):
    """Base of the clearinghouse and registry applications."""

    def __init__(self, store: StoreConfig | None = None, env: dict[str, str] | None = None):
        store = store or StoreConfig.memory()
        self.store = store
        merged = store.env_for(self.name)
        merged.update(env or {})
        super().__init__(env=merged)

    # -- infrastructure --------------------------------------------------------

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_transcodings(transcoder)

    def construct_recorder(self) -> ProcessRecorder:
        # A process recorder stores tracking records atomically with events.
        return self.factory.process_recorder()

    @property
    def process_recorder(self) -> ProcessRecorder:
        assert isinstance(self.recorder, ProcessRecorder)
        return self.recorder

    def commit(self, uow: UnitOfWork, tracking: Tracking | None = None) -> None:
        """Save every changed aggregate (and the tracking record) in one transaction."""
        processing = ProcessingEvent[UUID](tracking=tracking)
        processing.collect_events(*uow.pending())
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)

    def run(self, work: Callable[[UnitOfWork], Any], tracking: Tracking | None = None) -> Any:
        """Run ``work`` in a fresh unit of work and commit it; retry on a lost race.

        Handlers are idempotent by transaction id: a step already taken changes
        nothing, so there is nothing to commit and no tracking is recorded. A
        duplicate delivered concurrently with the original loses the race on
        the tracking record, and its retry finds the step taken.
        """
        for attempt in range(1, MAX_ATTEMPTS + 1):
            uow = UnitOfWork(self)
            result = work(uow)
            if not uow.pending():
                return result
            try:
                self.commit(uow, tracking)
                return result
            except IntegrityError:
                log.debug("%s: concurrent write, attempt %d", self.name, attempt)
                # a random pause, growing, so that writers contending for one
                # aggregate (many requests on one account) do not collide again
                # in lockstep and starve one of them
                time.sleep(random.uniform(0, 0.002 * attempt))
        raise Contended(f"{self.name}: gave up after {MAX_ATTEMPTS} concurrent writes")

    # -- messaging ---------------------------------------------------------------

    def handle(self, envelope: Envelope) -> None:
        """Apply one delivered message; a redelivery has no second effect."""
        tracking = Tracking(envelope.source, envelope.position)
        self.run(lambda uow: self.apply(uow, envelope.message), tracking=tracking)

    def last_position(self, source: str) -> int:
        """The last position of ``source``'s log whose message took effect here."""
        return self.process_recorder.max_tracking_id(source) or 0

    def apply(self, uow: UnitOfWork, message: Message) -> None:
        """Take the step ``message`` asks for (subclasses dispatch on its kind)."""
        raise TypeError(f"{self.name} does not take {message.kind} messages")

    def outbox(self, event: Any) -> Iterator[tuple[str, Message]]:
        """The messages a domain event implies, as (destination, message) pairs."""
        return iter(())

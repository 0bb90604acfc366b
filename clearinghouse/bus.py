"""Transport of integration messages between applications.

:class:`Bus` is the small interface domain code never sees: applications only
produce messages (their outbox) and consume them (``handle``). The embedded
:class:`InProcessBus` delivers in the same process, in publication order; a
Redis Streams transport implements the same interface for one process per
registry (issue #7). Delivery is at-least-once on every transport; consumers
make it exactly-once in effect (see :mod:`clearinghouse.participant`).

:class:`Relay` is the outbox reader: it turns new notifications of one
application's log into envelopes and publishes them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Protocol

from clearinghouse.messages import Envelope
from clearinghouse.participant import Participant

Handler = Callable[[Envelope], None]


class Bus(Protocol):
    def publish(self, envelope: Envelope) -> None: ...

    def subscribe(self, destination: str, handler: Handler) -> None: ...


class UnknownDestination(LookupError):
    pass


class InProcessBus:
    """Queues envelopes and hands them to their destination's handler on :meth:`drain`."""

    def __init__(self) -> None:
        self.queue: deque[Envelope] = deque()
        self.handlers: dict[str, Handler] = {}
        self.delivered = 0

    def publish(self, envelope: Envelope) -> None:
        self.queue.append(envelope)

    def subscribe(self, destination: str, handler: Handler) -> None:
        self.handlers[destination] = handler

    def drain(self) -> int:
        """Deliver everything queued (and whatever handlers publish meanwhile)."""
        count = 0
        while self.queue:
            envelope = self.queue.popleft()
            handler = self.handlers.get(envelope.destination)
            if handler is None:
                raise UnknownDestination(f"no subscriber for {envelope.destination}")
            handler(envelope)
            count += 1
        self.delivered += count
        return count


class Relay:
    """Publishes the messages implied by an application's new log entries.

    It keeps one cursor per destination: the last position of the source's log
    whose messages that destination has been sent. A destination starts from
    what it has tracked itself (``Participant.last_position``), so a restart
    loses nothing; it may send some messages again, which consumers ignore.
    Messages for a destination not attached yet wait in the log until it is.
    """

    page_size = 500

    def __init__(self, app: Participant, bus: Bus) -> None:
        self.app = app
        self.bus = bus
        self.cursors: dict[str, int] = {}

    def attach(self, destination: str, position: int) -> None:
        self.cursors[destination] = position

    def publish_new(self) -> int:
        if not self.cursors:
            return 0
        published = 0
        start = min(self.cursors.values()) + 1
        while True:
            notifications = self.app.recorder.select_notifications(
                start=start, limit=self.page_size
            )
            if not notifications:
                return published
            for notification in notifications:
                event = self.app.mapper.to_domain_event(notification)
                for destination, message in self.app.outbox(event):
                    if self.cursors.get(destination, notification.id) >= notification.id:
                        continue  # sent before, or not attached yet
                    self.bus.publish(
                        Envelope(
                            source=self.app.name,
                            position=notification.id,
                            destination=destination,
                            message=message,
                        )
                    )
                    published += 1
                for destination, cursor in self.cursors.items():
                    self.cursors[destination] = max(cursor, notification.id)
            start = notifications[-1].id + 1

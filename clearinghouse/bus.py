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

    ``position`` is the last notification id already published. A restarted
    relay starts from what its consumers have tracked, so nothing is lost; it
    may publish some messages again, which consumers ignore.
    """

    page_size = 500

    def __init__(self, app: Participant, bus: Bus, position: int = 0) -> None:
        self.app = app
        self.bus = bus
        self.position = position

    def publish_new(self) -> int:
        published = 0
        while True:
            notifications = self.app.recorder.select_notifications(
                start=self.position + 1, limit=self.page_size
            )
            if not notifications:
                return published
            for notification in notifications:
                event = self.app.mapper.to_domain_event(notification)
                for destination, message in self.app.outbox(event):
                    self.bus.publish(
                        Envelope(
                            source=self.app.name,
                            position=notification.id,
                            destination=destination,
                            message=message,
                        )
                    )
                    published += 1
                self.position = notification.id

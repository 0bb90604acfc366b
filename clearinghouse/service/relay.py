"""The outbox relay: each application's notification log, published to its stream.

For every application of the deployment (the clearinghouse and each connected
registry, found in the clearinghouse's log as they connect) the relay reads
new notifications a page at a time, turns each into the messages it implies
(``Participant.outbox``, the same code the embedded system relays with), and
appends them to the application's stream.

**Resuming.** The relay's position in each log is a Redis key
(``<prefix>:relay:<APP>``). A page's entries and the new position are written in
one ``MULTI``/``EXEC`` transaction, so after a crash or restart the relay goes on
from exactly the last page it published: nothing is lost and nothing is
published twice. The transaction also ``WATCH``es the position, so if a second
relay runs by mistake, only one of them publishes each page (the other's
``EXEC`` fails and it reads the position again).

If the position is missing (a new Redis, or an existing store switching to
service mode) the relay starts from the beginning of each log; consumers see
what they already handled as duplicates, which change nothing.
"""

from __future__ import annotations

import logging
from collections import Counter

import redis

from clearinghouse.messages import Envelope
from clearinghouse.participant import Participant
from clearinghouse.service.streams import fields_of, stream_key
from clearinghouse.service.system import ServiceSystem

log = logging.getLogger(__name__)


def cursor_key(prefix: str, app_name: str) -> str:
    return f"{prefix}:relay:{app_name}"


class OutboxRelay:
    def __init__(
        self, client: redis.Redis, prefix: str, system: ServiceSystem, page: int = 200
    ) -> None:
        self.redis = client
        self.prefix = prefix
        self.system = system
        self.page = page
        self.stats: Counter[str] = Counter()

    def sources(self) -> list[Participant]:
        """The clearinghouse and every connected registry. Registries open plain: the
        outbox is the framework's (no adapter overrides it), and so a registry whose
        adapter this process could not stand up still has its messages relayed."""
        apps: list[Participant] = [self.system.clearinghouse]
        apps += [self.system.registry(code, native=False) for code in self.system.connected()]
        return apps

    def position(self, app_name: str) -> int:
        """The last log position of ``app_name`` whose messages are published."""
        value: bytes | str | None = self.redis.get(cursor_key(self.prefix, app_name))
        return int(value or 0)

    def publish_new(self) -> int:
        """Publish everything new in every log; returns how many messages."""
        published = 0
        for app in self.sources():
            while True:
                notifications, messages = self.publish_page(app)
                published += messages
                if notifications < self.page:
                    break
        return published

    def publish_page(self, app: Participant) -> tuple[int, int]:
        """Publish the next page of ``app``'s log atomically with the new position.
        Returns (notifications covered, messages published)."""
        key = cursor_key(self.prefix, app.name)
        stream = stream_key(self.prefix, app.name)
        with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(key)  # type: ignore[no-untyped-call]
                    current: bytes | str | None = pipe.get(key)
                    position = int(current or 0)
                    notifications = app.recorder.select_notifications(
                        start=position + 1, limit=self.page
                    )
                    if not notifications:
                        pipe.unwatch()
                        return 0, 0
                    envelopes = [
                        Envelope(
                            source=app.name,
                            position=n.id,
                            destination=destination,
                            message=message,
                        )
                        for n in notifications
                        for destination, message in app.outbox(app.mapper.to_domain_event(n))
                    ]
                    pipe.multi()
                    for envelope in envelopes:
                        pipe.xadd(stream, fields_of(envelope))
                    pipe.set(key, notifications[-1].id)
                    pipe.execute()
                except redis.WatchError:
                    self.stats["contended"] += 1
                    log.info("relay: %s position moved by another relay; reading it again", key)
                    continue
                self.stats["pages"] += 1
                self.stats["messages"] += len(envelopes)
                return len(notifications), len(envelopes)

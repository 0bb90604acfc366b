"""Reading an application's log: the one place projections touch storage.

Projections are pure folds over ``(position, event)`` pairs; this module turns
an application's notification log into such pairs, in recording order, in
pages (``select_notifications``; the notification log's own sections hold only
ten), so any log size streams in constant memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from eventsourcing.application import Application

PAGE = 1000


def read(
    app: Application[Any], start: int = 1, stop: int | None = None
) -> Iterator[tuple[int, Any]]:
    """Yield ``(position, domain event)`` from ``start`` up to ``stop`` (inclusive)."""
    position = start
    while True:
        page = app.recorder.select_notifications(start=position, limit=PAGE, stop=stop)
        if not page:
            return
        for notification in page:
            yield notification.id, app.mapper.to_domain_event(notification)
        position = page[-1].id + 1


def name_of(event: Any) -> str:
    """``Transaction.Completed`` for an event of class Completed on Transaction."""
    return type(event).__qualname__

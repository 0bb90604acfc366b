"""The applications of one service process, with delivery left to the transport.

:class:`ServiceSystem` is the :class:`~clearinghouse.system.EmbeddedSystem`
without its in-process bus: every process of a deployment (API, worker, relay)
opens the clearinghouse and whichever registries it needs over the shared
store, and messages travel over Redis Streams instead (``streams.py``,
``relay.py``). A registry is opened on first use, with the adapter and options
recorded when it connected (``adapters.catalogue.configured``), so every
process runs a jurisdiction's rules exactly as the process that created it did.
"""

from __future__ import annotations

import threading
from typing import Any

from eventsourcing.utils import get_topic

from adapters.base import RegistryApplication, RegistryConfig
from adapters.catalogue import configured
from clearinghouse.participant import Participant, UnitOfWork
from clearinghouse.parties import Jurisdiction, jurisdiction_id
from clearinghouse.store import StoreConfig
from clearinghouse.system import EmbeddedSystem

CONNECTED = get_topic(Jurisdiction.Connected)  # type: ignore[attr-defined]


class UnknownRegistry(LookupError):
    def __init__(self, code: str) -> None:
        super().__init__(f"no registry {code} is connected")
        self.code = code


class ServiceSystem(EmbeddedSystem):
    def __init__(self, store: StoreConfig, env: dict[str, str] | None = None) -> None:
        self._lock = threading.RLock()
        self._connected: list[str] = []
        self._seen = 0  # clearinghouse log position read for connections
        super().__init__(store, env)

    def _attach(self, app: Participant) -> None:
        """Nothing to wire in-process: the relay and consumers carry the messages."""

    def settle(self) -> int:
        return 0

    def add_registry(self, config: RegistryConfig, connect: bool = True) -> RegistryApplication:
        with self._lock:
            return super().add_registry(config, connect)

    def connected(self) -> list[str]:
        """Codes of the connected registries, in the order they connected. Reads only
        the clearinghouse's new ``Jurisdiction.Connected`` notifications, so other
        processes' connections show up on the next call."""
        with self._lock:
            while True:
                page = self.clearinghouse.recorder.select_notifications(
                    start=self._seen + 1, limit=500, topics=[CONNECTED]
                )
                if not page:
                    return list(self._connected)
                for notification in page:
                    event: Any = self.clearinghouse.mapper.to_domain_event(notification)
                    if event.code not in self._connected:
                        self._connected.append(event.code)
                self._seen = page[-1].id

    def jurisdiction(self, code: str) -> Jurisdiction | None:
        return UnitOfWork(self.clearinghouse).get(Jurisdiction, jurisdiction_id(code))

    def registry(self, code: str) -> RegistryApplication:
        """The registry's application, opened on first use with its recorded adapter."""
        with self._lock:
            if code in self.registries:
                return self.registries[code]
            jurisdiction = self.jurisdiction(code)
            if jurisdiction is None:
                raise UnknownRegistry(code)
            return self.add_registry(configured(jurisdiction), connect=False)

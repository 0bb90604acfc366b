"""The applications of one service process.

:class:`ServiceSystem` is the :class:`~clearinghouse.system.EmbeddedSystem`
with two differences:

* registries are opened on first use, with the adapter and options recorded
  when they connected (``adapters.catalogue.configured``), so every process
  runs a jurisdiction's rules exactly as the process that created it did;
* delivery is either the Redis transport's job (``in_process=False``: every
  process of a deployment opens what it needs over the shared store, and the
  relay and consumers carry the messages, ``relay.py`` and ``streams.py``) or,
  for a single process on one machine, the embedded in-process bus
  (``in_process=True``: the API settles after each command, under a lock).

It also keeps small indexes of what the clearinghouse's log created (registries,
Parties, agreements, authorizations), read incrementally by event topic, so
listing them does not replay the log and other processes' additions show up.
"""

from __future__ import annotations

import threading
from typing import Any

from eventsourcing.utils import get_topic

from adapters.base import RegistryApplication, RegistryConfig
from adapters.catalogue import configured
from clearinghouse.agreements import LinkageAgreement
from clearinghouse.authorizations import Authorization
from clearinghouse.participant import Participant, UnitOfWork
from clearinghouse.parties import Jurisdiction, Party, jurisdiction_id
from clearinghouse.service.ddl import creating_tables
from clearinghouse.store import StoreConfig
from clearinghouse.system import EmbeddedSystem

#: what the clearinghouse's log creates, by the event that creates it
CREATED = {
    "registries": get_topic(Jurisdiction.Connected),  # type: ignore[attr-defined]
    "parties": get_topic(Party.Registered),  # type: ignore[attr-defined]
    "agreements": get_topic(LinkageAgreement.Concluded),  # type: ignore[attr-defined]
    "authorizations": get_topic(Authorization.Granted),  # type: ignore[attr-defined]
}


class UnknownRegistry(LookupError):
    def __init__(self, code: str) -> None:
        super().__init__(f"no registry {code} is connected")
        self.code = code


class ServiceSystem(EmbeddedSystem):
    def __init__(
        self, store: StoreConfig, env: dict[str, str] | None = None, in_process: bool = False
    ) -> None:
        self.in_process = in_process
        self._lock = threading.RLock()
        self._codes: dict[str, list[str]] = {kind: [] for kind in CREATED}
        self._seen = dict.fromkeys(CREATED, 0)
        with creating_tables(store):
            super().__init__(store, env)
        if in_process:  # every registry attached, so the in-process bus reaches it
            for code in self.codes("registries"):
                self.registry(code)

    # -- delivery -------------------------------------------------------------------------

    def _attach(self, app: Participant) -> None:
        if self.in_process:
            super()._attach(app)

    def settle(self) -> int:
        if not self.in_process:
            return 0  # the relay and the stream consumers deliver
        with self._lock:
            return super().settle()

    @property
    def lock(self) -> threading.RLock:
        """Held around a command and its settling when delivering in process."""
        return self._lock

    # -- registries ---------------------------------------------------------------------------

    def add_registry(self, config: RegistryConfig, connect: bool = True) -> RegistryApplication:
        with self._lock:
            if config.code in self.registries:
                return self.registries[config.code]
            with creating_tables(self.store):
                return super().add_registry(config, connect)

    def connected(self) -> list[str]:
        """Codes of the connected registries, in the order they connected."""
        return self.codes("registries")

    def jurisdiction(self, code: str) -> Jurisdiction | None:
        return UnitOfWork(self.clearinghouse).get(Jurisdiction, jurisdiction_id(code))

    def registry(self, code: str, native: bool = True) -> RegistryApplication:
        """The registry's application, opened on first use with its recorded adapter
        (or, with ``native=False``, as a plain registry: enough to read its log and
        relay its messages, which the framework composes for every adapter)."""
        with self._lock:
            if code in self.registries:
                return self.registries[code]
            jurisdiction = self.jurisdiction(code)
            if jurisdiction is None:
                raise UnknownRegistry(code)
            return self.add_registry(configured(jurisdiction, native), connect=False)

    # -- indexes --------------------------------------------------------------------------------

    def codes(self, kind: str) -> list[str]:
        """Codes of what the clearinghouse's log created, of one ``kind`` (a key of
        :data:`CREATED`), in creation order; reads only new notifications."""
        with self._lock:
            known = self._codes[kind]
            while True:
                page = self.clearinghouse.recorder.select_notifications(
                    start=self._seen[kind] + 1, limit=500, topics=[CREATED[kind]]
                )
                if not page:
                    return list(known)
                for notification in page:
                    event: Any = self.clearinghouse.mapper.to_domain_event(notification)
                    if event.code not in known:
                        known.append(event.code)
                self._seen[kind] = page[-1].id

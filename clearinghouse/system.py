"""The embedded system: the clearinghouse and its registries in one process.

Applications never call each other. After every command the system *settles*:
each application's relay publishes the messages its new events imply, the
in-process bus delivers them, and that repeats until nothing new is written.
Relays start from what the consumers have already tracked, so reopening a store
resumes any transfer a crash interrupted, and never repeats one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from adapters.base import Receipt, RegistryApplication, RegistryConfig
from clearinghouse.application import ClearinghouseApplication
from clearinghouse.bus import InProcessBus, Relay
from clearinghouse.commands import AdapterSpec, ConnectRegistry
from clearinghouse.participant import Participant
from clearinghouse.parties import Jurisdiction
from clearinghouse.store import StoreConfig
from projections.holdings import fold
from projections.log import read


def connect_command(config: RegistryConfig) -> ConnectRegistry:
    """How a registry made from ``config`` connects, recording its standard adapter."""
    adapter = None
    if config.standard is not None:
        from adapters.catalogue import recordable

        options, unrecorded = recordable(config.standard, config.options)
        adapter = AdapterSpec(standard=config.standard, options=options, unrecorded=unrecorded)
    return ConnectRegistry(
        code=config.code,
        name=config.name,
        party=config.party,
        unit_types=list(config.unit_types),
        adapter=adapter,
    )


class EmbeddedSystem:
    def __init__(self, store: StoreConfig | None = None, env: dict[str, str] | None = None) -> None:
        self.store = store or StoreConfig.memory()
        #: extra ``eventsourcing`` settings for every application (e.g. pool sizes)
        self.env = dict(env or {})
        self.bus = InProcessBus()
        self.clearinghouse = ClearinghouseApplication(self.store, self.env)
        self.registries: dict[str, RegistryApplication] = {}
        self.relays: dict[str, Relay] = {}
        self._attach(self.clearinghouse)

    def _attach(self, app: Participant) -> None:
        """Subscribe ``app`` and wire its relay both ways with every other app."""
        self.bus.subscribe(app.name, app.handle)
        relay = self.relays[app.name] = Relay(app, self.bus)
        for other in self.apps():
            if other is not app:
                relay.attach(other.name, other.last_position(app.name))
                self.relays[other.name].attach(app.name, app.last_position(other.name))

    def add_registry(self, config: RegistryConfig, connect: bool = True) -> RegistryApplication:
        """Start (or reopen) a registry application and connect it to the clearinghouse."""
        if config.code in self.registries:
            return self.registries[config.code]
        registry = (config.application or RegistryApplication)(config, self.store, self.env)
        self.registries[config.code] = registry
        if connect:
            self.clearinghouse.connect_registry(connect_command(config))
        self._attach(registry)
        self.settle()
        return registry

    def reopen_registries(self, native: bool = False) -> list[str]:
        """Open the registries the clearinghouse's log says are connected (for
        tools that read a store they did not write, such as ``clearinghouse events``).

        By default they open as plain registries: enough to read every log, and
        opening one writes nothing. With ``native`` each opens with the adapter and
        options recorded when it connected (``adapters.catalogue.configured``), as
        a process that runs a jurisdiction's commands needs; registries with no
        record still open plain."""
        from adapters.catalogue import configured

        for jurisdiction in fold(read(self.clearinghouse), Jurisdiction).values():
            self.add_registry(configured(jurisdiction, native), connect=False)
        return list(self.registries)

    def registry(self, code: str) -> RegistryApplication:
        return self.registries[code]

    def settle(self) -> int:
        """Deliver messages until every application is quiet; returns how many."""
        delivered = 0
        while True:
            published = sum(relay.publish_new() for relay in self.relays.values())
            if not published:
                return delivered
            delivered += self.bus.drain()

    def do(self, registry: str, command: str, data: Any) -> Receipt:
        """Run a registry command, settle, and answer how the transaction ended."""
        app = self.registries[registry]
        receipt: Receipt = getattr(app, command)(data)
        self.settle()
        if receipt.code == "TXN-001":  # the id belongs to another transaction
            return receipt
        txn = app.transaction(
            receipt.transaction_id, "internal" if command == "transfer" else "out"
        )
        return app.receipt(txn) if txn is not None else receipt

    def apps(self) -> Iterable[Participant]:
        yield self.clearinghouse
        yield from self.registries.values()

    def close(self) -> None:
        for app in self.apps():
            app.close()

    def __enter__(self) -> EmbeddedSystem:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""Registry accounts and the units they hold, as blocks.

Account kinds follow the Kyoto and Article 6 registries (reference/
registries-and-reporting.md, "Account types seen"): ``holding`` accounts move
units; ``surrender``, ``retirement`` and ``cancellation`` accounts are where
units end, and nothing leaves them (check UNT-008). A registry may add kinds of
its own (e.g. China's MEE and provincial accounts) through its native rules.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from clearinghouse.checks import Refused
from clearinghouse.units import Block, BlockError, Holding

#: ``recovery`` holds allowances a compliance registry took back (over-allocation):
#: out of circulation, though still the registry's (adapters/compliance_registry.py)
TERMINAL_KINDS = ("surrender", "retirement", "cancellation", "recovery")
SYSTEM_ACCOUNTS = {
    "SURRENDER": "surrender",
    "RETIREMENT": "retirement",
    "CANCELLATION": "cancellation",
}


def account_id(registry: str, account: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"registry:{registry}/account/{account}")


class Account(Aggregate):
    @staticmethod
    def create_id(registry: str, account: str) -> UUID:
        return account_id(registry, account)

    @event("Opened")
    def __init__(self, registry: str, account: str, kind: str, holder: str) -> None:
        self.registry = registry
        self.account = account
        self.kind = kind
        self.holder = holder
        self.available = Holding()
        self.held: dict[str, tuple[Block, ...]] = {}

    @property
    def terminal(self) -> bool:
        return self.kind in TERMINAL_KINDS

    def select(
        self, quantity: int, unit_type: str | None = None, vintage: int | None = None
    ) -> list[Block]:
        """Pick units by quantity (oldest vintage, lowest serial first)."""
        self.check_spendable()
        try:
            return self.available.select(quantity, unit_type, vintage)
        except BlockError:
            raise Refused(
                "UNT-006",
                account=self.account,
                quantity=quantity,
                available=self.available.quantity(unit_type, vintage),
            ) from None

    def check_spendable(self, blocks: list[Block] | None = None) -> None:
        if self.terminal:
            raise Refused("UNT-008", account=self.account, kind=self.kind)
        if blocks is not None and not self.available.holds_all(blocks):
            missing = [b for b in blocks if not self.available.holds(b)]
            raise Refused(
                "UNT-002", blocks=", ".join(map(str, missing)), holder=f"account {self.account}"
            )

    def credit(self, transaction: str, blocks: list[Block]) -> None:
        self._credited(transaction, blocks)

    def hold(self, transaction: str, blocks: list[Block]) -> None:
        """Put units aside for a transaction awaiting the clearinghouse's decision."""
        self.check_spendable(blocks)
        self._held(transaction, blocks)

    def debit(self, transaction: str, blocks: list[Block]) -> None:
        self.check_spendable(blocks)
        self._debited(transaction, blocks)

    def release(self, transaction: str) -> None:
        if transaction in self.held:
            self._released(transaction)

    def debit_held(self, transaction: str) -> None:
        if transaction in self.held:
            self._held_debited(transaction)

    @event("Credited")
    def _credited(self, transaction: str, blocks: list[Block]) -> None:
        self.available = self.available.add(blocks)

    @event("Debited")
    def _debited(self, transaction: str, blocks: list[Block]) -> None:
        self.available = self.available.remove(blocks)

    @event("Held")
    def _held(self, transaction: str, blocks: list[Block]) -> None:
        self.available = self.available.remove(blocks)
        self.held[transaction] = tuple(blocks)

    @event("Released")
    def _released(self, transaction: str) -> None:
        self.available = self.available.add(self.held.pop(transaction))

    @event("HeldDebited")
    def _held_debited(self, transaction: str) -> None:
        del self.held[transaction]


def serial_register_id(registry: str, unit_type: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"registry:{registry}/serials/{unit_type}")


class SerialRegister(Aggregate):
    """The serials a registry has issued of one unit type: it never issues one twice."""

    @staticmethod
    def create_id(registry: str, unit_type: str) -> UUID:
        return serial_register_id(registry, unit_type)

    @event("Opened")
    def __init__(self, registry: str, unit_type: str) -> None:
        self.registry = registry
        self.unit_type = unit_type
        self.next_serial = 1
        self.issued = Holding()  # vintage-blind overlap is checked below
        self.allocations: dict[str, Block] = {}

    def allocate(
        self, transaction: str, vintage: int, quantity: int, first: int | None = None
    ) -> Block:
        if transaction in self.allocations:
            return self.allocations[transaction]
        start = self.next_serial if first is None else first
        block = Block(self.registry, self.unit_type, vintage, start, start + quantity - 1)
        if any(block.overlaps(b) for b in self.issued):
            raise Refused("UNT-004", blocks=str(block), registry=self.registry)
        self._allocated(transaction, block)
        return block

    @event("Allocated")
    def _allocated(self, transaction: str, block: Block) -> None:
        self.issued = self.issued.add([block])
        self.allocations[transaction] = block
        self.next_serial = max(self.next_serial, block.last + 1)

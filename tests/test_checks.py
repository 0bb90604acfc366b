"""Every check in the catalogue, triggered end to end.

Each test drives the embedded system (registries + clearinghouse, in memory) the
way a user would, and asserts two things:

* the refusal carries exactly the expected check code (on the registry's
  receipt, or on the clearinghouse's Transaction verdict), and
* nothing else changed: account holdings, the clearinghouse's unit ledgers,
  agreement limit usage and authorization reservations are equal before and
  after (a refusal is recorded, never half-applied).

Tests register the codes they cover with :func:`covers`; the last test fails if
a code in :data:`clearinghouse.checks.CATALOGUE` has no test here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from adapters.accounts import SYSTEM_ACCOUNTS
from adapters.base import Receipt, RegistryApplication, RegistryConfig
from clearinghouse.application import CLEARINGHOUSE
from clearinghouse.authorizations import Authorization, authorization_id
from clearinghouse.checks import CATALOGUE, Refused
from clearinghouse.commands import InvalidInput
from clearinghouse.messages import (
    BlockModel,
    Envelope,
    IssuanceProposed,
    Message,
    TransferProposed,
)
from clearinghouse.participant import UnitOfWork
from clearinghouse.system import EmbeddedSystem

F = TypeVar("F", bound=Callable[..., Any])

#: check codes with at least one test in this module (filled by @covers)
COVERED: set[str] = set()


def covers(*codes: str) -> Callable[[F], F]:
    """Mark a test as triggering ``codes``; unknown codes fail at import."""
    for code in codes:
        assert code in CATALOGUE, f"{code} is not in the catalogue"

    def mark(test: F) -> F:
        COVERED.update(codes)
        return test

    return mark


# -- a small world: China and Korea, each with an ETS registry ------------------------

DAY = "2025-04-01"
CN_NDC = {"type": "intensity", "period": "single-year", "target_years": [2030]}
KR_NDC = {"type": "bau_relative", "period": "single-year", "target_years": [2030]}
#: a message source no registry uses, so injected envelopes never clash with
#: the tracking positions of a real registry's log
INJECTOR = "TEST_INJECTOR"
ALLOWANCE = {"CN_ETS": "CEA", "KR_ETS": "KAU", "JP_GX": "JPA"}


class World:
    """China's national ETS (CEA, CCER) and the K-ETS (KAU, KCU), with units issued:
    HUANENG holds CEA 2025 serials 1-10000 and CCER 2025 serials 1-1000; POSCO holds
    KAU 2025 serials 1-5000."""

    def __init__(self) -> None:
        self.system = EmbeddedSystem()
        self.ch = self.system.clearinghouse
        self.ch.register_party({"code": "CN", "name": "China", "ndc": CN_NDC})
        self.ch.register_party({"code": "KR", "name": "Korea", "ndc": KR_NDC})
        self.accounts: dict[str, list[str]] = {}
        self.agreements: list[str] = []
        self.authorizations: list[str] = []
        self.position = 0
        self.cn = self.add_registry(
            RegistryConfig("CN_ETS", "China national ETS", "CN", ("CEA", "CCER")),
            ["MEE", "HUANENG"],
        )
        self.kr = self.add_registry(
            RegistryConfig("KR_ETS", "K-ETS", "KR", ("KAU", "KCU")), ["POSCO", "SAMSUNG"]
        )
        self.ok("CN_ETS", "issue", "ISS-CEA", account="HUANENG", unit_type="CEA", quantity=10000)
        self.ok("CN_ETS", "issue", "ISS-CCER", account="HUANENG", unit_type="CCER", quantity=1000)
        self.ok("KR_ETS", "issue", "ISS-KAU", account="POSCO", unit_type="KAU", quantity=5000)

    def add_registry(
        self, config: RegistryConfig, accounts: list[str], connect: bool = True
    ) -> RegistryApplication:
        registry = self.system.add_registry(config, connect=connect)
        for account in accounts:
            registry.open_account({"account": account, "holder": account.title()})
        self.accounts[config.code] = [*accounts, *SYSTEM_ACCOUNTS]
        return registry

    # -- commands ---------------------------------------------------------------------

    def do(self, registry: str, command: str, txn: str, **data: Any) -> Receipt:
        """Run a registry command dated :data:`DAY`. Units named by quantity are the
        registry's allowances (CEA, KAU) unless ``unit_type`` says otherwise."""
        defaults: dict[str, Any] = {"business_date": DAY}
        if command == "issue":
            defaults["vintage"] = 2025
        elif "blocks" not in data:
            defaults["unit_type"] = ALLOWANCE[registry]
        return self.system.do(registry, command, {**defaults, "transaction_id": txn, **data})

    def ok(self, registry: str, command: str, txn: str, **data: Any) -> Receipt:
        receipt = self.do(registry, command, txn, **data)
        assert receipt.state == "completed", receipt
        return receipt

    def link(self, code: str = "CN_KR", **changes: Any) -> None:
        """A two-way link: CEA may go to Korea, KAU to China."""
        agreement = {
            "code": code,
            "jurisdictions": ["CN_ETS", "KR_ETS"],
            "directions": [
                {"source": "CN_ETS", "destination": "KR_ETS", "unit_types": ["CEA"]},
                {"source": "KR_ETS", "destination": "CN_ETS", "unit_types": ["KAU"]},
            ],
            "effective_from": "2025-01-01",
            **changes,
        }
        self.ch.conclude_agreement(agreement)
        self.agreements.append(code)

    def authorize(self, code: str = "CN-AUTH-1", **changes: Any) -> None:
        self.ch.grant_authorization(
            {
                "code": code,
                "party": "CN",
                "cooperative_approach": "CNKR",
                "unit_types": ["CEA"],
                "vintages": [2024, 2030],
                "purposes": "ndc_and_oimp",
                "first_transfer": "first_international_transfer",
                "authorized_on": "2025-01-01",
                **changes,
            }
        )
        self.authorizations.append(code)

    def inject(self, message: Message, settle: bool = True) -> None:
        """Hand the clearinghouse a message directly, as a misbehaving registry would.
        With ``settle`` the verdict then travels on (no registry may choke on it)."""
        self.position += 1
        self.ch.handle(
            Envelope(
                source=INJECTOR, position=self.position, destination=CLEARINGHOUSE, message=message
            )
        )
        if settle:
            self.system.settle()

    # -- what must not change ------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything a refusal must leave alone."""
        unit_types = sorted(
            {u for r in self.system.registries.values() for u in r.config.unit_types}
        )
        state: dict[str, Any] = {}
        for code, registry in sorted(self.system.registries.items()):
            for name in self.accounts[code]:
                account = registry.account(name)
                assert account is not None, (code, name)
                state[f"account {code}/{name}"] = (account.available, dict(account.held))
            for unit_type in unit_types:
                ledger = self.ch.ledger(code, unit_type)
                state[f"ledger {code}/{unit_type}"] = (
                    None if ledger is None else (list(ledger.entries), dict(ledger.holds))
                )
        for code in self.agreements:
            agreement = self.ch.agreement(code)
            assert agreement is not None, code
            # a released reservation may leave a period at 0 t: that is no usage
            used = {k: v for k, v in agreement.used.items() if v}
            state[f"agreement {code}"] = (used, dict(agreement.reservations))
        for code in self.authorizations:
            auth = UnitOfWork(self.ch).get(Authorization, authorization_id(code))
            assert auth is not None, code
            state[f"authorization {code}"] = (auth.settled, dict(auth.reservations))
        return state

    def holding(self, registry: str, account: str) -> int:
        found = self.system.registry(registry).account(account)
        assert found is not None
        return found.available.total


def block(registry: str, unit_type: str, first: int, last: int, vintage: int = 2025) -> BlockModel:
    return BlockModel(
        registry=registry, unit_type=unit_type, vintage=vintage, first=first, last=last
    )


def blocks(registry: str, unit_type: str, first: int, last: int) -> list[dict[str, Any]]:
    return [block(registry, unit_type, first, last).model_dump()]


def assert_refused(receipt: Receipt, code: str, state: str) -> None:
    """``state`` is "refused" (the registry itself said no) or "rejected" (the
    clearinghouse said no); either way the user sees the code and a reason."""
    assert (receipt.state, receipt.code) == (state, code), receipt
    assert receipt.reason, receipt
    assert receipt.refused


def assert_registry_refused(w: World, receipt: Receipt, code: str) -> None:
    assert_refused(receipt, code, "refused")
    # the proposal never left the registry
    assert w.ch.transaction(receipt.transaction_id) is None


def assert_rejected(w: World, receipt: Receipt, code: str) -> None:
    assert_refused(receipt, code, "rejected")
    verdict_is(w, receipt.transaction_id, code, receipt.registry)


def verdict_is(w: World, txn: str, code: str, registry: str | None = None) -> None:
    found = w.ch.transaction(txn, registry)
    assert found is not None, f"the clearinghouse has no transaction {txn}"
    assert found.state == "rejected", found.state
    assert found.verdict is not None
    assert found.verdict["code"] == code, found.verdict
    assert found.verdict["check_version"] == CATALOGUE[code].version


@pytest.fixture
def w() -> World:
    return World()


# -- AGR: agreements -------------------------------------------------------------------


@covers("AGR-001")
def test_agr_001_no_agreement(w: World) -> None:
    """Huaneng sends CEA to POSCO before China and Korea link their markets. The user
    sees: rejected, AGR-001 "No linkage agreement allows transfers from CN_ETS to
    KR_ETS.", and the units are back in Huaneng's account."""
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="KR_ETS",
        to_account="POSCO", quantity=100,
    )  # fmt: skip
    assert_rejected(w, receipt, "AGR-001")
    assert "from CN_ETS to KR_ETS" in (receipt.reason or "")
    assert w.snapshot() == before


@covers("AGR-001")
def test_agr_001_one_way_link(w: World) -> None:
    """A one-way link (China's units may go to Korea) lets nothing flow back: a KAU
    transfer from Korea to China is rejected with AGR-001."""
    w.link(directions=[{"source": "CN_ETS", "destination": "KR_ETS", "unit_types": ["CEA"]}])
    before = w.snapshot()
    receipt = w.do(
        "KR_ETS", "transfer_abroad", "X-1", account="POSCO", to_registry="CN_ETS",
        to_account="HUANENG", quantity=100,
    )  # fmt: skip
    assert_rejected(w, receipt, "AGR-001")
    assert w.snapshot() == before


@covers("AGR-002")
def test_agr_002_agreement_not_yet_in_force(w: World) -> None:
    """The link takes effect on 2026-01-01; a transfer dated 2025-04-01 is rejected:
    AGR-002 "Linkage agreement CN_KR is not in force on 2025-04-01 (in force from
    2026-01-01)."."""
    w.link(effective_from="2026-01-01")
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="KR_ETS",
        to_account="POSCO", quantity=100,
    )  # fmt: skip
    assert_rejected(w, receipt, "AGR-002")
    assert "2025-04-01" in (receipt.reason or "")
    assert w.snapshot() == before


@covers("AGR-002")
def test_agr_002_agreement_expired(w: World) -> None:
    """After effective_until the agreement no longer clears transfers: AGR-002."""
    w.link(effective_until="2025-03-31")
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="KR_ETS",
        to_account="POSCO", quantity=100,
    )  # fmt: skip
    assert_rejected(w, receipt, "AGR-002")
    assert w.snapshot() == before


@covers("AGR-003")
def test_agr_003_agreement_suspended(w: World) -> None:
    """Korea suspends the link on 2025-03-01; a transfer on 2025-04-01 is rejected:
    AGR-003 "Linkage agreement CN_KR is suspended since 2025-03-01; ..."."""
    w.link()
    w.ch.change_agreement({"code": "CN_KR", "action": "suspend", "on": "2025-03-01"})
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="KR_ETS",
        to_account="POSCO", quantity=100,
    )  # fmt: skip
    assert_rejected(w, receipt, "AGR-003")
    assert "2025-03-01" in (receipt.reason or "")
    assert w.snapshot() == before


@covers("AGR-004")
def test_agr_004_delinked(w: World) -> None:
    """The markets de-link on 2025-03-01 (as Ontario left WCI); a later transfer is
    rejected: AGR-004 "Linkage agreement CN_KR was ended (de-linked) on 2025-03-01."."""
    w.link()
    w.ch.change_agreement({"code": "CN_KR", "action": "delink", "on": "2025-03-01"})
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="KR_ETS",
        to_account="POSCO", quantity=100,
    )  # fmt: skip
    assert_rejected(w, receipt, "AGR-004")
    assert w.snapshot() == before


@covers("AGR-005")
def test_agr_005_rate_gives_a_fraction(w: World) -> None:
    """Two CEA buy one KAU; sending 3 CEA would make 1.5 KAU. The user sees: rejected,
    AGR-005 "At the exchange rate 1/2, 3 CEA units convert to a fraction of a unit;
    transfer a multiple of 2 per vintage."."""
    w.link(
        directions=[
            {
                "source": "CN_ETS",
                "destination": "KR_ETS",
                "unit_types": ["CEA"],
                "rate": "1/2",
                "convert_to": "KAU",
            }
        ]
    )
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="KR_ETS",
        to_account="POSCO", quantity=3,
    )  # fmt: skip
    assert_rejected(w, receipt, "AGR-005")
    assert "multiple of 2" in (receipt.reason or "")
    assert w.snapshot() == before


# -- UNT: units ------------------------------------------------------------------------


@covers("UNT-001")
def test_unt_001_unit_type_not_recognised(w: World) -> None:
    """The link lets CEA into Korea but not CCER offsets: sending CCER is rejected,
    UNT-001 "KR_ETS does not recognise CCER units from CN_ETS under linkage
    agreement CN_KR."."""
    w.link()
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="KR_ETS",
        to_account="POSCO", unit_type="CCER", quantity=10,
    )  # fmt: skip
    assert_rejected(w, receipt, "UNT-001")
    assert "CCER" in (receipt.reason or "")
    assert w.snapshot() == before


@covers("UNT-002")
def test_unt_002_registry_account_does_not_hold_blocks(w: World) -> None:
    """Naming serials the account does not hold is refused by the registry itself:
    refused, UNT-002 "The units CN_ETS:CEA:2025:20001-20010 are not held by account
    HUANENG."."""
    w.link()
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="KR_ETS",
        to_account="POSCO", blocks=blocks("CN_ETS", "CEA", 20001, 20010),
    )  # fmt: skip
    assert_registry_refused(w, receipt, "UNT-002")
    assert "20001-20010" in (receipt.reason or "")
    assert w.snapshot() == before


@covers("UNT-002")
def test_unt_002_clearinghouse_blocks_held_by_another_registry(w: World) -> None:
    """CN_ETS sent CEA 1-100 to Korea, then (out of sync) proposes to send the same
    serials again. The clearinghouse's ledger says KR_ETS holds them: rejected,
    UNT-002 "The units CN_ETS:CEA:2025:1-100 are not held by CN_ETS."."""
    w.link()
    w.ok(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="KR_ETS",
        to_account="POSCO", quantity=100,
    )  # fmt: skip
    before = w.snapshot()
    w.inject(
        TransferProposed(
            transaction_id="X-2",
            business_date=DAY,
            source_registry="CN_ETS",
            source_account="HUANENG",
            destination_registry="KR_ETS",
            destination_account="SAMSUNG",
            blocks=[block("CN_ETS", "CEA", 1, 100)],
        )
    )
    verdict_is(w, "X-2", "UNT-002")
    assert w.snapshot() == before


@covers("UNT-002")
def test_unt_002_clearinghouse_serials_never_issued(w: World) -> None:
    """A proposal naming serials that were never issued is rejected with UNT-002."""
    w.link()
    before = w.snapshot()
    w.inject(
        TransferProposed(
            transaction_id="X-1",
            business_date=DAY,
            source_registry="CN_ETS",
            source_account="HUANENG",
            destination_registry="KR_ETS",
            destination_account="POSCO",
            blocks=[block("CN_ETS", "CEA", 9990, 10010)],
        )
    )
    verdict_is(w, "X-1", "UNT-002")
    assert w.snapshot() == before


@covers("UNT-003")
def test_unt_003_surrendered_units_never_move(w: World) -> None:
    """POSCO surrendered KAU 1-100; a proposal to send those serials to China is
    rejected: UNT-003 "The units KR_ETS:KAU:2025:1-100 are surrendered; retired,
    surrendered and cancelled units can never move again."."""
    w.link()
    w.ok("KR_ETS", "surrender", "S-1", account="POSCO", quantity=100)
    before = w.snapshot()
    w.inject(
        TransferProposed(
            transaction_id="X-1",
            business_date=DAY,
            source_registry="KR_ETS",
            source_account="POSCO",
            destination_registry="CN_ETS",
            destination_account="HUANENG",
            blocks=[block("KR_ETS", "KAU", 1, 100)],
        )
    )
    verdict_is(w, "X-1", "UNT-003")
    found = w.ch.transaction("X-1")
    assert found is not None and found.verdict is not None
    assert "surrendered" in found.verdict["reason"]
    assert w.snapshot() == before


@covers("UNT-004")
def test_unt_004_registry_double_issuance(w: World) -> None:
    """Issuing CEA serials 9001-9100 again (they were issued as 1-10000) is refused by
    the registry: UNT-004 "Serials CN_ETS:CEA:2025:9001-9100 overlap units already
    issued by CN_ETS; ..."."""
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "issue", "ISS-2", account="MEE", unit_type="CEA", quantity=100,
        first_serial=9001,
    )  # fmt: skip
    assert_registry_refused(w, receipt, "UNT-004")
    assert w.snapshot() == before


@covers("UNT-004")
def test_unt_004_registry_double_issuance_other_vintage(w: World) -> None:
    """Serials are vintage-blind: the same serials under another vintage are still
    double issuance (UNT-004)."""
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "issue", "ISS-2", account="MEE", unit_type="CEA", quantity=100,
        first_serial=50, vintage=2026,
    )  # fmt: skip
    assert_registry_refused(w, receipt, "UNT-004")
    assert w.snapshot() == before


@covers("UNT-004")
def test_unt_004_clearinghouse_double_issuance(w: World) -> None:
    """A registry whose serial register lost track proposes CEA 9001-10100: the central
    ledger sees the overlap and rejects with UNT-004."""
    before = w.snapshot()
    w.inject(
        IssuanceProposed(
            transaction_id="ISS-2",
            business_date=DAY,
            registry="CN_ETS",
            account="MEE",
            blocks=[block("CN_ETS", "CEA", 9001, 10100)],
        )
    )
    verdict_is(w, "ISS-2", "UNT-004")
    assert w.snapshot() == before


@covers("UNT-004")
def test_unt_004_clearinghouse_overlap_inside_one_proposal(w: World) -> None:
    """Two overlapping blocks in one issuance proposal are double issuance too."""
    before = w.snapshot()
    w.inject(
        IssuanceProposed(
            transaction_id="ISS-2",
            business_date=DAY,
            registry="CN_ETS",
            account="MEE",
            blocks=[block("CN_ETS", "CEA", 20001, 20100), block("CN_ETS", "CEA", 20050, 20150)],
        )
    )
    verdict_is(w, "ISS-2", "UNT-004")
    assert w.snapshot() == before


@covers("UNT-005")
def test_unt_005_units_on_hold(w: World) -> None:
    """CEA 1-100 are on hold for a pending transfer X-1; a second proposal for the same
    serials is rejected: UNT-005 "The units CN_ETS:CEA:2025:1-100 are on hold for
    transaction X-1."."""
    w.link()
    first = TransferProposed(
        transaction_id="X-1",
        business_date=DAY,
        source_registry="CN_ETS",
        source_account="HUANENG",
        destination_registry="KR_ETS",
        destination_account="POSCO",
        blocks=[block("CN_ETS", "CEA", 1, 100)],
    )
    w.inject(first, settle=False)  # accepted, units on hold, not yet debited
    pending = w.ch.transaction("X-1")
    assert pending is not None and pending.state == "accepted"
    before = w.snapshot()
    w.inject(first.model_copy(update={"transaction_id": "X-2", "destination_account": "SAMSUNG"}))
    verdict_is(w, "X-2", "UNT-005")
    found = w.ch.transaction("X-2")
    assert found is not None and found.verdict is not None
    assert "X-1" in found.verdict["reason"]
    assert w.snapshot() == before


@covers("UNT-006")
def test_unt_006_not_enough_units(w: World) -> None:
    """Huaneng asks to move 20000 CEA but holds 10000: refused, UNT-006 "Account
    HUANENG holds 10000 matching units; 20000 were asked for."."""
    w.link()
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="KR_ETS",
        to_account="POSCO", unit_type="CEA", quantity=20000,
    )  # fmt: skip
    assert_registry_refused(w, receipt, "UNT-006")
    assert "10000" in (receipt.reason or "") and "20000" in (receipt.reason or "")
    assert w.snapshot() == before


@covers("UNT-006")
def test_unt_006_internal_transfer(w: World) -> None:
    """The same check for an internal transfer: refused, UNT-006."""
    before = w.snapshot()
    receipt = w.do("CN_ETS", "transfer", "T-1", account="MEE", to_account="HUANENG", quantity=1)
    assert_registry_refused(w, receipt, "UNT-006")
    assert w.snapshot() == before


@covers("UNT-007")
def test_unt_007_no_such_account(w: World) -> None:
    """An internal transfer to an account that does not exist: refused, UNT-007
    "Registry CN_ETS has no account NOBODY."."""
    before = w.snapshot()
    receipt = w.do("CN_ETS", "transfer", "T-1", account="HUANENG", to_account="NOBODY", quantity=10)
    assert_registry_refused(w, receipt, "UNT-007")
    assert "NOBODY" in (receipt.reason or "")
    assert w.snapshot() == before


@covers("UNT-007")
def test_unt_007_no_such_destination_account(w: World) -> None:
    """A cross-border transfer to an account Korea does not have: the clearinghouse
    accepts, KR_ETS refuses the credit, and the units come back to Huaneng. The user
    sees: returned, UNT-007 "Registry KR_ETS has no account NOBODY."."""
    w.link(limits=[{"jurisdiction": "KR_ETS", "flow": "import", "tonnes": 3000}])
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="KR_ETS",
        to_account="NOBODY", quantity=100,
    )  # fmt: skip
    assert (receipt.state, receipt.code) == ("returned", "UNT-007"), receipt
    found = w.ch.transaction("X-1")
    assert found is not None and found.state == "returned"
    assert found.verdict is not None and found.verdict["code"] == "UNT-007"
    assert w.snapshot() == before


@covers("UNT-008")
def test_unt_008_units_cannot_leave_surrender_account(w: World) -> None:
    """Surrendered units sit in the SURRENDER system account for good: moving them
    out is refused, UNT-008 "Units in SURRENDER (a surrender account) are spent and
    cannot be moved."."""
    w.ok("CN_ETS", "surrender", "S-1", account="HUANENG", unit_type="CEA", quantity=100)
    assert w.holding("CN_ETS", "SURRENDER") == 100
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "transfer", "T-1", account="SURRENDER", to_account="HUANENG", quantity=10
    )
    assert_registry_refused(w, receipt, "UNT-008")
    assert w.snapshot() == before


@covers("UNT-008")
def test_unt_008_cross_border_from_surrender_account(w: World) -> None:
    """The same from a cross-border transfer by serials: refused, UNT-008."""
    w.link()
    w.ok("CN_ETS", "surrender", "S-1", account="HUANENG", unit_type="CEA", quantity=100)
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "transfer_abroad", "X-1", account="SURRENDER", to_registry="KR_ETS",
        to_account="POSCO", blocks=blocks("CN_ETS", "CEA", 1, 100),
    )  # fmt: skip
    assert_registry_refused(w, receipt, "UNT-008")
    assert w.snapshot() == before


@covers("UNT-008")
def test_unt_008_issue_into_surrender_account(w: World) -> None:
    """Issuing straight into a terminal account is refused too: UNT-008."""
    before = w.snapshot()
    receipt = w.do("CN_ETS", "issue", "ISS-2", account="SURRENDER", unit_type="CEA", quantity=5)
    assert_registry_refused(w, receipt, "UNT-008")
    assert w.snapshot() == before


@covers("UNT-008")
def test_unt_008_destination_refuses_credit_under_authorized_agreement(w: World) -> None:
    """Under an Article 6.2 authorized link, Huaneng sends CEA straight into Korea's
    SURRENDER account. The clearinghouse accepts, KR_ETS refuses the credit and the
    units come back. The user sees: returned, UNT-008 "Units in SURRENDER (a surrender
    account) are spent and cannot be moved.", and the units are exactly as before:
    not ITMOs, nothing reserved against the authorization."""
    _authorized_link(w)
    w.authorize(cap=5000)
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="KR_ETS",
        to_account="SURRENDER", quantity=100,
    )  # fmt: skip
    assert (receipt.state, receipt.code) == ("returned", "UNT-008"), receipt
    found = w.ch.transaction("X-1")
    assert found is not None and found.state == "returned"
    assert found.verdict is not None and found.verdict["code"] == "UNT-008"
    assert w.snapshot() == before
    # so a domestic surrender of those units is not a first transfer of an ITMO
    w.ok("CN_ETS", "surrender", "S-1", account="HUANENG", quantity=100)
    surrendered = w.ch.transaction("S-1")
    assert surrendered is not None and surrendered.adjustments == []


@covers("UNT-009")
def test_unt_009_registry_does_not_issue_unit_type(w: World) -> None:
    """China's registry cannot issue Korean allowances: refused, UNT-009 "Registry
    CN_ETS issues CEA, CCER, not KAU."."""
    before = w.snapshot()
    receipt = w.do("CN_ETS", "issue", "ISS-2", account="MEE", unit_type="KAU", quantity=100)
    assert_registry_refused(w, receipt, "UNT-009")
    assert "KAU" in (receipt.reason or "")
    assert w.snapshot() == before


@covers("UNT-009")
def test_unt_009_clearinghouse_foreign_serial_space(w: World) -> None:
    """An issuance proposal from CN_ETS naming KR_ETS serials is rejected by the
    clearinghouse with UNT-009 (a registry issues only its own unit types)."""
    before = w.snapshot()
    w.inject(
        IssuanceProposed(
            transaction_id="ISS-2",
            business_date=DAY,
            registry="CN_ETS",
            account="MEE",
            blocks=[block("KR_ETS", "KAU", 90001, 90100)],
        )
    )
    verdict_is(w, "ISS-2", "UNT-009")
    assert w.snapshot() == before


@covers("UNT-010")
def test_unt_010_same_account(w: World) -> None:
    """A transfer from Huaneng to Huaneng: refused, UNT-010 "The acquiring account is
    the transferring account (HUANENG)."."""
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "transfer", "T-1", account="HUANENG", to_account="HUANENG", quantity=10
    )
    assert_registry_refused(w, receipt, "UNT-010")
    assert w.snapshot() == before


# -- QTY: quantity limits --------------------------------------------------------------


@covers("QTY-001")
def test_qty_001_import_limit(w: World) -> None:
    """Korea imports at most 3000 t a year under CN_KR. After 2000 t, another 2000 t is
    rejected: QTY-001 "KR_ETS may import at most 3000 t under CN_KR in 2025; 2000 t are
    already used, so 2000 t more would exceed it."."""
    w.link(limits=[{"jurisdiction": "KR_ETS", "flow": "import", "tonnes": 3000}])
    w.ok(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="KR_ETS",
        to_account="POSCO", quantity=2000,
    )  # fmt: skip
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "transfer_abroad", "X-2", account="HUANENG", to_registry="KR_ETS",
        to_account="POSCO", quantity=2000,
    )  # fmt: skip
    assert_rejected(w, receipt, "QTY-001")
    assert "3000 t" in (receipt.reason or "") and "2000 t are already used" in (
        receipt.reason or ""
    )
    assert w.snapshot() == before
    agreement = w.ch.agreement("CN_KR")
    assert agreement is not None and sum(agreement.used.values()) == 2000


@covers("QTY-002")
def test_qty_002_export_limit(w: World) -> None:
    """China lets at most 1500 t a year leave under CN_KR; 2000 t is rejected: QTY-002
    "CN_ETS may export at most 1500 t under CN_KR in 2025; 0 t are already used, ..."."""
    w.link(limits=[{"jurisdiction": "CN_ETS", "flow": "export", "tonnes": 1500}])
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="KR_ETS",
        to_account="POSCO", quantity=2000,
    )  # fmt: skip
    assert_rejected(w, receipt, "QTY-002")
    assert "1500 t" in (receipt.reason or "")
    assert w.snapshot() == before


# -- AUT: Article 6.2 authorizations ---------------------------------------------------


def _authorized_link(w: World) -> None:
    w.link(authorized=True, cooperative_approach="CNKR")


@covers("AUT-001")
def test_aut_001_no_authorization_covers_vintage(w: World) -> None:
    """The CN_KR link is an Article 6.2 cooperative approach, but China authorized only
    vintage 2030 CEA. Sending vintage 2025 is rejected: AUT-001 "Transfers under CN_KR
    must be authorized under Article 6.2, and no authorization by CN covers CEA units
    of vintage 2025."."""
    _authorized_link(w)
    w.authorize(vintages=[2030, 2030])
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="KR_ETS",
        to_account="POSCO", quantity=100,
    )  # fmt: skip
    assert_rejected(w, receipt, "AUT-001")
    assert "vintage 2025" in (receipt.reason or "")
    assert w.snapshot() == before


@covers("AUT-001")
def test_aut_001_issuance_under_authorization_outside_scope(w: World) -> None:
    """Issuing vintage 2025 CEA under an authorization for vintage 2030 only: rejected,
    AUT-001."""
    w.authorize(vintages=[2030, 2030])
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "issue", "ISS-2", account="MEE", unit_type="CEA", quantity=100,
        authorization_id="CN-AUTH-1",
    )  # fmt: skip
    assert_rejected(w, receipt, "AUT-001")
    assert w.snapshot() == before


@covers("AUT-002")
def test_aut_002_authorization_cap(w: World) -> None:
    """China authorized 1000 t of CEA as ITMOs. After 800 t, another 300 t is rejected:
    AUT-002 "Authorization CN-AUTH-1 allows 1000 t; 800 t are used, so 300 t more would
    exceed it."."""
    _authorized_link(w)
    w.authorize(cap=1000)
    w.ok(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="KR_ETS",
        to_account="POSCO", quantity=800,
    )  # fmt: skip
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "transfer_abroad", "X-2", account="HUANENG", to_registry="KR_ETS",
        to_account="POSCO", quantity=300,
    )  # fmt: skip
    assert_rejected(w, receipt, "AUT-002")
    assert "800 t are used" in (receipt.reason or "")
    assert w.snapshot() == before


# -- ACC: accounting -------------------------------------------------------------------


@covers("ACC-001")
def test_acc_001_oimp_units_not_for_ndc_use(w: World) -> None:
    """China authorized these ITMOs for other international mitigation purposes only.
    POSCO surrendering them for K-ETS compliance (which counts towards Korea's NDC) is
    rejected: ACC-001 "The units CN_ETS:CEA:2025:1-500 are authorized for oimp only and
    cannot be used towards an NDC."."""
    _authorized_link(w)
    w.authorize(purposes="oimp")
    w.ok(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="KR_ETS",
        to_account="POSCO", quantity=1000,
    )  # fmt: skip
    before = w.snapshot()
    receipt = w.do("KR_ETS", "surrender", "S-1", account="POSCO", unit_type="CEA", quantity=500)
    assert_rejected(w, receipt, "ACC-001")
    assert "oimp" in (receipt.reason or "")
    assert w.snapshot() == before
    assert w.holding("KR_ETS", "SURRENDER") == 0


@covers("ACC-002")
def test_acc_002_double_claiming(w: World) -> None:
    """Under a plain (not Article 6.2 authorized) link between two Parties, CEA moved to
    Korea carry no corresponding adjustment. Surrendering them in the K-ETS would let
    China and Korea both claim the tonnes: rejected, ACC-002 "KR cannot count the units
    CN_ETS:CEA:2025:1-500 from CN towards its NDC: ..."."""
    w.link()
    w.ok(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="KR_ETS",
        to_account="POSCO", quantity=1000,
    )  # fmt: skip
    before = w.snapshot()
    receipt = w.do("KR_ETS", "surrender", "S-1", account="POSCO", unit_type="CEA", quantity=500)
    assert_rejected(w, receipt, "ACC-002")
    assert "KR cannot count" in (receipt.reason or "")
    assert w.snapshot() == before


# -- TXN: transactions -----------------------------------------------------------------


@covers("TXN-001")
def test_txn_001_id_reused_with_different_content(w: World) -> None:
    """Huaneng reuses transaction id T-1 for a different transfer: refused, TXN-001
    "Transaction id T-1 was already used for a different transaction."; repeating the
    original command is harmless (idempotent)."""
    w.ok("CN_ETS", "transfer", "T-1", account="HUANENG", to_account="MEE", quantity=100)
    before = w.snapshot()
    receipt = w.do("CN_ETS", "transfer", "T-1", account="HUANENG", to_account="MEE", quantity=200)
    assert_refused(receipt, "TXN-001", "refused")
    assert w.snapshot() == before
    again = w.do("CN_ETS", "transfer", "T-1", account="HUANENG", to_account="MEE", quantity=100)
    assert (again.state, again.code) == ("completed", None)
    assert w.snapshot() == before


@covers("TXN-001")
def test_same_id_from_another_registry_is_another_transaction(w: World) -> None:
    """CN_ETS issued under id ISS-CEA; KR_ETS, which picks its ids independently,
    issues KCU under the same id. The clearinghouse keys transactions by registry
    and id, so KR's issuance is a transaction of its own: it completes, and CN's
    is untouched (an earlier version dropped KR's proposal as a "redelivery")."""
    cn_before = w.ch.transaction("ISS-CEA", "CN_ETS")
    receipt = w.do("KR_ETS", "issue", "ISS-CEA", account="SAMSUNG", unit_type="KCU", quantity=10)
    assert (receipt.state, receipt.code) == ("completed", None)
    kr_txn = w.ch.transaction("ISS-CEA", "KR_ETS")
    assert kr_txn is not None and kr_txn.state == "accepted" and kr_txn.registry == "KR_ETS"
    cn_after = w.ch.transaction("ISS-CEA", "CN_ETS")
    assert cn_before is not None and cn_after is not None
    assert cn_after.version == cn_before.version and cn_after.registry == "CN_ETS"


@covers("TXN-002")
def test_txn_002_destination_never_connected(w: World) -> None:
    """Sending units to a registry the clearinghouse has never heard of: rejected,
    TXN-002 "Registry XX_ETS is not connected to the clearinghouse."."""
    w.link()
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="XX_ETS",
        to_account="ANY", quantity=100,
    )  # fmt: skip
    assert_rejected(w, receipt, "TXN-002")
    assert "XX_ETS" in (receipt.reason or "")
    assert w.snapshot() == before


@covers("TXN-002")
def test_txn_002_destination_running_but_not_connected(w: World) -> None:
    """Japan's registry runs but never connected: a transfer to it is rejected, TXN-002."""
    w.ch.register_party(
        {
            "code": "JP",
            "name": "Japan",
            "ndc": {"type": "absolute", "period": "single-year", "target_years": [2030]},
        }
    )
    w.add_registry(RegistryConfig("JP_GX", "GX-ETS", "JP", ("JPA",)), ["TOYOTA"], connect=False)
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="JP_GX",
        to_account="TOYOTA", quantity=100,
    )  # fmt: skip
    assert_rejected(w, receipt, "TXN-002")
    assert "JP_GX" in (receipt.reason or "")
    assert w.snapshot() == before


@covers("TXN-002")
def test_txn_002_source_not_connected(w: World) -> None:
    """A registry that never connected proposes an issuance: rejected, TXN-002, and no
    units appear anywhere."""
    w.add_registry(RegistryConfig("JP_GX", "GX-ETS", "JP", ("JPA",)), ["TOYOTA"], connect=False)
    before = w.snapshot()
    receipt = w.do("JP_GX", "issue", "JP-ISS-1", account="TOYOTA", unit_type="JPA", quantity=100)
    assert_rejected(w, receipt, "TXN-002")
    assert w.snapshot() == before


@covers("TXN-003")
def test_txn_003_cross_border_to_same_registry(w: World) -> None:
    """A "cross-border" transfer from CN_ETS to CN_ETS: rejected, TXN-003 "A
    cross-border transfer needs two registries; CN_ETS to itself is an internal
    transfer."."""
    w.link()
    before = w.snapshot()
    receipt = w.do(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="CN_ETS",
        to_account="MEE", quantity=100,
    )  # fmt: skip
    assert_rejected(w, receipt, "TXN-003")
    assert w.snapshot() == before


# -- INP: input ------------------------------------------------------------------------


def _log_positions(w: World) -> dict[str, int | None]:
    return {app.name: app.recorder.max_notification_id() for app in w.system.apps()}


@covers("INP-001")
@pytest.mark.parametrize(
    ("command", "data", "field"),
    [
        (
            "transfer",
            {"account": "HUANENG", "to_account": "MEE", "quantity": -5},
            "quantity",
        ),
        (
            "transfer",
            {
                "account": "HUANENG",
                "to_account": "MEE",
                "quantity": 5,
                "business_date": "2025-02-30",
            },
            "business_date",
        ),
        (
            "transfer_abroad",
            {"account": "HUANENG", "to_registry": "kr ets", "to_account": "POSCO", "quantity": 5},
            "to_registry",
        ),
        (
            "issue",
            {"account": "MEE", "unit_type": "CEA", "vintage": 2025, "quantity": 0},
            "quantity",
        ),
    ],
)
def test_inp_001_invalid_registry_command(
    w: World, command: str, data: dict[str, Any], field: str
) -> None:
    """A negative quantity, 30 February, a malformed registry code: the command raises
    InvalidInput (INP-001) naming the field and why, e.g. "quantity: Input should be
    greater than or equal to 1", and nothing at all is recorded."""
    before, logs = w.snapshot(), _log_positions(w)
    payload = {"transaction_id": "BAD-1", "business_date": DAY, **data}
    with pytest.raises(InvalidInput) as raised:
        w.system.do("CN_ETS", command, payload)
    assert raised.value.code == "INP-001"
    assert field in [e["field"] for e in raised.value.errors], raised.value.errors
    assert field in raised.value.reason
    assert _log_positions(w) == logs
    assert w.snapshot() == before
    assert w.cn.transaction("BAD-1", "internal" if command == "transfer" else "out") is None


@covers("INP-001")
def test_inp_001_invalid_admin_command(w: World) -> None:
    """An agreement with exchange rate "1/0": InvalidInput (INP-001) naming the rate."""
    before, logs = w.snapshot(), _log_positions(w)
    bad = {
        "code": "CN_KR",
        "jurisdictions": ["CN_ETS", "KR_ETS"],
        "directions": [
            {
                "source": "CN_ETS",
                "destination": "KR_ETS",
                "unit_types": ["CEA"],
                "rate": "1/0",
                "convert_to": "KAU",
            }
        ],
        "effective_from": "2025-01-01",
    }
    with pytest.raises(InvalidInput) as raised:
        w.ch.conclude_agreement(bad)
    assert raised.value.code == "INP-001"
    assert any(e["field"].endswith("rate") for e in raised.value.errors), raised.value.errors
    assert w.ch.agreement("CN_KR") is None
    assert _log_positions(w) == logs
    assert w.snapshot() == before


@covers("INP-001")
def test_inp_001_unknown_account_kind(w: World) -> None:
    """Opening an account of a kind the registry does not know: refused, INP-001."""
    logs = _log_positions(w)
    with pytest.raises(Refused) as raised:
        w.cn.open_account({"account": "NEW", "kind": "offshore", "holder": "Someone"})
    assert raised.value.code == "INP-001"
    assert "offshore" in raised.value.reason
    assert w.cn.account("NEW") is None
    assert _log_positions(w) == logs


# -- the harness itself ------------------------------------------------------------------


def test_snapshot_sees_every_kind_of_change(w: World) -> None:
    """Guard against vacuous "nothing changed" assertions: a completed transfer under an
    authorized, limited link changes holdings, the ledger, limit usage and the
    authorization's reservations, and the snapshot notices each."""
    w.link(
        authorized=True,
        cooperative_approach="CNKR",
        limits=[{"jurisdiction": "KR_ETS", "flow": "import", "tonnes": 3000}],
    )
    w.authorize(cap=5000)
    before = w.snapshot()
    w.ok(
        "CN_ETS", "transfer_abroad", "X-1", account="HUANENG", to_registry="KR_ETS",
        to_account="POSCO", quantity=100,
    )  # fmt: skip
    after = w.snapshot()
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {
        "account CN_ETS/HUANENG",
        "account KR_ETS/POSCO",
        "ledger CN_ETS/CEA",
        "agreement CN_KR",
        "authorization CN-AUTH-1",
    }


# -- the catalogue is covered --------------------------------------------------------------


# Check families tested in modules of their own register through ``covers`` too.
import tests.test_article6_checks  # noqa: E402, F401


def test_every_check_in_the_catalogue_has_a_test() -> None:
    """A new check code without a test here fails the suite."""
    missing = sorted(set(CATALOGUE) - COVERED)
    assert not missing, f"checks without a test in tests/test_checks.py: {missing}"
    unknown = sorted(COVERED - set(CATALOGUE))
    assert not unknown, f"tests claim codes not in the catalogue: {unknown}"

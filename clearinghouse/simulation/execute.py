"""Drive the registries and the clearinghouse with the plan: the event log is the record.

Everything a simulated year does is a command to a real application in an
:class:`~clearinghouse.system.EmbeddedSystem`:

* set-up (1 January of the first year): Parties and their NDCs, the registries
  (each jurisdiction's adapter, or a scenario registry), linkage agreements with
  their directions, rates and limits, Article 6.2 authorizations for authorized
  links, and the cohorts registered as covered entities;
* for compliance year *t*, in business year *t + 1* [assumption: the sources
  give each system's calendar, not a common one; trading after verification
  keeps every command inside every adapter's deadlines]:

  - 20 April: verified emissions (with the activity data the adapter's
    allocation needs);
  - 25 April: allocation, every stage the adapter has for the year (China: pre
    then final; Tokyo and Saitama: excess-reduction credits);
  - 15 May: trades — joint auctions (``adapters.wci.joint.hold_joint_auction``)
    and K-ETS-style auctions of the year's pool, offsets and the ceiling reserve
    issued, cross-border transfers (``transfer_abroad``, or a crediting
    programme's own delivery: ``forward``; cleared by the clearinghouse against
    the agreement), internal transfers with the market price, floor
    withdrawals; then ticks of business time (``execute_due``) release the
    transfers a registry held back (the EU–Swiss settlement calendar, the EU's
    26-hour delay), in the order they fall due;
  - 15 June: compliance surrenders, by unit type;
  - the day after each period's deadline: ``close_period`` with the market price
    as the reference price;

  all four moved earlier together when a registry's deadline for the year
  comes sooner (:func:`year_dates`: the EU ETS's 30 April);
* de-linking (``delink: Y``) on 1 January of Y + 1 (or ``delink_on``: Ontario's
  3 July 2018) and suspensions likewise, so no unit of compliance year Y
  crosses; resumption on 1 January after.

A command a registry or the clearinghouse refuses is not an error of the run:
it is recorded (with the check code that refused it, SIM-005) in
``results.json`` under ``refusals``, as the registries' own rules decided.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from adapters.base import Receipt, RegistryApplication
from adapters.compliance_registry import ComplianceRegistry
from adapters.wci.joint import hold_joint_auction
from clearinghouse.checks import CATALOGUE, Refused
from clearinghouse.simulation.model import MT, JurisdictionModel, limit_tonnes
from clearinghouse.simulation.plan import OFFSETS, RESERVE, Trade, YearPlan, own_unit, price_of
from clearinghouse.simulation.registry import offset_type
from clearinghouse.simulation.scenario import LimitAmount, Link, Scenario
from clearinghouse.system import EmbeddedSystem


@dataclass
class Refusal:
    registry: str
    command: str
    transaction: str
    year: int
    code: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        message = CATALOGUE["SIM-005"].message(
            registry=self.registry,
            command=self.command,
            transaction=self.transaction,
            year=self.year,
            code=self.code,
            reason=self.reason,
        )
        return {
            "check": "SIM-005",
            "registry": self.registry,
            "command": self.command,
            "transaction": self.transaction,
            "year": self.year,
            "code": self.code,
            "reason": self.reason,
            "message": message,
        }


@dataclass
class Record:
    """What the execution saw: refusals, allocations issued, period results."""

    refusals: list[Refusal] = field(default_factory=list)
    allocated: dict[tuple[str, str, int], int] = field(default_factory=dict)  # jid, cohort, year
    closed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # jid -> results
    #: periods not closed because the run covers only part of them (jid -> period ids)
    unclosed: dict[str, list[str]] = field(default_factory=dict)
    commands: int = 0
    #: crediting issuances: one row per project and year (crediting.py)
    issued: list[dict[str, Any]] = field(default_factory=list)
    #: transfers a registry held back (settlement calendar, trusted-list delay)
    held: list[dict[str, Any]] = field(default_factory=list)
    #: joint auctions held (their public results)
    auctions: list[dict[str, Any]] = field(default_factory=list)
    #: registries with a holding limit: the limit on each trade date and the largest
    #: holding it counts (jid -> year -> facts)
    holding_limits: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    #: the links' agreements: concluded, suspended, resumed, de-linked (with dates)
    link_events: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class YearDates:
    """The business dates of a compliance year's commands."""

    verify: date
    allocate: date
    trade: date
    surrender: date


def year_dates(year: int, deadline: date | None = None) -> YearDates:
    """Compliance year ``year`` runs in ``year`` + 1: verification 20 April,
    allocation 25 April, trades 15 May, surrenders 15 June — all moved earlier by
    the same days when a registry's surrender deadline for the year comes sooner
    than 30 June, so that surrenders are 15 days before the earliest deadline (EU
    ETS and Swiss ETS: 30 April, so 15 April) [assumption: the sources give each
    system's deadline, not a common calendar]."""
    default = YearDates(
        date(year + 1, 4, 20), date(year + 1, 4, 25), date(year + 1, 5, 15), date(year + 1, 6, 15)
    )
    if deadline is None or deadline - timedelta(days=15) >= default.surrender:
        return default
    shift = default.surrender - (deadline - timedelta(days=15))
    return YearDates(
        default.verify - shift, default.allocate - shift, default.trade - shift,
        default.surrender - shift,
    )  # fmt: skip


class Executor:
    def __init__(
        self,
        system: EmbeddedSystem,
        scenario: Scenario,
        models: dict[str, JurisdictionModel],
    ) -> None:
        self.system = system
        self.scenario = scenario
        self.models = models
        self.record = Record()
        self.years = scenario.year_list
        #: the authorization granted for each jurisdiction's units (authorized links)
        self.authorizations: dict[str, str] = {}
        self._dates: dict[int, YearDates] = {}

    def dates(self, year: int) -> YearDates:
        """The business dates of ``year``'s commands (:func:`year_dates`), before the
        earliest surrender deadline any registry of the scenario has for the year."""
        if year not in self._dates:
            deadlines = []
            for m in self.models.values():
                period = m.rules.period_of(year) if m.rules is not None else None
                if period is not None:
                    deadlines.append(period.surrender_by)
            self._dates[year] = year_dates(year, min(deadlines, default=None))
        return self._dates[year]

    def authorization_of(self, m: JurisdictionModel) -> str | None:
        """The code of the authorization the scenario's links granted for ``m``'s units."""
        return self.authorizations.get(m.id)

    # -- plumbing ---------------------------------------------------------------------------

    def registry(self, m: JurisdictionModel) -> ComplianceRegistry:
        reg = self.system.registry(m.code)
        assert isinstance(reg, ComplianceRegistry)
        return reg

    def plain(self, m: JurisdictionModel) -> RegistryApplication:
        return self.system.registry(m.code)

    def do(self, m: JurisdictionModel, command: str, year: int, data: dict[str, Any]) -> Receipt:
        self.record.commands += 1
        receipt = self.system.do(m.code, command, data)
        if receipt.refused:
            self._refused(m.code, command, data.get("transaction_id", ""), year, receipt)
        elif command in ("transfer_abroad", "forward") and receipt.state not in (
            "completed", "scheduled",  # scheduled: held back, released by a tick (release)
        ):  # fmt: skip
            # not refused, yet not credited either (e.g. returned by the destination)
            self.record.refusals.append(
                Refusal(m.code, command, data["transaction_id"], year, receipt.code or "incomplete",
                        receipt.reason or f"the transfer ended {receipt.state}, not completed")
            )  # fmt: skip
        return receipt

    def _refused(
        self, registry: str, command: str, transaction: str, year: int, receipt: Receipt
    ) -> None:
        self.record.refusals.append(
            Refusal(registry, command, transaction, year, receipt.code or "?", receipt.reason or "")
        )

    def call(
        self, m: JurisdictionModel, command: str, year: int, what: str, run: Callable[[], Any]
    ) -> Any:
        """A command that answers with a domain object and raises ``Refused``."""
        self.record.commands += 1
        try:
            return run()
        except Refused as refused:
            self.record.refusals.append(
                Refusal(m.code, command, what, year, refused.code, refused.reason)
            )
            return None

    # -- set-up --------------------------------------------------------------------------------

    def setup(self) -> None:
        ch = self.system.clearinghouse
        first = self.years[0]
        for party in sorted({m.party for m in self.models.values()}):
            spec = self.scenario.parties.get(party)
            ch.register_party(
                {
                    "code": party,
                    "name": (spec.name if spec and spec.name else party),
                    "ndc": {
                        "type": spec.ndc_type if spec else "absolute",
                        "period": "single-year",
                        "target_years": [self.years[-1]],
                        "description": spec.description if spec else "",
                    },
                }
            )
        for m in self.models.values():
            self.system.add_registry(m.config)
        for link in self.scenario.links:
            self._link(link, first)
        on = date(first, 1, 2)
        for m in self.models.values():
            if m.kind == "crediting":
                assert m.driver is not None
                m.driver.setup(self, m, on)
                continue
            if m.kind == "buyer":
                for c in m.cohorts:
                    self.plain(m).open_account({"account": c.id, "holder": f"{m.id} (buyer)"})
                continue
            reg = self.registry(m)
            if m.spec.adapter is None:  # a scenario registry: the authority's own accounts
                for account in (RESERVE, OFFSETS):
                    reg.open_account({"account": account, "holder": f"{m.id} authority"})
            for c in m.cohorts:
                data = {**m.registration(c), "business_date": on}
                self.call(m, "register_entity", first, c.id, partial(reg.register_entity, data))
            self._history(m)

    def _history(self, m: JurisdictionModel) -> None:
        """Verify the year before the first (an adapter whose first stage looks back,
        China's pre-allocation, needs it): BAU emissions, verified in its April."""
        rules = m.rules
        first = self.years[0]
        if m.spec.adapter is None or rules is None or len(rules.stages(first)) < 2:
            return
        reg = self.registry(m)
        for c in m.cohorts:
            tonnes = m.bau(c, first)
            data = {
                "entity": c.id,
                "year": first - 1,
                "tonnes": round(tonnes),
                "activity": m.activity(c, first, tonnes),
                "business_date": date(first, 4, 20),
            }
            self.call(m, "verify_emissions", first - 1, c.id, partial(reg.verify_emissions, data))

    def _link(self, link: Link, first: int) -> None:
        ch = self.system.clearinghouse
        src, dst = self.models[link.from_], self.models[link.to]
        start = (link.start or first) + 1  # trading for year t happens in t + 1
        directions = [_direction(src, dst, link.fraction)]
        if link.direction == "two-way":
            directions.append(_direction(dst, src, 1 / link.fraction))
        limits = []
        for value, jurisdiction, flow in (
            (link.import_limit, dst.code, "import"),
            (link.export_limit, src.code, "export"),
            (link.reverse_import_limit, src.code, "import"),
        ):
            if value is not None:
                limits.append(_limit(value, jurisdiction, flow))
        approach = link.cooperative_approach or f"{link.code}_CA"[:32]
        effective = link.effective_from or date(start, 1, 1)
        ch.conclude_agreement(
            {
                "code": link.code,
                "jurisdictions": [src.code, dst.code],
                "directions": directions,
                "limits": limits,
                "effective_from": effective,
                "authorized": link.authorized,
                "cooperative_approach": approach if link.authorized else None,
            }
        )
        self.record.link_events.append(
            {"link": link.code, "action": "concluded", "on": effective.isoformat()}
        )
        if link.authorized:
            sides = [(src, link.fraction)]
            if link.direction == "two-way":
                sides.append((dst, 1 / link.fraction))
            for side, _ in sides:
                code = f"{link.code}-{side.party}-{side.unit}"[:64]
                self.authorizations.setdefault(side.id, code)
                ch.grant_authorization(
                    {
                        "code": code,
                        "party": side.party,
                        "cooperative_approach": approach,
                        "unit_types": [side.unit],
                        "vintages": [first, self.years[-1]],
                        "purposes": link.purposes,
                        "first_transfer": link.first_transfer,
                        "authorized_on": date(first, 1, 1),
                    }
                )

    def link_changes(self, year: int) -> None:
        """Suspensions, resumptions and de-linking that take effect before ``year``'s
        trading (1 January of year + 1)."""
        ch = self.system.clearinghouse
        on = date(year + 1, 1, 1)

        def change(link: Link, action: str, when: date) -> None:
            ch.change_agreement({"code": link.code, "action": action, "on": when})
            self.record.link_events.append(
                {"link": link.code, "action": action, "on": when.isoformat()}
            )

        for link in self.scenario.links:
            if link.delink is not None and year == link.delink:
                when = link.delink_on or on
                before = self.dates(year - 1).trade
                if when <= before:
                    raise Refused(
                        "SIM-002",
                        file=self.scenario.name,
                        errors=f"link {link.code}: delink_on {when} comes before the trading of "
                        f"compliance year {year - 1} ({before}), which the link still carries",
                    )
                change(link, "delink", when)
                continue
            if link.delink is not None and year > link.delink:
                continue
            if year in link.suspend and (year - 1) not in link.suspend:
                change(link, "suspend", on)
            if year not in link.suspend and (year - 1) in link.suspend:
                change(link, "resume", on)
        self.system.settle()

    # -- a compliance year --------------------------------------------------------------------

    def verify(self, m: JurisdictionModel, plan: YearPlan) -> None:
        if m.kind in ("crediting", "buyer"):
            return
        reg = self.registry(m)
        y = plan.year
        for c in m.cohorts:
            tonnes = plan.verified[(m.id, c.id)]
            data = {
                "entity": c.id,
                "year": y,
                "tonnes": tonnes,
                "activity": m.activity(c, y, float(tonnes)),
                "business_date": self.dates(y).verify,
            }
            self.call(m, "verify_emissions", y, c.id, partial(reg.verify_emissions, data))

    def allocate(self, m: JurisdictionModel, plan: YearPlan) -> None:
        y = plan.year
        if m.kind == "buyer":
            return
        if m.kind == "crediting":  # each project's verified reductions, as its programme
            driver = m.driver  # issues them (clearinghouse/simulation/crediting.py)
            assert driver is not None
            on = self.dates(y).allocate
            for c in m.cohorts:
                key = (m.id, c.id)
                reductions = plan.outside.get(key) or plan.verified[key]
                if reductions <= 0:
                    continue
                receipt = driver.issue(self, m, c, y, reductions, on)
                self.record.issued.append({
                    "jurisdiction": m.id, "project": c.id, "sector": c.sector, "year": y,
                    "reductions": reductions, "credited": driver.credited(m, reductions),
                    "state": receipt.state, "tradable": key not in plan.outside,
                })  # fmt: skip
                if receipt.refused:
                    continue
                self.record.allocated[(m.id, c.id, y)] = receipt.quantity
                if key in plan.outside:
                    driver.keep(self, m, c, y, driver.credited(m, reductions), on)
            return
        rules = m.rules
        assert rules is not None
        stages = rules.stages(y)
        reg = self.registry(m)
        for c in m.cohorts:
            issued = 0
            for stage in stages:
                if stage != stages[-1] and not _allocates(rules, reg, c.id, y, stage):
                    continue  # the rules give this entity nothing at this stage (e.g.
                    # China's industry, issued once verified): no command, no refusal
                receipt = self.do(
                    m,
                    "allocate",
                    y,
                    {
                        "transaction_id": f"{y}-A-{stage}-{c.id}"[:80],
                        "entity": c.id,
                        "year": y,
                        "stage": stage,
                        "business_date": self.dates(y).allocate,
                    },
                )
                if not receipt.refused:
                    sign = -1 if receipt.kind == "recovery" else 1
                    issued += sign * receipt.quantity
            self.record.allocated[(m.id, c.id, y)] = issued

    def trade(self, plan: YearPlan) -> None:
        y = plan.year
        on = self.dates(y).trade
        counter: dict[str, int] = {}

        def tid(jid: str, kind: str) -> str:
            # the source registry's code is part of the id: a destination registry
            # remembers incoming transfers by id alone (adapters/base.py
            # _credit_incoming), so two registries' "2028-X3" would collide there
            counter[jid] = counter.get(jid, 0) + 1
            return f"{y}-{self.models[jid].code}-{kind}{counter[jid]}"

        by_kind: dict[str, list[Trade]] = {}
        for t in plan.trades:
            by_kind.setdefault(t.kind, []).append(t)
        sold = by_kind.get("auction", [])
        for n, offers in enumerate(plan.joint, start=1):
            group = [t for t in sold if t.jurisdiction in offers]
            if group:
                self._joint_auction(y, n, offers, group, on)
        for jid, m in self.models.items():
            auctions = [t for t in sold if t.jurisdiction == jid and not m.joint_auction]
            if auctions:
                self._auction(m, y, auctions, on)
            for kind, account, unit in (
                ("reserve", RESERVE, m.unit),
                ("offsets", OFFSETS, offset_type(jid)),
            ):
                total = sum(t.quantity for t in by_kind.get(kind, []) if t.jurisdiction == jid)
                if total:
                    self.do(m, "issue", y, {
                        "transaction_id": tid(jid, f"{kind[:3].upper()}-I"), "account": account,
                        "unit_type": unit, "vintage": y, "quantity": total, "business_date": on,
                    })  # fmt: skip
        for t in plan.trades:
            if t.kind == "auction":
                continue
            m = self.models[t.jurisdiction]
            if t.kind == "export":
                assert t.to_jurisdiction is not None
                data = {
                    "transaction_id": tid(t.jurisdiction, "X"), "account": t.seller,
                    "to_registry": self.models[t.to_jurisdiction].code, "to_account": t.buyer,
                    "quantity": t.quantity, "unit_type": t.unit_type, "business_date": on,
                }  # fmt: skip
                if m.driver is not None:  # a crediting programme delivers its own way
                    receipt = m.driver.export(self, m, data, y)
                else:
                    receipt = self.do(m, "transfer_abroad", y, data)
                self._held(m, "out", receipt, on)
            else:
                receipt = self.do(m, "transfer", y, {
                    "transaction_id": tid(t.jurisdiction, "T"), "account": t.seller,
                    "to_account": t.buyer, "quantity": t.quantity, "unit_type": t.unit_type,
                    "price": t.price, "business_date": on,
                })  # fmt: skip
                self._held(m, "internal", receipt, on)
        self.release(y)
        self._holding_limits(y, on)

    def _joint_auction(
        self, year: int, n: int, offers: dict[str, int], trades: list[Trade], on: date
    ) -> None:
        """One joint auction of the plan (``plan.joint``): each jurisdiction offers its
        share, each winner bids what the plan gives it, in the plan's order, at the
        market price in the reporting currency; the auction administrator
        (adapters/wci/joint.py) clears it and records each registry's share, whose
        deliveries across a border go through the clearinghouse."""
        registries = {self.models[j].code: self.plain(self.models[j]) for j in offers}
        price = min(price_of(float(t.price) / self.models[t.jurisdiction].spec.fx) for t in trades)
        bids: dict[tuple[str, str], int] = {}
        for t in trades:
            buyer = self.models[t.to_jurisdiction or t.jurisdiction].code
            bids[(buyer, t.buyer)] = bids.get((buyer, t.buyer), 0) + t.quantity
        auction_id = f"{year}-JOINT{n}"
        offered = {self.models[j].code: q for j, q in offers.items() if q > 0}
        data = {
            "auction_id": auction_id, "year": year, "business_date": on, "offers": offered,
            "bids": [{"registry": r, "account": a, "quantity": q, "price": price}
                     for (r, a), q in bids.items()],
        }  # fmt: skip
        self.record.commands += 1
        first = next(iter(registries.values()))
        try:
            result = hold_joint_auction(registries, data)  # type: ignore[arg-type]
        except Refused as refused:
            self.record.refusals.append(
                Refusal(first.code, "hold_joint_auction", auction_id, year, refused.code,
                        refused.reason)
            )  # fmt: skip
            return
        self.system.settle()
        self.record.auctions.append({
            "auction_id": auction_id, "year": year, "business_date": on.isoformat(),
            "registries": list(offered), "offered": result["offered"],
            "sold": result["sold"], "sold_by": result["sold_by"],
            "settlement_price": result["settlement_price"],
            "reserve_price": result["reserve_price"], "at_reserve": result["at_reserve"],
            "bidders": len(bids), "cut": result["cut"],
            "below_reserve": result["below_reserve"],
        })  # fmt: skip
        if result["sold"] != result["offered"] or result["cut"]:
            reasons = [c["reason"] for c in result["cut"]] or [
                f"{result['offered'] - result['sold']} of {result['offered']} allowances unsold "
                f"(bids at {price}, reserve price {result['reserve_price']})"
            ]
            self.record.refusals.append(
                Refusal(first.code, "hold_joint_auction", auction_id, year,
                        "MKT-601" if result["cut"] else "unsold", "; ".join(reasons))
            )  # fmt: skip

    def _holding_limits(self, year: int, on: date) -> None:
        """Where a registry has a holding limit (the WCI's), the limit in force on the
        trade date and the largest holding it counts after the trades."""
        for m in self.models.values():
            reg: Any = self.plain(m)
            if m.kind != "allowance" or not hasattr(reg, "holding_limit"):
                continue
            facts = dict(reg.holding_limit(on))
            facts["largest_holding"] = max((reg.holding(c.id) for c in m.cohorts), default=0)
            self.record.holding_limits.setdefault(m.id, {})[str(year)] = facts

    def _held(self, m: JurisdictionModel, direction: str, receipt: Receipt, on: date) -> None:
        """Note a transfer the registry holds back (EU/CH: ``ScheduledReceipt``)."""
        if receipt.state != "scheduled":
            return
        self.record.held.append({
            "registry": m.code, "transaction": receipt.transaction_id, "direction": direction,
            "quantity": receipt.quantity, "initiated": on.isoformat(),
            "execute_at": str(getattr(receipt, "execute_at", "")),
            "waits_for": list(getattr(receipt, "waits_for", [])), "executed": None,
            "state": "scheduled",
        })  # fmt: skip

    def release(self, year: int) -> None:
        """Tick business time for registries that hold transfers back until they may
        execute (``execute_due``: the EU–Swiss settlement calendar, the EU's 26-hour
        delay): at each due time, in order, every such registry executes what is due
        and the system settles, until nothing waits. A held transfer that does not
        end completed is recorded as a refusal (SIM-005)."""
        waiting = [m for m in self.models.values() if hasattr(self.plain(m), "execute_due")]
        if not waiting:
            return
        while True:
            due = [d.execute_at for m in waiting for d in self.plain(m).pending()]  # type: ignore[attr-defined]
            if not due:
                break
            at = min(due)
            for m in waiting:
                self.plain(m).execute_due(  # type: ignore[attr-defined]
                    {"business_date": at.date(), "time": at.time()}
                )
            self.system.settle()
        for row in self.record.held:
            if row["state"] != "scheduled":
                continue
            reg: Any = self.system.registry(row["registry"])
            deferred = reg.deferred(row["transaction"])
            receipt = reg.deferred_receipt(deferred)
            row["executed"] = deferred.closed_on.isoformat() if deferred.closed_on else None
            row["state"] = receipt.state
            if receipt.state != "completed":
                self.record.refusals.append(
                    Refusal(row["registry"], "execute_due", row["transaction"], year,
                            receipt.code or receipt.state, receipt.reason or
                            f"the held transfer ended {receipt.state}, not completed")
                )  # fmt: skip

    def _auction(self, m: JurisdictionModel, year: int, trades: list[Trade], on: date) -> None:
        """A K-ETS-style uniform-price auction of the pool, every bid at the market price."""
        offered = sum(t.quantity for t in trades)
        bids = [{"account": t.buyer, "quantity": t.quantity, "price": t.price} for t in trades]
        self.do(m, "hold_auction", year, {  # K-ETS: adapters/korea, E:2160-2162
            "transaction_id": f"{year}-AUCTION", "year": year, "offered": offered,
            "reserve_price": min((t.price for t in trades), default=Decimal(0)),
            "bids": bids, "business_date": on,
        })  # fmt: skip

    def surrender(self, m: JurisdictionModel, plan: YearPlan) -> None:
        y = plan.year
        if m.kind == "crediting":
            return
        if m.kind == "buyer":  # units acquired are used towards the buyer's NDC
            for c in m.cohorts:
                for n, (unit, q) in enumerate(sorted(plan.surrender[(m.id, c.id)].items())):
                    self.do(m, "retire", y, {
                        "transaction_id": f"{y}-R{n}-{c.id}"[:80], "account": c.id,
                        "quantity": q, "unit_type": unit, "purpose": "ndc",
                        "business_date": self.dates(y).surrender,
                    })  # fmt: skip
            return
        rules = m.rules
        assert rules is not None
        period = rules.period_of(y)
        if period is None:
            self.record.refusals.append(
                Refusal(m.code, "comply", f"{y}", y, "CMP-005", f"{m.code} has no period for {y}")
            )
            return
        for c in m.cohorts:
            for n, (unit, quantity) in enumerate(sorted(plan.surrender[(m.id, c.id)].items())):
                self.do(m, "comply", y, {
                    "transaction_id": f"{y}-S{n}-{c.id}"[:80], "entity": c.id,
                    "period": period.id, "quantity": quantity, "unit_type": unit,
                    "business_date": self.dates(y).surrender,
                })  # fmt: skip

    def close(self, m: JurisdictionModel, year: int, price: Decimal) -> None:
        """Close the period that ends with ``year`` (after its deadline)."""
        rules = m.rules
        if m.kind not in ("allowance", "credit") or rules is None:
            return
        period = rules.period_of(year)
        if period is None or period.last != year:
            return
        reg = self.registry(m)
        on = period.surrender_by + timedelta(days=1)
        data = {"period": period.id, "business_date": on, "reference_price": price}
        results = self.call(m, "close_period", year, period.id, lambda: reg.close_period(data))
        if results is not None:
            self.record.closed.setdefault(m.id, []).extend(results)


def _direction(src: JurisdictionModel, dst: JurisdictionModel, rate: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source": src.code,
        "destination": dst.code,
        "unit_types": [src.unit],
        "rate": str(rate),
    }
    if rate != 1:
        data["convert_to"] = own_unit(dst)
    return data


def _limit(value: Any, jurisdiction: str, flow: str) -> dict[str, Any]:
    if isinstance(value, LimitAmount):
        return {
            "jurisdiction": jurisdiction,
            "flow": flow,
            "percent": str(value.percent),
            "reference": round(value.reference * MT),
        }
    return {"jurisdiction": jurisdiction, "flow": flow, "tonnes": limit_tonnes(value)}


def _allocates(rules: Any, reg: ComplianceRegistry, entity: str, year: int, stage: str) -> bool:
    """Whether the rules allocate ``entity`` at an intermediate ``stage`` (a pure call
    on the registry's own state of the entity)."""
    found = reg.entity(entity)
    if found is None:
        return True  # let the registry refuse it, with its code
    try:
        rules.allocation(found, year, stage)
    except Refused:
        return False
    return True

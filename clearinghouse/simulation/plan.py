"""From a cleared market to registry commands: whole tonnes, positions, matched trades.

The market clears in Mt with real numbers; registries move whole units. For each
compliance year :func:`plan_year` turns the solution into integers and decides
who trades with whom:

1. each arc's flow in whole tonnes of source units (a multiple of the exchange
   rate's denominator, so conversions are whole: AGR-005) and the units the
   destination receives (flow × rate); the ceiling reserve sold, the units
   withdrawn at the floor, offsets used and units banked, in whole tonnes;
2. each cohort's verified emissions = BAU − its members' abatement at the price,
   rounded; the few tonnes rounding leaves over in a jurisdiction are put on its
   largest cohort, so that every jurisdiction balances exactly: units counted
   (banked ones, if it banks) + allowances + auction pool + imports + reserve +
   offsets = obligations + exports + withdrawn + banked + unused;
3. matching, largest first: each arc pairs the source's sellers with the
   destination's buyers (one cross-border transfer per pair); what remains is
   matched inside each jurisdiction (one internal transfer per pair and unit
   type); a K-ETS-style auction pool and a ceiling reserve are sellers like the
   others, a floor withdrawal a buyer. Greedy matching gives at most sellers +
   buyers − 1 trades. Registries that hold joint auctions (the WCI's) sell
   their auction shares together first: each short cohort bids its need in
   whole lots and is served from its own jurisdiction's allowances, then the
   others' (:meth:`_Book.joint_auction`); what crosses a border between them
   is those deliveries;
4. what each cohort surrenders, by unit type: offsets first, then units of
   other jurisdictions, then its own.

A *crediting* registry's projects sell what they abate, in credits that add up
to the flows; its programme's driver says how many verified reductions that
takes (:mod:`clearinghouse.simulation.crediting`).

A *credit* system (Tokyo, Saitama) allocates nothing: a facility below its
annual cap is credited the difference, one above it must surrender the excess;
the same plan applies with "allowances" = credits and "obligation" = the excess.

Pure: no I/O. The executor (:mod:`clearinghouse.simulation.execute`) sends the
result to the registries.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from clearinghouse.simulation.market import Solution
from clearinghouse.simulation.model import MT, JurisdictionModel, arc_limits
from clearinghouse.simulation.registry import offset_type
from clearinghouse.simulation.scenario import Link, Scenario

AUCTION = "AUCTION"  # K-ETS-style: the year's auction pool, sold by ``hold_auction``
#: joint auctions sell whole lots of 1,000 allowances (registries-and-reporting.md L48)
LOT = 1_000
RESERVE = "RESERVE"  # the authority's account: ceiling sales and floor withdrawals
OFFSETS = "OFFSETS"  # offset credits issued before they are sold to entities


@dataclass(frozen=True)
class Trade:
    """One transfer of units: ``quantity`` source units leave, ``received`` arrive."""

    kind: str  # domestic | export | auction | reserve | withdraw | offsets
    jurisdiction: str  # where the units leave from
    seller: str  # account
    buyer: str  # account
    unit_type: str
    quantity: int
    received: int
    price: Decimal  # per source unit, in the source jurisdiction's currency
    to_jurisdiction: str | None = None
    link: str | None = None  # the link's id for exports
    arc: str | None = None  # "B->A"


@dataclass
class YearPlan:
    year: int
    verified: dict[tuple[str, str], int] = field(default_factory=dict)  # (jid, cohort) -> t
    obligation: dict[tuple[str, str], int] = field(default_factory=dict)
    allowances: dict[tuple[str, str], int] = field(default_factory=dict)  # free (or credits)
    auction_pool: dict[str, int] = field(default_factory=dict)
    flows: dict[str, int] = field(default_factory=dict)  # arc name -> t of source units
    received: dict[str, int] = field(default_factory=dict)  # arc name -> t arriving
    reserve: dict[str, int] = field(default_factory=dict)
    withdrawn: dict[str, int] = field(default_factory=dict)
    offsets: dict[str, int] = field(default_factory=dict)
    banked: dict[str, int] = field(default_factory=dict)  # the jurisdiction's end-of-year bank
    unused: dict[str, int] = field(default_factory=dict)
    rounding: dict[str, int] = field(default_factory=dict)  # t moved onto the largest cohort
    trades: list[Trade] = field(default_factory=list)
    surrender: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    #: joint auctions: the jurisdictions that auction together, each group's offers
    #: (t, in the order the registries serve winners) and the lots bid beyond needs
    joint: list[dict[str, int]] = field(default_factory=list)
    lot_rounding: dict[str, int] = field(default_factory=dict)
    #: crediting projects outside the market: verified reductions issued and kept
    outside: dict[tuple[str, str], int] = field(default_factory=dict)


#: cohort holdings carried between years: (jid, cohort) -> unit type -> t
Holdings = dict[tuple[str, str], dict[str, int]]
#: (jurisdiction, cohort, verified t) -> units of other jurisdictions it may surrender
Capacity = Callable[[str, str, int], int | None]


def price_of(value: float) -> Decimal:
    """A trade price: two decimals (the registries' prices are money)."""
    return Decimal(str(round(value, 2)))


def own_unit(m: JurisdictionModel) -> str:
    """The unit a jurisdiction's cohorts receive from their own registry."""
    if m.kind == "credit":
        credit = getattr(m.rules, "excess_credit", None)
        if credit:
            return str(credit)
    return m.unit


def link_between(links: list[Link], source: str, destination: str) -> tuple[Link, Fraction]:
    """The link an arc belongs to and its rate (destination units per source unit)."""
    for link in links:
        if (link.from_, link.to) == (source, destination):
            return link, link.fraction
        if link.direction == "two-way" and (link.to, link.from_) == (source, destination):
            return link, 1 / link.fraction
    raise KeyError(f"no link {source}->{destination}")


def plan_year(
    scenario: Scenario,
    models: dict[str, JurisdictionModel],
    solution: Solution,
    allowances: dict[str, dict[tuple[str, int], tuple[int, int]]],
    year: int,
    holdings: Holdings,
    capacity: Capacity | None = None,
) -> YearPlan:
    """The integer plan of ``year``. ``holdings`` (carried from earlier years) is
    updated to what each cohort holds after surrender. ``capacity(jid, cohort,
    verified t)`` says how many units of other jurisdictions a cohort can surrender
    (an adapter's limits; None: no limit)."""
    plan = YearPlan(year)
    _flows(plan, scenario, solution)
    for jid, m in models.items():
        _cohorts(plan, m, solution, allowances[jid], holdings)
        if m.kind == "buyer":  # it retires for its NDC what it receives
            received = sum(q for arc, q in plan.received.items() if arc.split("->")[1] == jid)
            plan.obligation[(jid, m.cohorts[0].id)] = received
            plan.reserve[jid] = plan.withdrawn[jid] = plan.banked[jid] = plan.unused[jid] = 0
        _balance(plan, m, holdings)
    limits: dict[tuple[str, str], int] = {}
    if capacity is not None:
        for key, verified in plan.verified.items():
            cap = capacity(key[0], key[1], verified)
            if cap is not None:
                limits[key] = cap
    book = _Book(plan, models, holdings)
    for jid, m in models.items():
        book.deliver_offsets(m)
        book.keep(jid, plan.banked[jid] + plan.unused.get(jid, 0))
    for group in joint_groups(scenario, models, year):
        book.joint_auction(group, solution)
    book.cross_border(scenario, solution, limits)
    for m in models.values():
        book.domestic(m, solution)
    book.surrender()
    return plan


def joint_groups(
    scenario: Scenario, models: dict[str, JurisdictionModel], year: int
) -> list[list[str]]:
    """Jurisdictions whose registries auction together in ``year``: those that hold
    joint auctions (the WCI's), grouped by the links in force between them, in the
    scenario's order (a jurisdiction linked to none auctions alone)."""
    joint = [jid for jid, m in models.items() if m.joint_auction]
    group_of = {jid: {jid} for jid in joint}
    for link in scenario.links:
        a, b = link.from_, link.to
        if a in group_of and b in group_of and link.active(year) and group_of[a] is not group_of[b]:
            merged = group_of[a] | group_of[b]
            for jid in merged:
                group_of[jid] = merged
    out: list[list[str]] = []
    for jid in joint:
        group = [j for j in joint if j in group_of[jid]]
        if group not in out:
            out.append(group)
    return out


# -- 1 and 2: whole tonnes ------------------------------------------------------------------


def _flows(plan: YearPlan, scenario: Scenario, solution: Solution) -> None:
    for (arc, y), flow in sorted(solution.flows.items()):
        if y != plan.year:
            continue
        source, destination = arc.split("->")
        link, rate = link_between(scenario.links, source, destination)
        step = rate.denominator
        tonnes = round(flow * MT / step) * step
        limit = arc_limits(link).get((source, destination))
        if limit is not None and tonnes > limit:  # the agreement counts whole tonnes
            tonnes = limit - limit % step
        if tonnes > 0:
            plan.flows[arc] = tonnes
            plan.received[arc] = int(tonnes * rate)


def _cohorts(
    plan: YearPlan,
    m: JurisdictionModel,
    solution: Solution,
    allowances: dict[tuple[str, int], tuple[int, int]],
    holdings: Holdings,
) -> None:
    jid, year = m.id, plan.year
    pos = solution.positions[(jid, year)]
    pool = 0
    for c in m.cohorts:
        key = (jid, c.id)
        holdings.setdefault(key, {})
        total, auctioned = allowances[(c.id, year)]
        abated = c.abatement(pos.price, year, m.first)
        verified = round(m.bau(c, year) - abated)
        plan.verified[key] = verified
        if m.kind == "crediting":
            continue  # below: the projects together
        if m.kind == "buyer":
            plan.verified[key] = 0
            plan.allowances[key] = 0
            plan.obligation[key] = 0  # what it receives, once the flows are known
        elif m.kind == "credit":
            plan.allowances[key] = max(0, total - verified)  # total is the annual cap
            plan.obligation[key] = max(0, verified - total)
        else:
            plan.allowances[key] = total - auctioned
            plan.obligation[key] = verified
            pool += auctioned
    if m.kind == "crediting":
        _projects(plan, m, pos.price)
    plan.auction_pool[jid] = pool
    plan.reserve[jid] = round(pos.reserve * MT)
    plan.banked[jid] = round(solution.banked.get((jid, year), 0.0) * MT)
    surplus = round(pos.surplus * MT)
    if m.floor.get(year) is not None:
        plan.withdrawn[jid] = surplus
    else:
        plan.unused[jid] = surplus
    plan.offsets[jid] = _offsets_used(m, pos.price, year, allowances)


def _projects(plan: YearPlan, m: JurisdictionModel, price: float) -> None:
    """A crediting registry's projects: each sells what it abates at the price, in
    whole credits that add up to what crosses the links (the rounding on the
    largest project), and its verified reductions are the fewest whose issuance
    credits that much to its participants (the JCM buyer's share; A6.4: less the
    share of proceeds and the OMGE — clearinghouse/simulation/crediting.py). A
    project outside the market abates its whole potential and keeps its credits."""
    driver = m.driver
    assert driver is not None
    year = plan.year
    sold = sum(q for arc, q in plan.flows.items() if arc.split("->")[0] == m.id)
    credits: dict[str, int] = {}
    for c in m.cohorts:
        key = (m.id, c.id)
        plan.obligation[key] = plan.verified[key] = plan.allowances[key] = 0
        if c.id in m.outside:
            potential = sum(e.potential(year, m.first) for e in c.members)
            plan.outside[key] = round(potential)
        else:
            credits[c.id] = round(c.abatement(price, year, m.first))
    gap = sold - sum(credits.values())
    if credits and gap:
        largest = max(credits, key=lambda cid: credits[cid])
        credits[largest] = max(0, credits[largest] + gap)
    for cid, q in credits.items():
        reductions = driver.reductions(m, q)
        plan.verified[(m.id, cid)] = reductions
        plan.allowances[(m.id, cid)] = driver.credited(m, reductions)


def _offsets_used(
    m: JurisdictionModel,
    price: float,
    year: int,
    allowances: dict[tuple[str, int], tuple[int, int]],
) -> int:
    if m.spec.offsets is None or not m.offsets.get(year) or price <= 0:
        return 0
    supply = sum(allowances[(c.id, year)][0] for c in m.cohorts)
    potential = min(m.offsets[year], m.spec.offsets.limit * supply / MT)
    return math.floor(min(price / m.spec.offsets.slope, potential) * MT)


def counted(m: JurisdictionModel, holdings: Holdings) -> int:
    """Units carried into the year that the market counts: the bank, if it banks.
    Without banking, units left over from earlier years are idle: the market did
    not count them, so the plan does not either (they stay where they are)."""
    if not m.spec.banking:
        return 0
    return sum(sum(holdings[(m.id, c.id)].values()) for c in m.cohorts)


def _balance(plan: YearPlan, m: JurisdictionModel, holdings: Holdings) -> None:
    """Put the rounding residual on the largest cohort (emissions and obligation)."""
    jid = m.id
    keys = [(jid, c.id) for c in m.cohorts]
    supply = (
        counted(m, holdings)
        + sum(plan.allowances[k] for k in keys)
        + plan.auction_pool[jid]
        + sum(q for arc, q in plan.received.items() if arc.split("->")[1] == jid)
        + plan.reserve[jid]
        + plan.offsets[jid]
    )
    uses = (
        sum(plan.obligation[k] for k in keys)
        + sum(q for arc, q in plan.flows.items() if arc.split("->")[0] == jid)
        + plan.withdrawn.get(jid, 0)
        + plan.banked[jid]
        + plan.unused.get(jid, 0)
    )
    residual = supply - uses
    if residual == 0:
        return
    if m.kind in ("credit", "crediting"):
        # credits and obligations are both whole per facility: nothing to round
        plan.unused[jid] = plan.unused.get(jid, 0) + max(0, residual)
        if residual > 0:
            return
    largest = max(keys, key=lambda k: plan.obligation[k])
    plan.obligation[largest] += residual
    plan.verified[largest] += residual
    plan.rounding[jid] = residual


# -- 3 and 4: matching and surrender ---------------------------------------------------------


class _Book:
    """Open positions and holdings while the year's trades are matched."""

    def __init__(
        self, plan: YearPlan, models: dict[str, JurisdictionModel], holdings: Holdings
    ) -> None:
        self.plan = plan
        self.models = models
        self.holdings = holdings
        self.open: dict[tuple[str, str], int] = {}
        self.auctioned_arcs: set[str] = set()
        for jid, m in models.items():
            idle = not m.spec.banking
            for c in m.cohorts:
                key = (jid, c.id)
                have = (0 if idle else sum(holdings[key].values())) + plan.allowances[key]
                self.open[key] = have - plan.obligation[key]
                self._add(key, own_unit(m), plan.allowances[key])

    def _add(self, key: tuple[str, str], unit: str, q: int) -> None:
        held = self.holdings[key]
        held[unit] = held.get(unit, 0) + q

    def _ranked(self, jid: str, long: bool) -> list[str]:
        ids = [c.id for c in self.models[jid].cohorts]
        return sorted(ids, key=lambda c: -self.open[(jid, c)] if long else self.open[(jid, c)])

    def deliver_offsets(self, m: JurisdictionModel) -> None:
        """Offsets go to cohorts pro rata to their limit (a share of their allocation)."""
        total = self.plan.offsets[m.id]
        if not total:
            return
        weights = {c.id: self.plan.allowances[(m.id, c.id)] for c in m.cohorts}
        for cid, q in split(total, weights).items():
            if q:
                unit = offset_type(m.id)
                self.plan.trades.append(
                    Trade("offsets", m.id, OFFSETS, cid, unit, q, q, Decimal(0))
                )
                self.open[(m.id, cid)] += q
                self._add((m.id, cid), unit, q)

    def keep(self, jid: str, quantity: int) -> None:
        """Units banked or left unused stay with the longest cohorts: not offered."""
        for cid in self._ranked(jid, long=True):
            if quantity <= 0:
                return
            q = min(quantity, max(0, self.open[(jid, cid)]))
            self.open[(jid, cid)] -= q
            quantity -= q

    def joint_auction(self, group: list[str], solution: Solution) -> None:
        """The group's allowances for auction sold at one joint auction: every short
        cohort bids its need rounded up to whole lots of 1,000 (L48), at the market
        price; each jurisdiction offers its auction share plus the lots its own
        bidders round up [assumption: at most 999 t per bidder more than the cap's
        auction share is issued]; the winners are served as the registries serve
        them — from their own jurisdiction's allowances first, then the others' in
        the order of the offers (adapters/wci/joint.py ``distribute``, [GK]) — so
        what crosses a border is what the auction delivers across it. The flows of
        the arcs inside the group are those deliveries (their net per jurisdiction
        is the clearing's)."""
        plan = self.plan
        pools = {j: plan.auction_pool[j] for j in group}
        if not any(pools.values()):
            return
        bids: list[tuple[str, str, int]] = []
        rounding = dict.fromkeys(group, 0)
        for j in group:
            for cid in self._ranked(j, long=False):
                need = -self.open[(j, cid)]
                if need > 0:
                    bid = math.ceil(need / LOT) * LOT
                    bids.append((j, cid, bid))
                    rounding[j] += bid - need
        # the offers' order is the order the registries serve winners from other
        # jurisdictions: the longest first, so the fewest allowances cross a border
        # (the clearing's least-volume flows, as far as the greedy rule allows)
        needs = {j: sum(b for bj, _, b in bids if bj == j) for j in group}
        order = sorted(group, key=lambda j: needs[j] - pools[j])
        offers = {j: pools[j] + rounding[j] for j in order}
        gap = sum(b for _, _, b in bids) - sum(offers.values())
        if gap:  # rounding in the clearing's Mt: the largest offer takes it up
            largest = max(group, key=lambda j: offers[j])
            offers[largest] = max(0, offers[largest] + gap)
            rounding[largest] += gap
        plan.joint.append(dict(offers))
        for j in group:
            plan.lot_rounding[j] = rounding[j]
            plan.auction_pool[j] = 0  # sold here, not again by the domestic matching
        for arc in [a for a in plan.flows if set(a.split("->")) <= set(group)]:
            del plan.flows[arc]
            plan.received.pop(arc, None)
        left = dict(offers)
        for buyer_j, cid, bid in bids:
            want = bid
            for source in [buyer_j, *(j for j in offers if j != buyer_j)]:
                take = min(want, left[source])
                if take <= 0:
                    continue
                unit = self.models[source].unit
                price = price_of(solution.price(source, plan.year))
                cross = source != buyer_j
                arc = f"{source}->{buyer_j}"
                plan.trades.append(
                    Trade("auction", source, AUCTION, cid, unit, take, take, price,
                          buyer_j if cross else None, None, arc if cross else None)
                )  # fmt: skip
                if cross:
                    plan.flows[arc] = plan.flows.get(arc, 0) + take
                    plan.received[arc] = plan.received.get(arc, 0) + take
                self.open[(buyer_j, cid)] += take
                self._add((buyer_j, cid), unit, take)
                left[source] -= take
                want -= take
                if want == 0:
                    break
        self.auctioned_arcs |= {a for a in plan.flows if set(a.split("->")) <= set(group)}

    def cross_border(
        self, scenario: Scenario, solution: Solution, capacity: dict[tuple[str, str], int]
    ) -> None:
        plan = self.plan
        for arc, tonnes in sorted(plan.flows.items()):
            if arc in self.auctioned_arcs:  # delivered by a joint auction
                continue
            source, destination = arc.split("->")
            link, rate = link_between(scenario.links, source, destination)
            sent = self.models[source].unit
            arriving = sent if rate == 1 else own_unit(self.models[destination])
            price = price_of(solution.price(source, plan.year))
            step = rate.denominator
            left = tonnes
            while left > 0:
                seller = self._exporter(source, sent, step)
                buyer, want = self._importer(destination, arriving, capacity)
                offered = self.open[(source, seller)]
                if offered <= 0:  # nobody is long enough: the largest holder sends it all
                    offered = left
                q = min(
                    left,
                    max(offered, step),
                    max(self.holdings[(source, seller)].get(sent, 0), step),
                    max(math.ceil(want / rate), step),
                )
                q = max(step, q - q % step) if left >= step else left
                q = min(q, left)
                got = int(q * rate)
                plan.trades.append(
                    Trade("export", source, seller, buyer, sent, q, got, price,
                          destination, link.code, arc)
                )  # fmt: skip
                self.open[(source, seller)] -= q
                self.open[(destination, buyer)] += got
                self._add((source, seller), sent, -q)
                self._add((destination, buyer), arriving, got)
                left -= q

    def _exporter(self, jid: str, unit: str, step: int) -> str:
        ranked = self._ranked(jid, long=True)
        for cid in ranked:
            if self.open[(jid, cid)] > 0 and self.holdings[(jid, cid)].get(unit, 0) >= step:
                return cid
        return max(ranked, key=lambda c: self.holdings[(jid, c)].get(unit, 0))

    def _importer(
        self, jid: str, unit: str, capacity: dict[tuple[str, str], int]
    ) -> tuple[str, int]:
        """The shortest cohort that can still use ``unit`` and how many it takes:
        its deficit, within what its registry lets it surrender (``capacity``). If
        none can, the shortest cohort takes them (and its registry will say no)."""
        ranked = self._ranked(jid, long=False)
        own = own_unit(self.models[jid])
        for cid in ranked:
            need = -self.open[(jid, cid)]
            cap = capacity.get((jid, cid))
            held = self.holdings[(jid, cid)]
            foreign = sum(q for u, q in held.items() if u != own)  # the limit covers them all
            room = need if cap is None else min(need, cap - foreign)
            if room > 0:
                return cid, room
        # then a cohort that is not short but may still use foreign units: it will
        # surrender them and sell its own allowances to the short ones instead
        for cid in ranked:
            cap = capacity.get((jid, cid))
            if cap is not None:
                held = self.holdings[(jid, cid)]
                room = cap - sum(q for u, q in held.items() if u != own)
                if room > 0:
                    return cid, room
        # nobody can use more: the shortest cohort takes the rest (an importer that
        # banks them, or a surrender its registry will refuse and the results show)
        return ranked[0], sum(max(0, -self.open[(jid, c)]) for c in ranked) or 10**15

    def domestic(self, m: JurisdictionModel, solution: Solution) -> None:
        jid, plan = m.id, self.plan
        price = price_of(solution.price(jid, plan.year))
        own = own_unit(m)
        sellers: list[tuple[str, str, int]] = []  # (kind, account, quantity)
        if plan.auction_pool[jid]:
            sellers.append(("auction", AUCTION, plan.auction_pool[jid]))
        if plan.reserve[jid]:
            sellers.append(("reserve", RESERVE, plan.reserve[jid]))
        sellers += [
            ("domestic", c, self.open[(jid, c)])
            for c in self._ranked(jid, long=True)
            if self.open[(jid, c)] > 0
        ]
        buyers = [(c, -self.open[(jid, c)]) for c in self._ranked(jid, long=False)
                  if self.open[(jid, c)] < 0]  # fmt: skip
        if plan.withdrawn.get(jid):
            buyers.append((RESERVE, plan.withdrawn[jid]))
        ceiling = price_of(m.ceiling.get(plan.year) or 0.0)
        i = j = 0
        s_left = sellers[0][2] if sellers else 0
        b_left = buyers[0][1] if buyers else 0
        while i < len(sellers) and j < len(buyers):
            kind, seller, _ = sellers[i]
            buyer = buyers[j][0]
            q = min(s_left, b_left)
            if buyer == RESERVE:
                kind = "withdraw"
            if seller in (AUCTION, RESERVE):
                chunks = [(own, q)]
            else:
                chunks = self._take((jid, seller), q, own)
            for unit, part in chunks:
                at = ceiling if kind == "reserve" else price
                plan.trades.append(Trade(kind, jid, seller, buyer, unit, part, part, at))
                if buyer != RESERVE:
                    self._add((jid, buyer), unit, part)
            if seller not in (AUCTION, RESERVE):
                self.open[(jid, seller)] -= q
            if buyer != RESERVE:
                self.open[(jid, buyer)] += q
            s_left -= q
            b_left -= q
            if s_left <= 0:
                i += 1
                s_left = sellers[i][2] if i < len(sellers) else 0
            if b_left <= 0:
                j += 1
                b_left = buyers[j][1] if j < len(buyers) else 0

    def _take(self, key: tuple[str, str], q: int, own: str) -> list[tuple[str, int]]:
        """``q`` units out of a cohort's holdings, its own unit type first."""
        held = self.holdings[key]
        out = []
        for unit in sorted(held, key=lambda u: u != own):
            part = min(q, held.get(unit, 0))
            if part > 0:
                held[unit] -= part
                out.append((unit, part))
                q -= part
            if q == 0:
                break
        if q > 0:  # cannot happen when the books balance; sell the own type and let it show
            held[own] = held.get(own, 0) - q
            out.append((own, q))
        return out

    def surrender(self) -> None:
        for jid, m in self.models.items():
            own = own_unit(m)
            offsets = offset_type(jid)
            for c in m.cohorts:
                key = (jid, c.id)
                need = self.plan.obligation[key]
                held = self.holdings[key]
                out: dict[str, int] = defaultdict(int)
                for unit in sorted(held, key=lambda u: (u != offsets, u == own, u)):
                    q = min(need, held.get(unit, 0))
                    if q > 0:
                        out[unit] += q
                        held[unit] -= q
                        need -= q
                self.plan.surrender[key] = dict(out)
                for unit in [u for u, q in held.items() if q == 0]:
                    del held[unit]


def split(total: int, weights: dict[str, int]) -> dict[str, int]:
    """``total`` whole units pro rata to ``weights`` (largest remainders)."""
    mass = sum(weights.values())
    if mass <= 0:
        return {next(iter(weights)): total}
    raw = {k: Fraction(total * w, mass) for k, w in weights.items()}
    out = {k: int(v) for k, v in raw.items()}
    left = total - sum(out.values())
    for k in sorted(raw, key=lambda k: raw[k] - out[k], reverse=True)[:left]:
        out[k] += 1
    return out

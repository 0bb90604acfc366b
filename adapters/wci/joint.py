"""Holding a joint auction across the linked WCI registries.

The auction administrator (an entrypoint, like the CLI) validates the bids,
works out each bidder's cap from the registries' state, clears the auction
(:func:`adapters.wci.auction.clear_joint`, pure) and hands each jurisdiction
its share (:meth:`adapters.wci.registry.WciRegistry.record_auction`). The
registries never call each other: allowances a bidder of another jurisdiction
won cross the link through the clearinghouse.

Who gets which jurisdiction's allowances is not in the sources [GK]: each
winner is served first from its own jurisdiction's allowances sold, the rest
from the others' (in the order the offers are given), so as few allowances as
possible cross a border. Winners that are covered entities receive them in
their compliance account, others in their holding account [GK].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from adapters.wci.auction import Award, Cap, JointBid, clear_joint
from adapters.wci.commands import AuctionShare, Delivery, JointAuction
from adapters.wci.market import AUCTION_SOURCE, BidderKind, PurchaseLimits, reserve_price
from adapters.wci.registry import WciRegistry
from adapters.wci.rules import compliance_account
from clearinghouse.checks import Refused
from clearinghouse.commands import validate


def bidder_kind(registry: WciRegistry, account: str) -> BidderKind:
    """A covered entity, a ``utility`` (sector), or any other registered participant."""
    entity = registry.entity(account)
    if entity is None:
        return "other"
    return "utility" if entity.sector == "utility" else "covered_entity"


def hold_joint_auction(
    registries: Mapping[str, WciRegistry],
    data: JointAuction | dict[str, Any],
    *,
    limits: PurchaseLimits | None = None,
) -> dict[str, Any]:
    """Clear a joint auction and record each jurisdiction's share; returns the result.

    With an :class:`~clearinghouse.system.EmbeddedSystem`, pass
    ``{code: system.registry(code) for code in ...}`` and settle the system
    afterwards for the issuance and the deliveries to go through."""
    cmd = validate(JointAuction, data)
    limits = limits or PurchaseLimits()
    market = next(iter(registries.values())).rules.market
    linked = market.linked(cmd.business_date)
    involved = sorted({*cmd.offers, *(b.registry for b in cmd.bids)})
    for code in involved:
        if code not in linked or code not in registries:
            raise Refused(
                "MKT-602",
                registry=code,
                auction=cmd.auction_id,
                date=cmd.business_date,
                linked=", ".join(linked),
                source=AUCTION_SOURCE,
            )
    for b in cmd.bids:
        if registries[b.registry].account(b.account) is None:
            raise Refused("UNT-007", registry=b.registry, account=b.account)
    reserve = cmd.reserve_price if cmd.reserve_price is not None else reserve_price(cmd.year)
    offered = sum(cmd.offers.values())
    caps: dict[str, Cap] = {}
    kinds: dict[str, BidderKind] = {}
    for b in cmd.bids:
        key = f"{b.registry}/{b.account}"
        if key in caps:
            continue
        registry = registries[b.registry]
        kind = kinds[key] = bidder_kind(registry, b.account)
        purchase = limits.limit(kind, cmd.kind, offered)
        caps[key] = Cap(
            purchase,
            Refused(
                "MKT-601",
                bidder=key,
                auction=cmd.auction_id,
                limit=purchase,
                share=limits.share(kind, cmd.kind) * 100,
                offered=offered,
                kind=kind.replace("_", " "),
                source=limits.source,
            ).reason,
        )
        if kind == "other":  # delivered to the holding account: the holding limit applies
            room = max(0, market.holding_limit(cmd.business_date) - registry.holding(b.account))
            if room < purchase:
                caps[key] = Cap(
                    room,
                    Refused(
                        "CMP-601",
                        account=b.account,
                        total=registry.holding(b.account) + purchase,
                        registry=b.registry,
                        limit=market.holding_limit(cmd.business_date),
                        cap=market.combined_cap(cmd.business_date),
                        members=" + ".join(linked),
                        year=cmd.business_date.year,
                        source="registries-and-reporting.md L46",
                    ).reason,
                )
    clearing = clear_joint(
        dict(cmd.offers),
        [JointBid(b.account, b.registry, b.quantity, b.price) for b in cmd.bids],
        reserve,
        caps,
    )
    sold_by = clearing.sold_by()
    result: dict[str, Any] = {
        "auction_id": cmd.auction_id,
        "kind": cmd.kind,
        "vintage": cmd.vintage,
        "business_date": cmd.business_date.isoformat(),
        "offered": offered,
        "reserve_price": str(reserve),
        "settlement_price": str(clearing.price) if clearing.price is not None else None,
        "at_reserve": clearing.at_reserve,
        "sold": clearing.sold,
        "unsold": offered - clearing.sold,
        "sold_by": sold_by,
        "proceeds_by": {j: str(p) for j, p in clearing.proceeds_by().items()},
        "awards": [
            {**asdict(a), "kind": kinds[f"{a.registry}/{a.bidder}"]} for a in clearing.awards
        ],
        "cut": [{**asdict(c), "price": str(c.price)} for c in clearing.cut],
        "below_reserve": clearing.below_reserve,
    }
    if clearing.price is None:
        return result
    deliveries = distribute(sold_by, list(clearing.awards), list(cmd.offers), kinds)
    receipts = {}
    for code, sold in sold_by.items():
        if sold == 0:
            continue
        share = AuctionShare(
            transaction_id=f"{cmd.auction_id}:{code}",
            auction_id=cmd.auction_id,
            vintage=cmd.vintage,
            kind=cmd.kind,
            business_date=cmd.business_date,
            price=clearing.price,
            sold=sold,
            deliveries=deliveries[code],
            result={k: v for k, v in result.items() if k not in ("awards", "cut")},
        )
        receipts[code] = registries[code].record_auction(share).state
    result["recorded"] = receipts
    return result


def distribute(
    sold_by: dict[str, int],
    awards: list[Award],
    order: list[str],
    kinds: Mapping[str, BidderKind],
) -> dict[str, list[Delivery]]:
    """Which jurisdiction's allowances go to which winner: its own first, then the
    others' in ``order`` [GK]. Covered entities receive them in their compliance
    account."""
    left = dict(sold_by)
    out: dict[str, list[Delivery]] = {code: [] for code in sold_by}
    for a in awards:
        account = a.bidder
        if kinds[f"{a.registry}/{a.bidder}"] != "other":
            account = compliance_account(a.bidder)
        need = a.quantity
        for source in [a.registry, *(c for c in order if c != a.registry)]:
            take = min(need, left.get(source, 0))
            if take:
                out[source].append(Delivery(registry=a.registry, account=account, quantity=take))
                left[source] -= take
                need -= take
            if need == 0:
                break
    return out

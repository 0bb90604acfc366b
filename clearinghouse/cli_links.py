"""``clearinghouse links``: the EU–Swiss, WCI and Article 6.4 rules from the command line.

The rule questions are pure functions of the adapters' data (no store needed):
when does a transfer across the EU–Swiss link settle, what is the WCI holding
limit, the auction reserve price, the Article 6.4 split. ``execute-due`` moves
business time on in a store: every held-back transfer of the EU and Swiss
registries that is due is proposed to the clearinghouse and settled.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from clearinghouse.checks import Refused
from clearinghouse.cli_common import CommandGroup, Options, emit, fail, fail_refused
from clearinghouse.store import StoreConfig
from clearinghouse.system import EmbeddedSystem

EPILOG = """\
examples:
  clearinghouse links calendar --next 2020-09-29          settles on 2020-10-05
  clearinghouse links calendar --from 2023-05-01 --to 2023-05-31
  clearinghouse links calendar --next 2020-12-22 --weekly-from 2023-01-01   (L42 literally)
  clearinghouse links holding-limit --cap 300000000       9,375,000
  clearinghouse links holding-limit --date 2018-03-01     C of California + Québec + Ontario
  clearinghouse links reserve-price 2014 2021             11.34, 17.71
  clearinghouse links a64-split 1000                      930 / 50 / 20
  clearinghouse links execute-due --date 2020-10-05       run held-back transfers that are due

Sources and assumptions: docs/jurisdictions.md (EU ETS and Swiss ETS; WCI;
Article 6.4 mechanism registry).
"""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (write 2020-09-29)") from None


def _time(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a time: {text!r} (write 14:30)") from None


def add_parser(sub: Any, store_options: Options) -> None:
    """Register ``links`` and its subcommands on the top-level subparsers."""
    # only execute-due reads the store: it adds the store options itself
    command = CommandGroup(
        sub,
        "links",
        help="EU–Swiss calendar, WCI holding limit and reserve price, Article 6.4 split",
        description="The rules of the links beyond Northeast Asia, from the command line: "
        "the EU–Swiss settlement calendar, the WCI holding limit and auction reserve "
        "price, the Article 6.4 issuance split; and a tick of business time for the "
        "transfers the EU and Swiss registries hold back.",
        epilog=EPILOG,
        store_options=None,
    ).command

    cal = command(
        "calendar",
        "EU–Swiss settlement dates",
        "Settlement dates of the EU–Swiss link (registries-and-reporting.md L42): the 2020 "
        "list, then Tuesdays and Thursdays except holidays. --next gives the date a transfer "
        "initiated on that day executes; --from/--to list the dates in a range.",
    )
    cal.add_argument("--next", type=_date, metavar="DATE", help="the first date on or after")
    cal.add_argument("--from", dest="first", type=_date, metavar="DATE")
    cal.add_argument("--to", dest="last", type=_date, metavar="DATE")
    cal.add_argument(
        "--weekly-from",
        type=_date,
        default=date(2021, 1, 1),
        metavar="DATE",
        help="when the Tuesday/Thursday rule starts (default 2021-01-01 [assumption]; "
        "the source says 2023)",
    )

    hl = command(
        "holding-limit",
        "the WCI holding limit",
        "HL = 0.1 × 25,000,000 + 0.025 × (C − 25,000,000) (registries-and-reporting.md L46), "
        "for a given combined cap C, or for a date (C = the caps [GK] of the jurisdictions "
        "linked that day).",
    )
    which = hl.add_mutually_exclusive_group(required=True)
    which.add_argument("--cap", type=int, metavar="TONNES", help="the combined cap C")
    which.add_argument("--date", type=_date, metavar="DATE", help="a day of the linked market")

    rp = command(
        "reserve-price",
        "the WCI auction reserve price",
        "$10 in 2012, rising 5% plus inflation a year (L48; inflation rates [GK]).",
    )
    rp.add_argument("years", type=int, nargs="+", metavar="YEAR")

    split = command(
        "a64-split",
        "an Article 6.4 issuance's split",
        "Pending / share of proceeds (5%) / OMGE (at least 2%) of an issuance "
        "(linkage-and-article6.md L21), rounded down unless told otherwise.",
    )
    split.add_argument("quantity", type=int, help="A6.4ERs issued")
    split.add_argument("--omge", default="2", metavar="PERCENT", help="OMGE share (≥ 2)")
    split.add_argument("--sop", default="5", metavar="PERCENT", help="share of proceeds")
    split.add_argument("--omge-rounding", choices=("down", "up"), default="down")

    due = command(
        "execute-due",
        "execute held-back EU/Swiss transfers that are due",
        "A tick of business time: every transfer the EU and Swiss registries hold back "
        "(settlement calendar, 26-hour delay) that is due by DATE (and TIME, default the end "
        "of the day) is proposed to the clearinghouse, which clears it.",
    )
    store_options(due)
    due.add_argument("--date", type=_date, required=True, metavar="DATE")
    due.add_argument("--time", type=_time, metavar="HH:MM")
    due.add_argument(
        "--registry",
        action="append",
        metavar="CODE",
        help="EU_ETS and/or CH_ETS (default: both, where connected)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        return {
            "calendar": _calendar,
            "holding-limit": _holding_limit,
            "reserve-price": _reserve_price,
            "a64-split": _split,
            "execute-due": _execute_due,
        }[args.links](args)
    except Refused as refused:
        return fail_refused(refused)
    except ValueError as error:
        return fail(str(error))


def _calendar(args: argparse.Namespace) -> int:
    from adapters.europe.settlement import calendar

    cal = calendar(weekly_from=args.weekly_from)
    if args.next is not None:
        day = cal.next_on_or_after(args.next)
        emit(args, {"initiated": args.next, "settles": day}, f"{args.next} → {day}")
        return 0
    first = args.first or cal.live_from
    last = args.last or first + timedelta(days=92)
    days = cal.between(first, last)
    text = "\n".join(f"{d}  {d:%A}" for d in days) or "(no settlement date in that range)"
    emit(args, {"from": first, "to": last, "dates": days, "calendar": cal.describe()}, text)
    return 0


def _holding_limit(args: argparse.Namespace) -> int:
    from adapters.wci.market import WciMarket, holding_limit

    if args.cap is not None:
        data: dict[str, Any] = {"combined_cap": args.cap, "holding_limit": holding_limit(args.cap)}
        text = f"C = {args.cap:,} t → HL = {data['holding_limit']:,}"
    else:
        market = WciMarket()
        caps = {j: market.caps.get(j, {}).get(args.date.year, 0) for j in market.linked(args.date)}
        c = market.combined_cap(args.date)
        data = {
            "date": args.date,
            "caps": caps,
            "combined_cap": c,
            "holding_limit": holding_limit(c),
        }
        parts = " + ".join(f"{j} {t:,}" for j, t in caps.items())
        text = f"{args.date}: C = {parts} = {c:,} t [GK caps] → HL = {holding_limit(c):,}"
    emit(args, data, text)
    return 0


def _reserve_price(args: argparse.Namespace) -> int:
    from adapters.wci.market import reserve_price

    prices = {y: reserve_price(y) for y in args.years}
    emit(args, prices, "\n".join(f"{y}  ${p}" for y, p in prices.items()))
    return 0


def _split(args: argparse.Namespace) -> int:
    from adapters.a64.deductions import Deductions

    if args.quantity < 1:
        raise ValueError("issue at least one A6.4ER")
    rule = Deductions(
        sop=Fraction(Decimal(args.sop)) / 100,
        omge=Fraction(Decimal(args.omge)) / 100,
        omge_rounding=args.omge_rounding,
    )
    s = rule.split(args.quantity)
    data = {
        "issued": s.issued,
        "pending": s.holding,
        "share_of_proceeds": s.sop,
        "omge": s.omge,
        "adjusted_if_authorized": s.adjusted,
        "rule": rule.describe(),
    }
    text = (
        f"{s.issued} issued → pending {s.holding}, Adaptation Fund {s.sop}, OMGE cancelled "
        f"{s.omge}; an authorized issuance's CA covers {s.adjusted}\n({rule.describe()})"
    )
    emit(args, data, text)
    return 0


def _execute_due(args: argparse.Namespace) -> int:
    from adapters.catalogue import standard
    from adapters.europe import EuropeanRegistry

    store = StoreConfig.from_env(args.store, args.database_url)
    with EmbeddedSystem(store) as system:
        connected = system.clearinghouse.connected_registries()
        wanted = args.registry or [c for c in ("EU_ETS", "CH_ETS") if c in connected]
        missing = [c for c in wanted if c not in connected]
        if missing or not wanted:
            print(
                f"error: {', '.join(missing) or 'EU_ETS or CH_ETS'} not connected in "
                f"{store.describe()}",
                file=sys.stderr,
            )
            return 2
        for code in wanted:
            system.add_registry(standard(code), connect=False)
        system.reopen_registries()
        executed: list[dict[str, Any]] = []
        for code in wanted:
            registry = system.registry(code)
            assert isinstance(registry, EuropeanRegistry)
            for receipt in registry.execute_due({"business_date": args.date, "time": args.time}):
                executed.append({"registry": code, "transaction": receipt.transaction_id})
        system.settle()
        for row in executed:
            registry = system.registry(row["registry"])
            txn = registry.transaction(row["transaction"], "out") or registry.transaction(
                row["transaction"], "internal"
            )
            row.update(registry.receipt(txn).model_dump(mode="json") if txn is not None else {})
        moment = datetime.combine(args.date, args.time or time.max)
        lines = [
            f"{r['registry']} {r['transaction']}: {r.get('state')} {r.get('quantity')} t"
            + (f" ({r['code']}: {r['reason']})" if r.get("code") else "")
            for r in executed
        ]
        text = "\n".join(lines) or f"nothing due by {moment:%Y-%m-%d %H:%M}"
        emit(args, executed, text)
    return 0

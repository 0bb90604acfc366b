"""``clearinghouse``: the command line.

Every command reads and writes the store named by ``--store DIR`` (SQLite
files, the default ``./clearinghouse-store``), ``--store :memory:``, or
``--database-url postgresql://...``; the environment variables
``CLEARINGHOUSE_STORE`` and ``CLEARINGHOUSE_DATABASE_URL`` do the same.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from clearinghouse import checks, cli_article6, cli_audit, cli_links, cli_service, cli_simulate
from clearinghouse.commands import InvalidInput
from clearinghouse.store import StoreConfig
from clearinghouse.system import EmbeddedSystem

EPILOG = """\
examples:
  clearinghouse demo                       run the worked example (again: next year)
  clearinghouse demo --json                the same report as JSON
  clearinghouse events --app REGISTRY_KR_ETS --limit 20
  clearinghouse events --transaction r1-cnkr-1
  clearinghouse checks                     the catalogue of check codes
  clearinghouse jurisdictions              the registry adapters (docs/jurisdictions.md)
  clearinghouse article6 --help            Article 6 accounting: AEF, Table 4, variants
  clearinghouse links --help               EU–Swiss calendar, WCI limits, Article 6.4 split
  clearinghouse audit --help               audit: verify, replay, reconcile, trace, packs

Each registry and the clearinghouse keep their own event log; `events` shows
them, `demo` prints a report computed from them. See docs/architecture.md.
"""


def _store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        metavar="DIR",
        help="directory of SQLite files (default ./clearinghouse-store, "
        "or $CLEARINGHOUSE_STORE); ':memory:' keeps nothing",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="PostgreSQL instead, e.g. postgresql://user@127.0.0.1:5432/db "
        "(or $CLEARINGHOUSE_DATABASE_URL)",
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="clearinghouse",
        description="An event-sourced clearinghouse for linked carbon markets: registries "
        "as adapters, a central serial-block ledger, Article 6 corresponding "
        "adjustments, and no unit counted twice.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="clear two linkages end to end and print the report",
        description="Korea acquires Chinese allowances under a restricted, Article 6.2-"
        "authorized one-way link; Tokyo and Saitama trade both ways inside Japan. "
        "Some transfers are refused with check codes. The report (holdings, "
        "adjustments, double-counting check) is computed from the event logs. "
        "Running it again on the same store plays the next business year.",
    )
    _store_options(demo)
    demo.add_argument("--json", action="store_true", help="print the report as JSON")
    demo.add_argument("--quiet", action="store_true", help="no progress on stderr")

    events = sub.add_parser(
        "events",
        help="list the event logs, with filters",
        description="List stored events in recording order: position, application, event, "
        "and its attributes.",
    )
    _store_options(events)
    events.add_argument("--app", help="one application, e.g. CLEARINGHOUSE or REGISTRY_KR_ETS")
    events.add_argument(
        "--type", dest="event_type", help="event name, e.g. Transaction.Rejected or Rejected"
    )
    events.add_argument("--transaction", help="events that name this transaction id")
    events.add_argument("--since", type=int, default=1, metavar="N", help="start at log position N")
    events.add_argument(
        "--limit", type=int, default=None, metavar="N", help="at most N events per application"
    )
    events.add_argument("--json", action="store_true", help="JSON Lines, one event per line")

    cat = sub.add_parser(
        "checks",
        help="print the check catalogue",
        description="Every check that can refuse a transaction.",
    )
    fmt = cat.add_mutually_exclusive_group()
    fmt.add_argument("--markdown", action="store_true", help="as docs/checks.md")
    fmt.add_argument("--json", action="store_true")

    jur = sub.add_parser(
        "jurisdictions",
        help="list the standard registry adapters",
        description="Every jurisdiction's registry adapter by its standard code, with its "
        "Party, unit types and compliance periods. Stand one up in Python with "
        "system.add_registry(adapters.catalogue.standard(CODE)); the rules, their "
        "sources and assumptions are in docs/jurisdictions.md.",
    )
    jur.add_argument("--json", action="store_true")
    cli_article6.add_parser(sub, _store_options)
    cli_links.add_parser(sub, _store_options)
    cli_audit.add_parser(sub, _store_options)
    cli_service.add_parsers(sub, _store_options)
    cli_simulate.add_parser(sub, _store_options)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "checks":
            return _checks(args)
        if args.command == "jurisdictions":
            return _jurisdictions(args)
        if args.command == "article6":
            return cli_article6.run(args)
        if args.command == "links":
            return cli_links.run(args)
        if args.command == "audit":
            return cli_audit.run(args)
        if args.command in ("serve", "worker", "relay", "keys"):
            return cli_service.run(args)
        if args.command == "simulate":
            return cli_simulate.run(args)
        store = StoreConfig.from_env(args.store, args.database_url)
        with EmbeddedSystem(store) as system:
            if args.command == "demo":
                return _demo(system, args)
            return _events(system, args)
    except InvalidInput as error:
        print(f"error {error.code}: {error.reason}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into head
        return 0


def _demo(system: EmbeddedSystem, args: argparse.Namespace) -> int:
    from clearinghouse import demo, report

    def progress(step: str) -> None:
        if not args.quiet:
            print(f"  {step}", file=sys.stderr)

    if not args.quiet:
        print(f"demo on {system.store.describe()}", file=sys.stderr)
    run, _ = demo.run_demo(system, progress)
    result = report.build(system, run)
    print(json.dumps(result, indent=2) if args.json else report.render(result))
    return 1 if result["double_counting"]["count"] else 0


def _events(system: EmbeddedSystem, args: argparse.Namespace) -> int:
    from projections.log import name_of, read

    system.reopen_registries()
    apps = [a for a in system.apps() if args.app in (None, a.name)]
    if not apps:
        names = ", ".join(a.name for a in system.apps())
        print(
            f"error: no application {args.app!r} in this store (there are: {names})",
            file=sys.stderr,
        )
        return 2
    wanted = _transaction_ids(system, args.transaction) if args.transaction else set()
    for app in apps:
        shown = 0
        for position, event in read(app, start=args.since):
            name = name_of(event)
            if args.event_type and args.event_type not in (name, name.split(".")[-1]):
                continue
            attrs = _attributes(event)
            if args.transaction and not (
                event.originator_id in wanted
                or args.transaction in (attrs.get("transaction"), attrs.get("code"))
            ):
                continue
            row = {
                "app": app.name,
                "position": position,
                "event": name,
                "recorded_at": event.timestamp.isoformat(),
                **attrs,
            }
            if args.json:
                print(json.dumps(row, default=str))
            else:
                detail = " ".join(f"{k}={_short(v)}" for k, v in attrs.items())
                print(f"{app.name:<22} {position:>7}  {name:<32} {detail}")
            shown += 1
            if args.limit is not None and shown >= args.limit:
                break
    return 0


def _transaction_ids(system: EmbeddedSystem, code: str) -> set[Any]:
    """Ids of the aggregates that are this transaction, in every application."""
    from adapters.transactions import registry_transaction_id
    from clearinghouse.transactions import transaction_id, transaction_key

    ids = set()
    keys = ["out", "in", "internal"] + [f"in/{source}" for source in system.registries]
    for registry in system.registries:
        ids.add(transaction_id(transaction_key(registry, code)))
        ids |= {registry_transaction_id(registry, code, k) for k in keys}
    return ids


def _attributes(event: Any) -> dict[str, Any]:
    skip = {"originator_id", "originator_version", "timestamp", "originator_topic"}
    return {k: v for k, v in event.__dict__.items() if k not in skip}


def _short(value: Any) -> str:
    if isinstance(value, list | tuple):
        text = "[" + ", ".join(str(v) for v in value) + "]"
    else:
        text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _checks(args: argparse.Namespace) -> int:
    if args.markdown:
        print(checks.markdown())
    elif args.json:
        print(json.dumps([c.__dict__ for c in checks.CATALOGUE.values()], indent=2))
    else:
        for c in checks.CATALOGUE.values():
            print(f"{c.code}  {c.title:<34} {c.template}")
    return 0


def _jurisdictions(args: argparse.Namespace) -> int:
    from adapters.catalogue import describe

    rows = describe()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        periods = r["periods"]
        span = f"{periods[0]['id']} … {periods[-1]['id']}" if periods else "no periods"
        units = ", ".join(r["unit_types"])
        print(f"{r['code']:<9} {r['party']:<3} {r['name']:<{width}}  {units:<24} {span}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

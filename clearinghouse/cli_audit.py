"""``clearinghouse audit ...``: the auditor's command line.

Thin handlers over :mod:`clearinghouse.audit` (which returns pydantic models);
this module only parses options and formats. Every command reads the store
like the rest of the CLI (``--store``, ``--database-url``) and takes ``--json``.

Exit status: 0 all is well; 1 the audit found something (tampering, a
discrepancy, a pack that does not verify); 2 the command could not run (bad
option, no such log or serial, unreadable file).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from clearinghouse.checks import Refused
from clearinghouse.cli_common import CommandGroup, Options, fail
from clearinghouse.progress import ProgressBar
from clearinghouse.store import StoreConfig

EPILOG = """\
a first audit, step by step (docs/audit.md has the whole walk-through):
  clearinghouse audit checkpoint                 anchor every log; prints the head
  clearinghouse audit head --json > head.json    keep the head; publish its digest
  clearinghouse audit verify --head head.json    every log against checkpoints and head
  clearinghouse audit replay --as-of 2025-12-31  every report as it stood then
  clearinghouse audit reconcile                  each registry against the central ledger
  clearinghouse audit trace 1 --registry CN_ETS  one unit, from issuance to now
  clearinghouse audit export --out evidence.zip  an evidence pack ...
  clearinghouse audit verify-pack evidence.zip   ... that verifies anywhere

exit status: 0 all is well, 1 the audit found something (or, for verify, nothing
is anchored yet), 2 the command could not run.
"""


def add_parser(sub: Any, store_options: Options) -> None:
    """Register ``audit`` and its subcommands on the top-level subparsers."""
    command = CommandGroup(
        sub,
        "audit",
        help="audit: tamper evidence, replay, reconciliation, provenance, evidence packs",
        description="Tools for an auditor who trusts nothing the operator says: a SHA-256 "
        "hash chain over every log with checkpoints and a publishable head; projections "
        "as of a past date or position; reconciliation of each registry with the "
        "central ledger; the history of any serial; evidence packs that verify offline.",
        epilog=EPILOG,
        store_options=store_options,
    ).command

    p = command(
        "checkpoint",
        "anchor every log's hash chain up to its end; print the head to publish",
        "Chains each log on from its last checkpoint and records segments of at most "
        "--segment events in the audit log (application AUDIT), then records the head: "
        "every log's position and chain value, and their SHA-256 digest. Publish the "
        "digest (and keep `audit head --json`): nobody can then rewrite history before "
        "it without `audit verify --head` noticing. Run it periodically (cron).",
    )
    p.add_argument(
        "--segment", type=int, default=10_000, metavar="N",
        help="events per checkpoint segment (default 10000)",
    )  # fmt: skip
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    command(
        "head",
        "the head as last anchored (what to publish)",
        "Prints the head digest and, per log, the position and chain value it anchors. "
        "`--json` gives the whole head: keep it, and check against it later with "
        "`audit verify --head FILE`.",
    )

    p = command(
        "verify",
        "check every log against its checkpoints (and a published head)",
        "Streams each log (constant memory) and recomputes its SHA-256 hash chain "
        "against the checkpoints. Every event modified, deleted, inserted or moved is "
        "reported with its position and code (AUD-010..013); broken checkpoints are "
        "AUD-014. With --head, the chain values the published head names are checked "
        "too (AUD-015): that catches even a rewrite of the whole history and its "
        "checkpoints. Events after the last checkpoint are counted, not protected. "
        "Exit status 1 if anything is found.",
    )
    p.add_argument(
        "--app", action="append", metavar="APP",
        help="only this log (e.g. CLEARINGHOUSE, REGISTRY_KR_ETS); repeatable",
    )  # fmt: skip
    p.add_argument(
        "--head", metavar="DIGEST|FILE",
        help="a published head: its digest, or a file from `audit head --json`",
    )  # fmt: skip
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = command(
        "reconcile",
        "reconcile registries with the central ledger (ITL phases; blocks transfers)",
        "Phase 1 compares totals per account type and unit type of each registry's own "
        "log with the clearinghouse's central ledger (AUD-020); phase 2 the unit blocks "
        "(AUD-021 only in the registry, AUD-022 only in the ledger, AUD-023 another "
        "status); phase 3 lists the events of both logs that touched each differing "
        "block. The outcome (completed, totals inconsistent, unit blocks inconsistent, "
        "manual intervention required when a log fails its hash chain) is recorded in "
        "the clearinghouse: until a run completes, the registry's cross-border transfers "
        "are refused (AUD-001). Resolve a discrepancy with a correcting transaction in "
        "the registry, then reconcile again. Exit status 1 unless every run completes.",
    )
    p.add_argument("registry", nargs="*", help="registry codes (default: every registry)")
    p.add_argument(
        "--dry-run", action="store_true",
        help="compare only: record nothing, block nothing (read-only access suffices)",
    )  # fmt: skip
    p.add_argument(
        "--no-verify", action="store_true", help="skip the hash-chain check of the logs compared"
    )

    p = command(
        "replay",
        "every projection as of a business date or a log position (same bytes each time)",
        "Folds each log up to a cut through the live projections: holdings per registry "
        "and account, the central ledger, corresponding adjustments per Party and year, "
        "Article 6 holdings, limit usage and the double-counting invariants; AEF Tables 2 "
        "and 3 for each --party, Table 4 for each --ndc file. --as-of DATE cuts each log "
        "before its first event dated later; --position N cuts one log (--app, default "
        "CLEARINGHOUSE) at N and the others at the moment that event was recorded. "
        "--json (or --out FILE) gives canonical JSON: the same logs and cut always give "
        "the same bytes.",
    )
    when = p.add_mutually_exclusive_group()
    when.add_argument("--as-of", metavar="DATE", help="business date, YYYY-MM-DD")
    when.add_argument("--position", type=int, metavar="N", help="log position (of --app)")
    p.add_argument("--app", default="CLEARINGHOUSE", help="the log --position counts in")
    p.add_argument("--party", action="append", metavar="CODE", help="AEF tables for this Party")
    p.add_argument(
        "--ndc", action="append", type=Path, metavar="PARTY.yaml",
        help="Table 4 for this Party file (as for `article6 summary`)",
    )  # fmt: skip
    p.add_argument("--rules", metavar="FILE|NAME", help="rule set (default glasgow-2021)")
    p.add_argument("--out", type=Path, metavar="FILE", help="write the canonical JSON there")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = command(
        "export",
        "write an evidence pack (zip) that another auditor can verify offline",
        "The pack holds every log's stored events (JSON Lines, state exactly as stored), "
        "the hash-chain checkpoints and head, the projections (as of --as-of or "
        "--position, default now), the reconciliation of every registry and the "
        "verification result, with a manifest of SHA-256 checksums. Run `audit "
        "checkpoint` first, or the pack proves nothing. Reads the store only.",
    )
    p.add_argument("--out", type=Path, required=True, metavar="FILE.zip")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--as-of", metavar="DATE", help="projections as of this business date")
    when.add_argument("--position", type=int, metavar="N", help="... or clearinghouse position")
    p.add_argument("--party", action="append", metavar="CODE", help="AEF tables for this Party")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = command(
        "verify-pack",
        "check an evidence pack with nothing but the pack",
        "Checks every file against the manifest (AUD-030/031), every log's hash "
        "chain against the packed checkpoints (AUD-010..014) and head (AUD-015; with "
        "--head, against a head published elsewhere), then recomputes the projections "
        "and the reconciliation from the packed events and compares them byte for byte "
        "(AUD-032). Needs no store. Exit status 1 if anything fails.",
        store=False,
    )
    p.add_argument("pack", type=Path, metavar="FILE.zip")
    p.add_argument("--head", metavar="DIGEST|FILE", help="a head published by the operator")

    p = command(
        "trace",
        "the history of the block holding a serial, across every log",
        "Follows one serial from its issuance through every proposal, hold, transfer "
        "(cross-border and between accounts), split, exchange-rate conversion, Article 6 "
        "authorization, first transfer, corresponding adjustment and its end, each with "
        "its log, position and business date; then where it is now. SERIAL is a number "
        "(with --registry, the originating registry), REG:TYPE:SERIAL, a block "
        "REG:TYPE:VINTAGE:FIRST-LAST or an ITMO id (their first serial).",
    )
    p.add_argument("serial", metavar="SERIAL")
    p.add_argument("--registry", metavar="CODE", help="the originating registry of SERIAL")
    p.add_argument("--unit-type", metavar="TYPE", help="if the registry issues several")
    p.add_argument(
        "--all", action="store_true",
        help="every event that touched it (default: the main steps)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from clearinghouse.audit.logs import Logs

    if args.audit == "verify-pack":
        return _verify_pack(args)
    try:
        store = StoreConfig.from_env(args.store, args.database_url)
        if store.kind == "memory":
            return fail("an in-memory store keeps nothing to audit; give --store DIR")
        if store.kind == "sqlite" and not store.path.is_dir():
            return fail(f"no store at {store.path}/ (give --store DIR)")
        with Logs(store) as logs:
            handler = {
                "checkpoint": _checkpoint,
                "head": _head,
                "verify": _verify,
                "reconcile": _reconcile,
                "replay": _replay,
                "export": _export,
                "trace": _trace,
            }[args.audit]
            return handler(logs, args)
    except Refused as refused:
        return fail(f"{refused.code}: {refused.reason}")
    except (KeyError, ValueError) as error:
        return fail(str(error).strip("'\""))


def _emit(args: argparse.Namespace, model: BaseModel, text: str) -> None:
    print(model.model_dump_json(indent=2) if args.json else text)


def _bar(args: argparse.Namespace, label: str) -> ProgressBar:
    return ProgressBar(label, 1, enabled=not getattr(args, "quiet", False))


# -- checkpoint, head, verify ----------------------------------------------------------


def _checkpoint(logs: Any, args: argparse.Namespace) -> int:
    from clearinghouse.audit import verify

    if args.segment < 1:
        return fail("--segment must be at least 1")
    with _bar(args, "checkpointing") as bar:
        result = verify.checkpoint(logs, args.segment, bar)
    lines = [f"{'log':<24} {'new events':>10} {'segments':>8} {'anchored to':>11}  chain value"]
    for c in result.logs:
        lines.append(
            f"{c.application:<24} {c.new_events:>10,} {c.new_segments:>8,} {c.position:>11,}  "
            f"{c.value[:16]}…"
        )
    lines += [
        "",
        f"head: {result.head.digest}",
        "publish it; `audit head --json` keeps the entries",
    ]
    _emit(args, result, "\n".join(lines))
    return 0


def _head(logs: Any, args: argparse.Namespace) -> int:
    from clearinghouse.audit import verify

    head = verify.current_head(logs)
    if head is None:
        return fail("no checkpoint yet: run `clearinghouse audit checkpoint`")
    lines = [f"head: {head.digest}", ""]
    lines += [f"  {app:<24} {e.position:>10,}  {e.value}" for app, e in head.logs.items()]
    _emit(args, head, "\n".join(lines))
    return 0


def _verify(logs: Any, args: argparse.Namespace) -> int:
    from clearinghouse.audit import verify

    for name in args.app or []:
        if not logs.has(name):
            return fail(f"no log {name!r} (there are: {', '.join(logs.names())})")
    try:
        head = _head_option(args.head)
    except ValueError as error:
        return fail(str(error))
    with _bar(args, "verifying") as bar:
        result = verify.verify(logs, args.app, head, bar)
    _emit(args, result, _render_verification(result))
    return 0 if result.intact and result.anchored else 1


def _head_option(value: str | None) -> Any:
    """--head: a file from `audit head --json`, or a digest."""
    from clearinghouse.audit import verify

    if not value:
        return None
    path = Path(value)
    if path.is_file():
        try:
            return verify.Head.model_validate_json(path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise ValueError(f"{path} is not a head from `audit head --json`: {error}") from None
    return value.strip()


def _render_verification(result: Any) -> str:
    lines = [f"Verifying {result.store} against the checkpoints in its audit log", ""]
    for log in result.logs:
        state = log.status.upper() if log.status == "tampered" else log.status
        detail = f"anchored through {log.anchored_through:,} ({log.segments} segments)"
        if log.first_bad_position is not None:
            detail = f"first bad position {log.first_bad_position:,}; " + ", ".join(
                f"{code} ×{n}" for code, n in log.counts.items()
            )
        lines.append(f"  {log.application:<24} {log.events:>9,} events  {state:<12} {detail}")
    findings = [f for log in result.logs for f in log.findings] + result.head_findings
    if findings:
        lines += ["", "Findings (first ones per log):"]
        lines += [f"  {f.code} {f.message}" for f in findings[:40]]
    unanchored = sum(log.unanchored for log in result.logs)
    if unanchored:
        lines += [
            "",
            f"{unanchored:,} events recorded after the last checkpoint are not protected yet "
            "(run `clearinghouse audit checkpoint`).",
        ]
    if result.head is not None:
        ok = not result.head_findings
        lines += [
            "",
            f"published head {result.head.digest}: {'matches' if ok else 'DOES NOT MATCH'}",
        ]
    lines.append("")
    if result.intact and not result.anchored:
        lines.append(
            "Result: nothing proven — no log has a checkpoint yet "
            "(run `clearinghouse audit checkpoint`, publish the head)."
        )
    elif result.intact:
        lines.append("Result: intact — every anchored event is as it was checkpointed.")
    else:
        first = result.first_bad
        where = f"{first.application} position {first.position:,} ({first.code})" if first else ""
        lines.append(f"Result: TAMPERED — first bad position: {where}")
    return "\n".join(lines)


# -- reconcile, trace ---------------------------------------------------------------------


def _reconcile(logs: Any, args: argparse.Namespace) -> int:
    from clearinghouse.application import CLEARINGHOUSE, ClearinghouseApplication
    from clearinghouse.audit import reconcile

    if not logs.has(CLEARINGHOUSE):
        return fail(f"no clearinghouse log in {logs.store.describe()}")
    writer = None if args.dry_run else ClearinghouseApplication(logs.store)
    try:
        reports = reconcile.reconcile(
            logs, args.registry or None, writer, check_chains=not args.no_verify
        )
    finally:
        if writer is not None:
            writer.close()
    text = "\n\n".join(_render_reconciliation(r) for r in reports) or "no registries"
    if args.json:
        print(json.dumps([r.model_dump(mode="json") for r in reports], indent=2))
    else:
        print(text)
    return 0 if all(r.status == "completed" for r in reports) else 1


def _render_reconciliation(r: Any) -> str:
    recorded = f"run {r.run}, recorded" if r.run is not None else "not recorded (--dry-run)"
    lines = [
        f"{r.registry}: {r.status.replace('_', ' ').upper()} ({recorded})",
        "  logs compared up to: " + ", ".join(f"{app} {pos:,}" for app, pos in r.positions.items()),
    ]
    if r.verified:
        lines.append(
            "  hash chains: " + ", ".join(f"{app} {state}" for app, state in r.verified.items())
        )
    lines.append("  phase 1, totals (t):")
    lines.append(f"    {'status':<12} {'unit type':<22} {'registry':>14} {'central ledger':>14}")
    for t in r.totals:
        mark = "" if t.registry == t.central else "  ≠"
        lines.append(
            f"    {t.category:<12} {t.unit_type:<22} {t.registry:>14,} {t.central:>14,}{mark}"
        )
    phase2 = [d for d in r.discrepancies if d.phase == 2]
    lines.append(f"  phase 2, unit blocks: {len(phase2) or 'no'} difference(s)")
    for d in r.discrepancies:
        lines.append(f"    {d.code} {d.message}")
        for t in d.trail:
            when = t.business_date.isoformat() if t.business_date else "-"
            lines.append(
                f"      {t.application:<18} {t.position:>7}  {when:<10}  {t.event:<30} "
                f"{t.transaction or ''} {t.block}"
            )
    if phase2:
        lines.append("  phase 3: the events above touched each differing block")
    return "\n".join(lines)


def _trace(logs: Any, args: argparse.Namespace) -> int:
    from clearinghouse.audit.trace import Query, trace

    query = Query.parse(args.serial, args.registry, args.unit_type)
    result = trace(logs, query)
    if args.json:
        print(result.model_dump_json(indent=2))
        return 0
    shown = [s for s in result.steps if args.all or s.key]
    lines = [
        f"serial {result.serial} of {result.space}"
        + (f", followed as {', '.join(result.followed[1:])}" if len(result.followed) > 1 else ""),
        "",
        f"{'business date':<13} {'log':<18} {'pos':>6}  {'step':<24} {'block':<26} detail",
    ]
    for s in shown:
        when = s.business_date.isoformat() if s.business_date else "-"
        lines.append(
            f"{when:<13} {s.application:<18} {s.position:>6}  {s.step:<24} {s.block or '':<26} "
            f"{s.detail}"
        )
    if not args.all and len(shown) < len(result.steps):
        lines.append(f"({len(result.steps) - len(shown)} more events: --all shows every one)")
    lines.append("")
    for n in result.now:
        where = f"account {n.account} of {n.holder}" if n.account else n.holder
        itmo = f"; ITMO under {n.authorization}" if n.authorization else ""
        first = ", first transferred" if n.first_transferred else ""
        lines.append(f"now: {n.block} is {n.status}, held by {where}{itmo}{first}")
    print("\n".join(lines))
    return 0


# -- replay ------------------------------------------------------------------------------


def _replay(logs: Any, args: argparse.Namespace) -> int:
    from datetime import date

    from clearinghouse.audit.replay import replay
    from projections.article6 import party

    try:
        as_of = date.fromisoformat(args.as_of) if args.as_of else None
    except ValueError:
        return fail(f"--as-of {args.as_of!r} is not a date (YYYY-MM-DD)")
    party_files = [party.load(path) for path in args.ndc or []]
    with _bar(args, "replaying") as bar:
        result = replay(
            logs, as_of, args.position, args.app, args.rules, args.party, party_files, bar
        )
    data = result.canonical()
    if args.out:
        args.out.write_bytes(data)
        print(f"wrote {args.out} ({len(data):,} bytes)", file=sys.stderr)
    if args.json:
        sys.stdout.write(data.decode())
    elif not args.out:
        print(_render_replay(result))
    return 0


def _render_replay(r: Any) -> str:
    p = r.projections
    when = (
        f"as of {r.as_of}"
        if r.as_of
        else f"at position {next(iter(r.position.values())):,} of {next(iter(r.position))}"
        if r.position
        else "now"
    )
    lines = [
        f"Projections {when} (rule set {r.rules})",
        "logs cut at: " + ", ".join(f"{app} {pos:,}" for app, pos in r.positions.items()),
    ]
    lines += [
        f"note: {n:,} events of {app} recorded after the cut are dated on or before "
        f"{r.as_of} (backdated): not included"
        for app, n in r.backdated.items()
    ]
    lines += ["", "Holdings per registry and account (t)"]
    for registry, accounts in p["registry_holdings"].items():
        for account, view in accounts.items():
            for unit, count in view["units"].items():
                lines.append(
                    f"  {registry:<12} {account:<16} {view['kind']:<12} {unit:<20} {count:>12,}"
                )
            if view["on_hold"]:
                lines.append(
                    f"  {registry:<12} {account:<16} {'':<12} {'(on hold)':<20} "
                    f"{view['on_hold']:>12,}"
                )
    if "central_ledger" in p:
        lines += ["", "Central ledger: units by holding registry and status (t)"]
        for holder, spaces in p["central_ledger"].items():
            for space, statuses in spaces.items():
                for status, count in statuses.items():
                    lines.append(f"  {holder:<12} {space:<20} {status:<12} {count:>12,}")
        lines += ["", "Corresponding adjustments per Party and year (t)"]
        for party_code, years in p["adjustments"].items():
            for year, row in years.items():
                lines.append(
                    f"  {party_code:<6} {year}  first transferred +{row['first_transfer']:,}  "
                    f"used -{row['use']:,}  net {row['net']:+,}"
                )
        a6 = p["article6"]
        lines += ["", "Limit usage per agreement"]
        for agreement, usage in a6["limits"].items():
            shown = "; ".join(
                f"{u['jurisdiction']} {u['flow']} {u['period']}: {u['used']:,} of {u['limit']:,} t"
                for u in usage
            )
            lines.append(f"  {agreement}: {shown or 'no limit used'}")
        found = a6["double_counting"]
        lines += ["", f"Double-counting check: {len(found) or 'no'} violation(s)"]
        for party_code, years in a6["aef"].items():
            lines.append(
                f"AEF {party_code}: "
                + ", ".join(
                    f"{y} ({len(t['table2'])} actions, {len(t['table3'])} holdings)"
                    for y, t in years.items()
                )
                or "no rows"
            )
        for party_code in a6["table4"]:
            lines.append(f"Table 4 {party_code}: in --json")
    return "\n".join(lines)


# -- evidence packs ------------------------------------------------------------------------


def _export(logs: Any, args: argparse.Namespace) -> int:
    from datetime import date

    from clearinghouse.audit import pack

    try:
        as_of = date.fromisoformat(args.as_of) if args.as_of else None
    except ValueError:
        return fail(f"--as-of {args.as_of!r} is not a date (YYYY-MM-DD)")
    with _bar(args, "exporting") as bar:
        summary = pack.export(logs, args.out, as_of, args.position, args.party, bar)
    lines = [
        f"wrote {summary.path}: {summary.files} files, "
        + ", ".join(f"{app} {n:,} events" for app, n in summary.events.items()),
        f"pack digest (SHA-256 of its manifest): {summary.digest}",
        f"head: {summary.head}"
        if summary.head
        else "warning: no checkpoint yet: the pack "
        "proves nothing until `audit checkpoint` has anchored the logs",
    ]
    _emit(args, summary, "\n".join(lines))
    return 0


def _verify_pack(args: argparse.Namespace) -> int:
    from clearinghouse.audit import pack

    if not args.pack.is_file():
        return fail(f"no file {args.pack}")
    try:
        head = _head_option(args.head)
    except ValueError as error:
        return fail(str(error))
    result = pack.verify_pack(args.pack, head)
    lines = [f"Evidence pack {result.pack} (manifest SHA-256 {result.digest or '?'})", ""]
    for log in result.logs:
        detail = f"anchored through {log.anchored_through:,}"
        if log.first_bad_position is not None:
            detail = f"first bad position {log.first_bad_position:,}; " + ", ".join(
                f"{code} ×{n}" for code, n in log.counts.items()
            )
        lines.append(f"  {log.application:<24} {log.events:>9,} events  {log.status:<12} {detail}")
    for label, ok in (
        ("projections recomputed from the events", result.projections_match),
        ("reconciliation recomputed from the events", result.reconciliation_match),
    ):
        if ok is not None:
            lines.append(f"  {label}: {'identical' if ok else 'DIFFERENT'}")
    if result.head is not None:
        lines.append(f"  head {result.head.digest}")
    findings = result.findings + [f for log in result.logs for f in log.findings]
    lines += [f"  {f.code} {f.message}" for f in findings[:40]]
    unanchored = sum(log.unanchored for log in result.logs)
    if unanchored:
        lines.append(
            f"  {unanchored:,} packed events come after the last checkpoint: not protected"
        )
    ok = result.intact and result.anchored
    verdict = "verified" if ok else "NOT VERIFIED"
    if result.intact and not result.anchored:
        verdict += " (nothing in it is anchored by a checkpoint)"
    lines += ["", f"Result: {verdict}"]
    _emit(args, result, "\n".join(lines))
    return 0 if ok else 1

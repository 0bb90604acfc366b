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
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from clearinghouse.checks import Refused
from clearinghouse.progress import ProgressBar
from clearinghouse.store import StoreConfig

EPILOG = """\
a first audit, step by step (docs/audit.md has the walk-through):
  clearinghouse audit checkpoint            anchor every log; prints the head to publish
  clearinghouse audit head                  the head as last anchored
  clearinghouse audit verify                every log against its checkpoints
  clearinghouse audit verify --head HEAD    ... and against a head published earlier

exit status: 0 all is well, 1 the audit found something (or, for verify, nothing
is anchored yet), 2 the command could not run.
"""

Options = Callable[[argparse.ArgumentParser], None]


def add_parser(sub: Any, store_options: Options) -> None:
    """Register ``audit`` and its subcommands on the top-level subparsers."""
    top = sub.add_parser(
        "audit",
        help="audit: tamper evidence, replay, reconciliation, provenance, evidence packs",
        description="Tools for an auditor who trusts nothing the operator says: a SHA-256 "
        "hash chain over every log with checkpoints and a publishable head; projections "
        "as of a past date or position; reconciliation of each registry with the "
        "central ledger; the history of any serial; evidence packs that verify offline.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmds = top.add_subparsers(dest="audit", required=True, metavar="SUBCOMMAND")

    def command(name: str, help: str, description: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = cmds.add_parser(
            name, help=help, description=description, epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )  # fmt: skip
        store_options(p)
        p.add_argument("--json", action="store_true", help="print JSON")
        return p

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


def run(args: argparse.Namespace) -> int:
    from clearinghouse.audit.logs import Logs

    try:
        store = StoreConfig.from_env(args.store, args.database_url)
        if store.kind == "memory":
            return _fail("an in-memory store keeps nothing to audit; give --store DIR")
        if store.kind == "sqlite" and not store.path.is_dir():
            return _fail(f"no store at {store.path}/ (give --store DIR)")
        with Logs(store) as logs:
            handler = {
                "checkpoint": _checkpoint,
                "head": _head,
                "verify": _verify,
            }[args.audit]
            return handler(logs, args)
    except Refused as refused:
        return _fail(f"{refused.code}: {refused.reason}")


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _emit(args: argparse.Namespace, model: BaseModel, text: str) -> None:
    print(model.model_dump_json(indent=2) if args.json else text)


def _bar(args: argparse.Namespace, label: str) -> ProgressBar:
    return ProgressBar(label, 1, enabled=not getattr(args, "quiet", False))


# -- checkpoint, head, verify ----------------------------------------------------------


def _checkpoint(logs: Any, args: argparse.Namespace) -> int:
    from clearinghouse.audit import verify

    if args.segment < 1:
        return _fail("--segment must be at least 1")
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
        return _fail("no checkpoint yet: run `clearinghouse audit checkpoint`")
    lines = [f"head: {head.digest}", ""]
    lines += [f"  {app:<24} {e.position:>10,}  {e.value}" for app, e in head.logs.items()]
    _emit(args, head, "\n".join(lines))
    return 0


def _verify(logs: Any, args: argparse.Namespace) -> int:
    from clearinghouse.audit import verify

    for name in args.app or []:
        if not logs.has(name):
            return _fail(f"no log {name!r} (there are: {', '.join(logs.names())})")
    head: verify.Head | str | None = None
    if args.head:
        path = Path(args.head)
        if path.is_file():
            try:
                head = verify.Head.model_validate_json(path.read_text(encoding="utf-8"))
            except ValueError as error:
                return _fail(f"{path} is not a head from `audit head --json`: {error}")
        else:
            head = args.head.strip()
    with _bar(args, "verifying") as bar:
        result = verify.verify(logs, args.app, head, bar)
    _emit(args, result, _render_verification(result))
    return 0 if result.intact and result.anchored else 1


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

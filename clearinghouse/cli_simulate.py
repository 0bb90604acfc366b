"""``clearinghouse simulate FILE``: run a linkage scenario through the system.

A thin handler over :mod:`clearinghouse.simulation.run`: read the scenario,
clear the markets, execute every allocation, trade and surrender through the
registries and the clearinghouse, account for it, write the report folder.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from clearinghouse.checks import Refused
from clearinghouse.cli_common import Options, documented, emit, fail_refused
from clearinghouse.progress import ProgressBar

EPILOG = """\
examples:
  # the issue's minimal example: two markets, a one-way link limited to 10 Mt
  clearinghouse simulate scenarios/two-markets.yaml

  # a bundled scenario into a folder of your choice, the summary as JSON
  clearinghouse simulate scenarios/ne-asia-trilateral.yaml --out runs/trilateral --json

  # re-account that run's store under other rule sets (no market clearing again)
  clearinghouse simulate scenarios/ne-asia-trilateral.yaml --out runs/trilateral \\
      --rules glasgow-2021 --rules public-workbook

  # check a scenario file without running it
  clearinghouse simulate my-scenario.yaml --check

The output folder (default runs/<scenario name>) holds results.json, CSV tables,
charts/*.png, report.html, parties/*.yaml and store/ (the event logs, which
`clearinghouse events --store OUT/store` and `clearinghouse article6 ... --store
OUT/store` read). The scenario format: docs/scenarios.md.
"""


def add_parser(sub: Any, store_options: Options) -> None:
    """Register ``simulate`` on the top-level subparsers."""
    p = documented(
        sub,
        "simulate",
        "simulate linked carbon markets from a scenario file, through the registries",
        "Clear the scenario's markets with and without their links (marginal\n"
        "abatement costs, limits, exchange rates, price controls), run every allocation,\n"
        "trade and surrender as commands through the registries and the clearinghouse,\n"
        "then account for the log under Article 6 rule sets. Writes a report folder and\n"
        "prints a summary. Exit status 1 if the log fails the double-counting check or a\n"
        "registry refused a simulated command; 2 for a bad scenario or output folder.",
        EPILOG,
    )
    p.add_argument("file", type=Path, help="the scenario (YAML; see docs/scenarios.md)")
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder (default runs/<scenario name>); its store/ holds the event logs",
    )
    p.add_argument(
        "--rules",
        action="append",
        metavar="FILE|NAME",
        help="an accounting rule set (preset name or YAML file; repeatable). With a folder "
        "that already holds a run of this scenario: re-account its store under these rule "
        "sets without simulating again",
    )
    p.add_argument(
        "--database-url",
        metavar="URL",
        help="keep the run's event logs in PostgreSQL (postgresql://user@host:5432/db"
        "?schema=NAME; use a fresh schema per run) instead of OUT/store/",
    )
    p.add_argument("--force", action="store_true", help="replace a run already in the folder")
    p.add_argument("--check", action="store_true", help="validate the scenario and stop")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from clearinghouse.simulation import run as service
    from clearinghouse.simulation.scenario import load
    from clearinghouse.store import StoreConfig

    try:
        loaded = load(args.file)
        scenario = loaded.scenario
        if args.check:
            years = scenario.year_list
            print(
                f"{args.file}: scenario {scenario.name} is valid — {len(scenario.jurisdictions)} "
                f"jurisdictions, {len(scenario.links)} links, {years[0]}–{years[-1]}"
            )
            return 0
        out = args.out or Path("runs") / scenario.name
        store = (
            StoreConfig(kind="postgres", database_url=args.database_url)
            if args.database_url
            else None
        )
        existing = out / "results.json"
        if args.rules and not args.force and existing.exists():
            found = json.loads(existing.read_text(encoding="utf-8"))["scenario"]
            if found.get("sha256") != loaded.digest:
                raise Refused(
                    "SIM-004",
                    folder=str(out),
                    reason=f"it holds a run of {found.get('file')} as it was then, not of "
                    f"{args.file} as it is now; use another --out, or --force to run again",
                )
            data = service.reaccount(out, args.rules, store=store)
        else:
            total = len(scenario.year_list) + 2
            with ProgressBar(f"simulating {scenario.name}", total, enabled=not args.quiet) as bar:
                data = service.simulate(
                    loaded,
                    out,
                    rules=args.rules,
                    progress=lambda done, _t, note: bar.update(done, note),
                    store=store,
                    force=args.force,
                )
    except Refused as refused:
        return fail_refused(refused)
    summary = _summary(data)
    emit(args, summary, _text(summary))
    return 1 if data["violations"] or data["refusals"] else 0


def _summary(data: dict[str, Any]) -> dict[str, Any]:
    s = data["scenario"]
    return {
        "scenario": s["name"],
        "output": s["output"],
        "years": s["years"],
        "currency": s["currency"],
        "prices": data["prices"],
        "gains": data["gains"],
        "flows": {arc: round(sum(v.values()), 6) for arc, v in data["flows"].items()},
        "payments": {arc: round(sum(v.values()), 2) for arc, v in data["payments"].items()},
        "adjustments": data["adjustments"],
        "rules": data["rules"],
        "violations": len(data["violations"]),
        "refusals": len(data["refusals"]),
        "events": data["run"]["events_total"],
        "seconds": data["run"]["seconds"]["total"],
        "report": str(Path(s["output"]) / "report.html"),
        # the registries' own mechanics, when the run has them
        "link_changes": [e for e in data.get("link_events", []) if e["action"] != "concluded"],
        "auctions": [
            {k: a[k] for k in ("year", "business_date", "registries", "sold", "settlement_price")}
            for a in data.get("auctions", [])
        ],
        "held_transfers": len(data.get("held_transfers", [])),
        "issuances": len(data.get("issuances", [])),
    }


def _text(summary: dict[str, Any]) -> str:
    years = [str(y) for y in summary["years"]]
    last = years[-1]
    lines = [
        f"scenario {summary['scenario']}, {years[0]}–{last}: {summary['events']:,} events "
        f"in {summary['seconds']} s",
        "",
        f"{'jurisdiction':<14}{'currency':<16}{'price ' + last + ' without':>20}"
        f"{'linked':>12}{'gain (' + summary['currency'] + ')':>26}",
    ]
    prices = summary["prices"]
    for j in prices["linked"]:
        lines.append(
            f"{j:<14}{prices['currency'][j]:<16}{prices['autarky'][j][last]:>20,.2f}"
            f"{prices['linked'][j][last]:>12,.2f}{summary['gains'][j]:>26,.0f}"
        )
    lines.append("")
    for arc, total in summary["flows"].items():
        lines.append(
            f"flow {arc}: {total:,.3f} Mt over the run, paid {summary['payments'][arc]:,.0f} "
            f"{summary['currency']}"
        )
    lines.append("")
    for e in summary.get("link_changes", []):
        done = {"delink": "de-linked", "suspend": "suspended", "resume": "resumed"}
        lines.append(f"link {e['link']}: {done.get(e['action'], e['action'])} from {e['on']}")
    for a in summary.get("auctions", []):
        lines.append(
            f"joint auction {a['business_date']} ({', '.join(a['registries'])}): "
            f"{a['sold']:,} vintage-{a['year']} allowances at {a['settlement_price']}"
        )
    if summary.get("held_transfers"):
        lines.append(
            f"held transfers: {summary['held_transfers']:,}, released on their settlement "
            "dates or after their delay (results.json, held_transfers)"
        )
    if summary.get("issuances"):
        lines.append(f"crediting issuances: {summary['issuances']:,} (results.json, issuances)")
    if any(summary.get(k) for k in ("link_changes", "auctions", "held_transfers", "issuances")):
        lines.append("")
    rule = summary["rules"][0]
    for party, by_year in summary["adjustments"].items():
        total = sum(by_year.values())
        lines.append(f"corresponding adjustments, Party {party} ({rule}): {total:+,} t")
    check = "passed" if not summary["violations"] else f"{summary['violations']} violation(s)"
    lines.append(f"double-counting check: {check}")
    if summary["refusals"]:
        lines.append(f"refused commands: {summary['refusals']} (see results.json, refusals)")
    lines.append(f"report: {summary['report']}")
    return "\n".join(lines)

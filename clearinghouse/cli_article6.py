"""``clearinghouse article6 ...``: Article 6 accounting from the command line.

Thin handlers over :mod:`projections.article6` (the accounting) and
:mod:`adapters.crediting` / :mod:`adapters.aef` (what comes in and goes out).
Every command reads the store like the rest of the CLI (``--store``,
``--database-url``) and takes ``--json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from clearinghouse.checks import Refused
from clearinghouse.cli_common import CommandGroup, Options, emit, fail, fail_refused
from clearinghouse.progress import ProgressBar
from clearinghouse.store import StoreConfig
from clearinghouse.system import EmbeddedSystem

EPILOG = """\
examples:
  # load the Gold Standard / Verra listing of authorised credits (601 blocks)
  clearinghouse article6 import-credits ../shared/data/article6-authorised-credits.csv

  # Rwanda's structured summary (Table 4 rows 3-14) under the adopted rules
  clearinghouse article6 summary --ndc examples/parties/rwanda.yaml
  clearinghouse article6 summary --ndc examples/parties/rwanda.yaml --json

  # the same log under several rule sets, side by side, differing cells marked *
  clearinghouse article6 compare --ndc examples/parties/rwanda.yaml \\
      --rules glasgow-2021 --rules workbook-convention --rules public-workbook

  # Rwanda's AEF Tables 2 and 3 for 2025, as a workbook; then check a submission
  clearinghouse article6 aef --party RW --year 2025 --xlsx rw-2025.xlsx
  clearinghouse article6 import-aef rw-2025.xlsx

  # the double-counting check (exit status 1 if anything is found)
  clearinghouse article6 check

rule sets: a preset name (see `article6 rules`) or a YAML file of RuleSet fields.
How each row is derived and what each variant changes: docs/article6.md.
"""


def add_parser(sub: Any, store_options: Options) -> None:
    """Register ``article6`` and its subcommands on the top-level subparsers."""
    command = CommandGroup(
        sub,
        "article6",
        help="Article 6 accounting: AEF tables, Table 4, rule variants, double counting",
        description="Article 6.2 accounting computed from the clearinghouse's event log: "
        "AEF Tables 2 and 3, the structured summary (Table 4) under a Party's method of "
        "corresponding adjustment, several rule sets side by side, and the "
        "double-counting invariants. Nothing here changes history: a rule variant is "
        "another rule set over the same log.",
        epilog=EPILOG,
        store_options=store_options,
    ).command

    p = command(
        "import-credits",
        "import a crediting programme's listing of authorised credits (CSV)",
        "Each row becomes an authorization and an issuance of that serial block, through "
        "the clearinghouse (so double issuance is refused, UNT-004). Bad rows are listed "
        "with their row number and reason; good rows still import; importing the same "
        "file again changes nothing. Exit status 1 if any row was refused.",
    )
    p.add_argument("file", type=Path, help="CSV with the columns of shared/data's listing")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = command(
        "import-aef",
        "import a Party's AEF Table 2 (xlsx, CSV or JSON) and check it against the log",
        "The submission is stored as events (application AEF_SUBMISSIONS); then every row "
        "is matched with the row the log gives (action type, date, unit identifiers) and "
        "differences are listed. Exit status 1 if there are any.",
    )
    p.add_argument("file", type=Path)
    p.add_argument("--party", help="the reporting Party (if the file does not say)")
    p.add_argument("--year", type=int, help="the reported year (if the file does not say)")
    _rules_option(p, single=True)

    p = command(
        "aef",
        "AEF Tables 2 (actions) and 3 (holdings) for a Party and year",
        "Prints Table 2; --xlsx writes both tables (one sheet each, official headers), "
        "--csv PREFIX writes PREFIX.table2.csv and PREFIX.table3.csv.",
    )
    p.add_argument("--party", required=True)
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--xlsx", type=Path, metavar="OUT")
    p.add_argument("--csv", type=Path, metavar="PREFIX")
    p.add_argument(
        "--submitted",
        action="store_true",
        help="export the Party's imported submission for that year instead of the log's",
    )
    _rules_option(p, single=True)

    p = command(
        "summary",
        "the structured summary (Table 4, rows 3-14) for a Party",
        'JSON: {"party": P, "method": M, "rows": {"7": {"2021": n, ...}, ...}}, '
        "integer tonnes, years as strings.",
    )
    p.add_argument("--party", help="defaults to the Party file's")
    p.add_argument("--ndc", type=Path, required=True, metavar="PARTY.yaml")
    _rules_option(p, single=True)

    p = command(
        "compare",
        "Table 4 under several rule sets, side by side, in one pass",
        "Reads the log once and applies each rule set to the same facts; cells where "
        "the rule sets disagree are marked with *.",
    )
    p.add_argument("--party", help="defaults to the Party file's")
    p.add_argument("--ndc", type=Path, required=True, metavar="PARTY.yaml")
    _rules_option(p, single=False)
    p.add_argument("--csv", action="store_true", help="print CSV instead of the text table")
    p.add_argument("--differences", action="store_true", help="only the differing cells")

    command(
        "check",
        "the double-counting invariants: double issuance, double use, double claiming",
        "Lists each violation with its block, Party and the log positions and events "
        "involved. Exit status 1 if any.",
    )
    command("holdings", "units per Party, registry and status (ITMOs apart)", "From the log.")
    command("limits", "limit usage per linkage agreement", "From the log.")
    command("rules", "the rule-set presets and their fields", "Presets are YAML files.")


def _rules_option(p: argparse.ArgumentParser, single: bool) -> None:
    if single:
        p.add_argument("--rules", metavar="FILE|NAME", help="rule set (default glasgow-2021)")
    else:
        p.add_argument(
            "--rules",
            action="append",
            required=True,
            metavar="FILE|NAME",
            help="a rule set; give two or more",
        )


def run(args: argparse.Namespace) -> int:
    try:
        if args.article6 == "rules":
            return _rules(args)
        store = StoreConfig.from_env(args.store, args.database_url)
        with EmbeddedSystem(store) as system:
            handler = {
                "import-credits": _import_credits,
                "import-aef": _import_aef,
                "aef": _aef,
                "summary": _summary,
                "compare": _compare,
                "check": _check,
                "holdings": _holdings,
                "limits": _limits,
            }[args.article6]
            return handler(system, args)
    except Refused as refused:
        return fail_refused(refused)


def _view(system: EmbeddedSystem) -> Any:
    from projections.article6.view import catch_up

    return catch_up(system.clearinghouse)


def _import_credits(system: EmbeddedSystem, args: argparse.Namespace) -> int:
    from adapters.crediting import import_listing, read_listing

    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except OSError as error:
        return fail(f"cannot read {args.file}: {error.strerror}")
    import io

    system.reopen_registries()
    total = max(text.count("\n") - 1, 1)
    with ProgressBar("importing", total, enabled=not args.quiet) as bar:
        report = import_listing(system, read_listing(io.StringIO(text)), bar.update)
    lines = [
        f"{args.file}: {report.rows} rows, {report.imported} imported "
        f"({report.tonnes:,} t), {report.already} already imported, "
        f"{len(report.problems)} refused"
    ]
    lines += [f"  row {p['row']}: {p['code']} {p['reason']}" for p in report.problems]
    emit(args, report.as_json(), "\n".join(lines))
    return 1 if report.problems else 0


def _import_aef(system: EmbeddedSystem, args: argparse.Namespace) -> int:
    from adapters.aef import SubmissionsApplication, read
    from projections.article6 import accounting, aef, rules

    party, year, rows = read(args.file)
    party = args.party or party
    year = args.year or year
    if party is None or year is None:
        return fail("give --party and --year (the file does not say)")
    submissions = SubmissionsApplication(system.store)
    try:
        sid, new = submissions.submit(party, year, rows, str(args.file))
    finally:
        submissions.close()
    evaluation = accounting.evaluate(_view(system), rules.load(args.rules))
    recorded = aef.tables(evaluation, party, year).table2
    found = aef.differences(rows, recorded)
    data = {
        "party": party,
        "year": year,
        "submission": str(sid),
        "new": new,
        "rows": len(rows),
        "matching": len(rows) - sum(d.kind != "only_in_log" for d in found),
        "differences": [d.as_dict() for d in found],
    }
    lines = [
        f"{args.file}: {len(rows)} rows for {party} {year} "
        f"({'recorded' if new else 'already recorded'} as submission {sid})",
        f"{data['matching']} rows agree with the log; {len(found)} differences",
    ]
    for d in found:
        lines.append(f"  {d.kind:<19} {d.key[0]:<30} {d.key[1]} {d.key[2]} .. {d.key[3]}")
    emit(args, data, "\n".join(lines))
    return 1 if found else 0


def _aef(system: EmbeddedSystem, args: argparse.Namespace) -> int:
    from adapters import aef as files
    from projections.article6 import accounting, aef, rules

    if args.submitted:
        tables = _submitted(system, args.party, args.year)
        if tables is None:
            return fail(f"no submission for {args.party} {args.year}")
    else:
        evaluation = accounting.evaluate(_view(system), rules.load(args.rules))
        tables = aef.tables(evaluation, args.party, args.year)
    if args.xlsx:
        files.write_xlsx(args.xlsx, tables)
        print(f"wrote {args.xlsx}", file=sys.stderr)
    if args.csv:
        for name, columns, rows in (
            ("table2", aef.TABLE2, tables.table2),
            ("table3", aef.TABLE3, tables.table3),
        ):
            out = Path(f"{args.csv}.{name}.csv")
            out.write_text(files.csv_text(rows, columns), encoding="utf-8")
            print(f"wrote {out}", file=sys.stderr)
    lines = [
        f"AEF {tables.party} {tables.year}: Table 2 {len(tables.table2)} actions, "
        f"Table 3 {len(tables.table3)} holdings",
        "",
        f"{'action date':<12} {'action type':<31} {'quantity':>10}  {'first unique identifier'}",
    ]
    for r in tables.table2:
        lines.append(
            f"{r.action_date!s:<12} {r.action_type:<31} {r.quantity or 0:>10,}  {r.first_id}"
        )
    emit(args, files.json_data(tables), "\n".join(lines))
    return 0


def _submitted(system: EmbeddedSystem, party: str, year: int) -> Any:
    from adapters.aef import SubmissionsApplication
    from projections.article6.aef import Tables
    from projections.log import read

    submissions = SubmissionsApplication(system.store)
    try:
        latest = None
        for _, e in read(submissions):
            submitted = type(e).__qualname__ == "AefSubmission.Submitted"
            if submitted and (e.party, e.year) == (party, year):
                latest = e.originator_id
        if latest is None:
            return None
        found = submissions.get(latest)
        assert found is not None
        return Tables(party, year, found.table2(), [])
    finally:
        submissions.close()


def _summary(system: EmbeddedSystem, args: argparse.Namespace) -> int:
    from projections.article6 import accounting, rules, table4

    pf = _party_file(args)
    rule_set = rules.load(args.rules)
    s = table4.summarize(accounting.evaluate(_view(system), rule_set, pf), pf)
    emit(args, s.as_json(), _render_summary(s, pf.assumptions))
    return 0


ROW_TITLES = {
    "3": "indicative trajectory/budget (single-year NDC)",
    "4": "multi-year trajectory/budget (multi-year NDC)",
    "5": "emissions and removals covered by the NDC",
    "6": "same, portion under para 10",
    "7": "ITMOs first transferred (NDC, or NDC and OIMP)",
    "8": "first transferred, authorized for OIMP only",
    "9": "ITMOs used towards the NDC",
    "10": "net: (7 + 8) - 9",
    "11": "averaging: cumulative net / elapsed years",
    "12": "corresponding adjustment",
    "13": "cumulative of row 10",
    "14": "emissions balance: 5 + 12",
}


def _render_summary(s: Any, assumptions: str) -> str:
    years = sorted({y for cells in s.rows.values() for y in cells})
    lines = [f"Table 4 for {s.party} — method {s.method}, rule set {s.rules}"]
    if assumptions:
        lines.append(f"Party file: {assumptions.strip()}")
    lines.append("")
    lines.append(f"{'row':<52}" + "".join(f"{y:>12}" for y in years))
    for row, title in ROW_TITLES.items():
        cells = s.rows[row]
        shown = "".join(f"{'' if y not in cells else f'{cells[y]:,}':>12}" for y in years)
        lines.append(f"{row:>2} {title:<49}{shown}")
    budget = s.budget()
    if budget is not None:
        lines.append(f"\nperiod: emissions balance {budget[0]:,} against a budget of {budget[1]:,}")
    lines += [f"note: {n}" for n in s.notes]
    return "\n".join(lines)


def _party_file(args: argparse.Namespace) -> Any:
    from projections.article6 import party

    pf = party.load(args.ndc)
    if args.party and args.party != pf.party:
        raise Refused(
            "ART-008", file=str(args.ndc), reason=f"it describes {pf.party}, not {args.party}"
        )
    return pf


def _compare(system: EmbeddedSystem, args: argparse.Namespace) -> int:
    from projections.article6 import compare, rules

    pf = _party_file(args)
    rule_sets = [rules.load(r) for r in args.rules]
    result = compare.compare(_view(system), pf, rule_sets)
    if args.json:
        print(json.dumps(result.as_json(), indent=2))
    elif args.csv:
        print(result.csv(), end="")
    else:
        print(result.text(only_differences=args.differences))
    return 0


def _check(system: EmbeddedSystem, args: argparse.Namespace) -> int:
    found = _view(system).invariants.violations()
    lines = [f"double-counting check: {len(found) or 'no'} violation(s)"]
    for v in found:
        events = ", ".join(f"{p} {n}" for p, n in zip(v.positions, v.events, strict=False))
        lines.append(f"  {v.rule:<16} {v.block}  Party {v.party or '?'}  {v.detail}  [{events}]")
    emit(args, {"count": len(found), "violations": [v.as_dict() for v in found]}, "\n".join(lines))
    return 1 if found else 0


def _holdings(system: EmbeddedSystem, args: argparse.Namespace) -> int:
    from projections.article6.holdings import holdings

    table = holdings(_view(system))
    lines = []
    for party, registries in table.items():
        for registry, spaces in registries.items():
            for space, statuses in spaces.items():
                shown = ", ".join(f"{k} {v:,}" for k, v in statuses.items())
                lines.append(f"{party:<6} {registry:<12} {space:<16} {shown}")
    emit(args, table, "\n".join(lines) or "no units")
    return 0


def _limits(system: EmbeddedSystem, args: argparse.Namespace) -> int:
    from projections.article6.limits import limit_usage

    usage = limit_usage(_view(system))
    lines = []
    for agreement, limits in usage.items():
        lines.append(agreement + ("" if limits else ": no limit used"))
        for u in limits:
            used, limit = f"{u['used']:,}", f"{u['limit']:,}"
            lines.append(f"  {u['jurisdiction']} {u['flow']} {u['period']}: {used} of {limit} t")
    emit(args, usage, "\n".join(lines) or "no agreements")
    return 0


def _rules(args: argparse.Namespace) -> int:
    from projections.article6 import rules

    data = {name: rules.load(name).model_dump(mode="json") for name in rules.presets()}
    lines = [f"{name:<24} {rules.load(name).description}" for name in rules.presets()]
    lines.append(f"\npresets are in {rules.PRESETS}/; fields: docs/article6.md")
    emit(args, data, "\n".join(lines))
    return 0

"""The demo's report: every figure folded from the event logs, nothing from memory.

:func:`build` reads each application's log (projections), :func:`render` writes
the same dict for people. ``--json`` prints the dict itself.
"""

from __future__ import annotations

from typing import Any

from adapters.transactions import RegistryTransaction
from clearinghouse.system import EmbeddedSystem
from projections import invariants
from projections.adjustments import adjustments
from projections.holdings import central_holdings, fold, registry_holdings
from projections.log import read


def transactions(system: EmbeddedSystem, prefix: str = "") -> list[dict[str, Any]]:
    """Outgoing and internal transactions of every registry, from the registries' logs."""
    rows = []
    for code, app in system.registries.items():
        for txn in fold(read(app), RegistryTransaction).values():
            if txn.direction == "in" or not txn.code.startswith(prefix):
                continue
            verdict = txn.verdict or {}
            rows.append(
                {
                    "transaction": txn.code,
                    "registry": code,
                    "kind": txn.kind,
                    "to": txn.details.get("to_registry") or txn.details.get("to_account"),
                    "business_date": txn.business_date.isoformat(),
                    "quantity": sum(b.count for b in txn.blocks),
                    "state": txn.state,
                    "code": verdict.get("code"),
                    "reason": verdict.get("reason"),
                    "decided_by": (
                        None
                        if not verdict
                        else "registry"
                        if txn.state == "refused"
                        else "clearinghouse"
                    ),
                }
            )
    return sorted(rows, key=lambda r: (r["business_date"], r["transaction"]))


def build(system: EmbeddedSystem, run: int | None = None) -> dict[str, Any]:
    ch_events = list(read(system.clearinghouse))
    violations = invariants.check(ch_events)
    return {
        "run": run,
        "store": system.store.describe(),
        "log_positions": {
            app.name: app.recorder.max_notification_id() or 0 for app in system.apps()
        },
        "transactions": transactions(system, f"r{run}-" if run else ""),
        "holdings": {code: registry_holdings(read(app)) for code, app in system.registries.items()},
        "central_ledger": central_holdings(ch_events),
        "adjustments": adjustments(ch_events),
        "double_counting": {
            "violations": [v.as_dict() for v in violations],
            "count": len(violations),
            "rules": ["double_issuance", "double_use", "double_claiming"],
        },
    }


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    numeric = [all(_isnum(r[i]) for r in rows) and rows != [] for i in range(len(headers))]

    def line(r: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if n else c.ljust(w) for c, w, n in zip(r, widths, numeric, strict=True)
        ).rstrip()

    return ["  " + line(cells[0]), "  " + "  ".join("-" * w for w in widths)] + [
        "  " + line(r) for r in cells[1:]
    ]


def _isnum(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if _isnum(value):
        return f"{value:,}"
    return str(value)


def render(report: dict[str, Any]) -> str:
    out = [f"Clearinghouse demo, run {report['run']} — store: {report['store']}", ""]
    out.append("Transactions this run (from the registries' logs)")
    out += _table(
        ["transaction", "registry", "kind", "to", "date", "t", "state", "code"],
        [
            [
                t["transaction"],
                t["registry"],
                t["kind"],
                t["to"],
                t["business_date"],
                t["quantity"],
                t["state"],
                t["code"],
            ]
            for t in report["transactions"]
        ],
    )
    refused = [t for t in report["transactions"] if t["code"]]
    if refused:
        out += ["", "Why refused"]
        out += [
            f"  {t['transaction']} ({t['code']}, decided by the {t['decided_by']}): {t['reason']}"
            for t in refused
        ]

    out += ["", "Holdings per registry and account (each registry's own log)"]
    rows = []
    for registry, accounts in report["holdings"].items():
        for account, view in accounts.items():
            for unit, count in view["units"].items():
                rows.append([registry, account, view["kind"], unit, count])
            if view["on_hold"]:
                rows.append([registry, account, view["kind"], "(on hold)", view["on_hold"]])
    out += _table(["registry", "account", "kind", "units", "t"], rows)

    out += ["", "Central ledger: units by holding registry and status (clearinghouse log)"]
    rows = [
        [holder, space, status, count]
        for holder, spaces in report["central_ledger"].items()
        for space, statuses in spaces.items()
        for status, count in statuses.items()
    ]
    out += _table(["held by", "units", "status", "t"], rows)

    out += ["", "Corresponding adjustments per Party and year (t CO2e; + added, − subtracted)"]
    rows = [
        [party, year, row["first_transfer"], row["use"], row["net"]]
        for party, years in report["adjustments"].items()
        for year, row in years.items()
    ]
    out += _table(["Party", "year", "first transferred (+)", "used (−)", "net"], rows)
    if not rows:
        out.append("  (none)")

    dc = report["double_counting"]
    out += [
        "",
        "Double-counting check (double issuance, double use, double claiming): "
        + ("no violations" if dc["count"] == 0 else f"{dc['count']} VIOLATIONS"),
    ]
    out += [
        f"  {v['rule']}: {v['block']} ({v['detail']}) at positions {v['positions']}"
        for v in dc["violations"]
    ]
    out += [
        "",
        "Log positions: "
        + ", ".join(f"{name} {pos}" for name, pos in report["log_positions"].items()),
    ]
    return "\n".join(out)

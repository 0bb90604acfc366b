"""The report page: one self-contained HTML file next to results.json.

It reads top to bottom like a briefing: what was simulated, the answer (prices,
gains, flows and money, adjustments, the double-counting check), the charts,
then the detail (compliance, refusals, the run), the assumptions and sources,
and how to audit or re-account the run from its store. Every number is taken
from results.json; nothing is computed here but formatting.
"""

from __future__ import annotations

from html import escape
from typing import Any

STYLE = """
body { font-family: system-ui, -apple-system, Segoe UI, sans-serif; margin: 2rem auto;
       max-width: 60rem; color: #222; line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { margin-top: 2rem; font-size: 1.2rem;
border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
.lead { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6rem 0 1rem; font-size: 0.92rem; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 0.25rem 0.7rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f6f6f6; font-weight: 600; }
.ok { color: #1a7f37; font-weight: 600; } .bad { color: #c62828; font-weight: 600; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.4rem 0 1rem; }
code, pre { background: #f4f4f4; padding: 0.1rem 0.3rem; border-radius: 3px; font-size: 0.88rem; }
pre { padding: 0.6rem; overflow-x: auto; }
.note { color: #666; font-size: 0.88rem; }
"""


def _num(value: float, digits: int = 2) -> str:
    return f"{value:,.{digits}f}"


def _money(value: float) -> str:
    magnitude = abs(value)
    for size, suffix in ((1e12, " trillion"), (1e9, " billion"), (1e6, " million")):
        if magnitude >= size:
            return f"{value / size:,.2f}{suffix}"
    return f"{value:,.0f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html(data: dict[str, Any], charts: dict[str, str]) -> str:
    s = data["scenario"]
    years = [str(y) for y in s["years"]]
    span = years[0] if len(years) == 1 else f"{years[0]}–{years[-1]}"
    currency = s["currency"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(s['title'] or s['name'])} — linkage simulation</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{escape(s['title'] or s['name'])}</h1>",
        f"<p class='lead'>Linkage simulation <code>{escape(s['name'])}</code>, compliance "
        f"years {span}. {escape(s['description'])}</p>",
        _findings(data, years, currency),
        "<h2>Prices</h2>",
        _prices(data, years),
        f"<img src='{charts['prices']}' alt='prices with and without the link'>"
        if "prices" in charts
        else "",
        "<h2>Who gains</h2>",
        _gains(data, currency),
        f"<img src='{charts['gains']}' alt='gains and abatement'>" if "gains" in charts else "",
        "<h2>Cross-border flows and the money paid for them</h2>",
        _flows(data, years, currency),
        f"<img src='{charts['flows']}' alt='flows'>" if "flows" in charts else "",
        "<h2>Corresponding adjustments and the double-counting check</h2>",
        _adjustments(data, years),
        f"<img src='{charts['adjustments']}' alt='adjustments'>" if "adjustments" in charts else "",
        "<h2>Compliance in the registries</h2>",
        _compliance(data),
        _mechanics(data),
        "<h2>The run</h2>",
        _run(data),
        "<h2>Assumptions and sources</h2>",
        _assumptions(s),
        "<h2>Audit and re-account this run</h2>",
        _audit(s),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)


_DONE = {"delink": "de-linked", "suspend": "suspended", "resume": "resumed"}


def _findings(data: dict[str, Any], years: list[str], currency: str) -> str:
    last = years[-1]
    prices = data["prices_reporting"]
    bits = []
    for j in prices["linked"]:
        a, b = prices["autarky"][j][last], prices["linked"][j][last]
        bits.append(f"{escape(j)} {_num(a)} → {_num(b)}")
    total_flow = sum(sum(v.values()) for v in data["flows"].values())
    total_paid = sum(sum(v.values()) for v in data["payments"].values())
    gain = sum(data["gains"].values())
    check = (
        "<span class='ok'>no double counting found</span>"
        if not data["violations"]
        else f"<span class='bad'>{len(data['violations'])} double-counting violation(s)</span>"
    )
    refused = (
        "every simulated command cleared"
        if not data["refusals"]
        else f"<span class='bad'>{len(data['refusals'])} command(s) refused</span> (below)"
    )
    changes = [e for e in data.get("link_events", []) if e["action"] != "concluded"]
    changed = (
        "<li>Link changes: "
        + "; ".join(f"{escape(e['link'])} {_DONE.get(e['action'], e['action'])} from "
                    f"{escape(e['on'])}" for e in changes)
        + " (nothing crosses a de-linked or suspended link from that date).</li>"
        if changes
        else ""
    )  # fmt: skip
    return (
        "<h2>In short</h2><ul>"
        f"<li>Prices in {last}, without → with the link ({escape(currency)}/t): "
        f"{'; '.join(bits)}.</li>"
        f"<li>{_num(total_flow)} Mt crossed borders over the run, for "
        f"{_money(total_paid)} {escape(currency)}.</li>"
        f"<li>Linking saved {_money(gain)} {escape(currency)} in total abatement and "
        "trade costs (the sum of every jurisdiction's gain).</li>"
        f"{changed}<li>The event log: {check}; {refused}.</li></ul>"
    )


def _prices(data: dict[str, Any], years: list[str]) -> str:
    rows = []
    for j, by_year in data["prices"]["linked"].items():
        cur = escape(data["prices"]["currency"][j])
        for y in years:
            rows.append([escape(j), y, cur, _num(data["prices"]["autarky"][j][y]),
                         _num(by_year[y]), _num(data["abatement_autarky"][j][y], 3),
                         _num(data["abatement"][j][y], 3)])  # fmt: skip
    if len(rows) > 40:
        rows = [r for r in rows if r[1] in (years[0], years[len(years) // 2], years[-1])]
    return _table(
        ["jurisdiction", "year", "currency", "price without link", "price linked",
         "abatement without (Mt)", "abatement linked (Mt)"], rows,
    ) + ("<p class='note'>First, middle and last year shown; every year is in prices.csv and "
         "markets.csv.</p>" if len(years) > 13 else "")  # fmt: skip


def _gains(data: dict[str, Any], currency: str) -> str:
    rows = []
    years = [str(y) for y in data["scenario"]["years"]]
    for j, gain in data["gains"].items():
        cost_a = sum(data["costs_autarky"][j][y] for y in years)
        cost_l = sum(data["costs"][j][y] for y in years)
        cur = escape(data["prices"]["currency"][j])
        rows.append([escape(j), f"{_money(cost_a)} {cur}", f"{_money(cost_l)} {cur}",
                     f"{_money(gain)} {escape(currency)}"])  # fmt: skip
    return _table(
        ["jurisdiction", "cost without the link", "cost linked", "gain from linking"], rows
    ) + (
        "<p class='note'>Cost = abatement cost + what the jurisdiction paid for imports − what "
        "it was paid for exports, trades priced at the exporter's market price (so a binding "
        "limit's rent goes to the importers). Gains are in the reporting currency.</p>"
    )


def _flows(data: dict[str, Any], years: list[str], currency: str) -> str:
    rows = []
    for arc, by_year in data["flows"].items():
        total = sum(by_year.values())
        paid = sum(data["payments"][arc].values())
        rent = sum(data["rents"][arc].values())
        rows.append([escape(arc), _num(total, 3), f"{_money(paid)}", f"{_money(rent)}"])
    return _table(
        ["link", "units crossing over the run (Mt)", f"paid ({escape(currency)})",
         f"limit rent ({escape(currency)})"], rows,
    )  # fmt: skip


def _adjustments(data: dict[str, Any], years: list[str]) -> str:
    rule = data["rules"][0]
    rows = []
    for party, by_year in data["adjustments"].items():
        rows.append([f"Party {escape(party)}", *[_num(by_year.get(y, 0) / 1e6, 3) for y in years]])
    shown = years if len(years) <= 10 else years[:: max(1, len(years) // 10)]
    if len(years) > 10:
        rows = [[r[0], *[r[1 + years.index(y)] for y in shown]] for r in rows]
    table = _table(["Party", *shown], rows)
    check = (
        "<p class='ok'>Double-counting check over the clearinghouse log: no double issuance, "
        "no double use, no double claiming.</p>"
        if not data["violations"]
        else "<p class='bad'>Double-counting check: "
        + "; ".join(escape(f"{v['rule']} {v['block']}: {v['detail']}") for v in data["violations"])
        + "</p>"
    )
    others = ""
    if len(data["accounting"]) > 1:
        rows2 = []
        for name, parties in data["accounting"].items():
            for party, summary in parties.items():
                total = sum(summary["rows"]["12"].get(y, 0) for y in years)
                rows2.append([escape(name), escape(party), _num(total / 1e6, 3)])
        others = "<p>Under each rule set (row 12 summed over the run, Mt):</p>" + _table(
            ["rule set", "Party", "corresponding adjustments"], rows2
        )
    return (
        f"<p>Table 4 row 12 (Mt, by vintage) under rule set <code>{escape(rule)}</code>, computed "
        "from the clearinghouse's event log by the Article 6 projections:</p>"
        + table + others + check
    )  # fmt: skip


def _compliance(data: dict[str, Any]) -> str:
    rows = []
    for j, periods in data["compliance"].items():
        for period, p in periods.items():
            rows.append([escape(j), escape(period), str(p["entities"]), str(p["compliant"]),
                         f"{p['obligation']:,}", f"{p['shortfall']:,}",
                         f"{escape(p['fines'])} {escape(p['currency'])}"])  # fmt: skip
    text = _table(
        ["jurisdiction", "period", "covered cohorts", "compliant", "obligation (t)",
         "shortfall (t)", "fines"], rows,
    )  # fmt: skip
    if data["refusals"]:
        shown = data["refusals"][:20]
        text += "<p class='bad'>Commands the registries or the clearinghouse refused:</p><ul>"
        text += "".join(f"<li>{escape(r['message'])}</li>" for r in shown) + "</ul>"
        if len(data["refusals"]) > 20:
            text += f"<p class='note'>… and {len(data['refusals']) - 20} more in results.json.</p>"
    if data.get("allocation_differences"):
        text += (
            f"<p class='bad'>{len(data['allocation_differences'])} allocation(s) differ from what "
            "the market assumed (results.json, allocation_differences).</p>"
        )
    return text


def _mechanics(data: dict[str, Any]) -> str:
    """What the registries' own mechanics did: the links' agreements over time, joint
    auctions, holding limits, transfers held back for the settlement calendar, and
    crediting issuances — each only when the run has them."""
    parts = ["<h2>Links and the registries' own mechanics</h2>"]
    events = data.get("link_events", [])
    if events:
        rows = [[escape(e["link"]), escape(e["action"]), escape(e["on"])] for e in events]
        parts.append(
            "<p>The linkage agreements as the clearinghouse recorded them (a "
            "de-linked agreement refuses every transfer from its date, AGR-004):</p>"
            + _table(["link", "event", "effective"], rows)
        )
    auctions = data.get("auctions", [])
    if auctions:
        rows = [
            [
                str(a["year"]),
                escape(a["business_date"]),
                escape(", ".join(a["registries"])),
                f"{a['offered']:,}",
                f"{a['sold']:,}",
                escape(str(a["settlement_price"])),
                escape(a["reserve_price"]),
                escape(", ".join(f"{k} {v:,}" for k, v in a["sold_by"].items())),
            ]
            for a in auctions
        ]
        parts.append(
            "<p>Joint auctions (sealed bids in lots of 1,000, one uniform price; each winner "
            "served from its own jurisdiction's allowances first, the rest delivered across "
            "the link through the clearinghouse):</p>"
            + _table(
                [
                    "vintage",
                    "held on",
                    "jurisdictions",
                    "offered",
                    "sold",
                    "price",
                    "reserve price",
                    "sold by",
                ],
                rows,
            )
        )
    limits = data.get("holding_limits", {})
    if limits:
        rows = [
            [
                escape(j),
                y,
                escape(f["date"]),
                escape(" + ".join(f["linked"])),
                f"{f['combined_cap']:,}",
                f"{f['holding_limit']:,}",
                f"{f['largest_holding']:,}",
            ]
            for j, by_year in limits.items()
            for y, f in by_year.items()
        ]
        parts.append(
            "<p>The holding limit on the trade date, on the combined cap C of the "
            "jurisdictions linked that day, and the largest holding it counted (compliance "
            "accounts are exempt):</p>"
            + _table(
                [
                    "jurisdiction",
                    "year",
                    "date",
                    "linked",
                    "C (t)",
                    "limit (t)",
                    "largest holding (t)",
                ],
                rows,
            )
        )
    held = data.get("held_transfers", [])
    if held:
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for h in held:
            groups.setdefault((h["registry"], h["direction"]), []).append(h)
        rows = []
        for (registry, direction), items in groups.items():
            pairs = sorted({(h["initiated"], h["executed"] or "not executed") for h in items})
            shown = "; ".join(f"{a} → {b}" for a, b in pairs[:4])
            more = f" (+{len(pairs) - 4} more)" if len(pairs) > 4 else ""
            kind = "across the link" if direction == "out" else "inside the registry"
            done = sum(1 for h in items if h["state"] == "completed")
            rows.append(
                [escape(registry), kind, f"{len(items):,}", f"{done:,}", escape(shown + more)]
            )
        first = next((h for h in held if h["direction"] == "out"), held[0])
        parts.append(
            "<p>Transfers the registries held back until they could execute (units on hold "
            "meanwhile), released by ticks of business time:</p>"
            + _table(["registry", "transfer", "held", "completed", "initiated → executed"], rows)
            + f"<p class='note'>For example {escape(first['transaction'])}: "
            f"{first['quantity']:,} t initiated {escape(first['initiated'])}, executed "
            f"{escape(str(first['executed']))} — {escape('; '.join(first['waits_for']))}.</p>"
        )
    issued = data.get("issuances", [])
    if issued:
        sectors: dict[tuple[str, str, bool], list[dict[str, Any]]] = {}
        for r in issued:
            sectors.setdefault((r["jurisdiction"], r["sector"], r["tradable"]), []).append(r)
        rows = []
        for (j, sector, tradable), items in sectors.items():
            reductions = sum(r["reductions"] for r in items)
            credited = sum(r["credited"] for r in items)
            rows.append(
                [
                    escape(j),
                    escape(sector),
                    "sold abroad" if tradable else "kept (outside the market)",
                    f"{len({r['project'] for r in items})}",
                    f"{reductions:,}",
                    f"{credited:,}",
                    f"{reductions - credited:,}",
                ]
            )
        parts.append(
            "<p>Crediting issuances: verified reductions issued, what reached the projects' "
            "participants, and what the programme deducted (A6.4: share of proceeds and "
            "OMGE; JCM: the host's share):</p>"
            + _table(
                [
                    "jurisdiction",
                    "sector",
                    "units",
                    "projects",
                    "reductions (t)",
                    "to participants (t)",
                    "deducted (t)",
                ],
                rows,
            )
        )
    return "".join(parts) if len(parts) > 1 else ""


def _run(data: dict[str, Any]) -> str:
    run = data["run"]
    sec = run["seconds"]
    cohorts = ", ".join(
        f"{escape(j)} {run['entities'][j]:,} entities in {n:,} registry cohort(s)"
        for j, n in run["cohorts"].items()
    )
    return (
        f"<p>{cohorts}. {run['commands']:,} commands produced {run['events_total']:,} events "
        f"({run['events_per_second']:,} events/s) in {escape(run['store'])}. Clearing took "
        f"{sec['clearing']} s, execution {sec['execution']} s, accounting {sec['accounting']} s. "
        f"Market method: {escape(data['market']['method'])}; equilibrium conditions hold to "
        f"{data['market']['tolerance']} × (1 + the largest price).</p>"
    )


def _assumptions(s: dict[str, Any]) -> str:
    items = "".join(f"<li>{escape(a)}</li>" for a in s["assumptions"]) or "<li>none stated</li>"
    sources = "".join(f"<li>{escape(x)}</li>" for x in s["sources"]) or "<li>none stated</li>"
    return f"<p>Assumptions:</p><ul>{items}</ul><p>Sources:</p><ul>{sources}</ul>"


def _audit(s: dict[str, Any]) -> str:
    out = escape(s["output"])
    party = escape(s["jurisdictions"][0]["party"])
    return (
        "<p>Every allocation, trade and surrender above is an event in the store; these "
        "commands read it:</p><pre>"
        f"clearinghouse events --store {out}/store --app CLEARINGHOUSE --limit 20\n"
        f"clearinghouse article6 check --store {out}/store\n"
        f"clearinghouse article6 summary --store {out}/store --ndc {out}/parties/{party}.yaml\n"
        f"clearinghouse simulate {escape(s['file'])} --out {out} --rules glasgow-2021 "
        "--rules public-workbook"
        "</pre><p class='note'>The last command re-accounts this run's store under other rule "
        "sets without clearing the markets again.</p>"
    )

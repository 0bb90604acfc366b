"""PNG charts of a run (matplotlib, Agg backend, no display needed).

* ``prices.png`` — price convergence: each jurisdiction's price without the link
  (dashed) and with it (solid), in the reporting currency;
* ``flows.png`` — cross-border flows per link and year (Mt), with the money paid;
* ``adjustments.png`` — each Party's corresponding adjustments (Table 4 row 12)
  per year: + for the first-transferring Party, − for the using Party;
* ``gains.png`` — each jurisdiction's gain from linking (autarky cost − linked
  cost over the run), and its abatement without and with the link.

One-year runs draw grouped bars instead of lines. Figures are built with the
object-oriented API (``matplotlib.figure.Figure``), never pyplot's global state.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]  # fmt: skip


def draw(data: dict[str, Any], folder: Path) -> dict[str, str]:
    """Write the charts into ``folder``; returns {chart name: relative path}."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, painter in (
        ("prices", _prices),
        ("flows", _flows),
        ("adjustments", _adjustments),
        ("gains", _gains),
    ):
        fig = Figure(figsize=(8.5, 4.8), dpi=110, layout="constrained")
        painter(fig, data)
        path = folder / f"{name}.png"
        fig.savefig(path)
        out[name] = f"{folder.name}/{name}.png"
    return out


def _years(data: dict[str, Any]) -> list[str]:
    return [str(y) for y in data["scenario"]["years"]]


def _money(value: float, _: object = None) -> str:
    magnitude = abs(value)
    for size, suffix in ((1e12, "T"), (1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if magnitude >= size:
            return f"{value / size:,.1f}{suffix}"
    return f"{value:,.0f}"


def _title(fig: Figure, data: dict[str, Any], what: str) -> None:
    """The scenario's title and what the chart shows, wrapped to fit the figure."""
    scenario = data["scenario"]
    text = f"{scenario['title'] or scenario['name']}: {what}"
    fig.suptitle(textwrap.fill(text, 88), fontsize=12 if len(text) <= 88 else 11)


def _prices(fig: Figure, data: dict[str, Any]) -> None:
    ax = fig.add_subplot()
    years = _years(data)
    currency = data["scenario"]["currency"]
    prices = data["prices_reporting"]
    ids = list(prices["linked"])
    if len(years) == 1:
        y = years[0]
        width = 0.38
        xs = range(len(ids))
        ax.bar([x - width / 2 for x in xs], [prices["autarky"][j][y] for j in ids], width,
               label="without the link (autarky)", color="#bbbbbb")  # fmt: skip
        bars = ax.bar([x + width / 2 for x in xs], [prices["linked"][j][y] for j in ids], width,
                      label="linked", color=PALETTE[0])  # fmt: skip
        ax.bar_label(bars, fmt="%.1f", fontsize=9)
        ax.set_xticks(list(xs), ids)
        ax.set_xlabel(f"jurisdiction ({y})")
    else:
        for i, j in enumerate(ids):
            color = PALETTE[i % len(PALETTE)]
            ax.plot(years, [prices["autarky"][j][y] for y in years], "--", color=color,
                    alpha=0.7, label=f"{j} without the link")  # fmt: skip
            # wider lines first: where linked prices coincide, every colour still shows
            width = max(1.2, 3.2 - 0.7 * i)
            ax.plot(years, [prices["linked"][j][y] for y in years], "-o", color=color,
                    markersize=4, linewidth=width, label=f"{j} linked")  # fmt: skip
        ax.set_xlabel("compliance year")
        _thin_ticks(ax, years)
    ax.set_ylabel(f"price ({currency} per t CO2e)")
    _legend(ax)
    ax.grid(axis="y", alpha=0.3)
    _title(fig, data, "carbon prices with and without the link")


def _legend(ax: Axes) -> None:
    """Beside the plot, where it never hides a bar or a line."""
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)


def _thin_ticks(ax: Axes, years: list[str]) -> None:
    step = max(1, len(years) // 10)
    ax.set_xticks(years[::step])


def _flows(fig: Figure, data: dict[str, Any]) -> None:
    years = _years(data)
    flows = {arc: v for arc, v in sorted(data["flows"].items()) if any(v.values())}
    currency = data["scenario"]["currency"]
    if not flows:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "no units crossed a border in this run", ha="center", va="center",
                transform=ax.transAxes, fontsize=12)  # fmt: skip
        ax.set_axis_off()
        _title(fig, data, "cross-border flows")
        return
    totals = [sum(v.values()) for v in flows.values()]
    if len(flows) > 1 and max(totals) > 20 * min(totals):
        _flow_panels(fig, data, flows, years, currency)
        return
    ax = fig.add_subplot()
    width = 0.8 / len(flows)
    xs = list(range(len(years)))
    for i, (arc, by_year) in enumerate(flows.items()):
        offset = (i - (len(flows) - 1) / 2) * width
        bars = ax.bar([x + offset for x in xs], [by_year.get(y, 0) for y in years], width,
                      label=arc, color=PALETTE[i % len(PALETTE)])  # fmt: skip
        payments = [data["payments"][arc].get(y, 0) for y in years]
        if len(years) * len(flows) <= 24:
            ax.bar_label(bars, labels=[_money(p) if p else "" for p in payments], fontsize=7,
                         rotation=90 if len(years) > 4 else 0, padding=2)  # fmt: skip
    ax.set_xticks(xs, years, rotation=0 if len(years) <= 12 else 45)
    ax.set_xlabel("compliance year")
    ax.set_ylabel("units crossing (Mt of the source's units)")
    ax.margins(y=0.2)
    _legend(ax)
    ax.grid(axis="y", alpha=0.3)
    _title(fig, data, f"cross-border flows (labels: paid, {currency})")


def _flow_panels(
    fig: Figure,
    data: dict[str, Any],
    flows: dict[str, dict[str, float]],
    years: list[str],
    currency: str,
) -> None:
    """Flows of very different sizes: one panel per link, each on its own scale."""
    n = len(flows)
    cols = 2 if n <= 4 else 3
    rows = -(-n // cols)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
    for i, (arc, by_year) in enumerate(flows.items()):
        ax = axes[i // cols][i % cols]
        ax.bar(years, [by_year.get(y, 0) for y in years], color=PALETTE[i % len(PALETTE)])
        paid = sum(data["payments"][arc].values())
        ax.set_title(f"{arc}: {sum(by_year.values()):,.2f} Mt, {_money(paid)} {currency}",
                     fontsize=9)  # fmt: skip
        ax.set_ylabel("Mt", fontsize=8)
        ax.tick_params(labelsize=7)
        step = max(1, -(-len(years) // 5))  # at most five year labels per panel
        ax.set_xticks(years[::step])
        ax.grid(axis="y", alpha=0.3)
    for j in range(n, rows * cols):
        axes[j // cols][j % cols].set_axis_off()
    _title(fig, data, "flows per link (Mt) and money paid")


def _adjustments(fig: Figure, data: dict[str, Any]) -> None:
    ax = fig.add_subplot()
    years = _years(data)
    adjustments = {p: v for p, v in data["adjustments"].items() if any(v.values())}
    rule = data["rules"][0]
    if not adjustments:
        ax.text(0.5, 0.5, "no corresponding adjustments: no authorized transfer between Parties",
                ha="center", va="center", transform=ax.transAxes, fontsize=11)  # fmt: skip
        ax.set_axis_off()
        _title(fig, data, f"corresponding adjustments ({rule})")
        return
    width = 0.8 / len(adjustments)
    xs = list(range(len(years)))
    for i, (party, by_year) in enumerate(sorted(adjustments.items())):
        offset = (i - (len(adjustments) - 1) / 2) * width
        ax.bar([x + offset for x in xs], [by_year.get(y, 0) / 1e6 for y in years], width,
               label=f"Party {party}", color=PALETTE[i % len(PALETTE)])  # fmt: skip
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(xs, years, rotation=0 if len(years) <= 12 else 45)
    ax.set_xlabel("vintage year")
    ax.set_ylabel("Mt CO2e (+ first-transferring Party, − using Party)")
    _legend(ax)
    ax.grid(axis="y", alpha=0.3)
    _title(fig, data, f"corresponding adjustments, Table 4 row 12 ({rule})")


def _gains(fig: Figure, data: dict[str, Any]) -> None:
    left, right = fig.subplots(1, 2)
    ids = list(data["gains"])
    currency = data["scenario"]["currency"]
    gains = [data["gains"][j] for j in ids]
    colors = [PALETTE[2] if g >= 0 else PALETTE[1] for g in gains]
    bars = left.bar(ids, gains, color=colors)
    left.bar_label(bars, labels=[_money(g) for g in gains], fontsize=8)
    left.axhline(0, color="black", linewidth=0.8)
    left.yaxis.set_major_formatter(FuncFormatter(_money))
    left.set_ylabel(f"gain from linking over the run ({currency})")
    left.margins(y=0.15)
    left.grid(axis="y", alpha=0.3)
    years = _years(data)
    width = 0.38
    xs = list(range(len(ids)))
    autarky = [sum(data["abatement_autarky"][j][y] for y in years) for j in ids]
    linked = [sum(data["abatement"][j][y] for y in years) for j in ids]
    right.bar([x - width / 2 for x in xs], autarky, width, label="without the link",
              color="#bbbbbb")  # fmt: skip
    right.bar([x + width / 2 for x in xs], linked, width, label="linked", color=PALETTE[0])
    right.set_xticks(xs, ids)
    if len(ids) > 4:  # long jurisdiction ids side by side would collide
        left.tick_params(axis="x", rotation=30)
        right.tick_params(axis="x", rotation=30)
    right.set_ylabel("abatement over the run (Mt CO2e)")
    right.legend(fontsize=8)
    right.grid(axis="y", alpha=0.3)
    _title(fig, data, "who gains, and where abatement moves")

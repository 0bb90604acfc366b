"""Point-in-time replay: every projection as it stood at a business date or a log position.

A replay folds a *prefix* of each log — the events up to a cut — through the
same projections the live system uses (projections/), and writes the result as
canonical JSON: same logs and cut, same bytes.

Where each log is cut:

* ``as_of=DATE`` (business time): before the first event that belongs to a
  transaction dated after DATE (dates: :mod:`~clearinghouse.audit.dating`).
  Events outside any transaction (Parties, agreements, accounts opened) never
  cut. In a log kept in business-date order — a live run, a simulation — this
  is exactly the state when the business clock passed DATE; events recorded
  after the cut but dated on or before DATE (backdated) are counted in
  ``backdated``, not folded, because a prefix is the only state the log ever
  was in.
* ``position=N`` of one log (default the clearinghouse's): that log up to N;
  every other log up to the last event recorded no later than event N (by the
  recording timestamps, which share one clock in an embedded system).

Projections: each registry's holdings by account (its own log); from the
clearinghouse's log, the central ledger by holder and status, corresponding
adjustments by Party and year, and the Article 6 view — holdings by Party,
limit usage per agreement, the double-counting invariants, and, for the
Parties asked for, AEF Tables 2 and 3 per year and Table 4 (with a Party file).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from eventsourcing.persistence import Tracking
from pydantic import BaseModel

from adapters.aef import json_data
from clearinghouse.application import CLEARINGHOUSE
from clearinghouse.audit.dating import Reader
from clearinghouse.audit.logs import Logs
from clearinghouse.checks import Refused
from clearinghouse.ledger import UnitLedger
from clearinghouse.progress import ProgressBar
from projections.adjustments import adjustments
from projections.article6 import accounting, aef, rules, table4
from projections.article6.holdings import holdings as article6_holdings
from projections.article6.limits import limit_usage
from projections.article6.party import PartyFile
from projections.article6.view import Article6Projection, Article6View
from projections.holdings import registry_holdings
from projections.log import name_of


class Replay(BaseModel):
    as_of: date | None
    position: dict[str, int] | None  # the position asked for: {log: N}
    positions: dict[str, int]  # where each log was cut (last event folded; 0: none)
    backdated: dict[str, int]  # events after the cut dated on or before as_of
    rules: str
    projections: dict[str, Any]

    def canonical(self) -> bytes:
        """The replay as canonical JSON (sorted keys, no spaces), newline-terminated."""
        return canonical(self.model_dump(mode="json"))

    def projections_bytes(self) -> bytes:
        return canonical(self.projections)


def canonical(data: Any) -> bytes:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return (text + "\n").encode()


# -- cuts -------------------------------------------------------------------------------


@dataclass
class _Cut:
    """Where one log stops: by business date, by position or by recording time."""

    as_of: date | None = None
    position: int | None = None
    moment: datetime | None = None
    last: int = 0  # last position folded
    backdated: int = 0

    def beyond(self, position: int, event: Any, business_date: date | None) -> bool:
        if self.position is not None:
            return position > self.position
        if self.moment is not None:
            return bool(event.timestamp > self.moment)
        return self.as_of is not None and business_date is not None and business_date > self.as_of


def _prefix(logs: Logs, app: str, cut: _Cut, bar: ProgressBar | None) -> Iterator[tuple[int, Any]]:
    """The events of ``app`` up to the cut; then counts backdated events (as of a date)."""
    reader = Reader(app).prime(logs.events(app)) if cut.as_of is not None else Reader(app)
    stop = cut.position if cut.position is not None else None
    events = logs.events(app, stop=stop)
    for position, event in events:
        if bar is not None:
            bar.advance(1, app)
        business_date = reader.read(event).business_date
        if cut.beyond(position, event, business_date):
            if cut.as_of is not None:  # finish the scan: count what was dated before
                for _, later in events:
                    when = reader.read(later).business_date
                    cut.backdated += when is not None and when <= cut.as_of
            return
        cut.last = position
        yield position, event


# -- the replay -------------------------------------------------------------------------


def replay(
    logs: Logs,
    as_of: date | None = None,
    position: int | None = None,
    app: str = CLEARINGHOUSE,
    rule_set: str | None = None,
    parties: list[str] | None = None,
    party_files: list[PartyFile] | None = None,
    bar: ProgressBar | None = None,
) -> Replay:
    """Every projection as of ``as_of`` (business date) or ``position`` of ``app``
    (neither: the logs as they are)."""
    if as_of is not None and position is not None:
        raise ValueError("give a business date or a position, not both")
    names = logs.names()
    cuts = {name: _Cut(as_of=as_of) for name in names}
    if position is not None:
        cuts = _position_cuts(logs, app, position)
    if bar is not None:
        bar.total = max(1, sum(logs.position(n) for n in names))
    chosen = rules.load(rule_set)
    projections: dict[str, Any] = {}
    if logs.has(CLEARINGHOUSE):
        projections.update(
            _central(logs, cuts[CLEARINGHOUSE], chosen, parties or [], party_files or [], bar)
        )
    projections["registry_holdings"] = {
        name.removeprefix("REGISTRY_"): registry_holdings(_prefix(logs, name, cuts[name], bar))
        for name in names
        if name.startswith("REGISTRY_")
    }
    return Replay(
        as_of=as_of,
        position={app: position} if position is not None else None,
        positions={name: cuts[name].last for name in names if name in cuts},
        backdated={name: c.backdated for name, c in cuts.items() if c.backdated},
        rules=chosen.name,
        projections=projections,
    )


def _position_cuts(logs: Logs, app: str, position: int) -> dict[str, _Cut]:
    if not logs.has(app):
        raise KeyError(f"no log {app!r} (there are: {', '.join(logs.names())})")
    end = logs.position(app)
    if not 0 <= position <= end:
        raise Refused("AUD-040", reason=f"{app} has positions 1 to {end:,}, not {position:,}")
    cuts = {app: _Cut(position=position)}
    moment = datetime.min
    if position > 0:
        last = None
        for row in logs.rows(app, stop=position):
            last = row
        if last is None:
            raise Refused("AUD-040", reason=f"{app} has no event at or before {position:,}")
        event: Any = logs.mapper(app).to_domain_event(last)
        moment = event.timestamp
    for name in logs.names():
        if name != app:
            cuts[name] = _Cut(moment=moment) if position > 0 else _Cut(position=0)
    return cuts


def _central(
    logs: Logs,
    cut: _Cut,
    rule_set: rules.RuleSet,
    parties: list[str],
    party_files: list[PartyFile],
    bar: ProgressBar | None,
) -> dict[str, Any]:
    """One pass over the clearinghouse's prefix feeds every projection of it."""
    projection = Article6Projection(Article6View())
    ledgers: dict[Any, UnitLedger] = {}
    adjusted: list[tuple[int, Any]] = []
    for position, event in _prefix(logs, CLEARINGHOUSE, cut, bar):
        projection.process_event(event, Tracking(CLEARINGHOUSE, position))
        if isinstance(event, UnitLedger.Event):
            folded = event.mutate(ledgers.get(event.originator_id))
            assert folded is not None
            ledgers[event.originator_id] = folded
        elif name_of(event) == "Transaction.AdjustmentRecorded":
            adjusted.append((position, event))
    view = projection.view
    evaluation = accounting.evaluate(view, rule_set)
    return {
        "central_ledger": _central_ledger(ledgers.values()),
        "adjustments": adjustments(adjusted),
        "article6": {
            "holdings": article6_holdings(view),
            "limits": limit_usage(view),
            "double_counting": [v.as_dict() for v in view.invariants.violations()],
            "aef": {p: _aef(evaluation, p) for p in sorted(parties)},
            "table4": {
                pf.party: table4.summarize(accounting.evaluate(view, rule_set, pf), pf).as_json()
                for pf in party_files
            },
        },
    }


def _central_ledger(ledgers: Any) -> dict[str, dict[str, dict[str, int]]]:
    """``{holding registry: {origin:unit type: {status: units}}}`` (as
    projections.holdings.central_holdings, from ledgers folded in the same pass)."""
    view: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for ledger in ledgers:
        space = f"{ledger.registry}:{ledger.unit_type}"
        for (holder, status), count in ledger.holdings().items():
            view[holder][space][status] = view[holder][space].get(status, 0) + count
    return {
        h: {s: dict(sorted(st.items())) for s, st in sorted(v.items())}
        for h, v in sorted(view.items())
    }


def _aef(evaluation: accounting.Evaluation, party: str) -> dict[str, Any]:
    """AEF Tables 2 and 3 of ``party`` for every year that has a row."""
    dates = set()
    for o in evaluation.outcomes:
        lot = o.lot
        dates |= {lot.issued_on, lot.bound_on, o.authorization.authorized_on}
        dates |= {m.on for m in lot.moves} | {lot.end.on if lot.end else None}
    years = sorted({d.year for d in dates if d is not None and d.year > 1})
    out: dict[str, Any] = {}
    for year in range(years[0], years[-1] + 1) if years else ():
        tables = aef.tables(evaluation, party, year)
        if tables.table2 or tables.table3:
            out[str(year)] = json_data(tables)
    return out

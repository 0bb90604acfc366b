"""AEF files in and out, and Party submissions kept as events.

Formats (issue #4, item 2), all with the official column headers
(reference/registries-and-reporting.md L6-8):

* **xlsx** (openpyxl): sheets ``Table 1 Heading`` (Party, reported year),
  ``Table 2 Actions`` and ``Table 3 Holdings``; numbers as numbers, dates as
  dates, empty cells empty.
* **CSV**: one table per file, header row first.
* **JSON**: ``{"party", "year", "table2": [{header: value}], "table3": [...]}``.

Reading accepts any of them for Table 2 (a Party's actions) and refuses, with
ART-006 or ART-007, a file whose headers are not the official ones or a row that
does not fit a column — naming the row and the reason, and recording nothing.

An imported submission becomes events of its own application
(``AEF_SUBMISSIONS``, one log beside the clearinghouse's): an
:class:`AefSubmission` per (Party, year, content), so the same file imported
twice is one submission, and exporting it gives back exactly what was imported.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event
from pydantic import ValidationError

from clearinghouse.checks import Refused
from clearinghouse.store import StoreConfig, register_transcodings
from projections.article6.aef import FIELD_OF, TABLE2, TABLE3, AefRow, Tables

SHEETS = {"heading": "Table 1 Heading", "table2": "Table 2 Actions", "table3": "Table 3 Holdings"}
_NUMBERS = {"block_start", "block_last", "quantity_in_metric", "quantity", "vintage"}
_DATES = {"authorization_date", "action_date"}


# -- writing -----------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    return "" if value is None else value


def csv_text(rows: Sequence[AefRow], columns: tuple[str, ...] = TABLE2) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_text(v) for v in row.cells(columns)])
    return out.getvalue()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def json_data(tables: Tables) -> dict[str, Any]:
    def table(rows: Sequence[AefRow], columns: tuple[str, ...]) -> list[dict[str, Any]]:
        return [
            {
                c: (_text(v) if isinstance(v, date) else v)
                for c, v in zip(columns, r.cells(columns), strict=True)
            }
            for r in rows
        ]

    return {
        "party": tables.party,
        "year": tables.year,
        "table2": table(tables.table2, TABLE2),
        "table3": table(tables.table3, TABLE3),
    }


def write_xlsx(path: Path | str, tables: Tables) -> None:
    from openpyxl import Workbook

    book = Workbook()
    heading = book.active
    heading.title = SHEETS["heading"]
    heading.append(["Party", "Reported year"])
    heading.append([tables.party, tables.year])
    for key, columns, rows in (
        ("table2", TABLE2, tables.table2),
        ("table3", TABLE3, tables.table3),
    ):
        sheet = book.create_sheet(SHEETS[key])
        sheet.append(list(columns))
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row.cells(columns), start=1):
                cell = sheet.cell(row=r, column=c, value=_xlsx_value(value))
                if isinstance(value, str) and value.startswith("="):
                    # text, never a formula: "=0" stays "=0" (and no formula injection)
                    cell.data_type = "s"
    book.save(str(path))


def _xlsx_value(value: Any) -> Any:
    if value is None or value == "":
        return None
    return value


# -- reading -----------------------------------------------------------------------------------


def read(path: Path | str) -> tuple[str | None, int | None, list[AefRow]]:
    """Party, year (where the file says) and Table 2's rows, checked."""
    path = Path(path)
    if not path.exists():
        raise Refused("ART-006", file=str(path), reason="no such file")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(path)
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise Refused("ART-006", file=str(path), reason=f"not JSON: {error}") from None
        return read_json(data, str(path))
    text = path.read_text(encoding="utf-8-sig")
    return None, None, read_csv(text, str(path))


def read_csv(text: str, source: str = "(csv)") -> list[AefRow]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise Refused("ART-006", file=source, reason="empty file") from None
    return parse_table(header, list(reader), source, first_row=2)


def read_json(data: Any, source: str = "(json)") -> tuple[str | None, int | None, list[AefRow]]:
    if not isinstance(data, dict) or not isinstance(data.get("table2"), list):
        raise Refused("ART-006", file=source, reason='expected an object with a "table2" list')
    records = data["table2"]
    for n, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise Refused("ART-007", file=source, row=n, reason="not an object")
        if set(record) != set(TABLE2):
            raise Refused("ART-006", file=source, reason=_header_problem(list(record)))
    rows = [[r[c] for c in TABLE2] for r in records]
    year = data.get("year")
    return (
        data.get("party"),
        int(year) if year is not None else None,
        parse_table(list(TABLE2), rows, source, first_row=1),
    )


def _read_xlsx(path: Path) -> tuple[str | None, int | None, list[AefRow]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(str(path), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise Refused("ART-006", file=str(path), reason=f"not an xlsx workbook ({error})") from None
    try:
        party: str | None = None
        year: int | None = None
        if SHEETS["heading"] in book.sheetnames:
            values = list(book[SHEETS["heading"]].iter_rows(min_row=2, max_row=2, values_only=True))
            if values and values[0]:
                party = None if values[0][0] is None else str(values[0][0])
                year = None if len(values[0]) < 2 or values[0][1] is None else int(values[0][1])
        name = SHEETS["table2"] if SHEETS["table2"] in book.sheetnames else book.sheetnames[0]
        rows = list(book[name].iter_rows(values_only=True))
    finally:
        book.close()
    if not rows:
        raise Refused("ART-006", file=str(path), reason=f"sheet {name!r} is empty")
    header = ["" if c is None else str(c) for c in rows[0]]
    while header and header[-1] == "":
        header.pop()
    body = [list(r[: len(header)]) for r in rows[1:] if any(c is not None for c in r)]
    return party, year, parse_table(header, body, str(path), first_row=2)


def _header_problem(header: list[str]) -> str:
    missing = [c for c in TABLE2 if c not in header]
    extra = [c for c in header if c not in TABLE2]
    parts = []
    if missing:
        parts.append(f"missing columns {missing}")
    if extra:
        parts.append(f"unknown columns {extra}")
    return "; ".join(parts) or "duplicate columns"


def parse_table(
    header: list[str], rows: Iterable[Sequence[Any]], source: str, first_row: int
) -> list[AefRow]:
    """Rows under the official Table 2 headers (any order) as :class:`AefRow`."""
    if sorted(header) != sorted(TABLE2):
        raise Refused("ART-006", file=source, reason=_header_problem(header))
    parsed = []
    for n, values in enumerate(rows, start=first_row):
        record = {FIELD_OF[c]: _value(FIELD_OF[c], v) for c, v in zip(header, values, strict=False)}
        try:
            parsed.append(AefRow.model_validate(record))
        except ValidationError as error:
            reasons = "; ".join(f"{_column(e['loc'])}: {e['msg']}" for e in error.errors())
            raise Refused("ART-007", file=source, row=n, reason=reasons) from None
    return parsed


def _column(loc: tuple[Any, ...]) -> str:
    from projections.article6.aef import COLUMN_OF

    return COLUMN_OF.get(str(loc[0]), str(loc[0])) if loc else "(row)"


def _value(field: str, value: Any) -> Any:
    """A cell as the model wants it: text stays text, empty is empty."""
    if value is None:
        return None if field in _NUMBERS | _DATES else ""
    if field in _DATES:
        if isinstance(value, datetime):
            return value.date()
        return None if value == "" else value
    if field in _NUMBERS:
        if value == "":
            return None
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a text column that a spreadsheet turned into a number
    return value if isinstance(value, str) else str(value)


# -- submissions as events ---------------------------------------------------------------------

SUBMISSIONS = "AEF_SUBMISSIONS"
CHUNK = 500


def submission_id(party: str, year: int, digest: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"aef:submission/{party}/{year}/{digest}")


def digest_of(rows: Sequence[AefRow]) -> str:
    text = json.dumps([r.model_dump(mode="json") for r in rows], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class AefSubmission(Aggregate):
    """A Party's Table 2 for one reported year, exactly as submitted."""

    @staticmethod
    def create_id(party: str, year: int, digest: str) -> UUID:
        return submission_id(party, year, digest)

    @event("Submitted")
    def __init__(self, party: str, year: int, digest: str, source: str, count: int) -> None:
        self.party = party
        self.year = year
        self.digest = digest
        self.source = source
        self.count = count
        self.rows: list[dict[str, Any]] = []

    @event("RowsRecorded")
    def record(self, rows: list[dict[str, Any]]) -> None:
        self.rows.extend(rows)

    def table2(self) -> list[AefRow]:
        return [AefRow.model_validate(r) for r in self.rows]


class SubmissionsApplication(Application[UUID]):
    name = SUBMISSIONS

    def __init__(self, store: StoreConfig | None = None) -> None:
        self.store = store or StoreConfig.memory()
        super().__init__(env=self.store.env_for(self.name))

    def register_transcodings(self, transcoder: Any) -> None:
        super().register_transcodings(transcoder)
        register_transcodings(transcoder)

    def submit(
        self, party: str, year: int, rows: Sequence[AefRow], source: str
    ) -> tuple[UUID, bool]:
        """Record a submission; returns its id and whether it is new (the same
        content for the same Party and year is the same submission)."""
        digest = digest_of(rows)
        sid = submission_id(party, year, digest)
        if self.get(sid) is not None:
            return sid, False
        submission = AefSubmission(party, year, digest, source, len(rows))
        dumped = [r.model_dump(mode="json") for r in rows]
        for i in range(0, len(dumped), CHUNK):
            submission.record(dumped[i : i + CHUNK])
        self.save(submission)
        return sid, True

    def get(self, sid: UUID) -> AefSubmission | None:
        try:
            found: AefSubmission = self.repository.get(sid)
        except AggregateNotFoundError:
            return None
        return found

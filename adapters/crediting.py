"""A crediting programme's registry: authorised-credit listings become issued ITMOs.

The Gold Standard and Verra publish which of their credits host countries have
authorised under Article 6.2 (shared/data/README.md: one row per serial block,
columns programme, project_id, serial_number, volume, vintage, country,
first_transfer_definition, authorisation_year, issuance_date, issuance_year,
authorised_for_ndc, authorised_for_oimp, cooperative_approach, carp_uploaded,
link). This adapter imports such a listing *through the clearinghouse*: each row
becomes a ``GrantAuthorization`` (the host's letter) and an ``Issue`` of
exactly that serial block under it, so the clearinghouse's own checks apply —
a duplicated serial block is refused as double issuance (UNT-004), like any
other.

How the listing maps onto the model:

* **Registries.** A registry belongs to one Party and the clearinghouse checks
  that the issuing registry's Party is the authorizing Party, so each programme
  gets one registry per host country: ``GS_TZ`` (Gold Standard, Tanzania),
  ``VERRA_MG`` and so on, issuing ``VER`` (GS) or ``VCU`` (Verra) units into one
  account per project (``P11732``).
* **Serials.** Verra serials are global: the block is the range in the second
  and third fields. Gold Standard ranges restart in every issuance batch (the
  field before the range), and ranges of different batches overlap in the
  shared file, so a GS serial ``s`` of batch ``b`` is numbered
  ``b × 10^9 + s`` [assumption: batch ids are unique within the programme;
  serials below 10^9].
* **Authorizations.** One per (programme, project, country, cooperative
  approach, authorisation year, purposes, definition, vintage), dated 1 January
  of the authorisation year [assumption: the listing gives the year only; every
  Table 4 rule keys on years].
* **Parties.** A host Party not yet registered is registered with a placeholder
  NDC (the listing states none; Article 6 accounting reads the Party's NDC from
  its Party file, never from this registration).

Transaction ids are derived from the serial block (and its occurrence in the
file), so importing the same file again finds every row already done and
changes nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TextIO

from adapters.base import RegistryConfig
from clearinghouse.checks import Refused
from clearinghouse.system import EmbeddedSystem

COLUMNS = (
    "programme", "project_id", "volume", "serial_number", "vintage", "country",
    "first_transfer_definition", "authorisation_year", "issuance_date", "issuance_year",
    "authorised_for_ndc", "authorised_for_oimp", "cooperative_approach", "carp_uploaded", "link",
)  # fmt: skip

#: ISO 3166-1 alpha-2 codes of the host countries in the shared listing (and a few more)
COUNTRIES = {
    "Benin": "BJ",
    "Cambodia": "KH",
    "Gambia": "GM",
    "Ghana": "GH",
    "Guyana": "GY",
    "Kenya": "KE",
    "Lao": "LA",
    "Madagascar": "MG",
    "Malawi": "MW",
    "Morocco": "MA",
    "Nigeria": "NG",
    "Rwanda": "RW",
    "Senegal": "SN",
    "Sierra Leone": "SL",
    "Tanzania": "TZ",
    "Togo": "TG",
    "Uzbekistan": "UZ",
    "Vanuatu": "VU",
    "Zimbabwe": "ZW",
    "Zambia": "ZM",
}


@dataclass(frozen=True)
class Programme:
    code: str  # registry code prefix
    name: str
    unit_type: str


PROGRAMMES = {
    "GS": Programme("GS", "Gold Standard registry", "VER"),
    "VERRA": Programme("VERRA", "Verra registry", "VCU"),
}

#: the listing's words -> the clearinghouse's first-transfer definitions
#: (reference/linkage-and-article6.md L19; shared/data/README.md)
DEFINITIONS = {
    "authorisation": "authorization",
    "authorization": "authorization",
    "issuance": "issuance",
    "first international transfer": "first_international_transfer",
    "use or cancellation": "use_or_cancellation",
    "use/cancellation": "use_or_cancellation",
}
_SHORT = {
    "authorization": "AUTH",
    "issuance": "ISS",
    "first_international_transfer": "FIT",
    "use_or_cancellation": "USE",
}
_PURPOSES = {(True, True): "ndc_and_oimp", (True, False): "ndc", (False, True): "oimp"}
GS_BATCH = 10**9
PLACEHOLDER_NDC = {
    "type": "absolute",
    "period": "single-year",
    "target_years": [2030],
    "description": "placeholder registered by the credit-listing import (the listing "
    "states no NDC); Article 6 accounting reads the Party file instead",
}


@dataclass(frozen=True)
class ListedBlock:
    """One row of the listing, checked and mapped."""

    row: int
    programme: Programme
    project: str
    party: str
    country: str
    vintage: int
    first: int
    last: int
    definition: str
    purposes: str
    approach: str
    authorised_in: int
    issued_on: date
    serial: str

    @property
    def registry(self) -> str:
        return f"{self.programme.code}_{self.party}"

    @property
    def account(self) -> str:
        return f"P{self.project}"

    @property
    def volume(self) -> int:
        return self.last - self.first + 1

    @property
    def authorization(self) -> str:
        return (
            f"{self.programme.code}-{self.project}-{self.party}-{self.approach}-"
            f"{self.authorised_in}-{self.purposes.upper()}-{_SHORT[self.definition]}-{self.vintage}"
        )

    def transaction_id(self, occurrence: int) -> str:
        suffix = "" if occurrence == 1 else f".{occurrence}"
        return f"{self.programme.code}-{self.project}-{self.first}-{self.last}{suffix}"


# -- parsing: pure ---------------------------------------------------------------------


def _int(row: int, name: str, value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise Refused(
            "ART-005", row=row, field=name, value=value, reason="not a whole number"
        ) from None


def _yes(row: int, name: str, value: str) -> bool:
    text = value.strip().lower()
    if text not in ("yes", "no"):
        raise Refused("ART-005", row=row, field=name, value=value, reason="expected Yes or No")
    return text == "yes"


def _serials(row: int, programme: Programme, serial: str) -> tuple[int, int]:
    parts = serial.strip().split("-")
    try:
        if programme.code == "GS":
            # ...-<batch>-<first>-<last>: ranges restart in every batch
            batch, first, last = int(parts[-3]), int(parts[-2]), int(parts[-1])
            if not (0 < first < GS_BATCH and 0 < last < GS_BATCH and batch >= 0):
                raise ValueError(f"serials must lie between 1 and {GS_BATCH - 1}")
            first, last = batch * GS_BATCH + first, batch * GS_BATCH + last
        else:  # Verra: <id>-<first>-<last>-VCS-...
            first, last = int(parts[1]), int(parts[2])
    except (IndexError, ValueError) as error:
        reason = str(error) if "serials must" in str(error) else "no numeric range where expected"
        raise Refused("ART-002", row=row, serial=serial, reason=reason) from None
    if first < 1 or last < first:
        raise Refused("ART-002", row=row, serial=serial, reason="the range runs backwards")
    return first, last


def parse_row(row: int, data: dict[str, str]) -> ListedBlock:
    """Check and map one row (``row`` = its line number in the file, header = 1).
    Raises :class:`Refused` (ART-002..005) naming the row and the reason."""
    get = {k: (v or "") for k, v in data.items()}
    programme = PROGRAMMES.get(get.get("programme", "").strip().upper())
    if programme is None:
        raise Refused(
            "ART-005", row=row, field="programme", value=get.get("programme", ""),
            reason=f"not one of {', '.join(PROGRAMMES)}",
        )  # fmt: skip
    serial = get.get("serial_number", "")
    first, last = _serials(row, programme, serial)
    volume_text = get.get("volume", "").strip()
    try:
        volume = int(volume_text)
    except ValueError:
        raise Refused(
            "ART-003", row=row, volume=volume_text, reason="is not a whole number"
        ) from None
    if volume < 1:
        raise Refused("ART-003", row=row, volume=volume_text, reason="is not a positive number")
    if volume != last - first + 1:
        raise Refused(
            "ART-003", row=row, volume=volume_text,
            reason=f"does not match the serial range ({last - first + 1} units)",
        )  # fmt: skip
    wording = get.get("first_transfer_definition", "")
    definition = DEFINITIONS.get(wording.strip().lower())
    if definition is None:
        raise Refused(
            "ART-004", row=row, value=wording,
            allowed="Authorisation, Issuance, First international transfer, Use or cancellation",
        )  # fmt: skip
    country = get.get("country", "").strip()
    party = COUNTRIES.get(country)
    if party is None:
        raise Refused(
            "ART-005", row=row, field="country", value=country,
            reason="no ISO code known for it (adapters/crediting.py COUNTRIES)",
        )  # fmt: skip
    vintage = _int(row, "vintage", get.get("vintage", ""))
    if not 1900 <= vintage <= 2200:
        raise Refused("ART-005", row=row, field="vintage", value=str(vintage), reason="not a year")
    authorised_in = _int(row, "authorisation_year", get.get("authorisation_year", ""))
    try:
        issued_on = date.fromisoformat(get.get("issuance_date", "").strip())
    except ValueError:
        raise Refused(
            "ART-005", row=row, field="issuance_date", value=get.get("issuance_date", ""),
            reason="not a date (YYYY-MM-DD)",
        ) from None  # fmt: skip
    ndc = _yes(row, "authorised_for_ndc", get.get("authorised_for_ndc", ""))
    oimp = _yes(row, "authorised_for_oimp", get.get("authorised_for_oimp", ""))
    if not (ndc or oimp):
        raise Refused(
            "ART-005", row=row, field="authorised_for_ndc/oimp", value="No/No",
            reason="authorised for neither NDC use nor OIMP",
        )  # fmt: skip
    approach = get.get("cooperative_approach", "").strip().upper() or "NA"
    project = get.get("project_id", "").strip()
    if not project.isalnum():
        raise Refused(
            "ART-005", row=row, field="project_id", value=project, reason="letters and digits only"
        )
    return ListedBlock(
        row=row,
        programme=programme,
        project=project,
        party=party,
        country=country,
        vintage=vintage,
        first=first,
        last=last,
        definition=definition,
        purposes=_PURPOSES[(ndc, oimp)],
        approach=approach,
        authorised_in=authorised_in,
        issued_on=issued_on,
        serial=serial,
    )


def read_listing(stream: TextIO) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows with their line numbers (the header is line 1). Refuses (ART-005) a
    file without the listing's columns."""
    reader = csv.DictReader(stream)
    missing = [c for c in COLUMNS if c != "link" and c not in (reader.fieldnames or [])]
    if missing:
        raise Refused(
            "ART-005", row=1, field="header", value=",".join(reader.fieldnames or []),
            reason=f"missing columns {', '.join(missing)}",
        )  # fmt: skip
    for data in reader:
        yield reader.line_num, data


# -- the import service ------------------------------------------------------------------


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    already: int = 0
    tonnes: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "already_imported": self.already,
            "tonnes_imported": self.tonnes,
            "problems": self.problems,
        }


def import_listing(
    system: EmbeddedSystem,
    rows: Iterable[tuple[int, dict[str, str]]],
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import every good row through the clearinghouse; report the bad ones with
    row number, check code and reason. Good rows import whatever bad rows hold."""
    report = ImportReport()
    seen: dict[tuple[str, int, int], int] = {}
    for line, data in rows:
        report.rows += 1
        if progress is not None:
            progress(report.rows)
        try:
            listed = parse_row(line, data)
        except Refused as refused:
            report.problems.append({"row": line, "code": refused.code, "reason": refused.reason})
            continue
        key = (listed.registry, listed.first, listed.last)
        seen[key] = seen.get(key, 0) + 1
        _issue(system, listed, seen[key], report)
    return report


def _issue(
    system: EmbeddedSystem, listed: ListedBlock, occurrence: int, report: ImportReport
) -> None:
    txn_id = listed.transaction_id(occurrence)
    registry = _registry(system, listed)
    existing = registry.transaction(txn_id)
    if existing is not None and existing.state == "completed":
        report.already += 1
        return
    system.clearinghouse.grant_authorization(
        {
            "code": listed.authorization,
            "party": listed.party,
            "cooperative_approach": listed.approach,
            "unit_types": [listed.programme.unit_type],
            "vintages": [listed.vintage, listed.vintage],
            "purposes": listed.purposes,
            "first_transfer": listed.definition,
            "authorized_on": f"{listed.authorised_in}-01-01",
        }
    )
    registry.open_account({"account": listed.account, "holder": f"project {listed.project}"})
    receipt = system.do(
        listed.registry,
        "issue",
        {
            "transaction_id": txn_id,
            "business_date": listed.issued_on.isoformat(),
            "account": listed.account,
            "unit_type": listed.programme.unit_type,
            "vintage": listed.vintage,
            "quantity": listed.volume,
            "first_serial": listed.first,
            "authorization_id": listed.authorization,
        },
    )
    if receipt.state == "completed":
        report.imported += 1
        report.tonnes += receipt.quantity
        return
    what = "double issuance: " if receipt.code == "UNT-004" else ""
    report.problems.append(
        {"row": listed.row, "code": receipt.code, "reason": f"{what}{receipt.reason}"}
    )


def _registry(system: EmbeddedSystem, listed: ListedBlock) -> Any:
    if listed.registry not in system.registries:
        system.clearinghouse.register_party(
            {"code": listed.party, "name": listed.country, "ndc": PLACEHOLDER_NDC}
        )
        system.add_registry(
            RegistryConfig(
                listed.registry,
                f"{listed.programme.name} ({listed.country})",
                listed.party,
                (listed.programme.unit_type,),
            )
        )
    return system.registry(listed.registry)

"""The check catalogue: every rule that can refuse a transaction.

Each check has a stable code, a family, a message a person understands, the
source it comes from and a version (DESIGN.md, principle 5). Verdict events
record the code and version that decided, so a later change of a rule never
rewrites what an earlier verdict meant. ``docs/checks.md`` is generated from
this module (``clearinghouse checks --markdown``) and a test keeps them equal.

Code families follow the grouping of the UK ETS registry catalogue cited in
reference/registries-and-reporting.md: agreement, unit, quantity/limit,
authorization, accounting, plus transaction and input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Check:
    code: str
    family: str
    title: str
    template: str
    source: str
    version: int = 1

    def message(self, **facts: Any) -> str:
        return self.template.format(**facts)


FAMILIES = {
    "AGR": "agreement",
    "UNT": "unit",
    "QTY": "quantity and limit",
    "AUT": "authorization",
    "ACC": "accounting",
    "TXN": "transaction",
    "INP": "input",
    "CMP": "compliance (native rules of a jurisdiction)",
    "MKT": "market rules (native trading and stabilisation rules)",
    "ART": "Article 6 accounting and reporting",
    "SIM": "simulation scenarios",
    "AUD": "audit: tamper evidence, replay and reconciliation",
    "SVC": "service access: API keys, roles, idempotency",
}

_ITL = "reference/registries-and-reporting.md, Kyoto ITL checks"
_NATIVE = "the jurisdiction's rules, cited in the message (docs/jurisdictions.md)"
_RECON = "reference/registries-and-reporting.md L38 (ITL reconciliation)"
_CHAIN = "issue #6, item 1 (SHA-256 chain over each log, checkpoints); docs/audit.md"
_AGR = "issue #2 (linkage agreements); reference/linkage-and-article6.md, Linkage (002 L12)"

CATALOGUE: dict[str, Check] = {
    c.code: c
    for c in [
        # -- agreement ------------------------------------------------------
        Check(
            "AGR-001",
            "AGR",
            "no linkage agreement",
            "No linkage agreement allows transfers from {source} to {destination}.",
            _AGR,
        ),
        Check(
            "AGR-002",
            "AGR",
            "agreement not in force",
            "Linkage agreement {agreement} is not in force on {date} "
            "(in force from {start}{until}).",
            _AGR,
        ),
        Check(
            "AGR-003",
            "AGR",
            "agreement suspended",
            "Linkage agreement {agreement} is suspended since {since}; "
            "no transfers clear under it until it is resumed.",
            _AGR,
        ),
        Check(
            "AGR-004",
            "AGR",
            "de-linked",
            "Linkage agreement {agreement} was ended (de-linked) on {since}.",
            "reference/linkage-and-article6.md (Ontario's exit from WCI, a de-linking)",
        ),
        Check(
            "AGR-005",
            "AGR",
            "exchange rate gives a fraction",
            "At the exchange rate {rate}, {quantity} {unit_type} units convert to a "
            "fraction of a unit; transfer a multiple of {multiple} per vintage.",
            "DESIGN.md conventions (quantities are whole tonnes, rates exact fractions)",
        ),
        # -- unit -----------------------------------------------------------
        Check(
            "UNT-001",
            "UNT",
            "unit type not recognised",
            "{destination} does not recognise {unit_type} units from {source} "
            "under linkage agreement {agreement}.",
            "reference/northeast-asia.md, restricted linkage (E:2238-2252)",
        ),
        Check(
            "UNT-002",
            "UNT",
            "units not held",
            "The units {blocks} are not held by {holder}.",
            _ITL + " (UK ETS 10005: account does not hold the serial blocks)",
        ),
        Check(
            "UNT-003",
            "UNT",
            "units retired, surrendered or cancelled",
            "The units {blocks} are {status}; retired, surrendered and cancelled "
            "units can never move again.",
            _ITL + " (reject units previously retired or cancelled)",
        ),
        Check(
            "UNT-004",
            "UNT",
            "double issuance",
            "Serials {blocks} overlap units already issued by {registry}; "
            "issuing them again would count the same tonnes twice.",
            _ITL + " (improper issuance; units existing in more than one registry)",
        ),
        Check(
            "UNT-005",
            "UNT",
            "units on hold",
            "The units {blocks} are on hold for transaction {transaction}.",
            "DESIGN.md, a cross-border transfer (units put on hold)",
        ),
        Check(
            "UNT-006",
            "UNT",
            "not enough units",
            "Account {account} holds {available} matching units; {quantity} were asked for.",
            _ITL + " (UK ETS 3005: quantity exceeds balance)",
        ),
        Check(
            "UNT-007",
            "UNT",
            "no such account",
            "Registry {registry} has no account {account}.",
            _ITL + " (UK ETS 1002: account does not exist)",
        ),
        Check(
            "UNT-008",
            "UNT",
            "units cannot leave this account",
            "Units in {account} (a {kind} account) are spent and cannot be moved.",
            _ITL + " (reject units previously retired or cancelled)",
        ),
        Check(
            "UNT-009",
            "UNT",
            "unit type not issued here",
            "Registry {registry} issues {issues}, not {unit_type}.",
            "issue #2 (registry adapter framework)",
        ),
        Check(
            "UNT-010",
            "UNT",
            "same account",
            "The acquiring account is the transferring account ({account}).",
            _ITL + " (UK ETS 2508: acquiring = transferring account)",
        ),
        # -- quantity and limits ---------------------------------------------
        Check(
            "QTY-001",
            "QTY",
            "import limit",
            "{jurisdiction} may import at most {limit} t under {agreement} in {period}; "
            "{used} t are already used, so {quantity} t more would exceed it.",
            "reference/northeast-asia.md, quantity limits on foreign credits (E:2238-2252)",
        ),
        Check(
            "QTY-002",
            "QTY",
            "export limit",
            "{jurisdiction} may export at most {limit} t under {agreement} in {period}; "
            "{used} t are already used, so {quantity} t more would exceed it.",
            "reference/northeast-asia.md, quantity limits (E:2238-2252)",
        ),
        # -- authorization ---------------------------------------------------
        Check(
            "AUT-001",
            "AUT",
            "no Article 6.2 authorization",
            "Transfers under {agreement} must be authorized under Article 6.2, and no "
            "authorization by {party} covers {unit_type} units of vintage {vintage}.",
            "reference/linkage-and-article6.md, Adopted rules (first transfer, authorisation)",
        ),
        Check(
            "AUT-002",
            "AUT",
            "authorization cap reached",
            "Authorization {authorization} allows {cap} t; {used} t are used, so {quantity} t "
            "more would exceed it.",
            "reference/linkage-and-article6.md, Adopted rules; issue #2 (quantity cap)",
        ),
        # -- accounting ------------------------------------------------------
        Check(
            "ACC-001",
            "ACC",
            "not authorized for this use",
            "The units {blocks} are authorized for {purposes} only and cannot be used "
            "towards an NDC.",
            "reference/registries-and-reporting.md, Table 4 rows 7-8 (NDC vs OIMP)",
        ),
        Check(
            "ACC-002",
            "ACC",
            "double claiming",
            "{party} cannot count the units {blocks} from {origin_party} towards its NDC: "
            "they are not an authorized ITMO with a corresponding adjustment, so both "
            "Parties would claim the same tonnes.",
            "reference/linkage-and-article6.md, double counting taxonomy (double claiming)",
        ),
        Check(
            "ACC-003",
            "ACC",
            "conversion mixes Article 6 statuses",
            "A transfer converted at an exchange rate carries units of one Article 6 "
            "status; these are {statuses}. Send them in separate transfers.",
            "docs/article6.md, Units converted at an exchange rate (one batch, one tag); "
            "reference/registries-and-reporting.md L7 (AEF conversion factor per ITMO)",
        ),
        # -- transaction -----------------------------------------------------
        Check(
            "TXN-001",
            "TXN",
            "transaction id reused",
            "Transaction id {transaction} was already used for a different transaction.",
            _ITL + " (UK ETS 10006: transaction id already exists)",
        ),
        Check(
            "TXN-002",
            "TXN",
            "registry not connected",
            "Registry {registry} is not connected to the clearinghouse.",
            "DESIGN.md, one contract between registries and the clearinghouse",
        ),
        Check(
            "TXN-003",
            "TXN",
            "same registry",
            "A cross-border transfer needs two registries; {registry} to itself is an "
            "internal transfer.",
            "issue #2 (cross-border transfer lifecycle)",
        ),
        # -- input -----------------------------------------------------------
        Check(
            "INP-001",
            "INP",
            "invalid input",
            "{field}: {reason}",
            "issue #2, item 8 (every command and message validated)",
        ),
        # -- compliance: the native rules every compliance registry shares --------
        # The rule and its numbers vary by jurisdiction and period; the facts name
        # them and their source (docs/jurisdictions.md).
        Check(
            "CMP-001",
            "CMP",
            "not covered",
            "{entity} is not covered by {registry}: {reason} ({source}).",
            _NATIVE,
        ),
        Check(
            "CMP-002",
            "CMP",
            "unknown covered entity",
            "{registry} has no covered entity {entity}; register it first.",
            "issue #3 (register covered entities)",
        ),
        Check(
            "CMP-003",
            "CMP",
            "offset limit exceeded",
            "Offsets surrendered by {entity} for {period} would reach {total} t, above "
            "the limit of {limit} t ({rule}; {source}).",
            _NATIVE,
        ),
        Check(
            "CMP-004",
            "CMP",
            "unit not eligible for compliance",
            "{blocks} cannot be surrendered in {registry}: {reason} ({source}).",
            _NATIVE,
        ),
        Check(
            "CMP-005",
            "CMP",
            "outside the compliance calendar",
            "{registry}, {period}: {reason} ({source}).",
            _NATIVE,
        ),
        Check(
            "CMP-006",
            "CMP",
            "facts missing",
            "{registry} cannot {action} for {entity}: {reason}.",
            "issue #3 (allocation and surrender follow verified emissions)",
        ),
        Check(
            "CMP-007",
            "CMP",
            "banking not allowed",
            "{blocks} cannot be carried over into {period} in {registry}: {reason} ({source}).",
            _NATIVE,
        ),
        Check(
            "CMP-008",
            "CMP",
            "borrowing not allowed",
            "{blocks} belong to a later period than {period}; {registry} does not let "
            "{entity} borrow them: {reason} ({source}).",
            _NATIVE,
        ),
        Check(
            "CMP-009",
            "CMP",
            "operation not allowed by native rules",
            "{registry} does not allow this {operation}: {reason} ({source}).",
            _NATIVE,
        ),
        # -- market rules --------------------------------------------------------
        Check(
            "MKT-001",
            "MKT",
            "price outside the allowed band",
            "A trade at {price} {currency}/t is outside {registry}'s allowed range "
            "{low}–{high} {currency}/t ({rule}; {source}).",
            _NATIVE,
        ),
        Check(
            "MKT-002",
            "MKT",
            "sale limit exceeded",
            "{entity} would have sold {total} t in {registry}, above its limit of "
            "{limit} t ({rule}; {source}).",
            _NATIVE,
        ),
        # -- native: China national ETS and CCER (add CN codes below this line) --
        # -- end of China native codes --
        #
        # -- native: Chinese pilots (add pilot codes below this line) --
        # -- end of pilot native codes --
        #
        # -- native: Korea (add K-ETS codes below this line) --
        # -- end of Korea native codes --
        #
        # -- native: Japan (add Tokyo, Saitama, JCM, J-Credit codes below this line) --
        # -- end of Japan native codes --
        #
        # -- native: EU ETS, Swiss ETS, EEA (CMP-5xx/MKT-5xx; add codes below this line) --
        Check(
            "CMP-501",
            "CMP",
            "outside the link's settlement calendar",
            "{registry}: a transfer across the {link} link cannot execute on {date}: "
            "{reason} ({source}).",
            "reference/registries-and-reporting.md L42 (EU–Switzerland link: predefined "
            "dates, registry link live 21 Sep 2020)",
        ),
        Check(
            "CMP-502",
            "CMP",
            "aviation allowances surrendered by an installation",
            "{blocks} are aviation allowances: {entity} is a stationary installation and "
            "cannot surrender them in {registry} ({source}).",
            "[GK] Directive 2003/87/EC Art. 12(2a)-(3); reference/registries-and-reporting.md "
            "L42 (aviation units, distinguishable in balances)",
        ),
        Check(
            "CMP-503",
            "CMP",
            "state not taking part in the system",
            "{entity}: {state} does not take part in {registry} on {date}: {reason} ({source}).",
            "reference/linkage-and-article6.md L9 (Norway, Iceland, Liechtenstein in the EU "
            "ETS since 2007/2008); 002 L35",
        ),
        Check(
            "CMP-504",
            "CMP",
            "deferred transfer not pending",
            "{registry}: transfer {transaction} cannot be {action}: {reason}.",
            "reference/registries-and-reporting.md L42 (delayed and calendar-bound transfers)",
        ),
        # -- end of EU/CH native codes --
        #
        # -- native: WCI California, Québec, Ontario (CMP-6xx/MKT-6xx; add codes below) --
        Check(
            "CMP-601",
            "CMP",
            "WCI holding limit exceeded",
            "{account} would hold {total} allowances in {registry}, above the holding limit of "
            "{limit} (HL = 0.1 × 25,000,000 + 0.025 × (C − 25,000,000), C = {cap} t: the "
            "{year} caps of {members}; {source}).",
            "reference/registries-and-reporting.md L46 (WCI holding limit)",
        ),
        Check(
            "CMP-602",
            "CMP",
            "compliance account restricted",
            "{registry}, account {account}: {reason} ({source}).",
            "reference/registries-and-reporting.md L46 (compliance-account exemption); [GK] CITSS",
        ),
        Check(
            "CMP-603",
            "CMP",
            "Ontario units after Ontario's exit",
            "{blocks} are Ontario allowances: since Ontario left the linked market on {exit}, "
            "in {registry} {reason} ({source}).",
            "reference/registries-and-reporting.md L45; reference/linkage-and-article6.md L9 "
            "(Ontario joined 1 Jan 2018, left mid-2018: a de-linking)",
        ),
        Check(
            "MKT-601",
            "MKT",
            "auction purchase limit",
            "{bidder} ({kind}) may buy at most {limit} allowances in auction {auction}: "
            "{share}% of the {offered} offered ({source}); its bids beyond are not filled.",
            "reference/registries-and-reporting.md L49 (purchase limits)",
        ),
        Check(
            "MKT-602",
            "MKT",
            "not part of the joint auction",
            "{registry} cannot take part in joint auction {auction} on {date}: the linked "
            "jurisdictions then are {linked} ({source}).",
            "reference/registries-and-reporting.md L45, L48 (joint auctions of the linked "
            "jurisdictions)",
        ),
        # -- end of WCI native codes --
        #
        # -- native: Article 6.4 mechanism registry (CMP-7xx; add codes below this line) --
        Check(
            "CMP-701",
            "CMP",
            "Article 6.4 activity",
            "{registry}, activity {activity}: {reason} ({source}).",
            "reference/linkage-and-article6.md L13; 003 L194–241 (activities, ex-post crediting)",
        ),
        Check(
            "CMP-702",
            "CMP",
            "CDM transition not allowed",
            "{registry}: CDM activity {activity} cannot transition under the {variant} rule: "
            "{reason} ({source}).",
            "reference/linkage-and-article6.md L41 (V18–V20); 003 L389–417",
        ),
        Check(
            "CMP-703",
            "CMP",
            "outside the crediting period",
            "{registry}, activity {activity}: reductions of {vintage} cannot be issued: "
            "{reason} ({source}).",
            "reference/linkage-and-article6.md L21, L41; 003 L416–417",
        ),
        Check(
            "CMP-704",
            "CMP",
            "pending units not forwarded as instructed",
            "{registry}, activity {activity}: {reason} ({source}).",
            "reference/registries-and-reporting.md L52 (issued first into a pending account)",
        ),
        # -- end of Article 6.4 native codes --
        #
        # -- simulation scenarios (issue #5; SIM-0xx; add codes below this line) --
        Check(
            "SIM-001",
            "SIM",
            "scenario file unreadable",
            "Scenario file {file}: {reason}.",
            "issue #5, item 1 (scenario files are YAML); docs/scenarios.md",
        ),
        Check(
            "SIM-002",
            "SIM",
            "scenario invalid",
            "Scenario file {file} is invalid: {errors}.",
            "issue #5, item 1 (the scenario format, validated by pydantic); docs/scenarios.md",
        ),
        Check(
            "SIM-003",
            "SIM",
            "markets did not clear",
            "Scenario {scenario}: the markets did not clear ({reason}).",
            "issue #5, item 2 (a sound numerical method, tolerance documented); "
            "clearinghouse/simulation/market.py",
        ),
        Check(
            "SIM-004",
            "SIM",
            "output folder holds another run",
            "{folder}: {reason}.",
            "issue #5, item 3 (re-accounting a run's store under other rule sets)",
        ),
        Check(
            "SIM-005",
            "SIM",
            "simulated command refused",
            "{registry} refused {command} {transaction} for {year}: {code} {reason}",
            "issue #5, item 3 (every trade goes through the registries and the "
            "clearinghouse, which apply their rules)",
        ),
        # -- end of SIM codes --
        #
        # -- audit (issue #6; AUD-0xx; add codes below this line) --
        # AUD-001 refuses transfers; the others are findings of the audit tools
        # (docs/audit.md): their codes are as stable as any check's.
        Check(
            "AUD-001",
            "AUD",
            "registry under reconciliation",
            "Cross-border transfers to or from {registry} are blocked: its reconciliation "
            "with the central ledger is {status} ({detail}).",
            _RECON + " (transactions blocked while pending); " + _ITL + " (UK ETS 3016)",
        ),
        Check(
            "AUD-010",
            "AUD",
            "event modified",
            "{application} position {position}: the stored event ({topic}) is not the one "
            "checkpointed there; its state or topic was changed.",
            _CHAIN,
        ),
        Check(
            "AUD-011",
            "AUD",
            "event deleted",
            "{application} position {position}: the event checkpointed there is missing.",
            _CHAIN,
        ),
        Check(
            "AUD-012",
            "AUD",
            "event inserted",
            "{application} position {position}: an event ({topic}, {identity}) that was "
            "never checkpointed there (inserted or forged).",
            _CHAIN,
        ),
        Check(
            "AUD-013",
            "AUD",
            "events reordered",
            "{application} position {position}: the event ({topic}) checkpointed at "
            "position {origin}; events were moved.",
            _CHAIN,
        ),
        Check(
            "AUD-014",
            "AUD",
            "checkpoints broken",
            "{application}: the checkpoints are broken at position {position}: {reason}.",
            _CHAIN + " (checkpoint segments link to each other)",
        ),
        Check(
            "AUD-015",
            "AUD",
            "published head does not match",
            "Head {digest}: {application} at position {position} does not match: {reason}.",
            _CHAIN + " (a published head anchors every log at once)",
        ),
        Check(
            "AUD-020",
            "AUD",
            "totals inconsistent",
            "{registry}, {category} {unit_type}: the registry's log holds {registry_total} t, "
            "the central ledger {central_total} t.",
            _RECON + " (phase 1: totals per account type and unit type)",
        ),
        Check(
            "AUD-021",
            "AUD",
            "block only in the registry",
            "{registry}: {category} block {block} ({count} t) is in the registry's accounts "
            "but not in the central ledger.",
            _RECON + " (phase 2: unit blocks)",
        ),
        Check(
            "AUD-022",
            "AUD",
            "block only in the central ledger",
            "{registry}: the central ledger has {category} block {block} ({count} t) for this "
            "registry; its accounts do not hold it.",
            _RECON + " (phase 2: unit blocks)",
        ),
        Check(
            "AUD-023",
            "AUD",
            "block status differs",
            "{registry}: block {block} ({count} t) is {registry_category} in the registry's "
            "log but {central_category} in the central ledger.",
            _RECON + " (phase 2: unit blocks)",
        ),
        Check(
            "AUD-030",
            "AUD",
            "pack file modified",
            "Evidence pack {pack}: {file} does not match its checksum in the manifest.",
            "issue #6, item 5 (a manifest with checksums)",
        ),
        Check(
            "AUD-031",
            "AUD",
            "pack incomplete",
            "Evidence pack {pack}: {reason}.",
            "issue #6, item 5 (events, checkpoints and head, projections, reconciliation, "
            "manifest)",
        ),
        Check(
            "AUD-032",
            "AUD",
            "pack contents disagree",
            "Evidence pack {pack}: {reason}.",
            "issue #6, item 5 (verify-pack needs nothing but the pack)",
        ),
        Check(
            "AUD-040",
            "AUD",
            "no such point in the log",
            "{reason}.",
            "issue #6, item 2 (as of a business date or a log position)",
        ),
        Check(
            "AUD-041",
            "AUD",
            "serial never issued",
            "No block containing serial {serial} of {space} was ever issued{where}.",
            "issue #6, item 4 (provenance of a serial)",
        ),
        # -- end of AUD codes --
        #
        # -- service access (issue #7; SVC-0xx; add codes below this line) --
        Check(
            "SVC-001",
            "SVC",
            "no valid API key",
            "{reason}: send 'Authorization: Bearer <key>' with a key made by "
            "'clearinghouse keys create' (HTTP 401).",
            "issue #7, Required 2 (access control: API keys stored hashed, with roles)",
        ),
        Check(
            "SVC-002",
            "SVC",
            "role not allowed",
            "A key with the role {role} cannot {action} (HTTP 403).",
            "issue #7, Required 2 (roles); clearinghouse/service/access.py",
        ),
        Check(
            "SVC-003",
            "SVC",
            "outside the key's registry",
            "This key operates registry {own}; it cannot {action} of registry {registry} "
            "(HTTP 403).",
            "issue #7, Required 2 (a registry operator acts only for its own jurisdiction)",
        ),
        Check(
            "SVC-004",
            "SVC",
            "Idempotency-Key reused for another request",
            "Idempotency-Key {key!r} was first used for {first}; a different request needs "
            "a new key (HTTP 422).",
            "issue #7, Required 1 (a repeated request returns the first result)",
        ),
        Check(
            "SVC-005",
            "SVC",
            "not found",
            "No {what} {name} (HTTP 404).",
            "issue #7, Required 1",
        ),
        Check(
            "SVC-006",
            "SVC",
            "conflicts with the record",
            "{reason} (HTTP 409).",
            "issue #7, Required 1; administrative commands are idempotent by code",
        ),
        Check(
            "SVC-007",
            "SVC",
            "not available",
            "{component} is not available: {reason} (HTTP 503).",
            "issue #7, Required 1 (readiness)",
        ),
        Check(
            "SVC-008",
            "SVC",
            "simulation not ready",
            "Simulation {simulation} is {state}: {reason} (HTTP 409).",
            "issue #7, Required 1 (simulations: start, status, results); docs/operations.md",
        ),
        # -- end of SVC codes --
        # -- Article 6 accounting and reporting (issue #4) --------------------
        Check(
            "ART-001",
            "ART",
            "method does not fit the NDC",
            "{party}'s {ndc} NDC cannot use the {method} method of corresponding "
            "adjustment; it may use {allowed}.",
            "reference/linkage-and-article6.md L18 (methods 7(a)(i), 7(a)(ii), 7(b))",
        ),
        Check(
            "ART-002",
            "ART",
            "listing: serial number unreadable",
            "Row {row}: serial number {serial!r} cannot be read ({reason}).",
            "shared/data/README.md (serial_number: GS last two fields, Verra second and third)",
        ),
        Check(
            "ART-003",
            "ART",
            "listing: bad volume",
            "Row {row}: volume {volume!r} {reason}.",
            "shared/data/README.md (volume = width of the serial range); "
            + _ITL
            + " (UK ETS 3008: quantity must be a positive integer)",
        ),
        Check(
            "ART-004",
            "ART",
            "listing: unknown first-transfer definition",
            "Row {row}: first transfer definition {value!r} is not one of {allowed}.",
            "reference/linkage-and-article6.md L19; shared/data/README.md",
        ),
        Check(
            "ART-005",
            "ART",
            "listing: bad field",
            "Row {row}: {field} {value!r}: {reason}.",
            "shared/data/README.md (the listing's columns)",
        ),
        Check(
            "ART-006",
            "ART",
            "AEF file unreadable",
            "AEF file {file}: {reason}.",
            "reference/registries-and-reporting.md L7-8 (AEF Tables 2 and 3, official columns)",
        ),
        Check(
            "ART-007",
            "ART",
            "AEF row invalid",
            "AEF file {file}, row {row}: {reason}.",
            "reference/registries-and-reporting.md L7-9 (AEF columns, action types)",
        ),
        Check(
            "ART-008",
            "ART",
            "Party file invalid",
            "Party file {file}: {reason}.",
            "issue #4, item 4 (the Party file's fields)",
        ),
        Check(
            "ART-009",
            "ART",
            "rule set invalid",
            "Rule set {file}: {reason}.",
            "issue #4, item 5; reference/linkage-and-article6.md L23-41 (variants)",
        ),
    ]
}


def check(code: str) -> Check:
    return CATALOGUE[code]


class Refused(Exception):
    """A transaction refused by a named check. Raised before any event is
    triggered, so nothing is half-applied."""

    def __init__(self, code: str, **facts: Any) -> None:
        self.check = CATALOGUE[code]
        self.facts = facts
        super().__init__(f"{code}: {self.check.message(**facts)}")

    @property
    def code(self) -> str:
        return self.check.code

    @property
    def version(self) -> int:
        return self.check.version

    @property
    def reason(self) -> str:
        return self.check.message(**self.facts)


def markdown() -> str:
    """The catalogue as the page ``docs/checks.md``."""
    lines = [
        "# Check catalogue",
        "",
        "Every rule that can refuse a transaction, with its stable code. Verdict events",
        "record the code and version that decided. Generated from `clearinghouse/checks.py`",
        "by `clearinghouse checks --markdown`; a test keeps this page equal to the code.",
        "",
    ]
    for prefix, family in FAMILIES.items():
        lines += [
            f"## {prefix}: {family}",
            "",
            "| code | v | check | message | source |",
            "|---|---|---|---|---|",
        ]
        for c in CATALOGUE.values():
            if c.family == prefix:
                lines.append(
                    f"| `{c.code}` | {c.version} | {c.title} | {c.template} | {c.source} |"
                )
        lines.append("")
    return "\n".join(lines)

"""The scenario file: what an analyst writes, validated at the edge with pydantic.

A scenario names the years, the jurisdictions (each either an aggregate market —
cap, BAU emissions and a MAC — or N synthetic covered entities drawn from stated
distributions with a seed), the links between them with their limits and
exchange rates, and the accounting rule sets. ``docs/scenarios.md`` documents
every field with examples; the minimal form is issue #5's ``two-markets``.

Units: market quantities (``cap``, ``bau``, limits, offset supply) in Mt CO2e a
year; entity emissions in t CO2e a year; prices and MAC parameters in the
jurisdiction's currency per t; ``fx`` converts that currency into the
scenario's reporting currency.

Errors point to the line: :func:`load` keeps the YAML marks and a validation
error reads ``two-markets.yaml line 12, jurisdictions[0].mac.slope: Input should
be greater than 0`` (check SIM-002).
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)

from clearinghouse.checks import Refused
from clearinghouse.messages import Identifier
from clearinghouse.simulation import yamlmarks

# -- small building blocks ---------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Growth(_Model):
    """A value that starts at ``start`` in the first simulated year and changes by
    ``change`` (a fraction: -0.02 is 2% less) each year after."""

    start: float
    change: float = 0.0


#: a number for every year, a ``{year: value}`` mapping (linear between the years
#: given), or ``{start, change}``
Series = float | dict[int, float] | Growth


def series(value: Series, years: list[int]) -> dict[int, float]:
    """``value`` for each of ``years``; a mapping must span them all."""
    if isinstance(value, Growth):
        first = years[0]
        return {y: value.start * (1 + value.change) ** (y - first) for y in years}
    if isinstance(value, dict):
        given = sorted(value)
        out: dict[int, float] = {}
        for y in years:
            if y in value:
                out[y] = float(value[y])
                continue
            before = [g for g in given if g < y]
            after = [g for g in given if g > y]
            if not before or not after:
                raise ValueError(f"no value for {y} (the mapping gives {given[0]}–{given[-1]})")
            lo, hi = before[-1], after[0]
            out[y] = value[lo] + (value[hi] - value[lo]) * (y - lo) / (hi - lo)
        return out
    return dict.fromkeys(years, float(value))


class Dist(_Model):
    """A distribution to draw from: ``fixed`` (value), ``uniform`` (low, high),
    ``normal`` (mean, sd), ``lognormal`` (median, sigma: the log's standard
    deviation), ``triangular`` (low, mode, high); draws are clipped to
    [``min``, ``max``] when given."""

    dist: Literal["fixed", "uniform", "normal", "lognormal", "triangular"]
    value: float | None = None
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: float | None = Field(default=None, ge=0)
    median: float | None = Field(default=None, gt=0)
    sigma: float | None = Field(default=None, ge=0)
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _parameters(self) -> Dist:
        needed = {
            "fixed": ("value",),
            "uniform": ("low", "high"),
            "normal": ("mean", "sd"),
            "lognormal": ("median", "sigma"),
            "triangular": ("low", "mode", "high"),
        }[self.dist]
        missing = [n for n in needed if getattr(self, n) is None]
        if missing:
            raise ValueError(f"a {self.dist} distribution needs {', '.join(missing)}")
        low, high = self.low or 0.0, self.high or 0.0
        if self.dist in ("uniform", "triangular") and low > high:
            raise ValueError("low is above high")
        if self.dist == "triangular" and not low <= (self.mode or 0.0) <= high:
            raise ValueError("a triangular distribution needs low <= mode <= high")
        return self


Number = float | Dist


class Choice(_Model):
    """A category drawn with the given weights, e.g. ``{choice: {gas: 1, coal: 3}}``."""

    choice: dict[str, PositiveFloat] = Field(min_length=1)


class From(_Model):
    """A value taken from the synthetic entity: ``emissions`` (verified t that year),
    ``bau`` (t that year without a carbon price), ``base`` (first-year BAU t),
    ``output`` (units that year), ``allocation`` (t), times ``times``, rounded
    to whole numbers unless ``round: false``."""

    from_: Literal["emissions", "bau", "base", "output", "allocation"] = Field(alias="from")
    times: float = 1.0
    round: bool = True


#: a registration attribute or activity value: a constant, a draw, a category, or
#: a quantity of the entity
Value = str | bool | float | Dist | Choice | From


# -- jurisdictions ---------------------------------------------------------------------


class LinearMac(_Model):
    """Marginal abatement cost = ``slope`` × abatement in Mt (currency/t), up to
    ``potential`` Mt (default: the BAU emissions — nothing abates more than it emits)."""

    type: Literal["linear"] = "linear"
    slope: PositiveFloat
    potential: Series | None = None


class EntityMac(_Model):
    """An entity's MAC rises linearly to ``full_cost`` (currency/t) when it has
    abated ``max_share`` of its BAU emissions, beyond which it cannot abate."""

    full_cost: Number
    max_share: Number = 1.0


class Sector(_Model):
    name: str = Field(min_length=1)
    #: the sector the registry is told (default ``name``): several scenario sectors can
    #: be one registry sector, e.g. coal units of different categories are all "power"
    registry_sector: str | None = None
    share: float | None = Field(default=None, gt=0)
    count: PositiveInt | None = None
    emissions: Number  # t CO2e a year per entity, first simulated year, without a carbon price
    intensity: Number | None = None  # t CO2e per unit of output: output = emissions / intensity
    growth: float | None = None  # BAU growth per year (fraction); default the jurisdiction's
    mac: EntityMac
    benchmark: Series | None = None  # t allocated per unit of output (allocation type benchmark)
    attributes: dict[str, Value] = Field(default_factory=dict)
    activity: dict[str, Value] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _size(self) -> Sector:
        if (self.share is None) == (self.count is None):
            raise ValueError("give a sector either share (of the count) or count")
        return self


class Entities(_Model):
    count: PositiveInt
    seed: int = 0
    #: registry entities: synthetic entities are grouped into this many cohorts
    #: (by sector, categorical attributes and abatement cost); none = one each
    cohorts: PositiveInt | None = None
    growth: float = 0.0
    sectors: list[Sector] = Field(min_length=1)

    @model_validator(mode="after")
    def _counts(self) -> Entities:
        fixed = sum(s.count or 0 for s in self.sectors)
        if fixed > self.count:
            raise ValueError(f"the sectors' counts ({fixed}) exceed count ({self.count})")
        if all(s.count is not None for s in self.sectors) and fixed != self.count:
            raise ValueError(f"the sectors' counts add up to {fixed}, not count ({self.count})")
        return self


class Allocation(_Model):
    """How a scenario registry allocates allowances to its entities: ``cap`` (the
    jurisdiction's cap, pro rata to each entity's BAU that year), ``benchmark``
    (each sector's benchmark × the entity's output), ``grandfathering``
    (``share`` × the entity's first-year BAU).

    An adapter whose rules allocate from an allocation table given at registration
    (the EU ETS's national allocation table, the WCI's allocation table:
    ``attributes.allocation``) takes the same rule: it becomes that table.
    ``auctioned`` (a share, a series) is the part of each entity's allowances its
    registry sells at auction instead of allocating free (a registry that holds
    joint auctions, the WCI's)."""

    type: Literal["cap", "benchmark", "grandfathering"]
    share: Series | None = None
    auctioned: Series | None = None


class Offsets(_Model):
    """Offset credits usable in the jurisdiction: a linear supply (``slope``
    currency/t per Mt) of at most ``supply`` Mt a year, and at most ``limit`` (a
    share of each entity's allocation) surrendered."""

    supply: Series
    slope: PositiveFloat
    limit: float = Field(gt=0, le=1)


class PriceControls(_Model):
    """A price floor (allowances withdrawn below it) and ceiling (allowances sold
    from a reserve above it), in the jurisdiction's currency per t."""

    floor: Series | None = None
    ceiling: Series | None = None


class Crediting(_Model):
    """A project-based crediting registry (the JCM): each cohort of entities is a
    project registered under ``methodology``; a year's abatement is its verified
    reductions, of which ``share`` percent is issued as credits for the buyer (the
    rest is accounted by the host), on a decision naming ``verifier``."""

    share: Decimal = Field(default=Decimal(100), gt=0, le=100)
    methodology: Identifier = "SIM_AM001"
    title: str = "simulated projects"
    verifier: Identifier = "SIM_VERIFIER"


class AdapterSpec(_Model):
    """A registry adapter of ``adapters.catalogue`` and the options its factory takes
    (docs/jurisdictions.md); options are converted to the factory's parameter
    types, so dataclass parameters (China's ``cycles``, say) are written as mappings."""

    code: str = Field(min_length=1)
    options: dict[str, Any] = Field(default_factory=dict)


class Jurisdiction(_Model):
    id: Identifier
    party: Identifier
    name: str = ""
    adapter: AdapterSpec | None = None
    currency: str | None = None
    fx: PositiveFloat = 1.0  # local currency per unit of the reporting currency
    cap: Series | None = None
    bau: Series | None = None
    mac: LinearMac | None = None
    entities: Entities | None = None
    allocation: Allocation | None = None
    offsets: Offsets | None = None
    price_controls: PriceControls | None = None
    banking: bool = False
    crediting: Crediting | None = None
    #: the Party's national registry (an aggregate market without an adapter): it
    #: acquires units from abroad and retires them for the NDC, like a government
    #: buyer of ITMOs; its own abatement is the market model's only
    national: bool = False

    @model_validator(mode="after")
    def _form(self) -> Jurisdiction:
        if self.national:
            if self.adapter is not None or self.entities is not None:
                raise ValueError(
                    "a national registry is an aggregate market (bau, cap, mac) without an adapter"
                )
            if self.offsets is not None or self.price_controls is not None or self.banking:
                raise ValueError(
                    "a national registry retires what it acquires: no offsets, price controls "
                    "or banking"
                )
        aggregate = self.bau is not None or self.mac is not None
        if aggregate and self.entities is not None:
            raise ValueError("give either bau and mac (an aggregate market) or entities, not both")
        if not aggregate and self.entities is None:
            raise ValueError("give bau and mac (an aggregate market) or entities")
        if aggregate:
            if self.bau is None or self.mac is None:
                raise ValueError("an aggregate market needs both bau and mac")
            if self.cap is None:
                raise ValueError("an aggregate market needs a cap")
        if self.entities is not None and self.adapter is None and self.allocation is None:
            raise ValueError("entities in a scenario registry need an allocation rule")
        if self.entities is not None and self.allocation is not None:
            if self.allocation.type == "cap" and self.cap is None:
                raise ValueError("allocation type cap needs the jurisdiction's cap")
            if self.allocation.type == "benchmark":
                lacking = [s.name for s in self.entities.sectors if s.benchmark is None]
                if lacking:
                    raise ValueError(f"benchmark allocation: sectors {lacking} have no benchmark")
            if self.allocation.type == "grandfathering" and self.allocation.share is None:
                raise ValueError("grandfathering allocation needs share")
        auctioned = self.allocation is not None and self.allocation.auctioned is not None
        if auctioned and self.adapter is None:
            raise ValueError(
                "allocation.auctioned is for an adapter whose registry sells allowances at "
                "auction; a scenario registry allocates its whole cap (use price_controls "
                "for a reserve)"
            )
        if self.adapter is not None and (
            self.price_controls is not None or self.offsets is not None
        ):
            raise ValueError(
                "price controls and offsets are simulated for scenario registries only; "
                "an adapter applies its own market rules"
            )
        if self.entities is not None and any(
            s.benchmark is not None or s.intensity is not None for s in self.entities.sectors
        ):
            no_output = [s.name for s in self.entities.sectors if s.intensity is None]
            if self.allocation is not None and self.allocation.type == "benchmark" and no_output:
                raise ValueError(f"benchmark allocation: sectors {no_output} need an intensity")
        return self


# -- links, parties, the scenario --------------------------------------------------------


class LimitAmount(_Model):
    """``percent`` of ``reference`` Mt (e.g. Korea's 11.3% share)."""

    percent: float = Field(gt=0, le=100)
    reference: PositiveFloat


Limit = Annotated[float, Field(ge=0)] | LimitAmount


def limit_mt(limit: Limit) -> float:
    if isinstance(limit, LimitAmount):
        return limit.percent / 100 * limit.reference
    return float(limit)


class Link(_Model):
    """A linkage agreement between two jurisdictions (``from`` sells to ``to``)."""

    id: Identifier | None = None
    from_: Identifier = Field(alias="from")
    to: Identifier
    direction: Literal["one-way", "two-way"] = "one-way"
    import_limit: Limit | None = None  # Mt a year into ``to`` from ``from``
    export_limit: Limit | None = None  # Mt a year out of ``from`` to ``to``
    reverse_import_limit: Limit | None = None  # two-way: Mt a year into ``from`` from ``to``
    rate: str = "1"  # units of ``to`` per unit of ``from``, exact ("1", "1/2", "0.8")
    authorized: bool = False  # Article 6.2-authorized: corresponding adjustments apply
    cooperative_approach: Identifier | None = None
    first_transfer: Literal[
        "authorization", "issuance", "first_international_transfer", "use_or_cancellation"
    ] = "first_international_transfer"
    purposes: Literal["ndc", "oimp", "ndc_and_oimp"] = "ndc_and_oimp"
    start: int | None = None  # first compliance year whose units may cross
    #: the agreement's date in force (default 1 January after ``start``, or after the
    #: first year: trading for year t happens in t + 1)
    effective_from: date | None = None
    delink: int | None = None  # first compliance year whose units may no longer cross
    #: the day the de-linking takes effect (default 1 January after ``delink``, before
    #: that year's trading); a mid-year date (Ontario's exit, 3 July 2018) must fall
    #: after the trading of the year before ``delink`` and before that of ``delink``
    delink_on: date | None = None
    suspend: list[int] = Field(default_factory=list)  # compliance years with no flows

    @field_validator("rate")
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            rate = Fraction(str(value))
        except (ValueError, ZeroDivisionError) as error:
            raise ValueError(f"not an exact rate: {value!r} (write 1, 1/2 or 0.8)") from error
        if rate <= 0:
            raise ValueError("an exchange rate must be positive")
        return str(rate)

    @model_validator(mode="after")
    def _sides(self) -> Link:
        if self.from_ == self.to:
            raise ValueError("a link joins two different jurisdictions")
        if self.direction == "one-way" and self.reverse_import_limit is not None:
            raise ValueError("reverse_import_limit is for two-way links")
        if self.start is not None and self.delink is not None and self.delink <= self.start:
            raise ValueError("delink must come after start")
        if self.delink_on is not None and self.delink is None:
            raise ValueError("delink_on needs delink (the first compliance year with no flows)")
        # trading for year t happens in t + 1 (docs/scenarios.md, how a run works)
        if (
            self.delink_on is not None
            and self.delink is not None
            and self.delink_on.year not in (self.delink, self.delink + 1)
        ):
            raise ValueError(
                f"delink_on {self.delink_on} must fall in {self.delink} or {self.delink + 1}, "
                f"between the trading of compliance year {self.delink - 1} and that of "
                f"{self.delink}"
            )
        return self

    @property
    def code(self) -> str:
        return self.id or f"{self.from_}_{self.to}"

    @property
    def fraction(self) -> Fraction:
        return Fraction(self.rate)

    def active(self, year: int) -> bool:
        if self.start is not None and year < self.start:
            return False
        if self.delink is not None and year >= self.delink:
            return False
        return year not in self.suspend


class PartySpec(_Model):
    """What the Article 6 accounting needs of a Party beyond the log (all optional)."""

    name: str = ""
    ndc_type: Literal["absolute", "intensity", "bau_relative"] = "absolute"
    description: str = ""
    ca_method: Literal["trajectory", "averaging"] = "trajectory"
    inventory: dict[int, int] = Field(default_factory=dict)  # t CO2e
    trajectory: dict[int, int] = Field(default_factory=dict)


class YearSpan(_Model):
    from_: int = Field(alias="from", ge=1990, le=2200)
    to: int = Field(ge=1990, le=2200)


class Scenario(_Model):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    title: str = ""
    description: str = ""
    sources: list[str] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)
    anchors: Any = None  # a place for YAML anchors (&name) reused below; ignored
    years: list[Annotated[int, Field(ge=1990, le=2200)]] | YearSpan
    currency: str = "currency units"
    discount_rate: float = Field(default=0.0, ge=0, le=1)
    rules: list[str] = Field(default_factory=lambda: ["glasgow-2021"], min_length=1)
    parties: dict[Identifier, PartySpec] = Field(default_factory=dict)
    jurisdictions: list[Jurisdiction] = Field(min_length=1)
    links: list[Link] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        years = self.year_list
        if not years:
            raise ValueError("years: give at least one year")
        if years != list(range(years[0], years[-1] + 1)):
            raise ValueError("years must be consecutive (compliance years in order)")
        ids = [j.id for j in self.jurisdictions]
        duplicate = sorted({i for i in ids if ids.count(i) > 1})
        if duplicate:
            raise ValueError(f"jurisdiction ids must be unique: {', '.join(duplicate)}")
        for link in self.links:
            for side in (link.from_, link.to):
                if side not in ids:
                    raise ValueError(f"link {link.code} names {side}, which is not a jurisdiction")
            parties = {self.jurisdiction(link.from_).party, self.jurisdiction(link.to).party}
            if len(parties) == 1 and link.authorized:
                raise ValueError(
                    f"link {link.code} is inside Party {parties.pop()}: Article 6.2 "
                    "authorization is between two Parties (a link inside one has no "
                    "corresponding adjustment); leave authorized out"
                )
            if len(parties) == 2 and not link.authorized:
                raise ValueError(
                    f"link {link.code} joins two Parties ({' and '.join(sorted(parties))}): units "
                    "used for compliance across Parties must be Article 6.2-authorized ITMOs or "
                    "the clearinghouse refuses them (ACC-002, double claiming); set authorized: "
                    "true"
                )
        codes = [link.code for link in self.links]
        if len(set(codes)) != len(codes):
            raise ValueError("two links have the same id: give them distinct ids")
        for j in self.jurisdictions:
            for field_name in ("cap", "bau"):
                value = getattr(j, field_name)
                if value is not None:
                    try:
                        series(value, years)
                    except ValueError as error:
                        raise ValueError(f"{j.id}.{field_name}: {error}") from None
        return self

    @property
    def year_list(self) -> list[int]:
        if isinstance(self.years, YearSpan):
            return list(range(self.years.from_, self.years.to + 1))
        return sorted(set(self.years))

    def jurisdiction(self, jid: str) -> Jurisdiction:
        return next(j for j in self.jurisdictions if j.id == jid)


# -- loading -------------------------------------------------------------------------------


class Loaded(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    scenario: Scenario
    source: str
    digest: str  # sha256 of the file's text: a store remembers which scenario it ran
    text: str


def load(path: str | Path) -> Loaded:
    """Read and validate a scenario file (SIM-001 unreadable, SIM-002 invalid)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise Refused("SIM-001", file=str(path), reason=error.strerror or str(error)) from None
    return parse(text, str(path))


def parse(text: str, source: str = "(scenario)") -> Loaded:
    try:
        data, marks = yamlmarks.load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise Refused("SIM-001", file=source, reason=f"not YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        raise Refused("SIM-001", file=source, reason="expected a mapping of fields (name, years…)")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        raise _invalid(source, error, marks) from None
    problems: list[tuple[tuple[str | int, ...], str]] = [
        (("jurisdictions", i, "adapter", *where), reason)
        for i, j in enumerate(scenario.jurisdictions)
        if j.adapter is not None
        for where, reason in adapter_problems(j.adapter)
    ]
    if problems:
        raise _refused(source, problems, marks)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Loaded(scenario=scenario, source=source, digest=digest, text=text)


def _invalid(source: str, error: ValidationError, marks: dict[yamlmarks.Path, int]) -> Refused:
    problems = [(tuple(e["loc"]), e["msg"]) for e in error.errors()]
    return _refused(source, problems, marks)


def _refused(
    source: str,
    problems: list[tuple[tuple[str | int, ...], str]],
    marks: dict[yamlmarks.Path, int],
) -> Refused:
    """SIM-002, its message one line per problem; ``fields`` holds the same problems
    one by one (field, line, reason) for callers that answer field by field (the API)."""
    fields = [
        {
            "field": _dotted(yamlmarks.written(loc, marks)) or "(file)",
            "line": yamlmarks.line_of(loc, marks),
            "reason": message,
        }
        for loc, message in problems
    ]
    return Refused("SIM-002", file=source, errors=_lines(problems, marks), fields=fields)


def _lines(
    problems: list[tuple[tuple[str | int, ...], str]], marks: dict[yamlmarks.Path, int]
) -> str:
    out = []
    for loc, message in problems:
        line = yamlmarks.line_of(loc, marks)
        where = _dotted(yamlmarks.written(loc, marks))
        out.append(f"line {line}, {where or '(file)'}: {message}")
    return "; ".join(out)


def _dotted(parts: list[str | int]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


# -- adapter options ---------------------------------------------------------------------------


def adapter_problems(spec: AdapterSpec) -> list[tuple[tuple[str, ...], str]]:
    """What is wrong with an adapter spec: unknown code, unknown option, bad value."""
    try:
        build_adapter(spec)
    except AdapterError as error:
        return [(error.where, error.reason)]
    return []


class AdapterError(Exception):
    def __init__(self, where: tuple[str, ...], reason: str) -> None:
        super().__init__(reason)
        self.where = where
        self.reason = reason


def build_adapter(spec: AdapterSpec) -> Any:
    """``adapters.catalogue.standard(code, **options)`` with each option converted to
    the type the factory declares (``adapters.catalogue.typed_options``)."""
    from adapters.catalogue import FACTORIES, OptionError, standard, typed_options

    try:
        options = typed_options(spec.code, spec.options)
    except KeyError:
        known = ", ".join(sorted(FACTORIES))
        raise AdapterError(
            ("code",), f"no adapter {spec.code!r} in the catalogue ({known})"
        ) from None
    except OptionError as error:
        where = ("options", error.option) if error.option else ("options",)
        raise AdapterError(where, error.reason) from None
    try:
        return standard(spec.code, **options)
    except (TypeError, ValueError, KeyError, Refused) as error:
        raise AdapterError(("options",), str(error)) from None

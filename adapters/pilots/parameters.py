"""The eight Chinese pilot ETSs as data: one profile per pilot, parameters per period.

Every number comes from the ASPI report's pilot table (Appendix A), digested in
``../shared/reference/china-ets.md`` ("Pilots"), with its line in the English
edition (``E:``, seed ``001``) or the Chinese edition (``C:``, seed ``000``, the
only one with endnotes). Where the sources disagree
(``northeast-asia.md``, "Source inconsistencies to keep selectable") both values
are here and :func:`profile` takes the reading to use.

Items marked [GK] are not in the sources; each is a configurable assumption and
says why it has the default it has.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from adapters.compliance import percent

#: how the pilot's threshold is measured: emissions, energy use, or floor area
Measure = Literal["tCO2", "tce", "m2"]
#: Hubei's table reading (units traded at least once) or its text reading
#: (no banking between compliance periods, E:589); "allowed" everywhere else
Banking = Literal["allowed", "traded_once", "none"]
PenaltyKind = Literal["tiered_price", "price_multiple", "fixed", "none"]

#: [GK] tonnes of CO2 per tonne of coal equivalent, to test a tce threshold when an
#: entity reports emissions only. The sources give thresholds in tce (E:1746,
#: E:1777, E:1803) but no factor; 2.66 t CO2/tce is the usual Chinese
#: standard-coal emission factor. An entity that reports ``energy_tce`` is tested
#: on that figure instead.
TCE_FACTOR = Fraction("2.66")

#: [GK] annual compliance: the emissions of a year are surrendered by 30 June of
#: the next. The sources name no deadlines (E:591 only says Beijing's was early).
DEADLINE = (6, 30)

#: [GK] pilots ran until the national market took over; the sources stop in 2017.
LAST_YEAR = 2020


@dataclass(frozen=True)
class Threshold:
    """Entities of ``sectors`` (None: any sector no other rule names) are covered
    at ``minimum`` of ``measure`` (strictly above it when ``strict``)."""

    measure: Measure
    minimum: int
    sectors: frozenset[str] | None = None
    strict: bool = False
    source: str = ""


@dataclass(frozen=True)
class PenaltyRule:
    """How a shortfall is punished (E:1381–1491, C: endnote 22)."""

    kind: PenaltyKind
    source: str
    #: tiered_price: (upper bound of the excess share, whether the bound belongs to
    #: the tier, multiple); the last tier's bound is None (no upper bound)
    tiers: tuple[tuple[Fraction | None, bool, int], ...] = ()
    #: price_multiple: the range the rule gives and the multiple applied
    multiples: tuple[int, int] = (1, 1)
    multiple: int = 1
    #: months of trading the average price is taken over (None: "average", unstated)
    price_window_months: int | None = None
    cap: Decimal | None = None
    #: fixed: the range the rule gives and the amount applied
    amounts: tuple[Decimal, Decimal] = (Decimal(0), Decimal(0))
    amount: Decimal = Decimal(0)
    #: allowances deducted from next year's allocation per tonne short
    deduction_factor: int = 0
    #: sanctions that are not money (subsidies withheld, credit records): recorded
    #: in the penalty's basis, not enforced by the registry
    other: str = ""


@dataclass(frozen=True)
class Stabilisation:
    """Market-stabilisation rules (E:1499–1591)."""

    source: str
    #: Beijing: intervene when the weighted average price is above ``high`` for
    #: ``high_days`` consecutive days, or below ``low`` (E:1506–1515)
    high: Decimal | None = None
    high_days: int = 0
    low: Decimal | None = None
    #: Shanghai: a price moving more than this share in one day (E:1568–1573)
    daily_move: Fraction | None = None
    #: Shanghai: transfers of this many tonnes or more must be negotiated (E:551)
    negotiated_from: int | None = None
    #: Hubei: share of the cap kept as government reserve (E:1562–1566)
    reserve_share: Fraction | None = None
    #: Shenzhen: the authority buys back at most this share of the allocation (E:1583–1585)
    buy_back_share: Fraction | None = None
    #: Chongqing: an entity sells at most this share of its free allocation (E:1531–1535)
    sale_share: Fraction | None = None
    #: Guangdong: auctions have a price floor (E:1549–1551)
    auction_floor: Decimal | None = None
    #: the text says the authority intervenes on fluctuation, with no number
    discretionary: bool = False


@dataclass(frozen=True)
class PilotParameters:
    """The rules of one pilot from ``from_year`` on (until the next version)."""

    from_year: int
    thresholds: tuple[Threshold, ...]
    offset_limit: Fraction
    #: what the offset limit is a share of: the compliance obligation (most pilots)
    #: or the year's allocation (Beijing: "up to 5% of allowance", E:1611–1612)
    offset_basis: Literal["obligation", "allocation"]
    offset_source: str
    banking: Banking
    banking_source: str
    penalty: PenaltyRule
    stabilisation: Stabilisation
    #: sectors allocated by benchmark × output; the others are grandfathered
    #: (E:1316–1375). None: benchmarking for new entrants only (Beijing).
    benchmark_sectors: frozenset[str] | None
    allocation_source: str
    #: share of allowances auctioned instead of given free (Guangdong, E:1339–1344)
    auction_share: Fraction = Fraction(0)
    #: [GK] grandfathered allocation = historical emissions × this factor. The
    #: sources give no factor; 1 hands out historical emissions (the sources say
    #: allocation was abundant, E:575, E:597).
    grandfathering_factor: Fraction = Fraction(1)


@dataclass(frozen=True)
class PilotProfile:
    """A pilot: what does not change by period, and its parameter versions."""

    code: str
    name: str
    allowance_type: str
    offset_types: tuple[str, ...]
    launch: int
    #: the 2016 cap in tonnes (E:1210–1310); Tianjin's is a range (160–170 Mt)
    cap_2016: tuple[int, int]
    #: covered entities, and where the number comes from
    entities: int
    entities_source: str
    versions: tuple[PilotParameters, ...]
    #: caps per year for rules that need them (Hubei's reserve); 2016 from the table
    caps: dict[int, int] = field(default_factory=dict)

    def parameters(self, year: int) -> PilotParameters:
        """The parameter version in force for ``year`` (the latest that started)."""
        valid = [v for v in self.versions if v.from_year <= year]
        if not valid:
            return self.versions[0]
        return max(valid, key=lambda v: v.from_year)


def _mt(value: str) -> int:
    return int(Fraction(value) * 1_000_000)


def _table(line: str) -> str:
    return f"china-ets.md, Pilots table; E:{line}"


_BANKING = "banking allowed, borrowing not allowed"
_FLUCTUATION = "intervene on market fluctuation (no trigger number given)"

BEIJING = PilotProfile(
    code="CN_BJ",
    name="Beijing pilot ETS",
    allowance_type="BEA",
    # CCER plus Beijing's energy-conservation and forestry offsets (E:1606–1610)
    offset_types=("CCER", "BJ_OFFSET"),
    launch=2013,
    cap_2016=(_mt("46"), _mt("46")),
    entities=947,
    entities_source="E:1711 (947 Beijing; +26 Inner Mongolia, +6 Hebei)",
    caps={2016: _mt("46")},
    versions=(
        PilotParameters(
            from_year=2013,
            thresholds=(Threshold("tCO2", 5_000, source=_table("1715–1717")),),
            offset_limit=percent(5),
            offset_basis="allocation",
            offset_source=_table("1606–1612") + " (CCER + energy conservation and forestry "
            "offsets up to 5% of allowance)",
            banking="allowed",
            banking_source=_table("1601–1604") + f" ({_BANKING})",
            penalty=PenaltyRule(
                "tiered_price",
                source="E:1386–1392; C: endnote 22 (C:4616–4619)",
                tiers=((Fraction(1, 10), False, 3), (Fraction(1, 5), True, 4), (None, True, 5)),
                price_window_months=6,
            ),
            stabilisation=Stabilisation(
                source=_table("1501–1515"),
                high=Decimal(150),
                high_days=10,
                low=Decimal(20),
            ),
            benchmark_sectors=None,
            allocation_source=_table("1316–1325") + " (free allocation; benchmarking for "
            "new entrants)",
        ),
    ),
)

CHONGQING = PilotProfile(
    code="CN_CQ",
    name="Chongqing pilot ETS",
    allowance_type="CQEA",
    offset_types=("CCER",),
    launch=2014,
    cap_2016=(_mt("100"), _mt("100")),
    entities=230,
    entities_source="E:1728",
    caps={2016: _mt("100")},
    versions=(
        PilotParameters(
            from_year=2014,
            thresholds=(Threshold("tCO2", 20_000, source=_table("1732–1734")),),
            offset_limit=percent(8),
            offset_basis="obligation",
            offset_source=_table("1619–1622") + " (CCER up to 8% of compliance obligation)",
            banking="allowed",
            banking_source=_table("1614–1617") + f" ({_BANKING})",
            penalty=PenaltyRule(
                "none",
                source="E:1394–1407",
                other="disqualified from energy-saving and climate subsidies for 3 years; "
                "reflected in SOE performance appraisal",
            ),
            stabilisation=Stabilisation(
                source=_table("1525–1535"), sale_share=percent(50), discretionary=True
            ),
            benchmark_sectors=frozenset(),
            allocation_source=_table("1325–1329") + " (free allocation, grandfathering only)",
        ),
    ),
)

FUJIAN = PilotProfile(
    code="CN_FJ",
    name="Fujian pilot ETS",
    allowance_type="FJEA",
    offset_types=("CCER",),
    launch=2016,
    cap_2016=(_mt("200"), _mt("200")),
    entities=277,
    entities_source="E:1742",
    caps={2016: _mt("200")},
    versions=(
        PilotParameters(
            from_year=2016,
            thresholds=(Threshold("tce", 10_000, source=_table("1744–1753")),),
            offset_limit=percent(5),  # English; the Chinese edition says 8%: see profile()
            offset_basis="obligation",
            offset_source=_table("1629–1632") + " (CCER up to 5% of compliance obligation)",
            banking="allowed",
            banking_source=_table("1624–1627") + f" ({_BANKING})",
            penalty=PenaltyRule(
                "price_multiple",
                source="E:1409–1424",
                multiples=(1, 3),
                multiple=1,
                price_window_months=12,
                cap=Decimal(30_000),
                deduction_factor=2,
            ),
            stabilisation=Stabilisation(source=_table("1537–1547"), discretionary=True),
            benchmark_sectors=frozenset({"power", "cement", "aluminium", "plate_glass"}),
            allocation_source=_table("1331–1337"),
        ),
    ),
)

_GD_COMMON = PilotParameters(
    from_year=2013,
    thresholds=(
        Threshold("tCO2", 20_000, source=_table("1773–1778")),
        Threshold("tce", 10_000, source=_table("1773–1778")),
    ),
    offset_limit=percent(10),
    offset_basis="obligation",
    offset_source=_table("1639–1642") + " (CCER up to 10% of compliance obligation)",
    banking="allowed",
    banking_source=_table("1634–1637") + f" ({_BANKING})",
    penalty=PenaltyRule(
        "fixed",
        source="E:1426–1434",
        amounts=(Decimal(50_000), Decimal(50_000)),
        amount=Decimal(50_000),
        deduction_factor=2,
    ),
    stabilisation=Stabilisation(
        source=_table("1549–1551"),
        # [GK] the sources name a floor but not its level; CNY 60/t was the reserve
        # price of Guangdong's first auction (Dec 2013). Configurable.
        auction_floor=Decimal(60),
    ),
    benchmark_sectors=frozenset({"power", "cement", "steel"}),
    allocation_source=_table("1339–1348"),
    # [GK] before 2014 the sources give no share; the 2014 share is used
    auction_share=percent("2.04"),
)

GUANGDONG = PilotProfile(
    code="CN_GD",
    name="Guangdong pilot ETS",
    allowance_type="GDEA",
    offset_types=("CCER",),
    launch=2013,
    cap_2016=(_mt("422"), _mt("422")),
    entities=280,
    entities_source="E:1770 (excluding white cement)",
    caps={2016: _mt("422")},
    versions=(
        _GD_COMMON,
        # auctioned share 2.04% in 2014, 0.51% in 2015 (E:1339–1344)
        replace(_GD_COMMON, from_year=2014, auction_share=percent("2.04")),
        replace(_GD_COMMON, from_year=2015, auction_share=percent("0.51")),
    ),
)

_HB_LISTED = frozenset(
    {
        "power",
        "steel",
        "nonferrous",
        "chemicals",
        "petrochemicals",
        "building_materials",
        "pulp_and_paper",
    }
)

HUBEI = PilotProfile(
    code="CN_HB",
    name="Hubei pilot ETS",
    allowance_type="HBEA",
    offset_types=("CCER",),
    launch=2014,
    cap_2016=(_mt("253"), _mt("253")),
    entities=236,
    entities_source="E:1797",
    caps={2016: _mt("253")},
    versions=(
        PilotParameters(
            from_year=2014,
            thresholds=(
                Threshold("tce", 10_000, _HB_LISTED, strict=True, source=_table("1800–1816")),
                Threshold("tce", 60_000, None, strict=True, source=_table("1800–1816")),
            ),
            offset_limit=percent(10),
            offset_basis="obligation",
            offset_source=_table("1651–1654") + " (CCER up to 10% of compliance obligation)",
            banking="traded_once",
            banking_source=_table("1644–1649") + " (banking only for units traded at least "
            "once; borrowing not allowed)",
            penalty=PenaltyRule(
                "price_multiple",
                source="E:1436–1450",
                multiples=(1, 3),
                multiple=1,
                # [GK] "average market price" without a window; Fujian's 12 months is used
                price_window_months=12,
                cap=Decimal(150_000),
                deduction_factor=2,
            ),
            stabilisation=Stabilisation(
                source=_table("1553–1566"), reserve_share=percent(8), discretionary=True
            ),
            benchmark_sectors=frozenset(),
            allocation_source=_table("1350–1353") + " (free allocation, grandfathering only)",
        ),
    ),
)

SHANGHAI = PilotProfile(
    code="CN_SH",
    name="Shanghai pilot ETS",
    allowance_type="SHEA",
    offset_types=("CCER",),
    launch=2013,
    cap_2016=(_mt("155"), _mt("155")),
    entities=368,
    entities_source="E:1836",
    caps={2016: _mt("155")},
    versions=(
        PilotParameters(
            from_year=2013,
            thresholds=(
                Threshold(
                    "tCO2", 10_000, frozenset({"aviation", "ports"}), source=_table("1839–1854")
                ),
                Threshold("tCO2", 100_000, frozenset({"shipping"}), source=_table("1839–1854")),
                Threshold("tCO2", 10_000, frozenset({"buildings"}), source=_table("1839–1854")),
                # power and industry, and any sector the table does not name
                Threshold("tCO2", 20_000, None, source=_table("1839–1843")),
            ),
            offset_limit=percent(1),
            offset_basis="obligation",
            offset_source=_table("1661–1664") + " (CCER up to 1% of compliance obligation)",
            banking="allowed",
            banking_source=_table("1656–1659") + f" ({_BANKING})",
            penalty=PenaltyRule(
                "fixed",
                source="E:1452–1465",
                amounts=(Decimal(50_000), Decimal(100_000)),
                # [GK] the rule gives a range and no criteria; the lower bound is what
                # the rule certainly imposes. Configurable within the range.
                amount=Decimal(50_000),
                other="withheld from government support for energy saving and climate "
                "subsidies; reflected in business credit report",
            ),
            stabilisation=Stabilisation(
                source=_table("1568–1573") + "; E:551",
                daily_move=percent(10),
                negotiated_from=100_000,
            ),
            benchmark_sectors=frozenset({"power", "aviation", "airports", "ports"}),
            allocation_source=_table("1356–1361"),
        ),
    ),
)

SHENZHEN = PilotProfile(
    code="CN_SZ",
    name="Shenzhen pilot ETS",
    allowance_type="SZEA",
    offset_types=("CCER",),
    launch=2013,
    cap_2016=(_mt("31.45"), _mt("31.45")),
    entities=824,
    entities_source="E:1864 (table); the text says 635 (E:537)",
    caps={2016: _mt("31.45")},
    versions=(
        PilotParameters(
            from_year=2013,
            thresholds=(
                Threshold("m2", 20_000, frozenset({"public_building"}), source=_table("1870–1872")),
                Threshold(
                    "m2", 10_000, frozenset({"government_building"}), source=_table("1873–1876")
                ),
                Threshold("tCO2", 3_000, None, source=_table("1866–1869")),
            ),
            offset_limit=percent(10),
            offset_basis="obligation",
            offset_source=_table("1671–1674") + " (CCER up to 10% of compliance obligation)",
            banking="allowed",
            banking_source=_table("1666–1669") + f" ({_BANKING})",
            penalty=PenaltyRule(
                "price_multiple",
                source="E:1467–1482",
                multiples=(3, 3),
                multiple=3,
                price_window_months=6,
                # "missing allowances can be withdrawn from the account or deducted from
                # next year's allocation": the registry deducts them (one for one)
                deduction_factor=1,
            ),
            stabilisation=Stabilisation(
                source=_table("1575–1585"), buy_back_share=percent(10), discretionary=True
            ),
            benchmark_sectors=frozenset({"power", "heating", "water_supply", "manufacturing"}),
            allocation_source=_table("1363–1369"),
        ),
    ),
)

TIANJIN = PilotProfile(
    code="CN_TJ",
    name="Tianjin pilot ETS",
    allowance_type="TJEA",
    offset_types=("CCER",),
    launch=2013,
    cap_2016=(_mt("160"), _mt("170")),
    entities=109,
    entities_source="E:1889 (table); the text says 114 (E:536)",
    caps={},  # the table gives a range (160–170 Mt): configure a cap to use one
    versions=(
        PilotParameters(
            from_year=2013,
            thresholds=(Threshold("tCO2", 20_000, source=_table("1892–1894")),),
            offset_limit=percent(10),
            offset_basis="obligation",
            offset_source=_table("1681–1684") + " (CCER up to 10% of compliance obligation)",
            banking="allowed",
            banking_source=_table("1676–1679") + f" ({_BANKING})",
            penalty=PenaltyRule(
                "none",
                source="E:1484–1491",
                other="disqualified for preferential financial support and policies for 3 years",
            ),
            stabilisation=Stabilisation(source=_table("1587–1591"), discretionary=True),
            benchmark_sectors=frozenset({"power", "heating"}),
            allocation_source=_table("1371–1375"),
        ),
    ),
)

PILOTS: dict[str, PilotProfile] = {
    p.code: p for p in (BEIJING, TIANJIN, SHANGHAI, CHONGQING, HUBEI, GUANGDONG, SHENZHEN, FUJIAN)
}

#: the short names the factory accepts next to the codes
NAMES = {
    "beijing": "CN_BJ",
    "tianjin": "CN_TJ",
    "shanghai": "CN_SH",
    "chongqing": "CN_CQ",
    "hubei": "CN_HB",
    "guangdong": "CN_GD",
    "shenzhen": "CN_SZ",
    "fujian": "CN_FJ",
}

SourceReading = Literal["english", "chinese", "table", "text", "endnote"]


def profile(
    name: str,
    *,
    fujian_offsets: Literal["english", "chinese"] = "english",
    tianjin_entities: Literal["table", "text"] = "table",
    shenzhen_entities: Literal["table", "text"] = "table",
    shenzhen_threshold: Literal["table", "endnote"] = "table",
    hubei_banking: Literal["table", "text"] = "table",
) -> PilotProfile:
    """The profile of pilot ``name`` (``"CN_HB"`` or ``"hubei"``) under the chosen
    readings where the sources disagree (northeast-asia.md, "Source inconsistencies"):

    * ``fujian_offsets``: 5% in the English table (E:1629–1632, default) or 8% in
      the Chinese one (C:3099);
    * ``tianjin_entities``: 109 in the table (E:1889, default) or 114 in the text (E:536);
    * ``shenzhen_entities``: 824 in the table (E:1864, default) or 635 in the text (E:537);
    * ``shenzhen_threshold``: 3,000 t in the table (E:1866, default) or 5,000 t in
      C: endnote 18 (C:4602, "from 2013 to 2015");
    * ``hubei_banking``: "units traded at least once" in the table (E:1644–1649,
      default) or "no banking between compliance periods" in the text (E:589).

    The defaults are the table's values: the table is the one place that states
    every pilot's rules side by side, and the digest's table follows it.
    """
    code = NAMES.get(name.lower(), name.upper())
    if code not in PILOTS:
        raise KeyError(f"no pilot {name!r}; the pilots are {', '.join(PILOTS)}")
    p = PILOTS[code]
    if code == "CN_FJ" and fujian_offsets == "chinese":
        p = _versions(
            p,
            offset_limit=percent(8),
            offset_source="C:3099 (CCER up to 8% of compliance obligation, Chinese edition)",
        )
    if code == "CN_TJ" and tianjin_entities == "text":
        p = replace(p, entities=114, entities_source="E:536 (text)")
    if code == "CN_SZ" and shenzhen_entities == "text":
        p = replace(p, entities=635, entities_source="E:537 (text)")
    if code == "CN_SZ" and shenzhen_threshold == "endnote":
        p = replace(
            p,
            versions=tuple(
                replace(
                    v,
                    thresholds=tuple(
                        replace(t, minimum=5_000, source="C: endnote 18 (C:4602)")
                        if t.measure == "tCO2"
                        else t
                        for t in v.thresholds
                    ),
                )
                for v in p.versions
            ),
        )
    if code == "CN_HB" and hubei_banking == "text":
        p = _versions(
            p,
            banking="none",
            banking_source="E:589 (text: Hubei disavowed banking between compliance periods)",
        )
    return p


def _versions(p: PilotProfile, **changes: Any) -> PilotProfile:
    """Apply ``changes`` to every parameter version of ``p``."""
    return replace(p, versions=tuple(replace(v, **changes) for v in p.versions))

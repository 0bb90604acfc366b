"""The worked example: two linkages cleared end to end on one store.

1. **Korea acquires Chinese allowances under a restricted one-way link.** The
   import limit is tied to the 11.3 percentage points of Korea's NDC meant to
   come from international mechanisms (reference/northeast-asia.md, E:2129,
   E:2186, E:2238-2252): 11.3% of a stated reference quantity. Transfers are
   Article 6.2-authorized by China, so the first transfer records China's
   corresponding adjustment, and Korea's surrender records Korea's.
   Chinese rules provide for no cross-border transfer of CEAs
   (reference/china-ets.md, "Headline", L400): this link is a hypothetical
   scenario switch, as the reference asks.
2. **Tokyo–Saitama**, the two-way link in force since April 2011 for excess
   emission reduction credits and small and mid-size facility credits
   (reference/northeast-asia.md, E:891-908). Both are Japan: no adjustment.

Each run is one more business year (run 1 is 2025, run 2 is 2026, ...), so
running the demo again on the same store continues the history. Quantities are
illustrative, at demonstration scale; the rules and limits are the sources'.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from adapters.base import Receipt, RegistryConfig
from clearinghouse.system import EmbeddedSystem

BASE_YEAR = 2024
KR_REFERENCE = 1_000_000  # t: covered emissions the demo's import limit is a share of
KR_INTERNATIONAL_SHARE = "11.3"  # % (E:2129, E:2186)

REGISTRIES = [
    RegistryConfig("CN_ETS", "China national ETS registry", "CN", ("CEA",)),
    RegistryConfig("KR_ETS", "Korea ETS registry", "KR", ("KAU",)),
    # Tokyo: excess emission reduction credits, small/mid-size facility credits,
    # and renewable-energy credits, which the link does not recognise.
    RegistryConfig(
        "TOKYO", "Tokyo cap-and-trade registry", "JP", ("TKY_ERC", "TKY_SMC", "TKY_REC")
    ),
    RegistryConfig("SAITAMA", "Saitama target-setting ETS registry", "JP", ("STM_ERC", "STM_SMC")),
]


def setup(system: EmbeddedSystem) -> None:
    """Parties, registries, agreements, authorization, accounts. Idempotent."""
    ch = system.clearinghouse
    for code, name, ndc in [
        (
            "CN",
            "China",
            {
                "type": "intensity",
                "period": "single-year",
                "target_years": [2030],
                "description": "CO2 intensity -60 to -65% vs 2005 by 2030 (E:2625)",
            },
        ),
        (
            "KR",
            "Republic of Korea",
            {
                "type": "bau_relative",
                "period": "single-year",
                "target_years": [2030],
                "description": "-37% vs BAU by 2030, 11.3 points "
                "via international mechanisms (E:2129)",
            },
        ),
        (
            "JP",
            "Japan",
            {
                "type": "absolute",
                "period": "single-year",
                "target_years": [2030],
                "description": "-26% by FY2030 vs FY2013 (E:727)",
            },
        ),
    ]:
        ch.register_party({"code": code, "name": name, "ndc": ndc})
    for config in REGISTRIES:
        system.add_registry(config)
    ch.grant_authorization(
        {
            "code": "CN-A62-CEA-DEMO",
            "party": "CN",
            "cooperative_approach": "CN_KR_LINK",
            "unit_types": ["CEA"],
            "vintages": [2024, 2035],
            "cap": 2_000_000,
            "purposes": "ndc_and_oimp",
            "first_transfer": "first_international_transfer",
            "authorized_on": "2025-01-01",
        }
    )
    ch.conclude_agreement(
        {
            "code": "CN_KR_RESTRICTED",
            "jurisdictions": ["CN_ETS", "KR_ETS"],
            "directions": [{"source": "CN_ETS", "destination": "KR_ETS", "unit_types": ["CEA"]}],
            "limits": [
                {
                    "jurisdiction": "KR_ETS",
                    "flow": "import",
                    "percent": KR_INTERNATIONAL_SHARE,
                    "reference": KR_REFERENCE,
                }
            ],
            "effective_from": "2025-01-01",
            "authorized": True,
            "cooperative_approach": "CN_KR_LINK",
        }
    )
    ch.conclude_agreement(
        {
            "code": "TOKYO_SAITAMA",
            "jurisdictions": ["TOKYO", "SAITAMA"],
            "directions": [
                {"source": "TOKYO", "destination": "SAITAMA", "unit_types": ["TKY_ERC", "TKY_SMC"]},
                {"source": "SAITAMA", "destination": "TOKYO", "unit_types": ["STM_ERC", "STM_SMC"]},
            ],
            "effective_from": "2011-04-01",
        }
    )
    for registry, account, holder in [
        ("CN_ETS", "MEE", "Ministry of Ecology and Environment"),
        ("CN_ETS", "HUANENG", "Huaneng Power (demo entity)"),
        ("CN_ETS", "DATANG", "Datang Power (demo entity)"),
        ("KR_ETS", "GOV", "Ministry of Environment"),
        ("KR_ETS", "POSCO", "POSCO (demo entity)"),
        ("KR_ETS", "SAMSUNG", "Samsung Electronics (demo entity)"),
        ("TOKYO", "TMG", "Tokyo Metropolitan Government"),
        ("TOKYO", "MARUNOUCHI", "Marunouchi office building (demo)"),
        ("SAITAMA", "SPG", "Saitama Prefectural Government"),
        ("SAITAMA", "KUMAGAYA", "Kumagaya factory (demo)"),
    ]:
        system.registry(registry).open_account({"account": account, "holder": holder})


def next_run(system: EmbeddedSystem) -> int:
    """Runs already in the store + 1 (each run starts with CN issuance ``r<n>-cn-issue``)."""
    cn = system.registry("CN_ETS")
    run = 1
    while cn.transaction(f"r{run}-cn-issue") is not None:
        run += 1
    return run


def play(
    system: EmbeddedSystem, run: int, on_step: Callable[[str], None] | None = None
) -> list[Receipt]:
    """One business year of both linkages; returns every receipt, refused ones included."""
    year = BASE_YEAR + run
    receipts: list[Receipt] = []

    def do(registry: str, command: str, tid: str, month: int, day: int, **data: Any) -> None:
        data = {"transaction_id": f"r{run}-{tid}", "business_date": date(year, month, day), **data}
        receipt = system.do(registry, command, data)
        receipts.append(receipt)
        if on_step:
            on_step(f"{registry} {command} {receipt.transaction_id}: {receipt.state}")

    # China: allocation (issued to MEE, passed to entities); Korea likewise.
    do(
        "CN_ETS",
        "issue",
        "cn-issue",
        1,
        15,
        account="MEE",
        unit_type="CEA",
        vintage=year,
        quantity=1_000_000,
    )
    do(
        "CN_ETS",
        "transfer",
        "cn-alloc-1",
        1,
        20,
        account="MEE",
        to_account="HUANENG",
        quantity=600_000,
    )
    do(
        "CN_ETS",
        "transfer",
        "cn-alloc-2",
        1,
        20,
        account="MEE",
        to_account="DATANG",
        quantity=400_000,
    )
    do(
        "KR_ETS",
        "issue",
        "kr-issue",
        1,
        15,
        account="GOV",
        unit_type="KAU",
        vintage=year,
        quantity=800_000,
    )
    do(
        "KR_ETS",
        "transfer",
        "kr-alloc-1",
        1,
        20,
        account="GOV",
        to_account="POSCO",
        quantity=500_000,
    )

    # Restricted one-way link: 11.3% of 1,000,000 t = 113,000 t of imports a year.
    do(
        "CN_ETS",
        "transfer_abroad",
        "cnkr-1",
        3,
        3,
        account="HUANENG",
        to_registry="KR_ETS",
        to_account="POSCO",
        quantity=80_000,
    )
    do(
        "CN_ETS",
        "transfer_abroad",
        "cnkr-2",
        3,
        5,
        account="DATANG",
        to_registry="KR_ETS",
        to_account="SAMSUNG",
        quantity=30_000,
    )
    do(
        "CN_ETS",
        "transfer_abroad",
        "cnkr-3",
        3,
        9,
        account="HUANENG",
        to_registry="KR_ETS",
        to_account="POSCO",
        quantity=10_000,
    )  # 120,000 > 113,000: QTY-001
    do(
        "KR_ETS",
        "transfer_abroad",
        "krcn-1",
        3,
        10,
        account="POSCO",
        to_registry="CN_ETS",
        to_account="HUANENG",
        quantity=1_000,
        unit_type="KAU",
    )  # one-way: AGR-001

    # Korea's entities surrender, Chinese units included: Korea uses ITMOs.
    do(
        "KR_ETS",
        "surrender",
        "kr-surrender-1",
        6,
        30,
        account="POSCO",
        quantity=60_000,
        unit_type="CEA",
    )
    posco_cea = system.registry("KR_ETS").transaction(f"r{run}-kr-surrender-1")
    spent = posco_cea.blocks[:1] if posco_cea else []
    do(
        "KR_ETS",
        "transfer",
        "kr-spent",
        7,
        1,
        account="SURRENDER",
        to_account="SAMSUNG",
        blocks=[
            {
                "registry": b.registry,
                "unit_type": b.unit_type,
                "vintage": b.vintage,
                "first": b.first,
                "last": b.last,
            }
            for b in spent
        ],
    )  # already surrendered
    do(
        "KR_ETS",
        "transfer_abroad",
        "kr-not-held",
        7,
        2,
        account="SAMSUNG",
        to_registry="CN_ETS",
        to_account="DATANG",
        blocks=[
            {"registry": "CN_ETS", "unit_type": "CEA", "vintage": year, "first": 1, "last": 100}
        ],
    )  # held by MEE, not Samsung

    # Tokyo-Saitama two-way link inside Japan.
    do(
        "TOKYO",
        "issue",
        "tky-issue",
        4,
        1,
        account="MARUNOUCHI",
        unit_type="TKY_ERC",
        vintage=year,
        quantity=5_000,
    )
    do(
        "TOKYO",
        "issue",
        "tky-rec",
        4,
        1,
        account="MARUNOUCHI",
        unit_type="TKY_REC",
        vintage=year,
        quantity=1_000,
    )
    do(
        "SAITAMA",
        "issue",
        "stm-issue",
        4,
        1,
        account="KUMAGAYA",
        unit_type="STM_ERC",
        vintage=year,
        quantity=3_000,
    )
    do(
        "TOKYO",
        "transfer_abroad",
        "tkstm-1",
        5,
        10,
        account="MARUNOUCHI",
        to_registry="SAITAMA",
        to_account="KUMAGAYA",
        quantity=1_200,
        unit_type="TKY_ERC",
    )
    do(
        "SAITAMA",
        "transfer_abroad",
        "stmtk-1",
        5,
        12,
        account="KUMAGAYA",
        to_registry="TOKYO",
        to_account="MARUNOUCHI",
        quantity=800,
        unit_type="STM_ERC",
    )
    do(
        "TOKYO",
        "transfer_abroad",
        "tkstm-2",
        5,
        14,
        account="MARUNOUCHI",
        to_registry="SAITAMA",
        to_account="KUMAGAYA",
        quantity=500,
        unit_type="TKY_REC",
    )  # not recognised: UNT-001
    do(
        "SAITAMA",
        "surrender",
        "stm-surrender",
        9,
        30,
        account="KUMAGAYA",
        quantity=1_000,
        unit_type="TKY_ERC",
    )  # same Party: no adjustment
    return receipts


def run_demo(
    system: EmbeddedSystem, on_step: Callable[[str], None] | None = None
) -> tuple[int, list[Receipt]]:
    setup(system)
    run = next_run(system)
    return run, play(system, run, on_step)

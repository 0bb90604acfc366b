"""CCER: projects, per-project issuance, the domestic link into the national ETS,
the 5% offset limit and the legacy-CCER sunset.

Sources: china-ets.md, "Offsets — CCER" (seed 004 L162, L355–400, L617–632).
Every refusal test also proves nothing changed.
"""

from __future__ import annotations

from typing import Any

import pytest

from adapters.base import RegistryConfig
from adapters.china.ccer import METHODOLOGIES, CCERRegistry
from clearinghouse.checks import Refused
from clearinghouse.system import EmbeddedSystem
from projections import invariants
from projections.adjustments import adjustments
from projections.log import read
from tests.china_support import china, comply, held, holdings, register, verify
from tests.coverage import covers


def project(c: CCERRegistry, pid: str, on: str, **kw: Any) -> Any:
    data = {
        "project": pid,
        "name": f"{pid} project",
        "methodology": "CCER-01-002-V01",
        "country": "CN",
        "province": "GD",
        "business_date": on,
        **kw,
    }
    return c.register_project(data)


def issue(s: EmbeddedSystem, tid: str, pid: str, qty: int, on: str, vintage: int = 2024) -> Any:
    data = {
        "transaction_id": tid,
        "project": pid,
        "account": "DEVELOPER",
        "vintage": vintage,
        "quantity": qty,
        "business_date": on,
    }
    return s.do("CCER", "issue_credits", data)


def deliver(s: EmbeddedSystem, tid: str, to: str, qty: int, on: str, **kw: Any) -> Any:
    data = {
        "transaction_id": tid,
        "account": "DEVELOPER",
        "to_registry": "CN_ETS",
        "to_account": to,
        "quantity": qty,
        "business_date": on,
        **kw,
    }
    return s.do("CCER", "transfer_abroad", data)


@pytest.fixture
def cn() -> tuple[EmbeddedSystem, Any, CCERRegistry]:
    s, r, c = china()
    c.open_account({"account": "DEVELOPER", "holder": "Project developer"})
    return s, r, c


def test_projects_register_with_a_published_methodology(cn: Any) -> None:
    # the six methodologies of L623, each usable from its publication date
    _s, _r, c = cn
    assert set(METHODOLOGIES) == {
        "CCER-14-001-V01",
        "CCER-01-001-V01",
        "CCER-01-002-V01",
        "CCER-14-002-V01",
        "CCER-10-001-V01",
        "CCER-07-001-V01",
    }
    wind = project(c, "WIND1", "2024-02-01")
    assert (wind.methodology, wind.legacy) == ("CCER-01-002-V01", False)
    # coal-mine methane was published on 3 Jan 2025 (L623)
    with pytest.raises(Refused) as early:
        project(c, "CMM1", "2024-12-01", methodology="CCER-10-001-V01")
    assert early.value.code == "CMP-009" and c.project("CMM1") is None
    assert project(c, "CMM1", "2025-02-01", methodology="CCER-10-001-V01").project == "CMM1"


@covers("CMP-009")
@pytest.mark.parametrize(
    ("changes", "line"),
    [
        ({"country": "KR"}, "L400"),  # only projects in China (L400)
        ({"under_ets_allowance_management": True}, "L162"),  # not under ETS allocation
        ({"methodology": "CDM-AMS-I.D"}, "L623"),  # not a published methodology
        ({"business_date": "2020-06-01"}, "L360"),  # registrations suspended 2017–2024
    ],
)
def test_ineligible_projects_are_refused_and_nothing_is_recorded(
    cn: Any, changes: dict[str, Any], line: str
) -> None:
    _s, _r, c = cn
    before = c.recorder.max_notification_id()
    with pytest.raises(Refused) as refused:
        project(c, "BAD", changes.pop("business_date", "2024-03-01"), **changes)
    assert refused.value.code == "CMP-009" and line in refused.value.reason
    assert c.project("BAD") is None and c.recorder.max_notification_id() == before


@covers("CMP-009")
def test_issuance_is_per_project_and_legacy_credits_are_their_own_unit(cn: Any) -> None:
    s, _r, c = cn
    project(c, "WIND1", "2024-02-01")
    # new scheme: CCER; first new issuance was 9.48 Mt on 6 Mar 2025 (L364, L631)
    assert issue(s, "I1", "WIND1", 9_480_000, "2025-03-06").state == "completed"
    # the old scheme, before the 14 Mar 2017 suspension (L382, L396): CCER_2012
    project(c, "HYDRO", "2015-05-01", methodology="CM-002-V01")
    assert issue(s, "I0", "HYDRO", 50_000, "2016-05-01", vintage=2015).state == "completed"
    assert held(c, "DEVELOPER", "CCER") == 9_480_000
    assert held(c, "DEVELOPER", "CCER_2012") == 50_000
    wind = c.project("WIND1")
    assert wind is not None and wind.total_issued == 9_480_000
    before = holdings(c)
    # a legacy project records nothing after the suspension; unknown projects issue nothing;
    # and the generic issue command cannot bypass the project
    assert issue(s, "I2", "HYDRO", 1, "2018-01-01").code == "CMP-009"
    assert issue(s, "I3", "NOPE", 1, "2025-03-06").code == "CMP-009"
    plain = {
        "transaction_id": "I4",
        "account": "DEVELOPER",
        "unit_type": "CCER",
        "vintage": 2024,
        "quantity": 1,
        "business_date": "2025-03-06",
    }
    assert s.do("CCER", "issue", plain).code == "CMP-009"
    assert holdings(c) == before


def test_ccers_reach_entities_through_a_domestic_link_without_adjustment(cn: Any) -> None:
    # CCER and CN_ETS are both Party CN: the link is not authorized, so no
    # corresponding adjustment (china-ets.md L83, L87, L376; linkage-and-article6.md)
    s, r, c = cn
    register(r, "HUANENG")
    project(c, "WIND1", "2024-02-01")
    issue(s, "I1", "WIND1", 100_000, "2025-03-06")
    assert deliver(s, "D1", "HUANENG", 60_000, "2025-03-10").state == "completed"
    assert held(r, "HUANENG", "CCER") == 60_000 and held(c, "DEVELOPER", "CCER") == 40_000
    assert adjustments(read(s.clearinghouse)) == {}
    assert invariants.check(read(s.clearinghouse)) == []


@covers("CMP-009")
def test_ccers_do_not_leave_china_by_default(cn: Any) -> None:
    # "may become one of China's channels into international carbon markets" (L400): a prospect
    s, _r, c = cn
    project(c, "WIND1", "2024-02-01")
    issue(s, "I1", "WIND1", 1_000, "2025-03-06")
    before = holdings(c)
    data = {
        "transaction_id": "X1",
        "account": "DEVELOPER",
        "to_registry": "KR_ETS",
        "to_account": "POSCO",
        "quantity": 1_000,
        "business_date": "2025-04-01",
    }
    refused = s.do("CCER", "transfer_abroad", data)
    assert refused.code == "CMP-009" and "L400" in (refused.reason or "")
    assert holdings(c) == before


@covers("CMP-003")
def test_offsets_up_to_5_percent_of_the_allowances_due(cn: Any) -> None:
    # "CCER up to 5% of the allowances due for surrender" (L162, L357, L628):
    # 1,000,000 t verified in 2024 → at most 50,000 CCER
    s, r, c = cn
    register(r, "HUANENG")
    verify(r, "HUANENG", 2024, 1_000_000)
    project(c, "WIND1", "2024-02-01")
    issue(s, "I1", "WIND1", 100_000, "2025-03-06")
    deliver(s, "D1", "HUANENG", 100_000, "2025-03-10")
    before = holdings(r)
    over = comply(s, "S-over", "HUANENG", "CN4", "2025-06-30", quantity=50_001, unit_type="CCER")
    assert over.code == "CMP-003" and "50000" in (over.reason or "")
    assert holdings(r) == before
    ok = comply(s, "S-ok", "HUANENG", "CN4", "2025-06-30", quantity=50_000, unit_type="CCER")
    assert ok.state == "completed" and held(r, "HUANENG", "CCER") == 50_000
    assert held(r, "SURRENDER", "CCER") == 50_000


@covers("CMP-004")
def test_legacy_ccers_count_until_31_december_2024_and_not_after(cn: Any) -> None:
    """The multi-period test for CCER: the same legacy units are accepted in cycle 3
    (surrendered by 31 Dec 2024) and refused in cycle 4 (L396, L628)."""
    s, r, c = cn
    register(r, "HUANENG")
    verify(r, "HUANENG", 2023, 1_000_000)
    verify(r, "HUANENG", 2024, 1_000_000)
    project(c, "HYDRO", "2015-05-01", methodology="CM-002-V01")
    issue(s, "I0", "HYDRO", 80_000, "2016-05-01", vintage=2015)
    deliver(s, "D0", "HUANENG", 80_000, "2024-03-01")
    on_time = comply(
        s, "S3", "HUANENG", "CN3", "2024-12-31", quantity=50_000, unit_type="CCER_2012"
    )
    assert on_time.state == "completed"
    before = holdings(r)
    late = comply(s, "S4", "HUANENG", "CN4", "2025-01-01", quantity=1, unit_type="CCER_2012")
    assert late.code == "CMP-004" and "2024-12-31" in (late.reason or "")
    assert holdings(r) == before and held(r, "HUANENG", "CCER_2012") == 30_000
    # the same entity's new CCERs still count in cycle 4
    project(c, "WIND1", "2024-02-01")
    issue(s, "I1", "WIND1", 50_000, "2025-03-06")
    deliver(s, "D1", "HUANENG", 50_000, "2025-03-10")
    new = comply(s, "S4n", "HUANENG", "CN4", "2025-06-30", quantity=50_000, unit_type="CCER")
    assert new.state == "completed"
    # CN_ETS's conservation check counts its own CEAs only, not the CCERs it received
    assert r.conservation().balanced


@covers("CMP-004", "CMP-009")
def test_only_ccers_of_the_ccer_registry_reach_and_count_in_the_national_ets() -> None:
    # CCER is the national ETS's only link (L83, L87, L376): units called "CCER" from
    # another registry are refused at import; in the export scenario they may arrive,
    # but do not count as offsets (L162)
    for allow_export in (False, True):
        s, r, _c = china(allow_export=allow_export)
        other = s.add_registry(RegistryConfig("OTHER", "Another registry", "CN", ("CCER",)))
        other.open_account({"account": "SELLER", "holder": "Seller"})
        register(r, "HUANENG")
        verify(r, "HUANENG", 2024, 1_000_000)
        s.clearinghouse.conclude_agreement(
            {
                "code": "OTHER_CN",
                "jurisdictions": ["OTHER", "CN_ETS"],
                "directions": [
                    {"source": "OTHER", "destination": "CN_ETS", "unit_types": ["CCER"]}
                ],
                "effective_from": "2024-01-01",
            }
        )
        minted = {
            "transaction_id": "M1",
            "account": "SELLER",
            "unit_type": "CCER",
            "vintage": 2024,
            "quantity": 1_000,
            "business_date": "2025-01-05",
        }
        assert s.do("OTHER", "issue", minted).state == "completed"
        sent = s.do(
            "OTHER",
            "transfer_abroad",
            {
                "transaction_id": "X1",
                "account": "SELLER",
                "to_registry": "CN_ETS",
                "to_account": "HUANENG",
                "quantity": 1_000,
                "business_date": "2025-02-01",
            },
        )
        if not allow_export:
            assert (sent.state, sent.code) == ("returned", "CMP-009")
            assert held(other, "SELLER", "CCER") == 1_000 and held(r, "HUANENG", "CCER") == 0
            continue
        assert sent.state == "completed"
        before = holdings(r)
        refused = comply(s, "S1", "HUANENG", "CN4", "2025-06-30", quantity=1_000, unit_type="CCER")
        assert refused.code == "CMP-004" and "CCER registry" in (refused.reason or "")
        assert holdings(r) == before

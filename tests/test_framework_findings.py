"""Framework defects found while building the China adapters, each with a
reproducing test. Marked ``xfail(strict=True)``: the suite stays green while the
defect exists and fails (asking for the mark to go) once it is fixed."""

from __future__ import annotations

import pytest

from adapters.compliance_registry import ComplianceRegistry
from clearinghouse.system import EmbeddedSystem
from tests.test_compliance import CONFIG


@pytest.mark.xfail(
    strict=True,
    reason="ComplianceRegistry.comply treats a vintage in no period as 'earlier' "
    "(period_of() is None), so an allowance dated after the last period is banked, "
    "not borrowed, and check_borrowing never sees it",
)
def test_an_allowance_dated_after_every_period_is_borrowing_not_banking() -> None:
    s = EmbeddedSystem()
    s.clearinghouse.register_party(
        {
            "code": "TY",
            "name": "Toy",
            "ndc": {"type": "absolute", "period": "single-year", "target_years": [2030]},
        }
    )
    r = s.add_registry(CONFIG)
    assert isinstance(r, ComplianceRegistry)
    r.register_entity(
        {
            "entity": "PLANT",
            "name": "Plant",
            "sector": "power",
            "emissions": 100_000,
            "business_date": "2021-01-05",
        }
    )
    future = {
        "transaction_id": "F",
        "account": "PLANT",
        "unit_type": "TA",
        "vintage": 2030,  # the toy's periods end in 2023
        "quantity": 100,
        "business_date": "2023-05-01",
    }
    assert s.do("TOY", "issue", future).state == "completed"
    surrender = {
        "transaction_id": "S",
        "entity": "PLANT",
        "period": "P2",
        "quantity": 100,
        "business_date": "2024-05-01",
    }
    # the toy forbids borrowing (the default check_borrowing): expected CMP-008
    assert s.do("TOY", "comply", surrender).code == "CMP-008"

"""A registry's adapter and options are recorded when it connects, so another
process (a registry's worker) stands it up again exactly as it was created."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.base import RegistryApplication, RegistryConfig
from adapters.catalogue import NotReproducible, configured, standard
from adapters.compliance_registry import ComplianceRegistry
from adapters.korea.phases import phases
from clearinghouse.application import AdminError
from clearinghouse.participant import UnitOfWork
from clearinghouse.parties import Jurisdiction, jurisdiction_id
from clearinghouse.store import StoreConfig
from clearinghouse.system import EmbeddedSystem

NDC = {"type": "absolute", "period": "single-year", "target_years": [2030]}


def party(system: EmbeddedSystem, code: str) -> None:
    system.clearinghouse.register_party({"code": code, "name": code, "ndc": NDC})


def jurisdiction(system: EmbeddedSystem, code: str) -> Jurisdiction:
    return UnitOfWork(system.clearinghouse).require(Jurisdiction, jurisdiction_id(code), code)


def test_a_reopened_store_stands_each_registry_up_with_its_recorded_adapter(
    tmp_path: Path,
) -> None:
    store = StoreConfig(kind="sqlite", path=tmp_path)
    with EmbeddedSystem(store) as system:
        party(system, "CN")
        party(system, "KR")
        system.add_registry(standard("CN_HB", hubei_banking="text"))
        system.add_registry(RegistryConfig("KR_X", "a plain registry", "KR", ("KAU",)))
        assert jurisdiction(system, "CN_HB").adapter == {
            "standard": "CN_HB",
            "options": {"hubei_banking": "text"},
            "unrecorded": [],
        }
        assert jurisdiction(system, "KR_X").adapter is None
        positions = {a.name: a.recorder.max_notification_id() for a in system.apps()}
    with EmbeddedSystem(store) as again:
        assert sorted(again.reopen_registries(native=True)) == ["CN_HB", "KR_X"]
        hubei = again.registry("CN_HB")
        assert isinstance(hubei, ComplianceRegistry)
        assert hubei.config.options == {"hubei_banking": "text"}
        assert type(again.registry("KR_X")) is RegistryApplication
        # standing them up again wrote nothing into any log
        assert {a.name: a.recorder.max_notification_id() for a in again.apps()} == positions


def test_standing_a_registry_up_with_other_options_is_refused_and_changes_nothing() -> None:
    with EmbeddedSystem() as system:
        party(system, "CN")
        system.add_registry(standard("CN_HB"))
        position = system.clearinghouse.recorder.max_notification_id()
        with pytest.raises(AdminError, match="other rules"):
            system.clearinghouse.connect_registry(
                {
                    "code": "CN_HB",
                    "name": "Hubei",
                    "party": "CN",
                    "unit_types": ["HBEA"],
                    "adapter": {"standard": "CN_HB", "options": {"hubei_banking": "text"}},
                }
            )
        assert system.clearinghouse.recorder.max_notification_id() == position
        assert jurisdiction(system, "CN_HB").adapter == {
            "standard": "CN_HB",
            "options": {},
            "unrecorded": [],
        }


def test_a_registry_connected_before_adapters_were_recorded_gets_its_record() -> None:
    """Backward compatible: a store without the record opens plain, and standing the
    registry up with its adapter again records it."""
    with EmbeddedSystem() as system:
        party(system, "CN")
        config = standard("CN_HB")
        system.clearinghouse.connect_registry(
            {"code": "CN_HB", "name": config.name, "party": "CN", "unit_types": ["HBEA"]}
        )
        assert configured(jurisdiction(system, "CN_HB")).standard is None  # plain
        system.add_registry(config)
        assert configured(jurisdiction(system, "CN_HB")).standard == "CN_HB"


def test_options_that_are_not_json_are_named_and_a_worker_refuses_them() -> None:
    with EmbeddedSystem() as system:
        party(system, "KR")
        system.add_registry(standard("KR_ETS", phases=phases(), phase3_auction="10"))
        recorded = jurisdiction(system, "KR_ETS")
        assert recorded.adapter is not None
        assert recorded.adapter["options"] == {"phase3_auction": "10"}
        assert recorded.adapter["unrecorded"] == ["phases"]
        with pytest.raises(NotReproducible, match=r"could not be recorded \(phases\)"):
            configured(recorded)


def test_options_keyed_by_year_come_back_with_year_keys() -> None:
    """JSON turns ``{2017: ...}`` into ``{"2017": ...}``: the record is converted back to
    the types the factory declares, so the reopened Hubei registry has its 2017 cap
    (before, it looked the cap up under 2017, found only "2017" and refused CMP-006)."""
    with EmbeddedSystem() as system:
        party(system, "CN")
        created = system.add_registry(standard("CN_HB", caps={2017: 123_000_000}))
        recorded = jurisdiction(system, "CN_HB")
        assert recorded.adapter is not None
        assert recorded.adapter["options"] == {"caps": {"2017": 123_000_000}}
        assert recorded.adapter["unrecorded"] == []
        again = configured(recorded)
        assert again.options == {"caps": {2017: 123_000_000}}
        assert again.rules == created.config.rules


def test_options_that_would_not_come_back_the_same_are_not_recorded() -> None:
    """Only options that come back as the same typed value are recorded; the others
    are named as unrecorded, so a worker refuses them rather than run other rules."""
    from adapters.catalogue import recordable

    kept, dropped = recordable("CN_HB", {"caps": {2017: 1}, "hubei_banking": "text"})
    assert kept == {"caps": {"2017": 1}, "hubei_banking": "text"} and dropped == []
    kept, dropped = recordable("KR_ETS", {"phases": phases()})
    assert kept == {} and dropped == ["phases"]

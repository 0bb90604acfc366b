"""Every jurisdiction's registry stands up with one call, and comes back with its
native rules when a store is reopened."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.catalogue import FACTORIES, standard
from adapters.compliance_registry import ComplianceRegistry
from clearinghouse import cli
from clearinghouse.store import StoreConfig
from clearinghouse.system import EmbeddedSystem

NDC = {"type": "absolute", "period": "single-year", "target_years": [2030]}


def party(system: EmbeddedSystem, code: str) -> None:
    system.clearinghouse.register_party({"code": code, "name": code, "ndc": NDC})


@pytest.mark.parametrize("code", sorted(FACTORIES))
def test_each_standard_registry_stands_up_with_one_call(code: str) -> None:
    with EmbeddedSystem() as system:
        config = standard(code)
        party(system, config.party)
        registry = system.add_registry(config)
        assert registry.code == code
        assert code in system.clearinghouse.connected_registries()
        assert isinstance(registry, config.application or type(registry))


def test_an_unknown_code_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="KR_ETS"):
        standard("XX_ETS")


def test_a_reopened_store_continues_under_the_native_rules(tmp_path: Path) -> None:
    store = StoreConfig(kind="sqlite", path=tmp_path)
    with EmbeddedSystem(store) as system:
        party(system, "CN")
        system.add_registry(standard("CN_HB"))
    with EmbeddedSystem(store) as again:
        registry = again.add_registry(standard("CN_HB"))
        assert isinstance(registry, ComplianceRegistry)
        assert "CN_HB" in again.clearinghouse.connected_registries()
        assert registry.entities() == []  # its own log, reopened: nothing new written


def test_the_cli_lists_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["jurisdictions", "--json"]) == 0
    rows = {r["code"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == set(FACTORIES)
    assert rows["KR_ETS"]["party"] == "KR" and "KAU" in rows["KR_ETS"]["unit_types"]

"""A Party's NDC as Table 4 needs it, read from a small YAML file.

Fields (issue #4, item 4): ``party``, ``ndc`` (``type: single-year|multi-year``,
``target_year``, ``period: [first, last]``), ``ca_method:
trajectory|averaging|multi-year``, ``inventory: {year: tCO2e}``, optional
``trajectory: {year: tCO2e}``. Optional extras: ``name``;
``inventory_para10`` (row 6); ``outside_coverage`` (registries or
``REGISTRY:UNIT_TYPE`` whose outcomes lie outside the NDC's coverage, for V5/V6);
``assumptions`` (free text: say which numbers are illustrative).

Which method fits which NDC: a single-year NDC uses a trajectory/budget or
averaging, a multi-year NDC the multi-year method
(reference/linkage-and-article6.md L18, methods 7(a)(i), 7(a)(ii), 7(b)).
A mismatch is refused with ART-001.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from clearinghouse.checks import Refused

Method = Literal["trajectory", "averaging", "multi-year", "vintage", "cumulative"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Ndc(_Model):
    type: Literal["single-year", "multi-year"]
    target_year: int
    period: tuple[int, int]

    @model_validator(mode="after")
    def _period(self) -> Ndc:
        first, last = self.period
        if first > last:
            raise ValueError("period runs from first to last year")
        if not first <= self.target_year <= last:
            raise ValueError("target_year lies outside the period")
        return self

    @property
    def years(self) -> range:
        return range(self.period[0], self.period[1] + 1)


class PartyFile(_Model):
    party: str = Field(min_length=1)
    name: str = ""
    ndc: Ndc
    ca_method: Literal["trajectory", "averaging", "multi-year"]
    inventory: dict[int, int] = Field(default_factory=dict)
    trajectory: dict[int, int] = Field(default_factory=dict)
    inventory_para10: dict[int, int] = Field(default_factory=dict)
    outside_coverage: list[str] = Field(default_factory=list)
    assumptions: str = ""

    def method(self, override: str | None = None) -> Method:
        """The method in force: the file's, or a rule set's V12 override for a
        single-year NDC. Refuses a method that does not fit the NDC (ART-001)."""
        method: Method = self.ca_method
        if override is not None and self.ndc.type == "single-year":
            method = override  # type: ignore[assignment]
        single = self.ndc.type == "single-year"
        if single and method == "multi-year":
            raise Refused(
                "ART-001",
                party=self.party,
                ndc="single-year",
                method=method,
                allowed="trajectory or averaging",
            )
        if not single and method != "multi-year":
            raise Refused(
                "ART-001", party=self.party, ndc="multi-year", method=method, allowed="multi-year"
            )
        return method

    def outside(self, registry: str, unit_type: str) -> bool:
        return registry in self.outside_coverage or (
            f"{registry}:{unit_type}" in self.outside_coverage
        )


def parse(data: Any, source: str = "(party file)") -> PartyFile:
    if not isinstance(data, dict):
        raise Refused("ART-008", file=source, reason="expected a mapping of fields")
    try:
        party = PartyFile.model_validate(data)
    except ValidationError as error:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}" for e in error.errors()
        )
        raise Refused("ART-008", file=source, reason=reasons) from None
    party.method()  # a mismatched method is refused when the file is read
    return party


def load(path: str | Path) -> PartyFile:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise Refused("ART-008", file=str(path), reason=error.strerror or str(error)) from None
    except yaml.YAMLError as error:
        raise Refused("ART-008", file=str(path), reason=f"not YAML: {error}") from None
    return parse(data, str(path))

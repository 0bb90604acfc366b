"""Rule sets: the accounting variants negotiators argue about, as data.

A :class:`RuleSet` names one choice for each variant of the table in
reference/linkage-and-article6.md ("Rule variants negotiators argue about",
L23-41). Accounting is a pure function of (event log, rule set) (DESIGN.md,
principle 4), so a variant is another rule set over the same, unchanged log.

Covered here, with their effect (docs/article6.md has the long form):

====== ========================================= =====================================
 id     field                                      effect on the tables
====== ========================================= =====================================
 V5     ``itmo_origin``                            outside-coverage outcomes are ITMOs or not
 V6     ``outside_coverage_adjustment``            host adjusts for them in row 12, or not
 V7     ``metric`` + ``non_ghg_units``             non-GHG units excluded, or converted
 V8     ``banking`` + ``banking_years``            uses of old vintages counted or not
 V9     ``use_limit_percent`` + ``use_limit_basis``  row 9 capped per year
 V10    ``adjusted_object``                        emissions (row 14) or target (rows 3/4)
 V11    ``ca_timing``                              when each side adjusts
 V12    ``single_year_method``                     overrides the Party's method
 V13    ``a64_to_itmo`` + ``a64_unit_types``         when 6.4 units become ITMOs
 V14-16 ``omge``                                   binding % discount, and at which stage
 V17    ``share_of_proceeds``                      % of units at issuance, or a levy
 —      ``first_transfer_definition``              overrides every authorization's
 —      ``authorization_timing``                   later of authorization/issuance, or
                                                   the workbook's authorization year
 —      ``ca_requires_first_transfer``             False reproduces the public
                                                   workbook's row 12 (no filter)
====== ========================================= =====================================

Everything marked [GK] in the reference is general knowledge, not in the
source documents, and is therefore a field here rather than a constant.
Presets live as YAML files in ``projections/article6/presets/`` and are
loaded by name (:func:`load`).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from clearinghouse.checks import Refused

PRESETS = Path(__file__).parent / "presets"

Definition = Literal[
    "authorization", "issuance", "first_international_transfer", "use_or_cancellation"
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Omge(_Model):
    """V14-V16: overall mitigation in global emissions.

    reference/linkage-and-article6.md L40 (V14-V16: binding or voluntary;
    conservative baseline or % discount, 2% adopted; stage issuance / transfer /
    use) and L21 (6.4: at least 2% of issued A6.4ERs cancelled at issuance).
    Only a *binding % discount* takes units out of the accounting; a voluntary
    OMGE or a conservative baseline changes no quantity in the log (voluntary
    OMGE cancellations that were actually recorded are counted as recorded).
    Amounts round down (L21: "rounding down").
    """

    binding: bool = False
    method: Literal["discount", "conservative_baseline"] = "discount"
    percent: Decimal = Field(default=Decimal(2), ge=0, le=100)
    stage: Literal["issuance", "transfer", "use"] = "issuance"

    @property
    def deducts(self) -> bool:
        return self.binding and self.method == "discount" and self.percent > 0


class ShareOfProceeds(_Model):
    """V17: share of proceeds — none, a % of units at issuance (5% adopted for
    6.4, reference/linkage-and-article6.md L21, L41), or a monetary levy (no
    effect on units). Amounts round down (L21)."""

    mode: Literal["none", "units", "levy"] = "none"
    percent: Decimal = Field(default=Decimal(5), ge=0, le=100)

    @property
    def deducts(self) -> bool:
        return self.mode == "units" and self.percent > 0


class NonGhgUnit(_Model):
    """V7: a unit type measured in another metric, with its tCO2e conversion
    factor (AEF columns "metric", "conversion factor":
    reference/registries-and-reporting.md L7)."""

    metric: str = Field(min_length=1)
    factor: Decimal = Field(gt=0)


class RuleSet(_Model):
    """One choice per variant. The defaults are the adopted (Glasgow) rules."""

    name: str = "custom"
    description: str = ""

    # -- first transfer ------------------------------------------------------------
    #: Overrides every authorization's own definition (issue #4, item 5); None keeps
    #: each authorization's (reference/linkage-and-article6.md L19).
    first_transfer_definition: Definition | None = None
    #: Under "authorization" (and "issuance"), an outcome cannot be transferred
    #: before it exists and is authorized: first transfer at the later of the two
    #: (issue #4, item 4). "authorization_year" is the public workbook's
    #: convention: the authorization year even for later issuances
    #: (reference/registries-and-reporting.md L28; shared/data/README.md).
    authorization_timing: Literal["later_of", "authorization_year"] = "later_of"
    #: Row 12 only from first-transferred ITMOs (registries-and-reporting.md L28, "a correct
    #: implementation"). False reproduces the public workbook's defect (row 12 by
    #: vintage with no first-transfer filter), for comparison only.
    ca_requires_first_transfer: bool = True

    # -- V5/V6: outcomes from outside the host's NDC coverage (L31-32) -----------
    itmo_origin: Literal["inside_coverage_only", "outside_allowed"] = "outside_allowed"
    outside_coverage_adjustment: Literal["host_adjusts", "host_does_not_adjust"] = "host_adjusts"

    # -- V7: metric (L33) -------------------------------------------------------------
    metric: Literal["tco2e_only", "any_metric"] = "any_metric"
    non_ghg_units: dict[str, NonGhgUnit] = Field(default_factory=dict)

    # -- V8: banking of ITMOs (L34) ---------------------------------------------------
    banking: Literal["none", "unlimited", "capped"] = "unlimited"
    banking_years: int = Field(default=0, ge=0)

    # -- V9: quantity limit on ITMO use (L35) -----------------------------------------
    use_limit_percent: Decimal | None = Field(default=None, ge=0, le=100)
    use_limit_basis: Literal["inventory", "ndc_effort"] = "inventory"

    # -- V10: object adjusted (L36) ---------------------------------------------------
    adjusted_object: Literal["emissions", "target"] = "emissions"

    # -- V11: timing (L37). "first_transfer_and_use" is the adopted rule: the host
    # adds at first transfer, the user subtracts at use (L17, [GK]).
    ca_timing: Literal["first_transfer_and_use", "transfer", "use"] = "first_transfer_and_use"

    # -- V12: single-year NDC method (L38); None keeps the Party file's method -------
    single_year_method: Literal["trajectory", "averaging", "vintage", "cumulative"] | None = None

    # -- V13: 6.4 <-> 6.2 (L39) -------------------------------------------------------
    a64_to_itmo: Literal["separate", "first_transfer", "second_transfer"] = "first_transfer"
    a64_unit_types: list[str] = Field(default_factory=list)

    # -- V14-V17: deductions (L40-41) -------------------------------------------------
    omge: Omge = Field(default_factory=Omge)
    share_of_proceeds: ShareOfProceeds = Field(default_factory=ShareOfProceeds)
    #: unit types the deductions apply to; empty: every ITMO (6.4-style rules
    #: applied to all, as a what-if)
    deduction_unit_types: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> RuleSet:
        if self.banking == "capped" and self.banking_years < 1:
            raise ValueError("banking 'capped' needs banking_years >= 1")
        return self

    def deducts_from(self, unit_type: str) -> bool:
        return not self.deduction_unit_types or unit_type in self.deduction_unit_types


def presets() -> list[str]:
    return sorted(p.stem for p in PRESETS.glob("*.yaml"))


def load(name_or_path: str | Path | None) -> RuleSet:
    """A rule set from a preset name (``glasgow-2021``) or a YAML file path.

    Raises ``Refused("ART-009")`` naming the file and every bad field."""
    if name_or_path is None:
        name_or_path = "glasgow-2021"
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = PRESETS / f"{name_or_path}.yaml"
    if not path.exists():
        raise Refused(
            "ART-009",
            file=str(name_or_path),
            reason=f"no such file or preset ({', '.join(presets())})",
        )
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise Refused("ART-009", file=str(path), reason=f"not YAML: {error}") from None
    if not isinstance(data, dict):
        raise Refused("ART-009", file=str(path), reason="expected a mapping of fields")
    data.setdefault("name", path.stem)
    try:
        return RuleSet.model_validate(data)
    except ValidationError as error:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}" for e in error.errors()
        )
        raise Refused("ART-009", file=str(path), reason=reasons) from None

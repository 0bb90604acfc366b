"""The transition of CDM activities to the Article 6.4 mechanism, as rule variants. Pure.

What negotiators argued about (003 L389–417; linkage-and-article6.md L41,
variants V18–V20): whether CDM activities move over **automatically** (a
minority, 003 L398–400) or only after being **re-assessed** against the new
mechanism's rules (most Parties, L400–403); whether **all types** may
transition or only some, filtered by programme, technology, region or period
(L406–416); and whether transitioned activities get a **shortened crediting
period** or issuance **limited to the first NDC period** (L416–417).

A :class:`CdmTransition` is one such variant. The default, ``adopted()``, is
[GK] decisions 3/CMA.3 and 7/CMA.4 as commonly summarised: re-assessed, the
host approving the transition by 31 Dec 2025 on a request made by 31 Dec
2023; any type; reductions from 2021 issued as A6.4ERs with the share of
proceeds and OMGE; reductions of 2013–2020 by activities registered from 2013
issued as pre-2021 units (``A64CER``) with neither deduction nor corresponding
adjustment, usable towards a first NDC only [GK]; crediting until the end of
the current crediting period, at the latest 31 Dec 2025 for activities not yet
re-assessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

SOURCE = "003 L389–417; linkage-and-article6.md L41 (V18–V20)"
ADOPTED_SOURCE = "[GK] decisions 3/CMA.3 para 73–75, 7/CMA.4"

Mode = Literal["reassessed", "automatic", "none"]


@dataclass(frozen=True)
class CdmActivity:
    """What the transition rules look at in a CDM activity."""

    registered_on: date
    kind: str  # "project" or "programmatic"
    technology: str
    requested_on: date | None


@dataclass(frozen=True)
class CdmTransition:
    """One variant of the CDM transition (V18–V20)."""

    mode: Mode = "reassessed"
    request_by: date | None = date(2023, 12, 31)
    approve_by: date | None = date(2025, 12, 31)
    #: only these kinds may transition (None: all), e.g. ("programmatic",)
    kinds: tuple[str, ...] | None = None
    #: only these technologies (None: all)
    technologies: tuple[str, ...] | None = None
    #: only activities registered on or after this date (None: any)
    registered_from: date | None = None
    #: the last vintage a transitioned activity may be credited for (shortened
    #: crediting period, or issuance limited to the first NDC period: 2030)
    last_vintage: int | None = None
    #: reductions of 2013–2020 are issued as pre-2021 units if the activity was
    #: registered from this date (None: no pre-2021 units)
    pre2021_from: date | None = date(2013, 1, 1)
    source: str = ADOPTED_SOURCE

    @property
    def name(self) -> str:
        return self.mode

    def refusal(self, activity: CdmActivity, on: date, approving: bool) -> str | None:
        """Why ``activity`` cannot transition (None: it can). ``approving``: the
        host's approval is being recorded on ``on``."""
        if self.mode == "none":
            return "this variant lets no CDM activity transition"
        if self.kinds is not None and activity.kind not in self.kinds:
            return f"only {', '.join(self.kinds)} activities may transition, not {activity.kind}"
        if self.technologies is not None and activity.technology not in self.technologies:
            return f"only {', '.join(self.technologies)} may transition, not {activity.technology}"
        if self.registered_from is not None and activity.registered_on < self.registered_from:
            return f"only activities registered from {self.registered_from} may transition"
        if self.mode == "reassessed":
            if activity.requested_on is None:
                return "the transition was not requested"
            if self.request_by is not None and activity.requested_on > self.request_by:
                return f"the transition was requested after {self.request_by}"
            if approving and self.approve_by is not None and on > self.approve_by:
                return f"the host's approval comes after {self.approve_by}"
        return None

    def vintage_refusal(self, registered_on: date, vintage: int) -> str | None:
        if self.last_vintage is not None and vintage > self.last_vintage:
            return f"transitioned activities are credited up to {self.last_vintage}"
        if vintage < 2021:
            if self.pre2021_from is None:
                return "reductions before 2021 are not issued under this variant"
            if registered_on < self.pre2021_from:
                return f"pre-2021 reductions need registration from {self.pre2021_from}"
        return None


def adopted() -> CdmTransition:
    """[GK] The rules as adopted: see the module docstring."""
    return CdmTransition()


def automatic() -> CdmTransition:
    """003 L398–400: every CDM activity moves over, no re-assessment, no approval."""
    return CdmTransition(mode="automatic", request_by=None, approve_by=None, source=SOURCE)


def filtered(
    *,
    kinds: tuple[str, ...] | None = ("programmatic",),
    technologies: tuple[str, ...] | None = None,
    registered_from: date | None = None,
    last_vintage: int | None = 2030,
) -> CdmTransition:
    """003 L406–417: only some activities (by kind, technology, period), issuance
    limited to the first NDC period (to 2030 by default)."""
    return CdmTransition(
        kinds=kinds,
        technologies=technologies,
        registered_from=registered_from,
        last_vintage=last_vintage,
        source=SOURCE,
    )


def no_transition() -> CdmTransition:
    """No CDM activity transitions (the strictest end of V18)."""
    return CdmTransition(mode="none", source=SOURCE)


VARIANTS = {
    "adopted": adopted,
    "automatic": automatic,
    "filtered": filtered,
    "none": no_transition,
}

"""Crediting projects: the record a crediting scheme keeps of what it decided.

J-Credit projects, JCM projects and Tokyo's small and mid-size facilities all
follow one pattern: a project (or facility) is registered, its reductions are
verified for a year, and the scheme decides how many credits that earns. The
decision is recorded here, in the same unit of work as the issuance it causes,
so a year can never be credited twice.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


def project_id(registry: str, project: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"registry:{registry}/project/{project}")


class CreditingProject(Aggregate):
    """A registered project and the credits decided for each of its years."""

    @staticmethod
    def create_id(registry: str, project: str, **_: Any) -> UUID:
        return project_id(registry, project)

    @event("Registered")
    def __init__(
        self,
        registry: str,
        project: str,
        name: str,
        kind: str,
        participant: str,
        attributes: dict[str, Any],
        registered_on: date,
    ) -> None:
        self.registry = registry
        self.project = project
        self.name = name
        self.kind = kind
        self.participant = participant
        self.attributes = dict(attributes)
        self.registered_on = registered_on
        #: year -> what was decided for it (reductions, credits, transaction, ...)
        self.credited: dict[int, dict[str, Any]] = {}

    @event("CreditsDecided")
    def decide(self, year: int, decision: dict[str, Any]) -> None:
        self.credited[year] = dict(decision)

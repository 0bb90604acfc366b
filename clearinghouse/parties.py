"""Parties to the Paris Agreement, their NDCs, and the jurisdictions they answer for.

A corresponding adjustment is always a Party's: Tokyo and Saitama are both
Japan, China's pilots are China (issue #2; reference/northeast-asia.md). So a
transfer between two jurisdictions of one Party needs no adjustment.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


def party_id(code: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"clearinghouse:party/{code}")


def jurisdiction_id(code: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"clearinghouse:jurisdiction/{code}")


class Party(Aggregate):
    """A Party with its nationally determined contribution.

    ``ndc`` holds the validated NDC description (type absolute / intensity /
    bau_relative, single-year or multi-year, target years), see
    :class:`clearinghouse.commands.NdcSpec`.
    """

    @staticmethod
    def create_id(code: str) -> UUID:
        return party_id(code)

    @event("Registered")
    def __init__(self, code: str, name: str, ndc: dict[str, Any]) -> None:
        self.code = code
        self.name = name
        self.ndc = ndc
        self.authorizations: list[str] = []

    @event("AuthorizationAdded")
    def add_authorization(self, code: str) -> None:
        self.authorizations.append(code)


class Jurisdiction(Aggregate):
    """A jurisdiction whose registry is connected to the clearinghouse.

    ``adapter`` is the standard adapter the registry was created from, as
    ``{"standard": code, "options": {...}, "unrecorded": [names]}`` (see
    ``adapters.catalogue.configured``); None for a plain registry and for
    registries connected before adapters were recorded.
    """

    adapter: dict[str, Any] | None = None

    @staticmethod
    def create_id(code: str) -> UUID:
        return jurisdiction_id(code)

    @event("Connected")
    def __init__(self, code: str, name: str, party: str, unit_types: list[str]) -> None:
        self.code = code
        self.name = name
        self.party = party
        self.unit_types = list(unit_types)
        self.agreements: list[str] = []

    @event("AdapterRecorded")
    def record_adapter(self, standard: str, options: dict[str, Any], unrecorded: list[str]) -> None:
        self.adapter = {"standard": standard, "options": options, "unrecorded": unrecorded}

    @event("AgreementJoined")
    def join(self, agreement: str) -> None:
        if agreement not in self.agreements:
            self.agreements.append(agreement)

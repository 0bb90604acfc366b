"""The API in process (FastAPI's TestClient) over the demo's world, delivering
in process, with one key per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clearinghouse.api import create_app
from clearinghouse.api.services import Services
from clearinghouse.service.settings import ServiceSettings


@dataclass
class Api:
    client: TestClient
    services: Services
    keys: dict[str, str]

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}", **extra}

    def get(self, who: str, path: str, **params: Any) -> Any:
        return self.client.get(path, headers=self.headers(who), params=params)

    def post(self, who: str, path: str, body: Any, key: str | None = None, **params: Any) -> Any:
        headers = self.headers(who, **({"Idempotency-Key": key} if key else {}))
        return self.client.post(path, json=body, headers=headers, params=params)

    def issue(self, who: str, registry: str, tid: str, account: str, unit: str, n: int) -> Any:
        return self.post(who, f"/registries/{registry}/issuances", issuance(tid, account, unit, n))

    def send(self, who: str, registry: str, tid: str, account: str, to: str, n: int) -> Any:
        """A cross-border transfer to ``to`` = ``REGISTRY/ACCOUNT``."""
        to_registry, to_account = to.split("/")
        body = abroad(tid, account, to_registry, to_account, n)
        return self.post(who, f"/registries/{registry}/cross-border-transfers", body)

    def positions(self) -> dict[str, int]:
        """Every log's last position: equal before and after means nothing changed."""
        apps = [*self.services.system.apps(), self.services.access]
        return {a.name: a.recorder.max_notification_id() or 0 for a in apps}


def keys_for(services: Services) -> dict[str, str]:
    access = services.access
    return {
        "cn": access.create_key("registry_operator", "CN_ETS operator", "CN_ETS")[1],
        "kr": access.create_key("registry_operator", "KR_ETS operator", "KR_ETS")[1],
        "admin": access.create_key("administrator", "clearinghouse administrator")[1],
        "auditor": access.create_key("auditor", "external auditor")[1],
        "negotiator": access.create_key("negotiator", "negotiator")[1],
    }


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    settings = ServiceSettings(
        transport="in-process",
        store=":memory:",
        database_url=None,
        bootstrap="demo",
        simulations_dir=tmp_path / "simulations",  # never the working directory
    )
    services = Services.open(settings)
    with TestClient(create_app(services=services)) as client:
        yield Api(client, services, keys_for(services))
    services.close()


def issuance(tid: str, account: str, unit_type: str, quantity: int, year: int = 2025) -> Any:
    return {
        "transaction_id": tid,
        "business_date": f"{year}-01-10",
        "account": account,
        "unit_type": unit_type,
        "vintage": year,
        "quantity": quantity,
    }


def abroad(tid: str, account: str, to_registry: str, to_account: str, quantity: int) -> Any:
    return {
        "transaction_id": tid,
        "business_date": "2025-03-01",
        "account": account,
        "to_registry": to_registry,
        "to_account": to_account,
        "quantity": quantity,
    }

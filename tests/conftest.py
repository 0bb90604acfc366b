"""Shared test plumbing: real services, skipped on a laptop without them, required in CI."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator

import pytest

from clearinghouse.system import EmbeddedSystem

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip with a reason where the service is missing; fail instead when CI=true."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}, and CI=true requires it")
    pytest.skip(message)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL with a fresh schema of its own, dropped afterwards."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    import psycopg
    from psycopg import sql

    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield f"{PG_URL}?schema={schema}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def issue(
    system: EmbeddedSystem,
    registry: str,
    account: str,
    unit_type: str,
    quantity: int,
    transaction_id: str = "i1",
    vintage: int = 2025,
) -> None:
    """Issue units through the clearinghouse and insist it completes."""
    receipt = system.do(
        registry,
        "issue",
        {
            "transaction_id": transaction_id,
            "business_date": f"{vintage}-01-10",
            "account": account,
            "unit_type": unit_type,
            "vintage": vintage,
            "quantity": quantity,
        },
    )
    assert receipt.state == "completed", receipt

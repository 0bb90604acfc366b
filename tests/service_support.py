"""Plumbing for the service tests: a private Redis key space, the demo's world
over a service store, and a loop that delivers until every process is quiet."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import redis

from clearinghouse import demo
from clearinghouse.application import CLEARINGHOUSE, registry_app_name
from clearinghouse.service.relay import OutboxRelay
from clearinghouse.service.streams import StreamConsumer, connect
from clearinghouse.service.system import ServiceSystem
from clearinghouse.store import StoreConfig
from tests.conftest import require_service

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


#: tests open several systems over one store: keep each one's connections few
SMALL_POOL = {"POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "2"}
Opener = Callable[[StoreConfig], ServiceSystem]


@pytest.fixture
def systems() -> Iterator[Opener]:
    """Opens ServiceSystems (one per simulated process), all closed afterwards."""
    opened: list[ServiceSystem] = []

    def open_system(store: StoreConfig) -> ServiceSystem:
        system = ServiceSystem(store, SMALL_POOL)
        opened.append(system)
        return system

    yield open_system
    for system in opened:
        system.close()


@dataclass
class RedisSpace:
    client: redis.Redis
    prefix: str
    url: str


@pytest.fixture
def redis_space() -> Iterator[RedisSpace]:
    """A Redis client and a key prefix of this test's own, deleted afterwards
    (other engineers' tests run on the same server at the same time)."""
    require_service("Redis", "127.0.0.1", 6379)
    client = connect(REDIS_URL)
    prefix = f"t{uuid.uuid4().hex[:12]}"
    yield RedisSpace(client, prefix, REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def consumer_for(
    system: ServiceSystem, space: RedisSpace, app: str, name: str, **options: int
) -> StreamConsumer:
    """A consumer like a worker's: the clearinghouse reads every registry's stream,
    a registry the clearinghouse's."""
    if app == CLEARINGHOUSE:
        return StreamConsumer(
            space.client,
            space.prefix,
            system.clearinghouse,
            lambda: [registry_app_name(c) for c in system.connected()],
            name,
            **options,
        )
    return StreamConsumer(
        space.client, space.prefix, system.registry(app), lambda: [CLEARINGHOUSE], name, **options
    )


def deliver(relay: OutboxRelay, consumers: list[StreamConsumer], rounds: int = 50) -> int:
    """Relay and consume until a whole round moves nothing."""
    total = 0
    for _ in range(rounds):
        moved = relay.publish_new() + sum(c.drain() for c in consumers)
        total += moved
        if not moved:
            return total
    raise AssertionError("still delivering after {rounds} rounds")


def demo_world(open_system: Opener, store: StoreConfig) -> ServiceSystem:
    """The demo's Parties, registries, agreements and accounts, over ``store``."""
    system = open_system(store)
    demo.setup(system)
    return system


def issue(
    system: ServiceSystem, registry: str, account: str, unit_type: str, quantity: int
) -> None:
    receipt = system.registry(registry).issue(
        {
            "transaction_id": f"i-{registry}-{account}",
            "business_date": "2025-01-10",
            "account": account,
            "unit_type": unit_type,
            "vintage": 2025,
            "quantity": quantity,
        }
    )
    assert receipt.state == "proposed", receipt


def transfer_abroad(system: ServiceSystem, tid: str, quantity: int) -> None:
    receipt = system.registry("CN_ETS").transfer_abroad(
        {
            "transaction_id": tid,
            "business_date": "2025-03-01",
            "account": "HUANENG",
            "to_registry": "KR_ETS",
            "to_account": "POSCO",
            "quantity": quantity,
        }
    )
    assert receipt.state == "proposed", receipt

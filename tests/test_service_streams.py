"""The Redis Streams transport against the real Redis and PostgreSQL, in one
process: each "process" is its own ServiceSystem over the shared store, as in a
deployment. The OS-process tests are in test_service_processes.py."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from pydantic import ValidationError

from adapters.base import RegistryConfig
from clearinghouse.application import CLEARINGHOUSE
from clearinghouse.messages import Envelope
from clearinghouse.service.processes import run_worker
from clearinghouse.service.relay import OutboxRelay, cursor_key
from clearinghouse.service.settings import ServiceSettings
from clearinghouse.service.streams import CrashHook, RedisBus, dead_key, stream_key
from clearinghouse.store import StoreConfig
from projections.adjustments import adjustments
from projections.log import read
from tests.service_support import (
    Opener,
    RedisSpace,
    consumer_for,
    deliver,
    demo_world,
    issue,
    redis_space,
    systems,
    transfer_abroad,
)

__all__ = ["redis_space", "systems"]  # the fixtures

pytestmark = pytest.mark.postgres


def entries(space: RedisSpace, app: str) -> list[dict[str, str]]:
    return [f for _, f in space.client.xrange(stream_key(space.prefix, app))]  # type: ignore[union-attr]


def pending(space: RedisSpace, app: str = CLEARINGHOUSE) -> dict[str, int]:
    """Entries delivered but not acknowledged, per consumer group of ``app``'s stream."""
    groups = space.client.xinfo_groups(stream_key(space.prefix, app))
    return {g["name"]: g["pending"] for g in groups}  # type: ignore[union-attr]


def processes(open_system: Opener, store: StoreConfig, space: RedisSpace) -> tuple[Any, ...]:
    """API (the demo's setup), relay, clearing, and the CN and KR workers: five
    ServiceSystems over one store, as five processes would have."""
    api = demo_world(open_system, store)
    relay = OutboxRelay(space.client, space.prefix, open_system(store), page=7)
    clearing = consumer_for(open_system(store), space, CLEARINGHOUSE, "ch-1")
    cn = consumer_for(open_system(store), space, "CN_ETS", "cn-1")
    kr = consumer_for(open_system(store), space, "KR_ETS", "kr-1")
    return api, relay, clearing, cn, kr


def test_a_cross_border_transfer_completes_over_redis_streams(
    postgres_url: str, redis_space: RedisSpace, systems: Opener
) -> None:
    store = StoreConfig.from_env(database_url=postgres_url)
    api, relay, clearing, cn, kr = processes(systems, store, redis_space)
    issue(api, "CN_ETS", "HUANENG", "CEA", 1_000)
    deliver(relay, [clearing, cn, kr])
    transfer_abroad(api, "x1", 400)
    deliver(relay, [clearing, cn, kr])

    assert api.registry("CN_ETS").transaction("x1").state == "completed"
    assert api.clearinghouse.transaction("x1", "CN_ETS").state == "completed"
    posco = api.registry("KR_ETS").account("POSCO")
    assert posco is not None and posco.available.total == 400
    # the authorized link records China's first-transfer adjustment once
    assert adjustments(read(api.clearinghouse)) == {
        "CN": {"2025": {"first_transfer": 400, "use": 0, "net": 400}}
    }
    # one stream per registry and one for the clearinghouse's decisions
    kinds = Counter(e["kind"] for e in entries(redis_space, CLEARINGHOUSE))
    assert kinds == {
        "transaction_accepted": 2,  # the issuance and the transfer
        "credit_instruction": 1,
        "transfer_completed": 1,
    }
    assert [e["kind"] for e in entries(redis_space, "REGISTRY_CN_ETS")] == [
        "issuance_proposed",
        "transfer_proposed",
        "transfer_debited",
    ]
    assert [e["kind"] for e in entries(redis_space, "REGISTRY_KR_ETS")] == ["transfer_credited"]
    # every consumer acknowledged everything
    for app in (CLEARINGHOUSE, "REGISTRY_CN_ETS", "REGISTRY_KR_ETS"):
        assert set(pending(redis_space, app).values()) == {0}, app


def test_a_message_delivered_twice_has_one_effect(
    postgres_url: str, redis_space: RedisSpace, systems: Opener
) -> None:
    store = StoreConfig.from_env(database_url=postgres_url)
    api, relay, clearing, cn, kr = processes(systems, store, redis_space)
    issue(api, "CN_ETS", "HUANENG", "CEA", 1_000)
    deliver(relay, [clearing, cn])
    transfer_abroad(api, "x1", 400)
    deliver(relay, [clearing, cn])  # KR's worker is not running yet
    [instruction] = [
        e for e in entries(redis_space, CLEARINGHOUSE) if e["kind"] == "credit_instruction"
    ]
    # the transport delivers it twice (a second copy in the stream)
    RedisBus(redis_space.client, redis_space.prefix).publish(
        Envelope.model_validate_json(instruction["envelope"])
    )
    registry = api.registry("KR_ETS")
    before = registry.recorder.max_notification_id()
    deliver(relay, [clearing, cn, kr])

    assert kr.stats["handled"] == 2  # both copies taken and acknowledged ...
    posco = registry.account("POSCO")
    assert posco is not None and posco.available.total == 400  # ... one credit
    kr_events = [type(e).__qualname__ for _, e in read(registry, start=before + 1)]
    assert kr_events.count("RegistryTransaction.Credited") == 1
    assert api.clearinghouse.transaction("x1", "CN_ETS").state == "completed"


def test_a_worker_that_dies_after_committing_is_relieved_by_xautoclaim(
    postgres_url: str,
    redis_space: RedisSpace,
    systems: Opener,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """KR's first worker commits the credit and dies before XACK; a new worker
    (another consumer name, as a restarted pod) reclaims the entry; the
    redelivery changes nothing and the transfer completes once."""
    store = StoreConfig.from_env(database_url=postgres_url)
    api, relay, clearing, cn, _ = processes(systems, store, redis_space)
    issue(api, "CN_ETS", "HUANENG", "CEA", 1_000)
    deliver(relay, [clearing, cn])
    transfer_abroad(api, "x1", 400)
    deliver(relay, [clearing, cn])

    dying = consumer_for(systems(store), redis_space, "KR_ETS", "kr-dies")

    class Died(Exception):
        pass

    [credit] = [
        entry_id
        for entry_id, fields in redis_space.client.xrange(  # type: ignore[union-attr]
            stream_key(redis_space.prefix, CLEARINGHOUSE)
        )
        if fields["kind"] == "credit_instruction"
    ]
    xack = dying.redis.xack

    def die(stream: str, group: str, entry_id: str) -> Any:
        if entry_id == credit:
            raise Died  # the process ends between commit and XACK
        return xack(stream, group, entry_id)

    monkeypatch.setattr(dying.redis, "xack", die)
    with pytest.raises(Died):
        dying.drain()
    monkeypatch.undo()
    posco = api.registry("KR_ETS").account("POSCO")
    assert posco is not None and posco.available.total == 400  # committed, not acknowledged
    assert pending(redis_space)["REGISTRY_KR_ETS"] == 1

    successor = consumer_for(systems(store), redis_space, "KR_ETS", "kr-new", claim_idle_ms=1)
    deliver(relay, [clearing, cn, successor])
    assert successor.stats["reclaimed"] == 1
    posco = api.registry("KR_ETS").account("POSCO")
    assert posco is not None and posco.available.total == 400
    assert api.registry("CN_ETS").transaction("x1").state == "completed"
    assert adjustments(read(api.clearinghouse))["CN"]["2025"]["first_transfer"] == 400
    assert pending(redis_space)["REGISTRY_KR_ETS"] == 0


def test_the_crash_hook_named_by_transaction_skips_an_older_redelivery(
    postgres_url: str,
    redis_space: RedisSpace,
    systems: Opener,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker reclaims entries a dead worker left pending before it reads new
    ones. With x0's credit instruction left pending (committed, not acknowledged)
    and x1's waiting, a hook on the kind alone fires on x0's redelivery, a no-op,
    before x1 is credited: the flaky failure of the process test (POSCO 300, not
    700). Named ``credit_instruction:x1`` it fires after x1's credit is committed."""
    store = StoreConfig.from_env(database_url=postgres_url)
    api, relay, clearing, cn, _ = processes(systems, store, redis_space)
    issue(api, "CN_ETS", "HUANENG", "CEA", 1_000)
    deliver(relay, [clearing, cn])
    transfer_abroad(api, "x0", 300)
    deliver(relay, [clearing, cn])

    class Crashed(Exception):
        pass

    def crash() -> None:
        raise Crashed  # in place of os._exit: the consumer stops where the process would

    # x0: credited, and the worker dies before XACK (its entry stays pending)
    dying = consumer_for(systems(store), redis_space, "KR_ETS", "kr-0")
    dying.crash_after = CrashHook.parse("credit_instruction")
    monkeypatch.setattr(dying, "_crash", crash)
    with pytest.raises(Crashed):
        dying.drain()
    kr = api.registry("KR_ETS")

    def posco() -> int:
        account = kr.account("POSCO")
        assert account is not None
        return account.available.total

    assert posco() == 300
    deliver(relay, [clearing, cn])  # x0 completes; KR's worker is down
    assert api.registry("CN_ETS").transaction("x0").state == "completed"
    transfer_abroad(api, "x1", 400)
    deliver(relay, [clearing, cn])

    # a hook on the kind alone: XAUTOCLAIM hands over x0's entry first
    by_kind = consumer_for(systems(store), redis_space, "KR_ETS", "kr-1", claim_idle_ms=1)
    by_kind.crash_after = CrashHook.parse("credit_instruction")
    monkeypatch.setattr(by_kind, "_crash", crash)
    with pytest.raises(Crashed):
        by_kind.drain()
    assert by_kind.stats["reclaimed"] == 1
    assert posco() == 300  # x1 not credited: the hook fired on x0's redelivery

    # the hook named by transaction: x0's redelivery passes (acknowledged), x1 commits
    exact = consumer_for(systems(store), redis_space, "KR_ETS", "kr-2", claim_idle_ms=1)
    exact.crash_after = CrashHook.parse("credit_instruction:x1")
    monkeypatch.setattr(exact, "_crash", crash)
    with pytest.raises(Crashed):
        exact.drain()
    assert exact.stats["handled"] == 1  # x0's redelivery, with no second effect
    assert posco() == 700  # x1 committed ...
    assert pending(redis_space)["REGISTRY_KR_ETS"] == 1  # ... and not acknowledged
    kr_events = [type(e).__qualname__ for _, e in read(kr)]
    assert kr_events.count("RegistryTransaction.Credited") == 2


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ("credit_instructions", "'credit_instructions' is not a message kind"),
        ("credit_instruction:", "names no transaction"),
    ],
)
def test_a_crash_hook_that_names_no_message_is_refused_at_start(spec: str, error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        ServiceSettings(crash_after=spec)
    assert ServiceSettings(crash_after="credit_instruction:x1").crash_after == (
        "credit_instruction:x1"
    )


def test_the_relay_resumes_where_it_stopped_without_losing_or_repeating(
    postgres_url: str, redis_space: RedisSpace, systems: Opener
) -> None:
    store = StoreConfig.from_env(database_url=postgres_url)
    api = demo_world(systems, store)
    for n in range(12):
        api.registry("KR_ETS").issue(
            {
                "transaction_id": f"k{n}",
                "business_date": "2025-01-10",
                "account": "POSCO",
                "unit_type": "KAU",
                "vintage": 2025,
                "quantity": 10,
            }
        )
    first = OutboxRelay(redis_space.client, redis_space.prefix, systems(store), page=5)
    registry = api.registry("KR_ETS")
    first.publish_page(registry)  # one page, then the relay "dies"
    stopped_at = first.position("REGISTRY_KR_ETS")
    assert 0 < stopped_at < registry.recorder.max_notification_id()

    # a restarted relay, and a second one running by mistake, take turns
    second = OutboxRelay(redis_space.client, redis_space.prefix, systems(store), page=5)
    third = OutboxRelay(redis_space.client, redis_space.prefix, systems(store), page=5)
    while second.publish_page(second.system.registry("KR_ETS"))[0]:
        third.publish_page(third.system.registry("KR_ETS"))
    assert second.publish_new() + third.publish_new() == 0  # nothing left

    published = [int(e["position"]) for e in entries(redis_space, "REGISTRY_KR_ETS")]
    expected = [
        position
        for position, event in read(registry)
        for _ in registry.outbox(event)  # the messages the log implies, in log order
    ]
    assert published == expected and len(expected) == 12  # each proposal once, none lost
    assert int(redis_space.client.get(cursor_key(redis_space.prefix, "REGISTRY_KR_ETS"))) == (  # type: ignore[arg-type]
        registry.recorder.max_notification_id()
    )


def test_a_message_that_is_not_an_envelope_goes_to_the_dead_letter_stream(
    postgres_url: str, redis_space: RedisSpace, systems: Opener
) -> None:
    store = StoreConfig.from_env(database_url=postgres_url)
    api = demo_world(systems, store)
    kr = consumer_for(api, redis_space, "KR_ETS", "kr-1")
    kr.streams()
    redis_space.client.xadd(stream_key(redis_space.prefix, CLEARINGHOUSE), {"envelope": "{}"})
    assert kr.drain() == 1
    [(_, dead)] = redis_space.client.xrange(dead_key(redis_space.prefix))  # type: ignore[misc]
    assert dead["group"] == "REGISTRY_KR_ETS" and dead["reason"].startswith("not an envelope")
    assert kr.drain() == 0  # acknowledged: it does not come back


def test_a_registry_no_process_can_stand_up_still_has_its_messages_relayed(
    postgres_url: str, redis_space: RedisSpace, systems: Opener
) -> None:
    """A registry made with options that could not be recorded (Python objects):
    its worker refuses to guess them (exit 2), the relay still publishes its
    messages, and nothing else stops."""
    store = StoreConfig.from_env(database_url=postgres_url)
    api = demo_world(systems, store)
    plain = RegistryConfig("KR_X", "made in Python", "KR", ("KAU",))
    registry = api.add_registry(plain, connect=False)
    api.clearinghouse.connect_registry(
        {
            "code": "KR_X",
            "name": "made in Python",
            "party": "KR",
            "unit_types": ["KAU"],
            "adapter": {"standard": "KR_ETS", "options": {}, "unrecorded": ["phases"]},
        }
    )
    registry.open_account({"account": "A", "holder": "A"})
    registry.issue(
        {
            "transaction_id": "i1",
            "business_date": "2025-01-10",
            "account": "A",
            "unit_type": "KAU",
            "vintage": 2025,
            "quantity": 5,
        }
    )
    relay = OutboxRelay(redis_space.client, redis_space.prefix, systems(store))
    relay.publish_new()
    assert [e["kind"] for e in entries(redis_space, "REGISTRY_KR_X")] == ["issuance_proposed"]

    settings = ServiceSettings(
        database_url=postgres_url, redis_url=redis_space.url, stream_prefix=redis_space.prefix
    )
    assert run_worker(settings, "KR_X", threading.Event()) == 2

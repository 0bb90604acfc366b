"""The long-running processes of a deployment: a registry's worker (or the
clearinghouse's, when clearing runs apart from the API) and the outbox relay.

Each loops until SIGTERM or SIGINT, finishing the message or page at hand, so
a rolling restart loses nothing (and a kill -9 loses nothing either: an entry
not acknowledged is delivered again, a page not published is read again).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable

import redis

from adapters.catalogue import NotReproducible
from clearinghouse.application import CLEARINGHOUSE, registry_app_name
from clearinghouse.participant import Participant
from clearinghouse.service.relay import OutboxRelay
from clearinghouse.service.settings import ServiceSettings
from clearinghouse.service.streams import StreamConsumer, connect
from clearinghouse.service.system import ServiceSystem

log = logging.getLogger("clearinghouse.service")
REPORT_EVERY_S = 30


def stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handler(signum: int, _: object) -> None:
        log.info("%s: stopping after the work at hand", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


def _loop(
    step: Callable[[], int], stop: threading.Event, idle_s: float, report: Callable[[], str]
) -> None:
    """Run ``step`` until stopped; back off on a lost connection; report now and then."""
    reported = time.monotonic()
    while not stop.is_set():
        try:
            if not step():
                stop.wait(idle_s)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            log.warning("Redis unreachable (%s); retrying in 1 s", error)
            stop.wait(1)
        except Exception:  # the store unreachable, or a bug: keep the process, say so
            log.exception("step failed; retrying in 1 s")
            stop.wait(1)
        if time.monotonic() - reported > REPORT_EVERY_S:
            log.info("%s", report())
            reported = time.monotonic()


def run_worker(settings: ServiceSettings, registry: str | None, stop: threading.Event) -> int:
    """Consume the messages for one registry (or, with None, for the clearinghouse)."""
    system = ServiceSystem(settings.store_config(), settings.application_env())
    client = connect(settings.redis_url)
    try:
        app: Participant
        if registry is None:
            app = system.clearinghouse
            sources: Callable[[], list[str]] = lambda: [  # noqa: E731
                registry_app_name(c) for c in system.connected()
            ]
        else:
            announced = False
            while registry not in system.connected():
                if not announced:
                    log.info(
                        "waiting for registry %s to be connected (POST /registries); "
                        "connected now: %s",
                        registry,
                        ", ".join(system.connected()) or "none",
                    )
                    announced = True
                if stop.wait(1):
                    return 0
            try:
                app = system.registry(registry)
            except NotReproducible as error:
                log.error("%s", error)
                return 2
            sources = lambda: [CLEARINGHOUSE]  # noqa: E731
        consumer = StreamConsumer(
            client,
            settings.stream_prefix,
            app,
            sources,
            settings.consumer,
            block_ms=settings.block_ms,
            claim_idle_ms=settings.claim_idle_ms,
            max_deliveries=settings.max_deliveries,
            crash_after=settings.crash_after,
        )
        log.info(
            "worker for %s: consumer %s in group %s on %s, store %s",
            app.name,
            settings.consumer,
            consumer.group,
            settings.redis_url,
            system.store.describe(),
        )
        _loop(consumer.run_once, stop, 0, lambda: f"{app.name}: {dict(consumer.stats)}")
        log.info("worker for %s stopped: %s", app.name, dict(consumer.stats))
        return 0
    finally:
        system.close()
        client.close()


def run_relay(settings: ServiceSettings, stop: threading.Event) -> int:
    """Publish every application's new messages to its stream, from where it stopped."""
    system = ServiceSystem(settings.store_config(), settings.application_env())
    client = connect(settings.redis_url)
    relay = OutboxRelay(client, settings.stream_prefix, system, settings.relay_page)
    log.info("relay: store %s, Redis %s", system.store.describe(), settings.redis_url)
    try:
        _loop(
            relay.publish_new,
            stop,
            settings.relay_idle_ms / 1000,
            lambda: f"relay: {dict(relay.stats)}",
        )
        log.info("relay stopped: %s", dict(relay.stats))
        return 0
    finally:
        system.close()
        client.close()

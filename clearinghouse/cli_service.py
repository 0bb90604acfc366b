"""``clearinghouse serve | worker | relay | keys``: running as a service.

Thin commands over :mod:`clearinghouse.service` and :mod:`clearinghouse.api`.
Every setting comes from the environment (``CLEARINGHOUSE_*``, see
docs/operations.md); the options here override it for one run.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from pydantic import ValidationError

from clearinghouse.cli_common import Options, documented, emit, fail

EPILOG = """\
a deployment (docs/operations.md; deploy/ has Docker Compose and Kubernetes files):
  export CLEARINGHOUSE_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/clearinghouse
  export CLEARINGHOUSE_REDIS_URL=redis://127.0.0.1:6379/0
  clearinghouse serve --bootstrap demo          # API on :8000, OpenAPI at /docs; clears too
  clearinghouse worker --registry CN_ETS        # one per registry
  clearinghouse worker --registry KR_ETS
  clearinghouse relay                           # publishes every log's messages
  clearinghouse keys create --role registry_operator --registry KR_ETS --label "KR desk"

one process, no Redis (a laptop, a SQLite store):
  CLEARINGHOUSE_TRANSPORT=in-process clearinghouse serve --store ./clearinghouse-store
"""


def add_parsers(sub: Any, store_options: Options) -> None:
    """Register ``serve``, ``worker``, ``relay`` and ``keys`` on the top-level subparsers."""

    def command(name: str, help: str, description: str) -> argparse.ArgumentParser:
        p = documented(sub, name, help, description, EPILOG)
        store_options(p)
        return p

    p = command(
        "serve",
        "run the HTTP API (FastAPI; OpenAPI at /docs)",
        "The API process: registry operators, administrators, auditors and negotiators "
        "use it with their API keys. With the Redis transport it also clears (consumes "
        "the registries' streams) unless CLEARINGHOUSE_CLEARING_IN_API=false.",
    )
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8000)")
    p.add_argument(
        "--bootstrap",
        choices=["none", "demo"],
        help="'demo' sets up the demo's Parties, registries, agreements and accounts",
    )
    p.add_argument("--transport", choices=["redis", "in-process"], help="default redis; see below")
    p.add_argument(
        "--simulations-dir",
        metavar="DIR",
        help="where negotiators' simulation runs go, one folder each (default ./simulations, "
        "or $CLEARINGHOUSE_SIMULATIONS_DIR)",
    )
    p.add_argument(
        "--simulation-workers",
        type=int,
        metavar="N",
        help="simulations run at once in this process (default 1; 0 turns them off)",
    )

    p = command(
        "worker",
        "consume one registry's messages (or the clearinghouse's)",
        "Applies the clearinghouse's decisions to one registry: acceptances, rejections, "
        "credit and return instructions, completions. Run one per registry; more than one "
        "share the work (one consumer group). Waits for the registry to be connected.",
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--registry", metavar="ID", help="the registry's code, e.g. KR_ETS")
    which.add_argument(
        "--clearinghouse",
        action="store_true",
        help="clear in this process instead of the API's (set CLEARINGHOUSE_CLEARING_IN_API=false)",
    )
    p.add_argument("--consumer", help="name in the consumer group (default host-pid)")

    command(
        "relay",
        "publish every application's messages to Redis Streams",
        "The outbox relay: reads each application's notification log from where it "
        "stopped and appends the messages each event implies to the application's stream, "
        "a page and its new position at a time (nothing lost or repeated on restart).",
    )

    keys = documented(
        sub,
        "keys",
        "create, list and revoke API keys",
        "API keys are stored hashed in the store's ACCESS log. The secret is "
        "printed once, at creation. Roles: registry_operator (needs --registry), "
        "administrator, auditor, negotiator (docs/operations.md).",
        EPILOG,
    )
    actions = keys.add_subparsers(dest="keys", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="make a key and print its secret once")
    store_options(create)
    create.add_argument(
        "--role",
        required=True,
        choices=["registry_operator", "administrator", "auditor", "negotiator"],
    )
    create.add_argument("--registry", metavar="ID", help="a registry operator's registry")
    create.add_argument("--label", required=True, help="whose key it is, e.g. 'KR desk'")
    create.add_argument("--json", action="store_true")
    listing = actions.add_parser("list", help="every key (never the secrets)")
    store_options(listing)
    listing.add_argument("--json", action="store_true")
    revoke = actions.add_parser("revoke", help="revoke a key by its id")
    store_options(revoke)
    revoke.add_argument("key_id", metavar="KEY_ID")
    revoke.add_argument("--reason", default="revoked")
    revoke.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    from clearinghouse.service.settings import ServiceSettings

    overrides = {
        name: value
        for name in (
            *("store", "database_url", "host", "port", "bootstrap", "transport", "consumer"),
            *("simulations_dir", "simulation_workers"),
        )
        if (value := getattr(args, name, None)) is not None
    }
    try:
        settings = ServiceSettings(**overrides)
    except ValidationError as error:
        for e in error.errors():
            field = ".".join(str(p) for p in e["loc"])
            print(f"error INP-001: CLEARINGHOUSE_{field.upper()}: {e['msg']}", file=sys.stderr)
        return 2
    if args.command == "keys":
        return _keys(settings, args)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "serve":
        return _serve(settings)
    from clearinghouse.service.processes import run_relay, run_worker, stop_on_signals

    stop = stop_on_signals()
    if args.command == "relay":
        return run_relay(settings, stop)
    return run_worker(settings, None if args.clearinghouse else args.registry, stop)


def _serve(settings: Any) -> int:
    import uvicorn

    from clearinghouse.api import create_app

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")
    return 0


def _keys(settings: Any, args: argparse.Namespace) -> int:
    from clearinghouse.service.access import AccessApplication, AccessError

    access = AccessApplication(settings.store_config())
    try:
        if args.keys == "create":
            key, secret = access.create_key(args.role, args.label, args.registry)
            data = {**key.describe(), "secret": secret}
            text = (
                f"{secret}\n\nkey {key.id}: {key.role}"
                + (f" of {key.jurisdiction}" if key.jurisdiction else "")
                + f", '{key.label}'. The secret is shown this once; it is stored hashed.\n"
                "Use it as: Authorization: Bearer <secret>"
            )
        elif args.keys == "revoke":
            key = access.revoke_key(args.key_id, args.reason)
            data = key.describe()
            text = f"key {key.id} ({key.label}) revoked at {key.revoked_at}"
        else:
            found = access.api_keys()
            data = [k.describe() for k in found]  # type: ignore[assignment]
            rows = [
                f"{k.id}  {k.role:<17} {k.jurisdiction or '':<9} "
                f"{'revoked ' + (k.revoked_at or '') if not k.active else 'active':<34} {k.label}"
                for k in found
            ]
            text = "\n".join(rows) or "no keys"
    except AccessError as error:
        return fail(str(error))
    finally:
        access.close()
    emit(args, data, text)
    return 0

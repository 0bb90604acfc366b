"""API keys and their roles, and the responses kept for ``Idempotency-Key``.

Both live in an event-sourced application of their own (``ACCESS``), in the
same store as the rest, so creating, using and revoking keys leaves the same
kind of history as everything else.

**Keys.** A key is ``chk_<key id>_<secret>``: the id finds the key's aggregate
in one lookup, the secret is 32 random bytes. Only its SHA-256 digest is
stored. A fast hash is enough because the secret is random, not chosen by a
person: there is no dictionary to try, and 2^256 guesses are out of reach (a
password hash such as bcrypt would cost ~100 ms on every request for nothing).

**Roles** (issue #7, Required 2):

* ``registry_operator`` — one jurisdiction's registry: its accounts, issuance,
  transfers (internal and cross-border from it), surrender, retirement,
  cancellation; reads its own accounts and transactions;
* ``administrator`` — the clearinghouse's parties, registries, linkage
  agreements and authorizations; reads everything, moves no units;
* ``auditor`` — reads everything and runs the audit checks; changes nothing;
* ``negotiator`` — runs simulations and rule-variant comparisons; reads the
  accounting (Article 6 views) and the reference data, not registry accounts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from clearinghouse.participant import UnitOfWork
from clearinghouse.store import StoreConfig
from clearinghouse.units import IDENTIFIER
from projections.holdings import fold
from projections.log import read

Role = Literal["registry_operator", "administrator", "auditor", "negotiator"]
ROLES: tuple[Role, ...] = ("registry_operator", "administrator", "auditor", "negotiator")
KEY_PREFIX = "chk"


class Permission(StrEnum):
    READ_REFERENCE = "read reference data (registries, parties, agreements, authorizations)"
    READ_REGISTRY = "read registry accounts and transactions"
    OPERATE_REGISTRY = "run registry commands (accounts, issuance, transfers, surrender)"
    ADMINISTER = "administer parties, registries, agreements and authorizations"
    READ_ACCOUNTING = "read Article 6 accounting and compare rule variants"
    AUDIT = "run audit checks (verify, trace, reconcile)"
    SIMULATE = "start simulations"
    READ_SIMULATIONS = "read simulations"


P = Permission
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    "registry_operator": frozenset({P.READ_REFERENCE, P.READ_REGISTRY, P.OPERATE_REGISTRY}),
    "administrator": frozenset(
        {P.READ_REFERENCE, P.READ_REGISTRY, P.ADMINISTER, P.READ_ACCOUNTING, P.READ_SIMULATIONS}
    ),
    "auditor": frozenset(
        {P.READ_REFERENCE, P.READ_REGISTRY, P.READ_ACCOUNTING, P.AUDIT, P.READ_SIMULATIONS}
    ),
    "negotiator": frozenset({P.READ_REFERENCE, P.READ_ACCOUNTING, P.SIMULATE, P.READ_SIMULATIONS}),
}


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKey(Aggregate):
    """One API key: who it is for, its role, and (operators) its jurisdiction."""

    @staticmethod
    def create_id(key_id: UUID, **_: Any) -> UUID:
        return key_id  # chosen by the caller, so that the secret can name it

    @event("Created")
    def __init__(
        self,
        key_id: UUID,
        label: str,
        role: str,
        jurisdiction: str | None,
        digest: str,
        created_at: str,
    ) -> None:
        self.label = label
        self.role = role
        self.jurisdiction = jurisdiction
        self.digest = digest
        self.created_at = created_at
        self.revoked_at: str | None = None
        self.revoked_reason: str | None = None

    @event("Revoked")
    def revoke(self, at: str, reason: str) -> None:
        self.revoked_at = at
        self.revoked_reason = reason

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def describe(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "label": self.label,
            "role": self.role,
            "jurisdiction": self.jurisdiction,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
            "revoked_reason": self.revoked_reason,
        }


def response_id(key_id: UUID, idempotency_key: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"clearinghouse:idempotency/{key_id}/{idempotency_key}")


class IdempotentResponse(Aggregate):
    """The first response to a command sent with an ``Idempotency-Key``."""

    @staticmethod
    def create_id(key_id: UUID, idempotency_key: str, **_: Any) -> UUID:
        return response_id(key_id, idempotency_key)

    @event("Recorded")
    def __init__(
        self,
        key_id: UUID,
        idempotency_key: str,
        fingerprint: str,
        request: str,
        status: int,
        body: Any,
    ) -> None:
        self.key_id = key_id
        self.idempotency_key = idempotency_key
        self.fingerprint = fingerprint
        self.request = request
        self.status = status
        self.body = body


@dataclass(frozen=True)
class Principal:
    """Who a request comes from: the key's id, role and (operators) jurisdiction."""

    key_id: UUID
    label: str
    role: Role
    jurisdiction: str | None

    def may(self, permission: Permission) -> bool:
        return permission in PERMISSIONS[self.role]


class AccessError(ValueError):
    """A key command that cannot be carried out (unknown key, bad role)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class AccessApplication(Application[UUID]):
    name = "ACCESS"

    def __init__(self, store: StoreConfig | None = None, env: dict[str, str] | None = None):
        from clearinghouse.service.ddl import creating_tables

        store = store or StoreConfig.memory()
        with creating_tables(store):
            merged = store.env_for(self.name)
            merged.update(env or {})
            super().__init__(env=merged)

    # -- keys ---------------------------------------------------------------------------

    def create_key(
        self, role: str, label: str, jurisdiction: str | None = None
    ) -> tuple[ApiKey, str]:
        """A new key; the secret is returned once and never stored."""
        if role not in ROLES:
            raise AccessError(f"no role {role!r}; roles are {', '.join(ROLES)}")
        if role == "registry_operator" and not jurisdiction:
            raise AccessError("a registry operator's key names its registry (--registry CODE)")
        if role != "registry_operator" and jurisdiction:
            raise AccessError(f"a {role} key is not scoped to a registry")
        if jurisdiction and not IDENTIFIER.fullmatch(jurisdiction):
            raise AccessError(f"{jurisdiction!r} is not a registry code (e.g. KR_ETS)")
        if not label.strip():
            raise AccessError("give the key a label saying whose it is")
        key_id = uuid4()
        secret = f"{KEY_PREFIX}_{key_id.hex}_{secrets.token_urlsafe(32)}"
        key = ApiKey(key_id, label.strip(), role, jurisdiction, digest(secret), _now())
        self.save(key)
        return key, secret

    def revoke_key(self, key_id: UUID | str, reason: str = "revoked") -> ApiKey:
        key = self.key(key_id)
        if key is None:
            raise AccessError(f"no key {key_id}")
        if key.active:
            key.revoke(_now(), reason)
            self.save(key)
        return key

    def key(self, key_id: UUID | str) -> ApiKey | None:
        try:
            found: Aggregate = self.repository.get(UUID(str(key_id)))
        except (AggregateNotFoundError, ValueError):
            return None
        return found if isinstance(found, ApiKey) else None

    def api_keys(self) -> list[ApiKey]:
        return sorted(fold(read(self), ApiKey).values(), key=lambda k: k.created_at)

    def authenticate(self, secret: str) -> Principal | None:
        """The key's principal, or None for a malformed, unknown or revoked key."""
        parts = secret.split("_", 2)  # the random part may itself contain "_"
        if len(parts) != 3 or parts[0] != KEY_PREFIX:
            return None
        key = self.key(parts[1])
        if key is None or not key.active:
            return None
        if not hmac.compare_digest(key.digest, digest(secret)):
            return None
        role: Role = key.role  # type: ignore[assignment]
        return Principal(key.id, key.label, role, key.jurisdiction)

    # -- idempotency ----------------------------------------------------------------------

    def response(self, key_id: UUID, idempotency_key: str) -> IdempotentResponse | None:
        return UnitOfWork(self).get(IdempotentResponse, response_id(key_id, idempotency_key))

    def record_response(
        self,
        key_id: UUID,
        idempotency_key: str,
        fingerprint: str,
        request: str,
        status: int,
        body: Any,
    ) -> IdempotentResponse:
        """Keep the first response; if a concurrent request recorded one first, that
        one is the first and is returned."""
        record = IdempotentResponse(key_id, idempotency_key, fingerprint, request, status, body)
        try:
            self.save(record)
        except IntegrityError:
            found = self.response(key_id, idempotency_key)
            assert found is not None
            return found
        return record

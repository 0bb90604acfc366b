"""Answers about records named by code: Parties, registries, agreements, accounts, …

The routers read and write such records alike: a list skips what is not there,
one record is a 404 when it is missing, and a command that writes a record
once answers 201 the first time and 200 (unchanged) when it is repeated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from clearinghouse.api.errors import ServiceRefused, not_found
from clearinghouse.api.services import Services

R = TypeVar("R")
V = TypeVar("V", bound=BaseModel)


def listed(found: Iterable[R | None], view: Callable[[R], V]) -> list[V]:
    """The views of the records found (a code whose record is missing is skipped)."""
    return [view(record) for record in found if record is not None]


def or_404(found: R | None, what: str, name: str) -> R:
    """What was found, or 404 naming ``what`` and ``name``."""
    if found is None:
        raise not_found(what, name)
    return found


def one(found: R | None, what: str, name: str, view: Callable[[R], V]) -> V:
    """The record's view, or 404 naming ``what`` and ``name``."""
    return view(or_404(found, what, name))


def written(view: BaseModel, existed: bool) -> JSONResponse:
    """201 with the view of the record a command created; 200 when it existed (unchanged)."""
    return JSONResponse(view.model_dump(mode="json"), 200 if existed else 201)


def write_once(
    svc: Services,
    find: Callable[[], R | None],
    conflict: Callable[[R], str | None],
    write: Callable[[], object],
    view: Callable[[R], BaseModel],
) -> JSONResponse:
    """Write a clearinghouse record once, naming it by code.

    ``conflict`` tells why an existing record under the code differs from the
    request (None: the same terms); such a request is refused (SVC-006). The
    same request again writes nothing new and answers 200 with the record.
    """
    existing = find()
    if existing is not None and (reason := conflict(existing)) is not None:
        raise ServiceRefused("SVC-006", reason=reason)
    svc.command(write)
    record = find()
    assert record is not None  # the command wrote it, or it was there
    return written(view(record), existing is not None)

"""The EU and Swiss registries' native commands, validated at the edge with pydantic.

Transfers take an optional time of day: the EU registry's 26-hour delay is
counted in hours (reference/registries-and-reporting.md L42), so a business
date alone is not enough. Without a time a transfer is initiated at the start
of its business date.
"""

from __future__ import annotations

import datetime as dt
from datetime import date

from pydantic import Field

from clearinghouse.commands import Command, CrossBorderTransfer, InternalTransfer
from clearinghouse.messages import AccountId, Identifier, TransactionId


class TimedTransfer(InternalTransfer):
    """An internal transfer; ``time`` is the time of day it is initiated."""

    time: dt.time | None = None


class TimedCrossBorderTransfer(CrossBorderTransfer):
    """A transfer to another registry; ``time`` is the time of day it is initiated."""

    time: dt.time | None = None


class TrustAccount(Command):
    """Put ``trusted_account`` (of ``trusted_registry``, or of this registry when
    omitted) on ``account``'s trusted account list from ``business_date``."""

    account: AccountId
    trusted_account: AccountId
    trusted_registry: Identifier | None = None
    business_date: date


class DistrustAccount(Command):
    """Take an account off ``account``'s trusted account list."""

    account: AccountId
    trusted_account: AccountId
    trusted_registry: Identifier | None = None
    business_date: date


class ExecuteDue(Command):
    """Execute every held-back transfer that is due by ``business_date`` at ``time``
    (the end of that day when omitted): a tick of business time."""

    business_date: date
    time: dt.time | None = None


class CancelTransfer(Command):
    """Cancel a transfer that is still held back; its units are released."""

    transaction_id: TransactionId
    business_date: date
    reason: str = Field(default="cancelled by the account holder", min_length=1)

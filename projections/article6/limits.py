"""Limit usage per linkage agreement, folded through the agreement's own mutators.

Each ``LinkageAgreement`` event (concluded, limits reserved, settled, released)
is applied with the aggregate's own code, as :func:`projections.holdings.fold`
does, so the usage shown is exactly what the clearing checks (QTY-001/002)
counted: settled transfers plus those still pending.
"""

from __future__ import annotations

from typing import Any

from projections.article6.view import Article6View


def limit_usage(view: Article6View) -> dict[str, list[dict[str, Any]]]:
    """``{agreement: [{jurisdiction, flow, period, used, limit}, ...]}``."""
    return {
        agreement.code: agreement.usage()
        for agreement in sorted(view.agreements.values(), key=lambda a: a.code)
    }

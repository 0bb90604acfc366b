"""Japanese fiscal years as business dates.

Japan's fiscal year runs from 1 April to 31 March: FY2010 is 1 Apr 2010 –
31 Mar 2011. The Tokyo and Saitama compliance periods are counted in fiscal
years (reference/northeast-asia.md: "first period FY2010–2014", "second period
FY2015–2019"), so a year in these registries is a fiscal year, and a date is
placed in its fiscal year with :func:`fiscal_year`.
"""

from __future__ import annotations

from datetime import date


def fiscal_year(on: date) -> int:
    """The fiscal year ``on`` falls in (January–March belong to the previous FY)."""
    return on.year if on.month >= 4 else on.year - 1


def fiscal_year_start(fy: int) -> date:
    return date(fy, 4, 1)


def fiscal_year_end(fy: int) -> date:
    return date(fy + 1, 3, 31)

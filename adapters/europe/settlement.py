"""When a transfer across the EU–Swiss link executes: the settlement calendar as data.

Cross-link transfers execute only on predefined dates
(reference/registries-and-reporting.md L42): in 2020 on 28.09, 05.10, 19.10,
02.11, 16.11, 30.11, 07.12, 16.12, 17.12 and 21.12; from 2023 every Tuesday
and Thursday except holidays. The registry link went live on 21 Sep 2020
(same line), so nothing can be initiated across it before then.

The calendar is a value (:class:`SettlementCalendar`): the explicit dates, the
weekly rule and the holidays it skips are all data, and
:meth:`SettlementCalendar.next_on_or_after` is a pure function of it. Two gaps
in the source are filled by stated, configurable assumptions:

* **2021–2022.** The source lists 2020's dates and states the weekly rule
  "from 2023"; it says nothing of the two years between. Default: the weekly
  rule applies from 1 Jan 2021 [assumption: the closest rule the source
  gives; a calendar with ``weekly_from=date(2023, 1, 1)`` and its own list of
  2021–2022 dates reproduces the source literally, see :func:`calendar`].
* **Which holidays.** The source says "except holidays" without a list.
  Default [GK]: the days both registries' markets close — 1 and 2 January,
  Good Friday, Easter Monday, Ascension Day, Whit Monday, 1 May, 1 August
  (Swiss national day), 24–26 and 31 December — written as fixed month-days
  and offsets from Easter Sunday, plus any explicit dates. Only those falling
  on a Tuesday or Thursday change anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

SOURCE = "registries-and-reporting.md L42 (EU–Switzerland link)"

#: the registry link went live on 21 Sep 2020 (L42)
LINK_LIVE = date(2020, 9, 21)
#: the 2020 settlement dates (L42)
DATES_2020 = tuple(
    date(2020, m, d)
    for m, d in (
        (9, 28),
        (10, 5),
        (10, 19),
        (11, 2),
        (11, 16),
        (11, 30),
        (12, 7),
        (12, 16),
        (12, 17),
        (12, 21),
    )
)
TUESDAY, THURSDAY = 1, 3  # date.weekday()
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def easter(year: int) -> date:
    """Easter Sunday in the Gregorian calendar (the Meeus/Jones/Butcher algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday) // 451
    month, day = divmod(h + weekday - 7 * m + 114, 31)
    return date(year, month, day + 1)


@dataclass(frozen=True)
class Holidays:
    """Days on which no settlement happens, as rules: fixed (month, day) pairs,
    offsets in days from Easter Sunday, and explicit dates."""

    fixed: tuple[tuple[int, int], ...] = ()
    easter_offsets: tuple[int, ...] = ()
    dates: tuple[date, ...] = ()

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        if (day.month, day.day) in self.fixed or day in self.dates:
            return True
        sunday = easter(day.year)
        return any(day == sunday + timedelta(days=o) for o in self.easter_offsets)


#: [GK] the days both registries' markets close; see the module docstring
DEFAULT_HOLIDAYS = Holidays(
    fixed=((1, 1), (1, 2), (5, 1), (8, 1), (12, 24), (12, 25), (12, 26), (12, 31)),
    # Good Friday, Easter Monday, Ascension Day, Whit Monday
    easter_offsets=(-2, 1, 39, 50),
)


class NoSettlementDate(ValueError):
    """The calendar has no settlement date on or after the day asked about."""


@dataclass(frozen=True)
class SettlementCalendar:
    """The dates on which transfers across a link execute.

    ``dates`` are explicit settlement dates (2020's list); from ``weekly_from``
    on, every one of ``weekdays`` is a settlement date unless it is one of the
    ``holidays``. Nothing settles before ``live_from``."""

    dates: tuple[date, ...] = DATES_2020
    weekly_from: date | None = date(2021, 1, 1)
    weekdays: tuple[int, ...] = (TUESDAY, THURSDAY)
    holidays: Holidays = field(default_factory=lambda: DEFAULT_HOLIDAYS)
    live_from: date = LINK_LIVE
    source: str = SOURCE

    def is_settlement_date(self, day: date) -> bool:
        if day < self.live_from:
            return False
        if day in self.dates:
            return True
        return (
            self.weekly_from is not None
            and day >= self.weekly_from
            and day.weekday() in self.weekdays
            and day not in self.holidays
        )

    def next_on_or_after(self, day: date) -> date:
        """The first settlement date on or after ``day`` (a transfer initiated on
        ``day`` executes then). Raises :class:`NoSettlementDate` past the last
        listed date when no weekly rule follows."""
        day = max(day, self.live_from)
        listed = [d for d in self.dates if d >= day]
        if self.weekly_from is None:
            if not listed:
                raise NoSettlementDate(f"no settlement date on or after {day}")
            return min(listed)
        candidate = max(day, self.weekly_from)
        # A week holds two settlement days; holidays can take a few: a year is ample.
        for _ in range(366):
            if self.is_settlement_date(candidate):
                break
            candidate += timedelta(days=1)
        else:  # pragma: no cover - only a calendar with no weekdays gets here
            raise NoSettlementDate(f"no weekly settlement date within a year of {day}")
        return min([*listed, candidate])

    def between(self, first: date, last: date) -> list[date]:
        """Every settlement date from ``first`` to ``last`` inclusive."""
        days = []
        day = first
        while day <= last:
            if self.is_settlement_date(day):
                days.append(day)
            day += timedelta(days=1)
        return days

    def describe(self) -> str:
        weekly = (
            f"; from {self.weekly_from} every "
            + " and ".join(WEEKDAY_NAMES[w] for w in self.weekdays)
            + " except holidays"
            if self.weekly_from
            else ""
        )
        listed = ", ".join(d.isoformat() for d in self.dates)
        return f"live from {self.live_from}; dates {listed}{weekly} ({self.source})"


def calendar(
    *,
    weekly_from: date | None = date(2021, 1, 1),
    extra_dates: Iterable[date] = (),
    extra_holidays: Iterable[date] = (),
) -> SettlementCalendar:
    """The EU–Swiss calendar with the choices of the module docstring.

    ``weekly_from=date(2023, 1, 1)`` follows the source's "from 2023" literally;
    give the 2021–2022 dates you know as ``extra_dates`` (without them, a
    transfer initiated after 21 Dec 2020 waits for the first Tuesday of 2023).
    ``extra_holidays`` adds closing days."""
    holidays = DEFAULT_HOLIDAYS
    extra = tuple(extra_holidays)
    if extra:
        holidays = Holidays(holidays.fixed, holidays.easter_offsets, holidays.dates + extra)
    return SettlementCalendar(
        dates=tuple(sorted({*DATES_2020, *extra_dates})),
        weekly_from=weekly_from,
        holidays=holidays,
    )


# -- the EU registry's delay for accounts not on the trusted list -----------------------

#: transfers to accounts not on the trusted list are delayed 26 hours (L42)
UNTRUSTED_DELAY = timedelta(hours=26)


def due_at(
    initiated: datetime,
    *,
    delay: timedelta | None,
    cross_link: SettlementCalendar | None,
) -> datetime:
    """When a transfer initiated at ``initiated`` may execute: after ``delay``
    (the 26 hours for an account not on the trusted list; None: no delay), then,
    across a link with a calendar, not before the next settlement date — at the
    start of that day, or later the same day if the delay ends later."""
    due = initiated + delay if delay is not None else initiated
    if cross_link is None:
        return due
    day = cross_link.next_on_or_after(due.date())
    return max(due, datetime.combine(day, time.min))

"""Window arithmetic: the default window, the window before a window, and windows moved back in time.

Start inclusive, end exclusive; ISO weeks; months clamp the day. A calendar
period gets the calendar period before it, a period so far the same days of the
period before, anything else the same number of days (or whole weeks) before.
Finding a window in a question's words is `assistant.understand.timewords`.

>>> previous_window(default_window(date(2026, 11, 23))).describe()
'the previous 30 days (2026-09-24 to 2026-10-23)'
"""

from __future__ import annotations

import calendar
import re
from dataclasses import replace
from datetime import date, timedelta

from assistant.query.window import Window

DAY = timedelta(days=1)
UNITS = ("day", "week", "month", "quarter", "year")
_MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}
_UNIT_DAYS = {"day": 1, "week": 7, "month": 31, "quarter": 92, "year": 366}
_MONTH_NAMES = "January February March April May June July August September October November December".split()
_TO_DATE = {f"this {u}": u for u in UNITS[1:]}  # and "month to date"
_TO_DATE |= {f"{u} to date": u for u in UNITS[1:]}
_PERIOD_LABELS = [(re.compile(r"Q[1-4] \d{4}"), "quarter"), (re.compile(r"\d{4}"), "year"),
                  (re.compile(rf"(?:{'|'.join(_MONTH_NAMES)}) \d{{4}}"), "month")]  # a named period, maybe in progress


def _add_months(d: date, k: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + k, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def _back(d: date, unit: str, n: int) -> date:
    """`d` moved n units back (forward when n < 0); months clamp the day."""
    return d - n * _UNIT_DAYS[unit] * DAY if unit in ("day", "week") else _add_months(d, -n * _MONTHS_IN[unit])


def _period_start(d: date, unit: str) -> date:
    if unit == "week":
        return d - d.weekday() * DAY
    return date(d.year, 1 if unit == "year" else (d.month - 1) // _MONTHS_IN[unit] * _MONTHS_IN[unit] + 1, 1)


def _recent_date(month: int, day: int, as_of: date) -> date:
    """The latest month/day on or before as_of (Feb 29 looks back to a leap year)."""
    for year in range(as_of.year, as_of.year - 9, -1):
        if day <= calendar.monthrange(year, month)[1] and (d := date(year, month, day)) <= as_of:
            return d
    raise ValueError(f"no {month}/{day}")


def _count_label(unit: str, n: int) -> str:
    return f"the {unit} before" if n == 1 else f"the previous {n} {unit}s"


def _clip(window: Window, as_of: date) -> Window:
    """A named period still in progress ends at as_of + 1 day."""
    return replace(window, end=as_of + DAY) if window.start <= as_of < window.end - DAY else window


def _with_compare(window: Window, other: Window | None) -> Window:
    return replace(window, compare_start=other.start, compare_end=other.end) if other else window


def default_window(as_of: date) -> Window:
    """The window of a question that names no time: the 30 days before as_of.

    >>> default_window(date(2026, 11, 23)).describe()
    'the last 30 days (2026-10-24 to 2026-11-22)'
    """
    return Window("the last 30 days", as_of - 30 * DAY, as_of)


def previous_window(window: Window) -> Window:
    """The window of the same length just before; a calendar period for a calendar period.

    A period so far ("this month", or November while it runs) gets the same days of the period before.

    >>> previous_window(Window("last week", date(2026, 11, 16), date(2026, 11, 23))).describe()
    'the week before (2026-11-09 to 2026-11-15)'
    >>> previous_window(Window("this month", date(2026, 11, 1), date(2026, 11, 24))).describe()
    'the same days of the month before (2026-10-01 to 2026-10-23)'
    >>> previous_window(Window("the last 200 weeks", date(1997, 12, 1), date(2001, 10, 1))).days
    1400
    """
    start, end, label = window.start, window.end, window.label
    days = max((end - start).days, 1)
    unit = _TO_DATE.get(label) or next((u for pattern, u in _PERIOD_LABELS if pattern.fullmatch(label)), None)
    if unit and start == _period_start(start, unit) and end < _back(start, unit, -1):
        before = _back(start, unit, 1)
        return Window(f"the same days of the {unit} before", before, min(before + days * DAY, start))
    # Whole months, unless the words counted days or weeks ("the last 200 weeks" may start on a 1st).
    if start.day == 1 and end.day == 1 and "day" not in label and "week" not in label:
        months = (end.year - start.year) * 12 + end.month - start.month
        if months % 3 == 0 and start.month % 3 == 1 and re.search(r"quarter|\bQ[1-4]\b", label, re.I | re.A):
            unit, n = "quarter", months // 3
        elif months % 12 == 0 and start.month == 1 and not re.search(rf"month|{'|'.join(_MONTH_NAMES)}", label, re.I | re.A):
            unit, n = "year", months // 12
        else:
            unit, n = "month", months
        return Window(_count_label(unit, n), _add_months(start, -months), start)
    unit, n = ("week", days // 7) if start.weekday() == 0 and days % 7 == 0 and "day" not in label else ("day", days)
    return Window(_count_label(unit, n), start - days * DAY, start)


def _shifted(window: Window, mode: str, unit: str, n: int) -> Window:
    """`before`: n units ending where the window starts; `same`: the window moved n units back."""
    if unit == "period":
        return previous_window(window)
    if mode == "before":
        return Window(_count_label(unit, n), _back(window.start, unit, n), window.start)
    start, end = _back(window.start, unit, n), _back(window.end, unit, n)
    return Window(f"the same period {'a' if n == 1 else n} {unit}{'s' * (n > 1)} earlier", start, max(end, start + DAY))


def _unit_window(unit: str | None, as_of: date, trailing: bool) -> Window:
    """The last whole unit ("week over week": last week) or one unit ending at as_of ("is spend up vs last week?")."""
    if unit not in UNITS:
        return default_window(as_of)
    if unit == "day":
        return Window("yesterday", as_of - DAY, as_of)
    if trailing:
        label = {"week": "the last 7 days", "quarter": "the past 3 months"}.get(unit, f"the past {unit}")
        return Window(label, _back(as_of, unit, 1), as_of)
    start = _period_start(as_of, unit)
    return Window(f"last {unit}", _back(start, unit, 1), start)

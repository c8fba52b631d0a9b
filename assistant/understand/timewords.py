"""Time words: the window a question's time phrase names, resolved against `as_of` (DATA-CONTRACT.md).

Start inclusive, end exclusive; ISO weeks. Choices beyond the contract's table:
- "last N weeks / months / quarters / years" are the N previous *full* calendar periods ("last 2 weeks" on a
  Thursday ends last Sunday); "past", "trailing" and "rolling" count back from as_of instead ("past week" = the
  last 7 days, "past 2 weeks" = 14 days, "past month" = from the same day a month before). Days are always rolling.
- A month, quarter, year or date named without a year is the latest one started on or before as_of; a range takes
  its year from its start. A weekday name is the latest such day *before* as_of. A named period still in progress
  ends at as_of + 1 day, like "this month".
- "vs last week" compares like for like: the window before of the same length ("this week vs last week" on a
  Thursday: Monday to Thursday of both); "vs October" compares with October as named. With no other window,
  "vs last week" is the last 7 days against the 7 before, and "week over week" is last week against the one before.
- A grain word alone ("daily spend") is no time phrase: find_time_window returns None.

>>> m = find_time_window("why did inference cost jump last week?", date(2026, 11, 23))
>>> m.window.describe(), m.span
('last week (2026-11-16 to 2026-11-22)', (28, 37))
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace
from datetime import date, datetime

from assistant.query.window import Window
from assistant.understand.windows import (
    _MONTH_NAMES,
    _UNIT_DAYS,
    DAY,
    UNITS,  # noqa: F401 - re-exported: `from assistant.understand.timewords import UNITS`
    _add_months,
    _back,
    _clip,
    _period_start,
    _recent_date,
    _shifted,
    _unit_window,
    _with_compare,
    default_window,
    previous_window,
)

_MONTH_NUMBER = {n[:3].lower(): i for i, n in enumerate(_MONTH_NAMES, 1)}  # by the first three letters
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NUMBERS = dict(zip("one two three four five six seven eight nine ten eleven twelve".split(), range(1, 13)))
_NUMBERS |= {"fourteen": 14, "thirty": 30, "sixty": 60, "ninety": 90, "a": 1, "an": 1}
_COMPARED_AFTER = re.compile(r"\s+(?:vs\.?|versus|compared?|and|to|against)\b")
_NAMED_CONTEXT = {"in", "during", "for", "on", "since", "from", "between", "and", "to", "until", "till", "through",
                  "vs", "versus", "than", "throughout", "last", "this", "with", "against", "compare", "compared"}


@dataclass(frozen=True)
class TimeMatch:
    """The time phrase found in a question: its window, where it is, and what else the words imply."""

    window: Window
    span: tuple[int, int]
    comparison: bool = False
    grain: str | None = None


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    window: Window | None = None  # None for "the week before" (needs another window) and "week over week"
    unit: str | None = None  # calendar unit of a phrase counted from as_of ("last week" -> "week")
    relative: bool = False
    shift: tuple[str, str, int] | None = None  # (mode, unit, n) when the words can mean "before the other window"
    over: str | None = None  # unit of "week over week"
    compare: bool = False  # follows "vs", "compared to", "than"...


# --- phrases: each pattern's handler turns a match into a _Hit (or None) ----------------------------

_NUMWORDS = "|".join(sorted((w for w in _NUMBERS if len(w) > 2), key=len, reverse=True))
_MON = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
        r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
_YEAR = r"(?:19|20)\d\d"
_UNIT_WORDS = r"days?|weeks?|months?|quarters?|years?"


def _date_re(s: str) -> str:
    """A date: 2026-11-03, Nov 3(rd)(, 2026) or 3(rd) (of) Nov(ember) (2026); groups suffixed with `s`."""
    return (
        rf"(?:(?<![\w-])(?P<iy{s}>\d{{4}})[-/](?P<im{s}>\d\d?)[-/](?P<id{s}>\d\d?)(?![\w-])"
        rf"|(?P<am{s}>{_MON})\.?\s+(?P<ad{s}>\d\d?)(?:st|nd|rd|th)?(?!\d)(?:\s*,?\s*(?P<ay{s}>{_YEAR})(?![\w-]))?"
        rf"|(?<![\w.-])(?P<bd{s}>\d\d?)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<bm{s}>{_MON})\.?(?:\s*,?\s*(?P<by{s}>{_YEAR})(?![\w-]))?)"
    )


def _read_date(m: re.Match, s: str) -> tuple[int | None, int, int]:
    if m[f"iy{s}"]:
        return int(m[f"iy{s}"]), int(m[f"im{s}"]), int(m[f"id{s}"])
    p = "a" if m[f"am{s}"] else "b"
    return (int(m[f"{p}y{s}"]) if m[f"{p}y{s}"] else None), _MONTH_NUMBER[m[f"{p}m{s}"][:3].lower()], int(m[f"{p}d{s}"])


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS[word.lower()]


def _unit(word: str) -> str:
    w = word.lower()
    return "month" if w.startswith("mo") else {"d": "day", "w": "week", "q": "quarter", "y": "year", "h": "hour"}[w[0]]


def _word_before(text: str, pos: int) -> str:
    m = re.search(r"(\w+)\W*$", text[max(0, pos - 24) : pos])
    return m.group(1).lower() if m else ""


def _hit(m: re.Match, window: Window | None, **kw) -> _Hit:
    return _Hit(m.start(), m.end(), window, **kw)


def _today(m, a, text):
    back = 2 if m["dby"] else 1 if m["y"] else 0
    label = ("today", "yesterday", "the day before yesterday")[back]
    return _hit(m, Window(label, a - back * DAY, a - (back - 1) * DAY), unit="day", relative=True)


def _latest(m, a, text):
    """'currently', 'right now', 'latest': the last whole day (today is still coming in)."""
    return _hit(m, Window(f"the latest day ({(a - DAY).isoformat()})", a - DAY, a), unit="day", relative=True)


def _relative(m, a, text):
    """last/past/previous/trailing [N] days|weeks|months|quarters|years|hours, L7D."""
    which, n_word = (m["w"] or "").lower(), m.groupdict().get("n")
    n, unit = (_number(n_word) if n_word else 1), _unit(m["u"])
    if not 0 < n * _UNIT_DAYS.get(unit, 1 / 24) <= 36600 or (len(m["u"]) == 1 and not n_word.isdigit()):
        return None  # none, or more than a century
    shift = ("before", unit, n) if which in ("previous", "prior", "preceding") and unit != "hour" else None
    if unit in ("hour", "day"):
        days = -(-n // 24) if unit == "hour" else n
        return _hit(m, Window(f"the last {days} days" if days > 1 else "the last day", a - days * DAY, a), relative=True, shift=shift)
    if which in ("past", "trailing", "rolling", "recent"):
        label = "the last 7 days" if unit == "week" and n == 1 else f"the past {unit}" if n == 1 else f"the past {n} {unit}s"
        return _hit(m, Window(label, _back(a, unit, n), a), relative=True)
    first = _period_start(a, unit)
    label = f"last {unit}" if n == 1 else f"the last {n} {unit}s"
    return _hit(m, Window(label, _back(first, unit, n), first), unit=unit if n == 1 else None, relative=True, shift=shift)


def _to_date(m, a, text):
    """this week/month/quarter/year, month to date, MTD, since the start of the month."""
    unit = (m["u1"] or m["u2"] or m["u3"] or {"w": "week", "m": "month", "q": "quarter", "y": "year"}[m["ab"][0].lower()]).lower()
    label = f"this {unit}" if m["u1"] else f"{unit} to date"
    return _hit(m, Window(label, _period_start(a, unit), a + DAY), unit=unit, relative=True)


def _ago(m, a, text):
    """N days/weeks/months ago, the week before last: a whole calendar unit."""
    unit = m["u"].lower() if m["last"] else _unit(m["u"])
    n = 2 if m["last"] else _number(m["n"])
    label = f"the {unit} before last" if m["last"] else f"{m['n'].lower()} {m['u'].lower()} ago"
    start = _back(a if unit == "day" else _period_start(a, unit), unit, n)
    return _hit(m, Window(label, start, _back(start, unit, -1)), unit=unit, relative=True)


def _weekday(m, a, text):
    if _word_before(text, m.start()) in ("every", "each", "all"):
        return None  # a weekday filter, not a day
    wd, mod = _WEEKDAYS.index(m["wd"].lower()), (m["mod"] or "").lower()
    day = a - (a.weekday() - wd) * DAY if mod == "this" else a - ((a.weekday() - wd) % 7 or 7) * DAY
    return _hit(m, Window(f"{mod} {_WEEKDAYS[wd].title()}".strip(), day, day + DAY))


def _month(m, a, text):
    word, mod = m["mon"].lower(), (m["mod"] or "").lower()
    year = int(m["y"]) if m["y"] else 2000 + int(m["yy"]) if m["yy"] else None
    before = _word_before(text, m.start())
    named = year or mod or m["lead"] or before in _NAMED_CONTEXT
    if word == "may" and not (named or _COMPARED_AFTER.match(text, m.end())):
        return None  # the modal verb, unless a comparison follows ("may vs june")
    if word in ("mar", "march") and not named and before in ("to", "will", "we", "they", "you", "i", "and"):
        return None  # the verb ("we march on")
    month = _MONTH_NUMBER[word[:3]]
    if year is None:
        year = a.year if month < a.month or (month == a.month and mod not in ("last", "previous", "past")) else a.year - 1
    start = date(year, month, 1)
    return _hit(m, _clip(Window(f"{_MONTH_NAMES[month - 1]} {year}", start, _add_months(start, 1)), a))


def _quarter(m, a, text):
    if m["q"] or m["q2"]:
        q = int((m["q"] or m["q2"])[1])
    else:
        q = int(m["ord"][0]) if m["ord"][0].isdigit() else ("first", "second", "third", "fourth").index(m["ord"].lower()) + 1
    year = m["y"] or m["y2"] or m["y3"]
    year = int(year) if year else 2000 + int(m["yy"]) if m["yy"] else None
    if year is None:
        current = (a.month - 1) // 3 + 1
        year = a.year if q < current or (q == current and (m["mod"] or "").lower() not in ("last", "previous")) else a.year - 1
    start = date(year, 3 * q - 2, 1)
    return _hit(m, _clip(Window(f"Q{q} {year}", start, _add_months(start, 3)), a))


def _year(m, a, text):
    """A bare year only with context: in 2025, calendar year 2025, 2025's, since 2025, 2025 vs 2024."""
    if m["lead"] and m["lead"].lower() not in ("in", "during", "for", "throughout"):
        return None
    after = text[m.end() : m.end() + 12].lower().split()
    context = m["cal"] or m["lead"] or m.group().endswith("s") or _word_before(text, m.start()) in _NAMED_CONTEXT
    if not (context or (after and after[0] in ("vs", "versus", "compared"))):
        return None
    y = int(m["y"])
    return _hit(m, _clip(Window(str(y), date(y, 1, 1), date(y + 1, 1, 1)), a))


def _date(m, a, text):
    year, month, day = _read_date(m, "1")
    if m["bd1"] and _word_before(text, m.start()) in ("top", "bottom", "first", "last", "next", "best", "worst"):
        return None
    d = date(year, month, day) if year else _recent_date(month, day, a)
    if m["wk"]:  # the week of Nov 16: the ISO week holding that day
        return _hit(m, Window(f"the week of {d}", d - d.weekday() * DAY, d + (7 - d.weekday()) * DAY))
    return _hit(m, Window(d.isoformat(), d, d + DAY))


def _range(m, a, text):
    """between D1 and D2, from D1 to D2, Nov 1-10, September to November: the end is included."""
    months = "mon1" in m.re.groupindex
    if (m["sep"].lower() == "and" and (m["kw"] or "").lower() != "between") or (months and _COMPARE_VERB.search(text, 0, m.start())):
        return None  # "compare October and November" is two windows
    if months:
        (y1, m1, d1), (y2, m2, d2) = ((int(m[f"y{i}"]) if m[f"y{i}"] else None, _MONTH_NUMBER[m[f"mon{i}"][:3].lower()], 1) for i in "12")
    else:
        y1, m1, d1 = _read_date(m, "1")
        y2, m2, d2 = (y1, m1, int(m["bare"])) if m["bare"] else _read_date(m, "2")
    if y1 or not y2:  # the start decides the year: the latest such day on or before as_of
        start = date(y1, m1, d1) if y1 else _recent_date(m1, d1, a)
        end = date(y2 or start.year, m2, d2)
        end = end.replace(year=end.year + 1) if not y2 and end < start else end
    else:
        end, start = date(y2, m2, d2), date(y2, m1, d1)
        start = start.replace(year=y2 - 1) if start > end else start
    start, last = min(start, end), max(start, end)
    window = _clip(Window("", start, _add_months(last, 1) if months else last + DAY), a)
    if months:
        first = _MONTH_NAMES[start.month - 1] + ("" if start.year == last.year else f" {start.year}")
        return _hit(m, replace(window, label=f"{first} to {_MONTH_NAMES[last.month - 1]} {last.year}"))
    last = window.end - DAY
    return _hit(m, replace(window, label=f"{window.start} to {last}" if last > window.start else str(last)))


def _over(m, a, text):
    if (m["ab"] or "").lower() == "wow" and text[m.end() : m.end() + 1] in ("!", ","):
        return None  # "Wow, spend jumped!"
    unit = m["u"] or {"d": "day", "w": "week", "m": "month", "q": "quarter", "y": "year"}[m["ab"][0].lower()]
    return _hit(m, None, over=unit.lower())


def _shift_spec(m: re.Match) -> tuple[str, str, int]:
    if m["u"]:
        return "before", m["u"].lower(), 1
    if m["u2"]:
        return "before", "period" if m["u2"].lower() == "period" else _unit(m["u2"]), _number(m["n"]) if m["n"] else 1
    if m["u3"]:
        return "same", m["u3"].lower(), 1
    return ("same", _unit(m["u4"]), _number(m["n2"])) if m["u4"] else ("before", "period", 1)


_SHIFT_CORE = (
    r"(?P<u>day|week|month|quarter|year|period)\s+(?:before|prior|earlier)(?!\s+(?:last|yesterday))"
    rf"|(?:previous|prior|preceding)\s+(?:(?P<n>\d{{1,4}}|{_NUMWORDS})\s+)?(?P<u2>{_UNIT_WORDS}|period)"
    r"|(?:one|period)\s+before|before\s+that"
    r"|same\s+(?:period|time|days?|dates?|window|range|week|month|quarter)\s+(?:(?:a|one|the|last|the\s+previous|the\s+prior)\s+)?"
    r"(?P<u3>week|month|quarter|year)(?:\s+(?:before|earlier|ago))?"
    rf"|(?P<n2>\d{{1,4}}|{_NUMWORDS}|a|an)\s+(?P<u4>{_UNIT_WORDS})\s+(?:earlier|before|back)"
)
_LEAD = r"(?:(?P<lead>in|during|for|over|within|across|throughout|of|on)\s+)?(?:the\s+)?"


def _compile(core: str, whole: bool = False) -> re.Pattern:
    """Case-insensitive, ASCII, and with runs of spaces bounded so that no input can make matching slow."""
    pattern = core if whole else rf"\b{_LEAD}(?:{core})(?:['’]s)?(?!\w)"
    return re.compile(pattern.replace(r"\s*", r"\s{0,9}").replace(r"\s+", r"\s{1,9}"), re.I | re.A)


_WHICH = r"(?:this\s+)?(?P<w>last|past|previous|prior|preceding|trailing|rolling|recent|latest)\s+"
_PATTERNS = (
    (_compile(r"(?P<dby>day\s+before\s+)?(?P<y>yesterday)|(?:so\s+far\s+)?today"), _today),
    (_compile(r"currently|right\s+now|as\s+of\s+now|at\s+the\s+moment|at\s+present|presently"
              r"|latest(?!\s+(?:\d|day|week|month|quarter|year|invoice|bill|billing|period|price|prices))"), _latest),
    (_compile(rf"{_WHICH}(?P<n>\d{{1,5}}|{_NUMWORDS})[\s-]*(?P<u>{_UNIT_WORDS}|hours?|hrs?|wks?|mos?|qtrs?|yrs?|d|w|y|h)"), _relative),
    (_compile(rf"{_WHICH}(?P<u>day|week|month|quarter|year)(?!\s+of\b)"), _relative),
    (_compile(r"(?P<w>)l(?P<n>\d{1,3})(?P<u>d)"), _relative),
    (_compile(r"(?:so\s+far\s+)?(?:this|current)\s+(?:calendar\s+)?(?P<u1>week|month|quarter|year)(?:\s+so\s+far|\s+to\s+date)?"
              r"|(?P<u2>week|month|quarter|year)[\s-]+to[\s-]+date|(?P<ab>wtd|mtd|qtd|ytd)"
              r"|since\s+(?:the\s+)?(?:start|beginning)\s+of\s+(?:the\s+|this\s+)?(?P<u3>week|month|quarter|year)"), _to_date),
    (_compile(rf"(?P<last>)(?P<n>\d{{1,4}}|{_NUMWORDS}|a|an)\s+(?P<u>{_UNIT_WORDS})\s+ago"), _ago),
    (_compile(r"(?P<u>week|month|quarter|year)\s+before\s+(?P<last>last)(?:\s+(?:week|month|quarter|year))?"), _ago),
    (_compile(rf"(?:(?P<mod>last|past|previous|this)\s+)?(?P<wd>{'|'.join(_WEEKDAYS)})"), _weekday),
    (_compile(rf"(?:(?P<mod>last|previous|past|this)\s+)?(?P<mon>{_MON})\.?"
              rf"(?:\s*,?\s*(?:of\s+)?(?P<y>{_YEAR})(?![\w-])|\s*['’](?P<yy>\d\d))?"), _month),
    (_compile(rf"(?:(?P<mod>last|previous|this)\s+)?(?:(?P<q>q[1-4])(?:\s*,?\s*(?P<y>{_YEAR})(?![\w-])|\s*['’](?P<yy>\d\d))?"
              rf"|(?P<y2>{_YEAR})[\s-]*(?P<q2>q[1-4])"
              rf"|(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter(?:\s+of)?(?:\s+(?P<y3>{_YEAR}))?)"), _quarter),
    (_compile(rf"(?:(?P<cal>(?:calendar\s+)?year)\s+)?(?<![\w$€£.,/-])(?P<y>{_YEAR})(?![\w%/-]|[.,]\d)"), _year),
    (_compile(rf"(?:(?P<wk>week)\s+(?:of|starting|beginning)\s+)?{_date_re('1')}"), _date),
    (_compile(rf"(?:(?P<kw>between|from)\s+)?(?:the\s+)?{_date_re('1')}\s*(?P<sep>and|to|through|thru|until|till|-|–|—)\s*(?:the\s+)?"
              rf"(?:{_date_re('2')}|(?P<bare>\d\d?)(?:st|nd|rd|th)?(?![\w-]))"), _range),
    (_compile(rf"(?:(?P<kw>between|from)\s+)?(?P<mon1>{_MON})\.?(?:\s*,?\s*(?P<y1>{_YEAR}))?"
              rf"\s*(?P<sep>and|to|through|thru|until|till|-|–|—)\s*(?P<mon2>{_MON})\.?(?:\s*,?\s*(?P<y2>{_YEAR})(?![\w-]))?"), _range),
    (_compile(r"(?P<u>day|week|month|quarter|year)[\s-]+(?:over|on)[\s-]+(?P=u)|(?P<ab>dod|wow|mom|qoq|yoy|d/d|w/w|m/m|q/q|y/y)"), _over),
    (_compile(_SHIFT_CORE), lambda m, a, text: _hit(m, None, shift=_shift_spec(m))),
)
_SHIFT_RE = _compile(_SHIFT_CORE)
_CONNECTOR = _compile(r"\b(?:vs\.?|versus|compared?\s+(?:to|with)|comparing\s+(?:it\s+)?(?:to|with)|in\s+comparison\s+(?:to|with)"
                      r"|relative\s+to|against|than)\s*$", whole=True)
_SINCE = _compile(r"\b(?P<kw>since|starting(?:\s+(?:from|on|in|with))?|beginning|from)\s+$", whole=True)
_RANGE_TAIL = _compile(r"\s*(?:to|through|thru|until|till|and|-)\b", whole=True)
# "compare October and November", "grew the most from October to November": the later window against the earlier.
_COMPARE_VERB = _compile(r"\b(?:compare[ds]?|comparing|comparison|differences?|differ|delta|change[ds]?|grew|grow[ns]?|rose|ris(?:e|en|es)"
                         r"|increased?|decreased?|fell|fall(?:en|s)?|dropped|drops?|declined?|jump(?:ed)?|went (?:up|down)|moved|movers?)\b",
                         whole=True)
_PAIR_GAP = _compile(r"\s*,?\s*(?:and|&|to|with|through|until|till|-|–)?\s*", whole=True)
_JOIN_GAP = _compile(r"[\s,;:()\-–—]*(?:(?:and|to|with|&)\s+)?", whole=True)
_BETWEEN = _compile(r"\b(?:between|from)\s+$", whole=True)
_GRAINS = tuple(
    (_compile(rf"\b(?:{adverb}|{unit}[\s-]+by[\s-]+{unit}|(?:per|by|each|every)\s+(?:{unit}|{extra}))\b", whole=True), unit)
    for adverb, unit, extra in (("hourly", "hour", "hour"), ("daily", "day", "date"), ("weekly", "week", "week"),
                                ("monthly", "month", "month"))
)
_TREND = _compile(r"\b(?:trends?|trending|over\s+time|time[\s-]?series|timeline)\b", whole=True)


# --- finding ----------------------------------------------------------------------------------------


def _hits(text: str, as_of: date) -> list[_Hit]:
    """Every phrase, overlaps resolved for the longest, then marked by what precedes it (since, vs...)."""
    found = []
    for pattern, handler in _PATTERNS:
        for m in pattern.finditer(text):
            try:
                if hit := handler(m, as_of, text):
                    found.append(hit)
            except (ValueError, OverflowError):
                continue
    found.sort(key=lambda h: (h.start - h.end, h.window is None, h.start))
    chosen: list[_Hit] = []  # by start, none overlapping
    for hit in found:
        i = bisect.bisect(chosen, hit.start, key=lambda h: h.start)
        if (i == 0 or chosen[i - 1].end <= hit.start) and (i == len(chosen) or hit.end <= chosen[i].start):
            chosen.insert(i, hit)
    out = []
    for hit in chosen:
        before = text[max(0, hit.start - 40) : hit.start]
        since = _SINCE.search(before) if hit.window else None
        if since and since["kw"].lower() == "from" and (hit.relative or _RANGE_TAIL.match(text, hit.end)):
            since = None  # "from last week" is not "since"; "from October to ..." is a pair
        if since and hit.window is not None:
            window = Window(f"since {hit.window.label}", hit.window.start, max(as_of, hit.window.start) + DAY)
            hit = _Hit(hit.start - len(before) + since.start(), hit.end, window)
        elif (connector := _CONNECTOR.search(before)) and not hit.over:
            hit = replace(hit, start=hit.start - len(before) + connector.start(), compare=True)
        out.append(hit)
    return out


def _compare_window(main: Window, main_unit: str | None, other: _Hit) -> Window:
    """What "vs <phrase>" compares with: like for like when the phrase is the main window's unit."""
    if other.shift:
        mode, unit, n = other.shift
        if mode == "before" and n == 1 and (unit in (main_unit, "period") or main.days == _UNIT_DAYS.get(unit)):
            return previous_window(main)
        return _shifted(main, mode, unit, n)
    assert other.window is not None, "a phrase without a window always has a shift"
    if (other.relative and other.unit and other.unit == main_unit) or other.window.start == main.start:
        return previous_window(main)
    return other.window


def _grain(text: str, window: Window) -> str | None:
    found = [(m.start(), unit) for pattern, unit in _GRAINS if (m := pattern.search(text))]
    if found:
        return min(found)[1]
    return ("day" if window.days <= 93 else "week") if _TREND.search(text) else None


def _join(span: tuple[int, int], others: list[_Hit], text: str) -> tuple[int, int]:
    """Grow the span over the parts that touch it ("last week vs the week before", "last month, MoM")."""
    start, end = span
    for hit in sorted(others, key=lambda h: abs(h.start - start)):
        if hit.start >= end and _JOIN_GAP.fullmatch(text, end, hit.start):
            end = hit.end
        elif hit.end <= start and _JOIN_GAP.fullmatch(text, hit.end, start):
            start = hit.start
    return start, end


def _match(text: str, as_of: date) -> TimeMatch | None:
    hits = _hits(text, as_of)
    mains = [h for h in hits if h.window and not h.compare]
    others = [h for h in hits if h.compare or h.over]
    main = mains[0] if mains else None
    other = next((h for h in hits if h.compare), None)
    over = next((h for h in hits if h.over), None)
    first, second = (mains[0], mains[1]) if len(mains) > 1 else (None, None)
    if other is None and first and second and _PAIR_GAP.fullmatch(text, first.end, second.start):
        one, two = first.window, second.window
        assert one is not None and two is not None  # every main phrase has a window
        lead = _BETWEEN.search(text, max(0, first.start - 12), first.start)
        first = replace(first, start=lead.start()) if lead else first
        if _COMPARE_VERB.search(text):  # "compare October and November": the later one against the earlier
            main, other = (second, first) if two.start > one.start else (first, second)
            others.append(other)
        elif lead:  # "from last week to this week": one window over both
            start, end = min(one.start, two.start), max(one.end, two.end)
            main = _Hit(first.start, second.end, Window(f"{one.label} to {two.label}", start, end))
    grain = None
    window: Window
    compare: Window | None
    if main and main.window:
        window, span = main.window, _join((main.start, main.end), others, text)
        compare = _compare_window(window, main.unit, other) if other else _shifted(window, "same", over.over, 1) if over and over.over else None
        if over and over.over in ("day", "week", "month") and window.days > _UNIT_DAYS[over.over]:
            grain = over.over  # "this year month over month": a monthly series
    elif other:
        span = _join((other.start, other.end), others, text)
        if other.shift and other.shift[0] == "same":
            window = default_window(as_of)
            compare = _shifted(window, *other.shift)
        else:
            window = _unit_window(other.shift[1] if other.shift else other.unit, as_of, trailing=True)
            compare = other.window if other.window and not other.relative else previous_window(window)
    elif over and over.over:
        window, span = _unit_window(over.over, as_of, trailing=False), (over.start, over.end)
        compare = previous_window(window)
    else:
        return None
    return TimeMatch(_with_compare(window, compare), span, bool(other or over), _grain(text, window) or grain)


def find_time_window(text: str, as_of: date) -> TimeMatch | None:
    """The time phrase in `text` resolved against `as_of`; None when there is none (a grain word alone is none).

    The span covers the window phrase and a comparison joined to it ("this week vs last week").

    >>> m = find_time_window("daily GPU cost this week vs last week", date(2026, 11, 26))
    >>> m.window.to_json(), m.comparison, m.grain
    ({'label': 'this week', 'start': '2026-11-23', 'end': '2026-11-27', 'compare_start': '2026-11-16', 'compare_end': '2026-11-20'}, True, 'day')
    >>> find_time_window("top 5 features by p95 latency on gpt-4o", date(2026, 11, 23)) is None
    True
    """
    if not isinstance(text, str) or not isinstance(as_of, date):
        return None
    try:
        return _match(text, as_of.date() if isinstance(as_of, datetime) else as_of)
    except (ValueError, OverflowError):
        return None


def shift_window(window: Window, phrase: str, as_of: date | None = None) -> Window | None:
    """The window a follow-up names: relative to `window` ("the month before?") or to as_of ("same for last month").

    `as_of` defaults to the window's end. After "vs"/"compared to" the window comes back with that compare
    window; a window that had a compare window keeps one (the period before the new window).

    >>> last_week = Window("last week", date(2026, 11, 16), date(2026, 11, 23))
    >>> shift_window(last_week, "and the previous 30 days?").describe()
    'the previous 30 days (2026-10-17 to 2026-11-15)'
    >>> shift_window(last_week, "what about for team cx?") is None
    True
    """
    if not isinstance(window, Window) or not isinstance(phrase, str):
        return None
    try:
        if m := _SHIFT_RE.search(phrase):
            new = _shifted(window, *_shift_spec(m))
            if _CONNECTOR.search(phrase, 0, m.start()):
                return _with_compare(window, new)
        elif found := find_time_window(phrase, as_of or window.end):
            new = found.window
        else:
            return None
        return _with_compare(new, previous_window(new)) if window.compare_start and new.compare_start is None else new
    except (ValueError, OverflowError):
        return None

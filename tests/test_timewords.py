"""Time words, as tables: questions -> windows, windows -> the window before, follow-ups -> new windows.

The tables live in tests/fixtures/timewords.yaml, every expected date worked out by hand. Properties then
check the phrase kinds over a century of as_of dates, and any text at all must not raise.
"""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.query.window import Window
from assistant.understand.timewords import TimeMatch, default_window, find_time_window, previous_window, shift_window

TABLES = yaml.safe_load((Path(__file__).parent / "fixtures" / "timewords.yaml").read_text())
WINDOWS, PREVIOUS, SHIFTS = TABLES["windows"], TABLES["previous"], TABLES["shifts"]
DAY = timedelta(days=1)
AS_OF_DATES = {date(2026, 11, 23), date(2026, 11, 26), date(2026, 3, 1), date(2026, 1, 5), date(2028, 3, 1)}


def window_of(row: dict) -> Window:
    return Window(row.get("label", ""), row["start"], row["end"], row.get("compare_start"), row.get("compare_end"))


def without_span(text: str, match: TimeMatch) -> str:
    rest = text[: match.span[0]] + " " + text[match.span[1] :]
    return re.sub(r"\s+([?.,!])", r"\1", " ".join(rest.split()))


def ids(rows: list[dict], key: str) -> list[str]:
    return [f"{row.get('as_of', '')}:{row[key] or '<empty>'}" for row in rows]


# --- the tables -------------------------------------------------------------------------------------


def test_tables_are_big_enough_and_cover_every_as_of():
    assert len(WINDOWS) >= 80 and len(PREVIOUS) >= 15 and len(SHIFTS) >= 15
    assert {row["as_of"] for row in WINDOWS} == AS_OF_DATES
    assert sum(1 for row in WINDOWS if row.get("none")) >= 10
    assert all(row["start"] < row["end"] for row in WINDOWS if not row.get("none"))
    assert len({(row["text"], row["as_of"]) for row in WINDOWS}) == len(WINDOWS)


@pytest.mark.parametrize("row", WINDOWS, ids=ids(WINDOWS, "text"))
def test_find_time_window(row):
    match = find_time_window(row["text"], row["as_of"])
    if row.get("none"):
        assert match is None, match
        return
    assert match is not None
    window = match.window
    assert (window.start, window.end) == (row["start"], row["end"]), window.describe()
    assert (window.compare_start, window.compare_end) == (row.get("compare_start"), row.get("compare_end"))
    if "label" in row:
        assert window.label == row["label"]
    assert match.comparison == row.get("comparison", "compare_start" in row)
    assert match.grain == row.get("grain")
    if "rest" in row:
        assert without_span(row["text"], match) == row["rest"]


@pytest.mark.parametrize("row", PREVIOUS, ids=[row["window"]["label"] + f"@{row['window']['start']}" for row in PREVIOUS])
def test_previous_window(row):
    assert previous_window(window_of(row["window"])) == window_of(row["expected"])


@pytest.mark.parametrize("row", SHIFTS, ids=[f"{row['window']['label']}:{row['phrase'] or '<empty>'}" for row in SHIFTS])
def test_shift_window(row):
    shifted = shift_window(window_of(row["window"]), row["phrase"], row.get("as_of"))
    if row.get("none"):
        assert shifted is None
        return
    expected = window_of(row["expected"])
    assert shifted is not None
    assert (shifted.start, shifted.end, shifted.compare_start, shifted.compare_end) == (
        expected.start, expected.end, expected.compare_start, expected.compare_end)
    if "label" in row["expected"]:
        assert shifted.label == expected.label


@pytest.mark.parametrize("as_of, start", [(date(2026, 11, 23), date(2026, 10, 24)), (date(2028, 3, 1), date(2028, 1, 31))])
def test_default_window_is_the_30_days_before_as_of(as_of, start):
    assert default_window(as_of) == Window("the last 30 days", start, as_of)


# --- spans ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, phrase",
    [
        ("why did inference cost jump last week?", "last week"),
        ("Top 5 features by cost in the last 30 days, please", "in the last 30 days"),
        ("cost by team this week vs last week", "this week vs last week"),
        ("daily spend during November 2026 for the search feature", "during November 2026"),
        ("spend between 2026-11-01 and 2026-11-10 on gpt-4o", "between 2026-11-01 and 2026-11-10"),
        ("LAST MONTH'S GPU COST", "LAST MONTH'S"),
    ],
)
def test_span_is_the_time_phrase(text, phrase):
    match = find_time_window(text, date(2026, 11, 23))
    assert text[slice(*match.span)] == phrase


def test_describe_states_the_words_and_the_dates():
    match = find_time_window("spend last week", date(2026, 11, 23))
    assert match.window.describe() == "last week (2026-11-16 to 2026-11-22)"


# --- properties -------------------------------------------------------------------------------------

AS_OF = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
SLIDING = ["today", "yesterday", "last {n} days", "past {n} days", "previous {n} days", "past week", "last week",
           "last {n} weeks", "the week before last", "{n} days ago", "{n} weeks ago"]
CALENDAR = ["this week", "this month", "month to date", "MTD", "last month", "last {n} months", "this quarter",
            "last quarter", "this year", "YTD", "last year", "in {month}", "{month} 2049", "Q{q}", "past month",
            "past {n} months", "since {month} 3", "on {month} {day}", "from {month} 1 to {month} {day}", "{n} months ago"]
COMPARED = ["week over week", "day over day", "last {n} days vs the previous {n} days", "yesterday vs the day before",
            "last week compared to the week before"]
MONTHS = ["January", "Feb", "March", "apr", "May", "June", "Jul", "August", "Sept", "Oct", "november", "Dec"]


def phrase(kinds):
    return st.builds(
        lambda template, n, month, q, day: template.format(n=n, month=month, q=q, day=day),
        st.sampled_from(kinds), st.integers(1, 400), st.sampled_from(MONTHS), st.integers(1, 4), st.integers(1, 28),
    )


@settings(max_examples=400, deadline=None)
@given(as_of=AS_OF, text=phrase(SLIDING + CALENDAR + COMPARED))
def test_windows_are_well_formed(as_of, text):
    match = find_time_window(text, as_of)
    assert match is not None, text
    window = match.window
    assert window.start < window.end
    if "2049" not in text:  # a named future month is returned as asked
        assert window.end <= as_of + DAY
    if window.compare_start is not None:
        assert window.compare_start < window.compare_end <= window.start


@settings(max_examples=300, deadline=None)
@given(as_of=AS_OF, text=phrase(COMPARED + ["last {n} days", "last week", "yesterday", "past week", "last {n} weeks"]))
def test_day_and_week_windows_compare_with_the_same_length_just_before(as_of, text):
    window = find_time_window(text, as_of).window
    before = previous_window(window)
    assert (before.end, before.days) == (window.start, window.days)
    if window.compare_start is not None:
        assert (window.compare_end, window.compare_end - window.compare_start) == (window.start, window.end - window.start)


@settings(max_examples=300, deadline=None)
@given(as_of=AS_OF, text=phrase(CALENDAR))
def test_previous_window_ends_where_it_starts_or_before(as_of, text):
    window = find_time_window(text, as_of).window
    before = previous_window(window)
    assert before.start < before.end <= window.start
    if not window.label.startswith(("this ", "month to date", "year to date", "quarter to date")) and window.end <= as_of:
        assert before.end == window.start  # only a period so far is compared with the same days before it


@settings(max_examples=300, deadline=None)
@given(as_of=AS_OF, text=phrase(SLIDING + CALENDAR), follow_up=st.sampled_from(
    ["the week before?", "the month before", "and the previous 30 days?", "what about the year before?", "before that?"]))
def test_shifting_back_lands_before_the_window(as_of, text, follow_up):
    window = find_time_window(text, as_of).window
    shifted = shift_window(window, follow_up)
    assert shifted.start < shifted.end <= window.start


@settings(max_examples=500, deadline=None)
@given(text=st.text(max_size=80) | phrase(SLIDING + CALENDAR + COMPARED).map(lambda p: f"x{p}? 5 {p}"),
       as_of=st.dates() | st.sampled_from([date.min, date.max, date(1, 1, 2), date(9999, 12, 30)]))
def test_any_text_and_any_date_never_raise(text, as_of):
    match = find_time_window(text, as_of)
    if match is not None:
        assert 0 <= match.span[0] < match.span[1] <= len(text)
        assert match.window.start < match.window.end
    shift_window(Window("w", as_of, as_of), text)


FRAGMENTS = (
    "last past previous this the a of in on for since from between and to until vs than compared with day days week weeks "
    "month months quarter year years hours h d 24 7 30 0 1 12 99999 366 ago before earlier back today yesterday Monday "
    "every Jan sepember ſept May March Dec 2025 1999 2026-02-29 2026-13-01 Feb 29 3rd Q4 q5 third WoW wow, MoM y/y "
    "week-over-week daily by per trend over time MTD YTD L7D same period so far start 's ? , - two twelve gpt-4o p95 top ٣ ²"
).split()


@settings(max_examples=500, deadline=None)
@given(words=st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=8),
       as_of=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_time_words_in_any_order_give_well_formed_windows(words, as_of):
    text = " ".join(words)
    match = find_time_window(text, as_of)
    if match is not None:
        assert 0 <= match.span[0] < match.span[1] <= len(text)
        window = match.window
        assert window.start < window.end
        assert window.compare_start is None or window.compare_start < window.compare_end
        before = previous_window(window)
        assert before.start < before.end <= window.start


@pytest.mark.parametrize("bad", [None, 42, b"last week", ["last week"]])
def test_odd_input_returns_none(bad):
    assert find_time_window(bad, date(2026, 11, 23)) is None
    assert find_time_window("last week", bad) is None
    assert shift_window(Window("w", date(2026, 11, 1), date(2026, 11, 2)), bad) is None


def test_fast_enough():
    texts = [row["text"] for row in WINDOWS]
    started = time.perf_counter()
    for _ in range(5):
        for text in texts:
            find_time_window(text, date(2026, 11, 23))
    per_call = (time.perf_counter() - started) / (5 * len(texts))
    assert per_call < 0.001, f"{per_call * 1e6:.0f} µs per call"


@pytest.mark.parametrize("text", ["compare October" + " " * 3000 + "x November", "Nov 3" + " " * 3000 + "x", "nov " * 1000])
def test_long_odd_text_stays_fast(text):
    started = time.perf_counter()
    find_time_window(text, date(2026, 11, 23))
    assert time.perf_counter() - started < 0.5

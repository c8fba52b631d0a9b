"""Anomalous days in daily series: robust weekly baselines, runs of days, and what each run looks like.

`scan` judges every day of every series (rows of an array) against the median
of the same weekday in the previous four weeks, with the MAD of week-over-week
changes as its noise; `runs` joins flagged days into stretches, `classify` names
them (spike, level shift, creep, new, removed), `slow_creep` catches a rise too
slow for any single day, and `detect` does all of it for one dollar series.
Nothing here reads the warehouse; `assistant.analysis.anomalies` does, and merges series.

>>> week = [100, 100, 100, 100, 100, 40, 40]
>>> [(a.kind, a.start.isoformat(), a.impact_usd) for a in detect(week * 4 + [100, 400, 100], date(2026, 3, 2),
...                                                                min_usd=50, min_pct=25)]
[('spike', '2026-03-31', 300.0)]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import ArrayLike

WEEKS, MIN_WEEKS = 4, 3  # same-weekday history behind an expected value; judged from 3 weeks on
HISTORY_DAYS = 7 * WEEKS
Z_MIN, Z_MIN_UNPRICED = 3.5, 5.0  # robust z for dollar series, and for requests and error rate
GAP_DAYS = 2  # runs of one series this close together are one anomaly
CREEP_DAYS, CREEP_BASE_DAYS = 14, 28
KINDS = ("spike", "level_shift", "creep", "new", "removed")


@dataclass(frozen=True)
class RootCause:
    dimension: str
    value: str | None
    impact_usd: float


@dataclass(frozen=True)
class Anomaly:
    metric: str
    dimension: str
    value: str | None
    start: date
    end: date  # exclusive
    expected: float  # total over [start, end); for error_rate, the rate over those days
    actual: float
    impact_usd: float  # for requests and error rate: the excess priced at the series' cost per request
    impact_pct: float  # of expected; 100 for new cost
    score: float  # the largest robust z of its days, capped at 100
    kind: str
    root_causes: tuple[RootCause, ...] = ()
    cause: str | None = None  # the drivers' factor that moved it most (tokens_per_request, model_mix, ...)
    factors: tuple[tuple[str, float], ...] = ()  # (factor, dollars) of the change, largest first


@dataclass(frozen=True)
class Scan:
    """Per series and day: the expected value, the robust z, and whether the day is anomalous."""

    expected: np.ndarray
    z: np.ndarray
    flagged: np.ndarray


def scan(x: ArrayLike, *, min_abs: float, min_pct: float, z_min: float = Z_MIN,
         weights: np.ndarray | None = None) -> Scan:
    """Judge every day of every row of `x` (series x days; NaN = no data) against its weekly history.

    A day must be off by `z_min` robust z, `min_pct` percent and `min_abs`; the
    days after it stay anomalous while off the same way by half as much. Three
    or more days in a row off the same way by `min_pct`, `min_abs` and half of
    `z_min` are anomalous together when their combined z reaches `z_min` (a
    shift too small for one day to show). `weights` (request counts) make `x` a
    rate whose noise is at least binomial.

    >>> week = [100, 100, 100, 100, 100, 40, 40]
    >>> s = scan(np.array([week * 4 + [100, 400, 100]], float), min_abs=50, min_pct=25)
    >>> np.flatnonzero(s.flagged[0]).tolist(), float(s.expected[0, 29])
    ([29], 100.0)
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    clean, expected = x.copy(), np.full_like(x, np.nan)
    z, flagged = np.zeros_like(x), np.zeros(x.shape, dtype=bool)
    state, streak, streak_z = np.zeros(len(x)), np.zeros(len(x), dtype=int), np.zeros(len(x))
    for t in range(7 * MIN_WEEKS, x.shape[1]):
        history = clean[:, [t - 7 * k for k in range(1, WEEKS + 1) if t - 7 * k >= 0]]
        known = np.isfinite(history).sum(axis=1) >= MIN_WEEKS
        with np.errstate(all="ignore"):
            e = np.where(known, _median(history), np.nan)
            lo = max(7, t - HISTORY_DAYS)
            diffs = clean[:, lo:t] - clean[:, lo - 7:t - 7]
            mad = _median(np.abs(diffs - _median(diffs)[:, None]))
            few = np.isfinite(diffs).sum(axis=1) < 14  # too little history to trust the MAD alone
            floor = np.where(few, 0.05, 0.01) * np.abs(e)
            if weights is not None:
                floor = np.maximum(floor, np.sqrt(np.clip(e * (1 - e), 1e-6, None) / np.maximum(weights[:, t], 1)))
            # The noise of a day, from week-over-week changes, plus that of a median of k same weekdays.
            weeks = np.isfinite(history).sum(axis=1)
            sigma = np.nan_to_num(mad) * 1.4826 / np.sqrt(2) * np.sqrt(1 + np.pi / 2 / np.maximum(weeks, 1))
            scale = np.maximum(sigma, np.nan_to_num(floor))
            dev = x[:, t] - e
            zt = np.where(scale > 0, np.abs(dev) / scale, np.where(dev != 0, np.inf, 0.0))
            pct = np.where(e != 0, np.abs(dev / e), np.where(dev != 0, np.inf, 0.0)) * 100
        ok = np.isfinite(dev)
        strict = ok & (zt >= z_min) & (pct >= min_pct) & (np.abs(dev) >= min_abs)
        lenient = ok & (state != 0) & (np.sign(dev) == state) & (zt >= z_min / 2) & (pct >= min_pct / 2)
        flag = strict | lenient
        sign = np.sign(np.nan_to_num(dev))
        weak = ok & (zt >= z_min / 2) & (pct >= min_pct) & (np.abs(dev) >= min_abs)
        same = weak & (streak > 0) & (sign == np.sign(x[:, t - 1] - expected[:, t - 1]))
        streak, streak_z = np.where(same, streak + 1, weak * 1), np.where(same, streak_z + zt, np.where(weak, zt, 0.0))
        expected[:, t], z[:, t] = e, np.where(ok, zt, 0.0)
        for r in np.flatnonzero(~flag & (streak >= 3) & (streak_z / np.sqrt(np.maximum(streak, 1)) >= z_min)):
            days = slice(t - streak[r] + 1, t + 1)
            flagged[r, days], clean[r, days] = True, expected[r, days]
            flag[r] = True
        state = np.where(flag, sign, 0.0)
        flagged[:, t] |= flag
        clean[flag, t] = e[flag]
    return Scan(expected, z, flagged)


def _median(a: np.ndarray) -> np.ndarray:
    """Median of each row, NaNs ignored (NaN for a row without values); numpy's nanmedian is slow.

    >>> _median(np.array([[1, 3, np.nan], [np.nan, np.nan, np.nan], [4, 1, 2]])).tolist()
    [2.0, nan, 2.0]
    """
    ordered = np.sort(a, axis=1)  # NaNs last
    count = np.isfinite(a).sum(axis=1)
    rows = np.arange(len(a))
    low, high = ordered[rows, np.maximum((count - 1) // 2, 0)], ordered[rows, np.maximum(count // 2, 0)]
    return np.where(count > 0, (low + high) / 2, np.nan)


def runs(flags: np.ndarray, signs: np.ndarray, gap: int = GAP_DAYS) -> list[tuple[int, int]]:
    """[start, end) of the stretches of flagged days of one sign, `gap` days or less apart joined.

    >>> runs(np.array([0, 1, 1, 0, 1, 1, 0, 0, 0, 1], bool), np.array([1, 1, 1, 1, 1, -1, 1, 1, 1, 1.0]))
    [(1, 5), (5, 6), (9, 10)]
    """
    out: list[tuple[int, int]] = []
    for t in np.flatnonzero(flags):
        if out and signs[out[-1][0]] == signs[t] and t - out[-1][1] <= gap and (
                out[-1][1] == t or not np.any(flags[out[-1][1]:t])):
            out[-1] = (out[-1][0], int(t) + 1)
        else:
            out.append((int(t), int(t) + 1))
    return out


def classify(actual: np.ndarray, expected: np.ndarray) -> str:
    """What a run of anomalous days looks like: spike, level_shift, creep, new or removed.

    >>> classify(np.array([0, 0, 90, 95.0]), np.zeros(4)), classify(np.array([150, 160.0]), np.array([100, 100.0]))
    ('new', 'spike')
    """
    total, base = float(np.nansum(actual)), float(np.nansum(expected))
    if total > base and base <= 0.05 * total:
        return "new"
    if total < base and total <= 0.05 * base:
        return "removed"
    if len(actual) <= 3:
        return "spike"
    with np.errstate(all="ignore"):
        ratio = actual / np.where(expected > 0, expected, np.nan)
    ratio = ratio[np.isfinite(ratio)]
    if len(ratio) >= 7 and np.ptp(ratio):
        t = np.arange(len(ratio), dtype=float)
        slope, at0 = np.polyfit(t, ratio, 1)
        line = float(np.sum((ratio - at0 - slope * t) ** 2))
        step = min(np.sum((ratio[:k] - ratio[:k].mean()) ** 2) + np.sum((ratio[k:] - ratio[k:].mean()) ** 2)
                   for k in range(1, len(ratio)))  # the best single step
        level = abs(float(ratio.mean()) - 1)
        if np.corrcoef(t, ratio)[0, 1] * np.sign(slope) >= 0.6 and abs(slope) * t[-1] >= level / 2 and line < step:
            return "creep"
    return "level_shift"


def slow_creep(x: np.ndarray, min_abs: float, min_pct: float) -> tuple[float, float, float] | None:
    """(expected, actual, z) of the last 14 days against the same weekdays of the 28 before, if it crept up.

    >>> rising = 100 * 1.012 ** np.arange(42)
    >>> expected, actual, z = slow_creep(rising, 20, 25)
    >>> round(actual / expected, 2)
    1.28
    """
    tail = np.asarray(x[-CREEP_DAYS - CREEP_BASE_DAYS:], dtype=float)
    if len(tail) < CREEP_DAYS + CREEP_BASE_DAYS or not np.all(np.isfinite(tail)):
        return None
    weeks = tail[:CREEP_BASE_DAYS].reshape(4, 7)
    expected, actual = 2 * float(weeks.mean(axis=0).sum()), float(tail[CREEP_BASE_DAYS:].sum())
    weekly = tail.reshape(6, 7).sum(axis=1)
    steady = np.all(np.diff(weekly) > 0) or (np.ptp(weekly) and np.corrcoef(np.arange(6), weekly)[0, 1] >= 0.95)
    noise = float(weeks.std(axis=0).mean()) + 0.01 * float(weeks.mean())
    z = (actual - expected) / (noise * np.sqrt(CREEP_DAYS)) if noise > 0 else np.inf
    if (steady and expected > 0 and actual - expected >= min_abs * CREEP_DAYS
            and (actual / expected - 1) * 100 >= min_pct and z >= Z_MIN):
        return expected, actual, float(z)
    return None


@dataclass(frozen=True)
class _Run:
    a: int
    b: int
    kind: str
    expected: float
    actual: float
    score: float


def series_runs(x: np.ndarray, e: np.ndarray, z: np.ndarray, flags: np.ndarray, min_abs: float, min_pct: float,
                creep: bool = True) -> list[_Run]:
    """The anomalies of one scanned series, as day ranges with their kind and totals."""
    out = []
    for a, b in runs(flags, np.sign(np.nan_to_num(x - e))):
        kind = classify(x[a:b], e[a:b])
        if kind == "creep":  # it began before it crossed the thresholds: take in the days already rising
            while a > 0 and np.isfinite(e[a - 1]) and x[a - 1] > e[a - 1] and z[a - 1] >= 1:
                a -= 1
        out.append(_Run(int(a), int(b), kind, float(np.nansum(e[a:b])), float(np.nansum(x[a:b])),
                        float(min(np.max(z[a:b]), 100.0))))
    recent = len(x) - CREEP_DAYS
    if creep and not any(run.b > recent for run in out):
        crept = slow_creep(x, min_abs, min_pct)
        if crept:
            out.append(_Run(recent, len(x), "creep", crept[0], crept[1], min(crept[2], 100.0)))
    return out


def detect(values: ArrayLike, first_day: date, *, min_usd: float, min_pct: float, metric: str = "cost",
           dimension: str = "series", value: str | None = None) -> list[Anomaly]:
    """The anomalies of one daily dollar series whose first value is `first_day` (no root causes)."""
    x = np.asarray(values, dtype=float)[None, :]
    s = scan(x, min_abs=min_usd, min_pct=min_pct)
    return [_anomaly(metric, dimension, value, first_day, run, 1.0)
            for run in series_runs(x[0], s.expected[0], s.z[0], s.flagged[0], min_usd, min_pct)]


def _anomaly(metric: str, dimension: str, value: str | None, first_day: date, run: _Run, usd_per_unit: float) -> Anomaly:
    impact = run.actual - run.expected
    pct = 100.0 * impact / run.expected if run.expected > 0 else 100.0
    return Anomaly(metric, dimension, value, first_day + timedelta(days=run.a), first_day + timedelta(days=run.b),
                   round(run.expected, 6), round(run.actual, 6), round(impact * usd_per_unit, 2), round(pct, 1),
                   round(run.score, 1), run.kind)

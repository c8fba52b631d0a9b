"""How much LLM traffic happens when: the per-day plan the request generator follows.

Volume has a slow growth trend (~0.35%/day, damped for ranges over a year), weekly seasonality (weekdays busier
than weekends), day-to-day noise and a daily cycle peaking in US business hours.
Volume is counted in user actions: one LLM call each, except for the agents,
whose actions make several calls (turns), every call retried on failure. Each
day's plan also carries the incidents active that day: the prompt growth
factor, the retry storm's failure rate and the summarize model switch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from warehouse.demo.catalog import (
    FEATURE_INDEX,
    FEATURES,
    MODEL_INDEX,
    MODEL_SWITCH_FEATURE,
    MODEL_SWITCH_TO,
    PROMPT_GROWTH_FACTOR,
    PROMPT_GROWTH_FEATURE,
    RETRY_STORM_FAIL_RATE,
    RETRY_STORM_FEATURE,
)
from warehouse.demo.incidents import IncidentSchedule
from warehouse.demo.prices import price_matrix

GROWTH_PER_DAY = 0.0035
WEEKDAY_FACTOR = (1.00, 1.04, 1.05, 1.03, 0.95, 0.62, 0.58)
DAY_NOISE_SIGMA = 0.05
SHARE_NOISE_SIGMA = 0.04

# Relative request rate per UTC hour: US-heavy product, busiest 15:00-21:00 UTC.
HOUR_WEIGHTS = np.array(
    [0.70, 0.60, 0.50, 0.42, 0.36, 0.33, 0.32, 0.34, 0.40, 0.50, 0.62, 0.75,
     0.88, 1.00, 1.12, 1.22, 1.28, 1.30, 1.28, 1.22, 1.12, 1.00, 0.90, 0.80]
)
# First attempts start no later than 23:55 so their retries stay inside the day.
LAST_START_SECOND = 86_100
HOUR_KNOTS = np.linspace(0.0, LAST_START_SECOND, 25)
HOUR_CDF = np.concatenate([[0.0], np.cumsum(HOUR_WEIGHTS) / HOUR_WEIGHTS.sum()])

# Share of failures that are (error, timeout, rate_limited).
FAIL_KINDS = (0.40, 0.25, 0.35)
STORM_FAIL_KINDS = (0.12, 0.08, 0.80)

# An agent stops after this many LLM calls whatever happens (its step limit).
MAX_TURNS = 12


def expected_turns(turns_mean: float) -> float:
    """Mean calls per action when turns are 1 + Poisson(turns_mean - 1), capped at MAX_TURNS."""
    lam = max(turns_mean - 1.0, 0.0)
    if lam == 0.0:
        return 1.0
    pmf = [math.exp(-lam + k * math.log(lam) - math.lgamma(k + 1)) for k in range(MAX_TURNS)]
    return 1.0 + sum(min(k, MAX_TURNS - 1) * p for k, p in enumerate(pmf)) + (MAX_TURNS - 1) * (1 - sum(pmf))


TURN_LAMBDA = np.array([max(f.turns_mean - 1.0, 0.0) for f in FEATURES])
TURNS = np.array([expected_turns(f.turns_mean) for f in FEATURES])


@dataclass(frozen=True)
class DayPlan:
    """Everything the request generator needs for one day; arrays are per feature."""

    day: date
    index: int
    actions: int
    shares: np.ndarray  # of actions
    model: np.ndarray
    baseline_model: np.ndarray
    alt_model: np.ndarray
    alt_share: np.ndarray
    input_factor: np.ndarray
    fail_rate: np.ndarray
    fail_kinds: np.ndarray
    prices: np.ndarray

    @property
    def rows_per_action(self) -> float:
        return float(self.shares @ (TURNS * retry_multiplier(self.fail_rate)))


def daily_growth(rate: float, days: int) -> float:
    """`rate` per day, damped for ranges over a year so a decade does not compound absurdly."""
    return rate * min(1.0, 365 / days)


def retry_multiplier(fail_rate: np.ndarray | float) -> np.ndarray:
    """Expected rows per first attempt when failures are retried up to attempt 4."""
    p = np.asarray(fail_rate, dtype=np.float64)
    return 1 + p + p**2 + p**3


def plan_days(schedule: IncidentSchedule, rows: int, seed: int) -> tuple[DayPlan, ...]:
    """One plan per day, sized so the whole range has about `rows` rows."""
    days = (schedule.end - schedule.start).days
    rng = np.random.default_rng([seed, 1])
    day_noise = rng.lognormal(0.0, DAY_NOISE_SIGMA, size=days)
    share_noise = rng.lognormal(0.0, SHARE_NOISE_SIGMA, size=(days, len(FEATURES)))
    dates = [schedule.start + timedelta(days=i) for i in range(days)]
    weights = np.array(
        [(1 + daily_growth(GROWTH_PER_DAY, days)) ** i * WEEKDAY_FACTOR[d.weekday()] for i, d in enumerate(dates)]
    ) * day_noise
    row_budget = rows * weights / weights.sum()

    base_shares = np.array([f.share for f in FEATURES])
    main_model = np.array([MODEL_INDEX[f.model] for f in FEATURES])
    alt_model = np.array([MODEL_INDEX[f.alt_model or f.model] for f in FEATURES])
    alt_share = np.array([f.alt_share for f in FEATURES])
    base_fail = np.array([f.fail_rate for f in FEATURES])
    growth, storm, switch = (FEATURE_INDEX[name] for name in
                             (PROMPT_GROWTH_FEATURE, RETRY_STORM_FEATURE, MODEL_SWITCH_FEATURE))

    plans = []
    expected_total = 0.0
    allocated = 0
    for i, day in enumerate(dates):
        shares = base_shares * share_noise[i]
        shares /= shares.sum()
        model = main_model.copy()
        if day >= schedule.model_switch:
            model[switch] = MODEL_INDEX[MODEL_SWITCH_TO]
        factor = np.ones(len(FEATURES))
        if day >= schedule.prompt_growth:
            factor[growth] = PROMPT_GROWTH_FACTOR
        fail = base_fail.copy()
        kinds = np.tile(FAIL_KINDS, (len(FEATURES), 1))
        if schedule.retry_storm <= day < schedule.retry_storm_end:
            fail[storm] = RETRY_STORM_FAIL_RATE
            kinds[storm] = STORM_FAIL_KINDS
        # Cumulative rounding: totals stay exact even below one request per day.
        expected_total += row_budget[i] / float(shares @ (TURNS * retry_multiplier(fail)))
        actions = round(expected_total) - allocated
        allocated += actions
        plans.append(DayPlan(
            day=day, index=i, actions=actions,
            shares=shares, model=model, baseline_model=main_model, alt_model=alt_model,
            alt_share=alt_share, input_factor=factor, fail_rate=fail, fail_kinds=kinds,
            prices=price_matrix(day, schedule),
        ))
    return tuple(plans)

"""Running totals kept while the tables stream out: per month and per incident.

Budgets are set from these monthly actuals, and incidents.json reports the
incident cost deltas measured here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from warehouse.demo.catalog import ENVIRONMENTS, FEATURES, MODELS
from warehouse.demo.focus import month_bounds
from warehouse.demo.llm_requests import ChunkStats


@dataclass
class MonthTotals:
    """Actual spend of one calendar month (only the days inside the range)."""

    month: date
    days: int = 0
    cost: float = 0.0
    cost_by_service: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    inference_by_team: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    inference_by_feature: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    gpu_by_team: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    gpu_cost: float = 0.0

    @property
    def days_in_month(self) -> int:
        start, end = month_bounds(self.month)
        return (end - start).days

    def run_rate(self, value: float) -> float:
        """`value` scaled to the whole month."""
        return value / max(self.days, 1) * self.days_in_month


class Ledger:
    """Accumulates monthly actuals and incident deltas during generation."""

    def __init__(self) -> None:
        self.months: dict[date, MonthTotals] = {}
        self.impacts: dict[str, float] = defaultdict(float)
        self.null_cost_rows = 0

    def month(self, day: date) -> MonthTotals:
        key = day.replace(day=1)
        if key not in self.months:
            self.months[key] = MonthTotals(key)
        return self.months[key]

    def add_day(self, day: date) -> None:
        self.month(day).days += 1

    def add_llm(self, day: date, stats: ChunkStats) -> None:
        month = self.month(day)
        by_feature = stats.cost.sum(axis=(1, 2))
        for feature, cost in zip(FEATURES, by_feature):
            month.inference_by_team[feature.team] += float(cost)
            month.inference_by_feature[feature.name] += float(cost)
        self.null_cost_rows += stats.null_cost_rows
        self.impacts["prompt_growth"] += stats.prompt_growth_usd
        self.impacts["model_switch"] += stats.model_switch_usd
        self.impacts["retry_storm"] += stats.retry_storm_usd

    def add_gpu(self, day: date, team_cost: dict[str, float], idle_extra: float) -> None:
        month = self.month(day)
        for team, cost in team_cost.items():
            month.gpu_by_team[team] += cost
            month.gpu_cost += cost
        self.impacts["idle_gpu"] += idle_extra

    def add_billing(self, day: date, service_cost: dict[str, float], impacts: dict[str, float]) -> None:
        month = self.month(day)
        for service, cost in service_cost.items():
            month.cost_by_service[service] += cost
            month.cost += cost
        for name, delta in impacts.items():
            self.impacts[name] += delta


def sum_stats(stats: list[ChunkStats]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cost, token and request cubes of one day's chunks (zeros for a day without requests)."""
    empty = np.zeros((len(FEATURES), len(MODELS), len(ENVIRONMENTS)))
    return (sum((s.cost for s in stats), empty), sum((s.tokens for s in stats), empty),
            sum((s.requests for s in stats), empty.astype(np.int64)))

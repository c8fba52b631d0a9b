"""The planted incidents: when each happens, and the record the assistant must find.

Dates are placed relative to `end` (exclusive). The default offsets fit a
90-day range; shorter ranges compress them proportionally so every incident
still falls inside. The prompt growth always starts on the Monday of the last
full ISO week, so "last week vs the week before" shows it.

>>> s = schedule_incidents(date(2026, 8, 25), date(2026, 11, 23))
>>> s.prompt_growth.isoformat(), s.model_switch.isoformat()
('2026-11-16', '2026-11-11')
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from warehouse.demo.catalog import (
    IDLE_CANARY_NODE,
    IDLE_UNALLOCATED_NODES,
    MODEL_SWITCH_FEATURE,
    PROMPT_GROWTH_FEATURE,
    UNIT_COST_CEILINGS,
)

# Days before `end` at which each event starts, for ranges of 66 days or more.
_OFFSETS = {
    "vector_index_growth": 60,
    "logging_creep": 45,
    "data_transfer_spike": 40,
    "price_change": 35,
    "idle_gpu": 25,
    "retry_storm": 21,
    "model_switch": 12,
}
_FULL_SCALE_DAYS = 66


@dataclass(frozen=True)
class IncidentSchedule:
    """Start (and for the short ones, end) dates of every planted event."""

    start: date
    end: date
    prompt_growth: date
    retry_storm: date
    retry_storm_end: date
    model_switch: date
    idle_gpu: date
    data_transfer_spike: date
    data_transfer_spike_end: date
    logging_creep: date
    vector_index_growth: date
    price_change: date
    budget_month: date

    def day_index(self, day: date) -> int:
        return (day - self.start).days


def last_full_week(end: date) -> date:
    """Monday of the latest ISO week that ends before `end` (exclusive)."""
    last = end - timedelta(days=7)
    return last - timedelta(days=last.weekday())


def schedule_incidents(start: date, end: date) -> IncidentSchedule:
    """Place every incident inside [start, end)."""
    days = (end - start).days
    scale = min(1.0, (days - 3) / (_FULL_SCALE_DAYS - 3))

    def at(name: str) -> date:
        offset = max(2, min(days - 1, round(_OFFSETS[name] * scale)))
        return end - timedelta(days=offset)

    storm = at("retry_storm")
    spike = at("data_transfer_spike")
    last_day = end - timedelta(days=1)
    return IncidentSchedule(
        start=start,
        end=end,
        prompt_growth=max(start, last_full_week(end)),
        retry_storm=storm,
        retry_storm_end=min(end, storm + timedelta(days=2)),
        model_switch=at("model_switch"),
        idle_gpu=at("idle_gpu"),
        data_transfer_spike=spike,
        data_transfer_spike_end=min(end, spike + timedelta(days=2)),
        logging_creep=at("logging_creep"),
        vector_index_growth=at("vector_index_growth"),
        price_change=at("price_change"),
        budget_month=last_day.replace(day=1),
    )


@dataclass(frozen=True)
class Incident:
    """One planted incident as incidents.json lists it (`end` is exclusive)."""

    id: str
    kind: str
    table: str
    metric: str
    dimension: str
    value: str
    start: str
    end: str
    factor: str
    description: str
    expected_impact_usd: float


def incident_records(
    schedule: IncidentSchedule, impacts: dict[str, float], budget: dict[str, float]
) -> tuple[Incident, ...]:
    """The incidents.json entries, with the impact estimates measured while generating."""
    s = schedule
    end = s.end.isoformat()
    growth_ceiling = UNIT_COST_CEILINGS[PROMPT_GROWTH_FEATURE]
    switch_ceiling = UNIT_COST_CEILINGS[MODEL_SWITCH_FEATURE]

    def record(id_: str, table: str, metric: str, dimension: str, value: str, start: date,
               stop: str, factor: str, description: str, impact: float) -> Incident:
        return Incident(id_, id_, table, metric, dimension, value, start.isoformat(), stop, factor,
                        description, round(impact, 2))

    return (
        record("prompt_growth", "llm_requests", "inference_cost", "feature", "document-analysis",
               s.prompt_growth, end, "tokens_per_request",
               "document-analysis started sending ~2.4x more input tokens per request "
               "(retrieved context grew from ~3.1k to ~7.4k tokens) and stayed there; this is the "
               "main reason inference cost rose in the last full week vs the week before, and its "
               f"cost per request now exceeds the feature's ${growth_ceiling:g} max_cost_per_request_usd.",
               impacts.get("prompt_growth", 0.0)),
        record("retry_storm", "llm_requests", "retry_cost", "feature", "support-chat",
               s.retry_storm, s.retry_storm_end.isoformat(), "error_rate",
               "support-chat hit provider rate limits: ~30% of calls failed (mostly rate_limited) "
               "and were retried up to attempt 4, so retry cost spiked for two days.",
               impacts.get("retry_storm", 0.0)),
        record("model_switch", "llm_requests", "inference_cost", "feature", "summarize",
               s.model_switch, end, "model_mix",
               "summarize moved from gpt-4o-mini to gpt-4o (about 16x the price per token) and "
               f"stayed there; its cost per request exceeds the ${switch_ceiling:g} max_cost_per_request_usd.",
               impacts.get("model_switch", 0.0)),
        record("idle_gpu", "gpu_usage", "idle_gpu_cost", "cluster", "gpu-batch-us-west",
               s.idle_gpu, end, "gpu_utilization",
               f"After a rollout, {' and '.join(IDLE_UNALLOCATED_NODES)} stayed up with no deployment "
               f"(utilization ~1%) and {IDLE_CANARY_NODE} kept serving a forgotten v2 canary at 3-8% "
               "utilization; idle GPU cost jumped.",
               impacts.get("idle_gpu", 0.0)),
        record("data_transfer_spike", "billing", "cost", "service", "AWS Data Transfer",
               s.data_transfer_spike, s.data_transfer_spike_end.isoformat(), "usage_quantity",
               "Internet egress from us-west-2 in account acme-data jumped 6-9x for two days "
               "(a bulk export left the region).",
               impacts.get("data_transfer_spike", 0.0)),
        record("logging_creep", "billing", "cost", "service", "Amazon CloudWatch",
               s.logging_creep, end, "usage_quantity",
               "CloudWatch Logs ingestion grows ~3% per day, compounding, since debug logging "
               "was left on.",
               impacts.get("logging_creep", 0.0)),
        record("vector_index_growth", "billing", "cost", "service", "Amazon OpenSearch Service",
               s.vector_index_growth, end, "usage_quantity",
               "The OpenSearch vector index grows ~12x faster than before (re-embedding without "
               "deleting old vectors); storage and data nodes grow with it.",
               impacts.get("vector_index_growth", 0.0)),
        record("budget_breach", "budgets", "inference_cost", "team", "docs-ai",
               s.budget_month, end, "budget",
               f"docs-ai's monthly inference_cost budget of ${budget['amount']:,.2f} is exceeded "
               f"in {s.budget_month:%B %Y} (actual ${budget['actual']:,.2f}), driven by the "
               "document-analysis prompt growth and the summarize model switch.",
               budget["actual"] - budget["amount"]),
    )


def write_incidents(path: Path, seed: int, schedule: IncidentSchedule,
                    incidents: tuple[Incident, ...]) -> None:
    """Write incidents.json."""
    payload = {
        "seed": seed,
        "start": schedule.start.isoformat(),
        "end": schedule.end.isoformat(),
        "incidents": [asdict(incident) for incident in incidents],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")

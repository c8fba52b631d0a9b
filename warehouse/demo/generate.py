"""`generate_demo`: write Acme AI's demo warehouse, one day at a time.

Dollar scale: `llm_requests` costs come from realistic token counts, model mix
and list prices (about $0.035 per row), so inference spend (and the AI vendor
lines of `billing`, which equal it) scales with `rows`: the default 1M rows over
90 days is ~$10k-$14k a month. The GPU fleet (~$134k a month) and the rest of
the cloud bill (~$50k-$70k a month) are fixed by the company's size and do not
depend on `rows`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from warehouse.demo.billing import generate_billing_day
from warehouse.demo.budgets import budget_rows
from warehouse.demo.gpu import generate_gpu_day
from warehouse.demo.incidents import (
    Incident,
    IncidentSchedule,
    incident_records,
    schedule_incidents,
    write_incidents,
)
from warehouse.demo.ledger import Ledger, sum_stats
from warehouse.demo.llm_requests import DICTIONARY_COLUMNS, chunk_count, generate_chunk, user_ids
from warehouse.demo.llm_requests import WRITE_SCHEMA as LLM_WRITE_SCHEMA
from warehouse.demo.prices import model_prices_table
from warehouse.demo.schema import TABLES, arrow_schema
from warehouse.demo.traffic import DayPlan, plan_days
from warehouse.demo.vendor import vendor_usage_day
from warehouse.demo.writer import BackgroundWriter, PartWriter, check_out_dir, staged_output

Progress = Callable[[str, int, int], None]
MIN_DAYS, MAX_DAYS = 14, 3650
MIN_ROWS, MAX_ROWS = 1_000, 100_000_000
_LLM_DICTIONARY = (*DICTIONARY_COLUMNS, "attempt")


@dataclass(frozen=True)
class DemoSummary:
    """What `generate_demo` wrote."""

    out_dir: Path
    start: date
    end: date  # exclusive: the last day with data is end - 1 day
    seed: int
    rows: Mapping[str, int]
    incidents: tuple[Incident, ...]
    null_cost_rows: int
    null_cost_share: float  # share of llm_requests rows logged with cost_usd NULL


def _validate(days: int, rows: int, seed: int, end: date) -> date:
    for name, value in (("days", days), ("rows", rows), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be an integer, not {value!r}")
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(f"days must be between {MIN_DAYS} and {MAX_DAYS}, not {days}")
    if not MIN_ROWS <= rows <= MAX_ROWS:
        raise ValueError(f"rows must be between {MIN_ROWS:,} and {MAX_ROWS:,}, not {rows:,}")
    if seed < 0:
        raise ValueError(f"seed must be zero or positive, not {seed}")
    if isinstance(end, datetime):
        end = end.date()
    if not isinstance(end, date):
        raise ValueError(f"end must be a date, not {end!r}")
    return end


def generate_demo(out_dir: Path, *, days: int = 90, rows: int = 1_000_000, seed: int = 7,
                  end: date = date(2026, 11, 23), progress: Progress | None = None) -> DemoSummary:
    """Write the five tables and incidents.json for [end - days, end) into `out_dir`.

    `rows` is the approximate number of `llm_requests` rows. Raises ValueError for
    a non-empty `out_dir` or out-of-range arguments. Same arguments, same data.
    """
    end = _validate(days, rows, seed, end)
    out_dir = Path(out_dir)
    check_out_dir(out_dir)
    report = progress or (lambda table, done, total: None)
    schedule = schedule_incidents(end - timedelta(days=days), end)
    plans = plan_days(schedule, rows, seed)
    ledger = Ledger()

    with staged_output(out_dir) as staging:
        writers = _open_writers(staging)
        try:
            _write_days(plans, schedule, seed, writers, ledger, report)
            writers["model_prices"].write(model_prices_table(schedule))
            report("model_prices", 1, 1)
            budgets, breach = budget_rows(ledger, schedule.budget_month)
            writers["budgets"].write(budgets)
            report("budgets", 1, 1)
            counts = {name: writer.close() for name, writer in writers.items()}
        except BaseException:
            for writer in writers.values():
                writer.abandon()
            raise
        incidents = incident_records(schedule, dict(ledger.impacts), breach)
        write_incidents(staging / "incidents.json", seed, schedule, incidents)

    return DemoSummary(
        out_dir=out_dir, start=schedule.start, end=end, seed=seed, rows=counts, incidents=incidents,
        null_cost_rows=ledger.null_cost_rows,
        null_cost_share=ledger.null_cost_rows / max(counts["llm_requests"], 1),
    )


def _open_writers(staging: Path) -> dict[str, PartWriter | BackgroundWriter]:
    """One writer per table; llm_requests encodes on a worker thread."""
    llm = PartWriter(staging / "llm_requests", LLM_WRITE_SCHEMA, dictionary_columns=_LLM_DICTIONARY,
                     no_statistics=("request_id", "prompt_hash"), store_schema=False)
    return {
        "billing": PartWriter(staging / "billing", arrow_schema(TABLES["billing"]), row_group_rows=131_072),
        "llm_requests": BackgroundWriter(llm),
        "gpu_usage": PartWriter(staging / "gpu_usage", arrow_schema(TABLES["gpu_usage"]), row_group_rows=131_072),
        "model_prices": PartWriter(staging / "model_prices", arrow_schema(TABLES["model_prices"])),
        "budgets": PartWriter(staging / "budgets", arrow_schema(TABLES["budgets"])),
        "vendor_usage": PartWriter(staging / "vendor_usage", arrow_schema(TABLES["vendor_usage"])),
    }


def _write_days(plans: tuple[DayPlan, ...], schedule: IncidentSchedule, seed: int,
                writers: dict[str, PartWriter | BackgroundWriter], ledger: Ledger, report: Progress) -> None:
    """Generate and write llm_requests, gpu_usage and billing day by day."""
    expected_rows = round(sum(plan.actions * plan.rows_per_action for plan in plans))
    users = user_ids(seed)
    done = 0
    for plan in plans:
        ledger.add_day(plan.day)
        chunks = chunk_count(plan)
        day_stats = []
        for chunk in range(chunks):
            table, stats = generate_chunk(plan, chunk, chunks, seed, users)
            writers["llm_requests"].write(table)
            ledger.add_llm(plan.day, stats)
            day_stats.append(stats)
            done += table.num_rows
            report("llm_requests", min(done, expected_rows), expected_rows)
        gpu_day = generate_gpu_day(plan.day, plan.index, schedule, seed)
        writers["gpu_usage"].write(gpu_day.table)
        ledger.add_gpu(plan.day, gpu_day.team_cost, gpu_day.idle_gpu_usd)
        cost, tokens, requests = sum_stats(day_stats)
        billing_day = generate_billing_day(plan.day, schedule, seed, cost, tokens, requests, gpu_day.node_cost)
        writers["billing"].write(billing_day.table)
        ledger.add_billing(plan.day, billing_day.service_cost, billing_day.impacts)
        writers["vendor_usage"].write(vendor_usage_day(plan.day, cost, requests))
        report("gpu_usage", plan.index + 1, len(plans))
        report("billing", plan.index + 1, len(plans))
    report("llm_requests", expected_rows, expected_rows)

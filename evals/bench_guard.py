"""What the guard adds to a query: median and p95 milliseconds of `validate_sql`.

    .venv/bin/python evals/bench_guard.py [--repeat 300]

The queries have the shapes the planner emits (total, breakdown, trend,
week-over-week comparison with CTEs, top-N with a window), with and without a
row scope. The guard's target is under 5 ms at the median.
"""

from __future__ import annotations

import argparse
import statistics
import time

from warehouse.guard import validate_sql

PLANNER_SHAPES = {
    "total": "SELECT SUM(cost_usd) AS inference_cost FROM llm_requests "
    "WHERE ts >= TIMESTAMP '2026-11-16' AND ts < TIMESTAMP '2026-11-23'",
    "breakdown": "SELECT feature, SUM(cost_usd) AS inference_cost FROM llm_requests "
    "WHERE ts >= TIMESTAMP '2026-10-01' AND ts < TIMESTAMP '2026-11-01' GROUP BY feature ORDER BY inference_cost DESC LIMIT 5",
    "trend": "SELECT DATE_TRUNC('day', ChargePeriodStart) AS day, ServiceCategory, SUM(EffectiveCost) AS cost FROM billing "
    "WHERE ChargePeriodStart >= TIMESTAMP '2026-10-24' AND ChargePeriodStart < TIMESTAMP '2026-11-23' "
    "GROUP BY day, ServiceCategory ORDER BY day",
    "comparison": "WITH cur AS (SELECT feature, SUM(cost_usd) AS cost FROM llm_requests "
    "WHERE ts >= TIMESTAMP '2026-11-16' AND ts < TIMESTAMP '2026-11-23' GROUP BY feature), "
    "prev AS (SELECT feature, SUM(cost_usd) AS cost FROM llm_requests "
    "WHERE ts >= TIMESTAMP '2026-11-09' AND ts < TIMESTAMP '2026-11-16' GROUP BY feature) "
    "SELECT COALESCE(cur.feature, prev.feature) AS feature, cur.cost AS cost_last_week, prev.cost AS cost_week_before, "
    "COALESCE(cur.cost, 0) - COALESCE(prev.cost, 0) AS change_usd FROM cur FULL OUTER JOIN prev ON cur.feature = prev.feature "
    "ORDER BY change_usd DESC",
    "unit_cost": "SELECT model, SUM(cost_usd) / COUNT(*) AS cost_per_request, SUM(input_tokens) / COUNT(*) AS tokens_per_request "
    "FROM llm_requests WHERE ts >= TIMESTAMP '2026-11-01' AND ts < TIMESTAMP '2026-11-23' GROUP BY model",
    "idle_gpu": "SELECT deployment, SUM(cost_usd * (1 - gpu_util_pct / 100)) AS idle_gpu_cost FROM gpu_usage "
    "WHERE hour >= TIMESTAMP '2026-11-01' GROUP BY deployment ORDER BY idle_gpu_cost DESC",
    "tag_breakdown": "SELECT Tags['team'] AS team, SUM(EffectiveCost) AS cost FROM billing "
    "WHERE ChargePeriodStart >= TIMESTAMP '2026-11-01' GROUP BY team ORDER BY cost DESC",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    all_times = []
    print(f"{'query':14} {'scope':8} {'median ms':>10} {'p95 ms':>8}")
    for name, sql in PLANNER_SHAPES.items():
        for scope in (None, "team=cx"):
            validate_sql(sql, scope=scope)  # warm the schema cache
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                validate_sql(sql, scope=scope)
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            all_times += times
            print(f"{name:14} {scope or '-':8} {statistics.median(times):10.2f} {times[int(len(times) * 0.95)]:8.2f}")
    all_times.sort()
    median = statistics.median(all_times)
    print(f"all planner shapes: median {median:.2f} ms, p95 {all_times[int(len(all_times) * 0.95)]:.2f} ms "
          f"(target < 5 ms median: {'met' if median < 5 else 'MISSED'})")


if __name__ == "__main__":
    main()

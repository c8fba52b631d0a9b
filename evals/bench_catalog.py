"""Views over the Parquet lake against materialized DuckDB tables, for typical questions.

    .venv/bin/python evals/bench_catalog.py [FINOPS_HOME]

Runs each query 5 times through the executor (views over the lake files) and on a
native DuckDB table holding the same llm_requests rows, and prints the medians.
This is the measurement behind the choice of views for the catalog.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from warehouse.executor import Executor
from warehouse.settings import load_settings

QUERIES = {
    "total last week": "SELECT sum(cost_usd) FROM llm_requests WHERE ts >= TIMESTAMP '2026-11-16' AND ts < TIMESTAMP '2026-11-23'",
    "by feature, 30 days": "SELECT feature, sum(cost_usd), count(*) FROM llm_requests WHERE ts >= TIMESTAMP '2026-10-24' GROUP BY 1 ORDER BY 2 DESC",
    "daily trend by model": "SELECT date_trunc('day', ts) AS day, model, sum(cost_usd) FROM llm_requests GROUP BY ALL ORDER BY 1",
    "prompt size by feature and week": "SELECT feature, date_trunc('week', ts), sum(input_tokens) / count(*) FROM llm_requests GROUP BY ALL",
    "retry cost by team": "SELECT team, sum(cost_usd) FILTER (WHERE attempt > 1) FROM llm_requests GROUP BY 1",
}


def median_ms(run, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    settings = load_settings(**({"home": sys.argv[1]} if len(sys.argv) > 1 else {}))
    with Executor(settings) as executor:
        rows = executor.query("SELECT count(*) FROM llm_requests").rows[0][0]
        files = executor.manifest.files["llm_requests"]
        native_path = Path(tempfile.mkdtemp()) / "native.duckdb"
        native = duckdb.connect(str(native_path), config={"threads": settings.threads, "memory_limit": settings.memory_limit})
        native.execute("CREATE TABLE llm_requests AS SELECT * FROM read_parquet($1)", [[str(f) for f in files]])
        print(f"llm_requests: {rows:,} rows in {len(files)} lake files")
        print(f"{'query':34} {'views (ms)':>11} {'table (ms)':>11}")
        for name, sql in QUERIES.items():
            view_ms = median_ms(lambda sql=sql: executor.query(sql))
            table_ms = median_ms(lambda sql=sql: native.execute(sql).fetchall())
            print(f"{name:34} {view_ms:11.1f} {table_ms:11.1f}")
        native.close()
        native_path.unlink()


if __name__ == "__main__":
    main()

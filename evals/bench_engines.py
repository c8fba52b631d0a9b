"""The same questions on DuckDB and on a local Spark over the same lake: cold start, latency, crossover.

    .venv/bin/python evals/bench_engines.py [--dir DIR] [--keep] [--rows 10000000 2000000 ...] [--days 90]
                                            [--master local[2]] [--questions N]

For each --rows size: builds the demo warehouse (`generate_demo`, seed 7, ending
2026-11-23) in DIR/<rows>/ (kept and reused with --keep), then on each engine:

- cold start: a new process's first answer (`finops ask` in a subprocess: imports,
  engine start, the views over the lake, the planner and one question);
- per question: --questions core questions about LLM requests (the table that grows),
  spread over the set, asked through `ask()` on a warm executor (the best of 2 runs),
  reported as the median and the p95 and as a ratio to DuckDB's, measured in the same run.

The crossover is the size where Spark's median latency falls below DuckDB's; on one
machine it is usually beyond the sizes measured, and the script says so. Spark runs
as FINOPS_SPARK_MASTER (default local[2]); a real cluster (docs/SPARK.md) has more
cores and a fixed per-query cost of its own.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.answer import AskContext  # noqa: E402
from assistant.ask import ask  # noqa: E402
from assistant.quality.evaluation import EvalChain, load_set  # noqa: E402
from warehouse.demo import generate_demo  # noqa: E402
from warehouse.executor import Executor  # noqa: E402
from warehouse.ingest import ingest  # noqa: E402
from warehouse.settings import Settings, load_settings  # noqa: E402

AS_OF = date(2026, 11, 23)
COLD_QUESTION = "inference cost by feature last week"
ENGINES = ("duckdb", "spark")


def warehouse(root: Path, rows: int, days: int, master: str) -> Settings:
    settings = load_settings(
        environ={"FINOPS_HOME": str(root / "home"), "FINOPS_THREADS": "2", "FINOPS_SPARK_MASTER": master},
        config_path=None,
        query_timeout_s=600,
        memory_limit="2GB",
    )
    if (root / "home" / "warehouse.duckdb").is_file():
        print(f"reusing {root}")
        return settings
    started = time.perf_counter()
    generate_demo(root / "data", rows=rows, days=days, seed=7, end=AS_OF)
    report = ingest([root / "data"], settings)
    if report.refused:
        raise SystemExit(f"ingest refused: {report.refused[0].message}")
    print(f"built {report.rows_loaded:,} rows in {time.perf_counter() - started:.1f} s")
    return settings


def questions(limit: int) -> list[str]:
    """`limit` core questions about LLM requests (the table that grows with --rows), spread over the set."""
    single = [item.question for item in load_set("core")
              if not isinstance(item, EvalChain) and item.gold_sql and "llm_requests" in item.gold_sql]
    step = max(1, len(single) // limit)
    return single[::step][:limit]


def cold_start(settings: Settings, engine: str) -> float:
    """Seconds for a new process to answer one question (what `finops ask` costs from nothing)."""
    env = {**os.environ, "FINOPS_HOME": str(settings.home), "FINOPS_ENGINE": engine,
           "FINOPS_SPARK_MASTER": settings.spark_master, "FINOPS_AS_OF": AS_OF.isoformat()}
    started = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).parent / "finops"), "ask", "--json", "--route", "planner", COLD_QUESTION],
                          env=env, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    if done.returncode != 0:
        raise SystemExit(f"cold start on {engine} failed: {done.stderr.strip().splitlines()[-1:]}")
    return time.perf_counter() - started


def latencies(settings: Settings, engine: str, asked: list[str]) -> dict[str, float]:
    """Question -> seconds (best of 2) on a warm executor of `engine`."""
    settings = settings.model_copy(update={"engine": engine})
    times: dict[str, float] = {}
    with Executor(settings) as executor:
        executor.schema()  # the engine started and the views registered: not part of a question
        for question in asked:
            best = float("inf")
            for _ in range(2):
                context = AskContext(settings=settings, as_of=AS_OF, route="planner", executor=executor, channel="eval")
                started = time.perf_counter()
                answer = ask(question, context)
                best = min(best, time.perf_counter() - started)
            if answer.answered:
                times[question] = best
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000_000])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--questions", type=int, default=30)
    args = parser.parse_args(argv)
    base = args.dir or (Path.home() / ".cache" / "finops-bench-engines" if args.keep else Path(tempfile.mkdtemp()))
    asked = questions(args.questions)
    crossover = None
    print(f"{'rows':>12} {'engine':>7} {'cold s':>8} {'median s':>9} {'p95 s':>7} {'x duckdb':>9} {'answered':>9}")
    for rows in sorted(args.rows):
        settings = warehouse(base / str(rows), rows, args.days, args.master)
        medians = {}
        for engine in ENGINES:
            cold = cold_start(settings, engine)
            times = latencies(settings, engine, asked)
            values = sorted(times.values())
            medians[engine] = statistics.median(values)
            p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
            ratio = medians[engine] / medians["duckdb"]
            print(f"{rows:>12,} {engine:>7} {cold:>8.1f} {medians[engine]:>9.3f} {p95:>7.3f} {ratio:>9.1f} {len(times):>9}", flush=True)
        if crossover is None and medians["spark"] < medians["duckdb"]:
            crossover = rows
    if crossover:
        print(f"crossover: Spark's median question is faster from {crossover:,} rows")
    else:
        print(f"no crossover up to {max(args.rows):,} rows on {args.master}: DuckDB answers faster at every size measured")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

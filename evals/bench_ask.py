"""How fast a planner answer is, against the DuckDB time of its own SQL, and as a cold process.

    FINOPS_HOME=... .venv/bin/python evals/bench_ask.py [--set core] [--cold 5]

For every single question of the set that the planner answers: `ask()`'s
elapsed_ms (warm process) and the median of 3 runs of the answer's SQL on the
same executor. Target: median elapsed <= 2 x median DuckDB time + 20 ms.
Then `finops ask --json` as a fresh process, --cold times (target 1.5 s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from assistant.answer import AskContext
from assistant.ask import ask
from assistant.quality.evaluation import EvalCase, load_set
from warehouse.executor import Executor
from warehouse.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="core")
    parser.add_argument("--cold", type=int, default=5)
    args = parser.parse_args()
    settings = load_settings()
    questions = [c.question for c in load_set(args.set) if isinstance(c, EvalCase) and c.gold_sql]
    elapsed, duckdb_ms, over = [], [], 0
    with Executor(settings) as executor:
        context = AskContext(settings=settings, executor=executor, route="planner")
        ask(questions[0], context)  # build the value index and as_of once, as a running app has
        for question in questions:
            answer = ask(question, context)
            if not answer.answered or not answer.sql:
                continue  # analysis answers (forecast, savings, anomalies) run several queries
            runs = []
            for _ in range(3):
                started = time.perf_counter()
                executor.query(answer.sql)
                runs.append((time.perf_counter() - started) * 1000)
            run = statistics.median(runs)
            elapsed.append(answer.elapsed_ms)
            duckdb_ms.append(run)
            over += answer.elapsed_ms > 2 * run + 20
    e, d = statistics.median(elapsed), statistics.median(duckdb_ms)
    print(f"{len(elapsed)} answered questions of set {args.set}")
    print(f"ask() elapsed   median {e:6.1f} ms  p95 {sorted(elapsed)[int(len(elapsed) * 0.95)]:6.1f} ms")
    print(f"DuckDB its SQL  median {d:6.1f} ms  p95 {sorted(duckdb_ms)[int(len(duckdb_ms) * 0.95)]:6.1f} ms")
    print(f"target median elapsed <= 2 x {d:.1f} + 20 = {2 * d + 20:.1f} ms: {'met' if e <= 2 * d + 20 else 'MISSED'}; "
          f"{over} of {len(elapsed)} questions individually over 2x+20 ms")
    cold = []
    for _ in range(args.cold):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "ui.cli", "ask", "--json", "What was our total cloud spend last month?"],
            check=True, capture_output=True, env=dict(os.environ),
        )
        cold.append(time.perf_counter() - started)
    print(f"cold `finops ask --json`: median {statistics.median(cold):.2f} s, max {max(cold):.2f} s (target 1.5 s)")


if __name__ == "__main__":
    main()

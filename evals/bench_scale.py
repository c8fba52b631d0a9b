"""The headline answers and ingest at N requests, each against the engine's own floor, in one run.

    .venv/bin/python evals/bench_scale.py --rows 10000000 [--days 90] [--keep DIR] [--runs 3] [--only NAME,...]

1. Generates N rows with `finops demo-data` (the `llm_requests` parts are ~8.4M rows
   each) into DIR/data, unless DIR (--keep) already holds them.
2. Ingests them with `finops ingest` (FINOPS_MEMORY_LIMIT=2GB, FINOPS_THREADS=2) into
   DIR/home, timing every file, unless DIR/home is already loaded; then times DuckDB's
   own `CREATE TABLE AS SELECT * FROM read_parquet(...)` of the same `llm_requests` files.
   Reported: first and last file's rows/s (target: last no slower than 1.3x the first),
   total against CTAS (target >= 0.4x), peak RSS of each process (target < 2.5 GB).
3. Copies the lake into native DuckDB tables (DIR/native.duckdb) for the floors.
4. Times, each analysis in a process of its own (`--child NAME`): cold (the first call
   of the process) and warm (median of --runs more), with the process's peak RSS:
   ten planner questions, "why did inference cost jump last week?" (drivers), "where
   are we wasting money?" (savings), anomalies (90 days), the month-end forecast with
   the budgets' outlook, and the overview page's data (`build_overview`).
5. Times each floor on the native tables, warm (median of --runs after one cold run):
   a planner question's floor is its own SQL; an analysis's floor is the minimal
   aggregate query (or queries) that carry what its answer needs (FLOORS below).
   The same floors are timed on the lake's views too (the warehouse's own Parquet files):
   "lake floor" separates what the storage costs from what the analysis adds.

Without --keep a temporary folder is used and deleted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evals.bench_ingest import PLAIN, run_measured  # noqa: E402

PLANNER_QUESTIONS = (
    "inference cost by feature last month",
    "inference cost by model last week",
    "inference cost by team over the last 30 days",
    "how many requests did we serve last week?",
    "daily inference cost over the last 30 days",
    "cost per request by feature last month",
    "error rate by model last week",
    "retry cost by feature over the last 30 days",
    "tokens per request by feature last week",
    "total cloud spend last month",
)
DRIVERS_QUESTION = "why did inference cost jump last week?"
SAVINGS_QUESTION = "where are we wasting money?"
ANALYSES = ("planner", "drivers", "savings", "anomalies", "forecast", "overview")

# The floors: the minimal aggregate queries that carry what each answer needs, on native tables.
# {start}/{end}: the analysis's window; {cstart}/{cend}: the window compared with.
FLOORS = {
    "drivers": ["""
        SELECT feature, team, model, count(*) FILTER (WHERE ts < TIMESTAMP '{start}') AS r0, count(*) FILTER (WHERE ts >= TIMESTAMP '{start}') AS r1,
               sum(input_tokens) FILTER (WHERE ts < TIMESTAMP '{start}') AS i0, sum(input_tokens) FILTER (WHERE ts >= TIMESTAMP '{start}') AS i1,
               sum(cached_input_tokens) FILTER (WHERE ts < TIMESTAMP '{start}') AS c0, sum(cached_input_tokens) FILTER (WHERE ts >= TIMESTAMP '{start}') AS c1,
               sum(output_tokens) FILTER (WHERE ts < TIMESTAMP '{start}') AS o0, sum(output_tokens) FILTER (WHERE ts >= TIMESTAMP '{start}') AS o1,
               sum(cost_usd) FILTER (WHERE ts < TIMESTAMP '{start}') AS k0, sum(cost_usd) FILTER (WHERE ts >= TIMESTAMP '{start}') AS k1
        FROM llm_requests WHERE ts >= TIMESTAMP '{cstart}' AND ts < TIMESTAMP '{end}' GROUP BY ALL"""],
    # one pass per table at the finders' grain, and the prompt-repeat pass
    "savings": ["""
        SELECT feature, team, provider, model, date_trunc('day', ts) AS day, count(*), sum(input_tokens), sum(cached_input_tokens),
               sum(output_tokens), sum(cost_usd), sum(cost_usd) FILTER (WHERE attempt > 1 OR status <> 'ok')
        FROM llm_requests WHERE ts >= TIMESTAMP '{start}' AND ts < TIMESTAMP '{end}' GROUP BY ALL""", """
        SELECT feature, model, count(*) - count(DISTINCT (date_trunc('day', ts), prompt_hash)) AS repeats
        FROM llm_requests WHERE ts >= TIMESTAMP '{start}' AND ts < TIMESTAMP '{end}' GROUP BY ALL""", """
        SELECT cluster, node_id, deployment, count(*), sum(cost_usd) FROM gpu_usage
        WHERE hour >= TIMESTAMP '{start}' AND hour < TIMESTAMP '{end}' GROUP BY ALL""", """
        SELECT ServiceName, sum(EffectiveCost) FROM billing
        WHERE ChargePeriodStart >= TIMESTAMP '{start}' AND ChargePeriodStart < TIMESTAMP '{end}' GROUP BY ALL"""],
    "anomalies": ["""
        SELECT date_trunc('day', ts) AS day, feature, model, team, count(*), sum(cost_usd), sum(input_tokens)
        FROM llm_requests WHERE ts >= TIMESTAMP '{start}' AND ts < TIMESTAMP '{end}'
        GROUP BY GROUPING SETS ((day, feature), (day, model), (day, team))""", """
        SELECT date_trunc('day', ChargePeriodStart) AS day, ServiceName, sum(EffectiveCost) FROM billing
        WHERE ChargePeriodStart >= TIMESTAMP '{start}' AND ChargePeriodStart < TIMESTAMP '{end}' GROUP BY ALL"""],
    "forecast": ["""
        SELECT date_trunc('day', ts) AS day, feature, team, model, sum(cost_usd) FROM llm_requests
        WHERE ts >= TIMESTAMP '{start}' AND ts < TIMESTAMP '{end}' GROUP BY ALL""", """
        SELECT date_trunc('day', ChargePeriodStart) AS day, sum(EffectiveCost) FROM billing
        WHERE ChargePeriodStart >= TIMESTAMP '{start}' AND ChargePeriodStart < TIMESTAMP '{end}' GROUP BY ALL"""],
}

# Per-file timing of `finops ingest DIR`: one JSON line per file, then the process's peak RSS.
INGEST = """
import json, resource, sys, time
from pathlib import Path
from warehouse.ingest import IngestProgress, ingest
from warehouse.settings import load_settings

def cpu():
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime

class Timed(IngestProgress):
    def file_started(self, source, index, total):
        self.started, self.cpu = time.perf_counter(), cpu()
    def file_done(self, result):
        print(json.dumps({"path": result.path, "table": result.table, "status": result.status, "message": result.message,
                          "rows": result.rows_loaded, "seconds": time.perf_counter() - self.started,
                          "cpu": cpu() - self.cpu}), flush=True)

ingest([Path(sys.argv[1])], load_settings(), progress=Timed())
"""

NATIVE = """
import duckdb, sys
con = duckdb.connect(sys.argv[2])
con.execute("SET threads = 2")
con.execute("SET memory_limit = '2GB'")
con.execute(f"ATTACH '{sys.argv[1]}' AS lake (READ_ONLY)")
for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE database_name = 'lake' AND NOT internal").fetchall():
    con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM lake."{name}"')
"""

FLOOR = """
import duckdb, json, resource, statistics, sys, time
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SET enable_progress_bar = false")
con.execute("SET threads = 2")
con.execute("SET TimeZone = 'UTC'")
runs = int(sys.argv[3])
out = {}
for name, queries in json.loads(sys.argv[2]).items():
    timings, cpu = [], []
    for _ in range(runs + 1):
        used = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        for sql in queries:
            con.execute(sql).fetchall()
        timings.append(time.perf_counter() - started)
        now = resource.getrusage(resource.RUSAGE_SELF)
        cpu.append(now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime)
    out[name] = {"cold": timings[0], "warm": statistics.median(timings[1:]), "warm_cpu": statistics.median(cpu[1:])}
print(json.dumps(out))
"""


def _settings(home: Path):
    from warehouse.settings import load_settings

    # A generous query timeout: a slow analysis is measured, not stopped at the default 30 s.
    return load_settings(environ={"FINOPS_HOME": str(home), "FINOPS_THREADS": "2", "FINOPS_QUERY_TIMEOUT_S": "600"},
                         config_path=None)


def child(name: str, home: Path, runs: int) -> None:
    """Time one analysis in this process: cold (first call) and warm (median of `runs`); print JSON."""
    import resource

    from assistant.analysis.anomalies import find_anomalies
    from assistant.analysis.forecast import budget_outlook, forecast_month
    from assistant.analysis.overview import build_overview
    from assistant.answer import AskContext
    from assistant.ask import ask
    from assistant.understand.planners import resolve_as_of
    from warehouse.executor import Executor

    settings = _settings(home)
    out: dict = {}
    with Executor(settings) as executor:
        as_of = resolve_as_of(executor, settings)
        context = AskContext(settings=settings, executor=executor, route="planner", as_of=as_of)

        def answered(question: str):
            answer = ask(question, context)
            if not answer.answered:
                raise SystemExit(f"not answered: {question!r}: {answer.error}")
            return answer

        calls = {
            "drivers": lambda: answered(DRIVERS_QUESTION),
            "savings": lambda: answered(SAVINGS_QUESTION),
            "anomalies": lambda: find_anomalies(executor, settings, as_of=as_of, days=90),
            "forecast": lambda: (forecast_month(executor, settings, "inference_cost", as_of=as_of),
                                 forecast_month(executor, settings, "cost", as_of=as_of),
                                 budget_outlook(executor, settings, as_of=as_of)),
            "overview": lambda: build_overview(context),
        }
        if name == "planner":
            out["questions"] = []
            for question in PLANNER_QUESTIONS:
                timings, answer = _timed(lambda q=question: answered(q), runs)
                out["questions"].append({"question": question, "sql": answer.sql, **timings})
        else:
            timings, result = _timed(calls[name], runs)
            out.update(timings)
            if name == "drivers":
                w = result.window
                out["window"] = {"start": str(w.start), "end": str(w.end), "cstart": str(w.compare_start),
                                 "cend": str(w.compare_end)}
            if name == "overview":
                out["sections"] = {s.key: round(s.elapsed_ms / 1000, 3) for s in result.sections}
                out["errors"] = {s.key: s.error.message for s in result.sections if s.error}
        out["as_of"] = str(as_of)
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps(out))


def _timed(call, runs: int) -> tuple[dict, object]:
    """Cold and warm (median) wall seconds, and the warm calls' median CPU seconds (this process, all its threads):
    on a shared machine the CPU time shows the work done when the wall time shows the neighbours too."""
    import resource

    timings, cpu, result = [], [], None
    for _ in range(runs + 1):
        used = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        result = call()
        timings.append(time.perf_counter() - started)
        now = resource.getrusage(resource.RUSAGE_SELF)
        cpu.append(now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime)
    return {"cold": timings[0], "warm": statistics.median(timings[1:]), "warm_cpu": statistics.median(cpu[1:])}, result


def generate(data: Path, rows: int, days: int) -> None:
    if (data / "incidents.json").is_file():
        print(f"reusing {data}")
        return
    shutil.rmtree(data, ignore_errors=True)
    seconds, peak, _ = run_measured([sys.executable, "-m", "ui.cli", "demo-data", "--out", str(data), "--rows", str(rows),
                                     "--days", str(days), "--seed", "7"])
    print(f"demo-data --rows {rows:,} --days {days}: {seconds:.1f} s, peak RSS {peak:,} MB")


def load(root: Path, data: Path) -> None:
    """Ingest (unless loaded), time DuckDB's CTAS of the same llm_requests files, build the native tables."""
    home = root / "home"
    if (home / "warehouse.duckdb").is_file():
        print(f"reusing the warehouse in {home}")
    else:
        env = dict(os.environ, FINOPS_HOME=str(home), FINOPS_MEMORY_LIMIT="2GB", FINOPS_THREADS="2", PYTHONPATH=str(ROOT))
        seconds, peak, out = run_measured([sys.executable, "-c", INGEST, str(data)], env)
        files = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        refused = [f for f in files if f["status"] != "loaded"]
        if refused:
            raise SystemExit(f"ingest refused {refused[0]['path']}: {refused[0]['message']}")
        requests = [f for f in files if f["table"] == "llm_requests"]
        rows = sum(f["rows"] for f in requests)
        busy = sum(f["seconds"] for f in requests)
        for f in requests:
            print(f"  {Path(f['path']).name}: {f['rows']:,} rows in {f['seconds']:.1f} s ({f['rows'] / f['seconds']:,.0f} rows/s), "
                  f"{f['cpu']:.1f} CPU s ({f['rows'] / f['cpu']:,.0f} rows per CPU s)")
        first, last = (requests[0]["rows"] / requests[0]["seconds"], requests[-1]["rows"] / requests[-1]["seconds"])
        first_cpu, last_cpu = (requests[0]["rows"] / requests[0]["cpu"], requests[-1]["rows"] / requests[-1]["cpu"])
        print(f"ingest: {sum(f['rows'] for f in files):,} rows of every table in {seconds:.1f} s, peak RSS {peak:,} MB "
              f"(target < 2,560); llm_requests {rows:,} rows in {busy:.1f} s")
        print(f"  last file {last:,.0f} rows/s against the first {first:,.0f}: first/last {first / last:.2f} (target <= 1.3); "
              f"per CPU second {first_cpu / last_cpu:.2f}")
        glob = str(data / "llm_requests" / "*.parquet")
        plain = root / "ctas.duckdb"
        plain.unlink(missing_ok=True)
        ctas_s, ctas_peak, _ = run_measured([sys.executable, "-c", PLAIN, glob, str(plain)])
        plain.unlink(missing_ok=True)
        print(f"DuckDB CTAS of the same files: {ctas_s:.1f} s, peak RSS {ctas_peak:,} MB; "
              f"ingest speed / CTAS speed {ctas_s / busy:.2f} (target >= 0.4)")
    native = root / "native.duckdb"
    if not native.is_file():
        seconds, _, _ = run_measured([sys.executable, "-c", NATIVE, str(home / "warehouse.duckdb"), str(native)])
        print(f"native tables built from the lake in {seconds:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--keep", type=Path, help="folder to keep (and reuse) the data, warehouse and native tables in")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default=",".join(ANALYSES), help="comma-separated analyses to time")
    parser.add_argument("--child", choices=ANALYSES, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.home, args.runs)
        return 0
    temporary = None if args.keep else tempfile.TemporaryDirectory(prefix="bench-scale-")
    root = args.keep or Path(temporary.name)
    root.mkdir(parents=True, exist_ok=True)
    try:
        generate(root / "data", args.rows, args.days)
        load(root, root / "data")
        measure(root, [a for a in args.only.split(",") if a], args.runs)
    finally:
        if temporary is not None:
            temporary.cleanup()
    return 0


def measure(root: Path, analyses: list[str], runs: int) -> None:
    if not analyses:
        return
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    results = {}
    for name in analyses:
        _, peak, out = run_measured([sys.executable, __file__, "--child", name, "--home", str(root / "home"),
                                     "--runs", str(runs)], env)
        results[name] = json.loads(out.strip().splitlines()[-1]) | {"peak_mb": peak}
        print(f"{name}: {json.dumps({k: v for k, v in results[name].items() if k != 'questions'})}", flush=True)
    as_of = date.fromisoformat(next(iter(results.values()))["as_of"])
    month_start = (as_of - timedelta(days=1)).replace(day=1)
    thirty = {"start": as_of - timedelta(days=30), "end": as_of}
    windows = {"savings": thirty, "anomalies": {"start": as_of - timedelta(days=90), "end": as_of},
               "forecast": {"start": month_start, "end": as_of}}
    if "drivers" in results:
        windows["drivers"] = results["drivers"]["window"]
    floors = {name: [sql.format(**windows[name]) for sql in queries] for name, queries in FLOORS.items() if name in windows}
    if "planner" in results:
        floors |= {f"q{i}": [q["sql"]] for i, q in enumerate(results["planner"]["questions"])}
    if "overview" in results and all(name in floors for name in FLOORS):
        floors["overview"] = [sql for name in FLOORS for sql in floors[name]]
    _, _, out = run_measured([sys.executable, "-c", FLOOR, str(root / "native.duckdb"), json.dumps(floors), str(runs)])
    floor = json.loads(out.strip().splitlines()[-1])
    _, _, out = run_measured([sys.executable, "-c", FLOOR, str(root / "home" / "warehouse.duckdb"), json.dumps(floors), str(runs)])
    lake = json.loads(out.strip().splitlines()[-1])
    print(f"\n{'analysis':<46} {'cold s':>8} {'warm s':>8} {'floor s':>8} {'warm/floor':>10} {'peak RSS MB':>12} "
          f"{'lake floor s':>12} {'warm/lake':>9}")
    if "planner" in results:
        ratios, lake_ratios, cpu_ratios = [], [], []
        for i, q in enumerate(results["planner"]["questions"]):
            f = floor[f"q{i}"]["warm"]
            ratios.append(q["warm"] / f)
            g = lake[f"q{i}"]["warm"]
            lake_ratios.append(q["warm"] / g)
            cpu_ratios.append(q["warm_cpu"] / floor[f"q{i}"]["warm_cpu"])
            print(f"  {q['question']:<44} {q['cold']:8.3f} {q['warm']:8.3f} {f:8.3f} {q['warm'] / f:10.2f} {'':>12} "
                  f"{g:12.3f} {q['warm'] / g:9.2f}")
        print(f"{'planner: median warm/floor of ten':<46} {'':>8} {'':>8} {'':>8} {statistics.median(ratios):10.2f} "
              f"{results['planner']['peak_mb']:12,} {'':>12} {statistics.median(lake_ratios):9.2f}  (target <= 1.2)")
        print(f"  CPU s, warm: median of the ten against their floors' {statistics.median(cpu_ratios):.2f}x")
    targets = {"drivers": "target <= 2x floor and < 1.5 s", "savings": "target < 3 s", "overview": "target < 3 s"}
    labels = {"drivers": DRIVERS_QUESTION, "savings": SAVINGS_QUESTION, "anomalies": "find_anomalies(days=90)",
              "forecast": "forecast_month x2 + budget_outlook", "overview": "build_overview"}
    for name in analyses:
        if name == "planner":
            continue
        r, f, g = results[name], floor.get(name, {}).get("warm"), lake.get(name, {}).get("warm")
        ratio = f"{r['warm'] / f:10.2f}" if f else f"{'':>10}"
        shown = f"{f:8.3f}" if f else f"{'':>8}"
        on_lake = f"{g:12.3f} {r['warm'] / g:9.2f}" if g else f"{'':>12} {'':>9}"
        print(f"{labels[name]:<46} {r['cold']:8.3f} {r['warm']:8.3f} {shown} {ratio} {r['peak_mb']:12,} {on_lake}  "
              f"{targets.get(name, '')}")
        if f:
            fc, gc = floor[name]["warm_cpu"], lake[name]["warm_cpu"]
            print(f"  CPU s, warm: {r['warm_cpu']:.3f} against the floor's {fc:.3f} ({r['warm_cpu'] / fc:.2f}x) "
                  f"and the lake floor's {gc:.3f} ({r['warm_cpu'] / gc:.2f}x)")
        if name == "overview":
            print("  sections (last run, s): " + ", ".join(f"{k} {v}" for k, v in r["sections"].items()))
            for key, message in r["errors"].items():
                print(f"  section {key} failed: {message}")


if __name__ == "__main__":
    raise SystemExit(main())

"""Ingest throughput and peak memory against plain DuckDB, on one file, in one run.

    .venv/bin/python evals/bench_ingest.py [--rows 10000000] [--keep DIR]
    .venv/bin/python evals/bench_ingest.py --rows 1000000 --format litellm   # or langfuse, otel, helicone, all

Makes (once) a `llm_requests` Parquet file of --rows synthetic rows, then times
  1. plain DuckDB: CREATE TABLE t AS SELECT * FROM read_parquet(file) into a new database file;
  2. `finops ingest file` into a new FINOPS_HOME (validation, typing, de-duplication,
     pricing check, partitioned Parquet lake, ledger);
each in its own process, reporting wall time, rows/s and the process's peak RSS.

With --format F, the same rows are also written as F's export (LiteLLM spend-log,
Langfuse observation and Helicone request JSON lines; OTLP JSON with 100 spans per
request line) and `ingest(file, fmt=F)` is timed against `ingest(parquet)`, both in
a fresh warehouse and a process of their own (target: >= 0.5x the Parquet rows/s),
with each process's CPU seconds (the steadier figure when other work shares the
machine) and, beside each format, the floor of reading its file at all (DuckDB's
own read_json and read_json_objects into a table, no mapping).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAKE_FILE = """
import duckdb, sys
rows, path = int(sys.argv[1]), sys.argv[2]
con = duckdb.connect()
con.execute(f'''
COPY (
  SELECT
    'req_' || lpad(CAST(i AS VARCHAR), 12, '0') AS request_id,
    TIMESTAMP '2026-08-25' + to_microseconds(CAST(i * (CAST(90 * 86400 AS BIGINT) * 1000000 // {rows}) AS BIGINT)) AS ts,
    CASE i % 3 WHEN 0 THEN 'openai' WHEN 1 THEN 'anthropic' ELSE 'self-hosted' END AS provider,
    CASE i % 6 WHEN 0 THEN 'gpt-4o' WHEN 1 THEN 'claude-sonnet-4' WHEN 2 THEN 'llama-3.1-70b'
               WHEN 3 THEN 'gpt-4o-mini' WHEN 4 THEN 'claude-haiku-4' ELSE 'llama-3.1-70b' END AS model,
    CASE WHEN i % 11 = 0 THEN 'embeddings' ELSE 'chat' END AS operation,
    ['document-analysis', 'support-chat', 'summarize', 'code-review', 'search-rerank'][1 + i % 5] AS feature,
    ['docs-ai', 'cx', 'platform', 'devtools', 'search'][1 + i % 5] AS team,
    'u' || CAST(hash(i) % 2000 AS VARCHAR) AS user_id,
    CASE WHEN i % 10 = 0 THEN 'staging' ELSE 'prod' END AS environment,
    CAST(500 + hash(i) % 6000 AS BIGINT) AS input_tokens,
    CAST(hash(i + 1) % 500 AS BIGINT) AS cached_input_tokens,
    CAST(50 + hash(i + 2) % 800 AS BIGINT) AS output_tokens,
    CAST(200 + hash(i + 3) % 3000 AS DOUBLE) AS latency_ms,
    CASE WHEN i % 50 = 0 THEN 'error' ELSE 'ok' END AS status,
    CAST(CASE WHEN i % 50 = 1 THEN 2 ELSE 1 END AS INTEGER) AS attempt,
    md5(CAST(i % 100000 AS VARCHAR)) AS prompt_hash,
    (500 + hash(i) % 6000) * 2.5e-6 + (50 + hash(i + 2) % 800) * 1e-5 AS cost_usd
  FROM range({rows}) t(i)
) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)
''')
"""

PLAIN = """
import duckdb, sys
con = duckdb.connect(sys.argv[2])
con.execute("SET threads = 2")
con.execute("SET memory_limit = '2GB'")
n = con.execute("CREATE TABLE t AS SELECT * FROM read_parquet($1)", [sys.argv[1]]).fetchall()
print(con.execute("SELECT count(*) FROM t").fetchall()[0][0])
"""


# The synthetic rows as each source would export them (DuckDB writes JSON lines).
EXPORTS = {
    "litellm": """
      SELECT request_id, CASE operation WHEN 'embeddings' THEN 'aembedding' ELSE 'acompletion' END AS call_type,
             cost_usd AS spend, input_tokens + output_tokens AS total_tokens, input_tokens AS prompt_tokens,
             output_tokens AS completion_tokens, strftime(ts, '%Y-%m-%dT%H:%M:%S.%gZ') AS "startTime",
             strftime(ts + to_milliseconds(CAST(latency_ms AS BIGINT)), '%Y-%m-%dT%H:%M:%S.%gZ') AS "endTime",
             model, model AS model_group, provider AS custom_llm_provider, user_id AS "user",
             {'user_api_key_team_alias': team, 'usage_object': {'prompt_tokens_details': {'cached_tokens': cached_input_tokens}}} AS metadata,
             'False' AS cache_hit, prompt_hash AS cache_key, ['feature:' || feature, 'environment:' || environment] AS request_tags,
             team AS team_id, user_id AS end_user, CASE status WHEN 'ok' THEN 'success' ELSE 'failure' END AS status
      FROM read_parquet($src)""",
    "langfuse": """
      SELECT request_id AS id, 'trace-' || request_id AS trace_id, environment, 'GENERATION' AS type,
             strftime(ts, '%Y-%m-%d %H:%M:%S.%f') AS start_time,
             strftime(ts + to_milliseconds(CAST(latency_ms AS BIGINT)), '%Y-%m-%d %H:%M:%S.%f') AS end_time,
             {'team': team} AS metadata, CASE status WHEN 'ok' THEN 'DEFAULT' ELSE 'ERROR' END AS level,
             model AS provided_model_name, {'input': input_tokens - cached_input_tokens, 'input_cached_tokens': cached_input_tokens,
             'output': output_tokens} AS usage_details, cost_usd AS total_cost, user_id, ['feature:' || feature] AS tags
      FROM read_parquet($src)""",
    "helicone": """
      SELECT request_id, strftime(ts, '%Y-%m-%dT%H:%M:%S.%gZ') AS request_created_at, user_id AS request_user_id,
             {'feature': feature, 'team': team, 'environment': environment} AS request_properties, model,
             upper(provider) AS provider, CASE status WHEN 'ok' THEN 200 ELSE 500 END AS response_status, latency_ms AS delay_ms,
             input_tokens - cached_input_tokens AS prompt_tokens, cached_input_tokens AS prompt_cache_read_tokens,
             0 AS prompt_cache_write_tokens, output_tokens AS completion_tokens, cost_usd AS cost
      FROM read_parquet($src)""",
    "otel": """
      SELECT [{'resource': {'attributes': [{'key': 'service.name', 'value': {'stringValue': 'bench'}}]},
               'scopeSpans': [{'spans': list(span)}]}] AS "resourceSpans"
      FROM (
        SELECT row_number() OVER () // 100 AS line, {
          'traceId': md5(request_id), 'spanId': substr(md5(request_id), 1, 16), 'name': 'chat ' || model,
          'startTimeUnixNano': CAST(epoch_us(ts) * 1000 AS VARCHAR),
          'endTimeUnixNano': CAST((epoch_us(ts) + CAST(latency_ms * 1000 AS BIGINT)) * 1000 AS VARCHAR),
          'attributes': [
            {'key': 'gen_ai.operation.name', 'value': {'stringValue': operation, 'intValue': NULL}},
            {'key': 'gen_ai.provider.name', 'value': {'stringValue': provider, 'intValue': NULL}},
            {'key': 'gen_ai.request.model', 'value': {'stringValue': model, 'intValue': NULL}},
            {'key': 'gen_ai.response.id', 'value': {'stringValue': request_id, 'intValue': NULL}},
            {'key': 'gen_ai.usage.input_tokens', 'value': {'stringValue': NULL, 'intValue': CAST(input_tokens AS VARCHAR)}},
            {'key': 'gen_ai.usage.cache_read.input_tokens', 'value': {'stringValue': NULL, 'intValue': CAST(cached_input_tokens AS VARCHAR)}},
            {'key': 'gen_ai.usage.output_tokens', 'value': {'stringValue': NULL, 'intValue': CAST(output_tokens AS VARCHAR)}},
            {'key': 'feature', 'value': {'stringValue': feature, 'intValue': NULL}},
            {'key': 'team', 'value': {'stringValue': team, 'intValue': NULL}},
            {'key': 'user.id', 'value': {'stringValue': user_id, 'intValue': NULL}}]} AS span
        FROM read_parquet($src))
      GROUP BY line""",
}

MAKE_EXPORT = """
import duckdb, sys
query, src, out = sys.argv[1], sys.argv[2], sys.argv[3]
con = duckdb.connect()
con.execute("SET preserve_insertion_order = false")
con.execute(f"COPY ({query.replace('$src', repr(src))}) TO '{out}' (FORMAT json)")
"""

# The least reading a JSON export costs: DuckDB's own reader into an in-memory table (as ingest parses
# a text file into a temporary table), no mapping, the same settings.
READ_FLOOR = """
import duckdb, sys
reader, path = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET threads = 2")
con.execute("SET memory_limit = '2GB'")
con.execute("SET preserve_insertion_order = false")
con.execute(f"CREATE TABLE t AS SELECT * FROM {reader}($1)", [path])
"""

INGEST = """
import sys
from pathlib import Path
from warehouse.ingest import ingest
from warehouse.settings import load_settings
fmt = sys.argv[2]
report = ingest([Path(sys.argv[1])], load_settings(), table="llm_requests" if fmt == "parquet" else None, fmt="auto" if fmt == "parquet" else fmt)
[result] = report.results
assert result.status == "loaded", result.message
print(result.rows_loaded)
"""


def run_measured(command: list[str], env: dict | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MB of that child alone, and its stdout."""
    seconds, peak_mb, _, out = run_timed(command, env)
    return seconds, peak_mb, out


def run_timed(command: list[str], env: dict | None = None) -> tuple[float, int, float, str]:
    """Wall seconds, peak RSS in MB and CPU seconds (user + system) of that child alone, and its stdout.

    CPU seconds are the steadier figure on a machine other work shares."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = process.stdout.read()
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"{' '.join(command[:3])} failed ({process.returncode}): {err[-2000:]}")
    return elapsed, usage.ru_maxrss // 1024, usage.ru_utime + usage.ru_stime, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--keep", type=Path, help="Folder to keep the generated file in between runs.")
    parser.add_argument("--format", choices=[*EXPORTS, "all"], help="Also time this source format against the Parquet path.")
    parser.add_argument("--repeat", type=int, default=1, help="With --format: run each ingest this many times and keep the fastest "
                        "(wall and CPU each at their least): a busy machine only ever adds time.")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    cache = args.keep or work
    cache.mkdir(parents=True, exist_ok=True)
    source = cache / f"llm_requests_{args.rows}.parquet"
    if not source.exists():
        print(f"generating {args.rows:,} rows -> {source}", flush=True)
        run_measured([sys.executable, "-c", MAKE_FILE, str(args.rows), str(source)])
    size_mb = source.stat().st_size / 1e6
    print(f"file: {source} ({size_mb:,.0f} MB, {args.rows:,} rows)")

    plain_s, plain_mb, _ = run_measured([sys.executable, "-c", PLAIN, str(source), str(work / "plain.duckdb")])
    env = dict(os.environ, FINOPS_HOME=str(work / "home"), FINOPS_MEMORY_LIMIT="2GB", FINOPS_THREADS="2")
    finops = [sys.executable, "-m", "ui.cli", "ingest", str(source), "--table", "llm_requests"]
    ours_s, ours_mb, out = run_measured(finops, env)
    print(out.strip())

    print(f"plain DuckDB CTAS : {plain_s:6.2f} s  {args.rows / plain_s:12,.0f} rows/s  peak RSS {plain_mb:,} MB")
    print(f"finops ingest     : {ours_s:6.2f} s  {args.rows / ours_s:12,.0f} rows/s  peak RSS {ours_mb:,} MB")
    print(f"throughput ratio (finops / plain): {plain_s / ours_s:.2f}  (target >= 0.5)")
    print(f"peak memory under 2 GB: {'yes' if ours_mb < 2048 else 'NO'}")
    if args.format:
        compare_formats(list(EXPORTS) if args.format == "all" else [args.format], source, cache, work, args.rows, max(1, args.repeat))
    shutil.rmtree(work, ignore_errors=True)


def compare_formats(formats: list[str], source: Path, cache: Path, work: Path, rows: int, repeat: int = 1) -> None:
    """ingest(parquet) against ingest(export, fmt=F), each in a fresh warehouse and process.

    Beside each format, the floor of reading its export at all: DuckDB's own read_json of the
    file into a table with no mapping (auto-detected, as DuckDB reads it by default), and
    read_json_objects (each document parsed once, kept as JSON: the least any reader does).
    """
    def timed(path: Path, fmt: str) -> tuple[float, int, float]:
        runs = []
        for _ in range(repeat):
            home = work / f"home-{fmt}"
            shutil.rmtree(home, ignore_errors=True)
            env = dict(os.environ, FINOPS_HOME=str(home), FINOPS_MEMORY_LIMIT="2GB", FINOPS_THREADS="2", PYTHONPATH=str(Path(__file__).resolve().parent.parent))
            seconds, peak_mb, cpu, out = run_timed([sys.executable, "-c", INGEST, str(path), fmt], env)
            assert int(out.strip()) == rows, out
            runs.append((seconds, peak_mb, cpu))
        return min(r[0] for r in runs), max(r[1] for r in runs), min(r[2] for r in runs)

    def floor(reader: str, path: Path) -> tuple[float, float]:
        runs = [run_timed([sys.executable, "-c", READ_FLOOR, reader, str(path)]) for _ in range(repeat)]
        return min(r[0] for r in runs), min(r[2] for r in runs)

    exports = {}
    for fmt in formats:
        exports[fmt] = cache / f"{fmt}_{rows}.jsonl"
        if not exports[fmt].exists():
            print(f"writing {fmt} export -> {exports[fmt]}", flush=True)
            run_measured([sys.executable, "-c", MAKE_EXPORT, EXPORTS[fmt], str(source), str(exports[fmt])])
    # The Parquet path runs beside each format, so a busy spell slows both; its least time is the reference.
    parquet_runs, measured = [], {}
    for fmt in formats:
        parquet_runs.append(timed(source, "parquet"))
        measured[fmt] = timed(exports[fmt], fmt)
    parquet_s, parquet_cpu = min(r[0] for r in parquet_runs), min(r[2] for r in parquet_runs)
    if repeat > 1:
        print(f"each figure is the least of {repeat} runs (the Parquet path's of {repeat * len(formats)})")
    print(f"ingest(parquet)        : {parquet_s:6.2f} s  {rows / parquet_s:12,.0f} rows/s  CPU {parquet_cpu:6.2f} s  "
          f"peak RSS {max(r[1] for r in parquet_runs):,} MB")
    for fmt in formats:
        seconds, peak_mb, cpu = measured[fmt]
        print(f"ingest({fmt:<9}, {exports[fmt].stat().st_size / 1e6:5,.0f} MB): {seconds:6.2f} s  {rows / seconds:12,.0f} rows/s  CPU {cpu:6.2f} s  "
              f"peak RSS {peak_mb:,} MB  ratio {parquet_s / seconds:.2f} (CPU {parquet_cpu / cpu:.2f}; target >= 0.5)", flush=True)
        for reader in ("read_json", "read_json_objects"):
            floor_s, floor_cpu = floor(reader, exports[fmt])
            print(f"  floor: {reader + ' -> table':<24}: {floor_s:6.2f} s  CPU {floor_cpu:6.2f} s  "
                  f"(best ratio were ingest this read plus the Parquet path's work: {parquet_s / (parquet_s + floor_s):.2f})", flush=True)


if __name__ == "__main__":
    main()

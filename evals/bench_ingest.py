"""Ingest throughput and peak memory against plain DuckDB, on one file, in one run.

    .venv/bin/python evals/bench_ingest.py [--rows 10000000] [--keep DIR]

Makes (once) a `llm_requests` Parquet file of --rows synthetic rows, then times
  1. plain DuckDB: CREATE TABLE t AS SELECT * FROM read_parquet(file) into a new database file;
  2. `finops ingest file` into a new FINOPS_HOME (validation, typing, de-duplication,
     pricing check, partitioned Parquet lake, ledger);
each in its own process, reporting wall time, rows/s and the process's peak RSS.
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


def run_measured(command: list[str], env: dict | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MB of that child alone, and its stdout."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = process.stdout.read()
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"{' '.join(command[:3])} failed ({process.returncode}): {err[-2000:]}")
    return elapsed, usage.ru_maxrss // 1024, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--keep", type=Path, help="Folder to keep the generated file in between runs.")
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
    finops = [sys.executable, "-m", "assistant.cli", "ingest", str(source), "--table", "llm_requests"]
    ours_s, ours_mb, out = run_measured(finops, env)
    print(out.strip())

    print(f"plain DuckDB CTAS : {plain_s:6.2f} s  {args.rows / plain_s:12,.0f} rows/s  peak RSS {plain_mb:,} MB")
    print(f"finops ingest     : {ours_s:6.2f} s  {args.rows / ours_s:12,.0f} rows/s  peak RSS {ours_mb:,} MB")
    print(f"throughput ratio (finops / plain): {plain_s / ours_s:.2f}  (target >= 0.5)")
    print(f"peak memory under 2 GB: {'yes' if ours_mb < 2048 else 'NO'}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

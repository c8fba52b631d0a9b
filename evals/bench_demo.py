"""Benchmark the demo generator: rows/s and peak memory for a large data set.

    python evals/bench_demo.py [rows] [days]

Generates into a temporary directory (deleted afterwards) and prints wall time,
llm_requests rows per second, peak RSS and the size on disk.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from warehouse.demo import generate_demo  # noqa: E402


def main(rows: int = 10_000_000, days: int = 90) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        out = Path(tmp) / "acme"
        started = time.perf_counter()
        summary = generate_demo(out, rows=rows, days=days)
        elapsed = time.perf_counter() - started
        size = sum(path.stat().st_size for path in out.rglob("*") if path.is_file())
        files = sorted(str(path.relative_to(out)) for path in out.rglob("*.parquet"))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    generated = summary.rows["llm_requests"]
    print(f"llm_requests rows: {generated:,} (asked {rows:,}) over {days} days")
    print(f"wall time: {elapsed:.1f} s")
    print(f"throughput: {generated / elapsed:,.0f} llm_requests rows/s")
    print(f"peak RSS: {peak_mb:,.0f} MiB")
    print(f"on disk: {size / 2**20:,.0f} MiB in {len(files)} Parquet files")
    print("rows:", dict(summary.rows))


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))

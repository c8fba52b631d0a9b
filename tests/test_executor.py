"""The executor: read-only, locked, limited, and honest about truncation."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import make_settings
from tests.tiny_data import llm_rows, write_table
from warehouse.errors import QueryError, QueryMemoryError, QueryTimeoutError, WarehouseError
from warehouse.executor import Executor
from warehouse.ingest import ingest
from warehouse.lake import Lake


def test_tables_answer_with_known_figures(executor):
    result = executor.query("SELECT count(*), sum(input_tokens) FROM llm_requests")
    rows = llm_rows()
    assert result.rows == [(len(rows), sum(r["input_tokens"] for r in rows))]
    assert result.columns == ("count_star()", "sum(input_tokens)")
    assert not result.truncated


def test_idle_gpu_cost_of_the_fixture(executor):
    # node-2 is unallocated at 5% utilization for 48 hours at $40/h
    idle = executor.query("SELECT sum(cost_usd * (1 - gpu_util_pct / 100)) FROM gpu_usage WHERE deployment IS NULL").rows[0][0]
    assert idle == pytest.approx(48 * 40 * 0.95)


def test_max_rows_plus_one_reports_truncation(warehouse_settings):
    settings = warehouse_settings.model_copy(update={"max_rows": 7})
    with Executor(settings) as executor:
        result = executor.query("SELECT request_id FROM llm_requests ORDER BY request_id")
        exact = executor.query("SELECT request_id FROM llm_requests ORDER BY request_id LIMIT 7")
    assert len(result.rows) == 7 and result.truncated
    assert result.rows[0] == ("req-00000",)
    assert not exact.truncated


@pytest.mark.parametrize(
    "sql",
    [
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
        "SELECT count(*) FROM range(100000) a, range(100000) b, range(100000) c",
    ],
    ids=["endless-recursion", "huge-cross-join"],
)
def test_heavy_query_is_stopped_by_the_timeout(warehouse_settings, sql):
    settings = warehouse_settings.model_copy(update={"query_timeout_s": 1.0})
    with Executor(settings) as executor:
        started = time.monotonic()
        with pytest.raises(QueryTimeoutError, match="FINOPS_QUERY_TIMEOUT_S") as caught:
            executor.query(sql)
        assert time.monotonic() - started < 4
        assert "1 s" in caught.value.user_message
        assert executor.query("SELECT 42").rows == [(42,)]  # the connection survives


def test_memory_hungry_query_names_the_memory_setting(warehouse_settings):
    settings = warehouse_settings.model_copy(update={"memory_limit": "64MB", "query_timeout_s": 20.0})
    with Executor(settings) as executor:
        with pytest.raises(QueryMemoryError, match="FINOPS_MEMORY_LIMIT"):
            executor.query("SELECT list(repeat('x', 1000)) FROM range(2000000)")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM '/etc/hostname'",
        "COPY (SELECT 1) TO '/tmp/finops-executor-escape.csv'",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "INSTALL httpfs",
        "ATTACH '/tmp/finops-escape.duckdb' AS other",
    ],
)
def test_the_connection_cannot_reach_outside_the_lake(executor, sql):
    with pytest.raises(QueryError):
        executor.query(sql)
    assert not Path("/tmp/finops-executor-escape.csv").exists()
    assert not Path("/tmp/finops-escape.duckdb").exists()


def test_lake_files_cannot_be_written_through_the_executor(executor):
    lake_dir = executor.lake.root / "llm_requests" / "month=2026-10"
    before = sorted(p.name for p in lake_dir.iterdir())
    with pytest.raises(QueryError):
        executor.query(f"COPY (SELECT 1 AS x) TO '{lake_dir / 'injected.parquet'}'")
    assert sorted(p.name for p in lake_dir.iterdir()) == before


def test_a_new_load_is_seen_by_an_open_executor(settings, tmp_path):
    ingest([write_table(llm_rows()[:10], tmp_path / "a" / "llm_requests.parquet")], settings)
    with Executor(settings) as executor:
        assert executor.query("SELECT count(*) FROM llm_requests").rows == [(10,)]
        ingest([write_table(llm_rows()[10:25], tmp_path / "b" / "llm_requests.parquet")], settings)
        assert executor.query("SELECT count(*) FROM llm_requests").rows == [(25,)]


def test_no_warehouse_is_a_clear_error(tmp_path):
    with Executor(make_settings(tmp_path / "empty")) as executor:
        with pytest.raises(WarehouseError, match="finops ingest"):
            executor.query("SELECT 1")


def test_empty_warehouse_has_typed_empty_tables(settings, tmp_path):
    Lake(settings.home)
    ingest([write_table(llm_rows()[:1], tmp_path / "llm_requests.parquet")], settings)
    with Executor(settings) as executor:
        result = executor.query("SELECT sum(EffectiveCost), count(*) FROM billing")
    assert result.rows == [(None, 0)]
    assert result.types[0] == "DOUBLE"

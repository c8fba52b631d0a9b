"""The `finops` command as a user runs it: exit codes 0/1/2, plain messages, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FOCUS_SAMPLE
from tests.tiny_data import llm_rows, write_table


def finops(*args: str, home: Path, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("FINOPS_", "OPENAI_"))}
    environment.update({"FINOPS_HOME": str(home), **env})
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        cwd=Path(__file__).parent.parent,
    )


def assert_refused(result: subprocess.CompletedProcess, *phrases: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr


def test_ingest_info_and_sql_round_trip(tmp_path):
    home = tmp_path / "home"
    loaded = finops("ingest", str(FOCUS_SAMPLE), home=home)
    assert loaded.returncode == 0, loaded.stderr
    assert "loaded" in loaded.stdout and "1,000 rows" in loaded.stdout

    again = finops("ingest", str(FOCUS_SAMPLE), home=home)
    assert again.returncode == 0 and "skipped" in again.stdout

    info = finops("info", "--json", home=home)
    assert info.returncode == 0, info.stderr
    facts = json.loads(info.stdout)
    billing = next(t for t in facts["tables"] if t["name"] == "billing")
    assert billing["rows"] == 1000
    assert billing["first"].startswith("2024-09-01")
    assert facts["as_of"] == "2024-10-01"  # the day after the last charge day
    assert facts["loads"] == 1

    answer = finops("sql", "--json", "SELECT ProviderName, count(*) AS n FROM billing GROUP BY 1 ORDER BY 1", home=home)
    assert answer.returncode == 0, answer.stderr
    payload = json.loads(answer.stdout)
    assert payload["columns"] == ["ProviderName", "n"]
    assert sum(row[1] for row in payload["rows"]) == 1000


def test_info_lists_the_focus_versions_of_the_billing_data(tmp_path):
    home = tmp_path / "home"
    loaded = finops("ingest", str(FOCUS_SAMPLE), str(FOCUS_SAMPLE.parent / "focus-1.2-columns.csv"), home=home)
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(finops("info", "--json", home=home).stdout)["focus_versions"] == ["1.0", "1.2"]
    assert "billing: FOCUS 1.0, 1.2" in finops("info", home=home).stdout


def test_as_of_setting_overrides_the_data(tmp_path):
    home = tmp_path / "home"
    finops("ingest", str(FOCUS_SAMPLE), home=home)
    facts = json.loads(finops("info", "--json", home=home, FINOPS_AS_OF="2024-09-15").stdout)
    assert (facts["as_of"], facts["as_of_source"]) == ("2024-09-15", "setting")


@pytest.mark.parametrize(
    "sql, phrase",
    [
        ("DROP TABLE billing", "Only read-only queries"),
        ("DELETE FROM billing", "Only read-only queries"),
        ("SELECT 1; SELECT 2", "exactly one SQL statement"),
        ("SELEC 1 FROM", "could not be parsed"),
        ("SELECT * FROM read_csv('/etc/passwd')", "not allowed"),
    ],
)
def test_sql_refuses_what_is_not_one_read_only_query(tmp_path, sql, phrase):
    home = tmp_path / "home"
    finops("ingest", str(FOCUS_SAMPLE), home=home)
    assert_refused(finops("sql", sql, home=home), phrase)


def test_sql_without_a_warehouse_says_how_to_make_one(tmp_path):
    assert_refused(finops("sql", "SELECT 1", home=tmp_path / "nothing"), "finops ingest", "make demo")


def test_refused_file_exits_2_and_names_it(tmp_path):
    home = tmp_path / "home"
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"not a parquet file")
    result = finops("ingest", str(bad), home=home)
    assert_refused(result, "broken.parquet")


def test_partial_folder_load_exits_2_but_keeps_the_good_file(tmp_path):
    home = tmp_path / "home"
    folder = tmp_path / "drop"
    write_table(llm_rows()[:10], folder / "llm_requests" / "good.parquet")
    (folder / "llm_requests" / "bad.csv").write_text("request_id,ts\nx,not-a-time\n")
    result = finops("ingest", str(folder), "--json", home=home)
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert {Path(r["path"]).name: r["status"] for r in report["results"]} == {"good.parquet": "loaded", "bad.csv": "refused"}
    assert report["rows_loaded"] == 10


def test_invalid_setting_is_refused_by_name(tmp_path):
    assert_refused(finops("info", home=tmp_path, FINOPS_MAX_ROWS="many"), "FINOPS_MAX_ROWS")


def test_bad_demo_data_arguments_are_refused(tmp_path):
    assert_refused(finops("demo-data", "--out", str(tmp_path / "d"), "--rows", "5", home=tmp_path), "rows")
    assert_refused(finops("demo-data", "--out", str(tmp_path / "d"), "--end", "someday", home=tmp_path), "--end")


def test_unreadable_catalog_is_a_clear_error(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "warehouse.duckdb").write_text("garbage")
    result = finops("info", home=home)
    assert_refused(result, "warehouse.duckdb")


def test_internal_error_exits_1_with_a_request_id(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    import warehouse.info
    from ui.cli import app

    def broken(executor):
        raise RuntimeError("boom")

    monkeypatch.setenv("FINOPS_HOME", str(tmp_path))
    monkeypatch.setattr(warehouse.info, "warehouse_info", broken)
    result = CliRunner().invoke(app, ["info"])
    assert result.exit_code == 1
    assert "internal error (request " in result.output and "--debug" in result.output
    assert "Traceback" not in result.output


def test_demo_data_then_ingest_loads_every_row_once(tmp_path):
    home, out = tmp_path / "home", tmp_path / "demo"
    made = finops("demo-data", "--out", str(out), "--rows", "20000", "--days", "30", "--seed", "3", home=home)
    assert made.returncode == 0, made.stderr
    incidents = json.loads((out / "incidents.json").read_text())
    assert len(incidents["incidents"]) >= 8
    assert_refused(finops("demo-data", "--out", str(out), home=home), "empty")  # never overwrites

    loaded = finops("ingest", str(out), "--json", home=home)
    assert loaded.returncode == 0, loaded.stderr
    report = json.loads(loaded.stdout)
    import pyarrow.parquet as pq

    written = {table: sum(pq.ParquetFile(f).metadata.num_rows for f in (out / table).glob("*.parquet")) for table in ("billing", "llm_requests", "gpu_usage", "model_prices", "budgets", "vendor_usage")}
    by_table = {}
    for result in report["results"]:
        by_table[result["table"]] = by_table.get(result["table"], 0) + result["rows_loaded"]
    assert by_table == written
    again = json.loads(finops("ingest", str(out), "--json", home=home).stdout)
    assert {r["status"] for r in again["results"]} == {"skipped"}
    facts = json.loads(finops("info", "--json", home=home).stdout)
    assert facts["as_of"] == incidents["end"]


def test_demo_warehouse_is_built_once(tmp_path, monkeypatch):
    from tests.conftest import make_settings
    from ui import launch

    monkeypatch.setattr(launch, "DEMO_ROWS", 20_000)
    monkeypatch.setattr(launch, "DEMO_DAYS", 30)
    settings = make_settings(tmp_path / "home")
    said: list[str] = []
    assert launch.ensure_demo_warehouse(settings, echo=said.append) is True
    assert launch.ensure_demo_warehouse(settings, echo=said.append) is False
    assert "Using the warehouse" in said[-1]


@pytest.mark.parametrize(
    "sql, setting",
    [
        ("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r", "FINOPS_QUERY_TIMEOUT_S"),
        ("SELECT count(*) FROM range(100000) a, range(100000) b, range(100000) c", "FINOPS_QUERY_TIMEOUT_S"),
        ("SELECT length(string_agg(repeat('x', 1000), '')) FROM range(100000000)", "FINOPS_MEMORY_LIMIT"),
    ],
    ids=["endless-recursion", "cross-join", "string-bomb"],
)
def test_heavy_queries_are_stopped_by_the_limits(warehouse_settings, sql, setting):
    import time

    started = time.monotonic()
    result = finops("sql", sql, home=warehouse_settings.home, FINOPS_QUERY_TIMEOUT_S="2", FINOPS_MEMORY_LIMIT="300MB")
    assert_refused(result, setting)
    assert time.monotonic() - started < 2 + 6  # the timeout, plus process start-up and the interrupt


def test_anomalies_command_prints_the_contract_json(warehouse_settings):
    result = finops("anomalies", "--json", "--days", "30", home=warehouse_settings.home)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["as_of"] == "2026-10-31"
    for anomaly in payload["anomalies"]:
        assert {"metric", "dimension", "value", "start", "end", "expected", "actual", "impact_usd", "impact_pct", "score", "root_causes"} <= set(anomaly)
    assert_refused(finops("anomalies", "--days", "0", home=warehouse_settings.home), "--days")


@pytest.mark.parametrize("question, code, reading", [
    ("inference cost by feature last week", 0, "Read as: inference cost · by feature · last week"),
    ("daily inference cost this month", 0, "Read as: inference cost · per day · this month · trend"),
    ("what is our llm spend on the moon last week", 2, "Read as: inference cost · last week"),  # partly understood
    ("write me a poem about clouds", 2, None),  # nothing was read: no line
], ids=["answered", "trend", "partly-understood", "not-understood"])
def test_ask_prints_how_the_question_was_read(warehouse_settings, question, code, reading):
    result = finops("ask", question, home=warehouse_settings.home)
    assert result.returncode == code, (result.stdout, result.stderr)
    read = [line.strip() for line in result.stdout.splitlines() if "Read as:" in line]
    assert read == ([reading] if reading else [])
    assert "Traceback" not in result.stderr

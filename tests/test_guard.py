"""The SQL guard, as tables: attacks refused, benign queries run, scopes never escaped.

Corpora live in tests/fixtures/guard/ (see its README). Scope cases run twice:
with the scope on the full warehouse, and without it on a warehouse that holds
only that team's rows; the answers must be the same.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import normalized
from warehouse.errors import UnsafeSqlError
from warehouse.guard import validate_sql
from warehouse.scope import Scope

CORPUS = Path(__file__).parent / "fixtures" / "guard"
ATTACKS = yaml.safe_load((CORPUS / "attacks.yaml").read_text())
BENIGN = yaml.safe_load((CORPUS / "benign.yaml").read_text())
REFUSED = [case for case in ATTACKS if case.get("expect", "refused") == "refused"]
IN_SCOPE = [case for case in ATTACKS if case.get("expect") == "in_scope"]


def ids(cases):
    return [case["id"] for case in cases]


# --- the corpora ------------------------------------------------------------------------------------


def test_corpora_are_big_enough_and_well_formed():
    assert len(ATTACKS) >= 150 and len(BENIGN) >= 60
    assert len({case["id"] for case in ATTACKS + BENIGN}) == len(ATTACKS) + len(BENIGN)
    classes = {case["class"] for case in ATTACKS}
    for required in ("dml", "ddl", "file_read", "system_functions", "multi_statement", "hidden_dml", "obfuscation", "scope_escape"):
        assert required in classes


@pytest.mark.parametrize("case", REFUSED, ids=ids(REFUSED))
def test_attack_is_refused_by_the_guard(executor, case):
    """Refused by the guard itself, not left to DuckDB's limits (those are the second line)."""
    with pytest.raises(UnsafeSqlError):
        executor.run_sql(case["sql"], scope=case.get("scope"))


@pytest.mark.parametrize("case", IN_SCOPE, ids=ids(IN_SCOPE))
def test_scope_escape_sees_only_the_scope(executor, team_warehouse, case):
    scope = Scope.parse(case["scope"])
    assert scope == Scope("team", "cx"), "the team-only warehouse holds team cx"
    scoped = executor.run_sql(case["sql"], scope=scope)
    alone = team_warehouse.run_sql(case["sql"])
    assert normalized(scoped.rows) == normalized(alone.rows)


@pytest.mark.parametrize("case", BENIGN, ids=ids(BENIGN))
def test_benign_query_passes_and_runs(executor, case):
    result = executor.run_sql(case["sql"], scope=case.get("scope"))
    assert result.columns


# --- messages and rewrites ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql, message",
    [
        ("SELECT servce FROM billing", "no column 'servce' in billing; did you mean 'ServiceName'?"),
        ("SELECT sum(cost) FROM llm_requests", "did you mean 'cost_usd'?"),
        ("SELECT * FROM bilking", "no table 'bilking' in the warehouse; did you mean billing?"),
        ("SELECT * FROM invoices", "the tables are assistant_usage, billing, budgets, gpu_usage, llm_requests, model_prices"),
        ("DELETE FROM billing", "this is a DELETE statement"),
        ("SELECT 1; DROP TABLE billing", "exactly one SQL statement"),
        ("SELECT * FROM read_parquet('x.parquet')", "read_parquet() is not allowed"),
        ("SELECT getenv('HOME')", "getenv() is not allowed"),
        ("", "empty"),
    ],
)
def test_refusals_say_what_to_do(sql, message):
    with pytest.raises(UnsafeSqlError) as caught:
        validate_sql(sql)
    assert message in caught.value.user_message


@pytest.mark.parametrize(
    "sql, max_rows, limit",
    [
        ("SELECT model FROM llm_requests", 100, 101),
        ("SELECT model FROM llm_requests LIMIT 5", 100, 5),
        ("SELECT model FROM llm_requests LIMIT 100000", 100, 101),
        ("SELECT model FROM llm_requests UNION SELECT model FROM model_prices", 10, 11),
        ("WITH m AS (SELECT model FROM llm_requests LIMIT 99999) SELECT * FROM m", 10, 11),
    ],
)
def test_limit_is_added_or_lowered(sql, max_rows, limit):
    import sqlglot

    guarded = sqlglot.parse_one(validate_sql(sql, max_rows=max_rows), read="duckdb")
    assert int(guarded.args["limit"].expression.this) == limit


def test_scope_rewrites_every_reference():
    sql = validate_sql(
        "WITH a AS (SELECT team FROM llm_requests) SELECT * FROM a UNION ALL SELECT team FROM gpu_usage g "
        "WHERE EXISTS (SELECT 1 FROM llm_requests x WHERE x.team = g.team)",
        scope="team=cx",
    )
    assert sql.count("WHERE \"team\" = 'cx'") == 3


def test_scope_on_a_dimension_a_table_lacks_shows_no_rows(executor):
    result = executor.run_sql("SELECT count(*) FROM gpu_usage", scope=Scope("feature", "summarize"))
    assert result.rows == [(0,)]


def test_bad_scope_is_refused():
    with pytest.raises(UnsafeSqlError, match="DIMENSION=VALUE"):
        Scope.parse("cx")
    with pytest.raises(UnsafeSqlError, match="not by 'planet'"):
        Scope.parse("planet=mars")


# --- through the command line: exit 2, one or two sentences, nothing written --------------------------


def test_cli_refuses_attacks_and_writes_nothing(warehouse_settings, tmp_path):
    """A sample of every attack class through `finops sql`, watching the lake and the working folder."""
    lake = warehouse_settings.home
    before = sorted((p, p.stat().st_size, p.stat().st_mtime_ns) for p in lake.rglob("*") if p.is_file() and "logs" not in p.parts)
    sample = {}
    for case in REFUSED:
        sample.setdefault(case["class"], case)
    env = {"FINOPS_HOME": str(lake), "PATH": "/usr/bin:/bin"}
    for case in sample.values():
        command = [sys.executable, "-m", "ui.cli", "sql", case["sql"]]
        if case.get("scope"):
            command += ["--scope", case["scope"]]
        result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
        assert result.returncode == 2, (case["id"], result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("finops: ") and result.stderr.count("\n") == 1, case["id"]
    after = sorted((p, p.stat().st_size, p.stat().st_mtime_ns) for p in lake.rglob("*") if p.is_file() and "logs" not in p.parts)
    assert after == before
    assert list(tmp_path.iterdir()) == []

"""The demo data generator: contract schemas, determinism, cross-table agreement, planted incidents."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from warehouse.contract import TABLES
from warehouse.demo import DemoSummary, arrow_schema, generate_demo

ROWS = 20_000
DAYS = 60
END = date(2026, 11, 23)
LAST_WEEK = END - timedelta(days=7)
WEEK_BEFORE = END - timedelta(days=14)


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    return generate_demo(tmp_path_factory.mktemp("demo") / "acme", days=DAYS, rows=ROWS, seed=11, end=END)


@pytest.fixture(scope="session")
def db(demo: DemoSummary) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for table in TABLES:
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{demo.out_dir / table}/*.parquet')")
    return con


@pytest.fixture(scope="session")
def incidents(demo: DemoSummary) -> dict[str, dict]:
    payload = json.loads((demo.out_dir / "incidents.json").read_text())
    return {incident["id"]: incident for incident in payload["incidents"]}


def scalar(db: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> object:
    return db.execute(sql, params or {}).fetchone()[0]


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_file_has_the_contract_schema(demo: DemoSummary, table: str) -> None:
    parts = sorted((demo.out_dir / table).glob("part-*.parquet"))
    assert parts and parts[0].name == "part-00000.parquet"
    for part in parts:
        assert pq.read_schema(part).equals(arrow_schema(TABLES[table])), part


def test_layout_and_summary(demo: DemoSummary) -> None:
    assert sorted(p.name for p in demo.out_dir.iterdir()) == sorted([*TABLES, "incidents.json"])
    assert [p.name for p in demo.out_dir.parent.iterdir()] == [demo.out_dir.name]  # no staging left
    assert (demo.start, demo.end) == (END - timedelta(days=DAYS), END)
    assert all(demo.rows[table] > 0 for table in TABLES)
    assert 0.002 < demo.null_cost_share < 0.01


def test_row_count_is_honoured(demo: DemoSummary, db: duckdb.DuckDBPyConnection) -> None:
    count = scalar(db, "SELECT count(*) FROM llm_requests")
    assert count == demo.rows["llm_requests"]
    assert abs(count - ROWS) / ROWS < 0.05


def test_request_ids_unique_and_data_inside_range(db: duckdb.DuckDBPyConnection) -> None:
    assert scalar(db, "SELECT count(*) - count(DISTINCT request_id) FROM llm_requests") == 0
    first, last = db.execute("SELECT min(ts)::DATE, max(ts)::DATE FROM llm_requests").fetchone()
    assert first == END - timedelta(days=DAYS) and last == END - timedelta(days=1)
    assert scalar(db, "SELECT max(ChargePeriodEnd)::DATE FROM billing") == END
    assert scalar(db, "SELECT count(DISTINCT user_id) FROM llm_requests") > 1000


def test_same_arguments_give_the_same_data(demo: DemoSummary, tmp_path: Path) -> None:
    again = generate_demo(tmp_path / "again", days=DAYS, rows=ROWS, seed=11, end=END)
    for table in TABLES:
        a = pq.read_table(demo.out_dir / table)
        b = pq.read_table(again.out_dir / table)
        assert a.equals(b), table
    assert (demo.out_dir / "incidents.json").read_text() == (again.out_dir / "incidents.json").read_text()


def test_a_different_seed_gives_different_data(demo: DemoSummary, tmp_path: Path) -> None:
    other = generate_demo(tmp_path / "other", days=DAYS, rows=5_000, seed=12, end=END)
    a = pq.read_table(demo.out_dir / "llm_requests", columns=["request_id"]).column(0).to_pylist()
    b = pq.read_table(other.out_dir / "llm_requests", columns=["request_id"]).column(0).to_pylist()
    assert not set(a) & set(b)


PRICED = """
SELECT r.provider, r.ts::DATE AS day,
       coalesce(r.cost_usd,
                ((r.input_tokens - r.cached_input_tokens) * p.input_usd_per_mtok
                 + r.cached_input_tokens * coalesce(p.cached_input_usd_per_mtok, p.input_usd_per_mtok)
                 + r.output_tokens * p.output_usd_per_mtok) / 1e6) AS cost
FROM llm_requests r
JOIN model_prices p ON p.provider = r.provider AND p.model = r.model
 AND r.ts >= p.valid_from AND (p.valid_to IS NULL OR r.ts < p.valid_to)
"""


def test_ai_vendor_lines_agree_with_llm_requests(db: duckdb.DuckDBPyConnection) -> None:
    rows = db.execute(f"""
        WITH requests AS (SELECT provider, day, sum(cost) AS cost FROM ({PRICED}) GROUP BY ALL),
             lines AS (SELECT lower(ProviderName) AS provider, ChargePeriodStart::DATE AS day,
                              sum(EffectiveCost) AS cost
                       FROM billing WHERE ServiceCategory = 'AI and Machine Learning' GROUP BY ALL)
        SELECT coalesce(r.provider, l.provider), coalesce(r.day, l.day), r.cost, l.cost
        FROM requests r FULL JOIN lines l USING (provider, day)
        WHERE r.provider <> 'self-hosted' OR l.provider IS NOT NULL
    """).fetchall()
    assert len(rows) == 2 * DAYS  # openai and anthropic, every day
    for provider, day, logged, billed in rows:
        assert logged is not None and billed is not None, (provider, day)
        assert abs(logged - billed) < 0.01, (provider, day, logged, billed)


def test_null_costs_are_priced_by_model_prices(db: duckdb.DuckDBPyConnection) -> None:
    worst = scalar(db, """
        SELECT max(abs(r.cost_usd - ((r.input_tokens - r.cached_input_tokens) * p.input_usd_per_mtok
                 + r.cached_input_tokens * coalesce(p.cached_input_usd_per_mtok, p.input_usd_per_mtok)
                 + r.output_tokens * p.output_usd_per_mtok) / 1e6))
        FROM llm_requests r JOIN model_prices p ON p.provider = r.provider AND p.model = r.model
         AND r.ts >= p.valid_from AND (p.valid_to IS NULL OR r.ts < p.valid_to)
        WHERE r.cost_usd IS NOT NULL""")
    assert worst < 1e-12
    assert scalar(db, "SELECT count(*) FROM model_prices WHERE valid_to IS NOT NULL") == 1


def test_gpu_lines_agree_with_gpu_usage(db: duckdb.DuckDBPyConnection) -> None:
    worst = scalar(db, """
        WITH usage AS (SELECT hour::DATE AS day, node_id, sum(cost_usd) AS cost FROM gpu_usage GROUP BY ALL),
             lines AS (SELECT ChargePeriodStart::DATE AS day, ResourceName AS node_id, sum(EffectiveCost) AS cost
                       FROM billing WHERE ResourceName IN (SELECT node_id FROM gpu_usage) GROUP BY ALL)
        SELECT max(abs(coalesce(u.cost, 0) - coalesce(l.cost, 0))) FROM usage u FULL JOIN lines l USING (day, node_id)
    """)
    assert worst < 0.01
    assert scalar(db, "SELECT count(DISTINCT node_id) FROM gpu_usage") == 8


def test_billing_is_plausible_focus(db: duckdb.DuckDBPyConnection) -> None:
    mandatory = [c.name for c in TABLES["billing"].required_columns if c.name not in ("ChargeClass",
                                                                                       "PricingQuantity",
                                                                                       "PricingUnit")]
    nulls = " + ".join(f"count(*) FILTER (WHERE {name} IS NULL)" for name in mandatory)
    assert scalar(db, f"SELECT {nulls} FROM billing") == 0
    assert scalar(db, "SELECT count(*) FROM billing WHERE PricingQuantity IS NULL "
                      "AND ChargeCategory NOT IN ('Tax', 'Credit')") == 0
    categories = {row[0] for row in db.execute("SELECT DISTINCT ChargeCategory FROM billing").fetchall()}
    assert {"Usage", "Purchase", "Tax", "Credit"} <= categories
    assert scalar(db, "SELECT sum(ListCost) > sum(EffectiveCost) FROM billing")
    assert scalar(db, "SELECT count(DISTINCT ProviderName) FROM billing") >= 4
    assert scalar(db, "SELECT max(n) FROM (SELECT count(*) AS n FROM billing GROUP BY ChargePeriodStart)") < 300
    untagged = scalar(db, "SELECT sum(EffectiveCost) FILTER (WHERE Tags['team'] IS NULL) / sum(EffectiveCost) "
                          "FROM billing WHERE ChargeCategory = 'Usage'")
    assert 0.02 < untagged < 0.4


def test_every_incident_is_listed_and_inside_the_range(demo: DemoSummary, incidents: dict[str, dict]) -> None:
    assert set(incidents) == {"prompt_growth", "retry_storm", "model_switch", "idle_gpu", "data_transfer_spike",
                              "logging_creep", "vector_index_growth", "budget_breach"}
    for incident in incidents.values():
        start, end = date.fromisoformat(incident["start"]), date.fromisoformat(incident["end"])
        assert demo.start <= start < end <= demo.end, incident["id"]
        assert incident["expected_impact_usd"] > 0, incident["id"]
    assert [i.id for i in demo.incidents] == list(incidents)


def test_prompt_growth_drives_last_week(db: duckdb.DuckDBPyConnection, incidents: dict[str, dict]) -> None:
    assert incidents["prompt_growth"]["start"] == LAST_WEEK.isoformat()
    rows = db.execute("""
        SELECT feature,
               avg(input_tokens) FILTER (WHERE ts >= $last) / avg(input_tokens) FILTER (WHERE ts < $last),
               sum(cost_usd) FILTER (WHERE ts >= $last) - sum(cost_usd) FILTER (WHERE ts < $last)
        FROM llm_requests WHERE ts >= $before GROUP BY feature
    """, {"last": LAST_WEEK, "before": WEEK_BEFORE}).fetchall()
    growth = {feature: (ratio, delta) for feature, ratio, delta in rows}
    assert growth["document-analysis"][0] >= 2
    total_rise = sum(delta for _, delta in growth.values())
    week_before = scalar(db, "SELECT sum(cost_usd) FROM llm_requests WHERE ts >= $before AND ts < $last",
                         {"last": LAST_WEEK, "before": WEEK_BEFORE})
    assert total_rise > 0.1 * week_before
    assert growth["document-analysis"][1] == max(delta for _, delta in growth.values())
    assert growth["document-analysis"][1] > 0.5 * total_rise


def test_dollar_scale(db: duckdb.DuckDBPyConnection) -> None:
    """The LLM bill matters: realistic 2026 contexts and model mix, not a rounding error next to the GPUs."""
    per_row, per_chat, embedding_share = db.execute("""
        SELECT sum(cost_usd) / count(cost_usd),
               sum(cost_usd) FILTER (WHERE operation = 'chat') / count(cost_usd) FILTER (WHERE operation = 'chat'),
               avg((operation = 'embeddings')::INT)
        FROM llm_requests""").fetchone()
    assert 0.02 < per_chat < 0.06
    # At the default ~357k rows a month that is $10k-$20k of LLM API spend.
    assert 10_000 < per_row * 357_000 < 20_000
    assert embedding_share < 0.15
    inputs = dict(db.execute("""
        SELECT feature, avg(input_tokens) FROM llm_requests WHERE status = 'ok' AND ts < $last GROUP BY ALL
    """, {"last": LAST_WEEK}).fetchall())
    assert 2_800 < inputs["document-analysis"] < 3_400
    assert 5_000 < inputs["support-chat"] < 7_000
    assert 10_000 < inputs["data-copilot"] < 20_000 and 10_000 < inputs["code-review"] < 20_000
    assert scalar(db, "SELECT count(*) FROM llm_requests WHERE cached_input_tokens > input_tokens") == 0
    gpu, other = db.execute(f"""
        SELECT sum(EffectiveCost) FILTER (WHERE ResourceName IN (SELECT node_id FROM gpu_usage)) / {DAYS} * 30,
               sum(EffectiveCost) FILTER (WHERE ServiceCategory <> 'AI and Machine Learning'
                                          AND coalesce(ResourceName, '') NOT IN (SELECT node_id FROM gpu_usage))
               / {DAYS} * 30
        FROM billing""").fetchone()
    assert 80_000 < gpu < 140_000
    assert 40_000 < other < 70_000


def test_model_switch(db: duckdb.DuckDBPyConnection, incidents: dict[str, dict]) -> None:
    switch = date.fromisoformat(incidents["model_switch"]["start"])
    models = db.execute("""
        SELECT ts < $switch AS before, list(DISTINCT model ORDER BY model) FROM llm_requests
        WHERE feature = 'summarize' GROUP BY ALL ORDER BY before""", {"switch": switch}).fetchall()
    assert models == [(False, ["gpt-4o"]), (True, ["gpt-4o-mini"])]


def test_retry_storm(db: duckdb.DuckDBPyConnection, incidents: dict[str, dict]) -> None:
    storm = incidents["retry_storm"]
    params = {"start": date.fromisoformat(storm["start"]), "end": date.fromisoformat(storm["end"])}
    during, baseline = db.execute("""
        SELECT avg((status <> 'ok')::INT) FILTER (WHERE ts >= $start AND ts < $end),
               avg((status <> 'ok')::INT) FILTER (WHERE ts < $start - INTERVAL 2 DAY)
        FROM llm_requests WHERE feature = 'support-chat'""", params).fetchone()
    assert during > 0.2 and baseline < 0.06
    retry_during, retry_before = db.execute("""
        SELECT sum(cost_usd) FILTER (WHERE ts >= $start AND ts < $end) / 2,
               sum(cost_usd) FILTER (WHERE ts >= $start - INTERVAL 7 DAY AND ts < $start) / 7
        FROM llm_requests WHERE feature = 'support-chat' AND attempt > 1""", params).fetchone()
    assert retry_during > 4 * retry_before
    assert scalar(db, "SELECT max(attempt) FROM llm_requests WHERE ts >= $start AND ts < $end", params) == 4


def test_idle_gpu(db: duckdb.DuckDBPyConnection, incidents: dict[str, dict]) -> None:
    start = date.fromisoformat(incidents["idle_gpu"]["start"])
    after, before, unallocated_before = db.execute("""
        SELECT sum(cost_usd * (1 - gpu_util_pct / 100)) FILTER (WHERE hour >= $start),
               sum(cost_usd * (1 - gpu_util_pct / 100)) FILTER (WHERE hour < $start),
               count(*) FILTER (WHERE hour < $start AND deployment IS NULL)
        FROM gpu_usage WHERE hour >= $start - INTERVAL 7 DAY AND hour < $start + INTERVAL 7 DAY""",
        {"start": start}).fetchone()
    assert after > 1.3 * before
    assert unallocated_before == 0
    assert scalar(db, "SELECT count(DISTINCT node_id) FROM gpu_usage WHERE deployment IS NULL") == 2


def test_billing_incidents(db: duckdb.DuckDBPyConnection, incidents: dict[str, dict]) -> None:
    def daily(service: str, day: date, region: str | None = None) -> float:
        return scalar(db, """SELECT sum(EffectiveCost) FROM billing WHERE ServiceName = $service
                             AND ChargePeriodStart = $day AND ($region IS NULL OR RegionId = $region)""",
                      {"service": service, "day": day, "region": region})

    spike = date.fromisoformat(incidents["data_transfer_spike"]["start"])
    assert daily("AWS Data Transfer", spike, "us-west-2") > 5 * daily("AWS Data Transfer", spike - timedelta(7),
                                                                      "us-west-2")
    creep = date.fromisoformat(incidents["logging_creep"]["start"])
    last = END - timedelta(days=1)
    last_same_weekday = last - timedelta(days=7 * ((last - creep).days // 7))
    assert daily("Amazon CloudWatch", last) > 1.8 * daily("Amazon CloudWatch", last_same_weekday)
    vector = date.fromisoformat(incidents["vector_index_growth"]["start"])
    assert daily("Amazon OpenSearch Service", last) > 2 * daily("Amazon OpenSearch Service", vector)


def test_budget_breach(db: duckdb.DuckDBPyConnection, incidents: dict[str, dict]) -> None:
    month = date.fromisoformat(incidents["budget_breach"]["start"])
    assert month == (END - timedelta(days=1)).replace(day=1)
    amount = scalar(db, "SELECT amount_usd FROM budgets WHERE scope = 'team' AND scope_value = 'docs-ai' "
                        "AND metric = 'inference_cost'")
    actual = scalar(db, "SELECT sum(cost_usd) FROM llm_requests WHERE team = 'docs-ai' AND ts >= $month",
                    {"month": month})
    assert actual > amount
    assert scalar(db, "SELECT count(*) FROM budgets WHERE max_cost_per_request_usd IS NOT NULL") >= 2
    assert {row[0] for row in db.execute("SELECT DISTINCT metric FROM budgets").fetchall()} == {
        "cost", "inference_cost", "gpu_cost"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"days": 13}, "days"),
        ({"days": 3651}, "days"),
        ({"rows": 999}, "rows"),
        ({"rows": 100_000_001}, "rows"),
        ({"seed": -1}, "seed"),
    ],
)
def test_refuses_bad_arguments(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_demo(tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


def test_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match="not empty"):
        generate_demo(tmp_path, days=14, rows=1_000)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_an_empty_directory_is_fine_and_short_ranges_keep_every_incident(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    summary = generate_demo(tmp_path / "out", days=14, rows=2_000, seed=3, end=date(2026, 3, 4))
    assert len(summary.incidents) == 8
    for incident in summary.incidents:
        assert summary.start.isoformat() <= incident.start < incident.end <= summary.end.isoformat()


def test_a_failed_run_leaves_nothing(tmp_path: Path) -> None:
    def explode(table: str, done: int, total: int) -> None:
        if table == "billing" and done == 3:
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        generate_demo(tmp_path / "out", days=14, rows=1_000, progress=explode)
    assert list(tmp_path.iterdir()) == []

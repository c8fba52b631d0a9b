"""The planner's execution accuracy on the core question set, over the default demo warehouse.

Floors are set a little under what was measured (tuning 99.6%, validation 91.7% on
2026-11-26); a drop below them fails the build. The validation split is not tuned on.
"""

from __future__ import annotations

from datetime import date

import pytest

from assistant.quality.evaluation import format_report, load_set, run_eval
from tests.conftest import make_settings
from warehouse.demo import generate_demo
from warehouse.executor import Executor
from warehouse.ingest import ingest

FLOORS = {"tuning": 0.97, "validation": 0.88}


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory):
    """The warehouse `make demo` builds: 1M requests over 90 days, seed 7, data through 2026-11-22."""
    root = tmp_path_factory.mktemp("demo")
    generate_demo(root / "data", days=90, rows=1_000_000, seed=7, end=date(2026, 11, 23))
    settings = make_settings(root / "home", threads=2)
    assert not ingest([root / "data"], settings).refused
    with Executor(settings) as executor:
        yield settings, executor


def test_planner_accuracy_on_the_core_set(demo_warehouse):
    settings, executor = demo_warehouse
    report = run_eval(load_set("core"), settings, route="planner", executor=executor)
    summary = report.summary()
    print(format_report(report))
    for split, floor in FLOORS.items():
        assert summary["accuracy"][split] >= floor, f"{split} accuracy {summary['accuracy'][split]:.1%} < {floor:.0%}"
    refusals = [r for r in report.results if "refuse" in r.tags]
    assert refusals and all(r.passed for r in refusals), [r.id for r in refusals if not r.passed]
    assert summary["llm"]["cost_usd_total"] == 0


LAST_WEEK = "ts >= '2026-11-16' AND ts < '2026-11-23'"
LAST_MONTH = "ts >= '2026-10-01' AND ts < '2026-11-01'"
PRICE_AT_TS = ("JOIN model_prices AS p ON p.provider = r.provider AND p.model = r.model AND p.valid_from <= r.ts "
               "AND (p.valid_to IS NULL OR r.ts < p.valid_to)")


def _asked(demo_warehouse, question):
    from assistant.answer import AskContext
    from assistant.ask import ask

    settings, executor = demo_warehouse
    answer = ask(question, AskContext(settings=settings, executor=executor, as_of=date(2026, 11, 23)))
    assert answer.error is None, (question, answer.error)
    return answer, executor


def _column(answer, name):
    at = answer.columns.index(name)
    return {row[0]: row[at] for row in answer.rows} if answer.plan.dimensions else sum(row[at] or 0 for row in answer.rows)


@pytest.mark.parametrize("question, column, sql", [
    ("cost per 1M output tokens by model last month", "cost_per_mtok_output",
     f"SELECT r.model, sum(r.output_tokens * p.output_usd_per_mtok) / nullif(sum(r.output_tokens), 0) FROM llm_requests AS r "
     f"{PRICE_AT_TS} WHERE r.{LAST_MONTH} AND p.output_usd_per_mtok IS NOT NULL GROUP BY r.model HAVING sum(r.output_tokens) > 0"),
    ("cache hit rate by feature last week", "cache_hit_rate",
     f"SELECT feature, sum(cached_input_tokens) / sum(input_tokens) FROM llm_requests WHERE {LAST_WEEK} GROUP BY feature"),
    ("what did caching save last week?", "caching_savings",
     "SELECT sum(r.cached_input_tokens * (p.input_usd_per_mtok - coalesce(p.cached_input_usd_per_mtok, p.input_usd_per_mtok))"
     f" - coalesce(r.cache_write_input_tokens, 0) * (coalesce(p.cache_write_usd_per_mtok, p.input_usd_per_mtok) - p.input_usd_per_mtok)) / 1e6"
     f" FROM llm_requests AS r {PRICE_AT_TS} WHERE r.{LAST_WEEK}"),
    ("what would summarize have cost last week on gpt-4o-mini?", "whatif_cost",
     "SELECT sum(((r.input_tokens - coalesce(r.cached_input_tokens, 0)) * p.input_usd_per_mtok + coalesce(r.cached_input_tokens, 0) * "
     "coalesce(p.cached_input_usd_per_mtok, p.input_usd_per_mtok) + r.output_tokens * p.output_usd_per_mtok) / 1e6) "
     "FROM llm_requests AS r JOIN model_prices AS p ON p.model = 'gpt-4o-mini' AND p.valid_from <= r.ts "
     f"AND (p.valid_to IS NULL OR r.ts < p.valid_to) WHERE r.feature = 'summarize' AND r.{LAST_WEEK}"),
    ("how much would caching repeated prompts in support-chat save per month?", "difference_per_month",
     "WITH seen AS (SELECT *, row_number() OVER (PARTITION BY date_trunc('day', ts), prompt_hash ORDER BY ts, request_id) AS nth "
     "FROM llm_requests WHERE ts >= '2026-10-24' AND ts < '2026-11-23' AND prompt_hash IS NOT NULL) "
     "SELECT -sum((r.input_tokens - coalesce(r.cached_input_tokens, 0)) * (p.input_usd_per_mtok - coalesce(p.cached_input_usd_per_mtok, "
     f"p.input_usd_per_mtok)) / 1e6) FROM seen AS r {PRICE_AT_TS} WHERE r.feature = 'support-chat' AND r.nth > 1"),
    ("how many requests went over the per-request ceiling last week and what would capping save?", "difference",
     "WITH c AS (SELECT scope, scope_value, min(max_cost_per_request_usd) AS ceiling FROM budgets GROUP BY ALL), "
     "r AS (SELECT l.cost_usd, least(t.ceiling, f.ceiling, m.ceiling) AS ceiling FROM llm_requests AS l "
     "LEFT JOIN c AS t ON t.scope = 'team' AND t.scope_value = l.team LEFT JOIN c AS f ON f.scope = 'feature' "
     f"AND f.scope_value = l.feature LEFT JOIN c AS m ON m.scope = 'model' AND m.scope_value = l.model WHERE l.{LAST_WEEK}) "
     "SELECT -sum(cost_usd - ceiling) FROM r WHERE cost_usd > ceiling"),
])
def test_unit_economics_and_what_ifs_on_the_demo_match_our_own_sql(demo_warehouse, question, column, sql):
    answer, executor = _asked(demo_warehouse, question)
    expected = executor.query(sql).rows
    got = _column(answer, column)
    if isinstance(got, dict):
        assert got == {k: pytest.approx(v, rel=1e-9) if v is not None else None for k, v in expected}
    else:
        assert got == pytest.approx(expected[0][0], rel=1e-9)
        assert expected[0][0] != 0


def test_self_hosted_cost_per_million_tokens_on_the_demo(demo_warehouse):
    answer, executor = _asked(demo_warehouse, "self-hosted cost per 1M tokens vs the API models last month")
    tokens = executor.query(f"SELECT sum(input_tokens + output_tokens) FROM llm_requests WHERE provider = 'self-hosted' AND {LAST_MONTH}").rows[0][0]
    gpu, busy = executor.query("SELECT sum(cost_usd), sum(cost_usd * gpu_util_pct / 100) FROM gpu_usage WHERE deployment LIKE 'llama-3.1-70b%' "
                               "AND hour >= '2026-10-01' AND hour < '2026-11-01'").rows[0]
    rows = {row[2].split(":")[-1].strip() if row[1] == "self-hosted" else row[0]: row[5] for row in answer.rows}
    assert rows["GPU cost, idle hours included"] == pytest.approx(gpu / tokens * 1e6, rel=1e-9)
    assert rows["GPU cost of busy time only"] == pytest.approx(busy / tokens * 1e6, rel=1e-9)
    gpt4o = executor.query(
        "SELECT sum(((r.input_tokens - coalesce(r.cached_input_tokens, 0)) * p.input_usd_per_mtok + coalesce(r.cached_input_tokens, 0) * "
        "coalesce(p.cached_input_usd_per_mtok, p.input_usd_per_mtok) + r.output_tokens * p.output_usd_per_mtok) / 1e6) "
        "FROM llm_requests AS r JOIN model_prices AS p ON p.model = 'gpt-4o' AND p.valid_from <= r.ts "
        f"AND (p.valid_to IS NULL OR r.ts < p.valid_to) WHERE r.provider = 'self-hosted' AND r.{LAST_MONTH}").rows[0][0]
    assert rows["gpt-4o"] == pytest.approx(gpt4o / tokens * 1e6, rel=1e-9)

"""The evaluation harness: scoring tables, chains, refusals, the report, and the core question set."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from assistant.answer import Answer, AnswerError, LlmUsage
from assistant.quality.evaluation import (
    SETS_DIR,
    EvalCase,
    EvalChain,
    EvalSetError,
    cells_equal,
    compare_tables,
    format_report,
    load_set,
    parse_set,
    run_eval,
)

# ---------------------------------------------------------------- scoring tables

GOLD_COLUMNS = ("feature", "cost")
GOLD_ROWS = [("document-analysis", 100.0), ("support-chat", 20.0), ("summarize", 5.0)]


@pytest.mark.parametrize(
    "columns, rows, ordered, expected",
    [
        # the same table
        (("feature", "cost"), GOLD_ROWS, False, (True, "")),
        # columns permuted and renamed
        (("usd", "name"), [(c, f) for f, c in GOLD_ROWS], False, (True, "")),
        # extra answer columns
        (("feature", "requests", "cost", "share"), [(f, 10, c, 0.1) for f, c in GOLD_ROWS], False, (True, "")),
        # rows in another order: fine unordered, not when ordered
        (GOLD_COLUMNS, list(reversed(GOLD_ROWS)), False, (True, "")),
        (GOLD_COLUMNS, list(reversed(GOLD_ROWS)), True, (False, "wrong rows")),
        (GOLD_COLUMNS, GOLD_ROWS, True, (True, "")),
        # tolerance: 0.4% passes, 0.6% fails
        (GOLD_COLUMNS, [(f, c * 1.004) for f, c in GOLD_ROWS], False, (True, "")),
        (GOLD_COLUMNS, [(f, c * 0.996) for f, c in GOLD_ROWS], True, (True, "")),
        (GOLD_COLUMNS, [(f, c * 1.006) for f, c in GOLD_ROWS], False, (False, "wrong rows")),
        (GOLD_COLUMNS, [(f, c * 0.994) for f, c in GOLD_ROWS], False, (False, "wrong rows")),
        # a row too many or too few
        (GOLD_COLUMNS, GOLD_ROWS[:2], False, (False, "row count")),
        (GOLD_COLUMNS, GOLD_ROWS + [("email-drafts", 1.0)], False, (False, "row count")),
        # broken down by another dimension: the gold's dimension column is missing
        (("team", "cost"), [("docs-ai", 100.0), ("cx", 20.0), ("platform", 5.0)], False, (False, "missing column")),
        (("cost",), [(c,) for _, c in GOLD_ROWS], False, (False, "missing column")),
        # text is case-sensitive
        (GOLD_COLUMNS, [(f.upper(), c) for f, c in GOLD_ROWS], False, (False, "wrong rows")),
        # the right dimension with a wrong value
        (("feature", "cost"), [("code-review", 100.0), ("support-chat", 20.0), ("summarize", 5.0)], False,
         (False, "wrong rows")),
        # a number where the gold has one, but the wrong one
        (GOLD_COLUMNS, [("document-analysis", 100.0), ("support-chat", 20.0), ("summarize", 50.0)], False,
         (False, "wrong rows")),
        # values right but paired with the wrong feature
        (GOLD_COLUMNS, [("document-analysis", 20.0), ("support-chat", 100.0), ("summarize", 5.0)], False,
         (False, "wrong rows")),
    ],
)
def test_compare_tables(columns, rows, ordered, expected):
    assert compare_tables(columns, rows, GOLD_COLUMNS, GOLD_ROWS, ordered) == expected


TIED = [("a", 9.0), ("b", 5.0), ("c", 5.0), ("d", 1.0)]  # b and c tie: no ORDER BY orders them


@pytest.mark.parametrize("rows, expected", [
    (TIED, (True, "")),
    ([("a", 9.0), ("c", 5.0 + 1e-12), ("b", 5.0), ("d", 1.0)], (True, "")),  # the tie in the other order
    ([("a", 9.0), ("b", 5.0), ("d", 1.0), ("c", 5.0)], (False, "wrong rows")),  # a tied row out of its place
    ([("b", 5.0), ("a", 9.0), ("c", 5.0), ("d", 1.0)], (False, "wrong rows")),
])
def test_ordered_rows_tied_in_the_gold_may_come_in_any_order(rows, expected):
    assert compare_tables(("x", "v"), rows, ("x", "v"), TIED, ordered=True) == expected


@pytest.mark.parametrize(
    "columns, rows, expected",
    [
        (("cost",), [(1234.5,)], (True, "")),
        (("window", "cost", "requests"), [("last week", 1234.5, 99)], (True, "")),  # one cell of the row matches
        (("cost",), [(1234.5 * 1.004,)], (True, "")),
        (("cost",), [(1234.5 * 1.006,)], (False, "wrong rows")),
        (("model", "cost"), [("gpt-4o", 1000.0), ("gpt-4o-mini", 234.5)], (False, "row count")),
        ((), [], (False, "row count")),
    ],
)
def test_single_figure(columns, rows, expected):
    assert compare_tables(columns, rows, ("cost",), [(1234.5,)]) == expected


def test_tolerance_edges_are_relative_to_the_gold_or_absolute_near_zero():
    assert cells_equal(100.4, 100.0) and not cells_equal(100.6, 100.0)
    assert cells_equal(-100.4, -100.0) and not cells_equal(-100.6, -100.0)
    assert cells_equal(0.0000005, 0.0) and not cells_equal(0.00001, 0.0)
    assert cells_equal(3, 3.0) and cells_equal(3.0, 3)
    assert not cells_equal("3", 3.0) and not cells_equal(True, 1)


@pytest.mark.parametrize(
    "answer, gold, equal",
    [
        (None, None, True),
        (0.0, None, False),
        (None, 0.0, False),
        ("", None, False),
        (date(2026, 11, 16), datetime(2026, 11, 16), True),
        ("2026-11-16", datetime(2026, 11, 16), True),
        ("2026-11-16T00:00:00", date(2026, 11, 16), True),
        (datetime(2026, 11, 16, 5), datetime(2026, 11, 16, 5), True),
        ("2026-11-16T05:00:00", datetime(2026, 11, 16, 5), True),
        (datetime(2026, 11, 16, 5), datetime(2026, 11, 16), False),
        (date(2026, 11, 17), date(2026, 11, 16), False),
        ("Nov 16", date(2026, 11, 16), False),
        ("gpt-4o", "gpt-4o", True),
        ("GPT-4o", "gpt-4o", False),
    ],
)
def test_cells(answer, gold, equal):
    assert cells_equal(answer, gold) is equal


def test_nulls_and_dates_in_tables():
    gold_columns = ("day", "team", "cost")
    gold = [(datetime(2026, 11, 16), None, 10.0), (datetime(2026, 11, 17), "cx", None)]
    answer = [("2026-11-17", "cx", None), (date(2026, 11, 16), None, 10.0)]
    assert compare_tables(("d", "t", "c"), answer, gold_columns, gold) == (True, "")
    assert compare_tables(("d", "t", "c"), answer, gold_columns, gold, ordered=True) == (False, "wrong rows")
    filled = [("2026-11-17", "cx", 0.0), (date(2026, 11, 16), "(none)", 10.0)]
    assert not compare_tables(("d", "t", "c"), filled, gold_columns, gold)[0]


def test_no_data_is_an_empty_table_or_a_null_figure():
    assert compare_tables(("cost",), [], ("cost",), [(None,)]) == (True, "")
    assert compare_tables(("cost",), [(None,)], ("cost",), [(None,)]) == (True, "")
    assert compare_tables(("day", "cost"), [], ("day", "cost"), []) == (True, "")
    assert compare_tables(("cost",), [(0.0,)], ("cost",), [(None,)]) == (False, "wrong rows")
    assert compare_tables(("day", "cost"), [("2026-11-23", 1.0)], ("day", "cost"), []) == (False, "row count")


def test_two_gold_columns_need_two_answer_columns():
    # cost and billed_cost are equal here; one answer column cannot stand for both
    gold = [("AWS", 5.0, 5.0), ("GCP", 2.0, 2.0)]
    assert compare_tables(("p", "cost"), [("AWS", 5.0), ("GCP", 2.0)], ("provider", "cost", "billed"), gold) == (
        False,
        "missing column",
    )
    answer = [("AWS", 5.0, 5.0, 1), ("GCP", 2.0, 2.0, 1)]
    assert compare_tables(("p", "a", "b", "n"), answer, ("provider", "cost", "billed"), gold) == (True, "")


def test_a_large_table_scores_fast():
    gold = [(f"u{i:05d}", float(i)) for i in range(5000)]
    answer = [(v * 1.001, u, "x") for u, v in reversed(gold)]
    assert compare_tables(("cost", "user", "extra"), answer, ("user", "cost"), gold) == (True, "")


# ---------------------------------------------------------------- reading sets


def write_set(tmp_path: Path, items) -> Path:
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(items, sort_keys=False))
    return path


def test_load_set_by_path_and_by_name(tmp_path):
    path = write_set(
        tmp_path,
        [
            {"id": "a", "split": "tuning", "question": "q?", "gold_sql": "SELECT 1", "tags": ["intent:total"]},
            {"id": "b", "split": "validation", "question": "weather?", "expect": "refused"},
            {
                "id": "c",
                "split": "tuning",
                "tags": ["followup"],
                "chain": [
                    {"question": "first", "gold_sql": "SELECT 1"},
                    {"question": "second", "gold_sql": "SELECT 2", "ordered": True, "tags": ["dim:day"]},
                ],
            },
        ],
    )
    a, b, c = load_set(str(path))
    assert a == EvalCase("a", "tuning", "q?", "SELECT 1", "answer", False, ("intent:total",))
    assert b.refused and b.gold_sql is None
    assert isinstance(c, EvalChain) and [t.id for t in c.turns] == ["c#1", "c#2"]
    assert c.turns[1].ordered and c.turns[1].tags == ("followup", "dim:day")
    assert load_set("core") == load_set(SETS_DIR / "core.yaml")


@pytest.mark.parametrize(
    "items, message",
    [
        ([{"id": "a", "split": "tuning", "question": "q"}], "gold_sql is required"),
        ([{"id": "a", "split": "train", "question": "q", "gold_sql": "SELECT 1"}], "split"),
        ([{"id": "a", "split": "tuning", "question": "q", "gold_sql": "SELECT 1", "gold": 1}], "gold"),
        ([{"id": "a", "split": "tuning", "question": "q", "expect": "refused", "gold_sql": "SELECT 1"}], "refused"),
        (
            [
                {"id": "a", "split": "tuning", "question": "q", "gold_sql": "SELECT 1"},
                {"id": "a", "split": "tuning", "question": "r", "gold_sql": "SELECT 1"},
            ],
            "used twice",
        ),
        ([{"id": "a", "split": "tuning", "chain": [{"question": "q", "gold_sql": "SELECT 1"}]}], "two turns"),
        ({"id": "a"}, "YAML list"),
    ],
)
def test_malformed_sets_are_refused_with_the_item_named(tmp_path, items, message):
    with pytest.raises(EvalSetError, match=message):
        parse_set(items, source="mini.yaml")


def test_unknown_set_names_the_known_ones():
    with pytest.raises(EvalSetError, match="core"):
        load_set("no-such-set")


# ---------------------------------------------------------------- running with fake ask functions


class FakeExecutor:
    """Gold SQL of the form `SELECT <python literal>` returns that table; nothing else runs."""

    def __init__(self, tables: dict[str, tuple[tuple[str, ...], list[tuple]]]):
        self.tables = tables
        self.queries: list[str] = []

    def query(self, sql):
        from warehouse.executor import QueryResult

        self.queries.append(sql)
        columns, rows = self.tables[sql]
        return QueryResult(sql, columns, ("?",) * len(columns), rows, False, 0.0)


def answer(question, columns=(), rows=(), route="planner", usage=LlmUsage()):
    return Answer(question=question, route=route, columns=tuple(columns), rows=list(rows), llm_usage=usage)


def refusal(question):
    return Answer(question=question, route="none", error=AnswerError("unknown", "I cannot answer that."))


TABLES = {
    "g1": (("cost",), [(10.0,)]),
    "g2": (("model", "cost"), [("gpt-4o", 7.0), ("claude-haiku-4", 3.0)]),
    "g3": (("model", "cost"), [("gpt-4o", 5.0)]),
}
CHAIN = EvalChain(
    "chain",
    "validation",
    (
        EvalCase("chain#1", "validation", "total last week", "g1", tags=("followup",)),
        EvalCase("chain#2", "validation", "and by model?", "g2", tags=("followup",)),
        EvalCase("chain#3", "validation", "only prod", "g3", tags=("followup",)),
    ),
    ("followup",),
)


def test_a_chain_passes_only_when_every_turn_passes(settings):
    seen_previous = []

    def ask(question, context):
        seen_previous.append(context.previous.question if context.previous else None)
        if question == "and by model?":
            return answer(question, ("model", "cost"), [("gpt-4o", 7.0), ("claude-haiku-4", 30.0)])  # wrong
        sql = {"total last week": "g1", "only prod": "g3"}[question]
        return answer(question, *TABLES[sql])

    report = run_eval([CHAIN], settings, ask=ask, executor=FakeExecutor(TABLES))
    (result,) = report.results
    assert not result.passed and result.reason == "wrong rows"
    assert [t.passed for t in result.turns] == [True, False, True]
    assert [t.id for t in result.turns] == ["chain#1", "chain#2", "chain#3"]
    # each turn is asked as a follow-up of the answer before it
    assert seen_previous == [None, "total last week", "and by model?"]
    summary = report.summary()
    assert summary["accuracy"]["validation"] == 0.0 and summary["accuracy"]["tuning"] is None
    assert summary["questions"] == 3 and summary["question_accuracy"] == pytest.approx(2 / 3)
    assert summary["misses"]["ids_by_reason"] == {"wrong rows": ["chain (turn 2)"]}
    assert [t["passed"] for t in report.to_json()["results"][0]["turns"]] == [True, False, True]
    assert json.loads(json.dumps(report.to_json()))["summary"]["cases"] == 1


def test_a_refused_turn_keeps_the_conversation_where_it_was(settings):
    chain = EvalChain(
        "c",
        "tuning",
        (
            EvalCase("c#1", "tuning", "gpu cost by cluster", "g1"),
            EvalCase("c#2", "tuning", "and by feature?", expect="refused"),
            EvalCase("c#3", "tuning", "by team then", "g1"),
        ),
    )
    previous = []

    def ask(question, context):
        previous.append(context.previous.question if context.previous else None)
        return refusal(question) if "feature" in question else answer(question, *TABLES["g1"])

    (result,) = run_eval([chain], settings, ask=ask, executor=FakeExecutor(TABLES)).results
    assert result.passed
    assert previous == [None, "gpu cost by cluster", "gpu cost by cluster"]


def test_refusals_crashes_and_reasons(settings):
    cases = [
        EvalCase("refuse-ok", "tuning", "weather?", expect="refused", tags=("refuse",)),
        EvalCase("refuse-answered", "tuning", "joke?", expect="refused", tags=("refuse",)),
        EvalCase("not-answered", "validation", "cost?", "g1", tags=("metric:cost",)),
        EvalCase("crashes", "validation", "boom", "g1", tags=("metric:cost",)),
        EvalCase("right", "tuning", "cost", "g1"),
    ]

    def ask(question, context):
        if question == "boom":
            raise KeyError("planner bug")
        if question in ("weather?", "cost?"):
            return refusal(question)
        if question == "joke?":
            return answer(question, ("text",), [("a joke",)])
        return answer(question, *TABLES["g1"], usage=LlmUsage(1, 1000, 200, 0.002))

    report = run_eval(cases, settings, ask=ask, executor=FakeExecutor(TABLES))
    reasons = {r.id: (r.passed, r.reason) for r in report.results}
    assert reasons == {
        "refuse-ok": (True, ""),
        "refuse-answered": (False, "answered a refusal"),
        "not-answered": (False, "refused"),
        "crashes": (False, "crash: KeyError"),
        "right": (True, ""),
    }
    summary = report.summary()
    assert summary["accuracy"]["overall"] == pytest.approx(2 / 5)
    assert summary["accuracy"]["tuning"] == pytest.approx(2 / 3)
    assert summary["misses"]["by_reason"] == {"answered a refusal": 1, "refused": 1, "crash: KeyError": 1}
    assert summary["misses"]["by_tag"] == {"metric:cost": 2, "refuse": 1}
    assert summary["llm"]["input_tokens_per_question"] == pytest.approx(1000 / 5)
    assert summary["llm"]["cost_usd_per_question"] == pytest.approx(0.002 / 5)
    assert summary["latency_ms"]["p50"] is not None
    text = format_report(report)
    for needle in ("tuning", "validation", "overall", "40.0%", "p95", "crash: KeyError (1): crashes",
                   "answered a refusal (1): refuse-answered", "refused (1): not-answered"):
        assert needle in text


def test_split_filter_and_gold_run_once_per_case(settings):
    executor = FakeExecutor(TABLES)
    cases = [EvalCase("t", "tuning", "cost", "g1"), EvalCase("v", "validation", "cost", "g1"), CHAIN]
    report = run_eval(cases, settings, split="validation", ask=lambda q, c: refusal(q), executor=executor)
    assert [r.id for r in report.results] == ["v", "chain"]
    assert executor.queries == ["g1", "g1", "g2", "g3"]
    with pytest.raises(EvalSetError, match="split"):
        run_eval(cases, settings, split="test", ask=lambda q, c: refusal(q), executor=executor)


def test_a_gold_that_does_not_run_is_reported_not_raised(settings, executor):
    cases = [EvalCase("bad-gold", "tuning", "q", "SELECT nope FROM billing"), EvalCase("ok", "tuning", "q", "SELECT 1")]
    report = run_eval(cases, settings, ask=lambda q, c: answer(q, ("x",), [(1,)]), executor=executor)
    assert [(r.passed, r.reason) for r in report.results] == [(False, "gold failed: QueryError"), (True, "")]


# ---------------------------------------------------------------- end to end on the tiny warehouse

TINY_SET = [
    {
        "id": "tiny-inference-by-feature",
        "split": "tuning",
        "question": "Inference cost by feature in October",
        "gold_sql": "SELECT feature, SUM(cost_usd) AS inference_cost FROM llm_requests "
        "WHERE ts >= TIMESTAMP '2026-10-01' AND ts < TIMESTAMP '2026-11-01' GROUP BY feature",
    },
    {
        "id": "tiny-daily-cloud-cost",
        "split": "validation",
        "question": "Daily cloud cost in the first week of October",
        "ordered": True,
        "gold_sql": "SELECT date_trunc('day', ChargePeriodStart) AS day, SUM(EffectiveCost) AS cost FROM billing "
        "WHERE ChargePeriodStart >= TIMESTAMP '2026-10-01' AND ChargePeriodStart < TIMESTAMP '2026-10-08' "
        "GROUP BY day ORDER BY day",
    },
    {
        "id": "tiny-chain",
        "split": "validation",
        "chain": [
            {
                "question": "Idle GPU cost",
                "gold_sql": "SELECT SUM(cost_usd * (1 - gpu_util_pct / 100)) AS idle_gpu_cost FROM gpu_usage",
            },
            {
                "question": "by node",
                "gold_sql": "SELECT node_id, SUM(cost_usd * (1 - gpu_util_pct / 100)) AS idle_gpu_cost "
                "FROM gpu_usage GROUP BY node_id",
            },
        ],
    },
]


def gold_replaying_ask(items, scale: float = 1.0):
    """An `ask` that answers each question with its own gold, run through the context's executor."""
    gold = {}
    for item in items:
        for turn in item.turns if isinstance(item, EvalChain) else (item,):
            gold[turn.question] = turn.gold_sql

    def ask(question, context):
        result = context.executor.run_sql(gold[question])
        rows = [tuple(v * scale if isinstance(v, float) else v for v in row) for row in result.rows]
        return Answer(question=question, route="planner", sql=result.sql, columns=result.columns, rows=rows)

    return ask


def test_gold_answers_score_one_and_wrong_numbers_score_zero(tmp_path, warehouse_settings, executor):
    items = load_set(write_set(tmp_path, TINY_SET))
    right = run_eval(items, warehouse_settings, ask=gold_replaying_ask(items), executor=executor)
    assert [r.reason for r in right.results] == ["", "", ""]
    assert right.summary()["accuracy"] == {"tuning": 1.0, "validation": 1.0, "overall": 1.0}
    assert right.summary()["questions"] == 4
    wrong = run_eval(items, warehouse_settings, ask=gold_replaying_ask(items, scale=1.1), executor=executor)
    assert wrong.summary()["accuracy"] == {"tuning": 0.0, "validation": 0.0, "overall": 0.0}
    assert set(wrong.summary()["misses"]["by_reason"]) == {"wrong rows"}
    text = format_report(wrong)
    assert "wrong rows (3): tiny-inference-by-feature, tiny-daily-cloud-cost, tiny-chain (turns 1, 2)" in text


def test_run_eval_opens_and_closes_its_own_executor(tmp_path, warehouse_settings):
    items = load_set(write_set(tmp_path, TINY_SET[:1]))
    report = run_eval(items, warehouse_settings, ask=gold_replaying_ask(items))
    assert report.results[0].passed and report.route == "planner"


# ---------------------------------------------------------------- the core set

METRICS = (
    "cost billed_cost list_cost savings inference_cost requests input_tokens output_tokens cached_tokens tokens "
    "tokens_per_request cost_per_request cost_per_user error_rate retry_cost repeat_share latency_p50 latency_p95 "
    "gpu_cost idle_gpu_cost gpu_utilization gpu_hours budget budget_used forecast"
).split()
DIMENSIONS = (
    "provider service service_category region account resource sku charge_category team feature model environment "
    "operation user status cluster node gpu_type deployment day week month hour"
).split()
TIME_WORDS = (
    "today yesterday last_7_days past_week this_week last_week this_month month_to_date last_month last_n_days "
    "in_month week_over_week this_year last_90_days default"
).split()
INTENTS = "total breakdown ranking trend comparison share unit_cost why budget".split()


@pytest.fixture(scope="module")
def core():
    return load_set("core")


def all_tags(item) -> set[str]:
    tags = set(item.tags)
    if isinstance(item, EvalChain):
        tags.update(tag for turn in item.turns for tag in turn.tags)
    return tags


def test_core_set_size_ids_and_splits(core):
    raw = yaml.safe_load((SETS_DIR / "core.yaml").read_text())
    ids = [item["id"] for item in raw]
    assert len(ids) == len(set(ids)) >= 260
    splits = Counter(item.split for item in core)
    assert set(splits) == {"tuning", "validation"}
    assert 0.25 <= splits["validation"] / len(core) <= 0.35
    assert sum(isinstance(item, EvalChain) for item in core) >= 12
    assert sum(isinstance(item, EvalCase) and item.refused for item in core) >= 25


@pytest.mark.parametrize(
    "prefix, names",
    [("metric:", METRICS), ("dim:", DIMENSIONS), ("time:", TIME_WORDS), ("intent:", INTENTS)],
)
def test_core_set_covers_the_vocabulary(core, prefix, names):
    tags = set().union(*(all_tags(item) for item in core))
    assert not [name for name in names if prefix + name not in tags]


@pytest.mark.parametrize(
    "tag", [f"intent:{i}" for i in INTENTS] + ["refuse", "followup", "typo", "fuzzy", "filter", "filter:combined"]
)
def test_every_kind_of_question_is_in_both_splits(core, tag):
    assert {item.split for item in core if tag in all_tags(item)} == {"tuning", "validation"}


def test_core_paraphrases_share_their_gold(core):
    groups: dict[str, set[str]] = {}
    for item in core:
        for tag in item.tags:
            if tag.startswith("paraphrase:"):
                groups.setdefault(tag, set()).add(" ".join(item.gold_sql.split()))
    assert len(groups) >= 6
    assert all(len(golds) == 1 for golds in groups.values()), groups


def test_core_gold_reads_only_contract_tables_and_runs(core, executor):
    """Each gold parses, reads only the five tables, and runs on the fixture warehouse (same schema)."""
    import sqlglot
    from sqlglot import exp

    tables = {"billing", "llm_requests", "gpu_usage", "model_prices", "budgets"}
    for item in core:
        for case in item.turns if isinstance(item, EvalChain) else (item,):
            if case.refused:
                continue
            tree = sqlglot.parse_one(case.gold_sql, read="duckdb")
            ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
            assert {t.name for t in tree.find_all(exp.Table)} - ctes <= tables, case.id
            executor.query(case.gold_sql)

"""Words the planner used to drop, now read (or refused) as asked: each case worked out by hand.

- a share's whole named before its metric ("what share of gpt-big spend went to failed requests");
- a price said as a quantity priced ("what did a million tokens cost");
- pronouns ("what would they have cost"), "which teams went over their budget" (only those over);
- a cache time-to-live that reaches back before the window and never across models;
- batching never discounts self-hosted traffic; a self-hosted comparison is not narrowed to a feature.
"""

from __future__ import annotations

import duckdb
import pytest

from assistant.analysis.whatif import scenario_query
from assistant.answer import AskContext
from assistant.ask import ask
from assistant.query.plan import OVER_ONLY_NOTE, Filter, QueryPlan, Scenario
from assistant.query.window import Window
from assistant.understand.planner import PlannerContext
from tests.unit_economics_data import AS_OF, load_warehouse
from warehouse.contract import TABLES
from warehouse.errors import ErrorKind


@pytest.fixture(scope="module")
def planner(executor):
    from assistant.semantic import load_semantic_model
    from assistant.understand.planner import Planner
    from assistant.understand.values import ValueIndex

    return Planner(load_semantic_model(), ValueIndex.build(executor, load_semantic_model()))


def read(planner, question):
    return planner.plan(question, PlannerContext(as_of=AS_OF))


FAILED = Filter("status", ("ok",), True)


@pytest.mark.parametrize("question, part, whole", [
    ("what share of gpt-4o spend last week went to failed requests?", (FAILED,), (Filter("model", ("gpt-4o",)),)),
    ("what share of support-chat's inference cost last week was gpt-4o?", (Filter("model", ("gpt-4o",)),),
     (Filter("feature", ("support-chat",)),)),
    # nothing left for the part: every filter is the part, as before
    ("what share of inference cost last week was gpt-4o?", (Filter("model", ("gpt-4o",)),), ()),
])
def test_values_before_the_metric_of_a_share_bound_its_whole(planner, question, part, whole):
    plan = read(planner, question)
    assert isinstance(plan, QueryPlan), plan
    assert plan.intent == "share" and plan.filters == part and plan.within == whole


@pytest.mark.parametrize("question, metric, dimensions", [
    ("what did a million tokens cost us on each model last week?", "cost_per_mtok", ("model",)),
    ("how much do 1k tokens cost per feature last week?", "cost_per_ktok", ("feature",)),
    ("what do 1k output tokens cost us by model last week?", "cost_per_ktok_output", ("model",)),
])
def test_a_quantity_of_tokens_priced_is_a_unit_price(planner, question, metric, dimensions):
    plan = read(planner, question)
    assert isinstance(plan, QueryPlan), plan
    assert plan.metrics == (metric,) and plan.dimensions == dimensions


@pytest.mark.parametrize("question, metrics, dimensions, scenario", [
    ("cost per active user by feature last week", ("cost_per_user",), ("feature",), None),
    ("what's our blended cost per 1M tokens last week?", ("cost_per_mtok",), (), None),
    ("per feature, what would last week have cost if every prompt were a quarter shorter?", ("inference_cost",),
     ("feature",), Scenario("shorter", percent=25.0)),
    ("what if summarize's prompts were half shorter last week?", ("inference_cost",), (), Scenario("shorter", percent=50.0)),
])
def test_qualifiers_that_change_nothing_are_read(planner, question, metrics, dimensions, scenario):
    plan = read(planner, question)
    assert isinstance(plan, QueryPlan), plan
    assert (plan.metrics, plan.dimensions, plan.scenario) == (metrics, dimensions, scenario)


@pytest.mark.parametrize("question, metrics, dimensions, window", [
    ("what are our 10 most expensive individual resources last month?", ("cost",), ("resource",), "last month"),
    ("where is most of our cloud money going last month? top services please", ("cost",), ("service",), "last month"),
    ("how much did credits take off our bill last month?", ("credits",), (), "last month"),
    ("how much did we spend through cloud marketplaces last month?", ("marketplace_spend",), (), "last month"),
    ("cloud cost last wek", ("cost",), (), "last week"),
    ("how much savings plan commitment went unused last month?", ("unused_commitment_cost",), (), "last month"),
])
def test_everyday_billing_phrasings_are_read(planner, question, metrics, dimensions, window):
    plan = read(planner, question)
    assert isinstance(plan, QueryPlan), plan
    assert (plan.metrics, plan.dimensions, plan.window.label) == (metrics, dimensions, window)


def test_a_bound_on_tokens_is_not_a_unit_price(planner):
    plan = read(planner, "which features used more than a million tokens last week?")
    assert not (isinstance(plan, QueryPlan) and plan.metric.startswith("cost_per_"))


@pytest.mark.parametrize("question, over_only", [
    ("which teams went over their budget last month?", True),
    ("which budgets were exceeded last month?", True),
    ("any team that overspent its budget last month?", True),
    ("which team is over 80% of its budget?", False),
    ("how are we tracking against budget?", False),
])
def test_which_went_over_asks_for_the_budgets_over_only(planner, question, over_only):
    plan = read(planner, question)
    assert isinstance(plan, QueryPlan) and plan.intent == "budget", plan
    assert (OVER_ONLY_NOTE in plan.notes) is over_only


def test_a_budget_answer_over_only_lists_the_budgets_over(warehouse_settings, executor):
    answer = ask("which teams went over their budget last month?",
                 AskContext(settings=warehouse_settings, executor=executor, as_of=AS_OF))
    assert answer.error is None, answer.error
    at = {name: i for i, name in enumerate(answer.columns)}
    spend = executor.query("SELECT team, sum(cost_usd) FROM llm_requests WHERE ts >= '2026-10-01' AND ts < '2026-11-01' "
                           "GROUP BY team").rows
    budgets = {"docs-ai": 1.0, "cx": 50.0}  # tests/tiny_data.py: the team inference-cost budgets
    over = {team: total - budgets[team] for team, total in spend if team in budgets and total > budgets[team]}
    assert {row[at["scope_value"]]: row[at["over_by"]] for row in answer.rows} == pytest.approx(over)
    assert "over budget only" in answer.reading["text"]


def test_pronouns_are_fillers(planner):
    plan = read(planner, "batching support-chat's calls last week, what would they have cost?")
    assert isinstance(plan, QueryPlan) and plan.scenario == Scenario("batch"), plan


def test_a_self_hosted_comparison_is_not_narrowed_to_a_feature(planner):
    answer = read(planner, "is self-hosted cheaper than gpt-4o per million tokens for support-chat?")
    assert not isinstance(answer, QueryPlan)
    assert answer.kind == ErrorKind.NOT_SUPPORTED and "feature is support-chat" in answer.message


@pytest.fixture(scope="module")
def unit_warehouse(tmp_path_factory):
    executor, settings = load_warehouse(tmp_path_factory.mktemp("scope"))
    with executor:
        yield executor, settings


def test_a_share_with_a_narrower_whole_divides_by_that_whole(unit_warehouse):
    executor, settings = unit_warehouse
    answer = ask("what share of gpt-big spend last week went to failed requests?",
                 AskContext(settings=settings, executor=executor, as_of=AS_OF))
    # tests/unit_economics_data.py: gpt-big paid 0.012 + 0.028 + 0.001 last week; request 8 (0.001) failed
    assert answer.rows[0][answer.columns.index("share")] == pytest.approx(0.001 / 0.041)
    assert "within model is gpt-big" in answer.reading["text"]


def _requests_table(rows):
    con = duckdb.connect()
    con.execute("CREATE TABLE model_prices (provider VARCHAR, model VARCHAR, input_usd_per_mtok DOUBLE, "
                "cached_input_usd_per_mtok DOUBLE, cache_write_usd_per_mtok DOUBLE, output_usd_per_mtok DOUBLE, "
                "batch_discount_pct DOUBLE, valid_from TIMESTAMP, valid_to TIMESTAMP)")
    for provider, model in (("p", "m1"), ("p", "m2"), ("self-hosted", "own")):
        con.execute("INSERT INTO model_prices VALUES (?, ?, 3.0, 0.3, NULL, 15.0, NULL, '2026-01-01', NULL)", [provider, model])
    columns = ", ".join(f"{c.name} {c.type}" for c in TABLES["llm_requests"].columns)
    con.execute(f"CREATE TABLE llm_requests ({columns})")
    for n, (ts, provider, model, prompt_hash, cost) in enumerate(rows):
        con.execute("INSERT INTO llm_requests (request_id, ts, provider, model, prompt_hash, input_tokens, "
                    "cached_input_tokens, output_tokens, cost_usd) VALUES (?, ?, ?, ?, ?, 1000, 0, 0, ?)",
                    [f"r{n}", ts, provider, model, prompt_hash, cost])
    return con


NOVEMBER = Window("November", AS_OF.replace(day=1), AS_OF.replace(day=9))


def test_a_cache_ttl_reaches_before_the_window_and_stays_within_a_model():
    con = _requests_table([
        ("2026-10-31 23:58:00", "p", "m1", "h", 0.003),  # before the window: not counted, but cached
        ("2026-11-01 00:01:00", "p", "m1", "h", 0.003),  # 3 minutes later, same model: a repeat
        ("2026-11-01 00:02:00", "p", "m2", "h", 0.003),  # same prompt, another model: its own cache, not a repeat
        ("2026-11-01 00:30:00", "p", "m1", "h", 0.003),  # 29 minutes after the last m1 send: expired
    ])
    plan = QueryPlan("what_if", ("inference_cost",), NOVEMBER, scenario=Scenario("cache", ttl_minutes=5.0))
    [(requests, repeats, actual, whatif, _, saved)] = con.execute(scenario_query(plan).sql("duckdb")).fetchall()
    assert (requests, repeats) == (3, 1)
    assert actual == pytest.approx(0.009) and saved == pytest.approx(1000 * (3.0 - 0.3) / 1e6)


def test_batching_never_discounts_self_hosted_traffic():
    con = _requests_table([("2026-11-02 10:00:00", "p", "m1", "a", 2.0), ("2026-11-02 10:00:00", "self-hosted", "own", "b", 1.0)])
    plan = QueryPlan("what_if", ("inference_cost",), NOVEMBER, scenario=Scenario("batch"))
    [(_, actual, whatif, _, _)] = con.execute(scenario_query(plan).sql("duckdb")).fetchall()
    assert (actual, whatif) == pytest.approx((3.0, 2.0 * 0.5 + 1.0))  # no listed discount: 50% for m1, none for ours


@pytest.mark.parametrize("value, dimension, said", [
    ("ml", "team", "ml"),
    (None, "team", "(untagged)"),
    (None, "tag_application", "(untagged)"),
    (None, "pricing_category", "(none)"),  # a FOCUS column left empty is not a missing tag
    (None, None, "(none)"),
])
def test_a_missing_group_is_untagged_only_for_tags(value, dimension, said):
    from assistant.present.narrate import _name

    assert _name(value, dimension) == said


# tests/unit_economics_data.py, last week (Nov 2-8): the last request is on Nov 7, so the days counted are Nov 2-7.
LAST_WEEK_COST, DAYS_TO_LAST_DATA = 0.041 + 0.03705, 6
SORTED_COSTS = [0.0, 0.001, 0.00705, 0.00975, 0.00975, 0.0105, 0.012, 0.028]


@pytest.mark.parametrize("question, column, expected", [
    ("what was our average daily LLM cost last week?", "inference_cost_per_day", LAST_WEEK_COST / DAYS_TO_LAST_DATA),
    ("how many requests did we make per day on average last week?", "requests_per_day", 8 / DAYS_TO_LAST_DATA),
    ("average weekly LLM cost last week", "inference_cost_per_week", LAST_WEEK_COST / (DAYS_TO_LAST_DATA / 7)),
    ("median cost per request last week", "cost_per_request_p50", (0.00975 + 0.00975) / 2),
    # quantile_cont: position (8 - 1) x 0.9 = 6.3 between the 7th and 8th costs
    ("p90 cost per request last week", "cost_per_request_p90", 0.012 + 0.3 * (0.028 - 0.012)),
    ("p99 latency last week", "latency_p99", 100.0),
    ("average latency last week", "latency_avg", 100.0),
])
def test_averages_per_period_and_percentiles_per_request(unit_warehouse, question, column, expected):
    executor, settings = unit_warehouse
    answer = ask(question, AskContext(settings=settings, executor=executor, as_of=AS_OF))
    assert answer.error is None, answer.error
    assert answer.rows[0][answer.columns.index(column)] == pytest.approx(expected), answer.sql


def test_an_average_per_period_by_group_shares_the_periods(unit_warehouse):
    executor, settings = unit_warehouse
    answer = ask("average daily requests by feature last week", AskContext(settings=settings, executor=executor, as_of=AS_OF))
    assert answer.error is None, answer.error
    at = answer.columns.index("requests_per_day")
    assert {row[0]: row[at] for row in answer.rows} == pytest.approx(
        {"summarize": 3 / DAYS_TO_LAST_DATA, "support-chat": 5 / DAYS_TO_LAST_DATA})
    assert "Average requests per day" in answer.text


def test_an_average_of_a_ratio_per_period_is_refused(planner):
    answer = read(planner, "average daily error rate last week")
    assert not isinstance(answer, QueryPlan) and answer.kind == ErrorKind.NOT_SUPPORTED


@pytest.mark.parametrize("question, metrics, dimensions, limit, window", [
    # no metric named: a ranking of groups ranks them by money; a model is cheap per request
    ("what was our largest cloud service last month?", ("cost",), ("service",), 1, "last month"),
    ("cheapest model for support-chat last month?", ("cost_per_request",), ("model",), 1, "last month"),
    ("biggest feature last week", ("inference_cost",), ("feature",), 1, "last week"),
    # "currently", "latest": the last whole day
    ("what's the error rate of support-chat currently?", ("error_rate",), (), None, f"the latest day ({AS_OF.replace(day=9)})"),
    ("latest gpu utilization by cluster", ("gpu_utilization",), ("cluster",), None, f"the latest day ({AS_OF.replace(day=9)})"),
])
def test_rankings_without_a_metric_and_the_latest_day(planner, question, metrics, dimensions, limit, window):
    plan = read(planner, question)
    assert isinstance(plan, QueryPlan), plan
    assert (plan.metrics, plan.dimensions, plan.limit, plan.window.label) == (metrics, dimensions, limit, window)


def test_trending_with_no_window_is_a_daily_trend(planner):
    plan = read(planner, "how is our GPU utilization trending?")
    assert isinstance(plan, QueryPlan) and plan.intent == "trend" and plan.grain == "day", plan


def test_biggest_movers_rank_changes_either_way_and_say_no_total(warehouse_settings, executor):
    answer = ask("biggest movers week over week by feature", AskContext(settings=warehouse_settings, executor=executor, as_of=AS_OF))
    assert answer.error is None, answer.error
    at = answer.columns.index("inference_cost_change")
    changes = [row[at] for row in answer.rows]
    assert changes == sorted(changes, key=lambda c: -abs(c))
    assert "largest change" in answer.text and " was **" not in answer.text  # the rows shown are not the total


@pytest.mark.parametrize("question, metrics, dimensions, limit, filters", [
    ("which 2 features burned the most tokens last week?", ("tokens",), ("feature",), 2, ()),
    ("how many retries last week?", ("retried_requests",), (), None, ()),
    ("how many retry attempts did support-chat make last week?", ("retried_requests",), (), None,
     (Filter("feature", ("support-chat",)),)),
    ("what did a successful support-chat request cost on average last week?", ("cost_per_request",), (), None,
     (Filter("feature", ("support-chat",)), Filter("status", ("ok",)))),
    ("errors by provider last week", ("requests",), ("provider",), None, (FAILED,)),
    ("LLM cost by feature other than support-chat last week", ("inference_cost",), ("feature",), None,
     (Filter("feature", ("support-chat",), True),)),
])
def test_counts_statuses_and_limits_as_said(planner, question, metrics, dimensions, limit, filters):
    plan = read(planner, question)
    assert isinstance(plan, QueryPlan), plan
    assert (plan.metrics, plan.dimensions, plan.limit, plan.filters) == (metrics, dimensions, limit, filters)


def test_already_over_budget_lists_only_the_budgets_over(planner):
    plan = read(planner, "which of our budgets are we already over this month?")
    assert isinstance(plan, QueryPlan) and OVER_ONLY_NOTE in plan.notes, plan


def test_a_forecast_by_group_is_refused_not_answered_whole(planner):
    answer = read(planner, "month-end inference cost forecast by team")
    assert not isinstance(answer, QueryPlan) and "team" in answer.unplaced

"""What-if scenarios asked in words, each figure worked out by hand (tests/unit_economics_data.py's table).

Last week is 2026-11-02 to 2026-11-08. summarize (gpt-big) paid 0.012 + 0.028 + 0.001 = 0.041; support-chat
paid 0.00975 + 0.00705 + 0.0105 + 0.00975 on claude-x and 0 on llama-x = 0.03705.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from assistant.analysis.savings import find_savings
from assistant.analysis.self_hosted import API_PRICE, BUSY_ONLY, IDLE_INCLUDED
from assistant.analysis.whatif import scenario_query
from assistant.answer import AskContext
from assistant.ask import ask
from assistant.query.plan import Filter, QueryPlan, Scenario
from assistant.query.window import Window
from tests.unit_economics_data import AS_OF, load_warehouse
from warehouse.contract import TABLES

LAST_WEEK = Window("last week", AS_OF.replace(day=2), AS_OF.replace(day=9))
# Caching the same-day repeats of support-chat (requests 4 and 5): 2000 uncached input tokens each at 3 - 0.3.
CACHE_SAVED = 2 * 2000 * 2.7 / 1e6
# gpt-mini: requests before Nov 5 at 2 / 2 / 4, after at 1 / 0.5 / 2.
ON_MINI = (800 * 2 + 200 * 2 + 100 * 4) / 1e6 + (2000 * 1 + 500 * 2) / 1e6 + 100 * 1 / 1e6


@pytest.fixture(scope="module")
def whatif_warehouse(tmp_path_factory):
    executor, settings = load_warehouse(tmp_path_factory.mktemp("whatif"))
    with executor:
        yield executor, settings


def asked(warehouse, question):
    executor, settings = warehouse
    return ask(question, AskContext(settings=settings, executor=executor, as_of=AS_OF))


def totals(answer) -> dict:
    at = {name: i for i, name in enumerate(answer.columns)}
    return {name: sum(row[i] or 0 for row in answer.rows) for name, i in at.items()
            if name in ("requests", "requests_over", "repeats", "actual_cost", "whatif_cost", "difference", "difference_per_month")}


@pytest.mark.parametrize("question, kind, actual, whatif", [
    ("what would summarize have cost last week on gpt-mini?", "reprice", 0.041, ON_MINI),
    ("what would summarize's gpt-big calls have cost on gpt-mini last week?", "reprice", 0.041, ON_MINI),
    ("what if we cached repeated prompts in support-chat last week?", "cache", 0.03705, 0.03705 - CACHE_SAVED),
    ("what would caching repeated prompts with a 2 minute ttl save in support-chat last week?", "cache", 0.03705,
     0.03705 - 2000 * 2.7 / 1e6),  # only request 4 follows within 2 minutes
    ("what would support-chat have cost last week if we batched it?", "batch", 0.03705, 0.03705 * 0.5),  # claude-x: 50%
    ("what would summarize cost last week if we batched it at a 40% discount?", "batch", 0.041, 0.041 * 0.6),
    ("what if summarize's prompts were 30% shorter last week?", "shorter", 0.041,
     0.041 - 0.3 * ((800 * 10 + 200 * 5) + 2000 * 10 + 100 * 10) / 1e6),
    ("how many requests went over the per-request ceiling last week and what would capping save?", "ceiling",
     0.07805, 0.07805 - (0.028 - 0.02)),  # summarize's $0.02 ceiling: request 2 only
    ("what if we capped the cost per request at $0.01 last week?", "ceiling", 0.07805,
     0.07805 - (0.002 + 0.018 + 0.0005)),  # requests 1, 2 and 5
])
def test_what_if_answers_actual_whatif_and_difference(whatif_warehouse, question, kind, actual, whatif):
    answer = asked(whatif_warehouse, question)
    assert answer.error is None, answer.error
    assert answer.plan.scenario.kind == kind
    got = totals(answer)
    assert got["actual_cost"] == pytest.approx(actual, rel=1e-9)
    assert got["whatif_cost"] == pytest.approx(whatif, rel=1e-9)
    assert got["difference"] == pytest.approx(whatif - actual, rel=1e-9, abs=1e-12)
    assert "Estimate (what-if)" in answer.text and "Assumptions:" in answer.text
    assert "what-if" in answer.reading["text"] and answer.reading["intent"] == "what_if"
    assert answer.sql and answer.sql.startswith("SELECT")


def test_ceiling_counts_the_requests_over_it(whatif_warehouse):
    answer = asked(whatif_warehouse, "how many requests went over the per-request ceiling last week and what would capping save?")
    assert (totals(answer)["requests"], totals(answer)["requests_over"]) == (8, 1)
    assert "1 of 8 requests" in answer.text


def test_per_month_scales_the_window(whatif_warehouse):
    answer = asked(whatif_warehouse, "how much would caching repeated prompts in support-chat save per month, based on last week?")
    assert answer.error is None or answer.error.kind == "partly_understood"
    answer = asked(whatif_warehouse, "how much would caching repeated prompts in support-chat save per month last week?")
    assert totals(answer)["difference_per_month"] == pytest.approx(-CACHE_SAVED * 30 / 7)


def test_grouped_what_if_has_one_row_per_group(whatif_warehouse):
    answer = asked(whatif_warehouse, "what would each feature have cost on gpt-mini last week?")
    assert answer.plan.dimensions == ("feature",)
    rows = {row[0]: row for row in answer.rows}
    assert set(rows) == {"summarize", "support-chat"}
    at = answer.columns.index("whatif_cost")
    # support-chat on gpt-mini: claude-x's requests on Nov 4 (old price) and 5 (new), llama-x's on Nov 3 (old)
    chat = (3000 * 2 + 50 * 4) / 1e6 + (2000 * 2 + 1000 * 2 + 50 * 4) / 1e6 + (2000 * 2 + 1000 * 2 + 50 * 4) / 1e6 \
        + (3000 * 1 + 50 * 2) / 1e6 + (600_000 * 2 + 400_000 * 4) / 1e6
    assert rows["support-chat"][at] == pytest.approx(chat, rel=1e-9)
    assert rows["summarize"][at] == pytest.approx(ON_MINI, rel=1e-9)


def test_savings_findings_equal_the_matching_what_ifs(whatif_warehouse):
    """The routing and caching findings and their what-ifs re-price through the same code: same figures."""
    executor, settings = whatif_warehouse
    found = find_savings(executor, settings, as_of=AS_OF, window=LAST_WEEK)
    per_month = 30 / 7
    [routing] = [s for s in found if s.kind == "routing" and s.value == "summarize"]
    [caching] = [s for s in found if s.kind == "prompt_caching" and s.value == "support-chat"]
    routed = asked(whatif_warehouse, "what would summarize's gpt-big calls have cost on gpt-mini last week?")
    cached = asked(whatif_warehouse, "what if we cached repeated prompts in support-chat last week?")
    assert routing.evidence["small_model"] == "gpt-mini"
    assert routing.monthly_usd == pytest.approx(-totals(routed)["difference"] * per_month, rel=1e-12)
    assert caching.monthly_usd == pytest.approx(-totals(cached)["difference"] * per_month, rel=1e-12)
    assert caching.monthly_usd == pytest.approx(CACHE_SAVED * per_month, rel=1e-9)


@pytest.mark.parametrize("question, models", [
    ("is our llama-x cheaper than gpt-big per million tokens last week?", {"llama-x", "gpt-big"}),
    ("self-hosted cost per 1M tokens vs the API models last week", {"llama-x", "gpt-big", "gpt-mini", "claude-x"}),
])
def test_self_hosted_cost_per_million_tokens_against_the_api(whatif_warehouse, question, models):
    answer = asked(whatif_warehouse, question)
    assert answer.error is None, answer.error
    at = {name: i for i, name in enumerate(answer.columns)}
    per_mtok = {(row[at["model"]], row[at["basis"]]): row[at["cost_per_mtok"]] for row in answer.rows}
    # GPU: llama-x-prod 10 h x $10 (50% busy) by its name, serve-a 5 h x $4 (100% busy) by gpu_usage.model, over
    # 1M tokens; the API models price the same 600k in and 400k out (gpt-mini at its price before Nov 5).
    expected = {("llama-x", IDLE_INCLUDED): 120.0, ("llama-x", BUSY_ONLY): 70.0, ("gpt-big", API_PRICE): 18.0,
                ("gpt-mini", API_PRICE): 2.8, ("claude-x", API_PRICE): 7.8}
    assert {m for m, _ in per_mtok} == models
    for key, value in per_mtok.items():
        assert value == pytest.approx(expected[key]), key
    assert "per 1M tokens" in answer.text and "idle" in answer.text


@pytest.mark.parametrize("question, expected", [
    # the numbers of the table above: only the basis asked for, and no API models when none is compared
    ("counting only busy GPU time, what did llama-x cost per million tokens last week?", {("llama-x", BUSY_ONLY): 70.0}),
    ("what does llama-x really cost per 1M tokens on our own GPUs, idle time included, last week?",
     {("llama-x", IDLE_INCLUDED): 120.0}),
])
def test_self_hosted_cost_on_the_basis_asked(whatif_warehouse, question, expected):
    answer = asked(whatif_warehouse, question)
    assert answer.error is None, answer.error
    at = {name: i for i, name in enumerate(answer.columns)}
    assert {(row[at["model"]], row[at["basis"]]): row[at["cost_per_mtok"]] for row in answer.rows} == pytest.approx(expected)


@pytest.mark.parametrize("question", [
    "what would it cost to train a model next year?",
    "what would summarize have cost on the moon last week?",
    "what would our carbon footprint be on gpt-mini?",
])
def test_what_if_it_cannot_place_is_refused(whatif_warehouse, question):
    answer = asked(whatif_warehouse, question)
    assert not answer.answered and answer.error is not None


def test_a_plain_question_is_not_read_as_a_what_if(whatif_warehouse):
    for question in ("inference cost by feature last week", "where can we save money?", "what did caching save last week?"):
        answer = asked(whatif_warehouse, question)
        assert answer.plan is None or answer.plan.intent != "what_if", question


PRICE_ROWS = [  # provider, model, input, cached, output, valid_from, valid_to
    ("p", "a", 3.0, 0.3, 15.0, "2026-01-01", "2026-06-01"),
    ("p", "a", 2.0, 0.5, 10.0, "2026-06-01", None),
    ("p", "b", 0.25, None, 1.25, "2026-01-01", None),
]


def _list_price(model: str, month: int) -> tuple[float, float, float]:
    for _, name, inp, cached, out, start, end in PRICE_ROWS:
        if name == model and int(start[5:7]) <= month and (end is None or month < int(end[5:7])):
            return inp, cached if cached is not None else inp, out
    raise AssertionError("no price")


requests_strategy = st.lists(
    st.tuples(st.sampled_from(["a", "b"]), st.integers(1, 12), st.integers(0, 50_000), st.floats(0, 1),
              st.integers(0, 5_000)),
    min_size=1, max_size=25,
)


@hypothesis_settings(max_examples=40, deadline=None)
@given(requests_strategy)
def test_a_what_if_at_the_models_own_prices_is_the_actual_cost(rows):
    """Whatever the traffic, re-pricing a model's requests at its own list prices gives back what they paid."""
    con = duckdb.connect()
    con.execute("CREATE TABLE model_prices (provider VARCHAR, model VARCHAR, input_usd_per_mtok DOUBLE, "
                "cached_input_usd_per_mtok DOUBLE, cache_write_usd_per_mtok DOUBLE, output_usd_per_mtok DOUBLE, "
                "batch_discount_pct DOUBLE, valid_from TIMESTAMP, valid_to TIMESTAMP)")
    for provider, model, inp, cached, out, start, end in PRICE_ROWS:
        con.execute("INSERT INTO model_prices VALUES (?, ?, ?, ?, NULL, ?, NULL, ?, ?)", [provider, model, inp, cached, out, start, end])
    columns = ", ".join(f"{c.name} {c.type}" for c in TABLES["llm_requests"].columns)
    con.execute(f"CREATE TABLE llm_requests ({columns})")
    paid = {"a": 0.0, "b": 0.0}
    for n, (model, month, input_tokens, cached_share, output_tokens) in enumerate(rows):
        cached = int(input_tokens * cached_share)
        inp, cached_price, out = _list_price(model, month)
        cost = ((input_tokens - cached) * inp + cached * cached_price + output_tokens * out) / 1e6
        paid[model] += cost
        con.execute("INSERT INTO llm_requests (request_id, ts, provider, model, input_tokens, cached_input_tokens, "
                    "output_tokens, cost_usd) VALUES (?, make_timestamp(2026, ?, 15, 0, 0, 0), 'p', ?, ?, ?, ?, ?)",
                    [f"r{n}", month, model, input_tokens, cached, output_tokens, cost])
    for model in ("a", "b"):
        plan = QueryPlan("what_if", ("inference_cost",), Window("2026", AS_OF.replace(month=1, day=1), AS_OF.replace(month=12, day=31)),
                         filters=(Filter("model", (model,)),), scenario=Scenario("reprice", model=model))
        [(_, _, actual, whatif, difference, savings)] = con.execute(scenario_query(plan).sql("duckdb")).fetchall()
        assert (actual or 0.0) == pytest.approx(paid[model], rel=1e-9, abs=1e-12)
        assert (whatif or 0.0) == pytest.approx(paid[model], rel=1e-9, abs=1e-12)
        assert abs(difference or 0.0) <= 1e-9 * max(paid[model], 1e-9) + 1e-12
        assert savings == pytest.approx(-(difference or 0.0), abs=1e-12) if savings is not None else difference is None


def test_a_what_if_on_the_session_warehouse_at_own_prices_is_actual(executor):
    """On the shared tiny warehouse (gpt-4o's price changes mid-month, some costs priced at ingest)."""
    plan = QueryPlan("what_if", ("inference_cost",), Window("October", AS_OF.replace(month=10, day=1), AS_OF.replace(month=11, day=1)),
                     filters=(Filter("model", ("gpt-4o",)),), scenario=Scenario("reprice", model="gpt-4o"))
    [(requests, repriced, actual, whatif, _, _)] = executor.run_sql(scenario_query(plan).sql("duckdb")).rows
    assert requests == repriced > 0
    assert whatif == pytest.approx(actual, rel=1e-6)


def test_the_chat_page_shows_a_what_if_with_its_assumptions(warehouse_settings, executor, tmp_path, monkeypatch):
    import shutil

    from streamlit.testing.v1 import AppTest

    home = tmp_path / "home"
    shutil.copytree(warehouse_settings.home, home)
    monkeypatch.setenv("FINOPS_HOME", str(home))
    for name in ("FINOPS_AS_OF", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    app = AppTest.from_file(str(Path(__file__).parent.parent / "ui" / "chat" / "app.py"), default_timeout=60).run()
    app.chat_input[0].set_value("what would support-chat have cost on gpt-4o-mini this month?").run()
    assert not app.exception, app.exception
    answer = app.chat_message[-1]
    text = "\n".join(m.value for m in answer.markdown)
    actual = executor.query("SELECT sum(cost_usd) FROM llm_requests WHERE feature = 'support-chat' "
                            "AND ts >= '2026-10-01' AND ts < '2026-11-01'").rows[0][0]
    assert "Estimate (what-if)" in text and "Assumptions:" in text and "gpt-4o-mini's prices" in text
    assert f"${actual:,.2f}" in text
    frame = answer.dataframe[0].value
    assert {"actual_cost", "whatif_cost", "difference"} <= set(frame.columns)
    assert any("what-if" in c.value for c in answer.caption)


@pytest.fixture(scope="module")
def planner(executor):
    from assistant.semantic import load_semantic_model
    from assistant.understand.planner import Planner
    from assistant.understand.values import ValueIndex

    return Planner(load_semantic_model(), ValueIndex.build(executor, load_semantic_model()))


@pytest.mark.parametrize("question, scenario, filters", [
    ("what would summarize have cost last week on gpt-4o-mini?", Scenario("reprice", model="gpt-4o-mini"), {"feature": ("summarize",)}),
    ("how much would we save by switching support-chat to gpt-4o-mini?", Scenario("reprice", model="gpt-4o-mini"),
     {"feature": ("support-chat",)}),
    ("what would we pay if all staging traffic used claude-haiku-4?", Scenario("reprice", model="claude-haiku-4"),
     {"environment": ("staging",)}),
    ("what would gpt-4o's calls cost on gpt-4o-mini per month?", Scenario("reprice", model="gpt-4o-mini", per_month=True),
     {"model": ("gpt-4o",)}),
    ("how much would caching repeated prompts in support-chat save per month?", Scenario("cache", per_month=True),
     {"feature": ("support-chat",)}),
    ("what would we save by caching duplicate prompts with a 1 hour ttl?", Scenario("cache", ttl_minutes=60.0), {}),
    ("what if we batched summarize at a 40% discount?", Scenario("batch", percent=40.0), {"feature": ("summarize",)}),
    ("how much would a 50% shorter prompt save for document-analysis?", Scenario("shorter", percent=50.0),
     {"feature": ("document-analysis",)}),
    ("how much would capping requests at 10 cents save?", Scenario("ceiling", ceiling_usd=0.1), {}),
    ("how many requests went over the per-request ceiling last week and what would capping save?", Scenario("ceiling"), {}),
    ("is our gpt-4o cheaper than self-hosted per million tokens?", Scenario("self_hosted"), {"model": ("gpt-4o",)}),
])
def test_what_if_words_become_the_scenario(planner, question, scenario, filters):
    from assistant.understand.planner import PlannerContext

    plan = planner.plan(question, PlannerContext(as_of=AS_OF))
    assert isinstance(plan, QueryPlan), plan
    assert plan.intent == "what_if" and plan.scenario == scenario
    assert {f.dimension: f.values for f in plan.filters} == filters


@pytest.mark.parametrize("question", [
    "I would like to see spend on gpt-4o last week",
    "how much did we spend on gpt-4o last week?",
    "what are the per-request caps in our budgets?",
    "cost per request by feature last week",
    "repeat share by feature last week",
])
def test_plain_questions_with_what_if_words_are_not_what_ifs(planner, question):
    from assistant.understand.planner import PlannerContext

    plan = planner.plan(question, PlannerContext(as_of=AS_OF))
    assert not (isinstance(plan, QueryPlan) and plan.intent == "what_if"), plan

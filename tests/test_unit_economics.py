"""Unit metrics asked in words, on a warehouse small enough to work out on paper (tests/unit_economics_data.py).

Each expected figure is computed by hand from the table in that module's docstring, never by the code
under test. Last week is 2026-11-02 to 2026-11-08; request 9 lies outside it.
"""

from __future__ import annotations

import pytest

from assistant.answer import AskContext
from assistant.ask import ask
from assistant.semantic import load_semantic_model
from tests.unit_economics_data import AS_OF, load_warehouse

# Last week, by hand: costs 0.012 + 0.028 + 0.001 (gpt-big) + 0.00975 + 0.00705 + 0.0105 + 0.00975 (claude-x) + 0 (llama-x).
COST = 0.07805
INPUT = 1000 + 2000 + 100 + 4 * 3000 + 600_000
OUTPUT = 100 + 500 + 0 + 4 * 50 + 400_000
# Input tokens x their price per 1M, by hand: gpt-big 800 x 10 + 200 x 5 (req 1) + 2000 x 10 + 100 x 10; claude-x
# 3000 x 3 (req 3) + 2000 x 3 + 1000 x 0.3 (req 4) + 2000 x 3 + 1000 x 3.75 written (req 5) + 3000 x 3 (req 6); llama 0.
INPUT_PRICED = {"gpt-big": 8000 + 1000 + 20_000 + 1000, "claude-x": 9000 + 6300 + 9750 + 9000}
# List cost: request 2 lists at (2000 x 10 + 500 x 30) / 1e6 = 0.035 where 0.028 was paid; the others paid list.
LIST = COST + 0.035 - 0.028
# Caching saved: request 1's 200 cached at 10 - 5, request 4's 1000 at 3 - 0.3, less request 5's 1000 written at 3.75 - 3.
CACHE_SAVED = {"summarize": 200 * 5 / 1e6, "support-chat": (1000 * 2.7 - 1000 * 0.75) / 1e6}


@pytest.fixture(scope="module")
def unit_warehouse(tmp_path_factory):
    executor, settings = load_warehouse(tmp_path_factory.mktemp("unit-economics"))
    with executor:
        yield executor, settings


def figures(answer) -> dict | float:
    """The answer's metric: one value, or {group: value} for a breakdown."""
    assert answer.error is None, answer.error
    metric = answer.plan.metric
    at = answer.columns.index(metric)
    if answer.plan.dimensions:
        return {row[0]: row[at] for row in answer.rows}
    return answer.rows[0][at]


@pytest.mark.parametrize("question, metric, expected", [
    # What each side's tokens cost at the prices of their time, per token of that side (not all cost over them).
    ("cost per 1M output tokens by model last week", "cost_per_mtok_output", {"gpt-big": 30.0, "claude-x": 15.0, "llama-x": 0.0}),
    ("cost per 1M input tokens last week", "cost_per_mtok_input", (INPUT_PRICED["gpt-big"] + INPUT_PRICED["claude-x"]) / INPUT),
    ("cost per 1k output tokens last week", "cost_per_ktok_output", (600 * 30 + 200 * 15) / OUTPUT / 1e3),
    ("cost per 1k input tokens by feature last week", "cost_per_ktok_input",
     {"summarize": INPUT_PRICED["gpt-big"] / 3100 / 1e3, "support-chat": INPUT_PRICED["claude-x"] / 612_000 / 1e3}),
    ("cache hit rate by feature last week", "cache_hit_rate", {"summarize": 200 / 3100, "support-chat": 1000 / 612_000}),
    ("what did caching save last week?", "caching_savings", sum(CACHE_SAVED.values())),
    ("caching savings by feature last week", "caching_savings", CACHE_SAVED),
    ("output/input ratio last week", "output_input_ratio", OUTPUT / INPUT),
    ("cost per successful request last week", "cost_per_successful_request", COST / 7),
    ("requests per user last week", "requests_per_user", 8 / 2),
    ("inference cost at list prices last week", "list_inference_cost", LIST),
    ("effective price vs list price by model last week", "effective_to_list_price",
     {"gpt-big": 0.041 / 0.048, "claude-x": 1.0, "llama-x": None}),
    ("list price per 1M tokens last week", "list_price_per_mtok", LIST / (INPUT + OUTPUT) * 1e6),
])
def test_unit_metric_answers_its_hand_figure(unit_warehouse, question, metric, expected):
    executor, settings = unit_warehouse
    answer = ask(question, AskContext(settings=settings, executor=executor, as_of=AS_OF))
    assert answer.plan.metrics == (metric,), answer.reading
    got = figures(answer)
    if isinstance(expected, dict):
        assert set(got) == set(expected)
        for group, value in expected.items():
            assert got[group] == (pytest.approx(value, rel=1e-9) if value is not None else None), group
    else:
        assert got == pytest.approx(expected, rel=1e-9)
    definition = load_semantic_model().metrics[metric].definition
    assert definition in answer.text  # the answer states what the figure means


def test_priced_metrics_read_the_price_valid_at_each_request(unit_warehouse):
    """gpt-mini's price changed on Nov 5; a priced metric of its traffic would take each side's row. Here: the
    SQL joins on validity, and a request with no price row has no list cost (llama-x lists at 0, counted)."""
    executor, settings = unit_warehouse
    answer = ask("inference cost at list prices by model last week", AskContext(settings=settings, executor=executor, as_of=AS_OF))
    got = figures(answer)
    assert got == {"gpt-big": pytest.approx(0.048), "claude-x": pytest.approx(0.03705), "llama-x": 0.0}
    assert "valid_from <= r.ts" in answer.sql


@pytest.mark.parametrize("question, has_share", [
    ("cost per 1M output tokens by model last week", False),  # a price per unit is no part of a whole
    ("cost per successful request by feature last week", False),
    ("inference cost by model last week", True),
])
def test_only_additive_money_is_narrated_as_a_share_of_the_rows(unit_warehouse, question, has_share):
    executor, settings = unit_warehouse
    answer = ask(question, AskContext(settings=settings, executor=executor, as_of=AS_OF))
    assert answer.error is None, answer.error
    assert ("shown)" in answer.text) is has_share, answer.text

"""The offline planner, as a table: question -> plan, and what must be refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from assistant.query.plan import Clarification, QueryPlan
from assistant.semantic import load_semantic_model
from assistant.understand.planner import Planner, PlannerContext
from assistant.understand.values import ValueIndex

CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "planner.yaml").read_text())
AS_OF = date(2026, 10, 31)


@pytest.fixture(scope="module")
def planner(executor):
    return Planner(load_semantic_model(), ValueIndex.build(executor, load_semantic_model()))


@pytest.mark.parametrize("case", CASES, ids=[c["question"] for c in CASES])
def test_question_becomes_the_expected_plan(planner, case):
    result = planner.plan(case["question"], PlannerContext(as_of=AS_OF))
    if "refused" in case:
        assert isinstance(result, Clarification), result
        assert result.kind == case["refused"]
        assert result.message
        return
    assert isinstance(result, QueryPlan), result
    assert result.intent == case["intent"]
    assert list(result.metrics) == case["metrics"]
    assert list(result.dimensions) == case.get("dimensions", [])
    if "window" in case:
        assert [result.window.start, result.window.end] == case["window"]
    if "compare" in case:
        assert [result.window.compare_start, result.window.compare_end] == case["compare"]
    if "limit" in case:
        assert result.limit == case["limit"]
    if "grain" in case:
        assert result.grain == case["grain"]
    assert result.ratio == case.get("ratio")
    assert result.billing_period == case.get("billing_period", False)
    assert [[c.metric, c.op, c.value] for c in result.thresholds] == case.get("thresholds", [])
    filters = {f.dimension: list(f.values) for f in result.filters}
    assert filters == case.get("filters", {})
    assert sorted(f.dimension for f in result.filters if f.negate) == case.get("negated", [])


CHAIN = [
    ("inference cost by feature last week", dict(intent="breakdown", dimensions=("feature",))),
    ("and by model?", dict(intent="breakdown", dimensions=("model",))),
    ("only prod", dict(dimensions=("model",), filters={"environment": ("prod",)})),
    ("what about the week before?", dict(window=(date(2026, 10, 12), date(2026, 10, 19)))),
    ("top 2 instead", dict(intent="ranking", limit=2)),
    ("as a daily trend", dict(intent="trend", grain="day")),
]


def test_follow_ups_edit_the_previous_plan(planner):
    previous = None
    for question, expected in CHAIN:
        plan = planner.plan(question, PlannerContext(as_of=AS_OF, previous=previous))
        assert isinstance(plan, QueryPlan), (question, plan)
        assert plan.metrics == ("inference_cost",), question
        for key, value in expected.items():
            if key == "filters":
                assert {f.dimension: f.values for f in plan.filters} == value, question
            elif key == "window":
                assert (plan.window.start, plan.window.end) == value, question
            else:
                assert getattr(plan, key) == value, (question, key)
        previous = plan


def test_an_unrelated_question_after_an_answer_is_not_a_follow_up(planner):
    first = planner.plan("inference cost last week", PlannerContext(as_of=AS_OF))
    second = planner.plan("tell me a joke about clouds", PlannerContext(as_of=AS_OF, previous=first))
    assert isinstance(second, Clarification)

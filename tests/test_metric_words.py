"""Every way of naming a metric that SEMANTICS.md lists (and some people use) reaches that metric."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from assistant.query.plan import QueryPlan
from assistant.semantic import load_semantic_model
from assistant.understand.planner import Planner, PlannerContext
from assistant.understand.values import ValueIndex

WORDS = yaml.safe_load((Path(__file__).parent / "fixtures" / "metric_words.yaml").read_text())
CASES = [(metric, phrase) for metric, phrases in WORDS.items() for phrase in phrases]


@pytest.fixture(scope="module")
def planner(executor):
    model = load_semantic_model()
    return Planner(model, ValueIndex.build(executor, model))


def test_every_metric_has_words():
    assert set(WORDS) == set(load_semantic_model().metrics) - {"budget"}


@pytest.mark.parametrize("metric, phrase", CASES, ids=[f"{m}:{p}" for m, p in CASES])
def test_phrase_names_its_metric(planner, metric, phrase):
    plan = planner.plan(f"{phrase} last week", PlannerContext(as_of=date(2026, 10, 31)))
    assert isinstance(plan, QueryPlan), plan
    assert plan.metric == metric


DIMENSIONS = yaml.safe_load((Path(__file__).parent / "fixtures" / "dimension_words.yaml").read_text())
DIMENSION_CASES = [(d["metric"], d["dimension"], w) for d in DIMENSIONS for w in d["words"]]


def test_every_dimension_has_words():
    assert {d["dimension"] for d in DIMENSIONS} == set(load_semantic_model().dimensions)


@pytest.mark.parametrize("metric, dimension, words", DIMENSION_CASES, ids=[f"{d}:{w}" for _, d, w in DIMENSION_CASES])
def test_words_name_their_dimension(planner, metric, dimension, words):
    plan = planner.plan(f"{metric} by {words} last week", PlannerContext(as_of=date(2026, 10, 31)))
    assert isinstance(plan, QueryPlan), plan
    assert plan.dimensions == (dimension,)

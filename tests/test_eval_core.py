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

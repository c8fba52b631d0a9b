"""The blind question sets, on their own fixture companies: correct, refused and wrong never get worse.

Each set was written by someone who never saw the planner (evals/companies/), and
`blind-final` is never inspected. The floors and ceilings of evals/sets/blind-floors.yaml
are a ratchet: a change that answers fewer right, or more wrong, fails the build.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.quality.evaluation import load_set, run_eval
from evals.companies.warehouse import BLIND_SETS, build_company, company_of

FLOORS = yaml.safe_load((Path(__file__).parent.parent / "evals" / "sets" / "blind-floors.yaml").read_text())


def test_every_blind_set_has_floors():
    assert set(FLOORS) == set(BLIND_SETS)


@pytest.mark.parametrize("name", BLIND_SETS)
def test_blind_set_keeps_its_floor(name, tmp_path):
    settings = build_company(name, tmp_path, threads=2)
    report = run_eval(load_set(name), settings, route="planner", as_of=company_of(name).AS_OF, name=name)
    outcomes = report.summary()["outcomes"]
    for split, bounds in FLOORS[name].items():
        counts = outcomes[split]
        assert counts["wrong"] <= bounds["max_wrong"], f"{name} {split}: {counts['wrong']} wrong > {bounds['max_wrong']}"
        assert counts["correct"] >= bounds["min_correct"], f"{name} {split}: {counts['correct']} correct < {bounds['min_correct']}"

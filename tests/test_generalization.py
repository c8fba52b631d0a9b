"""Generalization: the offline planner on a company unlike the demo.

Fjord Fintech (tests/other_company.py) has its own features, teams, models,
providers, GPU fleet, cloud services and budgets. The question set
`evals/sets/othercorp.yaml` was written by hand against that data, as of
2026-09-30. The planner passes it only if it reads dimension values from the
warehouse rather than from the demo generator; the demo company's values must
be unknown here.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
import sqlglot
from sqlglot import exp

from assistant.quality.evaluation import EvalChain, EvalReport, format_report, load_set, run_eval
from assistant.semantic import load_semantic_model
from assistant.understand.values import ValueIndex
from tests.conftest import make_settings
from tests.other_company import write_other_company
from warehouse.executor import Executor
from warehouse.ingest import ingest

AS_OF = date(2026, 9, 30)  # the day after Fjord's last day of data (a Wednesday)
MIN_ACCURACY = 0.80
CONTRACT_TABLES = {"billing", "llm_requests", "gpu_usage", "model_prices", "budgets"}

FJORD_VALUES = {
    "feature": {"fraud-scoring", "kyc-review", "statement-parser", "advisor-chat", "receipt-ocr"},
    "team": {"risk", "onboarding", "payments", "wealth"},
    "model": {"mistral-large", "mistral-small", "mistral-embed", "gemini-2.0-flash", "gemini-2.5-pro", "gpt-4.1",
              "gpt-4.1-mini", "qwen-2.5-72b"},
    "provider": {"mistral", "vertex", "azure-openai", "self-hosted", "Google Cloud", "Microsoft", "Mistral AI"},
    "environment": {"prod", "sandbox"},
    "cluster": {"gke-inference-euw4", "gke-batch-euw4", "gke-wealth-euw1"},
    "gpu_type": {"H100", "L4"},
    "deployment": {"qwen-2.5-72b-prod", "qwen-2.5-72b-sandbox", "receipt-layout", "fraud-embedder", "statement-ner",
                   "advisor-rerank"},
    "service": {"Vertex AI", "Cloud Storage", "Compute Engine", "BigQuery", "Azure OpenAI Service", "Azure Monitor"},
    "region": {"europe-west4", "westeurope"},
}
DEMO_VALUES = ("document-analysis", "support-chat", "docs-ai", "cx", "claude-opus-4", "gpt-4o", "gpu-prod-us-east",
               "staging", "llama-3.1-70b-prod")


@pytest.fixture(scope="module")
def fjord(tmp_path_factory):
    """Settings and an executor over a warehouse loaded from Fjord Fintech's files only."""
    root = tmp_path_factory.mktemp("fjord")
    write_other_company(root / "data")
    settings = make_settings(root / "home", query_timeout_s=30, max_rows=1000, memory_limit="1GB", threads=2)
    report = ingest([root / "data"], settings)
    assert not report.refused, report.refused
    with Executor(settings) as executor:
        yield settings, executor


@pytest.fixture(scope="module")
def othercorp():
    return load_set("othercorp")


@pytest.fixture(scope="module")
def values(fjord):
    _, executor = fjord
    return ValueIndex.build(executor, load_semantic_model()).values


def cases(item):
    return item.turns if isinstance(item, EvalChain) else (item,)


# ---------------------------------------------------------------- the data


def test_fjord_files_are_deterministic(tmp_path):
    def digests(folder):
        return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(folder.rglob("*.parquet"))}

    write_other_company(tmp_path / "a")
    write_other_company(tmp_path / "b")
    first = digests(tmp_path / "a")
    assert len(first) == 5 and first == digests(tmp_path / "b")


def test_fjord_shape(fjord):
    _, executor = fjord
    counts = {t: executor.query(f"SELECT COUNT(*) FROM {t}").rows[0][0] for t in sorted(CONTRACT_TABLES)}
    assert 20_000 <= counts["llm_requests"] <= 60_000, counts
    assert counts["gpu_usage"] == 60 * 24 * 7 and counts["billing"] > 1000, counts
    latest = max(
        executor.query(f"SELECT max({column}) FROM {table}").rows[0][0].date()
        for table, column in (("billing", "ChargePeriodStart"), ("llm_requests", "ts"), ("gpu_usage", "hour"))
    )
    assert latest + timedelta(days=1) == AS_OF and AS_OF.weekday() == 2  # the set's as_of is the data's default
    # azure-openai logs no cost: ingest priced every row from model_prices
    assert executor.query("SELECT COUNT(*) FROM llm_requests WHERE cost_usd IS NULL").rows[0][0] == 0


def test_fjord_values_are_known(values):
    missing = {dim: sorted(expected - set(values.get(dim, {}))) for dim, expected in FJORD_VALUES.items()}
    assert not any(missing.values()), missing


@pytest.mark.parametrize("value", DEMO_VALUES)
def test_demo_values_are_not_known(values, value):
    found = [dim for dim, known in values.items() if value.lower() in {v.lower() for v in known}]
    assert not found, f"{value!r} is a value of {found} in Fjord's warehouse"


# ---------------------------------------------------------------- the question set


def test_othercorp_set_shape(othercorp):
    assert len(othercorp) == 60
    assert {item.split for item in othercorp} == {"validation"}
    assert sum(isinstance(item, EvalChain) for item in othercorp) >= 4
    assert sum(not isinstance(item, EvalChain) and item.refused for item in othercorp) >= 8
    intents = {tag for item in othercorp for case in cases(item) for tag in case.tags if tag.startswith("intent:")}
    assert {f"intent:{i}" for i in "total breakdown ranking trend comparison share unit_cost why budget".split()} <= intents


def test_othercorp_gold_reads_contract_tables_and_has_data(othercorp, fjord):
    """Every gold parses, reads only the five tables, runs on Fjord's warehouse and is not empty."""
    _, executor = fjord
    for item in othercorp:
        for case in cases(item):
            if case.refused:
                continue
            tree = sqlglot.parse_one(case.gold_sql, read="duckdb")
            ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
            assert {t.name for t in tree.find_all(exp.Table)} - ctes <= CONTRACT_TABLES, case.id
            result = executor.query(case.gold_sql)
            assert result.rows and not result.truncated, case.id
            assert not any(all(v is None for v in row) for row in result.rows), case.id


def test_planner_generalizes_to_another_company(othercorp, fjord):
    settings, executor = fjord
    report: EvalReport = run_eval(othercorp, settings, route="planner", executor=executor, as_of=AS_OF, name="othercorp")
    summary = report.summary()
    print(format_report(report))
    missed = [
        f"{r.id}: {r.reason}" + "".join(f"\n    turn {t.id}: {t.reason}" for t in r.turns if not t.passed)
        for r in report.results
        if not r.passed
    ]
    print("missed:\n  " + "\n  ".join(missed) if missed else "no misses")
    accuracy = summary["accuracy"]["overall"]
    assert accuracy >= MIN_ACCURACY, (
        f"planner accuracy on othercorp {accuracy:.1%} < {MIN_ACCURACY:.0%}; missed:\n  " + "\n  ".join(missed)
    )

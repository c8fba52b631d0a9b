"""Shared fixtures: settings in a temporary FINOPS_HOME, and a small deterministic warehouse.

The session warehouse is built from a few hundred hand-made rows (tiny_data)
through the real ingest, so every test reads what a user's load would produce.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from tests.tiny_data import team_only, write_tiny_dataset
from warehouse.executor import Executor
from warehouse.ingest import ingest
from warehouse.settings import Settings, load_settings

FIXTURES = Path(__file__).parent / "fixtures"
FOCUS_SAMPLE = FIXTURES / "focus" / "focus-1.0-sample.csv"


def make_settings(home: Path, **overrides) -> Settings:
    return load_settings(environ={"FINOPS_HOME": str(home)}, config_path=None, **overrides)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return make_settings(tmp_path / "home", query_timeout_s=5, max_rows=1000, memory_limit="1GB", threads=2)


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny-data")
    write_tiny_dataset(out)
    return out


@pytest.fixture(scope="session")
def warehouse_settings(tmp_path_factory, tiny_dir) -> Settings:
    """A loaded warehouse of tiny_data; tests must not write to it."""
    home = tmp_path_factory.mktemp("warehouse")
    settings = make_settings(home, query_timeout_s=5, max_rows=1000, memory_limit="1GB", threads=2)
    report = ingest([tiny_dir], settings)
    assert not report.refused, report.refused
    return settings


@pytest.fixture(scope="session")
def executor(warehouse_settings):
    with Executor(warehouse_settings) as executor:
        yield executor


@pytest.fixture(scope="session")
def team_warehouse(tmp_path_factory):
    """Only team cx's rows, loaded without any scope: what `team=cx` must see."""
    root = tmp_path_factory.mktemp("cx-only")
    write_tiny_dataset(root / "data", team_only("cx"))
    settings = make_settings(root / "home", query_timeout_s=5, max_rows=1000, memory_limit="1GB", threads=2)
    assert not ingest([root / "data"], settings).refused
    with Executor(settings) as executor:
        yield executor


_FLOAT_TEXT = re.compile(r"-?\d+\.\d+(e-?\d+)?")


class Close(float):
    """A float equal to another within 1e-9 relative: two warehouses holding the same rows in
    different files sum them in different orders, and rounding both to N decimals can still fall
    on either side of a boundary (0.0029265 -> 0.002927 or 0.002926)."""

    def __eq__(self, other):
        return isinstance(other, (int, float)) and math.isclose(self, other, rel_tol=1e-9, abs_tol=1e-12)

    def __ne__(self, other):
        return not self == other

    __hash__ = float.__hash__

    def __repr__(self):
        return f"{float(self):.12g}"


def normalized(rows):
    """Rows in a comparable form: order ignored, floats compared within 1e-9, maps and lists as tuples."""

    def cell(value):
        if isinstance(value, float):
            return Close(value) if math.isfinite(value) else str(value)
        if isinstance(value, dict):
            return tuple(sorted(value.items()))
        if isinstance(value, list):
            return tuple(cell(v) for v in value)
        if isinstance(value, str) and _FLOAT_TEXT.fullmatch(value):
            # A float cast to text keeps the last bits of that summation order.
            return cell(float(value))
        return value

    def key(row):  # the other columns first, floats coarsely: near-equal rows sort alike on both sides
        return (repr([v for v in row if not isinstance(v, float)]), [f"{v:.4g}" for v in row if isinstance(v, float)])

    return sorted((tuple(cell(v) for v in row) for row in rows), key=key)


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One local Spark (2 cores) for the whole run, started on first use and stopped at the end.

    Every Spark executor of the run opens its own session (views) on it; none starts another.
    """
    from warehouse.spark_engine import new_session

    settings = make_settings(tmp_path_factory.mktemp("spark"), engine="spark", spark_master="local[2]", memory_limit="1GB")
    session = new_session(settings)
    yield session.sparkContext
    session.sparkContext.stop()


@pytest.fixture(scope="session")
def memory_store(tmp_path_factory):
    """The example store (chromadb + offline e5), seeded once for the session."""
    pytest.importorskip("chromadb")
    from assistant.llm.retrieval import Memory
    from assistant.semantic import load_semantic_model

    store = Memory(make_settings(tmp_path_factory.mktemp("memory")))
    store.seed_examples()
    store.seed_definitions(load_semantic_model())
    return store


@pytest.fixture
def memory(memory_store):
    """The session store with no cached answers and no confirmed examples left by another test."""
    for kind, where in (("answers", None), ("examples", {"source": "confirmed"})):
        collection = memory_store._collection(kind)
        ids = collection.get(where=where, include=[])["ids"]
        if ids:
            collection.delete(ids=ids)
    return memory_store

"""The page (a placeholder until the planner lands): what the warehouse holds, or what to do."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.tiny_data import budget_rows, llm_rows

APP = str(Path(__file__).parent.parent / "ui" / "app.py")


def test_page_shows_tables_and_as_of(warehouse_settings, monkeypatch):
    monkeypatch.setenv("FINOPS_HOME", str(warehouse_settings.home))
    monkeypatch.delenv("FINOPS_AS_OF", raising=False)
    page = AppTest.from_file(APP, default_timeout=30).run()
    assert not page.exception
    frame = page.dataframe[0].value
    rows = dict(zip(frame["table"], frame["rows"]))
    assert rows["llm_requests"] == len(llm_rows()) and rows["budgets"] == len(budget_rows())
    assert page.metric[0].value == "2026-10-31"


def test_page_without_warehouse_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("FINOPS_HOME", str(tmp_path / "none"))
    page = AppTest.from_file(APP, default_timeout=30).run()
    assert not page.exception
    assert "make demo" in page.warning[0].value

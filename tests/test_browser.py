"""End to end: `finops ui` in headless Debian Chromium, as `make demo` opens it.

Type a question, its answer and chart render; the SQL expander opens; a
suggestion button asks its question; the overview page loads; no console
errors. Screenshots go to test-artifacts/, with the time from Enter to the
chart in test-artifacts/timings.json.
"""

from __future__ import annotations

import json
import shutil

import pytest

from tests.browser import ARTIFACTS, ask_in_chat, chat_page

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser
QUESTION = "why did inference cost jump last week?"


@pytest.fixture
def home(warehouse_settings, tmp_path):
    copy = tmp_path / "home"
    shutil.copytree(warehouse_settings.home, copy)
    return copy


def test_chat_answers_with_chart_sql_and_suggestions(home):
    ARTIFACTS.mkdir(exist_ok=True)
    with chat_page(home) as (page, errors):
        page.get_by_text("Latest data").first.wait_for(timeout=30_000)
        seconds = ask_in_chat(page, QUESTION)
        answer = page.locator("[data-testid='stChatMessage']").nth(1)
        assert "Inference cost" in answer.inner_text()
        answer.get_by_text("SQL", exact=True).click()
        answer.locator("[data-testid='stCode']").first.wait_for(timeout=10_000)
        assert "SELECT" in answer.locator("[data-testid='stCode']").first.inner_text()
        page.screenshot(path=str(ARTIFACTS / "chat-answer.png"), full_page=True)
        suggestion = answer.locator("[data-testid='stButton'] button").first
        asked = suggestion.inner_text()
        suggestion.click()
        page.locator("[data-testid='stChatMessage']").nth(2).get_by_text(asked).wait_for(timeout=60_000)
        page.locator("[data-testid='stChatMessage']").nth(3).locator("[data-testid='stMarkdown']").first.wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "chat-follow-up.png"), full_page=True)
    (ARTIFACTS / "timings.json").write_text(json.dumps({"question": QUESTION, "enter_to_chart_s": round(seconds, 2)}))
    print(f"\n{QUESTION!r}: Enter to chart in {seconds:.2f} s (test warehouse)")
    assert errors == []


def test_overview_page_loads_without_console_errors(home):
    ARTIFACTS.mkdir(exist_ok=True)
    with chat_page(home) as (page, errors):
        # Through the sidebar, as people get there (loading /overview directly makes Streamlit
        # probe /overview/_stcore/health first: two 404s of its own in the console).
        page.get_by_test_id("stSidebarNav").get_by_text("Overview").click()
        page.get_by_role("heading", name="Overview").wait_for(timeout=60_000)
        page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
        assert not page.locator("[data-testid='stException']").count()
        # An item's button opens the chat with its question asked.
        page.get_by_role("button", name="Open in chat").click()
        page.locator("[data-testid='stChatMessage']").nth(1).locator("[data-testid='stVegaLiteChart']").wait_for(timeout=60_000)
    assert errors == []

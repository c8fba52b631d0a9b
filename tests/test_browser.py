"""End to end: `finops ui` in headless Debian Chromium, as `make demo` opens it."""

from __future__ import annotations

import pytest

from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, running_ui

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser


def test_page_renders_the_warehouse_without_console_errors(warehouse_settings):
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    with running_ui(warehouse_settings.home) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(url)
            try:
                page.get_by_text("FinOps assistant").first.wait_for(timeout=30_000)
                page.get_by_text("2026-10-31").first.wait_for(timeout=30_000)
                page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=30_000)
            finally:
                page.screenshot(path=str(ARTIFACTS / "warehouse-page.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []

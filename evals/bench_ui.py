"""How long the chat page takes from pressing Enter to the answer's chart, in a real browser.

    FINOPS_HOME=<demo warehouse> .venv/bin/python evals/bench_ui.py [--runs 5] [--shots DIR]

Starts `finops ui` on a loopback port over FINOPS_HOME (the default demo
warehouse of `make demo` for the figure the issue asks for), opens it in
headless Debian Chromium (Playwright), and for each run loads a fresh page,
types the question and presses Enter, then waits for the chart of the answer
(vega-embed's canvas or svg). The first run includes the app's first query on
a cold process; the target is 3 s from Enter for every run. With --shots, the
chat (question, answer, chart, table, open SQL) and the overview page are
saved as PNG screenshots there (the README's pictures).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ holds the browser helpers

from tests.browser import ask_in_chat, launch_chromium, running_ui, watch_console  # noqa: E402
from warehouse.lake import Lake  # noqa: E402
from warehouse.settings import load_settings  # noqa: E402

QUESTION = "why did inference cost jump last week?"
TARGET_S = 3.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--shots", type=Path, help="write screenshots here")
    args = parser.parse_args()
    home = load_settings().home
    if not Lake(home).exists():
        sys.exit(f"bench_ui: no warehouse at {home}; run `make demo` or set FINOPS_HOME.")
    from playwright.sync_api import sync_playwright

    times: list[float] = []
    errors: list[str] = []
    with running_ui(home) as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            for run in range(args.runs):
                page = browser.new_page(viewport={"width": 1440, "height": 1900})
                errors += watch_console(page)
                page.goto(url)
                page.get_by_test_id("stChatInputTextArea").wait_for(timeout=120_000)
                seconds = ask_in_chat(page, args.question, timeout_ms=120_000)
                times.append(seconds)
                print(f"run {run + 1}: Enter to chart {seconds:.2f} s")
                if args.shots and run == args.runs - 1:
                    args.shots.mkdir(parents=True, exist_ok=True)
                    answer = page.locator("[data-testid='stChatMessage']").nth(1)
                    answer.get_by_text("SQL", exact=True).click()
                    page.wait_for_timeout(800)
                    page.screenshot(path=str(args.shots / "chat.png"))
                    page.get_by_test_id("stSidebarNav").get_by_text("Overview").click()
                    page.get_by_role("heading", name="Overview").wait_for(timeout=120_000)
                    page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=120_000)
                    page.wait_for_timeout(1500)
                    page.set_viewport_size({"width": 1440, "height": 1700})
                    page.screenshot(path=str(args.shots / "overview.png"))
                page.close()
        finally:
            browser.close()
    print(f"{args.question!r} on {home}: median {statistics.median(times):.2f} s, max {max(times):.2f} s "
          f"over {len(times)} runs; target {TARGET_S:g} s: {'met' if max(times) <= TARGET_S else 'NOT met'}")
    print(f"browser console errors: {len(errors)}" + (f" ({errors[:3]})" if errors else ""))


if __name__ == "__main__":
    main()

"""The chat page under load: simultaneous browser sessions, each asking questions, while an ingest runs.

    .venv/bin/python evals/load_chat.py --home DIR --ingest DATA_DIR [--sessions 20] [--questions 5] [--json]

Starts `finops ui` on a loopback port over `--home` (a copy: the ingest writes
into it), opens `--sessions` pages in headless Chromium (Playwright, one
browser context each, so each is its own Streamlit session over its own
websocket), waits until every page shows the chat box, then starts `finops
ingest DATA_DIR` into the same FINOPS_HOME and has every session ask its
`--questions` questions one after the other, all sessions at once. A question
is answered when its answer has rendered (its "planner · N ms" line, or the
note of a question it could not place) and the spinner is gone.

Reported: answers/s (all answers over the time from the first question to the
last answer), p50/p95/max latency from Enter to the rendered answer, errors
(timeouts, pages showing an internal error, uncaught page exceptions, an ingest
that failed; must be 0), how long the ingest ran and whether it overlapped the
questions, and the peak RSS of the Streamlit server (sampled every 0.25 s).
Bounded: each answer may take `--timeout` seconds, and the server, the ingest
and the browser are stopped before it exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser import CHROMIUM, CHROMIUM_ARGS, running_ui  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = (
    "inference cost last week", "inference cost by feature last week", "daily inference cost this month",
    "top 5 models by inference cost last month", "cloud cost by service last month", "error rate by feature last week",
    "gpu cost by cluster last month", "requests by team this month", "why did inference cost jump last week?",
)
DONE = """(k) => {
  const messages = document.querySelectorAll("[data-testid='stChatMessage']");
  if (messages.length < 2 * k || document.querySelector("[data-testid='stSpinner']")) return false;
  const last = messages[2 * k - 1];
  return /\\d ms · /.test(last.innerText) || last.querySelector("[data-testid='stAlert']") !== null;
}"""


class Sampler(threading.Thread):
    """Peak RSS of the process listening on `port` and its children, every 0.25 s until stopped."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.port, self.peak, self._stop_event = port, 0, threading.Event()

    def _server(self) -> psutil.Process | None:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and conn.laddr.port == self.port and conn.status == psutil.CONN_LISTEN and conn.pid:
                return psutil.Process(conn.pid)
        return None

    def run(self) -> None:
        server = None
        while not self._stop_event.is_set():
            try:
                server = server or self._server()
                if server is not None:
                    rss = sum(p.memory_info().rss for p in [server, *server.children(recursive=True)])
                    self.peak = max(self.peak, rss)
            except psutil.Error:
                server = None
            self._stop_event.wait(0.25)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(5)


async def _session(browser, url: str, number: int, questions: list[str], timeout_s: float, ready: asyncio.Event,
                   results: dict) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(timeout_s * 1000)  # the box is disabled while the page reruns: wait for it as long
    page.on("pageerror", lambda error: results["page_errors"].append(f"session {number}: {error}"))
    try:
        try:
            await page.goto(url)
            await page.get_by_test_id("stChatInputTextArea").wait_for()
        except Exception as error:  # noqa: BLE001 - a page that does not load is an error of the run
            results["errors"].append(f"session {number} did not load: {type(error).__name__}")
            return
        results["loaded"] += 1
        await ready.wait()
        for k, question in enumerate(questions, start=1):
            try:
                box = page.get_by_test_id("stChatInputTextArea")
                await box.fill(question)
                started = time.monotonic()
                results["first"] = min(results["first"], started)
                await box.press("Enter")
                await page.wait_for_function(DONE, arg=k, timeout=timeout_s * 1000, polling=100)
            except Exception as error:  # noqa: BLE001 - a timeout is an error of the run, counted
                results["errors"].append(f"session {number} question {k}: {type(error).__name__}")
                return
            done = time.monotonic()
            results["latencies"].append(done - started)
            results["last"] = max(results["last"], done)
            text = await page.locator("[data-testid='stChatMessage']").nth(2 * k - 1).inner_text()
            if "internal error" in text.lower():
                results["errors"].append(f"session {number} question {k}: internal error")
            results["answers"] += 1
    finally:
        await context.close()


async def _load(url: str, home: Path, ingest: Path, sessions: int, questions: int, timeout_s: float) -> dict:
    from playwright.async_api import async_playwright

    results: dict = {"latencies": [], "errors": [], "page_errors": [], "answers": 0, "loaded": 0,
                     "first": float("inf"), "last": 0.0}
    ready = asyncio.Event()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tasks = [asyncio.create_task(_session(browser, url, n, [QUESTIONS[(n + i) % len(QUESTIONS)]
                                                                    for i in range(questions)], timeout_s, ready, results))
                     for n in range(sessions)]
            deadline = time.monotonic() + timeout_s * 2
            while results["loaded"] < sessions and time.monotonic() < deadline and not all(t.done() for t in tasks):
                await asyncio.sleep(0.2)
            ingested = await ask_while_ingesting(home, ingest, tasks, ready, timeout_s * questions + 60)
        finally:
            await browser.close()
    results.update(ingested)
    return results


async def ask_while_ingesting(home: Path, ingest: Path, tasks: list, ready: asyncio.Event, timeout_s: float) -> dict:
    """Start `finops ingest INGEST` into HOME, let the sessions ask (`ready`), wait for both; the ingest's figures."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FINOPS_", "OPENAI_"))}
    env["FINOPS_HOME"] = str(home)
    started = time.monotonic()
    loader = subprocess.Popen([sys.executable, "-m", "ui.cli", "ingest", str(ingest)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ready.set()
    try:
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=timeout_s)
    finally:
        while loader.poll() is None and time.monotonic() < started + 600:
            await asyncio.sleep(0.2)
        if loader.poll() is None:
            loader.kill()
            loader.wait()
    ended = time.monotonic()
    error = loader.stderr.read().decode()[-500:] if loader.returncode and loader.stderr else ""
    return {"ingest_s": ended - started, "ingest_returncode": loader.returncode, "ingest_error": error,
            "ingest_started": started, "ingest_ended": ended}


def run_main(description: str, load, errors_of) -> None:
    """The command line both chat load tests share: run `load` against a chat page on HOME, print the report, exit 1 on errors."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--ingest", type=Path, required=True, help="a folder of contract files to ingest meanwhile")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds one answer may take")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with running_ui(args.home, timeout_s=120) as url:
        sampler = Sampler(int(url.rsplit(":", 1)[1]))
        sampler.start()
        try:
            r = asyncio.run(load(url, args.home, args.ingest, args.sessions, args.questions, args.timeout))
        finally:
            sampler.stop()
    latencies = sorted(r["latencies"])
    expected = args.sessions * args.questions
    errors = errors_of(r, expected)
    span = r["last"] - r["first"] if r["answers"] else 0.0
    report = {
        "sessions": args.sessions, "questions_each": args.questions, "answers": r["answers"],
        "answers_per_s": round(r["answers"] / span, 2) if span > 0 else 0.0,
        "latency_p50_s": round(statistics.median(latencies), 2) if latencies else None,
        "latency_p95_s": round(latencies[max(0, int(0.95 * len(latencies)) - 1)], 2) if latencies else None,
        "latency_max_s": round(latencies[-1], 2) if latencies else None,
        "errors": errors,
        "error_detail": (r["errors"] + r.get("page_errors", []))[:10] + ([r["ingest_error"]] if r["ingest_error"] else []),
        "ingest_s": round(r["ingest_s"], 1), "ingest_exit": r["ingest_returncode"],
        "ingest_overlapped_questions": r["ingest_started"] < r["last"] and r["ingest_ended"] > r["first"],
        "server_peak_rss_mb": round(sampler.peak / 2**20, 1),
    }
    print(json.dumps(report, indent=None if args.json else 2))
    sys.exit(0 if errors == 0 else 1)


def _errors(r: dict, expected: int) -> int:
    """Timeouts and exceptions, errors drawn on the pages, a failed ingest, and every question left unanswered."""
    return len(r["errors"]) + len(r["page_errors"]) + (1 if r["ingest_returncode"] else 0) + (expected - r["answers"])


if __name__ == "__main__":
    run_main(__doc__.splitlines()[0], _load, _errors)

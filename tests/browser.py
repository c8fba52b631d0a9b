"""Running `finops ui` on a loopback port and driving Debian's Chromium with Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_ui(home: Path, timeout_s: float = 60.0):
    """`finops ui` on a free loopback port; yields its base URL and stops it afterwards."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FINOPS_", "OPENAI_"))}
    env["FINOPS_HOME"] = str(home)
    process = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "ui", "--port", str(port), "--host", "127.0.0.1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=Path(__file__).parent.parent,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"finops ui exited: {process.stderr.read().decode()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError as refused:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"finops ui did not listen on port {port} within {timeout_s} s") from refused
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)


@contextmanager
def chat_page(home: Path, viewport=(1440, 1000)):
    """`finops ui` over `home`, opened in Chromium: yields the page and the console errors seen so far."""
    from playwright.sync_api import sync_playwright

    with running_ui(home) as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            errors = watch_console(page)
            page.goto(url)
            page.get_by_test_id("stChatInputTextArea").wait_for(timeout=60_000)
            yield page, errors
        finally:
            browser.close()


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def watch_console(page) -> list[str]:
    """Collect the page's console errors and uncaught exceptions."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def ask_in_chat(page, question: str, timeout_ms: int = 60_000) -> float:
    """Type a question, press Enter, and wait for its answer's chart; returns the seconds it took."""
    answers_before = page.locator("[data-testid='stChatMessage']").count()
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    started = time.monotonic()
    box.press("Enter")
    # The answer is the message after the question; its chart is drawn by vega-embed.
    answer = page.locator("[data-testid='stChatMessage']").nth(answers_before + 1)
    answer.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg").first.wait_for(timeout=timeout_ms)
    return time.monotonic() - started

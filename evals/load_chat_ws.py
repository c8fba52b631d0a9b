"""The chat page's server under load, over Streamlit's own websocket protocol (no browsers).

    .venv/bin/python evals/load_chat_ws.py --home DIR --ingest DATA_DIR [--sessions 20] [--questions 5] [--json]

The same load as `load_chat.py` (S simultaneous sessions, each asking Q
questions one after the other, while `finops ingest DATA_DIR` runs into the same
FINOPS_HOME), but each session is a websocket client speaking Streamlit's
protocol (`/_stcore/stream`, BackMsg/ForwardMsg protobufs) the way the browser
does: a first run of the page, then for each question a rerun carrying the chat
box's value. A question is answered when the page run that follows finishes
successfully and has drawn the answer's "planner · N ms" line. So the figures
are the server's alone, without 20 Chromium renderers competing for the same
cores. Errors: timeouts, exceptions drawn on the page, internal-error notes,
a failed ingest (must be 0). Peak RSS of the server sampled every 0.25 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evals.load_chat import QUESTIONS, ROOT, Sampler  # noqa: E402
from tests.browser import running_ui  # noqa: E402


async def _run_page(ws, back: bytes, timeout_s: float) -> tuple[list[str], list[str], str | None]:
    """Send one rerun and read until a run finishes successfully: (texts drawn, exceptions, chat box id)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    await ws.write_message(back, binary=True)
    texts, exceptions, chat_id = [], [], None
    while True:
        raw = await asyncio.wait_for(ws.read_message(), timeout_s)
        if raw is None:
            raise ConnectionError("the server closed the websocket")
        message = ForwardMsg()
        message.ParseFromString(raw)
        kind = message.WhichOneof("type")
        if kind == "delta" and message.delta.HasField("new_element"):
            element = message.delta.new_element
            which = element.WhichOneof("type")
            if which == "markdown":
                texts.append(element.markdown.body)
            elif which == "exception":
                exceptions.append(element.exception.message)
            elif which == "chat_input":
                chat_id = element.chat_input.id
        elif kind == "script_finished" and message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
            return texts, exceptions, chat_id


def _rerun(page_hash: str = "", chat_id: str | None = None, question: str | None = None) -> bytes:
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    message = BackMsg()
    message.rerun_script.query_string = ""
    message.rerun_script.page_script_hash = page_hash
    if chat_id and question:
        widget = WidgetState(id=chat_id)
        widget.chat_input_value.data = question
        message.rerun_script.widget_states.widgets.append(widget)
    return message.SerializeToString()


async def _session(url: str, number: int, questions: list[str], timeout_s: float, ready: asyncio.Event,
                   results: dict) -> None:
    from tornado.websocket import websocket_connect

    try:
        ws = await websocket_connect(url.replace("http://", "ws://") + "/_stcore/stream")
        _, _, chat_id = await _run_page(ws, _rerun(), timeout_s)
        if chat_id is None:
            raise RuntimeError("no chat box on the page")
    except Exception as error:  # noqa: BLE001 - a session that cannot start is an error of the run
        results["errors"].append(f"session {number} did not start: {error!r}")
        return
    results["loaded"] += 1
    await ready.wait()
    try:
        for k, question in enumerate(questions, start=1):
            started = time.monotonic()
            results["first"] = min(results["first"], started)
            try:
                texts, exceptions, _ = await _run_page(ws, _rerun(chat_id=chat_id, question=question), timeout_s)
            except Exception as error:  # noqa: BLE001 - counted
                results["errors"].append(f"session {number} question {k}: {error!r}")
                return
            done = time.monotonic()
            if exceptions or any("internal error" in t.lower() for t in texts):
                results["errors"].append(f"session {number} question {k}: {(exceptions or texts)[-1][:200]}")
            elif not sum(" ms · " in t for t in texts) >= k:  # every answer so far shows its provenance line
                results["errors"].append(f"session {number} question {k}: no answer drawn")
            else:
                results["answers"] += 1
                results["latencies"].append(done - started)
                results["last"] = max(results["last"], done)
    finally:
        ws.close()


async def _load(url: str, home: Path, ingest: Path, sessions: int, questions: int, timeout_s: float) -> dict:
    results: dict = {"latencies": [], "errors": [], "answers": 0, "loaded": 0, "first": float("inf"), "last": 0.0}
    ready = asyncio.Event()
    tasks = [asyncio.create_task(_session(url, n, [QUESTIONS[(n + i) % len(QUESTIONS)] for i in range(questions)],
                                          timeout_s, ready, results)) for n in range(sessions)]
    deadline = time.monotonic() + 2 * timeout_s
    while results["loaded"] + len(results["errors"]) < sessions and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FINOPS_", "OPENAI_"))}
    env["FINOPS_HOME"] = str(home)
    ingest_started = time.monotonic()
    loader = subprocess.Popen([sys.executable, "-m", "ui.cli", "ingest", str(ingest)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ready.set()
    try:
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=timeout_s * questions + 60)
    finally:
        while loader.poll() is None and time.monotonic() < ingest_started + 600:
            await asyncio.sleep(0.2)
        if loader.poll() is None:
            loader.kill()
            loader.wait()
    results.update(ingest_s=time.monotonic() - ingest_started, ingest_returncode=loader.returncode,
                   ingest_error=loader.stderr.read().decode()[-500:] if loader.returncode and loader.stderr else "",
                   ingest_started=ingest_started, ingest_ended=time.monotonic())
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--ingest", type=Path, required=True)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with running_ui(args.home, timeout_s=120) as url:
        sampler = Sampler(int(url.rsplit(":", 1)[1]))
        sampler.start()
        try:
            r = asyncio.run(_load(url, args.home, args.ingest, args.sessions, args.questions, args.timeout))
        finally:
            sampler.stop()
    latencies = sorted(r["latencies"])
    expected = args.sessions * args.questions
    errors = (expected - r["answers"]) + (1 if r["ingest_returncode"] else 0)  # every question not answered counts
    span = r["last"] - r["first"] if r["answers"] else 0.0
    report = {
        "sessions": args.sessions, "questions_each": args.questions, "answers": r["answers"],
        "answers_per_s": round(r["answers"] / span, 2) if span > 0 else 0.0,
        "latency_p50_s": round(statistics.median(latencies), 2) if latencies else None,
        "latency_p95_s": round(latencies[max(0, int(0.95 * len(latencies)) - 1)], 2) if latencies else None,
        "latency_max_s": round(latencies[-1], 2) if latencies else None,
        "errors": errors, "error_detail": r["errors"][:10] + ([r["ingest_error"]] if r["ingest_error"] else []),
        "ingest_s": round(r["ingest_s"], 1), "ingest_exit": r["ingest_returncode"],
        "ingest_overlapped_questions": r["ingest_started"] < r["last"] and r["ingest_ended"] > r["first"],
        "server_peak_rss_mb": round(sampler.peak / 2**20, 1),
    }
    print(json.dumps(report, indent=None if args.json else 2))
    sys.exit(0 if errors == 0 else 1)


if __name__ == "__main__":
    main()

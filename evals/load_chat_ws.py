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

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evals.load_chat import QUESTIONS, ask_while_ingesting, run_main  # noqa: E402


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
    results.update(await ask_while_ingesting(home, ingest, tasks, ready, timeout_s * questions + 60))
    return results


def _errors(r: dict, expected: int) -> int:
    """Every question not answered (a timeout, an error drawn, a wrong page) and a failed ingest."""
    return (expected - r["answers"]) + (1 if r["ingest_returncode"] else 0)


if __name__ == "__main__":
    run_main(__doc__.splitlines()[0], _load, _errors)

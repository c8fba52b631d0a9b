"""A fake Slack Web API on a loopback port, for tests of the Slack bot.

The real `slack_sdk.WebClient` (inside the real Bolt app) talks HTTP to it with
`base_url=f"{fake.url}/api/"`, so request encoding, files_upload_v2's three
steps and error handling are the SDK's own. Every call is recorded (method,
parameters, token) and answered the way Slack answers: `auth.test`,
`chat.postMessage` (a new `ts`), `chat.update`, `chat.postEphemeral`,
`files.getUploadURLExternal` (an upload URL on the fake itself), the POST of
the bytes to that URL, `files.completeUploadExternal`. Anything else gets
`{"ok": false, "error": "unknown_method"}`.

Standard library only; binds 127.0.0.1 on a free port and contacts nothing.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qsl

TOKEN = "xoxb-fake-token"
TEAM_ID = "T0FAKE"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
POLL_S = 0.02


@dataclass(frozen=True)
class Call:
    method: str  # "chat.postMessage", or "upload" for the POST of a file's bytes
    params: dict
    token: str | None
    body: bytes = b""
    response: dict | None = None  # what the fake answered


class FakeSlack:
    """Slack's Web API while the `with` block lasts; `calls` is a snapshot of every request, in order."""

    def __init__(self, token: str = TOKEN):
        self.token = token
        self._calls: list[Call] = []
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._files = itertools.count(1)
        self.uploads: dict[str, bytes] = {}  # file id -> the bytes POSTed to its upload URL
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSlack is not running; use it as `with FakeSlack() as fake:`")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def wait_for(self, check: Callable[[FakeSlack], object], timeout: float = 20.0) -> object:
        """Poll until `check(self)` is truthy and return it; AssertionError with the calls seen after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            found = check(self)
            if found:
                return found
            if time.monotonic() > deadline:
                seen = "\n".join(f"  {c.method} {json.dumps(c.params, default=str)[:300]}" for c in self.calls)
                raise AssertionError(f"gave up after {timeout} s; calls so far:\n{seen}")
            time.sleep(POLL_S)

    def __enter__(self) -> Self:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_S,), name="fake-slack",
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None

    # --- answering ----------------------------------------------------------------------------

    def _next_ts(self) -> str:
        return f"1761800000.{next(self._ts):06d}"

    def handle(self, method: str, params: dict, token: str | None) -> dict:
        if token != self.token:
            response = {"ok": False, "error": "not_authed" if not token else "invalid_auth"}
        else:
            answer = getattr(self, "_" + method.replace(".", "_"), None)
            response = answer(params) if answer else {"ok": False, "error": "unknown_method"}
        with self._lock:
            self._calls.append(Call(method, params, token, response=response))
        return response

    def _auth_test(self, params: dict) -> dict:
        return {"ok": True, "url": "https://fake.slack.com/", "team": "Fake", "user": "finops",
                "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}

    def _chat_postMessage(self, params: dict) -> dict:
        if not params.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("text") and not params.get("blocks"):
            return {"ok": False, "error": "no_text"}
        ts = self._next_ts()
        message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "text": params.get("text", ""), "ts": ts}
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        return {"ok": True, "channel": params["channel"], "ts": ts, "message": message}

    def _chat_update(self, params: dict) -> dict:
        if not params.get("channel") or not params.get("ts"):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "channel": params["channel"], "ts": params["ts"], "text": params.get("text", "")}

    def _chat_postEphemeral(self, params: dict) -> dict:
        if not params.get("channel") or not params.get("user"):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _files_getUploadURLExternal(self, params: dict) -> dict:
        if not params.get("filename") or not str(params.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._files):07d}"
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, params: dict) -> dict:
        try:
            files = json.loads(params.get("files") or "[]")
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        if not files or any(f.get("id") not in self.uploads for f in files):
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", ""), "name": "chart.png"} for f in files]}

    def receive_upload(self, file_id: str, data: bytes) -> None:
        with self._lock:
            self._calls.append(Call("upload", {"file_id": file_id, "length": len(data)}, None, data))
            self.uploads[file_id] = data


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    fake: FakeSlack


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, _, query = self.path.partition("?")
        fake = self.server.fake
        if path.startswith("/upload/"):
            fake.receive_upload(path.removeprefix("/upload/"), raw)
            self._send(200, "text/plain", f"OK - {len(raw)}".encode())
            return
        if not path.startswith("/api/"):
            self._send(404, "text/plain", b"not found")
            return
        params = dict(parse_qsl(query))
        kind = self.headers.get("Content-Type", "")
        if kind.startswith("application/json"):
            params.update(json.loads(raw or b"{}"))
        else:
            params.update(parse_qsl(raw.decode()))
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else params.pop("token", None)
        body = fake.handle(path.removeprefix("/api/"), params, token)
        self._send(200, "application/json", json.dumps(body).encode())

    do_GET = do_POST

    def _send(self, status: int, kind: str, data: bytes) -> None:
        self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass

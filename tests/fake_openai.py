"""A scripted OpenAI Chat Completions (and embeddings) server on a loopback port, for tests of the model route.

The real `openai` client (and `langchain_openai` on top of it) talks HTTP to it,
so retries, timeouts, streaming and error mapping are the client's own. Each
`POST /v1/chat/completions` answers with the next scripted `Turn`: a final
message, tool calls, an HTTP error, or any of these after a delay.

Standard library only; binds 127.0.0.1 on a free port and contacts nothing.
Rendering a turn to the wire (`chat_completion`, `chat_completion_chunks`,
`error_body`) is kept apart from serving it (`FakeOpenAI`).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

MODEL = "gpt-4o-mini"
CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")
MODELS_PATHS = ("/v1/models", "/models")
EMBEDDINGS_PATHS = ("/v1/embeddings", "/embeddings")
EMBEDDING_DIM = 16
CHUNKS = 4  # streamed content and tool arguments are split into at most this many pieces
CHARS_PER_TOKEN = 4  # for usage computed from sizes when a turn does not state it
POLL_S = 0.02  # how often the serving loop checks for shutdown; bounds the cost of leaving `with`

# status -> (type, code) of OpenAI's error JSON; other 4xx are invalid requests, 5xx server errors
ERROR_KINDS = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_error", None),
    408: ("timeout", None),
    429: ("requests", "rate_limit_exceeded"),
}


@dataclass(frozen=True)
class ToolCall:
    """One scripted tool call; `arguments` as a dict is sent as JSON, as a str verbatim (malformed on purpose, say)."""

    name: str
    arguments: str | dict
    id: str | None = None  # None: "call_<request number>_<index>"

    @property
    def arguments_text(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass(frozen=True)
class Turn:
    """One scripted answer to one chat request.

    A 200 turn carries `content`, `tool_calls` (finish_reason "tool_calls"), or
    both; a turn with `status` >= 400 answers with `error` in OpenAI's error
    JSON instead. `headers` go on the response either way (`Retry-After`,
    `x-should-retry`). Token counts left at 0 are computed roughly from sizes,
    about four characters a token: prompt tokens from the request's `messages`
    and `tools` as JSON, completion tokens from the content and tool calls.
    `delay_s` is slept before answering; stopping the server cuts it short and
    the connection is closed unanswered.
    """

    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    prompt_tokens: int = 0
    completion_tokens: int = 0
    status: int = 200
    headers: dict = field(default_factory=dict)
    error: str = "scripted error"
    delay_s: float = 0.0

    def __post_init__(self):
        if not (self.status == 200 or 400 <= self.status <= 599):
            raise ValueError(f"Turn.status must be 200 or an HTTP error (400-599), not {self.status}")
        if not isinstance(self.tool_calls, tuple):
            object.__setattr__(self, "tool_calls", tuple(self.tool_calls))
        if self.delay_s < 0 or self.prompt_tokens < 0 or self.completion_tokens < 0:
            raise ValueError("Turn.delay_s and token counts must not be negative")


# --- rendering a turn to the wire -------------------------------------------------------------------


def usage(turn: Turn, request: dict) -> dict:
    """The `usage` object: the turn's counts, or rough ones from sizes where it states 0.

    >>> usage(Turn(content="Hi", prompt_tokens=3, completion_tokens=1), {})
    {'prompt_tokens': 3, 'completion_tokens': 1, 'total_tokens': 4}
    >>> usage(Turn(content="x" * 40), {"messages": [{"role": "user", "content": "y" * 70}]})["completion_tokens"]
    10
    """
    prompt = turn.prompt_tokens or _rough_tokens(json.dumps([request.get("messages", []), request.get("tools", [])]))
    answer = (turn.content or "") + "".join(call.name + call.arguments_text for call in turn.tool_calls)
    completion = turn.completion_tokens or _rough_tokens(answer)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def chat_completion(turn: Turn, request: dict, number: int) -> dict:
    """The `chat.completion` object answering `request` (the `number`-th received) with `turn`.

    >>> body = chat_completion(Turn(tool_calls=(ToolCall("run_sql", {"sql": "select 1"}),)), {"model": "m"}, 3)
    >>> body["model"], body["choices"][0]["finish_reason"], body["choices"][0]["message"]["tool_calls"][0]["id"]
    ('m', 'tool_calls', 'call_3_0')
    """
    message = {"role": "assistant", "content": turn.content, "refusal": None}
    if turn.tool_calls:
        message["tool_calls"] = [_tool_call(call, number, i, call.arguments_text) for i, call in enumerate(turn.tool_calls)]
    return {
        **_envelope(request, number, "chat.completion"),
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": _finish_reason(turn)}],
        "usage": usage(turn, request),
    }


def chat_completion_chunks(turn: Turn, request: dict, number: int) -> list[dict]:
    """The `chat.completion.chunk` objects streaming `turn`, before `data: [DONE]`.

    A role chunk, the content in a few pieces, each tool call as a delta with its
    index, id and name followed by its arguments in pieces, a chunk with the
    finish reason, then, if `stream_options.include_usage`, one with no choices
    and the usage (every earlier chunk then has `"usage": null`, as OpenAI does).

    >>> chunks = chat_completion_chunks(Turn(content="Hello there"), {"stream_options": {"include_usage": True}}, 1)
    >>> "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    'Hello there'
    >>> chunks[-1]["choices"], chunks[-1]["usage"]["completion_tokens"]
    ([], 3)
    """
    include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
    envelope = _envelope(request, number, "chat.completion.chunk")

    def chunk(delta: dict, finish_reason: str | None = None) -> dict:
        body = {**envelope, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]}
        return {**body, "usage": None} if include_usage else body

    chunks = [chunk({"role": "assistant", "content": "" if turn.content is not None else None, "refusal": None})]
    chunks += [chunk({"content": piece}) for piece in _pieces(turn.content or "")]
    for i, call in enumerate(turn.tool_calls):
        chunks.append(chunk({"tool_calls": [{"index": i, **_tool_call(call, number, i, "")}]}))
        for piece in _pieces(call.arguments_text):
            chunks.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]}))
    chunks.append(chunk({}, _finish_reason(turn)))
    if include_usage:
        chunks.append({**envelope, "choices": [], "usage": usage(turn, request)})
    return chunks


def embedding_response(request: dict) -> dict:
    """A `list` of embeddings: a unit vector per input derived from its words, and the usage.

    Texts that share words get close vectors, so similarity search behaves sensibly.

    >>> body = embedding_response({"model": "e", "input": ["gpu cost", "gpu cost"]})
    >>> body["data"][0]["embedding"] == body["data"][1]["embedding"], body["usage"]["prompt_tokens"]
    (True, 4)
    """
    import hashlib
    import math

    texts = request.get("input")
    texts = [texts] if isinstance(texts, str) else list(texts or [])
    data = []
    for index, text in enumerate(texts):
        vector = [0.0] * EMBEDDING_DIM
        for word in text.lower().split():
            vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % EMBEDDING_DIM] += 1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        data.append({"object": "embedding", "index": index, "embedding": [v / norm for v in vector]})
    tokens = sum(len(text.split()) for text in texts)
    return {"object": "list", "data": data, "model": request.get("model", "text-embedding-3-small"),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


def error_body(status: int, message: str) -> dict:
    """OpenAI's error JSON for an HTTP status.

    >>> error_body(429, "Rate limit reached")
    {'error': {'message': 'Rate limit reached', 'type': 'requests', 'param': None, 'code': 'rate_limit_exceeded'}}
    """
    kind, code = ERROR_KINDS.get(status, ("server_error" if status >= 500 else "invalid_request_error", None))
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _envelope(request: dict, number: int, kind: str) -> dict:
    return {
        "id": f"chatcmpl-fake-{number}",
        "object": kind,
        "created": int(time.time()),
        "model": request.get("model") or MODEL,
        "system_fingerprint": "fp_fake",
    }


def _finish_reason(turn: Turn) -> str:
    return "tool_calls" if turn.tool_calls else "stop"


def _tool_call(call: ToolCall, number: int, index: int, arguments: str) -> dict:
    call_id = call.id or f"call_{number}_{index}"
    return {"id": call_id, "type": "function", "function": {"name": call.name, "arguments": arguments}}


def _rough_tokens(text: str) -> int:
    return max(1, -(-len(text) // CHARS_PER_TOKEN))


def _pieces(text: str, count: int = CHUNKS) -> list[str]:
    """`text` in at most `count` near-equal pieces, none empty.

    >>> _pieces("abcdefghij")
    ['abc', 'def', 'gh', 'ij']
    >>> _pieces("")
    []
    """
    count = min(count, len(text))
    if not count:
        return []
    size, extra = divmod(len(text), count)
    pieces, start = [], 0
    for k in range(count):
        end = start + size + (k < extra)
        pieces.append(text[start:end])
        start = end
    return pieces


# --- serving ----------------------------------------------------------------------------------------


class FakeOpenAI:
    """A scripted Chat Completions server on 127.0.0.1, running while the `with` block lasts.

    `requests` holds every JSON body received, in order (a snapshot, safe to read
    while the server runs). When the script runs out, the answer is a 500 saying
    "script exhausted" with `x-should-retry: false`, so a test fails at once
    instead of after the client's retries.
    """

    def __init__(self, script: list[Turn] | None = None):
        self._script: deque[Turn] = deque(script or ())
        self._requests: list[dict] = []
        self.embedding_requests: list[dict] = []  # bodies of POST /v1/embeddings, answered from the words
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def add(self, *turns: Turn) -> None:
        """Append turns to the script."""
        with self._lock:
            self._script.extend(turns)

    @property
    def requests(self) -> list[dict]:
        with self._lock:
            return list(self._requests)

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeOpenAI is not running; use it as `with FakeOpenAI(...) as fake:`")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> Self:
        if self._server is not None:
            raise RuntimeError("FakeOpenAI is already running")
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(POLL_S,), name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._server is None:
            return
        self._stopping.set()  # wakes delayed answers, which then close unanswered
        self._server.shutdown()
        self._server.server_close()  # joins the handler threads
        self._thread.join()
        self._server = self._thread = None

    def _receive(self, body: dict) -> tuple[int, Turn | None]:
        """Record a request; its number (from 1) and the next turn, None when the script is exhausted."""
        with self._lock:
            self._requests.append(body)
            return len(self._requests), (self._script.popleft() if self._script else None)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # so server_close() waits for every handler
    block_on_close = True
    fake: FakeOpenAI


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeOpenAI/1"
    timeout = 10  # seconds a connection may stall before it is dropped
    server: _Server

    def do_GET(self):
        if self.path.rstrip("/") in MODELS_PATHS:
            model = {"id": MODEL, "object": "model", "created": 0, "owned_by": "fake-openai"}
            self._send_json(200, {"object": "list", "data": [model]})
        else:
            self._send_json(404, error_body(404, f"Invalid URL (GET {self.path})"))

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.rstrip("/") in EMBEDDINGS_PATHS:
            self.server.fake.embedding_requests.append(json.loads(raw))
            self._send_json(200, embedding_response(json.loads(raw)))
            return
        if self.path.rstrip("/") not in CHAT_PATHS:
            self._send_json(404, error_body(404, f"Invalid URL (POST {self.path}); this fake serves {CHAT_PATHS[0]}"))
            return
        try:
            request = json.loads(raw)
        except ValueError as exc:
            self._send_json(400, error_body(400, f"Request body is not JSON: {exc}"))
            return
        if not isinstance(request, dict) or not isinstance(request.get("messages"), list):
            self._send_json(400, error_body(400, "A chat request is a JSON object with a 'messages' list"))
            return
        fake = self.server.fake
        number, turn = fake._receive(request)
        if turn is None:
            message = f"FakeOpenAI script exhausted: request #{number} has no scripted Turn"
            self._send_json(500, error_body(500, message), {"x-should-retry": "false"})
            return
        if turn.delay_s and fake._stopping.wait(turn.delay_s):
            self.close_connection = True
            return
        if turn.status >= 400:
            self._send_json(turn.status, error_body(turn.status, turn.error), turn.headers)
        elif request.get("stream"):
            self._send_events(chat_completion_chunks(turn, request, number), turn.headers)
        else:
            self._send_json(200, chat_completion(turn, request, number), turn.headers)

    def _send_json(self, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self._start(status, {"Content-Type": "application/json", "Content-Length": str(len(data)), **(headers or {})})
        self._write(data)

    def _send_events(self, chunks: list[dict], headers: dict) -> None:
        self._start(
            200,
            {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", "Transfer-Encoding": "chunked", **headers},
        )
        for event in [*(json.dumps(c) for c in chunks), "[DONE]"]:
            data = f"data: {event}\n\n".encode()
            if not self._write(b"%x\r\n%s\r\n" % (len(data), data)):
                return
        self._write(b"0\r\n\r\n")

    def _start(self, status: int, headers: dict) -> None:
        self.close_connection = True  # one request a connection: nothing idles when the server stops
        self.send_response(status)
        for name, value in {**headers, "Connection": "close"}.items():
            self.send_header(name, str(value))
        self.end_headers()

    def _write(self, data: bytes) -> bool:
        """Write and flush; False when the client has gone (it timed out, say)."""
        try:
            self.wfile.write(data)
            self.wfile.flush()
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format, *args):
        pass  # quiet; the tests read `FakeOpenAI.requests` instead

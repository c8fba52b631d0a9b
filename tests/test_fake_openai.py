"""The fake OpenAI server, driven by the real `openai` client and `langchain_openai.ChatOpenAI`.

Every test runs with proxy, OPENAI_* and LangSmith variables removed, and with
a socket guard that fails the test on any connection beyond 127.0.0.1.
"""

from __future__ import annotations

import os
import socket
import time

import openai
import pytest
from langchain_openai import ChatOpenAI

from tests.fake_openai import FakeOpenAI, ToolCall, Turn

QUESTION = [{"role": "user", "content": "What did we spend on gpt-4o last week?"}]
RUN_SQL = {
    "type": "function",
    "function": {
        "name": "run_sql",
        "description": "Run one read-only SQL query.",
        "parameters": {"type": "object", "properties": {"sql": {"type": "string"}}, "required": ["sql"]},
    },
}
LOOPBACK = {"127.0.0.1"}


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name.startswith(("OPENAI_", "LANGCHAIN_", "LANGSMITH_")):
            monkeypatch.delenv(name)
    connect = socket.socket.connect

    def guarded(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOOPBACK:
            raise AssertionError(f"test tried to connect to {address!r}; only 127.0.0.1 is allowed")
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def client(fake: FakeOpenAI, **options) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake.base_url, api_key="test", **{"max_retries": 0, **options})


def chat_model(fake: FakeOpenAI, **options) -> ChatOpenAI:
    return ChatOpenAI(base_url=fake.base_url, api_key="test", model="gpt-4o-mini", max_retries=0, **options)


def run_sql(sql: str) -> str:
    """Run one read-only SQL query."""
    return "[]"


# --- the openai client ------------------------------------------------------------------------------


def test_content_answer_with_exact_usage():
    with FakeOpenAI([Turn(content="You spent 12.40 USD.", prompt_tokens=31, completion_tokens=7)]) as fake:
        reply = client(fake).chat.completions.create(model="gpt-4o", messages=QUESTION)
    assert reply.object == "chat.completion" and reply.model == "gpt-4o"
    choice = reply.choices[0]
    assert (choice.message.role, choice.finish_reason) == ("assistant", "stop")
    assert choice.message.content == "You spent 12.40 USD."
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens, reply.usage.total_tokens) == (31, 7, 38)
    assert fake.requests == [{"model": "gpt-4o", "messages": QUESTION}]


def test_tool_call_round_trip():
    script = [
        Turn(tool_calls=(ToolCall("run_sql", {"sql": "select 1"}, id="call_a"),)),
        Turn(content="One."),
    ]
    with FakeOpenAI(script) as fake:
        api = client(fake)
        first = api.chat.completions.create(model="gpt-4o-mini", messages=QUESTION, tools=[RUN_SQL])
        call = first.choices[0].message.tool_calls[0]
        result = {"role": "tool", "tool_call_id": call.id, "content": "[[1]]"}
        follow_up = [*QUESTION, first.choices[0].message.model_dump(exclude_none=True), result]
        second = api.chat.completions.create(model="gpt-4o-mini", messages=follow_up, tools=[RUN_SQL])
    assert first.choices[0].finish_reason == "tool_calls" and first.choices[0].message.content is None
    assert (call.id, call.type, call.function.name) == ("call_a", "function", "run_sql")
    assert call.function.arguments == '{"sql": "select 1"}'
    assert second.choices[0].message.content == "One."
    assert [r["tools"] for r in fake.requests] == [[RUN_SQL], [RUN_SQL]]
    assert fake.requests[1]["messages"][-1] == {"role": "tool", "tool_call_id": "call_a", "content": "[[1]]"}
    assert fake.requests[1]["messages"][-2]["tool_calls"][0]["function"]["arguments"] == '{"sql": "select 1"}'


def test_streaming_reassembles_content_and_usage():
    answer = "Spend rose 8% week over week, mostly document-analysis."
    with FakeOpenAI([Turn(content=answer, prompt_tokens=40, completion_tokens=13)]) as fake:
        stream = client(fake).chat.completions.create(
            model="gpt-4o-mini", messages=QUESTION, stream=True, stream_options={"include_usage": True}
        )
        chunks = list(stream)
    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(pieces) > 1 and "".join(pieces) == answer
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    usage = chunks[-1].usage
    assert chunks[-1].choices == [] and (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (40, 13, 53)
    assert all(c.usage is None for c in chunks[:-1])


def test_streaming_tool_calls_arrive_as_indexed_deltas():
    calls = (ToolCall("run_sql", {"sql": "select sum(cost) from usage"}), ToolCall("run_sql", '{"sql": "select 2"}'))
    with FakeOpenAI([Turn(tool_calls=calls)]) as fake:
        stream = client(fake).chat.completions.create(model="gpt-4o-mini", messages=QUESTION, tools=[RUN_SQL], stream=True)
        chunks = list(stream)
    assembled: dict[int, dict] = {}
    for chunk in chunks:
        for delta in chunk.choices[0].delta.tool_calls or ():
            call = assembled.setdefault(delta.index, {"id": None, "name": "", "arguments": ""})
            call["id"] = delta.id or call["id"]
            call["name"] += (delta.function.name or "") if delta.function else ""
            call["arguments"] += (delta.function.arguments or "") if delta.function else ""
    assert assembled == {
        0: {"id": "call_1_0", "name": "run_sql", "arguments": '{"sql": "select sum(cost) from usage"}'},
        1: {"id": "call_1_1", "name": "run_sql", "arguments": '{"sql": "select 2"}'},
    }
    assert chunks[-1].choices[0].finish_reason == "tool_calls" and chunks[-1].usage is None


def test_rate_limit_is_retried_after_retry_after():
    script = [Turn(status=429, headers={"Retry-After": "1"}, error="Rate limit reached"), Turn(content="ok")]
    with FakeOpenAI(script) as fake:
        started = time.monotonic()
        reply = client(fake, max_retries=1).chat.completions.create(model="gpt-4o-mini", messages=QUESTION)
        elapsed = time.monotonic() - started
    assert reply.choices[0].message.content == "ok"
    assert len(fake.requests) == 2 and fake.requests[0] == fake.requests[1]
    assert 0.9 <= elapsed < 5, elapsed


@pytest.mark.parametrize(
    "status, error",
    [
        (400, openai.BadRequestError),
        (401, openai.AuthenticationError),
        (404, openai.NotFoundError),
        (429, openai.RateLimitError),
        (500, openai.InternalServerError),
        (503, openai.InternalServerError),
    ],
)
def test_http_errors_surface_as_the_clients_typed_errors(status, error):
    with FakeOpenAI([Turn(status=status, error=f"scripted {status}")]) as fake, pytest.raises(error) as raised:
        client(fake).chat.completions.create(model="gpt-4o-mini", messages=QUESTION)
    assert raised.value.status_code == status and raised.value.body["message"] == f"scripted {status}"
    assert len(fake.requests) == 1


def test_exhausted_script_fails_loudly_without_retries():
    with FakeOpenAI() as fake, pytest.raises(openai.InternalServerError, match="script exhausted"):
        client(fake, max_retries=2).chat.completions.create(model="gpt-4o-mini", messages=QUESTION)
    assert len(fake.requests) == 1


def test_slow_answer_times_out_quickly():
    with FakeOpenAI([Turn(content="too late", delay_s=5)]) as fake:
        started = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            client(fake, timeout=0.5).chat.completions.create(model="gpt-4o-mini", messages=QUESTION)
        timed_out = time.monotonic() - started
    stopped = time.monotonic() - started
    assert timed_out < 2 and stopped < 3, (timed_out, stopped)


def test_usage_left_at_zero_is_computed_from_sizes():
    with FakeOpenAI() as fake:
        fake.add(Turn(content="x" * 40))
        reply = client(fake).chat.completions.create(model="gpt-4o-mini", messages=QUESTION)
    assert reply.usage.completion_tokens == 10
    assert reply.usage.prompt_tokens > 0 and reply.usage.total_tokens == reply.usage.prompt_tokens + 10


def test_models_lists_one_model_and_requests_are_not_recorded():
    with FakeOpenAI() as fake:
        models = client(fake).models.list()
    assert [m.id for m in models] == ["gpt-4o-mini"] and fake.requests == []


# --- langchain_openai.ChatOpenAI --------------------------------------------------------------------


def test_langchain_invoke_returns_content_and_usage_metadata():
    with FakeOpenAI([Turn(content="Hello.", prompt_tokens=9, completion_tokens=2)]) as fake:
        message = chat_model(fake).invoke("hi")
    assert message.content == "Hello."
    counts = {k: message.usage_metadata[k] for k in ("input_tokens", "output_tokens", "total_tokens")}
    assert counts == {"input_tokens": 9, "output_tokens": 2, "total_tokens": 11}
    assert fake.requests[0]["messages"] == [{"role": "user", "content": "hi"}]


SELECT_1 = {"sql": "select 1"}
TRUNCATED = '{"sql": '


@pytest.mark.parametrize(
    "streaming, arguments, valid_args, invalid_args",
    [
        (False, SELECT_1, [SELECT_1], []),
        (False, '{"sql": "select 1"}', [SELECT_1], []),
        (False, TRUNCATED, [], [TRUNCATED]),
        (True, SELECT_1, [SELECT_1], []),
        (True, '{"sql": "select 1"}', [SELECT_1], []),
        # streamed, LangChain parses arguments as partial JSON: a truncated object is a *valid* call with {}
        (True, TRUNCATED, [{}], []),
    ],
    ids=[f"{way}-{kind}" for way in ("whole", "streamed") for kind in ("dict", "json-text", "malformed")],
)
def test_langchain_bind_tools_parses_scripted_arguments(streaming, arguments, valid_args, invalid_args):
    with FakeOpenAI([Turn(tool_calls=(ToolCall("run_sql", arguments),))]) as fake:
        message = chat_model(fake, streaming=streaming).bind_tools([run_sql]).invoke("How many rows?")
    assert [(c["name"], c["id"], c["args"]) for c in message.tool_calls] == [("run_sql", "call_1_0", a) for a in valid_args]
    assert [(c["name"], c["id"], c["args"]) for c in message.invalid_tool_calls] == [("run_sql", "call_1_0", a) for a in invalid_args]
    assert [tool["function"]["name"] for tool in fake.requests[0]["tools"]] == ["run_sql"]
    assert fake.requests[0]["stream"] is streaming

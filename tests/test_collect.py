"""`finops collect`: OTLP/HTTP in, llm_requests out; acknowledged means stored, exactly once.

Every test runs the real command in its own process on a free loopback port,
sends what real senders send (the OpenTelemetry SDK's OTLP/HTTP exporter, or
hand-built `opentelemetry-proto` requests), and reads the warehouse back through
the executor, as `finops ask` does. Expected rows and costs are written out by hand.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from tests.conftest import make_settings
from warehouse.executor import Executor
from warehouse.spool import MAGIC, read_frames

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "s3cret-token"
START_NS = 1_791_277_200_000_000_000  # 2026-10-06 09:00 UTC
ROW = {"request_id": "r1", "ts": datetime(2026, 10, 6, 9), "provider": "openai", "model": "gpt-4o", "operation": "chat",
       "input_tokens": 1000, "output_tokens": 100, "status": "ok"}


# --- running the collector ----------------------------------------------------------------------------

class Collector:
    """`finops collect --port 0` in a process of its own; `url` once it listens, `lines` of its stderr."""

    def __init__(self, home: Path, *args: str, **env: str) -> None:
        environ = {**os.environ, "FINOPS_HOME": str(home), "FINOPS_COLLECT_FLUSH_S": "0.3", **env}
        environ.pop("FINOPS_CONFIG", None)
        self.process = subprocess.Popen([sys.executable, "-m", "ui.cli", "collect", "--port", "0", *args], cwd=ROOT,
                                        env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.url = ""
        ready = threading.Event()

        def drain() -> None:
            for line in self.process.stderr or ():
                self.lines.append(line.rstrip())
                if "receiving OTLP/HTTP" in line:
                    self.url = line.split(" at ")[1].split()[0]
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        if not ready.wait(30) or not self.url:
            self.process.kill()
            raise AssertionError(f"the collector did not start: {self.lines}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=60)
        finally:
            if self.process.poll() is None:
                self.process.kill()

    def __enter__(self) -> Collector:
        return self

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def post(url: str, body: bytes, content_type: str = "application/x-protobuf", token: str | None = None,
         **headers: str) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    sent = {"Content-Type": content_type, **{k.replace("_", "-"): v for k, v in headers.items()}}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("POST", parts.path, body=body, headers=sent)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _value(value) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    return AnyValue(string_value=str(value))


def span(number: int, trace: int = 1, attributes: dict | None = None) -> Span:
    """A span with ids made from `trace` and `number`, starting at START_NS + number seconds, lasting 0.5 s."""
    return Span(
        trace_id=trace.to_bytes(16, "big"), span_id=(number + 1).to_bytes(8, "big"), name="chat",
        start_time_unix_nano=START_NS + number * 1_000_000_000, end_time_unix_nano=START_NS + number * 1_000_000_000 + 500_000_000,
        attributes=[KeyValue(key=k, value=_value(v)) for k, v in (attributes or {}).items()],
    )


def genai(number: int, trace: int = 1, **extra) -> Span:
    """A GenAI chat span: gpt-4o, 1000 tokens in, 100 out; `extra` attributes spell dots as `__`."""
    attributes = {"gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o", "gen_ai.operation.name": "chat",
                  "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 100}
    attributes.update({k.replace("__", "."): v for k, v in extra.items()})
    return span(number, trace, attributes)


def request(*spans: Span, service: str = "support-bot") -> bytes:
    resource = ResourceSpans(scope_spans=[ScopeSpans(spans=list(spans))])
    resource.resource.attributes.append(KeyValue(key="service.name", value=AnyValue(string_value=service)))
    return ExportTraceServiceRequest(resource_spans=[resource]).SerializeToString()


def rows(home: Path, sql: str) -> list[tuple]:
    with Executor(make_settings(home)) as executor:
        return executor.query(sql).rows


def wait_for(home: Path, sql: str, expected, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    found = None
    while time.monotonic() < deadline:
        try:
            found = rows(home, sql)
        except Exception:  # noqa: BLE001 - no warehouse yet
            found = None
        if found == expected:
            return found
        time.sleep(0.1)
    return found


# --- the OpenTelemetry SDK's exporter, end to end ---------------------------------------------------------

def test_sdk_exporter_spans_land_in_the_warehouse_priced(tmp_path):
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    home = tmp_path / "home"
    with Collector(home, "--map", "user=app.user", FINOPS_COLLECT_TOKEN=TOKEN) as collector:
        exporter = OTLPSpanExporter(endpoint=collector.url, headers={"Authorization": f"Bearer {TOKEN}"}, compression=None)
        provider = TracerProvider(resource=Resource.create({"service.name": "support-bot", "deployment.environment.name": "prod"}))
        provider.add_span_processor(BatchSpanProcessor(exporter))
        tracer = provider.get_tracer("test")
        with tracer.start_as_current_span("invoke_agent", attributes={"app.feature": "triage"}):  # no gen_ai.*: not a request
            with tracer.start_as_current_span("chat gpt-4o", attributes={
                "gen_ai.provider.name": "openai", "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
                "gen_ai.response.id": "chatcmpl-sdk-1", "gen_ai.usage.input_tokens": 1000,
                "gen_ai.usage.cache_read.input_tokens": 400, "gen_ai.usage.output_tokens": 100,
                "app.feature": "triage", "app.team": "cx", "app.user": "u-7", "user.id": "not-mapped"}):
                pass
            with tracer.start_as_current_span("embeddings", attributes={
                "gen_ai.provider.name": "openai", "gen_ai.operation.name": "embeddings",
                "gen_ai.request.model": "text-embedding-3-small", "gen_ai.usage.input_tokens": 3000}) as embedding:
                embedding_id = f"{embedding.get_span_context().trace_id:032x}:{embedding.get_span_context().span_id:016x}"
        provider.shutdown()  # exports the batch
        sql = ("SELECT request_id, provider, model, operation, feature, team, environment, user_id, input_tokens, "
               "cached_input_tokens, output_tokens, status, round(cost_usd, 9) FROM llm_requests ORDER BY model")
        # gpt-4o at the catalog's 2.5 / 1.25 (cached) / 10 per million: (600*2.5 + 400*1.25 + 100*10)/1e6 = 0.003;
        # text-embedding-3-small at 0.02: 3000*0.02/1e6 = 0.00006. The embedding has no app.feature: service.name;
        # --map user=app.user replaces the default user.id.
        expected = [
            ("chatcmpl-sdk-1", "openai", "gpt-4o", "chat", "triage", "cx", "prod", "u-7", 1000, 400, 100, "ok", 0.003),
            (embedding_id, "openai", "text-embedding-3-small", "embeddings", "support-bot", None, "prod", None, 3000, None, 0, "ok", 0.00006),
        ]
        assert wait_for(home, sql, expected) == expected  # committed by the timer, before any shutdown
        assert collector.stop() == 0
    assert any("1 other span(s) accepted, 0 rejected" in line for line in collector.lines), collector.lines
    assert not list((home / "collect" / "spool").glob("*.spool"))


# --- what the receiver answers, and that refused requests store nothing -----------------------------------

GOOD = request(genai(1, trace=7, gen_ai__response__id="refused-if-stored"))
JSON_GOOD = json.dumps({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "json-app"}}]},
                        "scopeSpans": [{"spans": [{
                            "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174", "kind": 3,
                            "startTimeUnixNano": str(START_NS), "endTimeUnixNano": str(START_NS + 10**9), "futureField": 1,
                            "attributes": [{"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
                                           {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "10"}},
                                           {"key": "gen_ai.usage.output_tokens", "value": {"intValue": 5}}]}]}]}]}).encode()
BIG = request(genai(1, trace=9, gen_ai__response__id="big", padding="x" * 120_000))
BOMB = gzip.compress(request(genai(1, trace=8, gen_ai__response__id="bomb", padding="x" * 200_000)))

# (name, body, headers, expected status); every body here would store a row if it were accepted.
REFUSED = [
    ("no token", GOOD, {}, 401),
    ("wrong token", GOOD, {"token": "guess"}, 401),
    ("token in another scheme", GOOD, {"Authorization": f"Basic {TOKEN}"}, 401),
    ("malformed protobuf", GOOD[:-7], {"token": TOKEN}, 400),
    ("not protobuf at all", b"not a protobuf", {"token": TOKEN}, 400),
    ("malformed JSON", JSON_GOOD[:-3], {"token": TOKEN, "content_type": "application/json"}, 400),
    ("JSON that is no request", b'{"resourceSpans": 5}', {"token": TOKEN, "content_type": "application/json"}, 400),
    ("JSON with a base64 trace id", JSON_GOOD.replace(b"5b8efff798038103d269b633813fc60c", b"W47/95gDgQPSabYzgT/GDA=="),
     {"token": TOKEN, "content_type": "application/json"}, 400),
    ("another content type", GOOD, {"token": TOKEN, "content_type": "text/plain"}, 415),
    ("another content encoding", GOOD, {"token": TOKEN, "Content_Encoding": "br"}, 415),
    ("corrupt gzip", b"\x1f\x8b" + GOOD, {"token": TOKEN, "Content_Encoding": "gzip"}, 400),
    ("oversize body", BIG, {"token": TOKEN}, 413),
    ("oversize once decompressed", BOMB, {"token": TOKEN, "Content_Encoding": "gzip"}, 413),
]


@pytest.fixture(scope="module")
def strict_collector(tmp_path_factory):
    """A collector with a token and a 100 kB body limit, and the home it writes to."""
    home = tmp_path_factory.mktemp("collect") / "home"
    with Collector(home, FINOPS_COLLECT_TOKEN=TOKEN, FINOPS_COLLECT_MAX_BODY_MB="0.1") as collector:
        yield collector, home
        assert collector.stop() == 0


@pytest.mark.parametrize("name, body, headers, status", REFUSED, ids=[case[0] for case in REFUSED])
def test_refused_requests(strict_collector, name, body, headers, status):
    collector, _ = strict_collector
    assert len(BOMB) < 100_000 < len(BIG)  # the two size cases test what they say
    headers = dict(headers)
    got, answer_headers, answer = post(collector.url, body, headers.pop("content_type", "application/x-protobuf"),
                                       headers.pop("token", None), **headers)
    assert got == status, answer
    if status == 401:
        assert answer_headers.get("www-authenticate") == "Bearer"


def test_accepted_requests_and_what_is_stored(strict_collector):
    """After the refusals above: partial success, JSON, gzip, other spans, duplicates; then exactly these rows."""
    collector, home = strict_collector
    mixed = request(genai(1, trace=20), genai(2, trace=20, gen_ai__response__id="chatcmpl-2"),
                    span(3, 20, {"gen_ai.request.model": "gpt-4o"}),  # GenAI without tokens: rejected
                    span(4, 20, {"db.system": "postgresql"}))  # not GenAI: accepted, not stored
    status, _, body = post(collector.url, mixed, token=TOKEN)
    answer = ExportTraceServiceResponse.FromString(body)
    assert status == 200 and answer.partial_success.rejected_spans == 1
    assert "0000000000000004" in answer.partial_success.error_message and "gen_ai.usage.input_tokens" in answer.partial_success.error_message

    status, headers, body = post(collector.url, JSON_GOOD, "application/json", TOKEN)
    assert (status, headers["content-type"], json.loads(body)) == (200, "application/json", {})
    status, _, body = post(collector.url, gzip.compress(request(genai(5, trace=21))), token=TOKEN, Content_Encoding="gzip")
    assert status == 200 and not ExportTraceServiceResponse.FromString(body).HasField("partial_success")
    for _ in range(2):  # the same request twice, and the same span again in a later request
        assert post(collector.url, mixed, token=TOKEN)[0] == 200
    time.sleep(0.8)  # past a commit
    assert post(collector.url, request(genai(2, trace=20, gen_ai__response__id="chatcmpl-2")), token=TOKEN)[0] == 200

    expected = [
        ("00000000000000000000000000000014:0000000000000002", "support-bot", 1000, 100),
        ("00000000000000000000000000000015:0000000000000006", "support-bot", 1000, 100),
        ("5b8efff798038103d269b633813fc60c:eee19b7ec3c1b174", "json-app", 10, 5),
        ("chatcmpl-2", "support-bot", 1000, 100),
    ]
    sql = "SELECT request_id, feature, input_tokens, output_tokens FROM llm_requests ORDER BY request_id"
    assert wait_for(home, sql, expected) == expected
    assert rows(home, "SELECT count(*), count(DISTINCT request_id), count(cost_usd) FROM llm_requests") == [(4, 4, 4)]


# --- when it cannot keep up: 503 and 429 with Retry-After; a commit by row count -----------------------------

def test_a_full_spool_answers_503_and_commits_by_row_count(tmp_path):
    """A 1 kB spool limit, commits only by row count (120) or after an hour: the first batch fits, the next waits (503);
    once 120 rows are spooled the collector commits without waiting for the timer, and the spool takes batches again."""
    home = tmp_path / "home"
    settings = {"FINOPS_COLLECT_SPOOL_MAX_MB": "0.001", "FINOPS_COLLECT_FLUSH_S": "3600", "FINOPS_COLLECT_FLUSH_ROWS": "120"}
    with Collector(home, **settings) as collector:
        assert post(collector.url, request(*(genai(i, trace=31) for i in range(60))))[0] == 200
        status, headers, body = post(collector.url, request(*(genai(i, trace=32) for i in range(60))))
        assert (status, headers.get("retry-after")) == (503, "3600")
        assert "spool is full" in Status.FromString(body).message
        time.sleep(0.5)
        assert not (home / "lake").exists()  # 60 rows < 120: nothing committed, the timer is an hour away
        assert collector.stop() == 0  # the shutdown hook commits the 60 acknowledged rows
    assert rows(home, "SELECT count(*) FROM llm_requests") == [(60,)]
    settings["FINOPS_COLLECT_SPOOL_MAX_MB"] = "10"
    with Collector(home, **settings) as collector:
        for trace in (33, 34):
            assert post(collector.url, request(*(genai(i, trace=trace) for i in range(60))))[0] == 200
        # 120 rows spooled: committed now, by row count
        assert wait_for(home, "SELECT count(*) FROM llm_requests", [(180,)]) == [(180,)]
        assert collector.stop() == 0


def test_too_many_requests_at_once_answers_429(strict_collector):
    """MAX_IN_FLIGHT senders that have sent their headers and not yet their bodies hold every place; the next waits."""
    import socket

    from ui.collect.server import MAX_IN_FLIGHT

    collector, _ = strict_collector
    parts = urlsplit(collector.url)
    stalled = []
    head = (f"POST {parts.path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Length: 1000\r\n\r\n").encode()
    for _ in range(MAX_IN_FLIGHT):
        connection = socket.create_connection((parts.hostname, parts.port))
        connection.sendall(head + b"\n")
        stalled.append(connection)
    time.sleep(0.5)
    status, headers, _ = post(collector.url, GOOD, token=TOKEN)
    assert (status, headers.get("retry-after")) == (429, "1")
    for connection in stalled:
        connection.close()
    time.sleep(0.5)
    status, _, _ = post(collector.url, b"not a protobuf", token=TOKEN)
    assert status == 400  # the places are free again (and nothing is stored)


# --- kill -9 in the middle of a burst -----------------------------------------------------------------------

@pytest.mark.parametrize("how", ["kill -9, then a restart", "SIGTERM"])
def test_kill_9_or_sigterm_loses_nothing_acknowledged(tmp_path, how):
    """Senders keep posting 50-span batches while commits run; the collector is killed without warning and
    restarted (or stopped with SIGTERM in the middle of the burst), and every acknowledged span is then stored
    exactly once. Readers only ever see whole batches."""
    home = tmp_path / "home"
    acknowledged: list[int] = []  # batch numbers
    sent: list[int] = []
    counts: set[int] = set()
    stop = threading.Event()
    lock = threading.Lock()
    collector = Collector(home, FINOPS_COLLECT_FLUSH_S="0.5")

    def sender(worker: int) -> None:
        number = worker
        while not stop.is_set():
            body = request(*(genai(i, trace=number + 1) for i in range(50)))
            with lock:
                sent.append(number)
            try:
                status, _, _ = post(collector.url, body)
            except (OSError, http.client.HTTPException):
                return  # the collector is gone
            if status == 200:
                with lock:
                    acknowledged.append(number)
            number += 4

    def reader() -> None:
        while not stop.is_set():
            try:
                counts.add(rows(home, "SELECT count(*) FROM llm_requests")[0][0])
            except Exception:  # noqa: BLE001 - no warehouse yet
                pass
            time.sleep(0.05)

    threads = [threading.Thread(target=sender, args=(w,)) for w in range(4)] + [threading.Thread(target=reader)]
    with collector:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while len(acknowledged) < 60 and time.monotonic() < deadline:
            time.sleep(0.05)
        if how == "SIGTERM":  # requests in flight finish, the shutdown hook commits, exit 0
            assert collector.stop(signal.SIGTERM) == 0
        else:
            collector.process.kill()  # SIGKILL: no shutdown hook, no flush
            collector.process.wait(timeout=10)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(acknowledged) >= 60
    restarted = collector
    if how != "SIGTERM":
        left = sum(1 for path in (home / "collect" / "spool").glob("*.spool") for _ in read_frames(path))
        assert left > 0, "the kill left nothing in the spool: the test did not test recovery"
        # A torn append at the end of the newest segment, as a kill inside write() would leave it.
        newest = max((home / "collect" / "spool").glob("*.spool"))
        with open(newest, "ab") as handle:
            handle.write(MAGIC + (1000).to_bytes(4, "little") + b"\0\0\0\0" + b"half a frame")
        with Collector(home) as restarted:  # commits what the killed one left, before it listens
            assert restarted.stop() == 0
    stored = dict(rows(home, "SELECT split_part(request_id, ':', 1), count(*) FROM llm_requests GROUP BY 1"))
    for number in acknowledged:
        assert stored.get(f"{number + 1:032x}") == 50, f"batch {number} was acknowledged and is not stored whole: {collector.lines} {restarted.lines}"
    assert rows(home, "SELECT count(*) - count(DISTINCT request_id) FROM llm_requests") == [(0,)]
    assert set(stored) <= {f"{number + 1:032x}" for number in sent}
    assert all(count % 50 == 0 for count in counts), sorted(counts)  # never half a batch
    assert not list((home / "collect" / "spool").glob("*.spool"))


def test_a_load_killed_while_creating_the_catalog_leaves_no_catalog(tmp_path, monkeypatch):
    """The kill -9 test found it: a first commit killed inside DuckDB's creation of warehouse.duckdb left a catalog
    without the ledger, and every later commit failed. The catalog now appears whole, by a rename, or not at all."""
    from warehouse.lake import Lake
    from warehouse.spool import Spool

    def killed(*args):
        raise KeyboardInterrupt("killed before the rename")

    lake = Lake(tmp_path)
    monkeypatch.setattr("warehouse.lake.os.replace", killed)
    with pytest.raises(KeyboardInterrupt):
        lake.create()
    monkeypatch.undo()
    assert not lake.exists()
    spool = Spool(tmp_path)
    spool.open()
    spool.append([ROW])
    report = spool.commit(make_settings(tmp_path))
    spool.close()
    assert (report.rows_loaded, report.refused) == (1, ())
    assert lake.exists() and not list(tmp_path.glob(".warehouse.duckdb.*"))
    # gpt-4o at the catalog's 2.5 / 10 per million: (1000*2.5 + 100*10)/1e6 = 0.0035
    assert rows(tmp_path, "SELECT request_id, round(cost_usd, 9) FROM llm_requests") == [("r1", 0.0035)]


def test_a_segment_the_warehouse_refuses_is_kept_aside(tmp_path):
    """Not lost, not retried for ever: moved to collect/refused/ and named in the report (the mapping never spools
    such a row; this is the last line of defence)."""
    from warehouse.spool import Spool

    spool = Spool(tmp_path)
    spool.open()
    spool.append([{**ROW, "ts": None}])  # ts is required on every llm_requests row
    report = spool.commit(make_settings(tmp_path))
    spool.close()
    assert report.rows_loaded == 0 and len(report.refused) == 1 and "ts" in report.refused[0]
    assert [p.name.split("-")[-1] for p in (tmp_path / "collect" / "refused").iterdir()] == ["000000000001.spool"]
    assert not list((tmp_path / "collect" / "spool").glob("*.spool"))


# --- refusing to start ----------------------------------------------------------------------------------------

STARTS = [
    ("a flush interval of 0", [], {"FINOPS_COLLECT_FLUSH_S": "0"}, "FINOPS_COLLECT_FLUSH_S"),
    ("flush rows that are no number", [], {"FINOPS_COLLECT_FLUSH_ROWS": "many"}, "FINOPS_COLLECT_FLUSH_ROWS"),
    ("a negative body limit", [], {"FINOPS_COLLECT_MAX_BODY_MB": "-1"}, "FINOPS_COLLECT_MAX_BODY_MB"),
    ("a token with a space", [], {"FINOPS_COLLECT_TOKEN": "two words"}, "FINOPS_COLLECT_TOKEN"),
    ("every interface without a token", ["--host", "0.0.0.0"], {}, "without FINOPS_COLLECT_TOKEN"),
    ("a --map column that does not exist", ["--map", "cost=app.cost"], {}, "not a column a mapping can fill"),
    ("a port out of range", ["--port", "70000"], {}, "--port takes 0 to 65535"),
]


def finops_collect(home: Path, *args: str, **env: str):
    """`finops collect ...` through the CLI in this process (a refusal never binds a port)."""
    from typer.testing import CliRunner

    from ui.cli import app

    environ = {"FINOPS_HOME": str(home), "FINOPS_CONFIG": "", **env}
    return CliRunner().invoke(app, ["collect", *args], env=environ)


@pytest.mark.parametrize("name, args, env, phrase", STARTS, ids=[case[0] for case in STARTS])
def test_refuses_to_start(tmp_path, name, args, env, phrase):
    result = finops_collect(tmp_path / "home", "--port", "0", *args, **env)
    assert result.exit_code == 2, result.output
    assert phrase in result.stderr and "Traceback" not in result.stderr


def test_one_collector_per_home_and_a_busy_port_are_refused(tmp_path):
    home = tmp_path / "home"
    with Collector(home) as first:
        port = urlsplit(first.url).port
        second = finops_collect(home, "--port", "0")
        assert second.exit_code == 2 and "Another `finops collect` is running" in second.stderr
        busy = finops_collect(tmp_path / "other", "--port", str(port))
        assert busy.exit_code == 2 and f"Cannot listen on 127.0.0.1:{port}" in busy.stderr
        assert first.stop() == 0


# --- one mapping: a file's line and the same request received over HTTP give the same rows ---------------

@pytest.mark.parametrize("fixture", ["otel/traces.jsonl", "otel/trace.json"])
def test_json_and_protobuf_requests_map_to_the_file_import_rows(fixture):
    from tests.conftest import FIXTURES
    from ui.collect.otlp import JSON, PROTOBUF, parse_request
    from warehouse.formats.otel import map_request, request_rows

    text = (FIXTURES / "formats" / fixture).read_text()
    documents = [json.loads(line) for line in text.splitlines()] if fixture.endswith(".jsonl") else [json.loads(text)]
    for document in documents:
        expected = request_rows(document)  # what `finops ingest --format otel` stores
        received = parse_request(json.dumps(document).encode(), JSON)  # OTLP JSON: hex ids
        assert map_request(received).rows == expected
        assert map_request(parse_request(received.SerializeToString(), PROTOBUF)).rows == expected
        assert expected


# --- the spool's frames -----------------------------------------------------------------------------------------

def test_a_torn_frame_ends_a_segment(tmp_path):
    from warehouse.spool import Spool

    spool = Spool(tmp_path)
    spool.open()
    for size in (1, 2, 3):
        spool.append([{"request_id": f"r{size}-{i}", "ts": None, "model": "m", "input_tokens": 1, "output_tokens": 1}
                      for i in range(size)])
    segment = spool._active.path
    spool.close()
    whole = segment.read_bytes()
    assert [len(p) > 0 for p in read_frames(segment)] == [True, True, True]
    third = whole.rfind(MAGIC)
    for cut, frames in [(len(whole) - 1, 2), (third + 5, 2), (third, 2), (whole.find(MAGIC, 4), 1), (3, 0)]:
        segment.write_bytes(whole[:cut])
        assert sum(1 for _ in read_frames(segment)) == frames, cut
    flipped = bytearray(whole)
    flipped[third - 1] ^= 0xFF  # a bit of the second frame's payload
    segment.write_bytes(bytes(flipped))
    assert sum(1 for _ in read_frames(segment)) == 1

"""The OTLP JSON importer's DuckDB path (`otel_sql`) against the Python mapping (`otel.request_rows`).

Each case writes OTLP JSON, maps it both ways and compares the rows; it also pins which
path the file takes: plain files are mapped in SQL, anything the SQL path leaves to
Python (a refused span, a value Python reads as a bool, float, list or map, the proto
field names) is mapped by Python, and a refused file raises the same IngestError.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURES
from warehouse.contract import TABLES
from warehouse.errors import IngestError
from warehouse.formats import parse_mapping, request_rows
from warehouse.formats.pages import documents
from warehouse.formats.registry import VIEW, _otel_sql

TRACE = "5b8efff798038103d269b633813fc60c"
START = "1791277200000000000"  # 2026-10-06 09:00 UTC


def s(text):
    return {"stringValue": text}


def i(number):
    return {"intValue": str(number)}


def span(span_id: str, attributes: dict, start: str | None = START, end: str | None = "1791277201250000000", **extra) -> dict:
    item = {"traceId": TRACE, "spanId": span_id, "name": "chat", "kind": 3,
            "attributes": [{"key": k, "value": v} for k, v in attributes.items()], **extra}
    if start is not None:
        item["startTimeUnixNano"] = start
    if end is not None:
        item["endTimeUnixNano"] = end
    return item


def request(*spans: dict, resource: dict | None = None) -> dict:
    attributes = [{"key": k, "value": v} for k, v in (resource or {"service.name": s("support-bot")}).items()]
    return {"resourceSpans": [{"resource": {"attributes": attributes}, "scopeSpans": [{"scope": {"name": "t"}, "spans": list(spans)}]}]}


CHAT = {"gen_ai.operation.name": s("chat"), "gen_ai.provider.name": s("openai"), "gen_ai.request.model": s("gpt-4o"),
        "gen_ai.response.id": s("chatcmpl-1"), "gen_ai.usage.input_tokens": i(1000), "gen_ai.usage.output_tokens": i(200)}


def chat(**changes) -> dict:
    attributes = {**CHAT, **changes}
    return {k: v for k, v in attributes.items() if v is not None}


def write(tmp_path: Path, requests: list[dict], layout: str) -> Path:
    path = tmp_path / ("t.json" if layout != "lines" else "t.jsonl")
    if layout == "lines":
        path.write_text("\n".join(json.dumps(r) for r in requests) + "\n")
    elif layout == "document":
        [only] = requests
        path.write_text(json.dumps(only, indent=2))
    else:
        path.write_text(json.dumps(requests, indent=1))
    return path


def python_rows(path: Path, mapping) -> list[dict]:
    return [row for where, doc in documents(path) for row in request_rows(doc, mapping, where=where)]


def sql_rows(path: Path, mapping) -> list[dict] | None:
    """The rows of the SQL path, or None when it leaves the file to Python."""
    con = duckdb.connect()
    if not _otel_sql(con, path, mapping, TABLES["llm_requests"]):
        assert not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = '_fmt_otel'").fetchall()[0][0]
        return None
    result = con.execute(f"SELECT * FROM {VIEW}")
    names = [d[0] for d in result.description]
    return [dict(zip(names, row)) for row in result.fetchall()]


def same(rows: list[dict], expected: list[dict]) -> bool:
    key = lambda r: r["request_id"]  # noqa: E731
    return [{k: r.get(k) for k in TABLES["llm_requests"].column_names} for r in sorted(rows, key=key)] == \
        [{k: r.get(k) for k in TABLES["llm_requests"].column_names} for r in sorted(expected, key=key)]


# (name, requests, layout, --map entries, the path it takes)
CASES = [
    ("current names", [request(span("01", chat()))], "lines", [], "sql"),
    ("deprecated names", [request(span("01", chat(**{"gen_ai.provider.name": None, "gen_ai.system": s("az.ai.openai"),
                                                   "gen_ai.usage.input_tokens": None, "gen_ai.usage.prompt_tokens": i(7),
                                                   "gen_ai.usage.output_tokens": None, "gen_ai.usage.completion_tokens": i(3)})))],
     "lines", [], "sql"),
    ("response model, no response id, cached and reasoning tokens",
     [request(span("01", chat(**{"gen_ai.request.model": None, "gen_ai.response.model": s("o3-2025-04-16"), "gen_ai.response.id": None,
                                 "gen_ai.usage.cache_read.input_tokens": i(400), "gen_ai.usage.cache_creation.input_tokens": i(50),
                                 "gen_ai.usage.reasoning.output_tokens": i(90)})))], "lines", [], "sql"),
    ("a span without gen_ai attributes beside a call",
     [request(span("00", {"http.request.method": s("GET"), "http.response.status_code": i(200)}), span("01", chat()))], "lines", [], "sql"),
    ("error status, error.type words, resend count",
     [request(span("01", chat(**{"gen_ai.response.id": s("a"), "gen_ai.usage.input_tokens": None, "gen_ai.usage.output_tokens": None}),
                   status={"code": 2, "message": "boom"}),
              span("02", chat(**{"gen_ai.response.id": s("b"), "error.type": s("RateLimitError 429")})),
              span("03", chat(**{"gen_ai.response.id": s("c"), "error.type": s("openai.APITimeoutError")}), status={"code": "STATUS_CODE_ERROR"}),
              span("04", chat(**{"gen_ai.response.id": s("d"), "error.type": s("")})),
              span("05", chat(**{"gen_ai.response.id": s("e"), "http.request.resend_count": i(2)}), status={"code": 1}))],
     "lines", [], "sql"),
    ("embedding without output tokens, no end time, provider spellings",
     [request(span("01", chat(**{"gen_ai.operation.name": s("embeddings"), "gen_ai.usage.output_tokens": None,
                                 "gen_ai.provider.name": s(" AWS.Bedrock")}), end=None),
              span("02", chat(**{"gen_ai.response.id": s("v"), "gen_ai.provider.name": s("vertex_ai-language-models")}), end="0"),
              span("03", chat(**{"gen_ai.response.id": s("x"), "gen_ai.provider.name": s("Acme")})))], "lines", [], "sql"),
    ("a repeated attribute: the last one counts",
     [{"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": [
         {**span("01", chat()), "attributes": span("01", chat())["attributes"] + [{"key": "gen_ai.request.model", "value": s("gpt-4o-mini")}]}]}]}]}],
     "lines", [], "sql"),
    ("intValue as a JSON number, a writer spelling out every member",
     [request(span("01", chat(**{"gen_ai.usage.input_tokens": {"intValue": 12}, "team": {"stringValue": "cx", "intValue": None, "boolValue": None}})))],
     "lines", [], "sql"),
    ("attribution from span, resource and defaults", [request(span("01", chat(**{"app.feature": s("triage"), "enduser.id": s("u-7")})),
                                                              resource={"service.name": s("bot"), "app.team": s("cx"), "deployment.environment": s("prod")})],
     "lines", [], "sql"),
    ("--map with a key: tag prefix, on the span and on the resource",
     [request(span("01", chat(**{"app.tags": {"arrayValue": {"values": [s("tier:1"), s("team:search"), s("team:other")]}}})),
              span("02", chat(**{"gen_ai.response.id": s("r2")})), span("03", chat(**{"gen_ai.response.id": s("r3"), "app.tags": s("team:plain")})),
              resource={"app.tags": {"arrayValue": {"values": [s("team:platform")]}}})],
     "lines", ["team=app.tags:team", "feature=gen_ai.operation.name", "user=user.id"], "sql"),
    ("one JSON document", [request(span("01", chat()), span("02", chat(**{"gen_ai.response.id": s("two")})))], "document", [], "sql"),
    ("a JSON list of requests", [request(span("01", chat())), request(span("02", chat(**{"gen_ai.response.id": s("two")})))], "list", [], "sql"),
    ("the fixture's lines", [json.loads(line) for line in (FIXTURES / "formats" / "otel" / "traces.jsonl").read_text().splitlines()],
     "lines", [], "sql"),
    # Values Python reads as something else than text: the SQL path leaves the file to Python.
    ("kvlist attribution value", [request(span("01", chat(**{"feature": {"kvlistValue": {"values": [{"key": "a", "value": s("b")}]}}})))],
     "lines", [], "python"),
    ("array without a tag", [request(span("01", chat(**{"team": {"arrayValue": {"values": [s("cx")]}}})))], "lines", [], "python"),
    ("bool attribution value", [request(span("01", chat(**{"team": {"boolValue": True}})))], "lines", [], "python"),
    ("float token count", [request(span("01", chat(**{"gen_ai.usage.input_tokens": {"doubleValue": 100.0}})))], "lines", [], "python"),
    ("a string that is a JSON number", [request(span("01", chat(**{"gen_ai.request.model": {"stringValue": 4.5}})))], "lines", [], "python"),
    ("proto field names", [{"resource_spans": [{"resource": {"attributes": []}, "scope_spans": [{"spans": [
        {"trace_id": TRACE, "span_id": "01", "start_time_unix_nano": START, "attributes": [
            {"key": k, "value": {"string_value": v["stringValue"]} if "stringValue" in v else {"int_value": v["intValue"]}} for k, v in CHAT.items()]}]}]}]}],
     "lines", [], "python"),
    ("proto names in a camelCase span", [request(span("01", chat(), end=None, end_time_unix_nano="1791277202000000000"))], "lines", [], "python"),
    ("a NULL span", [request(span("01", chat()), None)], "lines", [], "python-fails"),  # type: ignore[arg-type]
    # Refused spans: the SQL path leaves the file to Python, which names file, line, span and attribute.
    ("usage without a model", [request(span("01", chat(**{"gen_ai.request.model": None})))], "lines", [], "refused"),
    ("no start time", [request(span("01", chat(), start=None))], "lines", [], "refused"),
    ("negative tokens", [request(span("01", chat(**{"gen_ai.usage.output_tokens": i(-1)})))], "lines", [], "refused"),
    ("no ids", [request(span("", chat(**{"gen_ai.response.id": None})))], "lines", [], "refused"),
    ("no GenAI span", [request(span("00", {"http.request.method": s("GET")}))], "lines", [], "python-empty"),
]


@pytest.mark.parametrize("name, requests, layout, entries, path_taken", CASES, ids=[c[0] for c in CASES])
def test_sql_and_python_paths_agree(tmp_path, name, requests, layout, entries, path_taken):
    path = write(tmp_path, requests, layout)
    mapping = parse_mapping(entries)
    rows = sql_rows(path, mapping)
    if path_taken == "sql":
        assert rows is not None, "the SQL path left a plain file to Python"
        assert rows and same(rows, python_rows(path, mapping))
    elif path_taken == "python":
        assert rows is None
        assert python_rows(path, mapping)
    elif path_taken == "python-empty":  # the importer refuses a file with no GenAI span
        assert rows is None and python_rows(path, mapping) == []
    elif path_taken == "python-fails":
        assert rows is None
        with pytest.raises(Exception):  # noqa: B017 - what Python's mapping does with it, unchanged
            python_rows(path, mapping)
    else:
        assert rows is None
        with pytest.raises(IngestError):
            python_rows(path, mapping)


def test_the_sql_rows_carry_the_hand_computed_values(tmp_path):
    """Independent of the Python path: the values the cases above compare, written out by hand."""
    path = write(tmp_path, CASES[4][1], "lines")
    rows = {r["request_id"]: r for r in sql_rows(path, None) or []}
    assert {k: (r["status"], r["input_tokens"], r["attempt"]) for k, r in rows.items()} == {
        "a": ("error", 0, None), "b": ("rate_limited", 1000, None), "c": ("timeout", 1000, None), "d": ("error", 1000, None), "e": ("ok", 1000, 3)}
    assert rows["a"]["latency_ms"] == 1250.0 and str(rows["a"]["ts"]) == "2026-10-06 09:00:00"

"""Importers for LiteLLM, Langfuse, OpenTelemetry, Helicone and the providers' reports; the price catalog.

Every fixture under tests/fixtures/formats/ was written from the source's documented
schema; the row counts and totals below were computed by hand from those files.
"""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURES
from tests.test_ingest import snapshot
from tests.tiny_data import write_table
from warehouse.catalog import catalog_name, catalog_price
from warehouse.errors import IngestError
from warehouse.executor import Executor
from warehouse.formats import detect_format, parse_mapping, request_rows
from warehouse.ingest import ingest
from warehouse.pricing import price_list

FORMATS = FIXTURES / "formats"
CATALOG = catalog_name()  # "genai-prices 0.2.3"


def rows_of(settings, sql: str) -> list[tuple]:
    with Executor(settings) as executor:
        return executor.query(sql).rows


def by_id(settings) -> dict[str, dict]:
    with Executor(settings) as executor:
        result = executor.query("SELECT * FROM llm_requests")
    return {row[0]: dict(zip(result.columns, row)) for row in result.rows}


# --- each format loads its fixture: rows and totals computed by hand --------------------------------

# (format, fixture, table, rows, cost_usd total, input_tokens, cached, cache_write, output_tokens)
LOADS = [
    # gpt-4o 0.0055 + failed 429 call 0 + its retry 0.003 + embedding 0.0001 + claude-3-haiku from the catalog
    # ((2000-1000-400)*0.25 + 1000*0.03 + 400*0.30 + 500*1.25)/1e6 = 0.000925; acme-internal-7b has no price
    ("litellm", "litellm/spend_logs.jsonl", "llm_requests", 6, 0.009525, 9600, 1200, 400, 1000),
    ("litellm", "litellm/spend_logs.csv", "llm_requests", 6, 0.009525, 9600, 1200, 400, 1000),
    # gen-1 0.000225 + gen-2 from the catalog (100*3 + 3000*0.3 + 500*3.75 + 400*15)/1e6 = 0.009075
    # + failed gen-4 0 + embedding 0.00004; the SPAN is not a request; input adds cached and cache-write back
    ("langfuse", "langfuse/observations.jsonl", "llm_requests", 4, 0.00934, 1000 + 3600 + 0 + 2000, 3200, 500, 550),
    # gpt-4o at the catalog's 2.5/1.25/10: (600*2.5 + 400*1.25 + 200*10)/1e6 = 0.004; timeout 0;
    # the retry (500*2.5 + 50*10)/1e6 = 0.00175; text-embedding-3-small 3000*0.02/1e6 = 0.00006
    ("otel", "otel/traces.jsonl", "llm_requests", 4, 0.00581, 4500, 400, 0, 250),
    ("otel", "otel/trace.json", "llm_requests", 1, 0.00006, 3000, 0, 0, 0),
    # 0.0042 + failed 0 + embedding 0.00039 + claude-3-haiku (1000*0.25 + 100*1.25)/1e6 = 0.000375
    ("helicone", "helicone/requests.jsonl", "llm_requests", 4, 0.004965, 1000 + 0 + 3000 + 1000, 100, 0, 300),
    ("openai-usage", "openai-usage/usage_pages.jsonl", "vendor_usage", 3, None, 55000, 2000, 0, 4000),
    ("openai-costs", "openai-costs/costs_page.json", "vendor_usage", 3, 1.59, None, None, None, None),
    # input = uncached 1500 + cache read 200 + cache creation 1000 + 500; and 100
    ("anthropic-usage", "anthropic-usage/usage_report.json", "vendor_usage", 2, None, 3300, 200, 1500, 510),
    # "123.45" cents + "5000" cents = 1.2345 + 50
    ("anthropic-costs", "anthropic-costs/cost_report.json", "vendor_usage", 2, 51.2345, None, None, None, None),
]


def totals(settings, table: str) -> tuple:
    return rows_of(
        settings,
        f"SELECT count(*), round(sum(cost_usd), 9), sum(input_tokens), sum(coalesce(cached_input_tokens, 0)), "
        f"sum(coalesce(cache_write_input_tokens, 0)), sum(output_tokens) FROM {table}",
    )[0]


def expected(case) -> tuple:
    _, _, _, rows, cost, inp, cached, write, out = case
    return (rows, cost, inp, cached if inp is not None else 0, write if inp is not None else 0, out)


@pytest.mark.parametrize("case", LOADS, ids=[c[1] for c in LOADS])
def test_each_format_loads_its_fixture_and_again_adds_nothing(settings, tmp_path, case):
    fmt, fixture, table, rows, *_ = case
    [result] = ingest([FORMATS / fixture], settings, fmt=fmt).results
    assert (result.status, result.table, result.rows_loaded, result.source_format) == ("loaded", table, rows, fmt), result.message
    assert totals(settings, table) == pytest.approx(expected(case))
    before = snapshot(settings)
    copy = tmp_path / ("again-" + Path(fixture).name)
    shutil.copy(FORMATS / fixture, copy)
    assert [r.status for r in ingest([FORMATS / fixture, copy], settings, fmt=fmt).results] == ["skipped", "skipped"]
    assert snapshot(settings) == before


@pytest.mark.parametrize("case", LOADS, ids=[c[1] for c in LOADS])
def test_format_is_detected_from_the_content(settings, case):
    fmt, fixture, table, rows, *_ = case
    assert detect_format(FORMATS / fixture) == fmt
    [result] = ingest([FORMATS / fixture], settings).results  # --format auto
    assert (result.status, result.source_format, result.table, result.rows_loaded) == ("loaded", fmt, table, rows)


def test_the_same_requests_in_another_file_add_nothing(settings):
    """The CSV holds the JSON-lines rows: another file, the same request ids."""
    ingest([FORMATS / "litellm" / "spend_logs.jsonl"], settings)
    [result] = ingest([FORMATS / "litellm" / "spend_logs.csv"], settings).results
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_duplicate) == ("loaded", 6, 0, 6)


def test_a_report_page_saved_again_adds_nothing(settings, tmp_path):
    """Re-saved with other whitespace (another sha256), its rows have the same keys."""
    ingest([FORMATS / "anthropic-costs" / "cost_report.json"], settings)
    resaved = tmp_path / "cost_report_again.json"
    resaved.write_text(json.dumps(json.loads((FORMATS / "anthropic-costs" / "cost_report.json").read_text())))
    [result] = ingest([resaved], settings).results
    assert (result.status, result.rows_loaded, result.rows_duplicate) == ("loaded", 0, 2)


@pytest.mark.parametrize("fmt, fixture", [("litellm", "litellm/spend_logs.jsonl"), ("langfuse", "langfuse/observations.jsonl")])
def test_parquet_exports_with_nested_columns_load_the_same(settings, tmp_path, fmt, fixture):
    """Parquet keeps metadata and usage as STRUCT, tags as LIST, times as TIMESTAMP."""
    parquet = tmp_path / (Path(fixture).stem + ".parquet")
    duckdb.connect().execute(f"COPY (SELECT * FROM read_json_auto('{FORMATS / fixture}')) TO '{parquet}' (FORMAT parquet)")
    [result] = ingest([parquet], settings, fmt=fmt).results
    case = next(c for c in LOADS if c[1] == fixture)
    assert result.status == "loaded", result.message
    assert totals(settings, "llm_requests") == pytest.approx(expected(case))


# --- what each row says, hand-checked ---------------------------------------------------------------

ROWS = [
    ("litellm/spend_logs.jsonl", "chatcmpl-a1", {"provider": "openai", "operation": "chat", "feature": "support-chat", "team": "cx",
                                                "environment": "prod", "user_id": "u-1", "cached_input_tokens": 200, "latency_ms": 1250.0, "status": "ok"}),
    ("litellm/spend_logs.jsonl", "chatcmpl-a2", {"status": "rate_limited", "input_tokens": 0, "cost_usd": 0.0}),
    ("litellm/spend_logs.jsonl", "emb-a4", {"operation": "embeddings", "feature": "search-index", "team": "search"}),
    ("litellm/spend_logs.jsonl", "msg-a5", {"provider": "anthropic", "cache_write_input_tokens": 400, "cost_usd": 0.000925, "environment": "staging"}),
    ("litellm/spend_logs.jsonl", "chatcmpl-a6", {"provider": "self-hosted", "cost_usd": None}),
    ("langfuse/observations.jsonl", "gen-1", {"team": "search-team", "feature": "search", "environment": "production", "user_id": "u-9",
                                              "input_tokens": 1000, "latency_ms": 2500.0, "provider": "openai"}),
    ("langfuse/observations.jsonl", "gen-2", {"provider": "anthropic", "input_tokens": 3600, "cost_usd": 0.009075, "feature": "summarize"}),
    ("langfuse/observations.jsonl", "gen-4", {"status": "rate_limited", "output_tokens": 0}),
    ("langfuse/observations.jsonl", "emb-5", {"operation": "embeddings", "environment": "staging", "output_tokens": 0}),
    ("otel/traces.jsonl", "chatcmpl-o1", {"feature": "support-chat", "team": "cx", "environment": "prod", "user_id": "u-1",
                                          "cached_input_tokens": 400, "latency_ms": 1800.0, "cost_usd": 0.004}),
    ("otel/traces.jsonl", "5b8efff798038103d269b633813fc60c:eee19b7ec3c1b176", {"status": "timeout", "input_tokens": 0, "cost_usd": 0.0}),
    ("otel/traces.jsonl", "chatcmpl-o3", {"attempt": 2, "input_tokens": 500, "output_tokens": 50, "provider": "openai"}),
    ("otel/traces.jsonl", "0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331", {"operation": "embeddings", "feature": "rag-indexer",
                                                                                "environment": "staging", "team": None}),
    ("helicone/requests.jsonl", "5f0c7c1e-0001", {"input_tokens": 1000, "feature": "summarize", "team": "docs-ai", "user_id": "u-3", "latency_ms": 850.0}),
    ("helicone/requests.jsonl", "5f0c7c1e-0002", {"status": "error", "input_tokens": 0}),
    ("helicone/requests.jsonl", "5f0c7c1e-0003", {"operation": "embeddings"}),
]


@pytest.mark.parametrize("fixture, request_id, values", ROWS, ids=[f"{c[0]}:{c[1][:20]}" for c in ROWS])
def test_rows_carry_what_the_source_says(settings, fixture, request_id, values):
    ingest([FORMATS / fixture], settings)
    row = by_id(settings)[request_id]
    assert {k: row[k] for k in values} == pytest.approx(values)


def test_otel_mapping_is_one_function_over_the_parsed_request():
    """The live collector's path: the same rows from the dict, with no file and no DuckDB."""
    lines = (FORMATS / "otel" / "traces.jsonl").read_text().splitlines()
    rows = [row for line in lines for row in request_rows(json.loads(line))]
    assert [r["request_id"] for r in rows] == [
        "chatcmpl-o1", "5b8efff798038103d269b633813fc60c:eee19b7ec3c1b176", "chatcmpl-o3", "0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331",
    ]
    assert request_rows(json.loads(lines[1]), parse_mapping(["team=app.tags:team"]))[0]["team"] == "search"


def test_vendor_rows(settings):
    ingest([FORMATS / "anthropic-usage" / "usage_report.json"], settings)
    ingest([FORMATS / "anthropic-costs" / "cost_report.json"], settings)
    rows = rows_of(settings, "SELECT source, model, project, line_item, input_tokens, cost_usd FROM vendor_usage ORDER BY source, model NULLS LAST")
    assert rows == [
        ("anthropic-costs", "claude-sonnet-4-20250514", "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ", "Claude Sonnet 4 Usage - Input Tokens", None, pytest.approx(1.2345)),
        ("anthropic-costs", None, None, "Web Search", None, pytest.approx(50.0)),
        ("anthropic-usage", "claude-3-haiku-20240307", None, None, 100, None),
        ("anthropic-usage", "claude-sonnet-4-20250514", "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ", None, 3200, None),
    ]


# --- bad input: refused, nothing loaded, file / line / field named ---------------------------------

GOOD_LITELLM = (FORMATS / "litellm" / "spend_logs.jsonl").read_text().splitlines()
OTEL_LINE = (FORMATS / "otel" / "traces.jsonl").read_text().splitlines()[0]


def _edit(line: str, **changes) -> str:
    row = json.loads(line)
    for key, value in changes.items():
        if value is ...:
            row.pop(key, None)
        else:
            row[key] = value
    return json.dumps(row)


def _otel_without_model() -> str:
    request = json.loads(OTEL_LINE)
    span = request["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    span["attributes"] = [a for a in span["attributes"] if not a["key"].endswith(("request.model", "response.model"))]
    return json.dumps(request)


def _usage_page_without_input() -> str:
    lines = (FORMATS / "openai-usage" / "usage_pages.jsonl").read_text().splitlines()
    page = json.loads(lines[1])
    del page["data"][0]["results"][0]["input_tokens"]
    return lines[0] + "\n" + json.dumps(page)


# (name, format, file name, content, words the message must contain)
BAD = [
    ("malformed line", "litellm", "spend.jsonl", "\n".join(GOOD_LITELLM[:2] + ['{"request_id": "x", "spend": ']), ["spend.jsonl", "line 3"]),
    ("missing model", "litellm", "spend.jsonl", "\n".join([GOOD_LITELLM[0], _edit(GOOD_LITELLM[2], model=..., model_group=...)]),
     ["spend.jsonl", "line 2", "'model'"]),
    ("tokens not a number", "litellm", "spend.jsonl", _edit(GOOD_LITELLM[0], prompt_tokens="lots"), ["line 1", "'prompt_tokens'", "'lots'"]),
    ("csv without a column", "litellm", "spend.csv", "request_id,startTime,model,prompt_tokens\nr1,2026-10-01T00:00:00Z,gpt-4o,5\n",
     ["spend.csv", "line 1", "'completion_tokens'"]),
    ("bad time", "helicone", "h.jsonl",
     "\n".join([(FORMATS / "helicone" / "requests.jsonl").read_text().splitlines()[0],
                _edit((FORMATS / "helicone" / "requests.jsonl").read_text().splitlines()[2], request_created_at="yesterday")]),
     ["h.jsonl", "line 2", "'request_created_at'", "'yesterday'"]),
    ("another format's file", "litellm", "observations.jsonl", (FORMATS / "langfuse" / "observations.jsonl").read_text(),
     ["observations.jsonl", "looks like Langfuse", "--format langfuse"]),
    ("cost page as usage", "openai-usage", "costs.json", (FORMATS / "openai-costs" / "costs_page.json").read_text(), ["costs.json", "Costs API", "--format openai-costs"]),
    ("span without a model", "otel", "t.jsonl", _otel_without_model(), ["t.jsonl", "line 1", "span eee19b7ec3c1b174", "gen_ai.request.model"]),
    ("malformed otel line", "otel", "t.jsonl", OTEL_LINE + "\n" + OTEL_LINE[:200], ["t.jsonl", "line 2", "not valid JSON"]),
    ("otel token count not a number", "otel", "t.jsonl",
     OTEL_LINE.replace('"gen_ai.usage.input_tokens","value":{"intValue":"1000"}', '"gen_ai.usage.input_tokens","value":{"intValue":"10a"}'),
     ["t.jsonl", "line 1", "gen_ai.usage.input_tokens", "'10a'"]),
    # DuckDB's JSON reader takes a trailing comma; the file is still not JSON and is refused naming the line.
    ("otel line with a trailing comma", "otel", "t.jsonl", OTEL_LINE + "\n" + OTEL_LINE[:-1] + ', "extra": 1,}', ["t.jsonl", "line 2", "not valid JSON"]),
    ("usage without input_tokens", "openai-usage", "u.jsonl", _usage_page_without_input(), ["u.jsonl", "line 2", "bucket 1, result 1", "input_tokens"]),
    ("amount not a number", "anthropic-costs", "c.json",
     (FORMATS / "anthropic-costs" / "cost_report.json").read_text().replace('"123.45"', '"12,5"'), ["c.json", "result 1", "amount", "'12,5'"]),
    ("truncated page", "anthropic-usage", "u.json", (FORMATS / "anthropic-usage" / "usage_report.json").read_text()[:300], ["u.json", "line", "not valid JSON"]),
]


@pytest.mark.parametrize("name, fmt, filename, content, words", BAD, ids=[c[0] for c in BAD])
def test_bad_input_is_refused_naming_file_line_and_field_and_loads_nothing(settings, tmp_path, name, fmt, filename, content, words):
    ingest([FORMATS / "helicone" / "requests.jsonl"], settings)
    ingest([FORMATS / "anthropic-costs" / "cost_report.json"], settings)
    before = snapshot(settings)
    path = tmp_path / filename
    path.write_text(content)
    [result] = ingest([path], settings, fmt=fmt).results
    assert result.status == "refused"
    for word in words:
        assert word in result.message, (word, result.message)
    assert snapshot(settings) == before


def test_unknown_format_is_refused_before_anything_loads(settings):
    ingest([FORMATS / "helicone" / "requests.jsonl"], settings)
    before = snapshot(settings)
    with pytest.raises(IngestError, match="Unknown format 'splunk'.*litellm"):
        ingest([FORMATS / "litellm" / "spend_logs.jsonl"], settings, fmt="splunk")
    assert snapshot(settings) == before


# --- --map -------------------------------------------------------------------------------------------

MAPS = [
    ("litellm/spend_logs.jsonl", ["feature=metadata.spend_logs_metadata.feature"], "chatcmpl-a1", {"feature": "ticket-triage"}),
    ("litellm/spend_logs.jsonl", ["team=team_id", "user=user"], "chatcmpl-a1", {"team": "7d3c0c6e-team-cx", "user_id": "default_user_id"}),
    ("litellm/spend_logs.csv", ["environment=request_tags:environment", "feature=model_group"], "msg-a5", {"environment": "staging", "feature": "claude-haiku"}),
    ("otel/traces.jsonl", ["team=app.tags:team", "feature=gen_ai.operation.name"], "0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331",
     {"team": "search", "feature": "embeddings"}),
    ("helicone/requests.jsonl", ["feature=request_properties.team", "env=request_path"], "5f0c7c1e-0001", {"feature": "docs-ai", "environment": "/v1/chat/completions"}),
    ("langfuse/observations.jsonl", ["feature=trace_name", "team=tags:team"], "gen-1", {"feature": "search", "team": "search"}),
]


@pytest.mark.parametrize("fixture, entries, request_id, values", MAPS, ids=[" ".join(c[1]) for c in MAPS])
def test_map_chooses_where_attribution_comes_from(settings, fixture, entries, request_id, values):
    [result] = ingest([FORMATS / fixture], settings, mapping=parse_mapping(entries)).results
    assert result.status == "loaded", result.message
    row = by_id(settings)[request_id]
    assert {k: row[k] for k in values} == values


@pytest.mark.parametrize("entries, message", [
    (["feature"], "COLUMN=FIELD"),
    (["colour=request_tags:colour"], "'colour' is not a column"),
    (["feature="], "not a field name"),
    (["feature=metadata..x"], "not a field name"),
    (["feature=request_tags:"], "not a field name"),
    (["team=a", "team=b"], "team twice"),
])
def test_bad_map_entries_are_explained(entries, message):
    with pytest.raises(IngestError, match=message):
        parse_mapping(entries)


def test_map_to_a_column_the_file_lacks_is_refused(settings):
    [result] = ingest([FORMATS / "litellm" / "spend_logs.csv"], settings, mapping=parse_mapping(["team=owner"])).results
    assert result.status == "refused" and "--map team=owner" in result.message and "no column 'owner'" in result.message


def test_map_on_a_report_is_refused(settings):
    [result] = ingest([FORMATS / "openai-usage" / "usage_pages.jsonl"], settings, mapping=parse_mapping(["team=project_id"])).results
    assert result.status == "refused" and "--map applies to per-request formats" in result.message


# --- the price catalog ---------------------------------------------------------------------------------


def _prices(tmp_path, model: str, provider: str = "anthropic") -> Path:
    from datetime import datetime

    return write_table([{"provider": provider, "model": model, "input_usd_per_mtok": 1.0, "cached_input_usd_per_mtok": 0.1,
                         "cache_write_usd_per_mtok": 1.25, "output_usd_per_mtok": 5.0, "valid_from": datetime(2020, 1, 1)}],
                       tmp_path / "model_prices" / f"{model}.parquet")


def test_an_unlisted_model_is_priced_from_the_catalog_and_named(settings):
    [result] = ingest([FORMATS / "litellm" / "spend_logs.jsonl"], settings).results
    assert result.priced_from_catalog == (("anthropic/claude-3-haiku-20240307", f"{CATALOG}: anthropic/claude-3-haiku", 1),)
    assert (result.rows_priced, result.rows_unpriced) == (1, 1) and "acme-internal-7b" in result.message
    listed = {use.model: use for use in price_list(settings)}
    assert (listed["claude-3-haiku-20240307"].origin, listed["claude-3-haiku-20240307"].source) == ("catalog", f"{CATALOG}: anthropic/claude-3-haiku")
    assert (listed["acme-internal-7b"].origin, listed["acme-internal-7b"].unpriced) == ("none", 1)
    assert listed["claude-3-haiku-20240307"].to_json()["cache_write_usd_per_mtok"] == pytest.approx(0.30)


def test_a_dated_model_takes_its_undated_model_prices_row(settings, tmp_path):
    ingest([_prices(tmp_path, "claude-sonnet-4")], settings)
    [result] = ingest([FORMATS / "langfuse" / "observations.jsonl"], settings).results
    assert result.priced_from_catalog == ()
    # (100*1.0 + 3000*0.1 + 500*1.25 + 400*5.0) / 1e6
    assert by_id(settings)["gen-2"]["cost_usd"] == pytest.approx(0.003025)
    listed = {use.model: use for use in price_list(settings)}
    assert listed["claude-sonnet-4-20250514"].source == "model_prices (as claude-sonnet-4)"


def test_model_prices_wins_over_the_catalog(settings, tmp_path):
    ingest([_prices(tmp_path, "claude-3-haiku-20240307")], settings)
    [result] = ingest([FORMATS / "litellm" / "spend_logs.jsonl"], settings).results
    assert result.priced_from_catalog == ()
    # ((2000-1000-400)*1.0 + 1000*0.1 + 400*1.25 + 500*5.0) / 1e6
    assert by_id(settings)["msg-a5"]["cost_usd"] == pytest.approx(0.0037)


def test_the_catalog_needs_no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    catalog_price.cache_clear()
    price = catalog_price("claude-sonnet-4-20250514", "anthropic")
    assert (price.model_id, price.rows[-1].input_usd_per_mtok, price.rows[-1].cache_write_usd_per_mtok) == ("claude-sonnet-4-0", 3.0, 3.75)
    assert catalog_price("gpt-4o-mini").batch_discount_pct == pytest.approx(50.0)


"""Langfuse observations exports (blob storage `observations_v2/`, or the UI/API export): JSON lines, CSV, Parquet.

Generations (type GENERATION, and EMBEDDING) become requests; spans and events are skipped.

| llm_requests            | Langfuse observation                                                       |
|-------------------------|----------------------------------------------------------------------------|
| request_id              | id                                                                         |
| ts                      | start_time                                                                 |
| provider                | metadata.ls_provider, else model_parameters.provider; else from the model's price entry |
| model                   | provided_model_name, else model                                            |
| operation               | type: EMBEDDING -> embeddings, GENERATION -> chat                          |
| input_tokens            | usage_details.input + cached + cache-write input tokens (Langfuse reports them apart) |
| cached_input_tokens     | usage_details.input_cached_tokens / cache_read_input_tokens / input_cache_read |
| cache_write_input_tokens| usage_details.cache_creation_input_tokens / input_cache_creation / input_cache_write |
| output_tokens           | usage_details.output                                                       |
| reasoning_output_tokens | usage_details.output_reasoning_tokens / output_reasoning                   |
| latency_ms              | end_time - start_time                                                      |
| status                  | level: ERROR -> error (rate_limited when status_message mentions 429), else ok |
| cost_usd                | total_cost, else cost_details.total                                        |

Attribution defaults: team <- metadata.team, tags:team; feature <- metadata.feature,
tags:feature, trace_name; environment <- environment; user <- user_id.
"""

from __future__ import annotations

import sqlglot.expressions as exp

from warehouse.formats.fields import Fields, as_type
from warehouse.formats.mapping import Field, attribution
from warehouse.formats.requests import RequestMapping, add, attribution_sql, first_of, provider_sql, tokens_or_zero

NAME = "langfuse"
# The top-level fields the mapping reads (JSON lines are read with exactly these and the attribution fields).
FIELDS = ("id", "type", "level", "status_message", "start_time", "end_time", "provided_model_name", "model",
          "model_parameters", "metadata", "usage_details", "cost_details", "total_cost")
REQUIRED_FIELDS = ("id", "start_time", "usage_details")
SIGNATURE = ("id", "trace_id", "start_time", "usage_details")
DEFAULTS = {
    "team": ("metadata.team", "tags:team"),
    "feature": ("metadata.feature", "tags:feature", "trace_name"),
    "environment": ("environment",),
    "user_id": ("user_id",),
}


def _s(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def _usage(fields: Fields, *keys: str) -> exp.Expr:
    return as_type(first_of(*(fields.at("usage_details." + key) for key in keys)), "BIGINT")


def request_mapping(fields: Fields, mapping: dict[str, Field] | None) -> RequestMapping:
    kind = exp.func("upper", fields.text("type"))
    level = exp.func("upper", fields.text("level"))
    failed = exp.func("coalesce", exp.EQ(this=level.copy(), expression=_s("ERROR")), exp.false())
    message = exp.func("coalesce", fields.text("status_message"), _s(""))
    status = exp.Case(
        ifs=[
            exp.If(this=exp.and_(failed.copy(), exp.func("regexp_matches", message.copy(), _s("429|(?i)rate.?limit"))), true=_s("rate_limited")),
            exp.If(this=exp.and_(failed.copy(), exp.func("regexp_matches", message, _s("(?i)timed? ?out"))), true=_s("timeout")),
            exp.If(this=failed.copy(), true=_s("error")),
        ],
        default=_s("ok"),
    )
    embeddings = exp.EQ(this=kind.copy(), expression=_s("EMBEDDING"))
    cached = _usage(fields, "input_cached_tokens", "cache_read_input_tokens", "input_cache_read")
    cache_write = _usage(fields, "cache_creation_input_tokens", "input_cache_creation", "input_cache_write")
    start = fields.typed("start_time", "TIMESTAMP")
    columns = {
        "request_id": first_of(fields.text("id")),
        "ts": start,
        "provider": provider_sql(first_of(fields.at("metadata.ls_provider"), fields.at("model_parameters.provider"))),
        "model": first_of(fields.text("provided_model_name"), fields.text("model")),
        "operation": exp.Case(ifs=[exp.If(this=embeddings.copy(), true=_s("embeddings"))], default=_s("chat")),
        "input_tokens": tokens_or_zero(add(_usage(fields, "input"), cached.copy(), cache_write.copy()), failed.copy()),
        "output_tokens": tokens_or_zero(_usage(fields, "output"), exp.or_(failed.copy(), embeddings.copy())),
        "cached_input_tokens": cached,
        "cache_write_input_tokens": cache_write,
        "reasoning_output_tokens": _usage(fields, "output_reasoning_tokens", "output_reasoning"),
        "latency_ms": exp.cast(exp.Anonymous(this="date_diff", expressions=[_s("millisecond"), start.copy(), fields.typed("end_time", "TIMESTAMP")]), "DOUBLE"),
        "status": status,
        "prompt_hash": exp.cast(exp.null(), "VARCHAR"),
        "cost_usd": exp.func("coalesce", fields.typed("total_cost", "DOUBLE"), as_type(fields.at("cost_details.total"), "DOUBLE")),
        **attribution_sql(fields, attribution(DEFAULTS, mapping)),
    }
    required = {
        "request_id": "id", "ts": "start_time", "model": "provided_model_name",
        "input_tokens": "usage_details.input", "output_tokens": "usage_details.output",
    }
    where = exp.func("coalesce", kind.copy().isin(_s("GENERATION"), _s("EMBEDDING")), exp.false())
    return RequestMapping(columns, required, where)

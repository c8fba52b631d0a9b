"""Helicone request exports (`@helicone/export` or the request query API), JSON lines.

| llm_requests            | Helicone request                                                          |
|-------------------------|---------------------------------------------------------------------------|
| request_id              | request_id                                                                |
| ts                      | request_created_at                                                        |
| provider                | provider (OPENAI -> openai, AZURE -> azure-openai, ...)                   |
| model                   | model, else request_model, else response_model                            |
| operation               | embeddings when request_path ends in /embeddings or the model is an embedding model, else chat |
| input_tokens            | prompt_tokens + prompt_cache_read_tokens + prompt_cache_write_tokens (Helicone counts them apart) |
| cached_input_tokens     | prompt_cache_read_tokens                                                  |
| cache_write_input_tokens| prompt_cache_write_tokens                                                 |
| output_tokens           | completion_tokens                                                         |
| reasoning_output_tokens | reasoning_tokens                                                          |
| latency_ms              | delay_ms                                                                  |
| status                  | response_status: 2xx ok, 429 rate_limited, 408/504 timeout, else error    |
| cost_usd                | cost (USD), else cost_usd                                                 |

Attribution defaults (custom properties from `Helicone-Property-*` headers):
team <- request_properties.team / .Team; feature <- request_properties.feature / .Feature;
environment <- request_properties.environment / .Environment; user <- request_user_id.
"""

from __future__ import annotations

import sqlglot.expressions as exp

from warehouse.formats.fields import Fields
from warehouse.formats.mapping import Field, attribution
from warehouse.formats.requests import RequestMapping, add, attribution_sql, first_of, provider_sql, tokens_or_zero

NAME = "helicone"
# The top-level fields the mapping reads (JSON lines are read with exactly these and the attribution fields).
FIELDS = ("request_id", "request_created_at", "request_path", "model", "request_model", "response_model", "provider",
          "response_status", "delay_ms", "prompt_tokens", "prompt_cache_read_tokens", "prompt_cache_write_tokens",
          "completion_tokens", "reasoning_tokens", "cost", "cost_usd")
REQUIRED_FIELDS = ("request_id", "request_created_at", "prompt_tokens", "completion_tokens")
SIGNATURE = ("request_id", "request_created_at", "response_status")
DEFAULTS = {
    "team": ("request_properties.team", "request_properties.Team"),
    "feature": ("request_properties.feature", "request_properties.Feature"),
    "environment": ("request_properties.environment", "request_properties.Environment"),
    "user_id": ("request_user_id",),
}


def _s(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def request_mapping(fields: Fields, mapping: dict[str, Field] | None) -> RequestMapping:
    code = fields.typed("response_status", "BIGINT")
    failed = exp.func("coalesce", exp.not_(exp.Between(this=code.copy(), low=exp.Literal.number(200), high=exp.Literal.number(299))), exp.false())
    status = exp.Case(
        ifs=[
            exp.If(this=exp.EQ(this=code.copy(), expression=exp.Literal.number(429)), true=_s("rate_limited")),
            exp.If(this=code.copy().isin(exp.Literal.number(408), exp.Literal.number(504)), true=_s("timeout")),
            exp.If(this=failed.copy(), true=_s("error")),
        ],
        default=_s("ok"),
    )
    model = first_of(fields.text("model"), fields.text("request_model"), fields.text("response_model"))
    embeddings = exp.or_(
        exp.func("coalesce", exp.func("ends_with", fields.text("request_path"), _s("/embeddings")), exp.false()),
        exp.func("coalesce", exp.func("contains", exp.func("lower", model.copy()), _s("embedding")), exp.false()),
    )
    cached = fields.typed("prompt_cache_read_tokens", "BIGINT")
    cache_write = fields.typed("prompt_cache_write_tokens", "BIGINT")
    columns = {
        "request_id": first_of(fields.text("request_id")),
        "ts": fields.typed("request_created_at", "TIMESTAMP"),
        "provider": provider_sql(fields.text("provider")),
        "model": model,
        "operation": exp.Case(ifs=[exp.If(this=embeddings.copy(), true=_s("embeddings"))], default=_s("chat")),
        "input_tokens": tokens_or_zero(add(fields.typed("prompt_tokens", "BIGINT"), cached.copy(), cache_write.copy()), failed.copy()),
        "output_tokens": tokens_or_zero(fields.typed("completion_tokens", "BIGINT"), exp.or_(failed.copy(), embeddings.copy())),
        "cached_input_tokens": cached,
        "cache_write_input_tokens": cache_write,
        "reasoning_output_tokens": fields.typed("reasoning_tokens", "BIGINT"),
        "latency_ms": fields.typed("delay_ms", "DOUBLE"),
        "status": status,
        "prompt_hash": exp.cast(exp.null(), "VARCHAR"),
        "cost_usd": exp.func("coalesce", fields.typed("cost", "DOUBLE"), fields.typed("cost_usd", "DOUBLE")),
        **attribution_sql(fields, attribution(DEFAULTS, mapping)),
    }
    required = {"request_id": "request_id", "ts": "request_created_at", "model": "model", "input_tokens": "prompt_tokens", "output_tokens": "completion_tokens"}
    return RequestMapping(columns, required)

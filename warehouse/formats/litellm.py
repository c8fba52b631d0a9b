"""LiteLLM proxy spend logs: rows of the `LiteLLM_SpendLogs` table (CSV, JSON lines, Parquet).

| llm_requests            | LiteLLM_SpendLogs                                                        |
|-------------------------|--------------------------------------------------------------------------|
| request_id              | request_id                                                               |
| ts                      | startTime                                                                |
| provider                | custom_llm_provider (contract names: azure -> azure-openai, ...)         |
| model                   | model, else model_group                                                  |
| operation               | call_type (acompletion -> chat, aembedding -> embeddings, ...)           |
| input_tokens            | prompt_tokens (LiteLLM counts cached and cache-write tokens in it)       |
| cached_input_tokens     | metadata.usage_object.prompt_tokens_details.cached_tokens, else .cache_read_input_tokens |
| cache_write_input_tokens| metadata.usage_object.cache_creation_input_tokens                        |
| output_tokens           | completion_tokens                                                        |
| reasoning_output_tokens | metadata.usage_object.completion_tokens_details.reasoning_tokens         |
| latency_ms              | endTime - startTime                                                      |
| status                  | status: success -> ok; failure -> error (rate_limited for error code 429, timeout for 408/504) |
| prompt_hash             | cache_key                                                                |
| cost_usd                | spend                                                                    |

Attribution defaults: team <- metadata.user_api_key_team_alias, team_id;
feature <- request_tags:feature, metadata.spend_logs_metadata.feature;
environment <- request_tags:environment, metadata.spend_logs_metadata.environment;
user <- end_user, user.
"""

from __future__ import annotations

import sqlglot.expressions as exp

from warehouse.formats.fields import Fields, as_type
from warehouse.formats.mapping import Field, attribution
from warehouse.formats.requests import RequestMapping, attribution_sql, first_of, provider_sql, tokens_or_zero

NAME = "litellm"
# The top-level fields the mapping reads (JSON lines are read with exactly these and the attribution fields).
FIELDS = ("request_id", "call_type", "spend", "prompt_tokens", "completion_tokens", "startTime", "endTime", "model",
          "model_group", "custom_llm_provider", "metadata", "cache_key", "status")
REQUIRED_FIELDS = ("request_id", "startTime", "model", "prompt_tokens", "completion_tokens")
SIGNATURE = ("request_id", "startTime", "spend", "call_type")
DEFAULTS = {
    "team": ("metadata.user_api_key_team_alias", "team_id"),
    "feature": ("request_tags:feature", "metadata.spend_logs_metadata.feature"),
    "environment": ("request_tags:environment", "metadata.spend_logs_metadata.environment"),
    "user_id": ("end_user", "user"),
}
_CALL_TYPES = {
    "completion": "chat", "acompletion": "chat", "responses": "chat", "aresponses": "chat",
    "anthropic_messages": "chat", "generate_content": "chat", "agenerate_content": "chat",
    "embedding": "embeddings", "aembedding": "embeddings",
    "text_completion": "text_completion", "atext_completion": "text_completion",
    "image_generation": "image_generation", "aimage_generation": "image_generation",
    "transcription": "transcription", "atranscription": "transcription", "speech": "speech", "aspeech": "speech",
    "rerank": "rerank", "arerank": "rerank",
}


def _s(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def request_mapping(fields: Fields, mapping: dict[str, Field] | None) -> RequestMapping:
    usage = "metadata.usage_object."
    call_type = exp.func("lower", fields.text("call_type"))
    operation = exp.Case(
        ifs=[exp.If(this=exp.EQ(this=call_type.copy(), expression=_s(k)), true=_s(v)) for k, v in _CALL_TYPES.items()],
        default=exp.func("coalesce", exp.func("nullif", call_type.copy(), _s("")), _s("chat")),
    )
    error_code = fields.at("metadata.error_information.error_code")
    raw_status = exp.func("lower", fields.text("status"))
    failed = exp.func("coalesce", exp.EQ(this=raw_status.copy(), expression=_s("failure")), exp.false())
    status = exp.Case(
        ifs=[
            exp.If(this=exp.and_(failed.copy(), exp.EQ(this=error_code.copy(), expression=_s("429"))), true=_s("rate_limited")),
            exp.If(this=exp.and_(failed.copy(), error_code.copy().isin(_s("408"), _s("504"))), true=_s("timeout")),
            exp.If(this=failed.copy(), true=_s("error")),
        ],
        default=_s("ok"),
    )
    start, end = fields.typed("startTime", "TIMESTAMP"), fields.typed("endTime", "TIMESTAMP")
    columns = {
        "request_id": first_of(fields.text("request_id")),
        "ts": start,
        "provider": provider_sql(fields.text("custom_llm_provider")),
        "model": first_of(fields.text("model"), fields.text("model_group")),
        "operation": operation,
        "input_tokens": tokens_or_zero(fields.typed("prompt_tokens", "BIGINT"), failed.copy()),
        "output_tokens": tokens_or_zero(fields.typed("completion_tokens", "BIGINT"), exp.or_(failed.copy(), exp.EQ(this=operation.copy(), expression=_s("embeddings")))),
        "cached_input_tokens": as_type(first_of(fields.at(usage + "prompt_tokens_details.cached_tokens"), fields.at(usage + "cache_read_input_tokens")), "BIGINT"),
        "cache_write_input_tokens": as_type(fields.at(usage + "cache_creation_input_tokens"), "BIGINT"),
        "reasoning_output_tokens": as_type(fields.at(usage + "completion_tokens_details.reasoning_tokens"), "BIGINT"),
        "latency_ms": exp.cast(exp.Anonymous(this="date_diff", expressions=[_s("millisecond"), start.copy(), end]), "DOUBLE"),
        "status": status,
        "prompt_hash": first_of(fields.text("cache_key")),
        "cost_usd": fields.typed("spend", "DOUBLE"),
        **attribution_sql(fields, attribution(DEFAULTS, mapping)),
    }
    required = {"request_id": "request_id", "ts": "startTime", "model": "model", "input_tokens": "prompt_tokens", "output_tokens": "completion_tokens"}
    return RequestMapping(columns, required)

"""OpenAI organization Usage API and Costs API pages, saved as JSON -> vendor_usage.

`openai-usage`: pages of `GET /v1/organization/usage/completions` (and
`/usage/embeddings`, or any `organization.usage.*.result`):

| vendor_usage        | Usage API                                         |
|---------------------|---------------------------------------------------|
| period_start / end  | bucket start_time / end_time (Unix seconds)        |
| model, project, api_key_id | result model, project_id, api_key_id        |
| input_tokens        | input_tokens (includes cached tokens)             |
| cached_input_tokens | input_cached_tokens                               |
| cache_write_input_tokens | input_cache_write_tokens, when present       |
| output_tokens       | output_tokens (NULL for embeddings)               |
| requests            | num_model_requests                                |

`openai-costs`: pages of `GET /v1/organization/costs`: one row per result,
`cost_usd` <- amount.value (currency usd), `line_item` <- line_item, `project` <- project_id.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from warehouse.errors import IngestError
from warehouse.formats.reports import buckets, count, epoch, require, row_key, vendor_row

_MEASURES = {"input_tokens", "output_tokens", "input_cached_tokens", "input_audio_tokens", "output_audio_tokens",
             "num_model_requests", "input_cache_write_tokens", "amount", "images", "characters", "seconds",
             "input_uncached_tokens", "input_text_tokens", "output_text_tokens", "input_image_tokens",
             "output_image_tokens", "input_cached_text_tokens", "input_cached_audio_tokens", "input_cached_image_tokens"}


def is_usage_page(document: object) -> bool:
    return _result_object(document, "organization.usage.")


def is_costs_page(document: object) -> bool:
    return _result_object(document, "organization.costs.")


def _result_object(document: object, prefix: str) -> bool:
    if not isinstance(document, dict) or document.get("object") != "page":
        return False
    for bucket in document.get("data") or ():
        for result in (bucket or {}).get("results") or ():
            return str((result or {}).get("object", "")).startswith(prefix)
    return False


def _buckets(page: object, where: str) -> Iterator[tuple[datetime, datetime, dict[str, Any], str]]:
    if not isinstance(page, dict) or page.get("object") != "page":
        raise IngestError(f"{where}: not an OpenAI API page (no \"object\": \"page\"). Is this the right --format?", column="object")
    yield from buckets(page, where, ("start_time", "end_time"), (int, float), epoch)


def usage_rows(page: object, where: str, source: str = "openai-usage") -> list[dict]:
    rows = []
    for start, end, result, at in _buckets(page, where):
        kind = str(result.get("object", ""))
        if not kind.startswith("organization.usage."):
            raise IngestError(f"{at}: a {kind or 'result'} is not a usage result; use --format openai-costs for cost pages.", column="object")
        completions = kind.endswith(".completions.result")
        require(result, "model", at, (str, type(None)))
        rows.append(vendor_row(
            period_start=start, period_end=end, provider="openai", source=source,
            row_key=row_key(source, start, end, {k: v for k, v in result.items() if k not in _MEASURES}),
            model=result.get("model"), project=result.get("project_id"), api_key_id=result.get("api_key_id"),
            input_tokens=count(result, "input_tokens", at, required=True),
            cached_input_tokens=count(result, "input_cached_tokens", at),
            cache_write_input_tokens=count(result, "input_cache_write_tokens", at),
            output_tokens=count(result, "output_tokens", at, required=completions),
            requests=count(result, "num_model_requests", at),
        ))
    return rows


def costs_rows(page: object, where: str, source: str = "openai-costs") -> list[dict]:
    rows = []
    for start, end, result, at in _buckets(page, where):
        amount = require(result, "amount", at, dict)
        value = amount.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise IngestError(f"{at}: amount.value is {value!r}, not a number.", column="amount.value")
        currency = str(amount.get("currency", "usd")).lower()
        if currency != "usd":
            raise IngestError(f"{at}: amount is in {currency}; only usd is loaded.", column="amount.currency")
        try:
            cost = float(value)
        except ValueError:
            raise IngestError(f"{at}: amount.value is {value!r}, not a number.", column="amount.value") from None
        rows.append(vendor_row(
            period_start=start, period_end=end, provider="openai", source=source,
            row_key=row_key(source, start, end, {k: v for k, v in result.items() if k not in _MEASURES}),
            project=result.get("project_id"), api_key_id=result.get("api_key_id"), line_item=result.get("line_item"),
            model=result.get("model"), cost_usd=cost,
        ))
    return rows

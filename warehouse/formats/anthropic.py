"""Anthropic Admin API usage report (messages) and cost report pages, saved as JSON -> vendor_usage.

`anthropic-usage`: pages of `GET /v1/organizations/usage_report/messages`:

| vendor_usage             | usage report                                                  |
|--------------------------|---------------------------------------------------------------|
| period_start / end       | starting_at / ending_at                                        |
| model, project, api_key_id | model, workspace_id, api_key_id                              |
| input_tokens             | uncached_input_tokens + cache_read_input_tokens + cache_creation.* (added back) |
| cached_input_tokens      | cache_read_input_tokens                                        |
| cache_write_input_tokens | cache_creation.ephemeral_5m_input_tokens + ephemeral_1h_input_tokens |
| output_tokens            | output_tokens                                                  |
| requests                 | NULL (the report has no request count)                        |

`anthropic-costs`: pages of `GET /v1/organizations/cost_report`: `cost_usd` <- amount
(a decimal string in cents: "123.45" is $1.2345), `line_item` <- description (else
cost_type / token_type), `model`, `project` <- workspace_id.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from warehouse.errors import IngestError
from warehouse.formats.reports import buckets, count, require, rfc3339, row_key, vendor_row

_MEASURES = {"uncached_input_tokens", "cache_read_input_tokens", "cache_creation", "output_tokens",
             "server_tool_use", "amount"}


def is_usage_page(document: object) -> bool:
    return _first_result_has(document, "uncached_input_tokens")


def is_costs_page(document: object) -> bool:
    return _first_result_has(document, "amount")


def _first_result_has(document: object, key: str) -> bool:
    if not isinstance(document, dict) or "object" in document:
        return False
    for bucket in document.get("data") or ():
        if not isinstance(bucket, dict) or "starting_at" not in bucket:
            return False
        for result in bucket.get("results") or ():
            return isinstance(result, dict) and key in result
    return False


def _buckets(page: object, where: str) -> Iterator[tuple[datetime, datetime, dict[str, Any], str]]:
    if not isinstance(page, dict) or "data" not in page:
        raise IngestError(f"{where}: not an Anthropic report page (no \"data\"). Is this the right --format?", column="data")
    yield from buckets(page, where, ("starting_at", "ending_at"), str, rfc3339)


def usage_rows(page: object, where: str, source: str = "anthropic-usage") -> list[dict]:
    rows = []
    for start, end, result, at in _buckets(page, where):
        uncached = count(result, "uncached_input_tokens", at, required=True)
        cache_read = count(result, "cache_read_input_tokens", at) or 0
        creation = result.get("cache_creation") or {}
        if not isinstance(creation, dict):
            raise IngestError(f"{at}: cache_creation is {creation!r}, not an object.", column="cache_creation")
        cache_write = sum(count(creation, key, f"{at}, cache_creation") or 0 for key in creation)
        rows.append(vendor_row(
            period_start=start, period_end=end, provider="anthropic", source=source,
            row_key=row_key(source, start, end, {k: v for k, v in result.items() if k not in _MEASURES}),
            model=result.get("model"), project=result.get("workspace_id"), api_key_id=result.get("api_key_id"),
            input_tokens=uncached + cache_read + cache_write,
            cached_input_tokens=cache_read,
            cache_write_input_tokens=cache_write,
            output_tokens=count(result, "output_tokens", at, required=True),
        ))
    return rows


def costs_rows(page: object, where: str, source: str = "anthropic-costs") -> list[dict]:
    rows = []
    for start, end, result, at in _buckets(page, where):
        amount = require(result, "amount", at, (str, int, float))
        try:
            cents = Decimal(str(amount))
        except InvalidOperation:
            raise IngestError(f"{at}: amount is {amount!r}, not a decimal number of cents.", column="amount") from None
        currency = str(result.get("currency") or "USD").upper()
        if currency != "USD":
            raise IngestError(f"{at}: amount is in {currency}; only USD is loaded.", column="currency")
        kind = "/".join(str(result[k]) for k in ("cost_type", "token_type") if result.get(k))
        rows.append(vendor_row(
            period_start=start, period_end=end, provider="anthropic", source=source,
            row_key=row_key(source, start, end, {k: v for k, v in result.items() if k not in _MEASURES}),
            model=result.get("model"), project=result.get("workspace_id"),
            line_item=result.get("description") or kind or None,
            cost_usd=float(cents / 100),
        ))
    return rows

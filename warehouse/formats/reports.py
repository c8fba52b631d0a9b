"""What the providers' report importers share: the vendor_usage row and its key.

One vendor_usage row per report result. Its `row_key` is a stable hash of what
identifies the result (source, bucket, and every grouping field the result
carries: model, project, key, line item, tier, ...), so loading a page again,
or a page that overlaps an earlier one, adds nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, Literal, overload

from warehouse.errors import IngestError

COLUMNS = (
    "period_start", "period_end", "provider", "source", "row_key", "model", "project", "api_key_id", "line_item",
    "input_tokens", "cached_input_tokens", "cache_write_input_tokens", "output_tokens", "requests", "cost_usd",
)


def row_key(source: str, start: datetime, end: datetime, identity: dict[str, Any]) -> str:
    """sha256 of the source, the bucket and the result's grouping fields.

    >>> a = row_key("openai-usage", datetime(2026, 1, 1), datetime(2026, 1, 2), {"model": "gpt-4o", "project_id": None})
    >>> a == row_key("openai-usage", datetime(2026, 1, 1), datetime(2026, 1, 2), {"project_id": None, "model": "gpt-4o"})
    True
    """
    text = json.dumps([source, start.isoformat(), end.isoformat(), identity], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def epoch(value: Any, where: str, field: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise IngestError(f"{where}: {field} is {value!r}, not a Unix time in seconds.", column=field)
    return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)


def rfc3339(value: Any, where: str, field: str) -> datetime:
    if not isinstance(value, str):
        raise IngestError(f"{where}: {field} is {value!r}, not an RFC 3339 time.", column=field)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise IngestError(f"{where}: {field} is {value!r}, not an RFC 3339 time.", column=field) from None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


@overload
def count(result: dict, key: str, where: str, *, required: Literal[True]) -> int: ...


@overload
def count(result: dict, key: str, where: str, *, required: bool = False) -> int | None: ...


def count(result: dict, key: str, where: str, *, required: bool = False) -> int | None:
    """A token or request count of a result; refused when required and absent, or not a whole number."""
    if key not in result or result[key] is None:
        if required:
            raise IngestError(f"{where}: the result has no {key}, which this report needs.", column=key)
        return None
    value = result[key]
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise IngestError(f"{where}: {key} is {value!r}, not a whole number.", column=key)
    return value


def require(mapping: Any, key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(mapping, dict) or key not in mapping:
        raise IngestError(f"{where}: no {key!r}, which this report needs. Is this the right --format?", column=key)
    value = mapping[key]
    if not isinstance(value, kind):
        raise IngestError(f"{where}: {key!r} is {type(value).__name__}, not what this report has there.", column=key)
    return value


def vendor_row(**values: Any) -> dict[str, Any]:
    row = dict.fromkeys(COLUMNS)
    row.update(values)
    return row


def buckets(page: dict[str, Any], where: str, times: tuple[str, str], kind: type | tuple[type, ...],
            parse: Callable[[Any, str, str], datetime]) -> Iterator[tuple[datetime, datetime, dict[str, Any], str]]:
    """(start, end, result, where) of every result of every bucket of a report page: both providers' reports
    are `data` buckets holding `results`; their time fields (`times`) and how they are written differ."""
    for index, bucket in enumerate(require(page, "data", where, list), start=1):
        at = f"{where}, bucket {index}"
        start = parse(require(bucket, times[0], at, kind), at, times[0])
        end = parse(require(bucket, times[1], at, kind), at, times[1])
        for number, result in enumerate(require(bucket, "results", at, list), start=1):
            if not isinstance(result, dict):
                raise IngestError(f"{at}, result {number}: not an object.", column="results")
            yield start, end, result, f"{at}, result {number}"

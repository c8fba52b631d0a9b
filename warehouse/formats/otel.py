"""OpenTelemetry GenAI spans -> llm_requests rows, from OTLP JSON.

`request_rows(request)` maps one parsed `ExportTraceServiceRequest` (a dict in
OTLP JSON form: `resourceSpans[].scopeSpans[].spans[]`, camelCase or the proto
field names) to rows. It is the one span -> row mapping: the file importer calls
it per line, and a live OTLP receiver must call it per request
(`request_from_proto` turns an `opentelemetry.proto` message into the dict).

A span is a GenAI call when it has a `gen_ai.request.model`/`gen_ai.response.model`
or `gen_ai.usage.*` attribute. Current and deprecated attribute names are read:

| llm_requests            | span attribute (deprecated name)                                        |
|-------------------------|-------------------------------------------------------------------------|
| request_id              | gen_ai.response.id, else traceId:spanId                                 |
| ts                      | startTimeUnixNano                                                       |
| provider                | gen_ai.provider.name (gen_ai.system); aws.bedrock -> bedrock, ...       |
| model                   | gen_ai.request.model, else gen_ai.response.model                        |
| operation               | gen_ai.operation.name (default chat)                                    |
| input_tokens            | gen_ai.usage.input_tokens (gen_ai.usage.prompt_tokens); includes cached |
| cached_input_tokens     | gen_ai.usage.cache_read.input_tokens                                    |
| cache_write_input_tokens| gen_ai.usage.cache_creation.input_tokens                                |
| output_tokens           | gen_ai.usage.output_tokens (gen_ai.usage.completion_tokens)             |
| reasoning_output_tokens | gen_ai.usage.reasoning.output_tokens                                    |
| latency_ms              | endTimeUnixNano - startTimeUnixNano                                     |
| status                  | error.type / span status ERROR -> error (timeout, rate_limited by error.type) |
| attempt                 | http.request.resend_count + 1                                           |

Attribution defaults (span attributes first, then the resource's): feature <- feature,
app.feature, else the resource's service.name; team <- team, app.team; environment <-
deployment.environment.name, deployment.environment; user <- user.id, enduser.id.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from warehouse.errors import IngestError
from warehouse.formats.mapping import Field, attribution
from warehouse.formats.requests import provider_name

if TYPE_CHECKING:
    from google.protobuf.message import Message

NAME = "otel"
DEFAULTS = {
    "feature": ("feature", "app.feature", "service.name"),
    "team": ("team", "app.team"),
    "environment": ("deployment.environment.name", "deployment.environment"),
    "user_id": ("user.id", "enduser.id"),
}
COLUMNS = (
    "request_id", "ts", "provider", "model", "operation", "feature", "team", "user_id", "environment",
    "input_tokens", "cached_input_tokens", "output_tokens", "latency_ms", "status", "attempt", "prompt_hash",
    "cost_usd", "cache_write_input_tokens", "reasoning_output_tokens",
)
_EPOCH = datetime(1970, 1, 1)
_ERROR_CODES = (2, "2", "STATUS_CODE_ERROR", "ERROR")


def _get(obj: dict, camel: str, snake: str) -> Any:
    value = obj.get(camel)
    return obj.get(snake) if value is None else value


def _value(any_value: dict | None) -> Any:
    """The Python value of an OTLP AnyValue."""
    if not any_value:
        return None
    text = any_value.get("stringValue")
    if text is not None:
        return text
    for key, value in any_value.items():
        if value is None:  # a JSON writer that spells out every member of the oneof
            continue
        if key in ("stringValue", "string_value", "boolValue", "bool_value", "doubleValue", "double_value"):
            return value
        if key in ("intValue", "int_value"):
            return int(value)
        if key in ("arrayValue", "array_value"):
            return [_value(v) for v in value.get("values", ())]
        if key in ("kvlistValue", "kvlist_value"):
            return {kv["key"]: _value(kv.get("value")) for kv in value.get("values", ())}
        if key in ("bytesValue", "bytes_value"):
            return value
    return None


def _attributes(items: list | None) -> dict[str, Any]:
    return {item["key"]: _value(item.get("value")) for item in items or ()}


def _first(attrs: dict, *keys: str) -> Any:
    for key in keys:
        value = attrs.get(key)
        if value is not None and value != "":
            return value
    return None


class SpanError(ValueError):
    """A GenAI span lacks what a row needs; `attribute` names it."""

    def __init__(self, attribute: str, message: str) -> None:
        super().__init__(message)
        self.attribute = attribute


def _int(value: Any, what: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SpanError(what, f"{what} is {value!r}, not a number") from None


def _time(nanos: Any) -> datetime | None:
    if nanos in (None, "", 0, "0"):
        return None
    return _EPOCH + timedelta(microseconds=int(nanos) // 1000)


def _attribution(span_attrs: dict, resource_attrs: dict, chosen: dict[str, tuple[Field, ...]]) -> dict[str, Any]:
    values = {}
    for column, fields in chosen.items():
        found = None
        for field in fields:
            for attrs in (span_attrs, resource_attrs):
                value = attrs.get(field.path)
                if field.tag and isinstance(value, list):
                    prefix = field.tag + ":"
                    value = next((v[len(prefix):] for v in value if isinstance(v, str) and v.startswith(prefix)), None)
                if value is not None and value != "":
                    found = str(value)
                    break
            if found is not None:
                break
        values[column] = found
    return values


def _status(span: dict, attrs: dict) -> str:
    error_type = attrs.get("error.type")
    code = (span.get("status") or {}).get("code")
    if error_type is None and code not in _ERROR_CODES:
        return "ok"
    text = str(error_type or "").lower()
    if "timeout" in text or "timed_out" in text:
        return "timeout"
    if "429" in text or "rate" in text:
        return "rate_limited"
    return "error"


def span_row(span: dict, resource_attrs: dict, chosen: dict[str, tuple[Field, ...]]) -> dict[str, Any] | None:
    """The llm_requests row of one span, or None when the span is not a GenAI call.

    Raises SpanError naming the attribute when a GenAI span lacks what a row needs.
    """
    attrs = _attributes(span.get("attributes"))
    model = _first(attrs, "gen_ai.request.model", "gen_ai.response.model")
    has_usage = any(key.startswith("gen_ai.usage.") for key in attrs)
    if model is None and not has_usage:
        return None
    status = _status(span, attrs)
    operation = _first(attrs, "gen_ai.operation.name") or "chat"
    spare = status != "ok"  # a failed call may have no usage
    input_tokens = _int(_first(attrs, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"), "gen_ai.usage.input_tokens")
    output_tokens = _int(_first(attrs, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"), "gen_ai.usage.output_tokens")
    start = _time(_get(span, "startTimeUnixNano", "start_time_unix_nano"))
    end = _time(_get(span, "endTimeUnixNano", "end_time_unix_nano"))
    if start is None:
        raise SpanError("startTimeUnixNano", "the span has no startTimeUnixNano")
    if model is None:
        raise SpanError("gen_ai.request.model", "the span has no gen_ai.request.model")
    if input_tokens is None and not spare:
        raise SpanError("gen_ai.usage.input_tokens", "the span has no gen_ai.usage.input_tokens (or gen_ai.usage.prompt_tokens)")
    if output_tokens is None and not spare and operation != "embeddings":
        raise SpanError("gen_ai.usage.output_tokens", "the span has no gen_ai.usage.output_tokens (or gen_ai.usage.completion_tokens)")
    trace_id, span_id = _get(span, "traceId", "trace_id"), _get(span, "spanId", "span_id")
    resend = _int(attrs.get("http.request.resend_count"), "http.request.resend_count")
    row = {
        "request_id": _first(attrs, "gen_ai.response.id") or f"{trace_id}:{span_id}",
        "ts": start,
        "provider": provider_name(_first(attrs, "gen_ai.provider.name", "gen_ai.system")),
        "model": model,
        "operation": operation,
        "input_tokens": input_tokens or 0,
        "cached_input_tokens": _int(_first(attrs, "gen_ai.usage.cache_read.input_tokens"), "gen_ai.usage.cache_read.input_tokens"),
        "output_tokens": output_tokens or 0,
        "latency_ms": (end - start).total_seconds() * 1000 if end is not None else None,
        "status": status,
        "attempt": resend + 1 if resend is not None else None,
        "prompt_hash": None,
        "cost_usd": None,
        "cache_write_input_tokens": _int(_first(attrs, "gen_ai.usage.cache_creation.input_tokens"), "gen_ai.usage.cache_creation.input_tokens"),
        "reasoning_output_tokens": _int(_first(attrs, "gen_ai.usage.reasoning.output_tokens"), "gen_ai.usage.reasoning.output_tokens"),
    }
    row.update(_attribution(attrs, resource_attrs, chosen))
    return row


def request_rows(request: object, mapping: dict[str, Field] | None = None, *, where: str = "the request") -> list[dict[str, Any]]:
    """Every GenAI span of one ExportTraceServiceRequest as an llm_requests row.

    >>> span = {"traceId": "ab", "spanId": "01", "startTimeUnixNano": "1730419200000000000",
    ...         "endTimeUnixNano": "1730419200500000000", "attributes": [
    ...     {"key": "gen_ai.system", "value": {"stringValue": "openai"}},
    ...     {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
    ...     {"key": "gen_ai.usage.prompt_tokens", "value": {"intValue": "100"}},
    ...     {"key": "gen_ai.usage.completion_tokens", "value": {"intValue": "20"}}]}
    >>> [row] = request_rows({"resourceSpans": [{"resource": {"attributes": [
    ...     {"key": "service.name", "value": {"stringValue": "support-bot"}}]},
    ...     "scopeSpans": [{"spans": [span]}]}]})
    >>> row["request_id"], row["model"], row["input_tokens"], row["feature"], row["latency_ms"]
    ('ab:01', 'gpt-4o', 100, 'support-bot', 500.0)
    """
    if not isinstance(request, dict) or not ("resourceSpans" in request or "resource_spans" in request):
        raise IngestError(f"{where} is not an OTLP ExportTraceServiceRequest (no resourceSpans).", column="resourceSpans")
    chosen = attribution(DEFAULTS, mapping)
    rows = []
    for resource_spans in _get(request, "resourceSpans", "resource_spans") or ():
        resource_attrs = _attributes((resource_spans.get("resource") or {}).get("attributes"))
        for scope_spans in _get(resource_spans, "scopeSpans", "scope_spans") or ():
            for span in scope_spans.get("spans") or ():
                try:
                    row = span_row(span, resource_attrs, chosen)
                except SpanError as error:
                    span_id = _get(span, "spanId", "span_id")
                    raise IngestError(f"{where}, span {span_id}: {error}.", column=error.attribute) from None
                if row is not None:
                    rows.append(row)
    return rows


def request_from_proto(message: Message) -> dict[str, Any]:
    """An `opentelemetry.proto` ExportTraceServiceRequest as the OTLP JSON dict `request_rows` reads."""
    from google.protobuf.json_format import MessageToDict  # only a live receiver needs protobuf

    request = MessageToDict(message)
    for resource_spans in request.get("resourceSpans", ()):
        for scope_spans in resource_spans.get("scopeSpans", ()):
            for span in scope_spans.get("spans", ()):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if span.get(key):  # protobuf's JSON writes bytes as base64; OTLP JSON uses hex
                        span[key] = base64.b64decode(span[key]).hex()
    return request

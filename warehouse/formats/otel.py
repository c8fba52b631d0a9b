"""OpenTelemetry GenAI spans -> llm_requests rows, from OTLP JSON or OTLP protobuf.

`map_request(request)` is the one span -> row mapping. It reads one
`ExportTraceServiceRequest`, either as a dict in OTLP JSON form
(`resourceSpans[].scopeSpans[].spans[]`, camelCase or the proto field names: the
file importer, line by line) or as the `opentelemetry.proto` message itself (the
live receiver, `finops collect`). Two small readers turn a span of either form
into the same facts (attributes, times, ids, error status); `span_row` turns
those facts into a row. `request_rows` is the file importer's view: the rows, or
an IngestError naming the first span that cannot become one.

A span is a GenAI call when it has a `gen_ai.request.model`/`gen_ai.response.model`
or `gen_ai.usage.*` attribute. Current and deprecated attribute names are read; the
names, fallbacks and defaults below are declared once as data (ATTRIBUTES, DEFAULTS,
ERROR_STATUSES ...), read by `span_row` here and by `otel_sql`, the file importer's
DuckDB path, which leaves any file with a span it cannot map exactly to `span_row`:

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

A GenAI span is refused (SpanError, naming the attribute) when it has no start time,
no model, no token counts (a failed call and an embedding's output may have none), a
token count that is not a whole number from 0 up, or neither gen_ai.response.id nor
both ids. Spans without gen_ai attributes are no requests: counted, never refused.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from warehouse.errors import IngestError
from warehouse.formats.mapping import Field, attribution
from warehouse.formats.requests import provider_name

if TYPE_CHECKING:
    from google.protobuf.message import Message

NAME = "otel"

# The one statement of the mapping, read by `span_row` (Python, the live receiver and the fallback) and by
# `otel_sql` (the file importer's DuckDB path). Per column, the span attributes tried in order (the current
# name first, then the deprecated one); the first with a value other than "" wins.
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "request_id": ("gen_ai.response.id",),
    "provider": ("gen_ai.provider.name", "gen_ai.system"),
    "model": ("gen_ai.request.model", "gen_ai.response.model"),
    "operation": ("gen_ai.operation.name",),
    "input_tokens": ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
    "cached_input_tokens": ("gen_ai.usage.cache_read.input_tokens",),
    "cache_write_input_tokens": ("gen_ai.usage.cache_creation.input_tokens",),
    "output_tokens": ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"),
    "reasoning_output_tokens": ("gen_ai.usage.reasoning.output_tokens",),
}
TOKEN_COLUMNS = ("input_tokens", "cached_input_tokens", "cache_write_input_tokens", "output_tokens", "reasoning_output_tokens")
USAGE_PREFIX = "gen_ai.usage."  # any such attribute makes a span a GenAI call
DEFAULT_OPERATION = "chat"
EMBEDDINGS = "embeddings"  # an embedding has no output tokens
ERROR_TYPE = "error.type"
RESEND_COUNT = "http.request.resend_count"  # attempt = resend count + 1
# error.type (lowercased) containing one of the words -> status, tried in order; any other error is "error".
ERROR_STATUSES = (("timeout", ("timeout", "timed_out")), ("rate_limited", ("429", "rate")))
ERROR_CODES = (2, "2", "STATUS_CODE_ERROR", "ERROR")  # span status codes of a failed call
# OTLP JSON's camelCase field names -> the proto field names, read where the camelCase one is absent.
PROTO_NAMES = {
    "resourceSpans": "resource_spans", "scopeSpans": "scope_spans", "traceId": "trace_id", "spanId": "span_id",
    "startTimeUnixNano": "start_time_unix_nano", "endTimeUnixNano": "end_time_unix_nano",
}
# AnyValue's members (camelCase -> proto name); stringValue wins, else the first member set.
VALUE_KINDS = {
    "stringValue": "string_value", "boolValue": "bool_value", "intValue": "int_value", "doubleValue": "double_value",
    "arrayValue": "array_value", "kvlistValue": "kvlist_value", "bytesValue": "bytes_value",
}
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
BIGINT_END = 2**63
RESEND_END = 2**31 - 2  # attempt (resend + 1) stays an INTEGER


class SpanError(ValueError):
    """A GenAI span lacks what a row needs; `attribute` names it."""

    def __init__(self, attribute: str, message: str) -> None:
        super().__init__(message)
        self.attribute = attribute


class SpanFacts(NamedTuple):
    """What the mapping reads of one span, whichever form it came in."""

    attributes: dict[str, Any]
    start_ns: int | str | None
    end_ns: int | str | None
    trace_id: str
    span_id: str
    error_status: bool


@dataclass
class RequestRows:
    """One request mapped: its rows, the spans that are no GenAI calls, and the refused spans (span id, error)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    other_spans: int = 0
    rejected: list[tuple[str, SpanError]] = field(default_factory=list)


# --- the mapping ------------------------------------------------------------------------------------

def _first(attrs: dict, column: str) -> Any:
    """The value of `column`'s first attribute (ATTRIBUTES) that has one."""
    for key in ATTRIBUTES[column]:
        value = attrs.get(key)
        if value is not None and value != "":
            return value
    return None


def _count(value: Any, what: str, end: int = BIGINT_END) -> int | None:
    """A whole number from 0 below `end`, or None; SpanError naming `what` otherwise."""
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise SpanError(what, f"{what} is {value!r}, not a number") from None
    if not 0 <= number < end or (isinstance(value, float) and value != number):
        raise SpanError(what, f"{what} is {value!r}, not a whole number from 0 up")
    return number


def _tokens(attrs: dict, column: str) -> int | None:
    """A token count column from its attributes (ATTRIBUTES); SpanError naming the current attribute name."""
    return _count(_first(attrs, column), ATTRIBUTES[column][0])


def _time(nanos: Any, what: str) -> datetime | None:
    if nanos in (None, "", 0, "0"):
        return None
    try:
        return _EPOCH + timedelta(microseconds=int(nanos) // 1000)
    except (TypeError, ValueError, OverflowError):
        raise SpanError(what, f"{what} is {nanos!r}, not a time in nanoseconds") from None


def _attribution(span_attrs: dict, resource_attrs: dict, chosen: dict[str, tuple[Field, ...]]) -> dict[str, Any]:
    values = {}
    for column, fields in chosen.items():
        found = None
        for field_ in fields:
            for attrs in (span_attrs, resource_attrs):
                value = attrs.get(field_.path)
                if field_.tag and isinstance(value, list):
                    prefix = field_.tag + ":"
                    value = next((v[len(prefix):] for v in value if isinstance(v, str) and v.startswith(prefix)), None)
                if value is not None and value != "":
                    found = str(value)
                    break
            if found is not None:
                break
        values[column] = found
    return values


def _status(error_status: bool, attrs: dict) -> str:
    error_type = attrs.get(ERROR_TYPE)
    if error_type is None and not error_status:
        return "ok"
    text = str(error_type or "").lower()
    for status, words in ERROR_STATUSES:
        if any(word in text for word in words):
            return status
    return "error"


def span_row(span: SpanFacts, resource_attrs: dict, chosen: dict[str, tuple[Field, ...]]) -> dict[str, Any] | None:
    """The llm_requests row of one span, or None when the span is not a GenAI call.

    Raises SpanError naming the attribute when a GenAI span lacks what a row needs.
    """
    attrs = span.attributes
    model = _first(attrs, "model")
    if model is None and not any(key.startswith(USAGE_PREFIX) for key in attrs):
        return None
    status = _status(span.error_status, attrs)
    operation = str(_first(attrs, "operation") or DEFAULT_OPERATION)
    spare = status != "ok"  # a failed call may have no usage
    input_tokens = _tokens(attrs, "input_tokens")
    output_tokens = _tokens(attrs, "output_tokens")
    start = _time(span.start_ns, "startTimeUnixNano")
    end = _time(span.end_ns, "endTimeUnixNano")
    if start is None:
        raise SpanError("startTimeUnixNano", "the span has no startTimeUnixNano")
    if model is None:
        raise SpanError("gen_ai.request.model", "the span has no gen_ai.request.model")
    if input_tokens is None and not spare:
        raise SpanError("gen_ai.usage.input_tokens", "the span has no gen_ai.usage.input_tokens (or gen_ai.usage.prompt_tokens)")
    if output_tokens is None and not spare and operation != EMBEDDINGS:
        raise SpanError("gen_ai.usage.output_tokens", "the span has no gen_ai.usage.output_tokens (or gen_ai.usage.completion_tokens)")
    request_id = _first(attrs, "request_id")
    if request_id is None and not (span.trace_id and span.span_id):
        raise SpanError("spanId", "the span has no gen_ai.response.id, nor a traceId and spanId to know it by")
    provider = _first(attrs, "provider")
    resend = _count(attrs.get(RESEND_COUNT), RESEND_COUNT, RESEND_END)
    row = {
        "request_id": str(request_id) if request_id is not None else f"{span.trace_id}:{span.span_id}",
        "ts": start,
        "provider": provider_name(str(provider)) if provider is not None else None,
        "model": str(model),
        "operation": operation,
        "input_tokens": input_tokens or 0,
        "cached_input_tokens": _tokens(attrs, "cached_input_tokens"),
        "output_tokens": output_tokens or 0,
        "latency_ms": (end - start).total_seconds() * 1000 if end is not None else None,
        "status": status,
        "attempt": resend + 1 if resend is not None else None,
        "prompt_hash": None,
        "cost_usd": None,
        "cache_write_input_tokens": _tokens(attrs, "cache_write_input_tokens"),
        "reasoning_output_tokens": _tokens(attrs, "reasoning_output_tokens"),
    }
    row.update(_attribution(attrs, resource_attrs, chosen))
    return row


def map_request(request: object, mapping: dict[str, Field] | None = None) -> RequestRows:
    """Every span of one ExportTraceServiceRequest (OTLP JSON dict or protobuf message), mapped.

    Raises IngestError when `request` is neither form (a dict without resourceSpans).
    """
    if isinstance(request, dict):
        if not ("resourceSpans" in request or "resource_spans" in request):
            raise IngestError("not an OTLP ExportTraceServiceRequest (no resourceSpans)", column="resourceSpans")
        spans = _dict_spans(request)
    elif hasattr(request, "resource_spans"):
        spans = _proto_spans(request)
    else:
        raise IngestError("not an OTLP ExportTraceServiceRequest (no resourceSpans)", column="resourceSpans")
    chosen = attribution(DEFAULTS, mapping)
    mapped = RequestRows()
    for resource_attrs, span in spans:
        try:
            row = span_row(span, resource_attrs, chosen)
        except SpanError as error:
            mapped.rejected.append((span.span_id, error))
            continue
        if row is None:
            mapped.other_spans += 1
        else:
            mapped.rows.append(row)
    return mapped


def request_rows(request: object, mapping: dict[str, Field] | None = None, *, where: str = "the request") -> list[dict[str, Any]]:
    """Every GenAI span of one ExportTraceServiceRequest as an llm_requests row; IngestError at the first refused span.

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
    try:
        mapped = map_request(request, mapping)
    except IngestError as error:
        raise IngestError(f"{where} is {error.user_message}.", column=error.column) from None
    if mapped.rejected:
        span_id, problem = mapped.rejected[0]
        raise IngestError(f"{where}, span {span_id}: {problem}.", column=problem.attribute)
    return mapped.rows


# --- the two readers: OTLP JSON dicts and protobuf messages -------------------------------------------

def _get(obj: dict, camel: str) -> Any:
    value = obj.get(camel)
    return obj.get(PROTO_NAMES[camel]) if value is None else value


def _int_or_text(value: Any) -> Any:
    """An intValue as a number; one that is not ("12a") stays as written, for the column reading it to refuse."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _value(any_value: dict | None) -> Any:
    """The Python value of an OTLP JSON AnyValue."""
    if not any_value:
        return None
    text = any_value.get("stringValue")
    if text is not None:
        return text
    for key, value in any_value.items():
        if value is None:  # a JSON writer that spells out every member of the oneof
            continue
        kind = _KINDS.get(key)
        if kind in ("stringValue", "boolValue", "doubleValue", "bytesValue"):
            return value
        if kind == "intValue":
            return _int_or_text(value)
        if kind == "arrayValue":
            return [_value(v) for v in value.get("values", ())]
        if kind == "kvlistValue":
            return {kv["key"]: _value(kv.get("value")) for kv in value.get("values", ())}
    return None


_KINDS = {name: camel for camel, proto in VALUE_KINDS.items() for name in (camel, proto)}


def _attributes(items: list | None) -> dict[str, Any]:
    return {item["key"]: _value(item.get("value")) for item in items or ()}


def _dict_spans(request: dict) -> Iterator[tuple[dict[str, Any], SpanFacts]]:
    for resource_spans in _get(request, "resourceSpans") or ():
        resource_attrs = _attributes((resource_spans.get("resource") or {}).get("attributes"))
        for scope_spans in _get(resource_spans, "scopeSpans") or ():
            for span in scope_spans.get("spans") or ():
                yield resource_attrs, SpanFacts(
                    _attributes(span.get("attributes")),
                    _get(span, "startTimeUnixNano"),
                    _get(span, "endTimeUnixNano"),
                    _get(span, "traceId") or "",
                    _get(span, "spanId") or "",
                    (span.get("status") or {}).get("code") in ERROR_CODES,
                )


def _proto_value(any_value: Any) -> Any:
    """The Python value of an `opentelemetry.proto` AnyValue (bytes as base64 text, as OTLP JSON has them)."""
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_proto_value(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _proto_value(kv.value) for kv in any_value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(any_value.bytes_value).decode()
    return getattr(any_value, kind)


def _proto_attributes(items: Any) -> dict[str, Any]:
    return {kv.key: _proto_value(kv.value) for kv in items}


def _proto_spans(request: Any) -> Iterator[tuple[dict[str, Any], SpanFacts]]:
    """The spans of an `opentelemetry.proto` ExportTraceServiceRequest (typed Any: the generated classes are dynamic)."""
    for resource_spans in request.resource_spans:
        resource_attrs = _proto_attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield resource_attrs, SpanFacts(
                    _proto_attributes(span.attributes),
                    span.start_time_unix_nano,
                    span.end_time_unix_nano,
                    span.trace_id.hex(),
                    span.span_id.hex(),
                    span.status.code == 2,  # STATUS_CODE_ERROR
                )


def request_from_proto(message: Message) -> dict[str, Any]:
    """An `opentelemetry.proto` ExportTraceServiceRequest as an OTLP JSON dict (hex ids), for writing it out.

    `map_request` reads the message itself; this is for tools that want the JSON form.
    """
    from google.protobuf.json_format import MessageToDict

    request = MessageToDict(message)
    for resource_spans in request.get("resourceSpans", ()):
        for scope_spans in resource_spans.get("scopeSpans", ()):
            for span in scope_spans.get("spans", ()):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if span.get(key):  # protobuf's JSON writes bytes as base64; OTLP JSON uses hex
                        span[key] = base64.b64decode(span[key]).hex()
    return request

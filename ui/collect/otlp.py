"""OTLP/HTTP bodies: a request's bytes -> ExportTraceServiceRequest, and the answers in the request's encoding.

What the OTLP specification (OTLP/HTTP) asks of a server, and what is done here:

- bodies are `application/x-protobuf` or `application/json` (anything else: 415),
  optionally `Content-Encoding: gzip` or `deflate` (another coding: 415);
- JSON is the protobuf JSON mapping with two OTLP rules: trace and span ids are hex,
  not base64, and unknown fields are ignored;
- a body larger than the limit, compressed or after decompression, is 413; one that
  does not decode or parse is 400;
- success is 200 with an `ExportTraceServiceResponse`, whose `partial_success`
  counts the rejected spans; every 4xx/5xx carries a `google.rpc.Status`; both are
  encoded like the request (protobuf or JSON).

Parsing uses the official `opentelemetry-proto` messages and protobuf's JSON parser.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from google.rpc import code_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
ENCODINGS = ("identity", "gzip", "deflate")
# The google.rpc.Code of each HTTP status this server answers with an error.
GRPC_CODES = {400: code_pb2.INVALID_ARGUMENT, 401: code_pb2.UNAUTHENTICATED, 408: code_pb2.DEADLINE_EXCEEDED, 413: code_pb2.INVALID_ARGUMENT,
              415: code_pb2.INVALID_ARGUMENT, 429: code_pb2.RESOURCE_EXHAUSTED, 500: code_pb2.INTERNAL,
              503: code_pb2.UNAVAILABLE}
_ID_LENGTHS = {"traceId": 32, "spanId": 16, "parentSpanId": 16, "trace_id": 32, "span_id": 16, "parent_span_id": 16}


class BodyError(Exception):
    """A request body this server refuses: `status` is the HTTP status, the message says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def media_type(content_type: str | None) -> str | None:
    """`application/x-protobuf` or `application/json` for a Content-Type header, else None.

    >>> media_type("application/json; charset=utf-8"), media_type("text/plain"), media_type(None)
    ('application/json', None, None)
    """
    kind = (content_type or "").split(";")[0].strip().lower()
    return kind if kind in (PROTOBUF, JSON) else None


def decompress(body: bytes, encoding: str, limit: int) -> bytes:
    """The body without its Content-Encoding; BodyError 413 past `limit` bytes, 400 when it is not valid."""
    if encoding == "identity":
        return body
    windows = (16 + zlib.MAX_WBITS,) if encoding == "gzip" else (zlib.MAX_WBITS, -zlib.MAX_WBITS)  # deflate: zlib, or raw
    for wbits in windows:
        inflater = zlib.decompressobj(wbits)
        try:
            data = inflater.decompress(body, limit + 1)
        except zlib.error:
            continue
        if len(data) > limit or inflater.unconsumed_tail:
            raise BodyError(413, f"The body is larger than {limit:,} bytes once decompressed.")
        if not inflater.eof:
            raise BodyError(400, f"The {encoding} body is truncated.")
        return data
    raise BodyError(400, f"The body is not valid {encoding} data.")


def parse_request(body: bytes, media: str) -> ExportTraceServiceRequest:
    """An ExportTraceServiceRequest from an uncompressed body; BodyError 400 when it does not parse."""
    request = ExportTraceServiceRequest()
    if media == PROTOBUF:
        try:
            request.ParseFromString(body)
        except (DecodeError, RuntimeError, ValueError) as error:
            raise BodyError(400, f"The body is not a protobuf ExportTraceServiceRequest ({error}).") from None
        return request
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise BodyError(400, f"The body is not valid JSON ({error}).") from None
    if not isinstance(document, dict):
        raise BodyError(400, "The body is not an OTLP JSON ExportTraceServiceRequest (an object with resourceSpans).")
    try:
        _hex_ids_to_base64(document)
        json_format.ParseDict(document, request, ignore_unknown_fields=True)
    except (json_format.ParseError, AttributeError, TypeError, ValueError) as error:
        raise BodyError(400, f"The body is not an OTLP JSON ExportTraceServiceRequest ({error}).") from None
    return request


def _hex_ids_to_base64(document: dict) -> None:
    """OTLP JSON writes ids as hex; protobuf's JSON parser reads bytes as base64."""
    for resource_spans in document.get("resourceSpans") or document.get("resource_spans") or ():
        for scope_spans in resource_spans.get("scopeSpans") or resource_spans.get("scope_spans") or ():
            for span in scope_spans.get("spans") or ():
                _convert_ids(span)
                for link in span.get("links") or ():
                    _convert_ids(link)


def _convert_ids(item: dict) -> None:
    for key, length in _ID_LENGTHS.items():
        value = item.get(key)
        if value in (None, ""):
            continue
        if not isinstance(value, str) or len(value) != length:
            raise ValueError(f"{key} {value!r} is not {length} hex digits")
        try:
            item[key] = base64.b64encode(bytes.fromhex(value)).decode()
        except (ValueError, binascii.Error):
            raise ValueError(f"{key} {value!r} is not {length} hex digits") from None


def success_body(media: str, rejected: int = 0, message: str = "") -> bytes:
    """The 200 answer: an ExportTraceServiceResponse, with partial_success when spans were rejected."""
    response = ExportTraceServiceResponse()
    if rejected:
        response.partial_success.rejected_spans = rejected
        response.partial_success.error_message = message
    if media == JSON:
        return json_format.MessageToJson(response, indent=None).encode()
    return response.SerializeToString()


def status_body(media: str | None, http_status: int, message: str) -> bytes:
    """The body of a 4xx/5xx answer: a google.rpc.Status (protobuf unless the request was JSON)."""
    status = status_pb2.Status(code=GRPC_CODES.get(http_status, code_pb2.UNKNOWN), message=message)
    if media == JSON:
        return json_format.MessageToJson(status, indent=None).encode()
    return status.SerializeToString()

"""Importers for the logs and reports teams already have: `ingest(PATH, fmt=F)`.

Per-request sources land in `llm_requests`: `litellm`, `langfuse`, `otel`,
`helicone`. The providers' aggregated reports land in `vendor_usage`:
`openai-usage`, `openai-costs`, `anthropic-usage`, `anthropic-costs`. Each
module's docstring is its field mapping; docs/INGEST-FORMATS.md collects them.
"""

from __future__ import annotations

from warehouse.formats.mapping import ATTRIBUTION_COLUMNS, Field, parse_mapping
from warehouse.formats.otel import request_from_proto, request_rows
from warehouse.formats.registry import FORMATS, SourceFormat, detect_format, prepare_source

__all__ = [
    "ATTRIBUTION_COLUMNS", "FORMATS", "Field", "SourceFormat", "detect_format", "parse_mapping",
    "prepare_source", "request_from_proto", "request_rows",
]

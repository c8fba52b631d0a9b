"""Reading saved JSON documents: one document, an array of them, or one per line.

API pages (OpenAI's and Anthropic's reports) and OTLP JSON requests are saved
either way; `documents` yields each with where it came from (`line 3`, `page 2`)
so errors can name it, and refuses a malformed one naming its line and column.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from warehouse.errors import IngestError

# Both parsers are only ever given the bytes of a line or a file.
_loads: Callable[[bytes], Any]
_DecodeError: tuple[type[Exception], ...]
try:  # orjson parses OTLP lines several times faster; json is the fallback
    import orjson as _fast

    _loads = _fast.loads
    _DecodeError = (_fast.JSONDecodeError, ValueError)
except ImportError:  # pragma: no cover
    _loads = json.loads
    _DecodeError = (ValueError,)


def documents(path: Path) -> Iterator[tuple[str, object]]:
    """(where, document) for each JSON document of the file, reading JSON lines one line at a time."""
    with open(path, "rb") as handle:
        first = b""
        for first in handle:
            if first.strip():
                break
        if not first.strip():
            raise IngestError(f"{path} is empty.", path=str(path))
        handle.seek(0)
        if first.strip()[:1] not in (b"{", b"[") or not parses(first):  # one (pretty-printed) document
            yield from _whole(path, handle.read())
            return
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                document = _loads(line)
            except _DecodeError as error:
                raise IngestError(f"{path}, line {number}: not valid JSON ({_reason(error)}). Nothing of the file was loaded.", path=str(path)) from None
            yield f"{path}, line {number}", document


def _whole(path: Path, data: bytes) -> Iterator[tuple[str, object]]:
    try:
        document = json.loads(data)
    except json.JSONDecodeError as error:
        raise IngestError(
            f"{path}, line {error.lineno} column {error.colno}: not valid JSON ({error.msg}). Nothing of the file was loaded.",
            path=str(path),
        ) from None
    if isinstance(document, list):
        for index, item in enumerate(document, start=1):
            yield f"{path}, page {index}", item
    else:
        yield f"{path}, line 1", document


def strict_lines(path: Path) -> bool:
    """Whether every non-blank line of a JSON lines file is strict JSON, as `documents` reads it.

    DuckDB's reader also takes trailing commas, NaN and Infinity, and numbers past a double's
    range, which a file of another tool's making must not slip through (the caller then reads the
    file with `documents`, which names the line). simdjson validates a line without building
    Python objects (about seven times faster than orjson's parse); it refuses each of those
    leniencies as orjson does (tests/test_strict_json.py), and a little more (integers past 64
    bits), which only costs the caller its fast path.
    """
    validate = _validator()
    with open(path, "rb") as handle:
        for line in handle:
            if not line.strip():
                continue
            if line.startswith(b"\xef\xbb\xbf"):  # a byte order mark: orjson refuses it, simdjson skips it
                return False
            try:
                validate(line)
            except (ValueError, RuntimeError):  # orjson and simdjson raise ValueError; simdjson RuntimeError past 64-bit integers
                return False
    return True


def _validator() -> Callable[[bytes], object]:
    try:
        import simdjson
    except ImportError:  # pragma: no cover - the parse that `documents` makes
        return _loads
    return simdjson.Parser().parse


def parses(line: bytes) -> bool:
    """Whether the bytes are one JSON document."""
    try:
        _loads(line)
        return True
    except _DecodeError:
        return False


def _reason(error: Exception) -> str:
    return str(error).splitlines()[0]


def first_document(path: Path, limit: int = 1 << 20) -> object | None:
    """The first JSON document of a file, read from at most `limit` bytes; None when it is not JSON."""
    with open(path, "rb") as handle:
        head = handle.read(limit)
    stripped = head.strip()
    if not stripped or stripped[:1] not in (b"{", b"["):
        return None
    first_line = stripped.split(b"\n", 1)[0]
    for candidate in (first_line, stripped):
        try:
            document = _loads(candidate)
        except _DecodeError:
            continue
        return document[0] if isinstance(document, list) and document else document
    return None

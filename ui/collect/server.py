"""The OTLP/HTTP receiver: `POST /v1/traces` -> mapped rows in the spool -> committed into the lake.

A request is answered in this order (the first that applies):

1. 401 when FINOPS_COLLECT_TOKEN is set and `Authorization: Bearer <token>` is not it;
2. 415 for a Content-Type other than protobuf or JSON, or an unknown Content-Encoding;
3. 429 (Retry-After) when MAX_IN_FLIGHT requests are being read and stored already
   (a body that has not arrived within BODY_TIMEOUT_S gives its place up: 408);
4. 503 (Retry-After) when the spool holds FINOPS_COLLECT_SPOOL_MAX_MB waiting to be
   committed, or the disk refused a write;
5. 413 when the body is over FINOPS_COLLECT_MAX_BODY_MB, compressed or not;
6. 400 when it does not decode or parse;
7. 200 once its GenAI spans are appended to the spool and fsynced, with
   `partial_success.rejected_spans` counting GenAI spans that cannot become a row.
   Spans that are no GenAI call are accepted and not stored.

Memory stays bounded: at most MAX_IN_FLIGHT bodies are held at once, and the
spool on disk, not memory, absorbs a burst. A thread commits the spool every
FINOPS_COLLECT_FLUSH_S seconds, or sooner once FINOPS_COLLECT_FLUSH_ROWS rows
wait; the app's shutdown hook (SIGTERM) commits what is left.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ui.collect import otlp
from warehouse.errors import FinopsError, log_internal_error
from warehouse.formats.mapping import Field
from warehouse.formats.otel import map_request
from warehouse.settings import Settings
from warehouse.spool import CommitReport, Spool

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 8
BODY_TIMEOUT_S = 30
PATH = "/v1/traces"


@dataclass
class Counters:
    """What the collector saw since it started."""

    requests: int = 0
    spans_stored: int = 0
    spans_other: int = 0
    spans_rejected: int = 0
    rows_committed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class Collector:
    """The receiver's state: settings, the --map mapping, the spool and the committing thread."""

    def __init__(self, settings: Settings, spool: Spool, mapping: dict[str, Field] | None = None,
                 echo: Callable[[str], None] = print) -> None:
        self.settings = settings
        self.spool = spool
        self.mapping = mapping
        self.echo = echo
        self.counters = Counters()
        self.max_body = int(settings.collect_max_body_mb * 1_000_000)
        self.max_backlog = int(settings.collect_spool_max_mb * 1_000_000)
        self.in_flight = 0  # changed on the event loop only
        self._due = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- committing --------------------------------------------------------------------------------

    def commit(self) -> CommitReport | None:
        """Commit the spool now; None when it could not (the spool keeps everything for the next try)."""
        try:
            report = self.spool.commit(self.settings)
        except FinopsError as error:  # the warehouse is busy with another ingest, ...
            self.echo(f"finops collect: not committed yet: {error.user_message}")
            return None
        except Exception:  # noqa: BLE001 - our bug; the spool still holds the rows
            request_id = log_internal_error(log, "committing the spool")
            self.echo(f"finops collect: internal error (request {request_id}) while committing; the spool keeps the rows.")
            return None
        if report.segments:
            with self.counters.lock:
                self.counters.rows_committed += report.rows_loaded
            note = f", {report.rows_duplicate:,} already stored" if report.rows_duplicate else ""
            note += f", {report.rows_unpriced:,} without a price" if report.rows_unpriced else ""
            self.echo(f"finops collect: committed {report.rows_loaded:,} request(s){note}.")
        for refusal in report.refused:
            self.echo(f"finops collect: the warehouse refused {refusal}")
        return report

    def start(self) -> None:
        """Commit what an earlier run left in the spool, then commit on a timer in a thread."""
        self.commit()
        self._thread = threading.Thread(target=self._commit_loop, name="finops-collect-commit", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """The shutdown hook: stop the timer, commit the spool, close it."""
        self._stop.set()
        self._due.set()
        if self._thread is not None:
            self._thread.join()
        self.commit()
        self.spool.close()
        left = self.spool.backlog_bytes()
        if self.spool.sealed() or left:
            self.echo("finops collect: some requests stay in the spool; the next `finops collect` commits them.")

    def _commit_loop(self) -> None:
        while not self._stop.is_set():
            self._due.wait(self.settings.collect_flush_s)
            self._due.clear()
            if self._stop.is_set():
                return
            self.commit()

    # --- receiving ---------------------------------------------------------------------------------

    def receive(self, body: bytes, media: str, encoding: str) -> tuple[int, bytes]:
        """Decode, map and spool one request body (in a worker thread); (HTTP status, response body)."""
        try:
            return self._receive(body, media, encoding)
        except Exception:  # noqa: BLE001 - our bug: logged with a request id, nothing acknowledged
            request_id = log_internal_error(log, "receiving spans")
            return 500, otlp.status_body(media, 500, f"Something went wrong on our side (request {request_id}).")

    def _receive(self, body: bytes, media: str, encoding: str) -> tuple[int, bytes]:
        try:
            data = otlp.decompress(body, encoding, self.max_body)
            request = otlp.parse_request(data, media)
        except otlp.BodyError as error:
            return error.status, otlp.status_body(media, error.status, error.message)
        del body
        mapped = map_request(request, self.mapping)
        if mapped.rows:
            try:
                pending = self.spool.append(mapped.rows)
            except OSError as error:
                log.error("finops collect: the spool refused a write: %s", error)
                return 503, otlp.status_body(media, 503, "The collector cannot store spans right now; retry later.")
            if pending >= self.settings.collect_flush_rows:
                self._due.set()
        with self.counters.lock:
            self.counters.requests += 1
            self.counters.spans_stored += len(mapped.rows)
            self.counters.spans_other += mapped.other_spans
            self.counters.spans_rejected += len(mapped.rejected)
        message = ""
        if mapped.rejected:
            span_id, problem = mapped.rejected[0]
            more = f" (and {len(mapped.rejected) - 1} more)" if len(mapped.rejected) > 1 else ""
            message = f"GenAI span {span_id or '?'} was rejected: {problem}{more}."
        return 200, otlp.success_body(media, len(mapped.rejected), message)

    def overloaded(self) -> str | None:
        """Why a request must wait (the spool is full, or the disk failed), else None."""
        if self.spool.broken:
            return f"The collector cannot store spans: {self.spool.broken}."
        if self.spool.backlog_bytes() >= self.max_backlog:
            return "The collector's spool is full until the warehouse takes it in; retry later."
        return None

    def authorized(self, header: str | None) -> bool:
        token = self.settings.collect_token
        if not token:
            return True
        scheme, _, given = (header or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def build_app(collector: Collector) -> Starlette:
    """The ASGI app: `POST /v1/traces`; its lifespan's shutdown commits the spool."""
    retry_after = str(max(1, round(collector.settings.collect_flush_s)))

    def error(media: str | None, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        return Response(otlp.status_body(media, status, message), status, headers=headers,
                        media_type=media if media == otlp.JSON else otlp.PROTOBUF)

    async def traces(request: Request) -> Response:
        media = otlp.media_type(request.headers.get("content-type"))
        if not collector.authorized(request.headers.get("authorization")):
            return error(media, 401, "A valid bearer token is required (Authorization: Bearer <FINOPS_COLLECT_TOKEN>).",
                         {"WWW-Authenticate": "Bearer"})
        if media is None:
            return error(None, 415, f"Content-Type must be {otlp.PROTOBUF} or {otlp.JSON}.")
        encoding = (request.headers.get("content-encoding") or "identity").strip().lower()
        if encoding not in otlp.ENCODINGS:
            return error(media, 415, f"Content-Encoding {encoding!r} is not supported; use gzip, deflate or none.")
        if collector.in_flight >= MAX_IN_FLIGHT:
            return error(media, 429, "Too many requests at once; retry shortly.", {"Retry-After": "1"})
        busy = collector.overloaded()
        if busy:
            return error(media, 503, busy, {"Retry-After": retry_after})
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > collector.max_body:
            return error(media, 413, f"The body is larger than {collector.max_body:,} bytes.")
        collector.in_flight += 1
        try:
            chunks, size = [], 0
            with anyio.move_on_after(BODY_TIMEOUT_S) as waited:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > collector.max_body:
                        return error(media, 413, f"The body is larger than {collector.max_body:,} bytes.")
                    chunks.append(chunk)
            if waited.cancelled_caught:  # a sender that stalls must not hold one of the MAX_IN_FLIGHT places
                return error(media, 408, f"The body did not arrive within {BODY_TIMEOUT_S} s.")
            status, body = await run_in_threadpool(collector.receive, b"".join(chunks), media, encoding)
        finally:
            collector.in_flight -= 1
        return Response(body, status, media_type=media)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await anyio.to_thread.run_sync(collector.stop)

    return Starlette(routes=[Route(PATH, traces, methods=["POST"])], lifespan=lifespan)

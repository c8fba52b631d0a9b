"""The collector's spool: rows made durable before they are acknowledged, then committed into the lake.

Layout under FINOPS_HOME::

    collect/spool/<seq>.spool      append-only segments of framed row batches; the newest is open
    collect/commit/<seq>.parquet   a sealed segment as Parquet, while the ingest reads it
    collect/refused/<seq>.spool    a segment the ingest refused, kept for a person (and logged)
    collect/collect.lock           one collector per FINOPS_HOME

A frame is `FSP1`, the payload's length and CRC-32 (little-endian uint32), then
the payload: one batch of llm_requests rows as an Arrow IPC stream. `append`
returns only once its frame is written and fsynced (appends that overlap share
one fsync), so the caller may acknowledge the batch. A process killed in the
middle of an append leaves a torn last frame that nobody was told about: reading
a segment stops at the first frame that is short or fails its checksum.

`commit` seals the open segment and loads every sealed one through
`warehouse.ingest.ingest` (validated, de-duplicated by request_id, priced,
atomic, ledgered), puts the new lake files on disk (`os.sync`), then deletes the
segment. A crash anywhere in between leaves the segment where it was; committing
it again adds nothing twice, since a request is known by its id. So what
`append` returned for is in the warehouse exactly once, whenever the process dies.
"""

from __future__ import annotations

import fcntl
import logging
import os
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.contract import TABLES
from warehouse.demo.schema import arrow_schema
from warehouse.errors import WarehouseError
from warehouse.settings import Settings

log = logging.getLogger(__name__)

MAGIC = b"FSP1"
_HEADER = struct.Struct("<4sII")  # magic, payload length, crc32
SCHEMA = arrow_schema(TABLES["llm_requests"])
_PARQUET_BATCH_ROWS = 65_536


@dataclass
class _Segment:
    path: Path
    fd: int
    size: int = 0
    rows: int = 0
    synced: int = 0
    closed: bool = False
    sync_lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class CommitReport:
    """What one commit did: segments loaded, rows stored and dropped as duplicates, segments refused."""

    segments: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    rows_duplicate: int = 0
    rows_unpriced: int = 0
    refused: tuple[str, ...] = ()


def encode_rows(rows: list[dict[str, Any]]) -> bytes:
    """One batch of llm_requests rows as a frame payload (an Arrow IPC stream)."""
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, SCHEMA) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def read_frames(path: Path) -> Iterator[bytes]:
    """The payloads of a segment's whole frames, in order; stops at a torn or corrupt frame."""
    with open(path, "rb") as handle:
        while True:
            header = handle.read(_HEADER.size)
            if len(header) < _HEADER.size:
                if header:
                    log.warning("%s: a torn frame at its end (never acknowledged) is left out", path)
                return
            magic, length, crc = _HEADER.unpack(header)
            payload = handle.read(length) if magic == MAGIC else b""
            if magic != MAGIC or len(payload) < length or zlib.crc32(payload) != crc:
                log.warning("%s: a torn frame at byte %d (never acknowledged) and what follows are left out", path, handle.tell())
                return
            yield payload


class Spool:
    """The spool of one collector; `open` before use, `close` after."""

    def __init__(self, home: Path) -> None:
        self.root = Path(home) / "collect"
        self.folder = self.root / "spool"
        self.commit_folder = self.root / "commit"
        self.refused_folder = self.root / "refused"
        self._lock_handle: Any = None
        self._lock = threading.Lock()  # the open segment: writes and sealing
        self._commit_lock = threading.Lock()
        self._active: _Segment | None = None
        self._sealed_bytes = 0
        self.broken: str | None = None  # why appends are refused (a disk error), else None

    # --- lifecycle ---------------------------------------------------------------------------------

    def open(self) -> None:
        """Take the collector's lock on FINOPS_HOME and start a new segment; WarehouseError when another collector has it."""
        for folder in (self.folder, self.commit_folder, self.refused_folder):
            folder.mkdir(parents=True, exist_ok=True)
        handle = open(self.root / "collect.lock", "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise WarehouseError(
                f"Another `finops collect` is running on {self.root.parent}; stop it first (one collector per FINOPS_HOME)."
            ) from None
        self._lock_handle = handle
        for stale in self.commit_folder.glob("*.parquet"):  # a commit that died; its segment is still spooled
            stale.unlink(missing_ok=True)
        self._sealed_bytes = sum(path.stat().st_size for path in self.sealed())
        self._active = self._new_segment()

    def close(self) -> None:
        """fsync and close the open segment (it stays for the next commit) and release the lock."""
        with self._lock:
            if self._active is not None:
                self._finish(self._active)
                if self._active.size == 0:
                    self._active.path.unlink(missing_ok=True)
                self._active = None
        if self._lock_handle is not None:
            fcntl.flock(self._lock_handle, fcntl.LOCK_UN)
            self._lock_handle.close()
            self._lock_handle = None

    def _new_segment(self) -> _Segment:
        numbers = [int(p.stem) for p in self.folder.glob("*.spool") if p.stem.isdigit()]
        path = self.folder / f"{max(numbers, default=0) + 1:012d}.spool"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        _fsync_folder(self.folder)
        return _Segment(path, fd)

    @staticmethod
    def _finish(segment: _Segment) -> None:
        with segment.sync_lock:
            if not segment.closed:
                os.fsync(segment.fd)
                segment.synced = segment.size
                os.close(segment.fd)
                segment.closed = True

    # --- appending ---------------------------------------------------------------------------------

    def append(self, rows: list[dict[str, Any]]) -> int:
        """Make `rows` durable; returns the rows now in the open segment. OSError when the disk refuses."""
        if self.broken:
            raise OSError(self.broken)
        payload = encode_rows(rows)
        frame = _HEADER.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload
        with self._lock:
            segment = self._active
            if segment is None:
                raise OSError("the spool is closed")
            start = segment.size
            try:
                _write_all(segment.fd, frame)
            except OSError as error:
                try:
                    os.ftruncate(segment.fd, start)  # no half frame before the next one
                except OSError:
                    self.broken = f"the spool {segment.path} could not be written ({error.strerror or error})"
                raise
            segment.size += len(frame)
            segment.rows += len(rows)
            end, pending = segment.size, segment.rows
        self._sync(segment, end)
        return pending

    def _sync(self, segment: _Segment, end: int) -> None:
        with segment.sync_lock:
            if segment.synced >= end:  # an fsync of another append (or sealing) covered this frame
                return
            target = segment.size
            try:
                os.fsync(segment.fd)
            except OSError as error:
                self.broken = f"the spool {segment.path} could not be made durable ({error.strerror or error})"
                raise
            segment.synced = target

    @property
    def pending_rows(self) -> int:
        """Rows in the open segment."""
        segment = self._active
        return segment.rows if segment is not None else 0

    def backlog_bytes(self) -> int:
        """Bytes acknowledged and not yet committed (sealed segments and the open one)."""
        segment = self._active
        return self._sealed_bytes + (segment.size if segment is not None else 0)

    # --- committing --------------------------------------------------------------------------------

    def seal(self) -> None:
        """Close the open segment when it holds rows and start the next one."""
        with self._lock:
            segment = self._active
            if segment is None or segment.size == 0:
                return
            self._active = self._new_segment()
            self._finish(segment)
            self._sealed_bytes += segment.size

    def sealed(self) -> list[Path]:
        """Segments waiting for a commit, oldest first."""
        active = self._active.path if self._active is not None else None
        return sorted(p for p in self.folder.glob("*.spool") if p != active)

    def commit(self, settings: Settings) -> CommitReport:
        """Seal the open segment and load every sealed one into llm_requests; delete what was loaded.

        WarehouseError when the warehouse is busy (another ingest): the segments stay for the next commit.
        """
        from warehouse.ingest import ingest

        with self._commit_lock:
            self.seal()
            files: dict[str, Path] = {}
            rows_read = 0
            for segment in self.sealed():
                out = self.commit_folder / f"{segment.stem}.parquet"
                rows = _to_parquet(segment, out)
                if rows:
                    files[str(out)] = segment
                    rows_read += rows
                else:
                    self._forget(segment)
            if not files:
                return CommitReport()
            try:
                report = ingest([Path(p) for p in files], settings, table="llm_requests", fmt="parquet")
            finally:
                for path in files:
                    Path(path).unlink(missing_ok=True)
            if report.rows_loaded:
                os.sync()  # the lake files on disk before their segments go: a power cut must not lose them either
            refused = []
            for result in report.results:
                segment = files[result.path]
                if result.status == "refused":
                    refused.append(f"{segment.name}: {result.message}")
                    log.error("spool segment %s was refused by the ingest and kept in %s: %s", segment, self.refused_folder, result.message)
                    self._forget(segment, keep_in=self.refused_folder)
                else:
                    self._forget(segment)
            return CommitReport(
                segments=len(files),
                rows_read=rows_read,
                rows_loaded=report.rows_loaded,
                rows_duplicate=sum(r.rows_duplicate for r in report.results),
                rows_unpriced=sum(r.rows_unpriced for r in report.results),
                refused=tuple(refused),
            )

    def _forget(self, segment: Path, keep_in: Path | None = None) -> None:
        try:
            size = segment.stat().st_size
        except FileNotFoundError:
            return
        if keep_in is not None:
            segment.rename(keep_in / f"{time.strftime('%Y%m%dT%H%M%S')}-{segment.name}")
        else:
            segment.unlink()
        with self._lock:
            self._sealed_bytes = max(0, self._sealed_bytes - size)


def _to_parquet(segment: Path, out: Path) -> int:
    """The whole frames of a segment as one Parquet file; returns its rows (0: no file written)."""
    rows = 0
    batch: list[pa.Table] = []
    batched = 0
    writer: pq.ParquetWriter | None = None
    try:
        for payload in read_frames(segment):
            table = pa.ipc.open_stream(payload).read_all()
            batch.append(table)
            batched += table.num_rows
            if batched >= _PARQUET_BATCH_ROWS:
                writer = writer or pq.ParquetWriter(out, SCHEMA)
                writer.write_table(pa.concat_tables(batch))
                rows, batch, batched = rows + batched, [], 0
        if batched:
            writer = writer or pq.ParquetWriter(out, SCHEMA)
            writer.write_table(pa.concat_tables(batch))
            rows += batched
    finally:
        if writer is not None:
            writer.close()
    return rows


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

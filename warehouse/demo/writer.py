"""Streaming Parquet output: one folder per table, written in a staging directory.

`PartWriter` buffers incoming chunks into row groups of a fixed size and rolls
over to a new `part-NNNNN.parquet` file after `rows_per_file` rows, so memory
stays bounded by one row group whatever the data set's size. `staged_output`
builds the data set in a hidden sibling directory and renames it into place
only when generation succeeded; a failed run leaves nothing that looks complete.
"""

from __future__ import annotations

import os
import shutil
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


class PartWriter:
    """Write one table as zstd Parquet parts under `folder`."""

    def __init__(self, folder: Path, schema: pa.Schema, *, row_group_rows: int = 262_144,
                 rows_per_file: int = 32 * 262_144, dictionary_columns: Sequence[str] | bool = True,
                 no_statistics: Sequence[str] = (), store_schema: bool = True) -> None:
        self.folder = folder
        self.schema = schema
        self.row_group_rows = row_group_rows
        self.rows_per_file = rows_per_file
        self.dictionary_columns = dictionary_columns if isinstance(dictionary_columns, bool) else list(
            dictionary_columns)
        # Min/max statistics of random ids prune nothing and cost a quarter of the write time.
        self.statistics_columns = [name for name in schema.names if name not in no_statistics]
        self.store_schema = store_schema
        self.rows_written = 0
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self._writer: pq.ParquetWriter | None = None
        self._file_rows = 0
        self._parts = 0
        folder.mkdir(parents=True, exist_ok=True)

    def write(self, table: pa.Table) -> None:
        """Queue rows; full row groups are written at once."""
        if not table.schema.equals(self.schema):
            raise ValueError(f"{self.folder.name}: chunk schema differs from the table schema")
        if table.num_rows:
            self._buffer.append(table)
            self._buffered += table.num_rows
        while self._buffered >= self.row_group_rows:
            self._flush(self.row_group_rows)

    def close(self) -> int:
        """Write what is buffered (or an empty part for an empty table); return the row count."""
        if self._buffered or self._writer is None:
            self._flush(self._buffered)
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        return self.rows_written

    def abandon(self) -> None:
        """Stop without writing what is buffered (the staging directory is discarded anyway)."""
        self._buffer, self._buffered = [], 0
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _flush(self, rows: int) -> None:
        pending = pa.concat_tables(self._buffer) if self._buffer else self.schema.empty_table()
        group, rest = pending.slice(0, rows), pending.slice(rows)
        self._buffer = [rest] if rest.num_rows else []
        self._buffered = rest.num_rows
        if self._writer is None or self._file_rows >= self.rows_per_file:
            self._open_part()
        assert self._writer is not None
        self._writer.write_table(group, row_group_size=max(rows, 1))
        self._file_rows += group.num_rows
        self.rows_written += group.num_rows

    def _open_part(self) -> None:
        if self._writer is not None:
            self._writer.close()
        path = self.folder / f"part-{self._parts:05d}.parquet"
        self._writer = pq.ParquetWriter(path, self.schema, compression="zstd",
                                        use_dictionary=self.dictionary_columns,
                                        write_statistics=self.statistics_columns,
                                        store_schema=self.store_schema)
        self._parts += 1
        self._file_rows = 0


class BackgroundWriter:
    """A `PartWriter` fed from a worker thread, so encoding overlaps generation.

    Parquet encoding and compression release the GIL; at most `pending` chunks
    wait in the queue, which bounds memory.
    """

    def __init__(self, writer: PartWriter, *, pending: int = 2) -> None:
        self.writer = writer
        self.pending = pending
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"write-{writer.folder.name}")
        self._queue: deque[Future[None]] = deque()

    def write(self, table: pa.Table) -> None:
        self._queue.append(self._executor.submit(self.writer.write, table))
        while len(self._queue) > self.pending:
            self._queue.popleft().result()

    def close(self) -> int:
        try:
            while self._queue:
                self._queue.popleft().result()
            return self._executor.submit(self.writer.close).result()
        finally:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def abandon(self) -> None:
        """Drop queued chunks and stop the worker thread."""
        self._queue.clear()
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.writer.abandon()


def check_out_dir(out_dir: Path) -> None:
    """Refuse an output directory that exists and holds anything."""
    if out_dir.exists():
        if not out_dir.is_dir():
            raise ValueError(f"{out_dir} exists and is not a directory")
        if any(out_dir.iterdir()):
            raise ValueError(f"{out_dir} is not empty; choose a new or empty directory for the demo data")


@contextmanager
def staged_output(out_dir: Path) -> Iterator[Path]:
    """Yield a staging directory that becomes `out_dir` if the block succeeds."""
    out_dir = out_dir.absolute()
    check_out_dir(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.parent / f".{out_dir.name}.partial-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        yield staging
        check_out_dir(out_dir)
        if out_dir.exists():
            out_dir.rmdir()
        staging.rename(out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)

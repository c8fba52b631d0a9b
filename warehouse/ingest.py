"""Loading files into the lake: validated, typed, de-duplicated, priced, atomic.

Each file is all-or-nothing: its rows are written as Parquet into a staging
folder, moved into the lake, and only then listed in the ledger, in the same
catalog transaction that redefines the table's view. A load that dies before
that commit leaves files nobody lists; the next ingest deletes them. A file
whose content (sha256) was loaded before is skipped.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import sqlglot.expressions as exp

from warehouse.contract import TABLES, TableContract
from warehouse.errors import IngestError
from warehouse.focus import METADATA_KEY as FOCUS_METADATA_KEY
from warehouse.focus import infer_version, is_version_column
from warehouse.formats import Field, detect_format, prepare_source
from warehouse.formats.registry import FORMATS as SOURCE_FORMATS
from warehouse.formats.registry import VIEW as FORMAT_VIEW
from warehouse.formats.registry import Prepared
from warehouse.formats.registry import discard as discard_source
from warehouse.lake import Lake, Manifest, create_views, view_sql
from warehouse.normalize import TypedSelect, diagnose_types, type_error, typed_select
from warehouse.pricing import choose_prices, fill_providers, priced_query, register_prices
from warehouse.settings import Settings
from warehouse.sources import SourceFile, choose_table, discover, reader

# The keys of a file already in the lake, while it loads.
_LOADED = "_loaded_keys"
# Prices before the requests they price; the rest in contract order.
LOAD_ORDER = ("model_prices", "budgets", "gpu_usage", "billing", "llm_requests", "vendor_usage")

ProgressCallback = Callable[[str, float], None]


@dataclass(frozen=True)
class FileResult:
    path: str
    table: str | None
    status: str  # loaded, skipped, refused
    message: str = ""
    rows_read: int = 0
    rows_loaded: int = 0
    rows_duplicate: int = 0
    rows_priced: int = 0
    rows_unpriced: int = 0
    source_format: str | None = None  # litellm, otel, ... when the file was one
    # Models priced from the price catalog: ("anthropic/claude-3-haiku-20240307", "genai-prices 0.2.3: anthropic/claude-3-haiku", rows)
    priced_from_catalog: tuple[tuple[str, str, int], ...] = ()


@dataclass(frozen=True)
class IngestReport:
    results: tuple[FileResult, ...] = field(default_factory=tuple)

    @property
    def refused(self) -> tuple[FileResult, ...]:
        return tuple(r for r in self.results if r.status == "refused")

    @property
    def rows_loaded(self) -> int:
        return sum(r.rows_loaded for r in self.results)

    @property
    def priced_from_catalog(self) -> tuple[tuple[str, str, int], ...]:
        """(provider/model, catalog price used, requests) over every file."""
        return tuple(item for r in self.results for item in r.priced_from_catalog)


class IngestProgress:
    """Hooks for a progress display; the default shows nothing."""

    def file_started(self, source: SourceFile, index: int, total: int) -> None: ...

    def file_progress(self, phase: str, fraction: float) -> None: ...

    def file_done(self, result: FileResult) -> None: ...


def ingest(
    paths: list[Path],
    settings: Settings,
    *,
    table: str | None = None,
    fmt: str = "auto",
    mapping: dict[str, Field] | None = None,
    progress: IngestProgress | None = None,
) -> IngestReport:
    """Load files or folders into the warehouse; a refused file never stops the others.

    `fmt` is a file format (auto, parquet, csv, json, focus) or a source format
    (litellm, langfuse, otel, helicone, openai-usage, openai-costs, anthropic-usage,
    anthropic-costs; `auto` recognizes them from the content). `mapping`
    (`warehouse.formats.parse_mapping` of `--map` entries) says where a per-request
    source's team, feature, environment and user come from.
    """
    progress = progress or IngestProgress()
    if table is not None and table not in TABLES:
        raise IngestError(f"Unknown table {table!r}; tables are {', '.join(TABLES)}.")
    sources = discover(paths, fmt)
    lake = Lake(settings.home)
    with lake.ingest_lock():
        manifest = _recover(lake)
        con = _ingest_connection(settings, lake)
        try:
            create_views(con, manifest)
            placed = [_place(con, source, table, fmt) for source in sources]
            placed.sort(key=lambda item: LOAD_ORDER.index(item[1].name) if isinstance(item[1], TableContract) else -1)
            results = []
            for index, (source, placement) in enumerate(placed):
                progress.file_started(source, index, len(placed))
                if isinstance(placement, IngestError):
                    result = FileResult(str(source.path), None, "refused", placement.user_message)
                else:
                    result = _load_one(con, lake, source, placement, fmt, progress, mapping)
                results.append(result)
                progress.file_done(result)
        finally:
            con.close()
            shutil.rmtree(lake.staging, ignore_errors=True)
    return IngestReport(tuple(results))


def _recover(lake: Lake) -> Manifest:
    """The committed manifest, after deleting files of loads that never committed."""
    if not lake.exists():
        lake.create()
    manifest = lake.manifest()
    for orphan in lake.orphan_files(manifest):
        orphan.unlink(missing_ok=True)
    shutil.rmtree(lake.staging, ignore_errors=True)
    return manifest


def _ingest_connection(settings: Settings, lake: Lake) -> duckdb.DuckDBPyConnection:
    tmp = lake.home / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        config={
            "threads": settings.threads,
            "memory_limit": settings.memory_limit,
            "preserve_insertion_order": False,
            "temp_directory": str(tmp),
        }
    )
    con.execute("SET TimeZone = 'UTC'")
    # Flush each month's rows every row group instead of buffering ~0.5M rows per month:
    # halves peak memory of a 10M-row load at no measurable cost in time.
    con.execute("SET partitioned_write_flush_threshold = 262144")
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    return con


def _place(con: duckdb.DuckDBPyConnection, source: SourceFile, table: str | None, fmt: str) -> tuple[SourceFile, TableContract | IngestError]:
    """(source, TableContract) or (source, IngestError) when the file cannot be read or placed."""
    try:
        if source.kind is None and fmt == "auto" and table is None:
            detected = detect_format(source.path, source.format)
            if detected is not None:
                source = SourceFile(source.path, source.format, source.table_hint, detected)
        if source.kind is not None:
            target = SOURCE_FORMATS[source.kind].table
            if table is not None and table != target:
                raise IngestError(f"--format {source.kind} loads into {target}, not {table}.", path=str(source.path))
            return source, TABLES[target]
        columns = _describe(con, source)
        return source, choose_table(source, [name for name, _ in columns], table, fmt)
    except IngestError as error:
        return source, error


def _describe(con: duckdb.DuckDBPyConnection, source: SourceFile) -> list[tuple[str, str]]:
    query = exp.select("*").from_(exp.Table(this=reader(source)))
    try:
        return [(row[0], row[1]) for row in con.execute("DESCRIBE " + query.sql("duckdb")).fetchall()]
    except duckdb.Error as error:
        raise IngestError(
            f"Cannot read {source.path} as {source.format}: {_first_line(error)}. "
            f"Check that the file is complete, or pass --format.",
            path=str(source.path),
        ) from None


def _load_one(con: duckdb.DuckDBPyConnection, lake: Lake, source: SourceFile, table: TableContract, fmt: str, progress: IngestProgress,
              mapping: dict[str, Field] | None = None) -> FileResult:
    path = str(source.path)
    try:
        digest, size = _sha256(source.path)
        previous = _previous_load(lake, digest, table.name)
        if previous is not None:
            return FileResult(path, table.name, "skipped", f"already loaded on {previous:%Y-%m-%d %H:%M} UTC", source_format=source.kind)
        prepared = None
        relation: exp.Expr
        if source.kind is not None:
            prepared = prepare_source(con, source.path, source.kind, source.format, mapping, scratch=lake.staging / "formats")
            relation = exp.to_identifier(FORMAT_VIEW)
            described = [(row[0], row[1]) for row in con.execute(f"DESCRIBE {FORMAT_VIEW}").fetchall()]
        else:
            relation = reader(source)
            described = _describe(con, source)
        typed = typed_select(table, relation, described, path)
        con.execute(exp.Create(this=exp.to_table("_src"), kind="VIEW", replace=True, expression=typed.query, properties=exp.Properties(expressions=[exp.TemporaryProperty()])).sql("duckdb"))
        stats = _stats(con, table, typed, relation, path, progress, prepared)
        body, counts = _body(con, lake, table, stats)
        load_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}_{uuid.uuid4().hex[:8]}"
        written = _write(con, lake, table, body, load_id, progress, _file_metadata(table, typed, described))
        moved = _move_into_lake(lake, table, written, load_id)
        try:
            _commit(lake, table, source, fmt, digest, size, load_id, moved, stats, counts)
        except BaseException:
            for file in moved:
                file.unlink(missing_ok=True)
            raise
        create_views(con, lake.manifest())
        return FileResult(
            path,
            table.name,
            "loaded",
            _unpriced_note(counts),
            rows_read=stats["rows"],
            rows_loaded=counts["loaded"],
            rows_duplicate=counts["duplicate"],
            rows_priced=counts["priced"],
            rows_unpriced=counts["unpriced"],
            source_format=source.kind,
            priced_from_catalog=tuple(counts.get("catalog", ())),
        )
    except IngestError as error:
        return FileResult(path, table.name, "refused", error.user_message, source_format=source.kind)
    finally:
        con.execute("DROP VIEW IF EXISTS _src")
        con.execute(f"DROP TABLE IF EXISTS {_LOADED}")
        discard_source(con)


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _previous_load(lake: Lake, digest: str, table: str) -> datetime | None:
    with lake.catalog() as cat:
        rows = cat.execute(
            "SELECT max(loaded_at) FROM _finops_loads WHERE sha256 = $1 AND table_name = $2", [digest, table]
        ).fetchall()
    return rows[0][0]


def _stats(con: duckdb.DuckDBPyConnection, table: TableContract, typed: TypedSelect, relation: exp.Expr, path: str,
           progress: IngestProgress, prepared: Prepared | None = None) -> dict:
    """One pass over the typed file: counts, and the type check (DuckDB refuses a bad value here)."""
    aggregates = [exp.alias_(exp.Count(this=exp.Star()), "rows")]
    required_values = [c for c in (table.key, table.time_column) if c]
    required_values += [c for c in (prepared.required if prepared else ()) if c not in required_values]
    for name in required_values:
        aggregates.append(exp.alias_(exp.func("count_if", exp.Is(this=exp.column(name, quoted=True), expression=exp.null())), f"null_{name}"))
    if table.name == "llm_requests":
        aggregates.append(exp.alias_(exp.func("count_if", exp.Is(this=exp.column("cost_usd"), expression=exp.null())), "null_cost"))
        aggregates.append(exp.alias_(exp.func("count_if", exp.Is(this=exp.column("provider"), expression=exp.null())), "null_provider"))
    if table.key:
        distinct = exp.Count(this=exp.Distinct(expressions=[exp.column(table.key, quoted=True)]))
        aggregates.append(exp.alias_(exp.Sub(this=exp.Count(this=exp.Star()), expression=distinct), "dup_in_file"))
        # Every keyed contract table (llm_requests: ts, vendor_usage: period_start) has a time column.
        assert table.time_column is not None
        aggregates.append(exp.alias_(exp.func("list_sort", exp.func("list", exp.Distinct(expressions=[_month(table)]))), "months"))
    # Counting every cast column makes DuckDB type every value now, before anything is written.
    typed_check = [exp.Count(this=exp.column(name, quoted=True)) for name in typed.casts]
    query = exp.select(*aggregates, *typed_check).from_("_src")
    try:
        cursor_result = _run(con, query.sql("duckdb"), lambda f: progress.file_progress("checking", f))
    except duckdb.ConversionException:
        row = con.execute(diagnose_types(typed, relation).sql("duckdb")).fetchall()[0]
        raise type_error(table, typed, row, path) from None
    except duckdb.Error as error:
        if prepared is not None and prepared.read_error is not None:
            raise prepared.read_error(error) from None
        raise IngestError(f"Cannot read {path}: {_first_line(error)}.", path=path) from None
    names = [a.alias for a in aggregates]
    stats = dict(zip(names, cursor_result[0]))
    for name in required_values:
        if stats[f"null_{name}"] and prepared is not None and prepared.diagnose is not None:
            raise prepared.diagnose(name)
        if stats[f"null_{name}"]:
            raise IngestError(
                f"{path}: {stats[f'null_{name}']} row(s) have no {name}, which table {table.name} needs on every row. "
                f"Fill it in and load again.",
                path=path,
                column=name,
            )
    return stats


def _month(table: TableContract) -> exp.Expr:
    """The month partition (YYYY-MM) of a row: where `_write` puts it and de-duplication looks."""
    assert table.time_column is not None
    return exp.func("strftime", exp.column(table.time_column, quoted=True), exp.Literal.string("%Y-%m"))


def _body(con: duckdb.DuckDBPyConnection, lake: Lake, table: TableContract, stats: dict) -> tuple[exp.Select, dict]:
    """The rows to write: duplicates dropped (within the file and against the table), costs priced.

    A key is looked up only in the lake files of the months the file's rows fall in (a
    request logged again carries its own time, so its month): the cost of a load grows
    with the months it touches, not with the table.
    """
    body = exp.select("*").from_("_src")
    if table.key and stats["dup_in_file"]:
        assert table.time_column is not None
        body = body.qualify(
            exp.EQ(
                this=exp.Window(this=exp.func("row_number"), partition_by=[exp.column(table.key, quoted=True)], order=exp.Order(expressions=[exp.Ordered(this=exp.column(table.time_column, quoted=True))])),
                expression=exp.Literal.number(1),
            )
        )
    files = lake.month_files(table.name, stats["months"]) if table.key else ()
    if files and _find_loaded_keys(con, table, files):
        assert table.key is not None
        body = exp.select("*").from_(body.subquery("fresh")).where(
            exp.Not(this=exp.column(table.key, quoted=True).isin(query=exp.select(table.key).from_(_LOADED)))
        )
    counts = {"loaded": 0, "duplicate": 0, "priced": 0, "unpriced": 0, "unpriced_models": []}
    if table.name == "llm_requests" and (stats["null_cost"] or stats["null_provider"]):
        seen = con.execute(
            exp.select("provider", "model", exp.func("count_if", exp.Is(this=exp.column("cost_usd"), expression=exp.null())))
            .from_(body.subquery("b")).group_by("provider", "model").sql("duckdb")
        ).fetchall()
        choices = choose_prices(con, [(p, m) for p, m, _ in seen])
        if stats["null_provider"]:
            body = fill_providers(con, body, choices)
        if stats["null_cost"]:
            register_prices(con, choices)
            body = priced_query(body)
            counts["catalog"] = [
                (f"{choices[(p, m)].provider or '?'}/{m}", choices[(p, m)].source, n)
                for p, m, n in seen if n and choices[(p, m)].origin == "catalog"
            ]
        unpriced = con.execute(
            exp.select("provider", "model", exp.Count(this=exp.Star()))
            .from_(body.subquery("p"))
            .where(exp.Is(this=exp.column("cost_usd"), expression=exp.null()))
            .group_by("provider", "model")
            .order_by(exp.Ordered(this=exp.Count(this=exp.Star()), desc=True))
            .sql("duckdb")
        ).fetchall()
        counts["unpriced"] = sum(r[2] for r in unpriced)
        counts["unpriced_models"] = [f"{p}/{m}" for p, m, _ in unpriced[:3]]
        counts["priced_candidates"] = stats["null_cost"]
    return body, counts


def _find_loaded_keys(con: duckdb.DuckDBPyConnection, table: TableContract, files: tuple[Path, ...]) -> int:
    """Keep the file's keys already in `files` in temp table _LOADED; return how many there are.

    The hash table is built on the file's keys (its size does not grow with the table); the
    lake's keys of those months only stream past it, once. The body then probes the (usually
    empty) result instead of the lake, in each of the passes that read it.
    """
    assert table.key is not None
    key = exp.column(table.key, quoted=True)
    lake_files = exp.Anonymous(this="read_parquet", expressions=[
        exp.Array(expressions=[exp.Literal.string(str(path)) for path in files]),
        exp.EQ(this=exp.column("hive_partitioning"), expression=exp.false())])
    loaded = exp.select(key).from_(exp.Table(this=lake_files)).where(key.copy().isin(query=exp.select(key.copy()).from_("_src")))
    con.execute(exp.Create(this=exp.to_table(_LOADED), kind="TABLE", replace=True, expression=loaded,
                           properties=exp.Properties(expressions=[exp.TemporaryProperty()])).sql("duckdb"))
    return con.execute(exp.select(exp.Count(this=exp.Star())).from_(_LOADED).sql("duckdb")).fetchall()[0][0]


def _file_metadata(table: TableContract, typed: TypedSelect, described: list[tuple[str, str]]) -> dict[str, str]:
    """Parquet key-value metadata of the lake files: a billing file's FOCUS version inferred from its source's columns.

    Empty when the source states its version in a column: `finops info` reads that column instead.
    """
    if table.name != "billing" or any(is_version_column(name) for name, _ in described):
        return {}
    return {FOCUS_METADATA_KEY: infer_version(typed.sources)}


def _write(con: duckdb.DuckDBPyConnection, lake: Lake, table: TableContract, body: exp.Select, load_id: str, progress: IngestProgress,
           metadata: dict[str, str] | None = None) -> list[tuple[Path, str | None]]:
    """COPY the body into the staging folder, with `metadata` in each Parquet footer; returns (file, month) pairs."""
    staging = lake.staging / load_id
    staging.mkdir(parents=True, exist_ok=True)
    options = "FORMAT parquet, COMPRESSION zstd, RETURN_FILES true"
    if metadata:
        pairs = [exp.PropertyEQ(this=exp.to_identifier(key), expression=exp.Literal.string(value)) for key, value in metadata.items()]
        options += f", KV_METADATA {exp.Struct(expressions=pairs).sql('duckdb')}"
    if table.time_column:
        month_column = exp.alias_(_month(table), "month")
        query = exp.select("*", month_column).from_(body.subquery("body"))
        target = staging
        options += f", PARTITION_BY (month), FILENAME_PATTERN '{load_id}_{{i}}'"
    else:
        query = body
        target = staging / f"{load_id}_0.parquet"
    sql = f"COPY ({query.sql('duckdb')}) TO {exp.Literal.string(str(target)).sql('duckdb')} ({options})"
    rows = _run(con, sql, lambda f: progress.file_progress("writing", f))
    files = rows[0][1] if rows else []
    written: list[tuple[Path, str | None]] = []
    for name in files:
        file = Path(name)
        month = file.parent.name.removeprefix("month=") if table.time_column else None
        written.append((file, month))
    return written


def _move_into_lake(lake: Lake, table: TableContract, written: list[tuple[Path, str | None]], load_id: str) -> list[Path]:
    moved = []
    try:
        for file, month in written:
            folder = lake.root / table.name / (f"month={month}" if month else "")
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / file.name
            file.rename(target)
            moved.append(target)
    except BaseException:
        for path in moved:
            path.unlink(missing_ok=True)
        raise
    return moved


def _commit(lake: Lake, table: TableContract, source: SourceFile, fmt: str, digest: str, size: int, load_id: str, moved: list[Path], stats: dict, counts: dict) -> None:
    rows_loaded = _rows_in(moved)
    counts["loaded"] = rows_loaded
    counts["duplicate"] = stats["rows"] - rows_loaded
    counts["priced"] = counts.get("priced_candidates", 0) - counts["unpriced"]
    with lake.catalog(write=True) as cat:
        cat.execute("BEGIN TRANSACTION")
        cat.execute(
            "INSERT INTO _finops_loads VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            [
                load_id, table.name, str(source.path.absolute()), digest, size, source.format,
                stats["rows"], rows_loaded, counts["duplicate"], counts["priced"], counts["unpriced"],
                datetime.now(UTC).replace(tzinfo=None),
            ],
        )
        for path in moved:
            month = path.parent.name.removeprefix("month=") if path.parent.name.startswith("month=") else None
            cat.execute(
                "INSERT INTO _finops_files VALUES ($1, $2, $3, $4)",
                [load_id, table.name, str(path.relative_to(lake.root)), month],
            )
        files = tuple(
            lake.root / row[0]
            for row in cat.execute(
                "SELECT path FROM _finops_files WHERE table_name = $1 ORDER BY load_id, path", [table.name]
            ).fetchall()
        )
        cat.execute(view_sql(table, files))
        cat.execute("COMMIT")


def _rows_in(files: list[Path]) -> int:
    if not files:
        return 0
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(path).metadata.num_rows for path in files)


def _unpriced_note(counts: dict) -> str:
    if not counts["unpriced"]:
        return ""
    return (
        f"{counts['unpriced']} request(s) have no cost and no price in model_prices or the price catalog "
        f"({', '.join(counts['unpriced_models'])}); load their prices and they stay unpriced until reloaded."
    )


def _run(con: duckdb.DuckDBPyConnection, sql: str, on_progress: Callable[[float], None]) -> list[tuple]:
    """Execute while reporting DuckDB's query progress (0..1) from this thread."""
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["rows"] = con.execute(sql).fetchall()
        except BaseException as error:  # handed back to the caller's thread
            outcome["error"] = error

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.2)
        if worker.is_alive():
            fraction = con.query_progress()
            if fraction >= 0:
                on_progress(min(fraction / 100, 1.0))
    if "error" in outcome:
        raise outcome["error"]
    on_progress(1.0)
    return outcome["rows"]


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]

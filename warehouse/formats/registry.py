"""The source formats `finops ingest --format F` knows, telling them apart, and preparing one file.

`prepare_source` turns a file of a source format into a temporary DuckDB view
`_fmt` with the contract columns of its table, which the ordinary ingest path
then types, checks, de-duplicates, prices and writes. Per-request exports
(litellm, langfuse, helicone) are mapped by SQL over the whole file; so is OTLP JSON
(`otel_sql`) when every span is plain, else it is mapped span by span by
`otel.request_rows` (the function a live collector reuses), which names the refused
span; the providers' report pages are parsed in Python into an Arrow table.
"""

from __future__ import annotations

import csv
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pyarrow as pa
import sqlglot.expressions as exp

from warehouse.contract import TABLES, TableContract
from warehouse.errors import IngestError
from warehouse.formats import anthropic, helicone, langfuse, litellm, openai, otel, otel_sql
from warehouse.formats.fields import Fields, one_parse_per_value
from warehouse.formats.mapping import Field, attribution
from warehouse.formats.pages import documents, first_document, strict_lines
from warehouse.formats.requests import RequestMapping

VIEW = "_fmt"
_OTEL_TABLE = "_fmt_otel"  # the spans otel_sql mapped, behind the view


@dataclass(frozen=True)
class SourceFormat:
    name: str
    table: str
    description: str
    module: ModuleType
    rows: Callable[[object, str], list[dict[str, Any]]] | None = None  # (page, where) -> rows, for the providers' reports


FORMATS: dict[str, SourceFormat] = {
    f.name: f
    for f in (
        SourceFormat("litellm", "llm_requests", "LiteLLM proxy LiteLLM_SpendLogs rows (CSV, JSON lines, Parquet)", litellm),
        SourceFormat("langfuse", "llm_requests", "Langfuse observations export (JSON lines, CSV, Parquet)", langfuse),
        SourceFormat("otel", "llm_requests", "OpenTelemetry OTLP JSON traces with gen_ai.* spans", otel),
        SourceFormat("helicone", "llm_requests", "Helicone request export (JSON lines)", helicone),
        SourceFormat("openai-usage", "vendor_usage", "OpenAI organization Usage API pages (JSON)", openai, openai.usage_rows),
        SourceFormat("openai-costs", "vendor_usage", "OpenAI organization Costs API pages (JSON)", openai, openai.costs_rows),
        SourceFormat("anthropic-usage", "vendor_usage", "Anthropic Admin API usage report (messages) pages (JSON)", anthropic, anthropic.usage_rows),
        SourceFormat("anthropic-costs", "vendor_usage", "Anthropic Admin API cost report pages (JSON)", anthropic, anthropic.costs_rows),
    )
}
_TABLE_FORMATS = ("litellm", "langfuse", "helicone")  # told apart by their columns


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _columns_of(path: Path, reader_format: str) -> list[str] | None:
    try:
        if reader_format == "parquet":
            import pyarrow.parquet as pq

            return pq.read_schema(path).names
        if reader_format == "csv":
            with open(path, newline="", encoding="utf-8", errors="replace") as handle:
                return next(csv.reader(handle), None)
    except (OSError, pa.ArrowException, StopIteration, csv.Error):
        return None
    return None


def detect_format(path: Path, reader_format: str | None = None) -> str | None:
    """The source format a file's content shows, or None when it is no known source (or ambiguous).

    Parquet and CSV are told by their columns; JSON by its first document: `resourceSpans`
    (otel), an OpenAI `page` of usage or cost results, an Anthropic report page, or
    the fields of a LiteLLM, Langfuse or Helicone row.
    """
    path = Path(path)
    reader_format = reader_format or {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}.get(path.suffix.lower(), "json")
    if reader_format in ("parquet", "csv"):
        columns = _columns_of(path, reader_format)
        return _by_columns(columns) if columns else None
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if b'"resourceSpans"' in head or b'"resource_spans"' in head:  # OTLP lines can be megabytes long
        return "otel"
    document = first_document(path)
    if not isinstance(document, dict):
        return None
    if "resourceSpans" in document or "resource_spans" in document:
        return "otel"
    for name, test in (("openai-usage", openai.is_usage_page), ("openai-costs", openai.is_costs_page),
                       ("anthropic-usage", anthropic.is_usage_page), ("anthropic-costs", anthropic.is_costs_page)):
        if test(document):
            return name
    return _by_columns(list(document))


def _by_columns(columns: list[str]) -> str | None:
    keys = {_key(c) for c in columns}
    found = [name for name in _TABLE_FORMATS if all(_key(f) in keys for f in FORMATS[name].module.SIGNATURE)]
    return found[0] if len(found) == 1 else None


@dataclass(frozen=True)
class Prepared:
    """A source file as the temporary view `_fmt`, with how to explain a refused value."""

    table: TableContract
    required: dict[str, str] = field(default_factory=dict)  # contract column -> source field, must not be NULL
    diagnose: Callable[[str], IngestError] | None = None
    read_error: Callable[[Exception], IngestError] | None = None


def prepare_source(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, reader_format: str,
                   mapping: dict[str, Field] | None = None, scratch: Path | None = None) -> Prepared:
    """Create the view `_fmt` over `path` read as source format `fmt`; refuse a file of another format.

    OTLP rows are written in batches to a Parquet file under `scratch` (memory stays flat).
    """
    source_format = FORMATS[fmt]
    detected = detect_format(path, reader_format)
    if detected is not None and detected != fmt:
        raise IngestError(
            f"{path} looks like {FORMATS[detected].description}, not {fmt}. "
            f"Pass --format {detected}, or check the file.",
            path=str(path),
        )
    table = TABLES[source_format.table]
    if source_format.rows is not None:
        if mapping:
            raise IngestError(f"--map applies to per-request formats; {fmt} reports have no team or feature.")
        rows = [row for where, page in documents(path) for row in source_format.rows(page, where)]
        _register(con, table, rows)
        return Prepared(table)
    if fmt == "otel":
        if _otel_sql(con, path, mapping, table):
            return Prepared(table)
        spans = _otel_parquet(path, mapping, table, Path(scratch or tempfile.mkdtemp(prefix="finops-otel-")))
        query = exp.select("*").from_(exp.Table(this=exp.Anonymous(this="read_parquet", expressions=[exp.Literal.string(str(spans))])))
        con.execute(exp.Create(this=exp.to_table(VIEW), kind="VIEW", replace=True, expression=query,
                               properties=exp.Properties(expressions=[exp.TemporaryProperty()])).sql("duckdb"))
        return Prepared(table)
    return _prepare_sql(con, path, source_format, reader_format, mapping, table)


def _otel_sql(con: duckdb.DuckDBPyConnection, path: Path, mapping: dict[str, Field] | None, table: TableContract) -> bool:
    """Map the OTLP JSON file in DuckDB (`otel_sql`) into the temporary table `_fmt_otel` and the view `_fmt`.

    False, with nothing left behind, when any span is not plain (refused, or a value Python would read
    differently), the file has no GenAI span, or DuckDB cannot read it: `_otel_parquet` then maps the
    file span by span and raises the IngestError naming the file, line, span and attribute.
    """
    json_format = otel_sql.json_format(path)
    if json_format is None or not _strict_json(path, json_format):
        return False
    typed = [exp.alias_(exp.cast(exp.column(c.name, quoted=True), c.type, dialect="duckdb"), c.name, quoted=True) for c in table.columns]
    keep = exp.or_(exp.column("_request"), exp.Not(this=exp.column("_plain")))
    query = exp.select(*typed, "_plain").from_("_spans").where(keep).sql("duckdb")
    spans = otel_sql.span_sql(attribution(otel.DEFAULTS, mapping))  # fixed text: names only as literals
    try:
        con.execute(otel_sql.source_view(path, json_format).sql("duckdb"))
        if json_format == "unstructured":  # one document, as Python's json.loads reads it
            documents_read = exp.select(exp.Count(this=exp.Star())).from_(exp.Table(this=exp.Anonymous(
                this="read_json_objects", expressions=[exp.Literal.string(str(path)), exp.EQ(this=exp.var("format"), expression=exp.Literal.string("unstructured"))])))
            single = con.execute(documents_read.sql("duckdb")).fetchall()[0][0] == 1
        if json_format != "unstructured" or single:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {_OTEL_TABLE} AS WITH _spans AS ({spans}) {query}")
            odd, rows = con.execute(f"SELECT count_if(NOT _plain), count(*) FROM {_OTEL_TABLE}").fetchall()[0]
        else:
            odd, rows = 1, 0
    except duckdb.Error:
        odd, rows = 1, 0
    con.execute(f"DROP VIEW IF EXISTS {otel_sql.SOURCE}")
    if odd or not rows:
        con.execute(f"DROP TABLE IF EXISTS {_OTEL_TABLE}")
        return False
    view = exp.select(*[exp.column(c.name, quoted=True) for c in table.columns]).from_(_OTEL_TABLE)
    con.execute(exp.Create(this=exp.to_table(VIEW), kind="VIEW", replace=True, expression=view,
                           properties=exp.Properties(expressions=[exp.TemporaryProperty()])).sql("duckdb"))
    return True


def _strict_json(path: Path, json_format: str) -> bool:
    """Whether every document of the file is strict JSON: DuckDB's reader also takes trailing commas and NaN,
    which a file of another tool's making must not slip through (the Python path then names the line)."""
    if json_format == "newline_delimited":
        return strict_lines(path)
    try:
        for _ in documents(path):
            pass
    except IngestError:
        return False
    return True


def _otel_parquet(path: Path, mapping: dict[str, Field] | None, table: TableContract, scratch: Path, batch_rows: int = 100_000) -> Path:
    """The GenAI spans of an OTLP JSON file as a Parquet file of llm_requests rows, by `otel.request_rows`."""
    import pyarrow.parquet as pq

    from warehouse.demo.schema import arrow_schema

    schema = arrow_schema(table)
    scratch.mkdir(parents=True, exist_ok=True)
    out = scratch / f"{uuid.uuid4().hex}.otel.parquet"
    rows: list[dict] = []
    written = 0
    with pq.ParquetWriter(out, schema) as writer:
        for where, request in documents(path):
            rows.extend(otel.request_rows(request, mapping, where=where))
            if len(rows) >= batch_rows:
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                written += len(rows)
                rows = []
        if rows:
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
            written += len(rows)
    if not written:
        out.unlink(missing_ok=True)
        raise IngestError(f"{path} has no GenAI spans (no gen_ai.request.model or gen_ai.usage.* attribute).", path=str(path))
    return out


def _register(con: duckdb.DuckDBPyConnection, table: TableContract, rows: list[dict]) -> None:
    from warehouse.demo.schema import arrow_schema

    arrow = pa.Table.from_pylist(rows, schema=arrow_schema(table))
    con.register("_fmt_arrow", arrow)
    con.execute(f"CREATE OR REPLACE TEMP VIEW {VIEW} AS SELECT * FROM _fmt_arrow")


# Top-level fields that hold objects or lists; every other declared field is read as text.
_NESTED = {"metadata", "request_tags", "usage_details", "cost_details", "tags", "model_parameters", "request_properties",
           "usage", "properties"}


def _declared(module: ModuleType, mapping: dict[str, Field] | None) -> dict[str, str]:
    """The top-level fields to read from JSON lines: the format's own, and the heads of attribution fields."""
    names = list(module.FIELDS)
    texts = [text for fields in module.DEFAULTS.values() for text in fields] + [str(f) for f in (mapping or {}).values()]
    names += [text.split(":")[0].split(".")[0] for text in texts]
    nested = {text.split(":")[0].split(".")[0] for text in texts if "." in text.split(":")[0] or ":" in text}
    return {name: "JSON" if name in _NESTED or name in nested else "VARCHAR" for name in dict.fromkeys(names)}


def _raw_relation(con: duckdb.DuckDBPyConnection, path: Path, reader_format: str, declared: dict[str, str]) -> tuple[exp.Expr, Fields]:
    literal = exp.Literal.string(str(path))
    if reader_format == "parquet":
        relation = exp.Anonymous(this="read_parquet", expressions=[literal])
    elif reader_format == "csv":
        options = {"all_varchar": exp.true(), "header": exp.true(),
                   "nullstr": exp.Array(expressions=[exp.Literal.string("NULL"), exp.Literal.string("")])}
        relation = exp.Anonymous(this="read_csv", expressions=[literal] + [exp.EQ(this=exp.column(k), expression=v) for k, v in options.items()])
    else:
        columns = exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(name), expression=exp.Literal.string(type_))
                                          for name, type_ in declared.items()])
        json_options = [exp.EQ(this=exp.var("format"), expression=exp.Literal.string("auto")),
                        exp.EQ(this=exp.var("columns"), expression=columns)]
        return exp.Anonymous(this="read_json", expressions=[literal, *json_options]), Fields.for_declared(declared)
    try:
        described = con.execute("DESCRIBE " + exp.select("*").from_(exp.Table(this=relation)).sql("duckdb")).fetchall()
    except duckdb.Error as error:
        raise IngestError(f"Cannot read {path} as {reader_format}: {str(error).strip().splitlines()[0]}.", path=str(path)) from None
    return relation, Fields.for_columns([(row[0], row[1]) for row in described])


def _prepare_sql(con: duckdb.DuckDBPyConnection, path: Path, source_format: SourceFormat, reader_format: str,
                 mapping: dict[str, Field] | None, table: TableContract) -> Prepared:
    module = source_format.module
    relation, fields = _raw_relation(con, path, reader_format, _declared(module, mapping))
    if not fields.declared:
        missing = [name for name in module.REQUIRED_FIELDS if not fields.has(name)]
        if missing:
            raise IngestError(
                f"{path}, line 1: no column {missing[0]!r}, which a {source_format.name} export has "
                f"({source_format.description}). Is this the right --format?",
                path=str(path), column=missing[0],
            )
        for column, chosen in (mapping or {}).items():
            head = chosen.path.split(".")[0]
            if not fields.has(chosen.path) and not fields.has(head):
                raise IngestError(
                    f"--map {column}={chosen}: {path} has no column {head!r}; its columns are "
                    f"{', '.join(sorted(fields.columns)[:12])}{' ...' if len(fields.columns) > 12 else ''}.",
                    path=str(path), column=head,
                )
    mapped = module.request_mapping(fields, mapping)
    projections = [
        exp.alias_(mapped.columns.get(c.name, exp.cast(exp.null(), c.type, dialect="duckdb")), c.name, quoted=True)
        for c in table.columns
    ]
    query = exp.select(*projections).from_(exp.Table(this=relation))
    if mapped.where is not None:
        query = query.where(mapped.where)
    query = one_parse_per_value(query)

    def diagnose(column: str) -> IngestError:
        return _diagnose(con, path, reader_format, relation, fields, mapped, column, source_format.name)

    def read_error(error: Exception) -> IngestError:
        if fields.declared:
            for _ in documents(path):  # raises naming the malformed line
                pass
        return IngestError(f"Cannot read {path} as {source_format.name}: {str(error).strip().splitlines()[0]}.", path=str(path))

    # Text (JSON lines, CSV) is parsed once into a temporary table that the checks and the write then scan;
    # Parquet is read where it is.
    kind = "VIEW" if reader_format == "parquet" else "TABLE"
    create = exp.Create(this=exp.to_table(VIEW), kind=kind, replace=True, expression=query,
                        properties=exp.Properties(expressions=[exp.TemporaryProperty()]))
    try:
        con.execute(create.sql("duckdb"))
    except duckdb.Error as error:
        raise read_error(error) from None
    return Prepared(table, mapped.required, diagnose, read_error)


def discard(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what `prepare_source` made on the connection."""
    for statement in (f"DROP VIEW IF EXISTS {VIEW}", f"DROP TABLE IF EXISTS {VIEW}", f"DROP TABLE IF EXISTS {_OTEL_TABLE}",
                      f"DROP VIEW IF EXISTS {otel_sql.SOURCE}"):
        try:
            con.execute(statement)
        except duckdb.Error:
            pass  # the object is of the other kind
    for name in ("_fmt_arrow", "_prices", "_providers"):
        try:
            con.unregister(name)
        except duckdb.Error:
            pass


def _diagnose(con: duckdb.DuckDBPyConnection, path: Path, reader_format: str, relation: exp.Expr, fields: Fields,
              mapped: RequestMapping, column: str, fmt: str) -> IngestError:
    """The first record whose `column` came out NULL: its line, the source field and what it held."""
    source_field = mapped.required.get(column, column)
    numbered = exp.select(exp.alias_(exp.Window(this=exp.func("row_number")), "_record"), exp.Star()).from_(exp.Table(this=relation))
    shown = fields.at(source_field)
    query = exp.select("_record", exp.alias_(shown, "_value")).from_(numbered.subquery("n"))
    condition = exp.Is(this=mapped.columns[column].copy(), expression=exp.null())
    query = query.where(exp.and_(mapped.where.copy(), condition) if mapped.where is not None else condition).order_by("_record").limit(1)
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    con.execute("SET threads = 1")  # row_number() OVER () follows the file's order on one thread
    try:
        rows = con.execute(query.sql("duckdb")).fetchall()
    finally:
        con.execute(f"SET threads = {int(threads)}")
    if not rows:
        return IngestError(f"{path}: some rows have no {column} ({fmt} field {source_field}).", path=str(path), column=source_field)
    record, value = rows[0]
    where = {"csv": f"line {record + 1}", "parquet": f"row {record}"}.get(reader_format, f"line {record}")
    what = "is missing" if value is None else f"is {value!r}, not a valid {column} value"
    return IngestError(
        f"{path}, {where}: field {source_field!r} {what}; every {fmt} row needs it. Nothing of the file was loaded.",
        path=str(path), column=source_field,
    )

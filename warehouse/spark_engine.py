"""The same lake read by Apache Spark (`FINOPS_ENGINE=spark`): local, a cluster, or Spark Connect.

The lake's Parquet files are read in place, exactly the ones the ledger lists,
with partition discovery on `month=` (the folder is not a column, as on DuckDB),
and each contract table becomes a temporary view of the same name and columns as
DuckDB's: both are `warehouse.lake.view_query`, only the source differs. Every
statement is the guard's output rewritten for Spark by `warehouse.transpile` at
sqlglot's strictest level (a construct Spark cannot say is refused, never
silently rewritten), tagged with a job group that the executor's watchdog cancels,
and capped at `max_rows + 1` rows before anything is collected.

The session reads SQL as DuckDB does: timestamps without a time zone (the lake
stores naive UTC), in UTC, and ANSI mode off, so a division by zero or a missing
map key is NULL on both engines. pyspark is imported only here, and only when
the engine opens: the planner's cold start never pays for it.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlglot.expressions as exp

from warehouse.contract import ASSISTANT_USAGE, TABLES, TableContract
from warehouse.engine import EngineFailed, EngineInterrupted, EngineOutOfMemory, Fetched
from warehouse.lake import Lake, Manifest, missing_columns, view_query
from warehouse.settings import Settings
from warehouse.transpile import transpile

# The lake's partition folder (lake/<table>/month=YYYY-MM/): discovered by Spark, not exposed (DuckDB does not).
PARTITION_COLUMN = "month"

# Session settings that make Spark read the guard's SQL as DuckDB does (runtime SQL settings: a
# Spark Connect session takes them too).
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.caseSensitive": "false",
}
# A local Spark's shuffles: a few partitions per core, not Spark's cluster default of 200.
LOCAL_SHUFFLE_PARTITIONS = 4

_SPARK_TYPES = {
    "string": "VARCHAR", "bigint": "BIGINT", "int": "INTEGER", "smallint": "SMALLINT", "tinyint": "TINYINT",
    "double": "DOUBLE", "float": "FLOAT", "boolean": "BOOLEAN", "date": "DATE", "timestamp_ntz": "TIMESTAMP",
    "timestamp": "TIMESTAMP WITH TIME ZONE", "binary": "BLOB", "void": '"NULL"',
}


class SparkEngine:
    name = "spark"
    sandboxed = False  # Spark can read any path it is given: every statement passes the guard

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lake = Lake(settings.home)
        self._spark: Any = None  # pyspark.sql.SparkSession, this engine's own (its temporary views are its own)
        self._group: str | None = None
        self._group_lock = threading.Lock()

    # ------------------------------------------------------------------ session

    def _session(self) -> Any:
        if self._spark is None:
            self._spark = new_session(self.settings)
        return self._spark

    def open(self, manifest: Manifest, usage: tuple[Path, ...]) -> None:
        spark = self._session()
        try:
            for name, table in TABLES.items():
                self._register(spark, table, manifest.files.get(name, ()), self.lake.root / name)
            self._register(spark, ASSISTANT_USAGE, usage, None)
        except Exception as error:  # noqa: BLE001 - Spark raises its own families (analysis, JVM, connect)
            raise EngineFailed(_spark_message(error)) from None

    def _register(self, spark: Any, table: TableContract, files: tuple[Path, ...], base: Path | None) -> None:
        """`table` as a temporary view over `files`: `view_query` over a DataFrame reading them."""
        source: exp.Expr | None = None
        missing: tuple[str, ...] = ()
        if files:
            reader = spark.read.option("mergeSchema", "true")
            if base is not None:
                reader = reader.option("basePath", str(base))
            frame = reader.parquet(*[str(path) for path in files])
            if base is not None and PARTITION_COLUMN in frame.columns:
                frame = frame.drop(PARTITION_COLUMN)
            source_name = f"_finops_files_{table.name}"
            frame.createOrReplaceTempView(source_name)
            source = exp.to_table(source_name)
            missing = missing_columns(table, frame.columns)
        spark.sql(view_query(table, source, missing).sql(dialect="spark")).createOrReplaceTempView(table.name)

    def schema(self) -> dict[str, dict[str, str]]:
        spark = self._session()
        names = [*TABLES, ASSISTANT_USAGE.name]
        return {name: {field.name: duckdb_type(field.dataType) for field in spark.table(name).schema.fields} for name in names}

    # ------------------------------------------------------------------ statements

    def execute(self, sql: str, params: Sequence[object] | None, max_rows: int) -> Fetched:
        spark_sql = transpile(sql, "spark")  # UnsafeSqlError when Spark cannot say it: refused, never rewritten
        spark = self._session()
        group = f"finops-{uuid.uuid4().hex[:12]}"
        with self._group_lock:
            self._group = group
        _start_group(spark, group)
        try:
            frame = spark.sql(spark_sql, args=list(params)) if params else spark.sql(spark_sql)
            fields = frame.schema.fields
            rows = _naive_timestamps(frame).limit(max_rows + 1).collect()  # the cap runs in Spark, before collecting
        except Exception as error:  # noqa: BLE001 - Spark raises its own families (analysis, JVM, connect)
            text = _spark_message(error)
            if _cancelled(text):
                raise EngineInterrupted() from None
            if "OutOfMemoryError" in text:
                raise EngineOutOfMemory() from None
            raise EngineFailed(text) from None
        finally:
            with self._group_lock:
                self._group = None
            _end_group(spark, group)
        return Fetched(
            tuple(field.name for field in fields),
            tuple(duckdb_type(field.dataType, naive=True) for field in fields),
            [_plain_row(row) for row in rows],
        )

    def interrupt(self) -> None:
        with self._group_lock:
            group = self._group
        if group is not None and self._spark is not None:
            _cancel_group(self._spark, group)

    def close(self) -> None:
        """Drop this engine's session (its views); the process's Spark stays warm for the next one."""
        self._spark = None


def new_session(settings: Settings) -> Any:
    """A session of its own (views and settings), on the process's Spark or the Spark Connect server."""
    from pyspark.sql import SparkSession

    if settings.spark_remote:
        spark = SparkSession.builder.remote(settings.spark_remote).create()
    else:
        builder = SparkSession.builder.appName("finops").master(settings.spark_master)
        for key, value in _start_conf(settings).items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate().newSession()
        spark.sparkContext.setLogLevel("OFF")  # failures reach the user as typed errors, not JVM logs
    for key, value in SESSION_CONF.items():
        spark.conf.set(key, value)
    if not settings.spark_remote and settings.spark_master.startswith("local"):
        spark.conf.set("spark.sql.shuffle.partitions", str(LOCAL_SHUFFLE_PARTITIONS))
    return spark


def _start_conf(settings: Settings) -> dict[str, str]:
    """Settings a Spark started by this process takes at start (a running one keeps its own)."""
    scratch = settings.home / "tmp" / "spark"
    conf = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.warehouse.dir": str(scratch / "warehouse"),
        "spark.local.dir": str(scratch / "local"),
    }
    if settings.spark_master.startswith("local"):
        conf |= {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"}
        heap = _jvm_memory(settings.memory_limit)
        if heap:
            conf["spark.driver.memory"] = heap  # a local Spark runs in the driver: FINOPS_MEMORY_LIMIT is its heap
    return conf


def _jvm_memory(limit: str) -> str | None:
    """DuckDB's memory limit ('2GB', '512MiB') as a JVM size ('2048m'); None when it is not an amount ('80%').

    >>> _jvm_memory("2GB"), _jvm_memory("1.5 GiB"), _jvm_memory("80%")
    ('2048m', '1536m', None)
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT])i?B\s*", limit, flags=re.IGNORECASE)
    if not match:
        return None
    power = "KMGT".index(match.group(2).upper()) - 1
    return f"{max(1, round(float(match.group(1)) * 1024**power))}m"


def _start_group(spark: Any, group: str) -> None:
    if _is_connect(spark):
        spark.addTag(group)
    else:
        spark.sparkContext.setJobGroup(group, "finops query", interruptOnCancel=True)


def _end_group(spark: Any, group: str) -> None:
    if _is_connect(spark):
        spark.removeTag(group)
    else:
        spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)  # pyspark has no clearJobGroup


def _cancel_group(spark: Any, group: str) -> None:
    if _is_connect(spark):
        spark.interruptTag(group)
    else:
        # The statement's later jobs too: a query is several jobs (broadcasts, then the result), and
        # cancelJobGroup stops only those running at that moment. pyspark does not wrap this call.
        spark.sparkContext._jsc.sc().cancelJobGroupAndFutureJobs(group)


def _is_connect(spark: Any) -> bool:
    return type(spark).__module__.startswith("pyspark.sql.connect")


def _cancelled(text: str) -> bool:
    return bool(re.search(r"cancell?ed|interrupted|OPERATION_CANCELED", text, flags=re.IGNORECASE))


def _spark_message(error: Exception) -> str:
    """The first meaningful line of a Spark error (py4j wraps the JVM's in its own text)."""
    text = getattr(error, "getMessage", lambda: None)() or str(error)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(("An error occurred while calling", "py4j", "JVM stacktrace"))]
    return lines[0] if lines else type(error).__name__


def _naive_timestamps(frame: Any) -> Any:
    """`frame` with its zoned timestamps (`date_trunc` gives one) as the naive UTC ones DuckDB gives.

    The session reads the lake's naive timestamps as naive, but some functions answer in Spark's
    zoned type, which pyspark would hand over in the client machine's local time.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    zoned = [isinstance(field.dataType, T.TimestampType) for field in frame.schema.fields]
    if not any(zoned):
        return frame
    positional = frame.toDF(*[f"c{i}" for i in range(len(zoned))])  # result names may repeat
    return positional.select(*[F.col(f"c{i}").cast("timestamp_ntz") if z else F.col(f"c{i}") for i, z in enumerate(zoned)])


def duckdb_type(data_type: Any, naive: bool = False) -> str:
    """A Spark type as DuckDB names it (the guard and the answers read DuckDB's names on every engine).

    `naive`: a zoned timestamp that `_naive_timestamps` turned naive.
    """
    from pyspark.sql import types as T

    if naive and isinstance(data_type, T.TimestampType):
        return "TIMESTAMP"
    if isinstance(data_type, T.MapType):
        return f"MAP({duckdb_type(data_type.keyType)}, {duckdb_type(data_type.valueType)})"
    if isinstance(data_type, T.ArrayType):
        return f"{duckdb_type(data_type.elementType)}[]"
    if isinstance(data_type, T.StructType):
        return "STRUCT(" + ", ".join(f'"{f.name}" {duckdb_type(f.dataType)}' for f in data_type.fields) + ")"
    if isinstance(data_type, T.DecimalType):
        return f"DECIMAL({data_type.precision},{data_type.scale})"
    name = data_type.simpleString()
    return _SPARK_TYPES.get(name, name.upper())


def _plain_row(row: Any) -> tuple:
    """A collected Row as DuckDB's client gives it: a tuple whose structs are dicts."""
    from pyspark.sql import Row

    def plain(value: Any) -> Any:
        if isinstance(value, Row):
            return {key: plain(item) for key, item in value.asDict().items()}
        if isinstance(value, list):
            return [plain(item) for item in value]
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return value

    return tuple(plain(value) for value in row)

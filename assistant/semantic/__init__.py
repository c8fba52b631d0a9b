"""The semantic model: metrics, dimensions and grains as data (model.yaml), validated on load.

>>> model = load_semantic_model()
>>> model.metrics["inference_cost"].table, model.dimension_column("team", "billing")
('llm_requests', "Tags['team']")
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import sqlglot
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlglot import exp

from assistant.query.prices import PRICED_COLUMNS
from warehouse.contract import QUERYABLE as TABLES

MODEL_PATH = Path(__file__).with_name("model.yaml")
UNITS = ("usd", "count", "tokens", "ratio", "ms", "percent", "hours")


class SemanticModelError(ValueError):
    """model.yaml is inconsistent; this is our bug, caught by the tests."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TableSpec(_Strict):
    time_column: str | None
    description: str


class MetricSpec(_Strict):
    table: str
    expression: str
    unit: str
    label: str
    definition: str
    synonyms: tuple[str, ...] = Field(min_length=1)
    detail: bool = False  # FOCUS billing detail, unit economics, the assistant's own usage: named to the agent on lookup('more'), not in its first prompt
    priced: bool = False  # llm_requests with list prices: may read assistant.query.prices.PRICED_COLUMNS too

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, value: str) -> str:
        if value not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}")
        return value


class DimensionSpec(_Strict):
    label: str
    columns: dict[str, str] = Field(min_length=1)
    synonyms: tuple[str, ...] = Field(min_length=1)
    detail: bool = False  # as for metrics


class GrainSpec(_Strict):
    synonyms: tuple[str, ...]


class ModelFile(_Strict):
    tables: dict[str, TableSpec]
    metrics: dict[str, MetricSpec]
    dimensions: dict[str, DimensionSpec]
    grains: dict[str, GrainSpec]


@dataclass(frozen=True)
class Metric:
    name: str
    table: str
    expression: exp.Expr
    unit: str
    label: str
    definition: str
    synonyms: tuple[str, ...]
    sql: str
    detail: bool = False
    priced: bool = False  # read over `priced_requests()` (each request with its model's list prices), not the bare table


@dataclass(frozen=True)
class Dimension:
    name: str
    label: str
    columns: dict[str, exp.Expr]
    sql: dict[str, str]
    synonyms: tuple[str, ...]
    detail: bool = False


@dataclass(frozen=True)
class SemanticModel:
    tables: dict[str, TableSpec]
    metrics: dict[str, Metric]
    dimensions: dict[str, Dimension]
    grains: dict[str, tuple[str, ...]]

    def time_column(self, table: str) -> str | None:
        return self.tables[table].time_column

    def timed_column(self, table: str) -> str:
        """The time column of a table that must have one (the fact tables the analyses read)."""
        column = self.tables[table].time_column
        if column is None:
            raise SemanticModelError(f"table {table!r} has no time column")
        return column

    def dimension_column(self, dimension: str, table: str) -> str | None:
        return self.dimensions[dimension].sql.get(table)

    def dimensions_of(self, table: str) -> list[str]:
        return [name for name, d in self.dimensions.items() if table in d.columns]

    def metrics_of(self, table: str) -> list[str]:
        return [name for name, m in self.metrics.items() if m.table == table]


def _parse(sql: str, where: str) -> exp.Expr:
    try:
        return sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as error:
        raise SemanticModelError(f"{where}: cannot parse {sql!r}: {error}") from None


def _check_columns(expression: exp.Expr, table: str, where: str, extra: tuple[str, ...] = ()) -> None:
    known = {c.lower() for c in TABLES[table].column_names} | set(extra)
    for column in expression.find_all(exp.Column):
        if column.name.lower() not in known:
            raise SemanticModelError(f"{where}: {table} has no column {column.name!r}")


@functools.lru_cache(maxsize=4)
def load_semantic_model(path: Path = MODEL_PATH) -> SemanticModel:
    """Parse and check model.yaml: every table, column and expression must exist in the contract."""
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster start-up
        raw = ModelFile.model_validate(yaml.load(Path(path).read_text(), Loader=loader))
    except ValidationError as error:
        raise SemanticModelError(f"{path}: {error}") from None
    for name, table_spec in raw.tables.items():
        if name not in TABLES:
            raise SemanticModelError(f"table {name!r} is not in the data contract")
        if table_spec.time_column and table_spec.time_column not in TABLES[name].column_names:
            raise SemanticModelError(f"{name}.{table_spec.time_column} is not a contract column")
    metrics: dict[str, Metric] = {}
    for name, spec in raw.metrics.items():
        if spec.table not in raw.tables:
            raise SemanticModelError(f"metric {name}: unknown table {spec.table}")
        if spec.priced and spec.table != "llm_requests":
            raise SemanticModelError(f"metric {name}: only llm_requests metrics can be priced")
        expression = _parse(spec.expression, f"metric {name}")
        _check_columns(expression, spec.table, f"metric {name}", PRICED_COLUMNS if spec.priced else ())
        metrics[name] = Metric(name, spec.table, expression, spec.unit, spec.label, spec.definition, spec.synonyms,
                               spec.expression, spec.detail, spec.priced)
    dimensions: dict[str, Dimension] = {}
    for name, dimension in raw.dimensions.items():
        parsed: dict[str, exp.Expr] = {}
        for table, sql in dimension.columns.items():
            if table not in raw.tables:
                raise SemanticModelError(f"dimension {name}: unknown table {table}")
            parsed[table] = _parse(sql, f"dimension {name}")
            _check_columns(parsed[table], table, f"dimension {name}")
        dimensions[name] = Dimension(name, dimension.label, parsed, dict(dimension.columns), dimension.synonyms, dimension.detail)
    seen: dict[str, str] = {}
    items: dict[str, Metric] | dict[str, Dimension]
    for kind, items in (("metric", metrics), ("dimension", dimensions)):
        for name, item in items.items():
            for synonym in item.synonyms:
                key = f"{kind}:{synonym.lower()}"
                if key in seen and seen[key] != name:
                    raise SemanticModelError(f"{kind} synonym {synonym!r} is claimed by {seen[key]} and {name}")
                seen[key] = name
    grains = {name: spec.synonyms for name, spec in raw.grains.items()}
    return SemanticModel(dict(raw.tables), metrics, dimensions, grains)

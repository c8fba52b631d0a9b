"""Typing a source file into its contract table.

`typed_select` builds one SELECT that casts every contract column strictly;
when DuckDB refuses a value, `diagnose_types` runs the same casts as TRY_CASTs
to name the column and show an offending value. Literal `"NULL"` strings become
NULL, JSON tag text becomes a MAP, an object read into a text column (such as
`SkuPriceDetails` from Parquet) becomes JSON text, and timestamps with an offset become UTC.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot.expressions as exp

from warehouse.contract import Column, TableContract
from warehouse.errors import IngestError
from warehouse.sources import match_columns

_TEXT_TYPES = ("VARCHAR", "JSON")


@dataclass(frozen=True)
class TypedSelect:
    query: exp.Select
    casts: dict[str, exp.Expr]  # contract column -> its cast expression
    sources: dict[str, str]  # contract column -> source column
    extras: tuple[str, ...]  # kept non-contract columns, as written


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _cast(expression: exp.Expr, type_: str) -> exp.Cast:
    return exp.cast(expression, type_, dialect="duckdb")


def _not_null_string(expression: exp.Expr) -> exp.Expr:
    return exp.func("nullif", expression, exp.Literal.string("NULL"))


def _is_nested(source_type: str) -> bool:
    return source_type.upper().startswith(("STRUCT", "MAP")) or source_type.endswith("]")


def cast_expression(column: Column, source: str, source_type: str) -> exp.Expr:
    """The strict cast of one source column to its contract type."""
    value: exp.Expr = _col(source)
    is_text = source_type.upper() in _TEXT_TYPES
    if is_text:
        value = _not_null_string(value)
    target = column.type.upper()
    if target == "VARCHAR":
        if _is_nested(source_type):  # an object such as SkuPriceDetails read from Parquet or JSON: JSON text
            return _cast(exp.func("to_json", value), "VARCHAR")
        return value if is_text else _cast(value, "VARCHAR")
    if target == "TIMESTAMP":
        if is_text or source_type.upper().startswith("TIMESTAMP WITH"):
            value = _cast(value, "TIMESTAMPTZ")
        return _cast(value, "TIMESTAMP")
    if target.startswith("MAP"):
        if is_text:
            return _cast(_cast(value, "JSON"), column.type)
        if source_type.upper().startswith("STRUCT"):
            return _cast(exp.func("to_json", value), column.type)
        return _cast(value, column.type)
    return _cast(value, column.type)


def typed_select(table: TableContract, relation: exp.Expr, described: list[tuple[str, str]], path: str) -> TypedSelect:
    """SELECT the contract columns (typed, in contract order) plus kept extras from `relation`."""
    types = dict(described)
    sources = match_columns(table, [name for name, _ in described])
    missing = [c.name for c in table.required_columns if c.name not in sources]
    if missing:
        raise IngestError(
            f"{path} has no column {missing[0]!r}, which table {table.name} requires"
            f"{' (also missing: ' + ', '.join(missing[1:4]) + ')' if len(missing) > 1 else ''}. "
            f"Add it to the file, or pass --table if this is another table's data.",
            path=path,
            column=missing[0],
        )
    casts: dict[str, exp.Expr] = {}
    projections = []
    for column in table.columns:
        if column.name in sources:
            source = sources[column.name]
            casts[column.name] = cast_expression(column, source, types[source])
            expression = casts[column.name]
        else:
            expression = _cast(exp.null(), column.type)
        projections.append(exp.alias_(expression, column.name, quoted=True))
    used = set(sources.values())
    extras = []
    taken = {c.lower() for c in table.column_names}
    for name, type_ in described:
        if name in used:
            continue
        kept = name if name.lower().startswith("x_") else f"x_{name}"
        if kept.lower() in taken:
            continue
        taken.add(kept.lower())
        value = _not_null_string(_col(name)) if type_.upper() in _TEXT_TYPES else _col(name)
        projections.append(exp.alias_(value, kept, quoted=True))
        extras.append(kept)
    query = exp.select(*projections).from_(exp.Table(this=relation))
    return TypedSelect(query, casts, sources, tuple(extras))


def _try(expression: exp.Expr) -> exp.Expr:
    """The same expression with every CAST made a TRY_CAST."""

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Cast) and not isinstance(node, exp.TryCast):
            return exp.TryCast(this=node.this, to=node.to)
        return node

    return expression.copy().transform(swap)


def diagnose_types(typed: TypedSelect, relation: exp.Expr) -> exp.Select:
    """A query returning, for each cast column, how many values failed and one example."""
    projections = []
    for name, cast in typed.casts.items():
        source = _col(typed.sources[name])
        failed = exp.and_(
            exp.Not(this=exp.Is(this=_not_null_string(_cast(source, "VARCHAR")), expression=exp.null())),
            exp.Is(this=_try(cast), expression=exp.null()),
        )
        projections.append(exp.alias_(exp.func("count_if", failed), f"{name}__bad", quoted=True))
        projections.append(
            exp.alias_(
                exp.Filter(
                    this=exp.func("any_value", _cast(source, "VARCHAR")),
                    expression=exp.Where(this=failed),
                ),
                f"{name}__example",
                quoted=True,
            )
        )
    return exp.select(*projections).from_(exp.Table(this=relation))


def type_error(table: TableContract, typed: TypedSelect, row: tuple, path: str) -> IngestError:
    names = list(typed.casts)
    for index, name in enumerate(names):
        bad, example = row[2 * index], row[2 * index + 1]
        if bad:
            shown = example if len(str(example)) <= 60 else str(example)[:57] + "..."
            return IngestError(
                f"{path}: column {typed.sources[name]!r} has {bad} value(s) that are not "
                f"{table.column(name).type} (for example {shown!r}). Fix or blank those values and load again.",
                path=path,
                column=name,
            )
    return IngestError(f"{path}: DuckDB could not type the file; check its values against the {table.name} contract.", path=path)

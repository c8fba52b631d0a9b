"""Arrow schemas of the contract tables, derived from `warehouse.contract`.

>>> arrow_schema(TABLES["budgets"]).field("amount_usd").type
DataType(double)
"""

from __future__ import annotations

import pyarrow as pa

from warehouse.contract import TABLES, TableContract

__all__ = ["arrow_schema", "arrow_type", "TABLES"]

_SCALAR_TYPES: dict[str, pa.DataType] = {
    "DOUBLE": pa.float64(),
    "VARCHAR": pa.string(),
    "TIMESTAMP": pa.timestamp("us"),
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "MAP(VARCHAR, VARCHAR)": pa.map_(pa.string(), pa.string()),
}


def arrow_type(duckdb_type: str) -> pa.DataType:
    """The Arrow type written for one DuckDB type string of the contract."""
    normalized = " ".join(duckdb_type.upper().replace(",", ", ").split())
    try:
        return _SCALAR_TYPES[normalized]
    except KeyError:
        raise ValueError(f"no Arrow type for contract type {duckdb_type!r}") from None


def arrow_schema(table: TableContract) -> pa.Schema:
    """The exact Arrow schema of a contract table: its columns, in order, all nullable."""
    return pa.schema([pa.field(column.name, arrow_type(column.type)) for column in table.columns])

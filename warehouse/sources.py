"""Finding input files, reading them with DuckDB, and placing them in a table.

Column names are matched to the contract ignoring case, spaces and underscores
(`billed_cost` is `BilledCost`), and through the renames between FOCUS versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlglot.expressions as exp

from warehouse.contract import TABLES, TableContract, column_key
from warehouse.errors import IngestError
from warehouse.formats import FORMATS as SOURCE_FORMATS

FILE_FORMATS = ("auto", "parquet", "csv", "json", "focus")
FORMATS = FILE_FORMATS + tuple(SOURCE_FORMATS)

_SUFFIX_FORMATS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "json",
    ".ndjson": "json",
    ".json": "json",
}
# Folders are scanned for these; a lone `.json` (such as incidents.json) must be named explicitly.
_FOLDER_SUFFIXES = {".parquet", ".pq", ".csv", ".tsv", ".jsonl", ".ndjson"}
_COMPRESSION_SUFFIXES = {".gz", ".zst"}

# Older FOCUS names (0.5 and the 1.3 renames) and common export spellings -> contract name.
FOCUS_ALIASES = {
    "amortizedcost": "EffectiveCost",
    "chargetype": "ChargeCategory",
    "usagequantity": "ConsumedQuantity",
    "usageunit": "ConsumedUnit",
    "region": "RegionId",
    "serviceprovidername": "ProviderName",
    "hostprovidername": "PublisherName",
    "billingaccountname": "BillingAccountName",
    "tags": "Tags",
}


@dataclass(frozen=True)
class SourceFile:
    path: Path
    format: str  # how DuckDB reads it: parquet, csv or json
    table_hint: str | None
    kind: str | None = None  # the source format (litellm, otel, ...) when it is one


def discover(paths: list[Path], fmt: str = "auto") -> list[SourceFile]:
    """Every loadable file under `paths`, in a stable order."""
    if fmt not in FORMATS:
        raise IngestError(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.")
    found: list[SourceFile] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and _base_suffix(p) in _FOLDER_SUFFIXES
            )
            if not files:
                raise IngestError(f"No Parquet, CSV or JSON-lines files in folder {path}.", path=str(path))
            found.extend(SourceFile(p, _format_of(p, fmt), _table_hint(p), _kind(fmt)) for p in files)
        elif path.is_file():
            found.append(SourceFile(path, _format_of(path, fmt), _table_hint(path), _kind(fmt)))
        else:
            raise IngestError(f"{path} does not exist.", path=str(path))
    return found


def _base_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    while suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def _kind(fmt: str) -> str | None:
    return fmt if fmt in SOURCE_FORMATS else None


def _format_of(path: Path, fmt: str) -> str:
    if fmt in SOURCE_FORMATS:  # exports and saved API pages without a telling suffix are JSON
        return {"parquet": "parquet", "csv": "csv"}.get(_SUFFIX_FORMATS.get(_base_suffix(path), ""), "json")
    if fmt == "focus":
        fmt = "auto"
    if fmt != "auto":
        return fmt
    detected = _SUFFIX_FORMATS.get(_base_suffix(path))
    if detected is None:
        raise IngestError(
            f"Cannot tell the format of {path} from its name; pass --format parquet, csv or json.",
            path=str(path),
        )
    return detected


def _table_hint(path: Path) -> str | None:
    for part in reversed(path.parent.parts):
        if part in TABLES:
            return part
    stem = path.name.split(".")[0]
    return stem if stem in TABLES else None


def reader(source: SourceFile) -> exp.Expr:
    """The DuckDB table function that reads the file; CSV is read as text and typed later."""
    path = exp.Literal.string(str(source.path))
    if source.format == "parquet":
        return exp.Anonymous(this="read_parquet", expressions=[path])
    if source.format == "json":
        return exp.Anonymous(this="read_json_auto", expressions=[path])
    options = {
        "all_varchar": exp.true(),
        "header": exp.true(),
        "nullstr": exp.Array(expressions=[exp.Literal.string("NULL"), exp.Literal.string("")]),
    }
    return exp.Anonymous(
        this="read_csv",
        expressions=[path]
        + [exp.EQ(this=exp.column(key), expression=value) for key, value in options.items()],
    )


def match_columns(table: TableContract, source_columns: list[str]) -> dict[str, str]:
    """Contract column -> source column, by exact name first, then by key and alias."""
    matched: dict[str, str] = {}
    by_key = {column_key(c.name): c.name for c in table.columns}
    for source in source_columns:
        if source in table.column_names and source not in matched:
            matched[source] = source
    for source in source_columns:
        if source in matched.values():
            continue
        key = column_key(source)
        target = by_key.get(key)
        if target is None and table.name == "billing":
            target = FOCUS_ALIASES.get(key)
        if target is not None and target not in matched:
            matched[target] = source
    return matched


def choose_table(source: SourceFile, source_columns: list[str], table: str | None, fmt: str) -> TableContract:
    """The contract table a file belongs to: named, hinted by its folder, or the one whose required columns it has."""
    if fmt == "focus":
        table = table or "billing"
        if table != "billing":
            raise IngestError("--format focus loads into the billing table only.", path=str(source.path))
    table = table or source.table_hint
    if table is not None:
        if table not in TABLES:
            raise IngestError(f"Unknown table {table!r}; tables are {', '.join(TABLES)}.")
        return TABLES[table]
    candidates = []
    for contract in TABLES.values():
        matched = match_columns(contract, source_columns)
        missing = [c.name for c in contract.required_columns if c.name not in matched]
        candidates.append((len(missing), -len(matched), contract, missing))
    candidates.sort(key=lambda c: c[:2])
    if candidates[0][0] == 0:
        return candidates[0][2]
    _, _, contract, missing = min(candidates, key=lambda c: (c[0] / len(c[2].required_columns), c[1]))
    raise IngestError(
        f"{source.path} matches no table: closest is {contract.name}, which needs "
        f"{', '.join(missing[:5])}{' and more' if len(missing) > 5 else ''}. "
        f"Add the missing columns or pass --table.",
        path=str(source.path),
        column=missing[0] if missing else None,
    )

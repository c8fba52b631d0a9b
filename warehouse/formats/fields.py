"""Reading a source's fields in DuckDB, whatever the file type.

A per-request export arrives as CSV (every value text, nested objects as JSON
text), JSON lines (one object per line, read whole as a JSON value) or Parquet
(typed columns, nested objects as STRUCT, MAP or JSON text). `Fields` hides the
difference: `text("model")`, `json("metadata")`, `at("metadata.usage_object.
prompt_tokens_details.cached_tokens")` and `tag("request_tags", "feature")` give
sqlglot expressions that read the same thing from any of them, or NULL when the
source has no such field. Field names and paths only ever become quoted
identifiers and string literals.

>>> Fields.for_columns([("model", "VARCHAR")]).text("model").sql("duckdb")
'"model"'
>>> Fields.for_json_lines().at("metadata.team").sql("duckdb")
'json ->> \\'$."metadata"."team"\\''
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot.expressions as exp

_NESTED_PREFIXES = ("STRUCT", "MAP", "JSON")


def _json_path(keys: list[str] | tuple[str, ...]) -> exp.Literal:
    quoted = "".join('."' + key.replace('"', '\\"') + '"' for key in keys)
    return exp.Literal.string("$" + quoted)


def _same_family(source: str, target: str) -> bool:
    numbers = ("BIGINT", "INTEGER", "HUGEINT", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "DOUBLE", "FLOAT", "DECIMAL")
    if target == "TIMESTAMP":
        return source.startswith("TIMESTAMP")
    return source.startswith(numbers) and target in numbers


def as_type(text: exp.Expr, type_: str) -> exp.Expr:
    """TRY_CAST of text to `type_`; timestamps with an offset are turned into UTC first."""
    if type_ == "TIMESTAMP":
        text = exp.TryCast(this=text, to=exp.DataType.build("TIMESTAMPTZ"))
    if type_ == "BIGINT":  # "12.0" from spreadsheet round-trips is still 12 tokens
        text = exp.TryCast(this=text, to=exp.DataType.build("DOUBLE"))
    return exp.TryCast(this=text, to=exp.DataType.build(type_, dialect="duckdb"))


def _null(type_: str = "VARCHAR") -> exp.Expr:
    return exp.cast(exp.null(), type_, dialect="duckdb")


@dataclass(frozen=True)
class Fields:
    """Field access over one raw relation: `columns` (name -> DuckDB type), or a single `json` column per line."""

    columns: dict[str, str]
    json_lines: bool = False
    declared: bool = False  # the columns were named by us (JSON lines read with a column list): each row may lack any

    @classmethod
    def for_columns(cls, described: list[tuple[str, str]]) -> Fields:
        return cls({name: type_.upper() for name, type_ in described})

    @classmethod
    def for_json_lines(cls) -> Fields:
        return cls({}, json_lines=True)

    @classmethod
    def for_declared(cls, declared: dict[str, str]) -> Fields:
        """JSON lines read with `read_json(columns=declared)`: one parse per line, nested objects kept as JSON."""
        return cls({name: type_.upper() for name, type_ in declared.items()}, declared=True)

    def _column(self, name: str) -> tuple[str, str] | None:
        if name in self.columns:
            return name, self.columns[name]
        lowered = {key.lower(): key for key in self.columns}
        key = lowered.get(name.lower())
        return (key, self.columns[key]) if key else None

    def has(self, name: str) -> bool:
        """Whether the source has this top-level field (always True for JSON lines: each line may)."""
        return self.json_lines or self.declared or self._column(name) is not None

    def text(self, name: str) -> exp.Expr:
        """The field as VARCHAR (JSON text for nested values); NULL when absent."""
        if self.json_lines:
            return exp.JSONExtractScalar(this=exp.column("json"), expression=_json_path([name]))
        found = self._column(name)
        if found is None:
            return _null()
        column, type_ = found
        if type_ == "VARCHAR":
            return exp.column(column, quoted=True)
        if type_ == "JSON":
            return exp.JSONExtractScalar(this=exp.column(column, quoted=True), expression=exp.Literal.string("$"))
        if type_.startswith(("STRUCT", "MAP")) or type_.endswith("[]"):
            return exp.cast(exp.func("to_json", exp.column(column, quoted=True)), "VARCHAR", dialect="duckdb")
        return exp.cast(exp.column(column, quoted=True), "VARCHAR", dialect="duckdb")

    def json(self, name: str) -> exp.Expr:
        """The field as a JSON value (text columns are parsed); NULL when absent."""
        if self.json_lines:
            return exp.JSONExtract(this=exp.column("json"), expression=_json_path([name]))
        found = self._column(name)
        if found is None:
            return _null("JSON")
        column, type_ = found
        value = exp.column(column, quoted=True)
        if type_ == "JSON":
            # An object saved as a JSON string ("metadata": "{...}") is parsed once more.
            is_text = exp.EQ(this=exp.func("json_type", value.copy()), expression=exp.Literal.string("VARCHAR"))
            inner = exp.TryCast(this=exp.JSONExtractScalar(this=value.copy(), expression=exp.Literal.string("$")), to=exp.DataType.build("JSON"))
            return exp.Case(ifs=[exp.If(this=is_text, true=inner)], default=value)
        if type_ == "VARCHAR":
            # Real exports write empty strings and the literal NULL for "no object".
            cleaned = exp.func("nullif", exp.func("nullif", value, exp.Literal.string("")), exp.Literal.string("NULL"))
            return exp.TryCast(this=cleaned, to=exp.DataType.build("JSON"))
        return exp.func("to_json", value)

    def typed(self, name: str, type_: str) -> exp.Expr:
        """The field as `type_` (BIGINT, DOUBLE, TIMESTAMP); NULL when absent or not such a value."""
        found = None if self.json_lines else self._column(name)
        if found is not None and _same_family(found[1], type_):
            column = exp.column(found[0], quoted=True)
            return column if found[1] == type_ else exp.cast(column, type_, dialect="duckdb")
        return as_type(self.text(name), type_)

    def at(self, dotted: str) -> exp.Expr:
        """`name.key.key` as VARCHAR: a top-level field, or a path into a nested one.

        An exact top-level name wins over a path (a CSV column may be called `a.b`).
        """
        if not self.json_lines and self._column(dotted) is not None:
            return self.text(dotted)
        head, *rest = dotted.split(".")
        if not rest:
            return self.text(head)
        if self.json_lines:
            return exp.JSONExtractScalar(this=exp.column("json"), expression=_json_path([head, *rest]))
        if self._column(head) is None:
            return _null()
        return exp.JSONExtractScalar(this=self.json(head), expression=_json_path(rest))

    def tag(self, dotted: str, key: str) -> exp.Expr:
        """The value after `key:` in the first `key:value` string of the list field `dotted`.

        Read from the list's JSON text with one regular expression (no list is built per row).
        """
        head, *rest = dotted.split(".")
        source: exp.Expr
        if rest:
            source = exp.cast(exp.JSONExtract(this=self.json(head), expression=_json_path(rest)), "VARCHAR")
        else:
            found = None if self.json_lines else self._column(head)
            if found is not None and found[1].endswith("[]"):
                source = exp.func("to_json", exp.column(found[0], quoted=True))
            elif self.json_lines:
                source = exp.JSONExtract(this=exp.column("json"), expression=_json_path([head]))
            else:
                source = self.text(head)
        text = exp.cast(source, "VARCHAR")
        pattern = exp.Literal.string('"' + re.escape(key) + r':((?:[^"\\]|\\.)*)"')
        extracted = exp.Anonymous(this="regexp_extract", expressions=[text.copy(), pattern, exp.Literal.number(1)])
        # With no backslash in the text the pattern reads from its first `"key:` to the next quote (a later
        # `"key:` would start with that quote): string functions read the same, several times faster.
        marker = exp.Literal.string('"' + key + ":")
        start = exp.func("strpos", text.copy(), marker)
        after = exp.Substring(this=text.copy(), start=exp.Add(this=start.copy(), expression=exp.Literal.number(len(key) + 2)))
        end = exp.func("strpos", after.copy(), exp.Literal.string('"'))
        unescaped = exp.Case(
            ifs=[exp.If(this=exp.or_(exp.EQ(this=start, expression=exp.Literal.number(0)), exp.EQ(this=end.copy(), expression=exp.Literal.number(0))),
                        true=exp.Literal.string(""))],
            default=exp.func("left", after, exp.Sub(this=end, expression=exp.Literal.number(1))),
        )
        escaped = exp.func("contains", text, exp.Literal.string("\\"))
        read = exp.Case(ifs=[exp.If(this=escaped, true=extracted)], default=unescaped)
        return exp.func("nullif", read, exp.Literal.string(""))


def one_parse_per_value(query: exp.Select) -> exp.Select:
    """`query` with the path reads of each JSON value (`x ->> '$."a"."b"'`) made once per row, in a
    subquery the projections then read: all of a value's paths as one `json_extract_string(x, [paths])`.

    DuckDB parses a JSON value again for each path read from it: a mapping reading eight paths of
    `metadata` parsed each row's metadata eight times. The values are the same: element i of the
    list is what the i-th path's `->>` reads, NULL where that is NULL.
    """
    source = query.args.get("from_") or query.args.get("from")
    if source is None:
        return query

    def reads(node: exp.Expr) -> bool:
        return isinstance(node, exp.JSONExtractScalar) and isinstance(node.expression, exp.Literal) and node.expression.is_string

    values: dict[str, tuple[str, exp.Expr, list[str]]] = {}
    for node in query.find_all(exp.JSONExtractScalar):
        if reads(node) and not any(reads(parent) for parent in _parents(node)):
            name, _, paths = values.setdefault(node.this.sql("duckdb"), (f"_finops_json_{len(values)}", node.this.copy(), []))
            if node.expression.this not in paths:
                paths.append(node.expression.this)
    if not values:
        return query

    def read(node: exp.Expr) -> exp.Expr:
        if not reads(node) or node.this.sql("duckdb") not in values:
            return node
        name, _, paths = values[node.this.sql("duckdb")]
        if len(paths) == 1:
            return exp.column(name)
        return exp.func("list_extract", exp.column(name), exp.Literal.number(paths.index(node.expression.this) + 1))

    columns = []
    for name, value, paths in values.values():
        if len(paths) == 1:
            columns.append(exp.alias_(exp.JSONExtractScalar(this=value, expression=exp.Literal.string(paths[0])), name))
        else:
            paths_list = exp.Array(expressions=[exp.Literal.string(path) for path in paths])
            columns.append(exp.alias_(exp.Anonymous(this="json_extract_string", expressions=[value, paths_list]), name))
    rewritten = query.copy().transform(read)
    assert isinstance(rewritten, exp.Select)
    inner = exp.select(exp.Star(), *columns).from_(source.this.copy())
    rewritten.set("from_" if "from_" in rewritten.args else "from", exp.From(this=inner.subquery("_finops_read")))
    return rewritten


def _parents(node: exp.Expr) -> list[exp.Expr]:
    found = []
    parent = node.parent
    while parent is not None:
        found.append(parent)
        parent = parent.parent
    return found

"""OTLP JSON files -> llm_requests rows in DuckDB: the fast path of `finops ingest --format otel`.

`span_query(path, json_format, chosen)` reads the file with `read_json`, typed by the
OTLP schema (camelCase and proto field names, every AnyValue member), unnests
resourceSpans -> scopeSpans -> spans, looks the attributes up by name (the last of a
repeated name, as a dict keeps it) and applies the mapping that otel.py declares as
data (ATTRIBUTES, DEFAULTS and `--map` fields, ERROR_STATUSES, ERROR_CODES, provider
names). It gives one row per span with the llm_requests columns and two flags:

- `_request`: the span is a GenAI call (a model, or a gen_ai.usage.* attribute);
- `_plain`: every value the mapping reads is a plain string or whole number and the
  span makes a row. A span `span_row` would refuse (no start time, no model, token
  counts missing or not whole numbers from 0 up, no ids ...), a value it would read
  as a bool, a float, a list or a map, a NULL where Python would fail: not plain.

The SQL path is taken only when every span is plain; otherwise the caller maps the
file with `otel.request_rows`, which gives the same rows or the exact IngestError
(file, line, span, attribute). The SQL is built with sqlglot; attribute names and
`--map` fields only ever become string literals.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import sqlglot.expressions as exp

from warehouse.formats import otel
from warehouse.formats.mapping import ATTRIBUTION_COLUMNS, Field
from warehouse.formats.pages import parses as _parses
from warehouse.formats.requests import PROVIDER_NAMES

S = exp.Literal.string
_INT = "-?[0-9]{1,18}"  # a whole number DuckDB and Python both read the same
_NUMBER = r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?"  # JSON number text: a float's text differs between them
_COUNT = "[0-9]{1,19}"
_CODE = "[0-9]|[A-Z_]+"  # a span status code as OTLP writes it


def _type_sql() -> dict[str, str]:
    """The read_json column types: ExportTraceServiceRequest with both spellings of every field read."""
    def both(camel: str) -> list[str]:
        return [camel, otel.PROTO_NAMES.get(camel) or otel.VALUE_KINDS[camel]]

    array = 'STRUCT("values" STRUCT(stringValue VARCHAR)[])'
    members = [f"{name} {array if kind == 'arrayValue' else 'VARCHAR'}" for kind in otel.VALUE_KINDS for name in both(kind)]
    attributes = f"STRUCT(key VARCHAR, value STRUCT({', '.join(members)}))[]"
    span_fields = [f"{name} VARCHAR" for camel in ("traceId", "spanId", "startTimeUnixNano", "endTimeUnixNano") for name in both(camel)]
    span = f"STRUCT({', '.join(span_fields)}, attributes {attributes}, status STRUCT(code VARCHAR))"
    scope = f"STRUCT(spans {span}[])"
    resource = f"STRUCT(resource STRUCT(attributes {attributes}), {', '.join(f'{n} {scope}[]' for n in both('scopeSpans'))})"
    return {name: f"{resource}[]" for name in both("resourceSpans")}


def _read_json(path: Path, json_format: str) -> exp.Expr:
    columns = exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(name), expression=S(type_)) for name, type_ in _type_sql().items()])
    options = {"format": S(json_format), "records": S("true"), "columns": columns}
    return exp.Anonymous(this="read_json", expressions=[S(str(path)), *[exp.EQ(this=exp.var(k), expression=v) for k, v in options.items()]])


# --- small builders ---------------------------------------------------------------------------------------

def _member(struct: exp.Expr, name: str) -> exp.Expr:
    return exp.func("struct_extract", struct.copy(), S(name))


def _at(items: exp.Expr, position: exp.Expr) -> exp.Expr:
    """The 1-based `position`th element (list_extract: sqlglot's brackets count from 0)."""
    return exp.func("list_extract", items, position)


def _lambda(body: exp.Expr, name: str) -> exp.Lambda:
    return exp.Lambda(this=body, expressions=[exp.to_identifier(name)])


def _matches(text: exp.Expr, pattern: str) -> exp.Expr:
    return exp.func("regexp_full_match", text.copy(), S(pattern))


def _null(e: exp.Expr) -> exp.Expr:
    return exp.Is(this=e.copy(), expression=exp.null())


def _set(e: exp.Expr) -> exp.Expr:
    return exp.Not(this=_null(e))


def _case(ifs: Sequence[tuple[exp.Expr, exp.Expr]], default: exp.Expr | None = None) -> exp.Expr:
    return exp.Case(ifs=[exp.If(this=c, true=v) for c, v in ifs], default=default)


# --- AnyValue -> text, and whether Python would read the same text --------------------------------------

def _suspicious(text: exp.Expr) -> exp.Expr:
    """Text DuckDB made of a JSON bool, float, object or list (Python would hold the value itself).

    Only text starting with '-', '.', '/' or a digit is tried against the number pattern.
    """
    numeric = exp.and_(exp.GTE(this=text.copy(), expression=S("-")), exp.LT(this=text.copy(), expression=S(":")))
    return _case([(numeric, exp.and_(_matches(text, _NUMBER), exp.Not(this=_matches(text, _INT))))],
                 exp.or_(exp.In(this=text.copy(), expressions=[S("true"), S("false")]),
                         exp.func("starts_with", text.copy(), S("{")), exp.func("starts_with", text.copy(), S("["))))


_OTHER_MEMBERS = [n for kind in otel.VALUE_KINDS for n in (kind, otel.VALUE_KINDS[kind]) if n not in ("stringValue", "intValue")]


def _nothing_else(value: exp.Expr, but: str | None = None) -> exp.Expr:
    """No AnyValue member other than stringValue, intValue (and `but`) is set (proto names included)."""
    return exp.and_(*[_null(_member(value, name)) for name in _OTHER_MEMBERS if name != but])


def _plain(value: exp.Expr) -> exp.Expr:
    """The AnyValue is absent, a string, or a whole number (and nothing else is set)."""
    string, number = _member(value, "stringValue"), _member(value, "intValue")
    return _case([(_set(string), exp.Not(this=_suspicious(string)))],
                 exp.and_(exp.or_(_null(number), _matches(number, _INT)), _nothing_else(value)))


def _array(value: exp.Expr) -> exp.Expr:
    """The AnyValue's list when a list (arrayValue) is all it holds; NULL otherwise."""
    array = _member(value, "arrayValue")
    only = exp.and_(_set(array), _null(_member(value, "stringValue")), _null(_member(value, "intValue")), _nothing_else(value, "arrayValue"))
    return _case([(only, _member(array.copy(), "values"))])


def _tag_plain(values: exp.Expr) -> exp.Expr:
    """Every element of a tag list is a string (not a JSON object or list read as text)."""
    element = _member(exp.column("e"), "stringValue")
    odd = exp.or_(_null(element), exp.func("starts_with", element.copy(), S("{")), exp.func("starts_with", element.copy(), S("[")))
    return exp.Not(this=exp.func("coalesce", exp.func("list_bool_or", exp.func("list_transform", values, _lambda(odd, "e"))), exp.false()))


def _tag_value(values: exp.Expr, tag: str) -> exp.Expr:
    """What follows `tag:` in the first element that starts with it (Python's `next(...)`)."""
    prefix = tag + ":"
    element = _member(exp.column("e"), "stringValue")
    found = _at(exp.func("list_filter", values, _lambda(exp.func("starts_with", element, S(prefix)), "e")), exp.Literal.number(1))
    return exp.Substring(this=_member(found, "stringValue"), start=exp.Literal.number(len(prefix) + 1))


# --- the query ----------------------------------------------------------------------------------------------

def _keys(attributes: exp.Expr) -> exp.Expr:
    """The attribute names, last first."""
    return exp.func("list_reverse", exp.func("list_transform", attributes, _lambda(_member(exp.column("a"), "key"), "a")))


def _any(items: exp.Expr, name: str, condition: exp.Expr) -> exp.Expr:
    return exp.func("coalesce", exp.func("list_bool_or", exp.func("list_transform", items, _lambda(condition, name))), exp.false())


def _odd_line() -> exp.Expr:
    """A line the SQL path leaves to Python: no resourceSpans (or the proto spelling), a NULL where an object
    belongs (Python fails on it), a scope's spans under the proto name, a span's times under the proto names."""
    span = exp.column("x")
    span_odd = exp.or_(_null(span), *[exp.and_(_null(_member(span, camel)), _set(_member(span, otel.PROTO_NAMES[camel])))
                                      for camel in ("startTimeUnixNano", "endTimeUnixNano", "traceId", "spanId")])
    scope_odd = exp.or_(_null(exp.column("c")), _any(_member(exp.column("c"), "spans"), "x", span_odd))
    resource_odd = exp.or_(_null(exp.column("r")), _set(_member(exp.column("r"), "scope_spans")),
                           _any(_member(exp.column("r"), "scopeSpans"), "c", scope_odd))
    camel, proto = exp.column("resourceSpans", quoted=True), exp.column("resource_spans", quoted=True)
    return exp.or_(_null(camel), _set(proto), _any(camel.copy(), "r", resource_odd))


def _unnest_keeping(items: exp.Expr, flag: str) -> list[exp.Expr]:
    """unnest(items) beside unnest([flag]): a parent with no items still gives one row, carrying its flag."""
    return [exp.func("unnest", items), exp.alias_(exp.func("unnest", exp.Array(expressions=[exp.column(flag)])), flag)]


def _attribute_lists(attributes: exp.Expr, prefix: str) -> list[exp.Expr]:
    """An attribute list read once into flat lists: the keys (reversed: the last of a repeated name wins, as
    in a dict), each value's stringValue and intValue, and whether it holds nothing else. Each lambda reads
    one or a few members (a lambda copies what it reads, so none reads the whole AnyValue)."""
    value = _member(exp.column("a"), "value")

    def each(body: exp.Expr) -> exp.Expr:
        return exp.func("list_transform", attributes.copy(), _lambda(body, "a"))

    return [exp.alias_(_keys(attributes.copy()), f"{prefix}_keys"),
            exp.alias_(each(_member(value, "stringValue")), f"{prefix}_strings"),
            exp.alias_(each(_member(value, "intValue")), f"{prefix}_ints"),
            exp.alias_(each(_nothing_else(value)), f"{prefix}_only")]


def _lookups(attributes: exp.Expr, prefix: str, keys: dict[str, str], tagged: set[str], counts: frozenset[str] | set[str] = frozenset()) -> list[exp.Expr]:
    """Per attribute name: its text t, whether it is plain p (an absent one is), its list a (for `key:` tags).

    A count (in `counts`) keeps its text as written: `_row` accepts only digits there, which Python
    reads as the same number whichever member held them.
    """
    columns = []
    reversed_keys = exp.column(f"{prefix}_keys")
    for key, n in keys.items():
        position = exp.func("list_position", reversed_keys.copy(), S(key))
        index = exp.Sub(this=exp.Add(this=exp.func("len", reversed_keys.copy()), expression=exp.Literal.number(1)), expression=position)
        string, number = _at(exp.column(f"{prefix}_strings"), index), _at(exp.column(f"{prefix}_ints"), index.copy())
        nothing_else = _at(exp.column(f"{prefix}_only"), index.copy())
        plain: exp.Expr
        if key in counts:
            text = exp.func("coalesce", string, number)
            plain = exp.or_(_null(position.copy()), _set(string.copy()), nothing_else)
        else:
            text = exp.func("coalesce", string, exp.cast(exp.TryCast(this=number, to=exp.DataType.build("BIGINT")), "VARCHAR"))
            plain = _case([(_null(position.copy()), exp.true()), (_set(string.copy()), exp.Not(this=_suspicious(string)))],
                          exp.and_(exp.or_(_null(number), _matches(number, _INT)), nothing_else))
        columns += [exp.alias_(text, f"t{prefix}{n}"), exp.alias_(exp.func("coalesce", plain, exp.false()), f"p{prefix}{n}")]
        if key in tagged:
            any_value = _member(_at(attributes.copy(), index.copy()), "value")
            columns.append(exp.alias_(_array(any_value), f"a{prefix}{n}"))
    return columns


SOURCE = "_fmt_otel_source"  # the view `source_view` makes and `span_sql` reads


def source_view(path: Path, json_format: str) -> exp.Create:
    """CREATE TEMP VIEW of the file read by the OTLP schema; `json_format` is read_json's format
    ('newline_delimited', 'array' or 'unstructured')."""
    return exp.Create(this=exp.to_table(SOURCE), kind="VIEW", replace=True,
                      expression=exp.select(exp.Star()).from_(exp.Table(this=_read_json(path, json_format))),
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]))


@functools.lru_cache(maxsize=16)
def _span_sql(chosen: tuple[tuple[str, tuple[Field, ...]], ...]) -> str:
    return span_query(dict(chosen)).sql("duckdb")


def span_sql(chosen: dict[str, tuple[Field, ...]]) -> str:
    """`span_query` as DuckDB SQL, built once per attribution (the query is large; the file is in the view)."""
    return _span_sql(tuple(sorted(chosen.items())))


def span_query(chosen: dict[str, tuple[Field, ...]]) -> exp.Select:
    """One row per span of the view `SOURCE`: the llm_requests columns, `_request` and `_plain`.

    `chosen` is `mapping.attribution(otel.DEFAULTS, mapping)`. Files in the proto spelling are left to Python.
    """
    span_keys = [k for keys in otel.ATTRIBUTES.values() for k in keys] + [otel.ERROR_TYPE, otel.RESEND_COUNT]
    field_keys = list(dict.fromkeys(f.path for fields in chosen.values() for f in fields))
    keys = {key: f"{n}" for n, key in enumerate(dict.fromkeys(span_keys + field_keys))}
    resource_keys = {key: keys[key] for key in field_keys}
    tagged = {f.path for fields in chosen.values() for f in fields if f.tag}
    counts = {k for c in otel.TOKEN_COLUMNS for k in otel.ATTRIBUTES[c]} | {otel.RESEND_COUNT}
    counts -= set(field_keys) | {k for c, names in otel.ATTRIBUTES.items() if c not in otel.TOKEN_COLUMNS for k in names}

    lines = exp.select(exp.alias_(exp.column("resourceSpans", quoted=True), "rsl"), exp.alias_(_odd_line(), "odd")).from_(
        exp.to_table(SOURCE))
    rs_items, rs_flag = _unnest_keeping(exp.column("rsl"), "odd")
    unnest_rs = exp.select(exp.alias_(rs_items, "rs"), rs_flag).from_(lines.subquery("l"))
    rs = exp.column("rs")
    resource_attributes = _member(_member(rs, "resource"), "attributes")
    with_lists = exp.select("rs", "odd", *_attribute_lists(resource_attributes, "r")).from_(unnest_rs.subquery("u"))
    resource_values = _lookups(resource_attributes, "r", resource_keys, tagged)
    resource_columns = [e.alias for e in resource_values]
    odd_keys = exp.or_(exp.func("coalesce", exp.column("odd"), exp.false()), _set(exp.func("list_position", exp.column("r_keys"), exp.null())))
    resources = exp.select(*resource_values, exp.alias_(odd_keys, "odd"), "rs").from_(with_lists.subquery("r"))
    ss_items, ss_flag = _unnest_keeping(_member(rs, "scopeSpans"), "odd")
    scopes = exp.select(*resource_columns, exp.alias_(ss_items, "ss"), ss_flag).from_(resources.subquery("rr"))
    s_items, s_flag = _unnest_keeping(_member(exp.column("ss"), "spans"), "odd")
    spans = exp.select(*resource_columns, exp.alias_(s_items, "s"), s_flag).from_(scopes.subquery("sc"))
    attributes = _member(exp.column("s"), "attributes")
    keyed = exp.select(exp.Star(), *_attribute_lists(attributes, "v")).from_(spans.subquery("sp"))
    texts = exp.select(*resource_columns, "s", "odd", exp.alias_(exp.column("v_keys"), "k"),
                       *_lookups(attributes, "v", keys, tagged, counts)).from_(keyed.subquery("kd"))
    return _rows(texts, keys, chosen)


def _rows(texts: exp.Select, keys: dict[str, str], chosen: dict[str, tuple[Field, ...]]) -> exp.Select:
    s = exp.column("s")
    plain: list[exp.Expr] = [exp.Not(this=exp.func("coalesce", exp.column("odd"), exp.false())),
                             _null(exp.func("list_position", exp.column("k"), exp.null()))]

    def text(key: str, prefix: str = "v") -> exp.Expr:
        plain.append(exp.column(f"p{prefix}{keys[key]}"))
        return exp.column(f"t{prefix}{keys[key]}")

    def first(column: str) -> exp.Expr:
        return exp.func("coalesce", *[exp.func("nullif", text(key), S("")) for key in otel.ATTRIBUTES[column]])

    code = _member(_member(s, "status"), "code")
    facts = {
        **{column: first(column) for column in otel.ATTRIBUTES},
        "resend": text(otel.RESEND_COUNT), "error_type": text(otel.ERROR_TYPE), "code": code,
        "start": _member(s, "startTimeUnixNano"), "end": _member(s, "endTimeUnixNano"),
        "trace_id": exp.func("coalesce", _member(s, "traceId"), S("")), "span_id": exp.func("coalesce", _member(s, "spanId"), S("")),
        "request": exp.and_(_set(s), _case([(_set(first("model")), exp.true())],
                                            _any(exp.column("k"), "x", exp.func("starts_with", exp.column("x"), S(otel.USAGE_PREFIX))))),
    }
    facts["provider_key"] = exp.func("lower", exp.func("trim", facts["provider"].copy()))
    error_status = exp.In(this=code.copy(), expressions=[S(str(c)) for c in otel.ERROR_CODES])
    words = exp.func("lower", exp.func("coalesce", facts["error_type"].copy(), S("")))
    facts["status"] = _case(
        [(exp.and_(_null(facts["error_type"].copy()), exp.Not(this=exp.func("coalesce", error_status, exp.false()))), S("ok"))]
        + [(exp.or_(*[exp.func("contains", words.copy(), S(w)) for w in ws]), S(name)) for name, ws in otel.ERROR_STATUSES],
        S("error"),
    )
    for column in ATTRIBUTION_COLUMNS:
        found = []
        for field in chosen.get(column, ()):
            for prefix in ("v", "r"):
                read = text(field.path, prefix)
                if field.tag:
                    values = exp.column(f"a{prefix}{keys[field.path]}")
                    plain[-1] = _case([(_set(values), _tag_plain(values.copy()))], plain[-1])
                    read = _case([(_set(values.copy()), _tag_value(values.copy(), field.tag))], read)
                found.append(exp.func("nullif", read, S("")))
        facts[column] = exp.func("coalesce", *found) if found else exp.cast(exp.null(), "VARCHAR")
    facts["plain"] = exp.and_(*[exp.func("coalesce", p, exp.false()) for p in plain])
    f = {name: exp.column(name) for name in facts}
    return exp.select(*_row(f)).from_(exp.select(*[exp.alias_(e, name) for name, e in facts.items()]).from_(texts.subquery("t")).subquery("f"))


def _provider(key: exp.Expr) -> exp.Expr:
    """`requests.provider_name` over the lowercased, trimmed name: exact spellings, then prefixes (`vertex_ai*`)."""
    exact: dict[str, list[str]] = {}
    for spelling, name in PROVIDER_NAMES.items():
        if not spelling.endswith("*"):
            exact.setdefault(name, []).append(spelling)
    ifs: list[tuple[exp.Expr, exp.Expr]] = [(exp.In(this=key.copy(), expressions=[S(v) for v in spellings]), S(name)) for name, spellings in exact.items()]
    ifs += [(exp.func("starts_with", key.copy(), S(spelling[:-1])), S(name)) for spelling, name in PROVIDER_NAMES.items() if spelling.endswith("*")]
    return _case(ifs, exp.func("nullif", key.copy(), S("")))


def _row(f: dict[str, exp.Column]) -> list[exp.Expr]:
    """The llm_requests columns from the span's facts, and the checks that make a span plain."""
    def c(name: str) -> exp.Expr:
        return f[name].copy()

    tokens = {column: exp.TryCast(this=c(column), to=exp.DataType.build("BIGINT")) for column in otel.TOKEN_COLUMNS}
    start_us = exp.IntDiv(this=exp.TryCast(this=c("start"), to=exp.DataType.build("BIGINT")), expression=exp.Literal.number(1000))
    end_us = exp.IntDiv(this=exp.TryCast(this=c("end"), to=exp.DataType.build("BIGINT")), expression=exp.Literal.number(1000))
    no_end = exp.or_(_null(c("end")), exp.In(this=c("end"), expressions=[S(""), S("0")]))
    latency = _case([(no_end, exp.cast(exp.null(), "DOUBLE"))],
                    exp.Mul(this=exp.Div(this=exp.cast(exp.Sub(this=end_us, expression=start_us.copy()), "DOUBLE"), expression=exp.Literal.number(1_000_000)),
                            expression=exp.Literal.number(1000)))
    spare = exp.NEQ(this=c("status"), expression=S("ok"))

    def odd_id(name: str) -> exp.Expr:  # JSON 0 / false would be "" in Python
        return exp.or_(exp.EQ(this=c(name), expression=S("0")), _suspicious(c(name)))

    has_ids = exp.and_(exp.NEQ(this=c("trace_id"), expression=S("")), exp.NEQ(this=c("span_id"), expression=S("")),
                       exp.Not(this=odd_id("trace_id")), exp.Not(this=odd_id("span_id")))
    checks = [  # span_row's refusals, and values Python would read differently
        _matches(c("start"), _COUNT), exp.NEQ(this=c("start"), expression=S("0")), _set(start_us.copy()),
        exp.or_(no_end.copy(), exp.and_(_matches(c("end"), _COUNT), _set(end_us.copy()))),
        _set(c("model")), exp.or_(_set(tokens["input_tokens"].copy()), spare.copy()),
        exp.or_(_set(tokens["output_tokens"].copy()), spare.copy(), exp.EQ(this=c("operation"), expression=S(otel.EMBEDDINGS))),
        exp.or_(_set(c("request_id")), has_ids),
        # printable ASCII, not blank: DuckDB's trim and lower then do what Python's strip and lower do
        exp.or_(_null(c("provider")), exp.and_(_matches(c("provider"), "[ -~]+"), exp.NEQ(this=c("provider_key"), expression=S("")))),
        exp.or_(_null(c("operation")), exp.NEQ(this=c("operation"), expression=S("0"))),
        exp.or_(_null(c("resend")), exp.and_(_matches(c("resend"), "[0-9]{1,10}"), exp.LT(
            this=exp.TryCast(this=c("resend"), to=exp.DataType.build("BIGINT")), expression=exp.Literal.number(otel.RESEND_END)))),
        exp.or_(_null(c("code")), exp.and_(_matches(c("code"), _CODE), exp.Not(this=exp.In(this=c("code"), expressions=[S("true"), S("false")])))),
        *[exp.or_(_null(c(column)), exp.and_(_matches(c(column), _COUNT), _set(tokens[column].copy()))) for column in otel.TOKEN_COLUMNS],
    ]
    row = {
        "request_id": exp.func("coalesce", c("request_id"), exp.DPipe(this=exp.DPipe(this=c("trace_id"), expression=S(":")), expression=c("span_id"))),
        "ts": exp.func("make_timestamp", start_us),
        "provider": _provider(c("provider_key")),
        "model": c("model"),
        "operation": exp.func("coalesce", c("operation"), S(otel.DEFAULT_OPERATION)),
        "input_tokens": exp.func("coalesce", tokens["input_tokens"], exp.Literal.number(0)),
        "cached_input_tokens": tokens["cached_input_tokens"],
        "output_tokens": exp.func("coalesce", tokens["output_tokens"], exp.Literal.number(0)),
        "latency_ms": latency,
        "status": c("status"),
        "attempt": exp.Add(this=exp.TryCast(this=c("resend"), to=exp.DataType.build("BIGINT")), expression=exp.Literal.number(1)),
        "prompt_hash": exp.cast(exp.null(), "VARCHAR"),
        "cost_usd": exp.cast(exp.null(), "DOUBLE"),
        "cache_write_input_tokens": tokens["cache_write_input_tokens"],
        "reasoning_output_tokens": tokens["reasoning_output_tokens"],
        **{column: c(column) for column in ATTRIBUTION_COLUMNS},
    }
    request = exp.func("coalesce", c("request"), exp.false())
    checked = _case([(request.copy(), exp.and_(*[exp.func("coalesce", check, exp.false()) for check in checks]))], exp.true())
    return [*[exp.alias_(e, name) for name, e in row.items()], exp.alias_(request, "_request"), exp.alias_(exp.and_(c("plain"), checked), "_plain")]


def json_format(path: Path) -> str | None:
    """read_json's format for the file as `pages.documents` reads it, or None to leave it to Python.

    A first line that is a whole JSON object: one request per line ('newline_delimited'). Else the
    file is one document: a list of requests ('array') or one request ('unstructured', which the
    caller must find to be a single document). Anything else (a list per line, a byte order mark,
    not JSON) is Python's to read and refuse.
    """
    with open(path, "rb") as handle:
        first = b""
        for first in handle:
            if first.strip():
                break
        if first.strip()[:1] == b"{" and _parses(first):
            return "newline_delimited"
        if first.strip()[:1] == b"[" and _parses(first):
            return None
        handle.seek(0)
        head = handle.read(4096).lstrip()
    return {b"[": "array", b"{": "unstructured"}.get(head[:1])

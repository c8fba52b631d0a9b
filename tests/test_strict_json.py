"""The shortcuts of the per-request importers' fast paths read what the slow reads read.

- `pages.strict_lines` (the OTLP SQL path's check that a JSON lines file is strict JSON)
  refuses every line DuckDB's reader takes and Python's parse refuses, and a file of
  them goes to the Python path, which names the line;
- `Fields.tag` reads a `key:` tag with string functions where the text has no backslash:
  the same value as the regular expression it stands for;
- `fields.one_parse_per_value` (each JSON value's paths read in one call): the same rows.
Expected values are the regular expression's and the unrewritten query's, run by DuckDB.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import orjson
import pytest
import sqlglot.expressions as exp

from warehouse.formats.fields import Fields, one_parse_per_value
from warehouse.formats.pages import strict_lines

GOOD = b'{"a": 1, "b": "x", "c": [1, 2.5e3], "d": {"e": null}}'

# Lines DuckDB's read_json takes (its yyjson flags) but orjson, which `documents` parses with, refuses.
LENIENT = [
    ("trailing comma in an object", b'{"a": 1,}'),
    ("trailing comma in a list", b'{"c": [1, 2,]}'),
    ("trailing comma before spaces", b'{"c": [1, 2 , \t ]}'),
    ("nested trailing commas", b'{"a": {"b": [1,],},}'),
    ("NaN", b'{"a": NaN}'),
    ("nan", b'{"a": nan}'),
    ("Infinity", b'{"a": Infinity}'),
    ("-Infinity", b'{"a": -Infinity}'),
    ("inf", b'{"a": inf}'),
    ("NaN in a list", b'{"c": [NaN]}'),
    ("a number past a double", b'{"a": 1e400}'),
    ("400 digits", b'{"a": ' + b"1" * 400 + b"}"),
]


@pytest.mark.parametrize("name, line", LENIENT, ids=[c[0] for c in LENIENT])
def test_strict_lines_refuses_what_only_duckdb_reads(tmp_path: Path, name: str, line: bytes) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(GOOD + b"\n\n" + line + b"\n" + GOOD + b"\n")
    with pytest.raises(ValueError):
        orjson.loads(line)
    rows = duckdb.sql(f"SELECT count(*) FROM read_json('{path}', format='newline_delimited', columns={{a: 'VARCHAR'}})").fetchall()
    assert rows[0][0] == 3
    assert strict_lines(path) is False


def test_strict_lines_refuses_a_byte_order_mark(tmp_path: Path) -> None:
    """simdjson skips a mark that orjson refuses; the check refuses it itself."""
    path = tmp_path / "t.jsonl"
    path.write_bytes(GOOD + b"\n" + b'\xef\xbb\xbf{"a": 1}' + b"\n")
    assert strict_lines(path) is False


@pytest.mark.parametrize("lines", [[GOOD], [GOOD, b"", b"  ", GOOD], [b'{"s": "a, ] NaN inf", "n": -0.0, "u": "\\u00e9\xc3\xa9"}']])
def test_strict_lines_takes_strict_json(tmp_path: Path, lines: list[bytes]) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert strict_lines(path) is True


TAG_TEXTS = [
    '["feature:a","environment:b"]', '["x","feature:"]', '["feature:\u00e9\u6f22x","feature:b"]', '["feature:abc', '"feature:a',
    'feature:a"', '["xfeature:a"]', '[""feature:a"]', '["feature:a\\"b"]', '["feature:a\\\\"]', '["e:1","feature:\u00fc\\u00e9"]',
    "", "[]", '["feature:a","feature:b"]', '{"k":"feature:v"}', '["\u20acfeature:x", "feature:\u20acy\u20ac"]', '["feature::a:b"]', None,
    '["feature:a\nb"]', '"feature:"', '"feature:""', '["environment:prod","feature:x"]',
]


@pytest.mark.parametrize("key", ["feature", "environment", "e"])
def test_tag_reads_what_the_regular_expression_reads(key: str) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE c (tags VARCHAR)")
    con.executemany("INSERT INTO c VALUES (?)", [[text] for text in TAG_TEXTS])
    pattern = '"' + re.escape(key) + r':((?:[^"\\]|\\.)*)"'
    expected = exp.func("nullif", exp.Anonymous(this="regexp_extract", expressions=[
        exp.column("tags"), exp.Literal.string(pattern), exp.Literal.number(1)]), exp.Literal.string(""))
    read = Fields.for_columns([("tags", "VARCHAR")]).tag("tags", key)
    rows = con.execute(exp.select(expected.as_("e"), read.as_("r")).from_("c").sql("duckdb")).fetchall()
    assert [r for r in rows if r[0] != r[1]] == []
    assert any(r[0] is not None for r in rows)


def test_one_parse_per_value_reads_the_same_rows(tmp_path: Path) -> None:
    records = [
        {"metadata": {"a": {"b": 1}, "c": "x", "t": ["feature:f"]}, "tags": ["feature:g", "team:h"]},
        {"metadata": json.dumps({"a": {"b": "2"}, "c": None}), "tags": []},
        {"metadata": None, "tags": None},
        {"metadata": {"a": [1, 2], "c": {"d": 3}}, "tags": ["team:\u00e9"]},
        {},
    ]
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    fields = Fields.for_declared({"metadata": "JSON", "tags": "JSON"})
    relation = exp.Table(this=exp.Anonymous(this="read_json", expressions=[exp.Literal.string(str(path)), exp.EQ(
        this=exp.var("columns"), expression=exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(n), expression=exp.Literal.string("JSON"))
                                                                      for n in ("metadata", "tags")]))]))
    columns = {"b": fields.at("metadata.a.b"), "c": fields.at("metadata.c"), "a": fields.at("metadata.a"),
               "feature": fields.tag("tags", "feature"), "team": fields.tag("tags", "team"), "t": fields.tag("metadata.t", "feature")}
    query = exp.select(*[e.as_(n) for n, e in columns.items()]).from_(relation).where(exp.Not(this=exp.Is(this=fields.at("metadata.c"), expression=exp.null())))
    rewritten = one_parse_per_value(query)
    assert rewritten.sql("duckdb").lower().count("json_extract_string(") == 1  # metadata's paths read in one call
    expected = duckdb.sql(query.sql("duckdb")).fetchall()
    assert sorted(map(str, duckdb.sql(rewritten.sql("duckdb")).fetchall())) == sorted(map(str, expected))
    assert len(expected) == 2

"""The declared tables match DATA-CONTRACT.md, the document outside tools rely on."""

from __future__ import annotations

import re
from pathlib import Path

from warehouse.contract import TABLES
from warehouse.focus import ADDED as FOCUS_ADDED

DOC = Path(__file__).resolve().parent.parent / "docs" / "DATA-CONTRACT.md"


def documented_tables() -> dict[str, dict[str, str]]:
    """table -> {column: type} from the contract's markdown tables."""
    tables: dict[str, dict[str, str]] = {}
    current = None
    for line in DOC.read_text().splitlines():
        heading = re.match(r"^## `(\w+)`", line)
        if heading:
            current = heading.group(1)
            tables[current] = {}
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if current and line.startswith("|") and len(cells) >= 2 and cells[1] and cells[1].isupper():
            for name in cells[0].split(","):
                tables[current][name.strip()] = cells[1]
    return tables


def test_declared_columns_and_types_match_the_document():
    documented = documented_tables()
    assert set(documented) == set(TABLES)
    for name, columns in documented.items():
        declared = {c.name: c.type for c in TABLES[name].columns}
        for column, type_ in columns.items():
            assert declared.get(column) == type_, f"{name}.{column}"


def test_focus_conditional_columns_are_declared():
    text = DOC.read_text()
    listed = re.search(r"Conditional columns\s+kept\s+when\s+the\s+source\s+has\s+them\s+\(NULL\s+otherwise\)(?:\s+include)?:(.*?)\n\n", text, re.S).group(1)
    names = [" ".join(n.split()).strip(" .") for n in listed.split(",")]
    billing = TABLES["billing"]
    assert all(not billing.column(n).required for n in names)
    # the document lists them all: with the mandatory ones, every FOCUS 1.2 column
    assert sorted(names) == sorted(c.name for c in billing.columns if not c.required)


def test_billing_declares_every_focus_1_2_column_once():
    billing = TABLES["billing"].column_names
    assert len(billing) == len(set(billing)) == 57  # FOCUS 1.2: 57 columns, 1.0's and 1.1's included
    added = [name for names in FOCUS_ADDED.values() for name in names]
    assert set(added) <= set(billing) and len(added) == len(set(added)) == 14


def test_every_table_has_its_time_column_and_key():
    for table in TABLES.values():
        if table.time_column:
            assert table.column(table.time_column).type == "TIMESTAMP"
        if table.key:
            assert table.column(table.key).required

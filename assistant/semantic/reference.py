"""The semantic model's reference page, generated from model.yaml.

    .venv/bin/python -m assistant.semantic.reference   # rewrites REFERENCE.md beside model.yaml
"""

from __future__ import annotations

from pathlib import Path

from assistant.semantic import SemanticModel, load_semantic_model

REFERENCE_PATH = Path(__file__).with_name("REFERENCE.md")


def render_reference(model: SemanticModel) -> str:
    lines = [
        "# Semantic model reference",
        "",
        "Generated from `model.yaml` by `python -m assistant.semantic.reference`; do not edit by hand.",
        "",
        "## Metrics",
        "",
        "| metric | table | definition | unit | words |",
        "|---|---|---|---|---|",
    ]
    for name, metric in model.metrics.items():
        lines.append(
            f"| `{name}` | {metric.table} | {metric.definition} (`{metric.sql}`) | {metric.unit} | "
            f"{', '.join(metric.synonyms)} |"
        )
    lines += ["", "## Dimensions", "", "| dimension | columns | words |", "|---|---|---|"]
    for name, dimension in model.dimensions.items():
        columns = ", ".join(f"{table}: `{sql}`" for table, sql in dimension.sql.items())
        lines.append(f"| `{name}` | {columns} | {', '.join(dimension.synonyms)} |")
    lines += ["", "## Time grains", "", "| grain | words |", "|---|---|"]
    for name, synonyms in model.grains.items():
        lines.append(f"| {name} | {', '.join(synonyms)} |")
    lines += ["", "## Time columns", ""]
    for name, table in model.tables.items():
        lines.append(f"- `{name}`: {table.time_column or 'none'} ({table.description})")
    return "\n".join(lines) + "\n"


def main() -> None:
    REFERENCE_PATH.write_text(render_reference(load_semantic_model()))
    print(f"wrote {REFERENCE_PATH}")


if __name__ == "__main__":
    main()

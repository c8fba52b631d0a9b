"""What every per-request format shares: provider names, attribution, the row shape.

A format module turns its source's fields into the `llm_requests` columns as
one `RequestMapping` (an expression per column, a row filter, and which source
field each required column comes from, for error messages). The SQL runs in
DuckDB over the whole file at once; nothing here loops over rows.

>>> provider_name("aws.bedrock"), provider_name("AZURE"), provider_name("vertex_ai-language-models")
('bedrock', 'azure-openai', 'vertex')
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot.expressions as exp

from warehouse.formats.fields import Fields
from warehouse.formats.mapping import ATTRIBUTION_COLUMNS, Field

# Source spellings (lowercase) -> the contract's provider names. Prefixes end with "*".
PROVIDER_NAMES = {
    "openai": "openai",
    "text-completion-openai": "openai",
    "anthropic": "anthropic",
    "azure": "azure-openai",
    "azure_ai": "azure-openai",
    "azure_text": "azure-openai",
    "azure.ai.openai": "azure-openai",
    "az.ai.openai": "azure-openai",
    "azure-openai": "azure-openai",
    "bedrock": "bedrock",
    "bedrock_converse": "bedrock",
    "aws.bedrock": "bedrock",
    "aws": "bedrock",
    "vertex_ai*": "vertex",
    "vertex": "vertex",
    "gcp.vertex_ai": "vertex",
    "gcp.gen_ai": "vertex",
    "google": "google",
    "gemini": "google",
    "gcp.gemini": "google",
    "hosted_vllm": "self-hosted",
    "vllm": "self-hosted",
    "ollama": "self-hosted",
    "ollama_chat": "self-hosted",
    "llamacpp": "self-hosted",
    "self-hosted": "self-hosted",
    "mistral_ai": "mistral",
    "x_ai": "xai",
}

STATUSES = ("ok", "error", "timeout", "rate_limited")


def provider_name(raw: str | None) -> str | None:
    """The contract's name for a source's provider spelling (unknown names are lowercased)."""
    if raw is None or raw == "":
        return None
    key = raw.strip().lower()
    if key in PROVIDER_NAMES:
        return PROVIDER_NAMES[key]
    for spelling, name in PROVIDER_NAMES.items():
        if spelling.endswith("*") and key.startswith(spelling[:-1]):
            return name
    return key


def provider_sql(raw: exp.Expr) -> exp.Expr:
    """`provider_name` as a DuckDB CASE over a text expression."""
    key = exp.func("lower", exp.func("trim", raw))
    ifs = []
    for spelling, name in PROVIDER_NAMES.items():
        condition: exp.Expr
        if spelling.endswith("*"):
            condition = exp.func("starts_with", key, exp.Literal.string(spelling[:-1]))
        else:
            condition = exp.EQ(this=key, expression=exp.Literal.string(spelling))
        ifs.append(exp.If(this=condition, true=exp.Literal.string(name)))
    return exp.Case(ifs=ifs, default=exp.func("nullif", key, exp.Literal.string("")))


def first_of(*expressions: exp.Expr) -> exp.Expr:
    """The first non-NULL, non-empty value."""
    cleaned = [exp.func("nullif", e, exp.Literal.string("")) for e in expressions]
    return cleaned[0] if len(cleaned) == 1 else exp.func("coalesce", *cleaned)


def read_field(fields: Fields, field_: Field) -> exp.Expr:
    return fields.tag(field_.path, field_.tag) if field_.tag else fields.at(field_.path)


def attribution_sql(fields: Fields, chosen: dict[str, tuple[Field, ...]]) -> dict[str, exp.Expr]:
    """team, feature, environment, user_id: the first of their fields with a value."""
    columns: dict[str, exp.Expr] = {}
    for column in ATTRIBUTION_COLUMNS:
        tried = [read_field(fields, f) for f in chosen.get(column, ())]
        columns[column] = first_of(*tried) if tried else exp.cast(exp.null(), "VARCHAR")
    return columns


def tokens_or_zero(value: exp.Expr, when_zero: exp.Expr) -> exp.Expr:
    """`value`, or 0 where `when_zero` holds (a failed call, an embedding's output) and the source has none."""
    return exp.Case(
        ifs=[exp.If(this=exp.and_(exp.Is(this=value.copy(), expression=exp.null()), when_zero), true=exp.Literal.number(0))],
        default=value,
    )


def add(*values: exp.Expr) -> exp.Expr:
    """The sum, treating NULL parts after the first as 0 (the first decides whether there is a value)."""
    total = values[0]
    for value in values[1:]:
        total = exp.Add(this=total, expression=exp.func("coalesce", value, exp.Literal.number(0)))
    return total


@dataclass(frozen=True)
class RequestMapping:
    """The llm_requests columns of one source, as expressions over its raw relation."""

    columns: dict[str, exp.Expr]
    # contract column -> the source field(s) it comes from; a NULL there refuses the file
    required: dict[str, str]
    where: exp.Expr | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

"""Where team, feature, environment and user come from: `--map COLUMN=FIELD`.

FIELD is one of

- a source column: `team_id`;
- a dotted path into a JSON column: `metadata.spend_logs_metadata.feature`;
- a `key:` prefix in a list of `key:value` tags: `request_tags:feature`.

Each format has defaults (a list of FIELDs, the first one with a value wins);
a `--map` entry replaces that column's defaults. `parse_mapping` is the one
place that reads and checks the option's text.

>>> parse_mapping(["feature=request_tags:feature", "team = metadata.team"])
{'feature': Field(path='request_tags', tag='feature'), 'team': Field(path='metadata.team', tag=None)}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from warehouse.errors import IngestError

# The llm_requests columns a mapping may fill; `user` is accepted for `user_id`.
ATTRIBUTION_COLUMNS = ("team", "feature", "environment", "user_id")
_ALIASES = {"user": "user_id", "env": "environment"}
_FIELD = re.compile(r"^[^\s=:]+(:[^\s=:]+)?$")


@dataclass(frozen=True)
class Field:
    """A place to read one attribution value from."""

    path: str
    tag: str | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.tag}" if self.tag else self.path


def parse_field(text: str) -> Field:
    """`request_tags:feature` -> Field('request_tags', 'feature'); `metadata.team` -> Field('metadata.team')."""
    text = text.strip()
    if not text or not _FIELD.match(text) or text.startswith(".") or text.endswith(".") or ".." in text:
        raise IngestError(
            f"--map field {text!r} is not a field name: use a column (team_id), a dotted path into a JSON "
            f"column (metadata.team) or a list of tags with a key prefix (request_tags:team)."
        )
    path, _, tag = text.partition(":")
    return Field(path, tag or None)


def parse_mapping(entries: list[str] | tuple[str, ...] | None) -> dict[str, Field]:
    """Read `--map COLUMN=FIELD` entries into {column: Field}; a clear IngestError for any bad entry."""
    mapping: dict[str, Field] = {}
    for entry in entries or ():
        column, equals, field = entry.partition("=")
        column = _ALIASES.get(column.strip().lower(), column.strip().lower())
        if not equals:
            raise IngestError(f"--map {entry!r} needs the form COLUMN=FIELD, for example --map feature=request_tags:feature.")
        if column not in ATTRIBUTION_COLUMNS:
            raise IngestError(
                f"--map {entry!r}: {column!r} is not a column a mapping can fill; use one of team, feature, environment, user."
            )
        if column in mapping:
            raise IngestError(f"--map gives {column} twice ({mapping[column]} and {field.strip()}); keep one.")
        mapping[column] = parse_field(field)
    return mapping


def attribution(defaults: Mapping[str, tuple[str, ...]], mapping: dict[str, Field] | None) -> dict[str, tuple[Field, ...]]:
    """Per attribution column, the fields to try in order: the mapping's one, else the format's defaults."""
    chosen = {column: tuple(parse_field(text) for text in defaults.get(column, ())) for column in ATTRIBUTION_COLUMNS}
    for column, field in (mapping or {}).items():
        chosen[column] = (field,)
    return chosen

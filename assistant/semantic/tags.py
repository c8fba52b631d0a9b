"""Every billing tag key of the data as a dimension: `with_tag_dimensions`.

The semantic model names four tag keys (team, feature, model, environment). A
company's bill carries others ("application", "cost-center", "owner"), and a
practitioner asks by them. The keys found in `billing.Tags` become dimensions
`tag_<key>` reading `Tags['<key>']`, said as "<key> tag", "tag <key>" and the
key alone ("by cost center"), unless the key already names a metric, a
dimension or a FOCUS column's dimension ("project" is the sub account). A key
that another tag dimension only guesses at ("cost center" for the team tag)
means the tag on this bill, so the synonym moves to it. They are
detail dimensions: the model's prompt does not list them.

>>> from assistant.semantic import load_semantic_model
>>> model = with_tag_dimensions(load_semantic_model(), ["CostCenter", "team", "app:tier"])
>>> dimension = model.dimensions["tag_cost_center"]
>>> dimension.sql["billing"], dimension.synonyms
("Tags['CostCenter']", ('cost center tag', 'tag cost center', 'cost center tags', 'cost center', 'cost centers'))
>>> "cost center" in model.dimensions["team"].synonyms, "tag_team" in model.dimensions
(False, False)
>>> with_tag_dimensions(load_semantic_model(), ["Project"]).dimensions["tag_project"].synonyms
('project tag', 'tag project', 'project tags')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from sqlglot import exp

from assistant.semantic import Dimension, SemanticModel

# A key becomes a dimension only when it is short and plain; anything else stays reachable through SQL.
_PLAIN_KEY = re.compile(r"^[A-Za-z][\w .:/-]{0,47}$")
_SEPARATORS = re.compile(r"[\s_.:/-]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
MAX_TAG_DIMENSIONS = 50


def _is_tag(column: exp.Expr | None) -> bool:
    return isinstance(column, exp.Bracket) and isinstance(column.expressions[0], exp.Literal)


def tag_keys(model: SemanticModel) -> set[str]:
    """The billing tag keys the model reads as dimensions, as the bill spells them (Tags['team'] -> team)."""
    columns = [dimension.columns.get("billing") for dimension in model.dimensions.values()]
    return {column.expressions[0].name for column in columns if isinstance(column, exp.Bracket) and _is_tag(column)}


def key_words(key: str) -> str:
    """How a person says a tag key: 'CostCenter', 'cost-center', 'cost_center' -> 'cost center'."""
    return _SEPARATORS.sub(" ", _CAMEL.sub(" ", key)).strip().lower()


def with_tag_dimensions(model: SemanticModel, keys: Iterable[str]) -> SemanticModel:
    """`model` with a dimension for each plain tag key it does not read yet (at most MAX_TAG_DIMENSIONS)."""
    read = {key_words(k) for k in tag_keys(model)}
    named = {s for m in model.metrics.values() for s in m.synonyms}
    named |= {name.replace("_", " ") for name in (*model.dimensions, *model.metrics)}
    named |= {d.label.lower() for d in model.dimensions.values()}
    named |= {s for d in model.dimensions.values() if not _is_tag(d.columns.get("billing")) for s in d.synonyms}
    added: dict[str, Dimension] = {}
    for key in sorted(set(keys)):
        words = key_words(key)
        name = "tag_" + words.replace(" ", "_")
        if not _PLAIN_KEY.match(key) or not words or words in read or name in model.dimensions or name in added:
            continue
        if len(added) == MAX_TAG_DIMENSIONS:
            break
        column = exp.Bracket(this=exp.column("Tags"), expressions=[exp.Literal.string(key)])
        bare = () if words in named else tuple(dict.fromkeys((words, words if words.endswith("s") else words + "s")))
        synonyms = (f"{words} tag", f"tag {words}", f"{words} tags", *bare)
        added[name] = Dimension(name, f"{words} tag", {"billing": column}, {"billing": column.sql("duckdb")}, synonyms, detail=True)
    if not added:
        return model
    moved = {s for d in added.values() for s in d.synonyms}
    kept = {
        name: d if moved.isdisjoint(d.synonyms) else replace(d, synonyms=tuple(s for s in d.synonyms if s not in moved))
        for name, d in model.dimensions.items()
    }
    return replace(model, dimensions={**kept, **added})

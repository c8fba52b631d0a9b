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

Each tag key, the model's own included, also has a coverage metric
`tag_coverage_<key>`: the share of usage EffectiveCost on lines that carry the key
with a value ("team tag coverage", "what percent of cost has a team tag").

>>> from assistant.semantic import load_semantic_model
>>> model = with_tag_dimensions(load_semantic_model(), ["CostCenter", "team", "app:tier"])
>>> dimension = model.dimensions["tag_cost_center"]
>>> dimension.sql["billing"], dimension.synonyms
("Tags['CostCenter']", ('cost center tag', 'tag cost center', 'cost center tags', 'cost center', 'cost centers'))
>>> "cost center" in model.dimensions["team"].synonyms, "tag_team" in model.dimensions
(False, False)
>>> model.metrics["tag_coverage_team"].sql
"COALESCE(SUM(EffectiveCost) FILTER(WHERE ChargeCategory = 'Usage' AND Tags['team'] <> ''), 0) / NULLIF(SUM(EffectiveCost) FILTER(WHERE ChargeCategory = 'Usage'), 0)"
>>> with_tag_dimensions(load_semantic_model(), ["Project"]).dimensions["tag_project"].synonyms
('project tag', 'tag project', 'project tags')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from sqlglot import exp

from assistant.semantic import Dimension, Metric, SemanticModel

# A key becomes a dimension only when it is short and plain; anything else stays reachable through SQL.
_PLAIN_KEY = re.compile(r"^[A-Za-z][\w .:/-]{0,47}$")
_SEPARATORS = re.compile(r"[\s_.:/-]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
MAX_TAG_DIMENSIONS = 50
COVERAGE_PREFIX = "tag_coverage_"
# The words a coverage question is said with besides the key: "what share of spend carried a team tag".
COVERAGE_WORDS = frozenset(
    "cost costs spend spending spent money tag tags tagged tagging coverage covered has have had having with carry carries "
    "carried carrying bears bearing".split()
)


def is_tag(column: exp.Expr | None) -> bool:
    """Whether a dimension's column is a tag of the bill (Tags['<key>'])."""
    return isinstance(column, exp.Bracket) and isinstance(column.expressions[0], exp.Literal)


def tag_keys(model: SemanticModel) -> set[str]:
    """The billing tag keys the model reads as dimensions, as the bill spells them (Tags['team'] -> team)."""
    columns = [dimension.columns.get("billing") for dimension in model.dimensions.values()]
    return {column.expressions[0].name for column in columns if column is not None and is_tag(column)}


def key_words(key: str) -> str:
    """How a person says a tag key: 'CostCenter', 'cost-center', 'cost_center' -> 'cost center'."""
    return _SEPARATORS.sub(" ", _CAMEL.sub(" ", key)).strip().lower()


def with_tag_dimensions(model: SemanticModel, keys: Iterable[str]) -> SemanticModel:
    """`model` with a dimension for each plain tag key it does not read yet (at most MAX_TAG_DIMENSIONS),
    and a coverage metric for each tag key."""
    read = {key_words(k) for k in tag_keys(model)}
    named = {s for m in model.metrics.values() for s in m.synonyms}
    named |= {name.replace("_", " ") for name in (*model.dimensions, *model.metrics)}
    named |= {d.label.lower() for d in model.dimensions.values()}
    named |= {s for d in model.dimensions.values() if not is_tag(d.columns.get("billing")) for s in d.synonyms}
    added: dict[str, Dimension] = {}
    added_keys: list[str] = []
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
        added_keys.append(key)
    coverage = {}
    for key in sorted(tag_keys(model)) + added_keys:
        metric = coverage_metric(key)
        coverage[metric.name] = metric
    moved = {s for d in added.values() for s in d.synonyms}
    kept = {
        name: d if moved.isdisjoint(d.synonyms) else replace(d, synonyms=tuple(s for s in d.synonyms if s not in moved))
        for name, d in model.dimensions.items()
    }
    return replace(model, dimensions={**kept, **added}, metrics={**model.metrics, **coverage})


def coverage_metric(key: str) -> Metric:
    """The share of usage EffectiveCost on the lines whose tag `key` has a value.

    Usage lines only: credits, taxes, purchases and fees carry no tags and would read as untagged spend.
    """
    words = key_words(key)
    tag = exp.Bracket(this=exp.column("Tags"), expressions=[exp.Literal.string(key)])
    usage = exp.EQ(this=exp.column("ChargeCategory"), expression=exp.Literal.string("Usage"))
    cost = exp.Sum(this=exp.column("EffectiveCost"))
    tagged = exp.Filter(this=cost.copy(), expression=exp.Where(this=exp.and_(usage.copy(), exp.NEQ(this=tag, expression=exp.Literal.string("")))))
    used = exp.Filter(this=cost.copy(), expression=exp.Where(this=usage.copy()))
    expression = exp.Div(this=exp.func("COALESCE", tagged, exp.Literal.number(0)), expression=exp.func("NULLIF", used, exp.Literal.number(0)))
    # "what percent of cost has a team tag" is read by the planner's tag stage, from the key beside "tag".
    synonyms = (f"{words} tag coverage", f"{words} tagging coverage", f"coverage of the {words} tag")
    return Metric(
        COVERAGE_PREFIX + words.replace(" ", "_"), "billing", expression, "ratio", f"{words} tag coverage",
        f"{words} tag coverage = share of usage cost (billing.EffectiveCost where ChargeCategory = 'Usage') on lines with a '{key}' tag",
        synonyms, expression.sql("duckdb"), detail=True,
    )

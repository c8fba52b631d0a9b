"""The dimension values actually in the warehouse, and finding them in a question.

Values are read from the data (never from the demo generator), cached on disk
per data version, and matched forgivingly: case and separators are ignored
("Support Chat" is `support-chat`), a word may be a prefix ("doc analysis" is
`document-analysis`), spelling may be close ("documnet"), and a word that names
exactly one value ("opus") is enough.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlglot.expressions as exp

from assistant.query.plan import ID_DIMENSIONS
from assistant.semantic import SemanticModel
from assistant.understand.vocabulary import STOPWORDS

MAX_VALUES_PER_COLUMN = 5000
# What people call cloud services; used only when the full name is in the data.
ACRONYMS = {
    "ec2": "Amazon Elastic Compute Cloud", "s3": "Amazon Simple Storage Service", "eks": "Amazon Elastic Kubernetes Service",
    "rds": "Amazon Relational Database Service", "vpc": "Amazon Virtual Private Cloud", "ecs": "Amazon Elastic Container Service",
    "ebs": "Amazon Elastic Block Store", "gke": "Google Kubernetes Engine", "gcs": "Cloud Storage", "gce": "Compute Engine",
    "aks": "Azure Kubernetes Service", "bq": "BigQuery", "elasticache": "Amazon ElastiCache",
    "production": "prod", "development": "dev", "stage": "staging",
    "azure": "Microsoft", "gcp": "Google Cloud",  # the provider, as FOCUS names it, by its cloud's name
}
# A vendor word may come before an acronym: "Amazon VPC", "Azure AKS", "Google GKE".
VENDOR_WORDS = frozenset({"amazon", "aws", "azure", "google", "gcp", "microsoft"})

# Ids are matched only when written in full, never by one of their words ("projects", "endpoints").
EXACT_ONLY = ID_DIMENSIONS | {"availability_zone"}
# FOCUS columns whose values are everyday words or codes (Used, Standard, Recurring, USD, Hours): grouped by,
# never read as a filter from a question's words; their meaning is asked through metrics (unused commitment cost).
NOT_NAMED = frozenset({"charge_class", "charge_frequency", "pricing_category", "pricing_unit", "consumed_unit", "commitment_status",
                       "capacity_reservation_status", "commitment_category", "billing_currency", "resource_type",
                       "commitment_type"})
# Values that are also everyday words in cost questions ("our llm usage", "gpu usage"): they count
# as values only beside their cue ("usage charges", "charge type usage").
EVERYDAY_VALUES = {("charge_category", "usage"): "charg"}
USAGE_MONEY = frozenset({"cost", "costs", "spend", "spending"})
USAGE_ELSEWHERE = frozenset({"llm", "llms", "ai", "genai", "model", "models", "token", "tokens", "request", "requests",
                             "api", "inference", "gpu", "gpus", "node", "nodes", "cluster", "clusters"})
# Values that are not a filter beside these words: "cost by team, including what's untagged" keeps every row.
NOT_A_FILTER_BESIDE = {("tagging", "untagged"): frozenset({"including", "include", "included", "incl", "plus"})}
SEPARATORS = re.compile(r"[^a-z0-9]+")


def value_tokens(value: str) -> tuple[str, ...]:
    """'claude-opus-4' -> ('claude', 'opus', '4')."""
    return tuple(t for t in SEPARATORS.split(value.lower()) if t)


@dataclass(frozen=True)
class ValueMatch:
    dimension: str
    value: str
    span: tuple[int, int]  # token positions [start, end)
    quality: int  # 3 exact, 2 prefix/fuzzy, 1 distinctive word


@dataclass
class ValueIndex:
    """dimension -> value -> tables holding it; `listed`: the values of NOT_NAMED dimensions, never matched as names."""

    values: dict[str, dict[str, list[str]]]
    listed: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, executor, model: SemanticModel) -> ValueIndex:
        # Kept per data version and per set of dimensions: a new dimension in the model is read at once.
        cache_name = "values2-" + hashlib.sha256(
            repr(sorted((n, sorted((t, c.sql()) for t, c in d.columns.items())) for n, d in model.dimensions.items())).encode()
        ).hexdigest()[:12]
        cached = executor.lake.read_cache(cache_name)
        if isinstance(cached, dict) and isinstance(cached.get("values"), dict) and isinstance(cached.get("listed"), dict):
            return cls(cached["values"], cached["listed"])
        values: dict[str, dict[str, list[str]]] = {}
        listed: dict[str, list[str]] = {}
        for name, dimension in model.dimensions.items():
            for table, column in dimension.columns.items():
                if table == "budgets":
                    continue
                query = (
                    exp.select(exp.alias_(column.copy(), "v"))
                    .from_(table)
                    .where(exp.Not(this=exp.Is(this=column.copy(), expression=exp.null())))
                    .group_by(column.copy())
                    .limit(MAX_VALUES_PER_COLUMN + 1)
                )
                rows = executor.run_sql(query.sql("duckdb"), max_rows=MAX_VALUES_PER_COLUMN + 1).rows
                if len(rows) > MAX_VALUES_PER_COLUMN:
                    continue  # ids and the like: not words people type
                for (value,) in rows:
                    if name in NOT_NAMED:
                        listed.setdefault(name, []).append(str(value))
                    else:
                        values.setdefault(name, {}).setdefault(str(value), []).append(table)
        executor.lake.write_cache(cache_name, {"values": values, "listed": listed})
        return cls(values, listed)

    def words(self) -> set[str]:
        return {t for dimension in self.values.values() for value in dimension for t in value_tokens(value)}

    def tables_of(self, dimension: str, value: str) -> list[str]:
        return self.values.get(dimension, {}).get(value, [])

    def _entries(self) -> dict[str, list[tuple[str, str, tuple[str, ...]]]]:
        """Values grouped by the first three letters of their first word (and of their joined form)."""
        if getattr(self, "_by_prefix", None) is None:
            by_prefix: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {}
            for dimension, values in self.values.items():
                for value in values:
                    parts = value_tokens(value)
                    for key in {part[:3] for part in parts[:1] + parts[1:] if len(part) >= 2}:
                        by_prefix.setdefault(key, []).append((dimension, value, parts))
                    for acronym, name in ACRONYMS.items():
                        if name == value:
                            by_prefix.setdefault(acronym[:3], []).append((dimension, value, (acronym,)))
                            if parts[0] in VENDOR_WORDS and parts[0] != acronym:
                                by_prefix.setdefault(parts[0][:3], []).append((dimension, value, (parts[0], acronym)))
            by_word: dict[str, set[tuple[str, str]]] = {}
            for entries in by_prefix.values():
                for dimension, value, parts in entries:
                    for part in parts:
                        by_word.setdefault(part, set()).add((dimension, value))
            # Both built before either is published: threads answering at once (the chat page, Slack, MCP)
            # skip this build as soon as _by_prefix is set, and must then find _by_word whole.
            self._by_word = by_word
            self._by_prefix = by_prefix
        return self._by_prefix

    def find_exact_names(self, tokens: list[str]) -> list[ValueMatch]:
        """Values of two or more words written in full ("Amazon OpenSearch Service"), found before anything else."""
        found = []
        for start in range(len(tokens)):
            for dimension, value, parts in self._entries().get(tokens[start][:3], []):
                if len(parts) < 2:
                    continue
                for length in range(1, len(parts) + 1):
                    if start + length <= len(tokens) and _quality(tokens[start : start + length], parts, "".join(parts)) == 3:
                        found.append(ValueMatch(dimension, value, (start, start + length), 3))
        return sorted(found, key=lambda m: (-(m.span[1] - m.span[0]), m.span[0]))

    def find(self, tokens: list[str], taken: set[int], vocabulary: set[str]) -> list[ValueMatch]:
        """Value mentions among `tokens` (skipping positions in `taken`), best and longest first."""
        return [m for m in self._find(tokens, taken, vocabulary) if _cued(m, tokens)]

    def _find(self, tokens: list[str], taken: set[int], vocabulary: set[str]) -> list[ValueMatch]:
        by_prefix = self._entries()
        candidates: list[ValueMatch] = []
        n = len(tokens)
        for start in range(n):
            if start in taken:
                continue
            head = tokens[start][:3]
            pool = by_prefix.get(head, [])
            if len(tokens[start]) >= 4:  # a misspelt first word: look a little wider
                pool = pool + [
                    e for key, entries in by_prefix.items() if key != head and key[:2] == head[:2] for e in entries
                ]
            for dimension, value, parts in pool:
                joined = "".join(parts)
                for length in range(1, min(len(parts) + 2, 6)):
                    end = start + length
                    if end > n or any(i in taken for i in range(start, end)):
                        break
                    if length == 1 and len(parts) == 1 and tokens[start] in STOPWORDS:
                        continue  # "us", "in", "all": words of the question, not values
                    quality = _quality(tokens[start:end], parts, joined)
                    if quality:
                        candidates.append(ValueMatch(dimension, value, (start, end), quality))
        for start, token in enumerate(tokens):
            if start in taken or token in vocabulary or len(token) < 3:
                continue
            owners: set[tuple[str, str]] = self._by_word.get(token, set())
            if not owners and len(token) >= 4:  # a fragment: "sonn", "anthr" (not "big" for BigQuery)
                owners = {o for word, found in self._by_word.items() if word.startswith(token) for o in found}
            for dimension, value in owners:
                if dimension in EXACT_ONLY:
                    continue
                candidates.append(ValueMatch(dimension, value, (start, start + 1), 1))
        candidates.sort(key=lambda m: (-m.quality, -(m.span[1] - m.span[0]), m.span[0]))
        return candidates


def _cued(match: ValueMatch, tokens: list[str]) -> bool:
    """False for an everyday-word value without its cue in the question.

    >>> _cued(ValueMatch("charge_category", "Usage", (2, 3), 3), ["our", "llm", "usage"])
    False
    >>> _cued(ValueMatch("charge_category", "Usage", (0, 1), 3), ["usage", "charges", "last", "month"])
    True
    """
    key = (match.dimension, match.value.lower())
    if NOT_A_FILTER_BESIDE.get(key, frozenset()) & set(tokens):
        return False
    if match.span[1] < len(tokens) and tokens[match.span[1]] == "than":  # "other than openai": a negation, not "Other"
        return False
    cue = EVERYDAY_VALUES.get(key)
    if cue is None or any(token.startswith(cue) for token in tokens):
        return True
    # "usage cost by pricing category" on the bill: the usage charges (not "LLM usage cost", "GPU usage spend")
    end = match.span[1]
    return (key == ("charge_category", "usage") and end < len(tokens) and tokens[end] in USAGE_MONEY
            and not USAGE_ELSEWHERE & set(tokens))


def _quality(window: list[str], parts: tuple[str, ...], joined: str) -> int:
    text = SEPARATORS.sub("", "".join(window))
    if text == joined:
        return 3
    if len(parts) == 1:
        return 0  # a one-word value must be written as it is: "prod" is not "product"
    window = [p for w in window for p in value_tokens(w)]
    if 2 <= len(window) < len(parts) and all(p.isdigit() or len(p) <= 2 for p in parts[len(window):]):
        parts = parts[: len(window)]  # "claude sonnet" is claude-sonnet-4, "batch-l4" any batch-l4-NN
    elif 2 <= len(window) < len(parts) and _in_order(window, parts):
        return 2  # "gemini flash" is gemini-2.0-flash
    elif 2 <= len(window) < len(parts) and tuple(window) == parts[-len(window):]:
        return 2  # "4o-mini" is gpt-4o-mini
    elif len(window) >= 2 and len(parts) >= 2 and any(text == "".join(parts[i:]) for i in range(1, len(parts))):
        return 2  # "cloud watch" is Amazon CloudWatch
    if len(window) != len(parts):
        return 0
    for word, part in zip(window, parts):
        if word == part:
            continue
        if len(word) >= 3 and part.startswith(word):
            continue
        if len(word) >= 4 and difflib.SequenceMatcher(None, word, part).ratio() >= 0.8:
            continue
        return 0
    return 2


def _in_order(words: list[str], parts: tuple[str, ...]) -> bool:
    """Every word (3+ letters) is one of the parts, in order, and the parts left out are versions."""
    position = 0
    for word in words:
        if len(word) < 3 or word.isdigit():
            return False
        while position < len(parts) and parts[position] != word:
            if not (parts[position].isdigit() or len(parts[position]) <= 2):
                return False
            position += 1
        if position == len(parts):
            return False
        position += 1
    return True


def best_matches(candidates: Iterable[ValueMatch]) -> list[list[ValueMatch]]:
    """Non-overlapping mentions, each a list of equally good readings (more than one: ambiguous)."""
    chosen: list[list[ValueMatch]] = []
    used: set[int] = set()
    candidates = list(candidates)
    for match in candidates:
        positions = set(range(*match.span))
        if positions & used:
            continue
        rivals = [
            m for m in candidates
            if m.span == match.span and m.quality == match.quality and (m.dimension, m.value) != (match.dimension, match.value)
        ]
        chosen.append([match, *rivals])
        used |= positions
    return chosen

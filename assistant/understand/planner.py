"""The offline planner: a question in plain English becomes a `QueryPlan`, or a `Clarification`.

No model and no network: the semantic model's words, the dimension values in
the warehouse, and the time words of DATA-CONTRACT.md. A question it cannot
place is never answered with a guess; a follow-up ("and by model?", "only
prod", "what about the month before?") edits the previous plan.

`plan_question` is named stages over a frozen `Reading`, each returning a fuller
one or a `Clarification` that stops the reading:

    read_words -> find_metrics -> find_filters -> find_dimensions -> find_follow_up
    -> find_intent -> to_plan
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from assistant.query.plan import BOTH_WAYS_NOTE, OVER_ONLY_NOTE, Clarification, Filter, Intent, QueryPlan, Scenario, Threshold
from assistant.query.reading import reading_of
from assistant.query.render import is_additive
from assistant.query.window import Window
from assistant.semantic import SemanticModel, load_semantic_model
from assistant.semantic.tags import COVERAGE_PREFIX, key_words, tag_keys
from assistant.understand.accounting import TABLE_WORDS, unplaced_words
from assistant.understand.reading import (
    ANOMALY,
    BY_WORDS,
    COMMITMENT_TYPE_VALUES,
    COMMITMENT_TYPE_WORDS,
    COMMITMENT_WASTE,
    COMMITMENT_WORDS,
    DESTRUCTIVE,
    DRIVER_DIMENSION,
    FALLING,
    FOLLOW_UP,
    INVOICE_PERIOD,
    MAIN_METRIC,
    MONEY_WORDS,
    NEGATION,
    NOT_A_QUESTION,
    NUMBER_WORDS,
    RANKING,
    RATIO_OF,
    RECONCILE,
    SAVINGS_INTENT,
    SQL_COMMAND,
    STATUS_WORDS,
    THRESHOLD,
    THRESHOLD_OPS,
    TIE_ORDER,
    TOP_N,
    UNIT_WORDS,
    UNSUPPORTED,
    WHY,
    commitment_kinds,
    money_on_usage,
    most_specific_metric,
    peak_period,
    read_intent,
    read_limit,
    unknown_value,
)
from assistant.understand.scenarios import WHAT_IF_WORDS, read_scenario, target_positions
from assistant.understand.suggestions import similar_questions
from assistant.understand.timewords import TimeMatch, default_window, find_time_window, previous_window, shift_window
from assistant.understand.units import COUNTING, QUANTITY, find_unit, unit_metrics
from assistant.understand.values import SEPARATORS, ValueIndex, best_matches
from assistant.understand.vocabulary import COMMON_WORDS, STOPWORDS, PhraseMatch, Vocabulary, expand_abbreviations, tokenize
from warehouse.errors import ErrorKind


@dataclass
class PlannerContext:
    as_of: date
    previous: QueryPlan | None = None


class Planner:
    """Holds what planning needs: the semantic model, its vocabulary, the warehouse's values."""

    def __init__(self, model: SemanticModel | None = None, values: ValueIndex | None = None) -> None:
        self.model = model or load_semantic_model()
        self.values = values or ValueIndex({})
        value_words = self.values.words()
        self.vocabulary = Vocabulary.from_model(self.model, extra_words=value_words)
        # Fixed for the life of the planner, so worked out once rather than per question.
        self.question_words = (self.vocabulary.words - value_words) | STOPWORDS
        self.known_words = self.vocabulary.words | COMMON_WORDS | STOPWORDS
        self.value_names = {
            SEPARATORS.sub("", value.lower()) for values in self.values.values.values() for value in values
        }

    def plan(self, question: str, context: PlannerContext) -> QueryPlan | Clarification:
        return plan_question(question, context, self)


@dataclass(frozen=True)
class Reading:
    """What the planner has read of a question so far; each stage returns a fuller copy.

    Token positions index `tokens`, the question's words without its time phrase.
    """

    text: str  # lowered, abbreviations expanded, typos corrected
    time: TimeMatch | None = None
    rest: str = ""  # the text without the time phrase
    tokens: tuple[str, ...] = ()
    phrases: tuple[PhraseMatch, ...] = ()  # metric, dimension and grain words, longest first
    metrics: tuple[str, ...] = ()
    dimensions: tuple[str, ...] = ()
    grain: str | None = None
    filters: tuple[tuple[str, str, tuple[int, ...]], ...] = ()  # (dimension, value, token positions)
    unknown_dimension: str | None = None  # a word after by/per that names no dimension
    follow_up: bool = False
    intent: Intent | None = None
    status: Filter | None = None  # "failed", "successful": how the requests ended
    status_positions: frozenset[int] = frozenset()
    ratio: str | None = None  # "share" or "per": metrics[0] over metrics[1]
    thresholds: tuple[Threshold, ...] = ()
    threshold_positions: frozenset[int] = frozenset()
    scenario: Scenario | None = None  # what_if: the change to price
    scenario_positions: frozenset[int] = frozenset()  # the target model of a re-pricing and the word before it

    @property
    def taken(self) -> set[int]:
        """Positions of the metric, dimension and grain words."""
        return {i for p in self.phrases for i in range(*p.span)}

    @property
    def filter_positions(self) -> set[int]:
        return ({i for f in self.filters for i in f[2]} | set(self.status_positions) | set(self.threshold_positions)
                | set(self.scenario_positions))


Stage = Callable[[Reading, PlannerContext, Planner], "Reading | Clarification"]


def plan_question(question: str, context: PlannerContext, planner: Planner) -> QueryPlan | Clarification:
    """Read the words, then each stage in turn; the first clarification stops the reading."""
    reading: Reading | Clarification = read_words(question, context, planner)
    for stage in STAGES:
        if isinstance(reading, Clarification):
            return reading
        reading = stage(reading, context, planner)
    if isinstance(reading, Clarification):
        return reading
    plan = to_plan(reading, context, planner)
    return plan if isinstance(plan, Clarification) else check_every_word(plan, reading, planner)


def _group_value_positions(plan: QueryPlan, tokens: tuple[str, ...], values: ValueIndex) -> set[int]:
    """Words naming groups of a breakdown the plan makes: "by pricing category (standard vs committed)"."""
    words = {word for dimension in plan.dimensions
             for value in (*values.values.get(dimension, {}), *values.listed.get(dimension, []))
             for word in SEPARATORS.split(value.lower()) if len(word) >= 3}
    found = {i for i, token in enumerate(tokens) if token in words}
    # "standard vs committed", "used or unused": the words between two groups named
    return found | {i for i in range(1, len(tokens) - 1) if i - 1 in found and i + 1 in found
                    and tokens[i] in ("vs", "versus", "or", "and")}


def check_every_word(plan: QueryPlan, reading: Reading, planner: Planner) -> QueryPlan | Clarification:
    """A plan is given only when every word of the question was placed; else what was understood, and what not."""
    named_groups = _group_value_positions(plan, reading.tokens, planner.values)
    unplaced = unplaced_words(plan, reading.tokens, reading.phrases, reading.filter_positions | named_groups, planner.model,
                              reading.follow_up)
    if not unplaced:
        return plan
    understood = reading_of(plan, planner.model)["text"]
    words = " ".join(unplaced)
    return Clarification(
        ErrorKind.PARTLY_UNDERSTOOD,
        f"I understood {understood}, but not {words!r}, so I won't guess. Rephrase with the words of the suggestions, "
        f"or ask without {words!r} if it does not change the question.",
        (*similar_questions(reading.text), understood_question(plan, planner.model))[:4],
        unplaced=tuple(unplaced),
        reading=plan,
    )


def understood_question(plan: QueryPlan, model: SemanticModel) -> str:
    """The part that was understood, as a question the planner answers."""
    text = " and ".join(model.metrics[m].label for m in plan.metrics)
    if plan.dimensions:
        text += " by " + " and ".join(model.dimensions[d].label for d in plan.dimensions)
    for f in plan.filters:
        text += f" {'excluding' if f.negate else 'for'} {' and '.join(f.values)}"
    return f"{text[0].upper()}{text[1:]} {plan.window.label}"


def read_words(question: str, context: PlannerContext, planner: Planner) -> Reading | Clarification:
    """Normalize and correct the words; refuse what is unsafe or not a question; take out the time phrase."""
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", expand_abbreviations(question.strip().lower()))  # 1,000 -> 1000
    if not text:
        return Clarification(ErrorKind.UNKNOWN_QUESTION, "Ask a question about your costs.", similar_questions(""))
    if SQL_COMMAND.search(text) or DESTRUCTIVE.search(text):
        return Clarification(
            ErrorKind.UNSAFE,
            "I answer questions about your costs and never change data. To run your own read-only SQL, use `finops sql`.",
            similar_questions(text),
        )
    if NOT_A_QUESTION.search(text):
        return Clarification(
            ErrorKind.UNKNOWN_QUESTION,
            "I answer questions about your cloud, LLM and GPU costs; I don't write or create things.",
            similar_questions(text),
        )
    text = planner.vocabulary.distribute_heads(text)  # before the commas go: "show list, contracted and billed cost"
    text = planner.vocabulary.distribute_heads(" ".join(planner.vocabulary.correct(_split_english(tokenize(text), planner))))
    unsupported = UNSUPPORTED.search(text)
    if unsupported:
        return Clarification(
            ErrorKind.NOT_SUPPORTED,
            f"I have no data on {unsupported.group(0)}: the warehouse holds cloud billing, LLM requests, GPU hours, prices and budgets.",
            similar_questions(text),
        )
    time = find_time_window(text, context.as_of)
    rest = text if time is None else text[: time.span[0]] + " " + text[time.span[1] :]
    return Reading(text=text, time=time, rest=rest, tokens=tuple(tokenize(rest)), grain=time.grain if time else None)


def find_metrics(reading: Reading, context: PlannerContext, planner: Planner) -> Reading:
    """The metric, dimension and grain phrases; a metric word after 'by' or 'top 3' names a dimension."""
    tokens = list(reading.tokens)
    named = _non_overlapping(planner.values.find_exact_names(tokens))
    named_positions = {i for m in named for i in range(*m.span)}
    phrases = planner.vocabulary.find_phrases(tokens, named_positions)
    metrics: list[str] = []
    dimensions: list[str] = []
    grain = reading.grain
    for match in phrases:
        before = tokens[match.span[0] - 1] if match.span[0] > 0 else ""
        before_number = match.span[0] > 1 and tokens[match.span[0] - 2] in ("top", "bottom") and (before.isdigit() or before in NUMBER_WORDS)
        phrase = tuple(tokens[match.span[0] : match.span[1]])
        ranked = before in ("expensive", "costly", "biggest", "largest", "heaviest", "busiest", "active")
        if match.kind == "metric" and (before in BY_WORDS or before_number or ranked) and phrase in planner.vocabulary.dimension_phrases:
            dimensions.append(planner.vocabulary.dimension_phrases[phrase])
        elif match.kind == "metric" and match.name not in metrics:
            metrics.append(match.name)
        elif match.kind == "dimension" and match.name not in dimensions:
            dimensions.append(match.name)
        elif match.kind == "grain":
            trendish = phrase in (("trend",), ("trends",), ("over", "time"), ("timeline",))
            if not (trendish and grain is not None):
                grain = match.name
    metrics, phrases = _failed_as_status(metrics, list(phrases), tokens)
    ratio = _ratio(metrics, phrases, tokens, planner.model)
    if ratio is not None:  # "X as a share of Y", "X per Y": both metrics, in that order
        return replace(reading, phrases=tuple(phrases), metrics=ratio[1], dimensions=tuple(dimensions), grain=grain, ratio=ratio[0])
    metrics = money_on_usage(metrics, planner.model, reading.text)
    metrics = most_specific_metric(metrics, tokens, reading.text)
    taken = {i for p in phrases for i in range(*p.span)}
    for i, token in enumerate(tokens):  # "per commitment", "by commitment": the commitment discounts, one row each
        if token in ("commitment", "commitments") and i not in taken and i > 0 and tokens[i - 1] in ("by", "per", "each", "every"):
            phrases.append(PhraseMatch("dimension", "commitment", (i, i + 1)))
            dimensions.append("commitment")
    if metrics == ["unused_commitment_cost"] and COMMITMENT_WASTE.search(reading.text):
        # "wasted on savings plans we didn't use": those words name the metric, not a service called Savings Plans
        phrases += [PhraseMatch("metric", "unused_commitment_cost", (i, i + 1)) for i, t in enumerate(tokens)
                    if t in COMMITMENT_WORDS and not any(p.span[0] <= i < p.span[1] for p in phrases)]
    if "cost_per_user" in metrics:  # "paying per user": the unit of the metric, not a breakdown by user
        user_spans = [p.span for p in phrases if p.kind == "dimension" and p.name == "user"]
        def after_per(start: int) -> bool:  # "per user", "per active user"
            before = tokens[start - 2 : start] if start > 1 and tokens[start - 1] in USER_QUALIFIERS else tokens[start - 1 : start]
            return bool(before) and before[0] == "per"

        if user_spans and all(after_per(span[0]) for span in user_spans):
            dimensions = [d for d in dimensions if d != "user"]
    return replace(reading, phrases=tuple(phrases), metrics=tuple(metrics), dimensions=tuple(dimensions), grain=grain)


def _failed_as_status(metrics: list[str], phrases: list[PhraseMatch], tokens: list[str]) -> tuple[list[str], list[PhraseMatch]]:
    """'the cost of failed requests': requests with a status filter, not a second metric (the count of failures)."""
    failed = [p for p in phrases if p.kind == "metric" and p.name == "failed_requests"]
    if len(metrics) < 2 or not failed or not all(p.span[0] > 0 and tokens[p.span[0] - 1] in OF_WORDS for p in failed):
        return metrics, phrases
    phrases = [PhraseMatch("metric", "requests", (p.span[0] + 1, p.span[1])) if p in failed else p for p in phrases]
    metrics = [m for m in metrics if m != "failed_requests"]
    return (metrics if "requests" in metrics else [*metrics, "requests"]), phrases


OF_WORDS = ("of", "on", "for", "from", "in", "by", "across", "to")
# The world a budget question names: its budgeted metric.
BUDGET_WORDS = ((r"\bcloud\b", "cost"), (r"\b(?:llms?|ai|genai|inference|tokens?)\b", "inference_cost"), (r"\bgpus?\b", "gpu_cost"))
# "share of [our | the | a value's] <whole> ... <part>": the words right before the first metric.
WHOLE_FIRST = re.compile(r"\b(?:share|percentage|percent|fraction|proportion|portion) of(?: [\w'.-]+){0,2}$")


def _ratio(metrics: list[str], phrases: list[PhraseMatch], tokens: list[str], model: SemanticModel) -> tuple[str, tuple[str, str]] | None:
    """('share' | 'per', (numerator, denominator)) when one metric of a table is asked over another."""
    spans = [p for p in phrases if p.kind == "metric" and p.name in metrics]
    if len(spans) != 2 or spans[0].name == spans[1].name:
        return None
    first, second = spans
    if model.metrics[first.name].table != model.metrics[second.name].table:
        return None
    between = " ".join(tokens[first.span[1] : second.span[0]])
    if RATIO_OF.search(between + " "):
        return "share", (first.name, second.name)
    if between.strip() in ("per", "for each", "per each"):
        return "per", (first.name, second.name)
    before = " ".join(tokens[max(0, first.span[0] - 4) : first.span[0]])
    if WHOLE_FIRST.search(before):  # "what share of our GPU spend was idle": the part is named second
        return "share", (second.name, first.name)
    return None


def find_thresholds(reading: Reading, context: PlannerContext, planner: Planner) -> Reading:
    """Groups kept by a bound on a metric: 'more than $50', 'an error rate above 2%', 'over 1000 requests'."""
    model = planner.model
    if not reading.metrics or not (reading.dimensions or reading.grain):
        return reading
    found, positions = [], set()
    tokens = reading.tokens
    for match in THRESHOLD.finditer(reading.rest):
        metric = reading.metrics[0]
        after = reading.rest[match.end():].split()
        for phrase in reading.phrases:  # "over 1000 requests": the metric named right after the number
            named = list(tokens[phrase.span[0] : phrase.span[1]])
            if phrase.kind == "metric" and after[: len(named)] == named and model.metrics[phrase.name].table == model.metrics[metric].table:
                metric = phrase.name
        value = float(match["number"]) * {"k": 1e3, "m": 1e6}.get(match["scale"] or "", 1.0)
        if match["scale"] in ("%", "percent") and model.metrics[metric].unit == "ratio":
            value /= 100
        found.append(Threshold(metric, THRESHOLD_OPS[match["op"]], value))
        said = match.group(0).replace("$", " ").replace("%", " % ").split()
        positions |= {i for i, token in enumerate(tokens) if token in said}
    if not found:
        return reading
    return replace(reading, thresholds=tuple(found), threshold_positions=frozenset(positions))


def find_filters(reading: Reading, context: PlannerContext, planner: Planner) -> Reading | Clarification:
    """Dimension values named in the question, read in the metric's table first; a name that matches nothing is said."""
    model = planner.model
    tables = {model.metrics[m].table for m in reading.metrics} or (
        {previous_table} if (previous_table := _table_of(context.previous, model)) else set()
    )
    named_dimensions = {m.span: m.name for m in reading.phrases if m.kind == "dimension"}
    # A what-if prices LLM requests: a word that names values of other tables only ("the API models": billing's
    # "OpenAI API") is no filter of it.
    strict = {"llm_requests", "model_prices"} if read_scenario(reading.text, [], reading.rest) is not None else None
    units = tuple(f for f in reading.filters if f[0] in QUANTITY)  # "per GB-month": read by find_units
    taken = reading.taken | {i for f in units for i in f[2]}
    filters, problem = _filters(list(reading.tokens), taken, planner, reading.rest, tables, named_dimensions, strict)
    if problem:
        return problem
    reading = replace(reading, filters=(*units, *filters), **_status(reading))
    unknown_name = unknown_value(list(reading.tokens), reading.taken | reading.filter_positions)
    if unknown_name and not (strict and unknown_name in WHAT_IF_WORDS):  # "self-hosted" in a what-if is its word
        return Clarification(
            ErrorKind.NOT_FOUND,
            f"I don't find {unknown_name!r} in your data. Check the name, or ask for a breakdown to see the values there are.",
            similar_questions(reading.text),
        )
    return reading


def _status(reading: Reading) -> dict:
    """'failed' / 'successful' requests: status is not ok / is ok (a status value named in the data wins)."""
    if any(dimension == "status" for dimension, _, _ in reading.filters):
        return {}
    found = [(i, STATUS_WORDS[t]) for i, t in enumerate(reading.tokens) if t in STATUS_WORDS and i not in reading.taken]
    if not found or len({meaning for _, meaning in found}) > 1:
        return {}
    value, negate = found[0][1]
    return {"status": Filter("status", (value,), negate=negate), "status_positions": frozenset(i for i, _ in found)}


def find_commitment_type(reading: Reading, context: PlannerContext, planner: Planner) -> Reading | Clarification:
    """'savings plan utilization', 'unused RIs': a commitment metric of one kind is filtered to that commitment type.

    The kind's words name the type, never the savings metric or a service that looks like them ("AWS Savings
    Plans" is where the plans are bought, not where they apply); a kind the data has no commitments of is said.
    """
    types = planner.values.listed.get("commitment_type", [])
    if not set(reading.metrics) & COMMITMENT_METRICS or not types:  # no commitments at all: every kind reads the same
        return reading
    said = commitment_kinds(reading.rest)
    if len(said) != 1:
        return reading
    [kind] = said
    positions = [i for i, t in enumerate(reading.tokens) if re.fullmatch(COMMITMENT_TYPE_WORDS[kind], t)]
    values = [v for v in types if re.search(COMMITMENT_TYPE_VALUES[kind], v, re.IGNORECASE)]
    if not values:
        return Clarification(ErrorKind.NOT_FOUND, f"I find no {kind} commitments in your data.", similar_questions(reading.text))
    spots = set(positions)
    metrics = tuple(m for m in reading.metrics if m in COMMITMENT_METRICS or not _only_at(reading.phrases, m, spots))
    filters = tuple(f for f in reading.filters if not spots & set(f[2])) + (("commitment_type", values[0], tuple(positions)),)
    return replace(reading, metrics=metrics, filters=filters)


def _only_at(phrases: tuple[PhraseMatch, ...], metric: str, spots: set[int]) -> bool:
    """Whether every phrase of `metric` lies on the given token positions."""
    return all(set(range(*p.span)) <= spots for p in phrases if p.kind == "metric" and p.name == metric)


# The metrics a unit of measure named in the question may replace: the bill's money and quantities, or none.
UNIT_READABLE = frozenset({"cost", "billed_cost", "cost_per_pricing_unit", "cost_per_consumed_unit", "pricing_quantity",
                           "consumed_quantity"})


def find_units(reading: Reading, context: PlannerContext, planner: Planner) -> Reading:
    """'S3 cost per GB-month', 'how many EC2 hours did we pay for': a unit of the bill's own, its quantity or price."""
    if set(reading.metrics) - UNIT_READABLE or not (reading.metrics or COUNTING.search(reading.text)):
        return reading
    mention = find_unit(reading.tokens, reading.text, planner.values.listed, reading.taken | reading.filter_positions)
    if mention is None:
        return reading
    metrics = unit_metrics(mention, reading.metrics)
    phrases = tuple(p for p in reading.phrases if not (p.kind == "metric" and p.name not in metrics)) + tuple(
        PhraseMatch("metric", m, p.span) for p in reading.phrases if p.kind == "metric" and p.name not in metrics
        for m in metrics[:1])
    return replace(reading, metrics=metrics, phrases=phrases,
                   filters=(*reading.filters, *((mention.dimension, value, mention.positions) for value in mention.values)))


def find_dimensions(reading: Reading, context: PlannerContext, planner: Planner) -> Reading:
    """What to group by: not a dimension word that only describes a value or a metric beside it."""
    text, tokens, phrases = reading.text, reading.tokens, reading.phrases
    dimensions = _breakdowns(list(reading.dimensions), phrases, reading.filters, tokens)
    if re.search(r"\bacross (all|every)\b", text) and not re.search(r"\b(by|per|each)\b", text):
        # "invoiced across all of our providers" is one total
        dimensions = [d for d in dimensions if not any(m.kind == "dimension" and m.name == d and m.span[0] > 0 for m in phrases)]
    metric_starts = {m.span[0] for m in phrases if m.kind == "metric"}

    def describes_metric(dimension: str) -> bool:  # "LLM cost per user": the dimension word is an adjective
        spans = [m.span for m in phrases if m.kind == "dimension" and m.name == dimension]
        return bool(spans) and all(
            span[1] in metric_starts and (span[0] == 0 or tokens[span[0] - 1] not in BY_WORDS) for span in spans
        )

    dimensions = [d for d in dimensions if not describes_metric(d)]
    metrics = list(reading.metrics)
    # "spend per environment (LLM)": a bare "LLM" not after by/per/which names the LLM requests, not a grouping
    qualifiers = [m for m in phrases if m.kind == "dimension" and tokens[m.span[0] : m.span[1]] in (("llm",), ("llms",))
                  and (m.span[0] == 0 or tokens[m.span[0] - 1] not in BY_WORDS)]
    if qualifiers and metrics in ([], ["cost"]):
        dimensions = [d for d in dimensions if d not in {q.name for q in qualifiers}]
        metrics = ["inference_cost"]
    if (not metrics or metrics == ["cost"]) and (reading.filters or dimensions or reading.status) and MONEY_WORDS.search(text):
        if not metrics or reading.status is not None or not _fits_billing(reading.filters, dimensions, planner):
            metrics = [_money_metric(reading.filters, dimensions, planner)]
    if metrics and _billing_period(reading, planner.model.metrics[metrics[0]].table):
        dimensions = [d for d in dimensions if d != "billing_period"]  # "for the March billing period": the window
    if metrics == ["cost"] and "model" in dimensions and not set(tokens) & TABLE_WORDS["billing"]:
        metrics = ["inference_cost"]  # "top 3 models by spend": models are LLM calls' (a billing tag only when asked so)
    if "publisher" in dimensions and metrics in ([], ["cost"]) and {"marketplace", "marketplaces"} & set(tokens):
        metrics = ["marketplace_spend"]  # "our marketplace vendors by spend": only what was bought through a marketplace
    unknown = _unknown_dimension(list(tokens), reading.taken | reading.filter_positions, planner)
    if unknown is not None and _scenario(reading) is not None:
        unknown = None  # "save by switching support-chat to gpt-4o-mini": the change, not a grouping
    return replace(reading, dimensions=tuple(dimensions), metrics=tuple(metrics), unknown_dimension=unknown)


def find_follow_up(reading: Reading, context: PlannerContext, planner: Planner) -> Reading | Clarification:
    """Whether the question edits the previous plan ("and by model?"); a question with no metric needs one."""
    text, previous, model = reading.text, context.previous, planner.model
    used = reading.taken | reading.filter_positions
    unknown_words = [t for i, t in enumerate(reading.tokens) if i not in used and t not in STOPWORDS and not t.isdigit()]
    follow_up = previous is not None and not WHY.search(text) and bool(
        FOLLOW_UP.search(text)
        or re.search(r"\binstead\b", text)
        or (not reading.metrics and shift_window(previous.window, text, context.as_of) is not None)
        or (not reading.metrics and not unknown_words
            and (reading.dimensions or reading.filters or reading.status or reading.time or reading.grain or TOP_N.search(text)))
    )
    metrics = reading.metrics
    if follow_up and previous is not None and metrics == ("requests",) and re.match(r"\s*(only|just)\b", text) and \
            reading.filters and re.search(r"\btraffic\b", text):
        metrics = ()  # "only prod traffic": the previous question, on that slice of the traffic
    if not metrics and (reading.status is not None or any(f[0] == "status" for f in reading.filters)):
        metrics = ("requests",)  # "how many failed yesterday?", "timeouts by provider": requests that ended so
    if RECONCILE.search(text) and not follow_up:
        metrics = ("inference_cost",)  # tracked against billed: the requests' cost is what is reconciled
    if not metrics and not follow_up and (ANOMALY.search(text) or SAVINGS_INTENT.search(text)):
        metrics = ("cost",)
    if not metrics and not follow_up and reading.dimensions and MONEY_RANKING.search(text):
        metrics = (_ranked_by(reading.dimensions[0], text, model),)  # "our largest Azure service": by what it cost
    if not metrics and not follow_up and _scenario(reading) is not None:
        metrics = ("inference_cost",)  # "what if summarize's prompts were 30% shorter?": its cost is what changes  # "anything unusual?", "where are we wasting money?": every series is looked at
    if not metrics:
        if follow_up and previous is not None:
            metrics = previous.metrics
        elif reading.unknown_dimension:
            return Clarification(ErrorKind.NOT_SUPPORTED, f"I don't know {reading.unknown_dimension!r} in your data.", similar_questions(text))
        else:
            return _not_understood(text, reading.filters)
    if reading.unknown_dimension and not follow_up:
        table = model.metrics[metrics[0]].table
        return Clarification(
            ErrorKind.NOT_SUPPORTED,
            f"I can't break {model.metrics[metrics[0]].label} down by {reading.unknown_dimension!r}; "
            f"it can be broken down by {', '.join(_dimension_labels(model, table))}.",
            similar_questions(text),
        )
    return replace(reading, metrics=metrics, follow_up=follow_up)


def find_intent(reading: Reading, context: PlannerContext, planner: Planner) -> Reading:
    """The metrics of one table, one row per value compared ("gpt-4o vs claude"), and what is asked of them."""
    model, text = planner.model, reading.text
    table = model.metrics[reading.metrics[0]].table
    metrics = [m for m in reading.metrics if model.metrics[m].table == table] or list(reading.metrics[:1])
    scenario = _scenario(reading)
    if scenario is not None:  # "what would summarize have cost on gpt-4o-mini?": a change priced, an analysis
        return _what_if(reading, scenario)
    dimensions = list(reading.dimensions)
    for dimension, count in _values_per_dimension(reading.filters).items():
        if count > 1 and dimension not in dimensions and dimension not in QUANTITY and not NEGATION.search(text):
            dimensions.append(dimension)  # "gpt-4o vs claude-sonnet-4": one row each
    if RECONCILE.search(text):  # tracked vs billed: an analysis of its own
        return replace(reading, metrics=("inference_cost",), dimensions=(), intent=Intent.RECONCILIATION)
    if reading.ratio is not None:  # one metric over another: a figure, or one per group
        return replace(reading, metrics=tuple(reading.metrics), dimensions=tuple(dimensions),
                       intent=Intent.BREAKDOWN if dimensions else Intent.TOTAL)
    period = peak_period(text) if not dimensions else None
    if period is not None and not WHY.search(text):  # "on which day did GPU cost peak?": periods ranked
        return replace(reading, metrics=tuple(metrics), dimensions=(), grain=period, intent=Intent.RANKING)
    intent = read_intent(text, metrics, dimensions, reading.grain, reading.time, model)
    if intent == Intent.COMPARISON and dimensions and not (reading.time and reading.time.comparison):
        intent = Intent.BREAKDOWN
    return replace(reading, metrics=tuple(metrics), dimensions=tuple(dimensions), intent=Intent(intent))


def _model_values(reading: Reading) -> list[tuple[str, tuple[int, ...]]]:
    return [(value, positions) for dimension, value, positions in reading.filters if dimension == "model"]


def _scenario(reading: Reading) -> Scenario | None:
    return read_scenario(reading.text, _model_values(reading), reading.rest, reading.tokens)


def _what_if(reading: Reading, scenario: Scenario) -> Reading:
    """A what-if prices the requests' inference cost; a re-pricing's target model is no filter of the traffic."""
    filters, positions = reading.filters, frozenset[int]()
    if scenario.kind == "reprice" and scenario.model is not None:
        positions = frozenset(target_positions(_model_values(reading), scenario.model))
        filters = tuple(f for f in filters if not (f[0] == "model" and f[1] == scenario.model))
    dimensions = list(reading.dimensions)
    for dimension, count in _values_per_dimension(filters).items():
        if count > 1 and dimension not in dimensions and not NEGATION.search(reading.text):
            dimensions.append(dimension)  # "summarize on gpt-4o vs claude-sonnet-4 ...": one row each
    metrics = ("cost_per_mtok",) if scenario.kind == "self_hosted" else ("inference_cost",)
    return replace(reading, metrics=metrics, dimensions=tuple(dimensions), filters=filters, intent=Intent.WHAT_IF,
                   scenario=scenario, scenario_positions=positions)


def find_tag_keys(reading: Reading, context: PlannerContext, planner: Planner) -> Reading | Clarification:
    """A tag named by its key ("by the application tag") must be a tag the model reads, never a look-alike dimension."""
    if TAG_COVERAGE.search(reading.text):
        coverage = tuple(m for m in reading.metrics if m.startswith(COVERAGE_PREFIX)) or _coverage_named(reading.text, planner.model)
        if not coverage:
            keys = sorted(key_words(key) for key in tag_keys(planner.model))
            return Clarification(
                ErrorKind.NOT_SUPPORTED,
                f"Tag coverage is measured per tag key: say which (the bill's tags are {_listed(keys)}), e.g. 'team tag coverage last month'.",
                similar_questions(reading.text),
            )
        covered = {planner.model.metrics[m].label.removesuffix(" tag coverage") for m in coverage}
        dimensions = tuple(d for d in reading.dimensions if not covered & set(planner.model.dimensions[d].synonyms))
        intent = reading.intent if reading.intent in (Intent.TREND, Intent.RANKING, Intent.COMPARISON) else (
            Intent.BREAKDOWN if dimensions else Intent.TOTAL)
        return replace(reading, metrics=coverage, dimensions=dimensions, intent=intent, ratio=None)
    read = {key_words(key) for key in tag_keys(planner.model)}
    read_words = {word for words in read for word in words.split()}
    for match in TAG_KEY.finditer(reading.text):
        key = match.group("before") or match.group("after")
        if key in NOT_A_KEY or key_words(key) in read or key in read_words or key.rstrip("s") in read_words:
            continue
        return Clarification(
            ErrorKind.NOT_SUPPORTED,
            f"I can't break spend down by the tag {key!r}: the bill's tags are {_listed(sorted(read))}.",
            similar_questions(reading.text),
        )
    return reading


def _coverage_named(text: str, model: SemanticModel) -> tuple[str, ...]:
    """The coverage metric of the tag key said next to 'tag' ("had an application tag"), longest key first."""
    for name in sorted((m for m in model.metrics if m.startswith(COVERAGE_PREFIX)), key=len, reverse=True):
        words = re.escape(model.metrics[name].label.removesuffix(" tag coverage"))
        if re.search(rf"\b{words} tags?\b|\btag {words}\b", text):
            return (name,)
    return ()


def _listed(names: list[str], most: int = 12) -> str:
    """'a, b, c' or, past `most`, 'a, b, ... and 9 more'."""
    if len(names) <= most:
        return ", ".join(names)
    return ", ".join(names[:most]) + f" and {len(names) - most} more"


# "the application tag", "tag cost-center", "tag key team": a tag key, before or after the word tag.
TAG_KEY = re.compile(r"\b(?P<before>[a-z][\w-]*) tags?\b|\btag (?:key )?(?P<after>[a-z][\w-]*)")
# "tag coverage", "what percent of cost has a team tag": the share of spend that carries a key (a tag_coverage_ metric).
TAG_COVERAGE = re.compile(r"\btag(?:ging)? coverage\b|\b(?:has|have|had|carr(?:y|ies|ied)|carrying|having|bears?|bearing) (?:a |an |the |any )?(?:[\w-]+ ){0,3}tags?\b")
NOT_A_KEY = frozenset(
    "a an the no any all some missing without with each every per by our their its which what cost costs spend key keys value "
    "values coverage name names and or of on for in to as at from is are was were have has had untagged".split()
)

# The metrics of commitment discounts, which a commitment type narrows.
COMMITMENT_METRICS = frozenset({"commitment_utilization", "unused_commitment_cost", "commitment_savings", "commitment_purchases"})

STAGES: tuple[Stage, ...] = (find_metrics, find_units, find_filters, find_commitment_type, find_dimensions, find_tag_keys,
                              find_follow_up, find_intent, find_thresholds)


def to_plan(reading: Reading, context: PlannerContext, planner: Planner) -> QueryPlan | Clarification:
    """The plan the reading asks for: an edit of the previous plan, or a new one with its window and limits."""
    if reading.follow_up and context.previous is not None:
        return _edit(context.previous, reading, context, planner)
    model, text = planner.model, reading.text
    metrics, dimensions, intent = list(reading.metrics), list(reading.dimensions), reading.intent
    assert intent is not None, "find_intent ran"
    table = model.metrics[metrics[0]].table
    time = reading.time
    window = time.window if time else default_window(context.as_of)
    this_month = _this_month(context.as_of)
    if intent == Intent.FORECAST:
        if not is_additive(model.metrics[metrics[0]].expression):
            return Clarification(ErrorKind.NOT_SUPPORTED, f"I project totals that add up day by day (cost, requests, tokens, "
                                 f"GPU hours), not {model.metrics[metrics[0]].label}.", similar_questions(text))
        if time is not None and time.window.start != this_month.start:  # "in December", "next quarter"
            return Clarification(ErrorKind.NOT_SUPPORTED, f"I forecast the current month only, from its days so far "
                                 f"({this_month.describe()}); not {time.window.label}.", similar_questions(text))
        return QueryPlan(intent=intent, metrics=tuple(metrics), window=this_month, filters=_plan_filters(reading))
    if intent == Intent.BUDGET:
        if not set(metrics) - {"budget"}:  # "the cloud budget" caps billing cost, "the team LLM budgets" inference cost
            named = [m for words, m in BUDGET_WORDS if re.search(words, text)]
            metrics = [named[0], *metrics] if len(named) == 1 else metrics
        return QueryPlan(
            intent=intent,
            metrics=tuple(metrics),
            window=time.window if time else this_month,
            dimensions=tuple(dimensions),
            filters=_plan_filters(reading),
            notes=tuple(note for note, said in (("total", TOTAL_BUDGET), (OVER_ONLY_NOTE, OVER_ONLY)) if said.search(text)),
        )
    plan_filters = _plan_filters(reading)
    if intent == Intent.WHAT_IF:
        for check in _check_table(model, "llm_requests", dimensions, plan_filters, metrics):
            return check
        narrower = [f for f in plan_filters if f.dimension not in SELF_HOSTED_SIDES or f.negate]
        if reading.scenario is not None and reading.scenario.kind == "self_hosted" and narrower:
            # GPU hours carry no feature or team: their cost per token cannot be narrowed to one
            return Clarification(
                ErrorKind.NOT_SUPPORTED,
                f"I can't narrow the self-hosted comparison to {narrower[0].describe()}: GPU hours are not split by "
                f"{narrower[0].dimension}, so the whole traffic of each model is compared. Ask without it, or ask "
                f"for that traffic at an API model's prices.",
                ("Is our self-hosted model cheaper than the API models per million tokens last month?",
                 f"What would {' or '.join(narrower[0].values)} have cost last month on gpt-4o-mini?"),
            )
        return QueryPlan(intent=intent, metrics=tuple(metrics), window=window, dimensions=tuple(dimensions),
                         filters=plan_filters, scenario=reading.scenario)
    if intent == Intent.SAVINGS:
        # "optimize GPU usage": everyday words that happen to be values elsewhere ("Usage") do not narrow it.
        plan_filters = tuple(f for f in plan_filters if table in model.dimensions[f.dimension].columns)
        dimensions = [d for d in dimensions if table in model.dimensions[d].columns]
    for check in _check_table(model, table, dimensions, plan_filters, metrics):
        return check
    average = AVERAGE_PER.search(text)
    if average and intent in (Intent.TREND, Intent.TOTAL, Intent.BREAKDOWN, Intent.UNIT_COST) and reading.ratio is None:
        # "average daily LLM cost last month": the window's total over its days, not a daily series
        if not all(is_additive(model.metrics[m].expression) for m in metrics):
            return Clarification(ErrorKind.NOT_SUPPORTED, f"I average totals that add up period by period (cost, requests, "
                                 f"tokens, GPU hours) per day, week or month, not {model.metrics[metrics[0]].label}.",
                                 similar_questions(text))
        per = next(PERIOD_OF[word] for word in average.groups() if word)
        return QueryPlan(intent=Intent.BREAKDOWN if dimensions else Intent.TOTAL, metrics=tuple(metrics), window=window,
                         dimensions=tuple(dimensions), filters=plan_filters, average_per=per)
    limit, ascending = read_limit(text, intent)
    notes: tuple[str, ...] = ()
    if intent == Intent.COMPARISON and (RANKING.search(text) or re.search(r"\bmovers?\b", text)):
        # "which feature grew the most from October to November", "biggest movers": ranked by the change
        if not dimensions and table in DRIVER_DIMENSION:
            dimensions = [DRIVER_DIMENSION[table]]
        limit, ascending = read_limit(text, Intent.RANKING)
        ascending = bool(FALLING.search(text))
        if re.search(r"\bmovers?\b", text) and not ascending and not RISING.search(text):
            notes = (BOTH_WAYS_NOTE,)  # "biggest movers": up or down, the largest changes first
    grain = reading.grain
    if intent == Intent.RANKING and grain is not None and not dimensions:
        limit = limit if TOP_N.search(text) else 1  # "which day": the one period
    if intent == Intent.WHY_CHANGED:
        window = _with_previous(window)
        if not dimensions:
            dimensions = [DRIVER_DIMENSION[table]] if table in DRIVER_DIMENSION else []
    elif intent in (Intent.COMPARISON, Intent.TOTAL) and window.compare_start is None and reading.ratio is None:
        window = _with_previous(window)
    if intent == Intent.TREND:
        grain = grain or ("day" if window.days <= 93 else "week")
        dimensions = dimensions[:1]
    within: tuple[Filter, ...] = ()
    if intent == Intent.SHARE and not dimensions and reading.ratio is None:
        plan_filters, within = _share_whole(reading)
    return QueryPlan(
        intent=intent,
        metrics=tuple(metrics),
        window=window,
        dimensions=tuple(dimensions),
        filters=plan_filters,
        grain=grain if intent == Intent.TREND or (intent == Intent.RANKING and not dimensions) else None,
        limit=limit,
        ascending=ascending,
        ratio=reading.ratio,
        thresholds=reading.thresholds,
        billing_period=_billing_period(reading, table),
        within=within,
        notes=notes,
    )


RISING = re.compile(r"\b(?:rose|rise|rises|risen|grew|grow|grows|grown|increased?|jumped|climbed|went up|up)\b")
# A ranking with no metric named ranks by money: "our largest Azure service", "the cheapest model for summarize".
MONEY_RANKING = re.compile(r"\b(?:largest|biggest|costliest|priciest|most expensive|cheapest|least expensive|top)\b")
CHEAPEST = re.compile(r"\b(?:cheapest|least expensive|priciest|most expensive|costliest)\s+(?:llm\s+|ai\s+)?models?\b")


def _ranked_by(dimension: str, text: str, model: SemanticModel) -> str:
    """The money a group is ranked by: a model is cheap or expensive per request, anything else by its total."""
    if dimension == "model" and CHEAPEST.search(text):
        return "cost_per_request"
    tables = [t for t in model.dimensions[dimension].columns if t in MAIN_METRIC]  # the model's own order
    return MAIN_METRIC[tables[0]] if tables else "cost"


# "average daily cost", "avg weekly requests", "cost per day on average", "average spend per month".
AVERAGE_PER = re.compile(
    r"\b(?:average|avg|mean|typical)\s+(daily|weekly|monthly|hourly)\b"
    r"|\b(?:average|avg|mean)\b(?:\s+[\w-]+){0,4}?\s+(?:per|a|each)\s+(day|week|month|hour)\b"
    r"|\b(?:per|a|each)\s+(day|week|month|hour)\s+on average\b"
)
PERIOD_OF = {"daily": "day", "weekly": "week", "monthly": "month", "hourly": "hour", "day": "day", "week": "week",
             "month": "month", "hour": "hour"}
TOTAL_BUDGET = re.compile(r"\b(total|overall|whole|company)\b")
# "which teams went over their budget": only the budgets over their limit are asked for.
OVER_ONLY = re.compile(r"\b(?:which|what|who|any)\b.*\b(?:(?:went|go|gone|are|is|were|was|running|ran|already|now) over"
                       r"(?!\s*(?:\$?\d|(?:the\s+)?(?:last|past)\b|time\b))|exceeded(?!\s*\$?\d)|exceeding|"
                       r"overspent|overspending|overran|overrun|blew|blown|broke|breached)\b")
# What a self-hosted comparison can be narrowed by: the models on either side (GPU hours have no other dimension).
SELF_HOSTED_SIDES = ("model", "provider")
SHARE_OF = re.compile(r"^(?:share|percentage|percent|fraction|proportion|portion)$")


def _share_whole(reading: Reading) -> tuple[tuple[Filter, ...], tuple[Filter, ...]]:
    """(the part, the whole) of a share: values said between 'share of' and the metric bound the whole.

    "What share of claude-sonnet-4 spend went to failed requests": failed over claude-sonnet-4's spend. With no other
    filter left for the part, every filter is the part ("what share of spend is claude-sonnet-4").
    """
    tokens = reading.tokens
    start = next((i for i in range(len(tokens) - 1) if SHARE_OF.match(tokens[i]) and tokens[i + 1] == "of"), None)
    metric_at = min((p.span[0] for p in reading.phrases if p.kind == "metric" and start is not None and p.span[0] > start),
                    default=None)
    if start is None or metric_at is None:
        return _plan_filters(reading), ()

    def inside(positions) -> bool:
        return bool(positions) and all(start < i < metric_at for i in positions)

    whole = [f for f in reading.filters if inside(f[2])]
    status_whole = reading.status is not None and inside(reading.status_positions)
    part = [f for f in reading.filters if f not in whole]
    status_part = reading.status is not None and not status_whole
    if not (whole or status_whole) or not (part or status_part):
        return _plan_filters(reading), ()
    within = _as_filters(whole, reading.text, tokens) + ([reading.status] if status_whole else [])
    parts = _as_filters(part, reading.text, tokens) + ([reading.status] if status_part else [])
    return tuple(p for p in parts if p is not None), tuple(w for w in within if w is not None)


def _billing_period(reading: Reading, table: str) -> bool:
    """A billing question about an invoice of a named month is read on the billing period (DATA-CONTRACT.md)."""
    if table != "billing" or reading.time is None or not INVOICE_PERIOD.search(reading.text):
        return False
    window = reading.time.window
    return window.start.day == 1 and (window.end - window.start).days <= 31


def _plan_filters(reading: Reading) -> tuple[Filter, ...]:
    found = _as_filters(reading.filters, reading.text, reading.tokens)
    return tuple(found + [reading.status]) if reading.status is not None else tuple(found)


def _this_month(as_of: date) -> Window:
    month = find_time_window("this month", as_of)
    assert month is not None, "'this month' always reads"
    return month.window


def _with_previous(window: Window) -> Window:
    before = previous_window(window)
    return Window(window.label, window.start, window.end, before.start, before.end)


def _non_overlapping(matches):
    chosen, used = [], set[int]()
    for match in matches:
        span = set(range(*match.span))
        if not span & used:
            chosen.append(match)
            used |= span
    return chosen


def _fits_billing(filters, dimensions, planner: Planner) -> bool:
    """Whether every named dimension and value exists in billing (else 'cost' means another table's cost)."""
    if any("billing" not in planner.model.dimensions[d].columns for d in dimensions):
        return False
    return all("billing" in planner.values.tables_of(d, v) for d, v, _ in filters)


def _money_metric(filters, dimensions, planner: Planner) -> str:
    """'How much did Amazon CloudWatch cost?': the money metric of the table the named things live in."""
    for dimension, value, _ in filters:
        for table in planner.values.tables_of(dimension, value):
            if table in MAIN_METRIC:
                return MAIN_METRIC[table]
    for dimension in dimensions:
        for table in planner.model.dimensions[dimension].columns:
            if table in MAIN_METRIC:
                return MAIN_METRIC[table]
    return "cost"


def _table_of(plan: QueryPlan | None, model: SemanticModel) -> str | None:
    return model.metrics[plan.metric].table if plan is not None else None


def _split_english(tokens: list[str], planner: Planner) -> list[str]:
    """'month-by-month' and 'on-demand' are words; 'support-chat' and 'gpt-4o' are names in the data."""
    out = []
    for token in tokens:
        parts = token.split("-")
        if (
            len(parts) > 1
            and all(p.isalpha() for p in parts)
            and SEPARATORS.sub("", token) not in planner.value_names
            and all(p in planner.known_words for p in parts)
        ):
            out.extend(parts)
        else:
            out.append(token)
    return out


def _values_per_dimension(filters) -> dict[str, int]:
    counts: dict[str, set] = {}
    for dimension, value, _ in filters:
        counts.setdefault(dimension, set()).add(value)
    return {d: len(v) for d, v in counts.items()}


# A grouping word before a value and its dimension ("each chat model", "per prod cluster") groups by the dimension.
GROUPING_BEFORE_VALUE = frozenset({"each", "every", "per", "by"})


RANKED_BEFORE = re.compile(r"\b(?:largest|biggest|costliest|priciest|cheapest|expensive|top|smallest|busiest)\b")
# Dimensions whose values qualify things of any kind ("untagged resources", "tagged services"), never name them.
UNRELATED_VALUES = frozenset({"tagging"})


def _breakdowns(dimensions, phrases, filters, tokens) -> list[str]:
    """Dimensions to group by: not those that only describe a value beside them ("team search", "OpenSearch service")."""
    if not filters:
        return dimensions
    kept = []
    for dimension in dimensions:
        spans = [m.span for m in phrases if m.kind == "dimension" and m.name == dimension]
        # "untagged resources" groups resources: a value of another dimension does not describe this one
        # "the OpenSearch service" names a value; "our largest Azure service" ranks the services of a provider
        related = [p for d, _, p in filters if p and d not in UNRELATED_VALUES and (d == dimension or not RANKED_BEFORE.search(
            " ".join(tokens[max(0, p[0] - 3) : p[0]])))]
        value_edges = {p[0] for p in related} | {p[-1] for p in related}
        descriptive = spans and all(
            (span[0] - 1 in value_edges or span[1] in value_edges)
            and (span[0] == 0 or tokens[span[0] - 1] not in BY_WORDS)
            and (span[0] < 2 or tokens[span[0] - 2] not in GROUPING_BEFORE_VALUE)  # "for each chat model": by model
            for span in spans
        )
        if not descriptive:
            kept.append(dimension)
    return kept


def _filters(tokens, taken, planner: Planner, text: str, tables: set[str], named_dimensions=None, strict: set[str] | None = None):
    """[(dimension, value, positions)] found in the question, or a Clarification when ambiguous.

    `strict`: only values held in these tables are read (the others are left to the words' other meanings)."""
    named_dimensions = named_dimensions or {}
    found = []
    candidates = planner.values.find_exact_names(tokens) + planner.values.find(tokens, taken, planner.question_words)

    def beside_named(m) -> bool:  # "prod cluster": a cluster value, not the environment prod
        return any(name == m.dimension and (span[1] == m.span[0] or span[0] == m.span[1]) for span, name in named_dimensions.items())

    candidates.sort(key=lambda m: (-(3 if beside_named(m) else m.quality), -(m.span[1] - m.span[0]), m.span[0]))
    for readings in best_matches(candidates):
        if strict is not None:
            readings = [m for m in readings if strict & set(planner.values.tables_of(m.dimension, m.value))]
            if not readings:
                continue
        if tables:  # a value in a dimension the metric's table has beats the same words elsewhere
            usable = [m for m in readings if tables & set(planner.values.tables_of(m.dimension, m.value))]
            readings = usable or readings
        beside = [
            m for m in readings
            if any(name == m.dimension and (span[1] == m.span[0] or span[0] == m.span[1]) for span, name in named_dimensions.items())
        ]
        readings = beside or readings
        by_value: dict[str, list] = {}
        for m in readings:
            by_value.setdefault(m.value.lower(), []).append(m)
        if len(by_value) == 1:  # one value in several dimensions: people mean teams before accounts
            readings = sorted(readings, key=lambda m: TIE_ORDER.index(m.dimension) if m.dimension in TIE_ORDER else 99)[:1]
        distinct = {(m.dimension, m.value) for m in readings}
        if len(distinct) > 1:
            same_dimension = len({d for d, _ in distinct}) == 1
            options = sorted(v for _, v in distinct)
            if same_dimension or len(options) > 1:
                return [], Clarification(
                    ErrorKind.AMBIGUOUS,
                    f"Which one did you mean: {', '.join(options[:-1])} or {options[-1]}?",
                    tuple(f"{text.strip().rstrip('?')} for {option}" for option in options[:3]),
                )
        match = readings[0]
        found.append((match.dimension, match.value, tuple(range(*match.span))))
    return found, None


def _as_filters(found, text: str, tokens: tuple[str, ...] = ()) -> list[Filter]:
    """The filters of the values found; a value said after a negation ('except EC2', 'outside prod') is left out."""
    negated = NEGATION.search(text)
    negation_at = next((i for i in range(len(tokens)) if NEGATION.match(" ".join(tokens[i:i + 2]))), None)
    grouped: dict[str, list[str]] = {}
    for dimension, value, _ in found:
        grouped.setdefault(dimension, [])
        if value not in grouped[dimension]:
            grouped[dimension].append(value)
    filters = []
    for dimension, values in grouped.items():
        negate = False
        if negated:
            after = text[negated.end():]
            negate = any(re.search(re.escape(v.lower()).replace(r"\-", "[- ]?"), after) for v in values)
        if negation_at is not None and not negate:  # said by another name: 'EC2' for Amazon Elastic Compute Cloud
            negate = any(p > negation_at for d, _, positions in found if d == dimension for p in positions)
        filters.append(Filter(dimension, tuple(values), negate))
    return filters


USER_QUALIFIERS = frozenset("active unique distinct individual".split())


def _unknown_dimension(tokens, taken, planner: Planner) -> str | None:
    """A word after 'by'/'per' that names no dimension ("cost by planet")."""
    for i, token in enumerate(tokens[:-1]):
        if token in ("by", "per") and i + 1 not in taken:
            word = tokens[i + 1]
            if word in USER_QUALIFIERS and i + 2 in taken:  # "per active user": the user, qualified
                continue
            if word not in STOPWORDS and not word.isdigit() and word not in UNIT_WORDS:
                return word
    return None


def _dimension_labels(model: SemanticModel, table: str) -> list[str]:
    return [model.dimensions[d].label for d in model.dimensions_of(table)]


def _check_table(model, table, dimensions, filters, metrics):
    label = model.metrics[metrics[0]].label
    for dimension in list(dimensions) + [f.dimension for f in filters]:
        if table not in model.dimensions[dimension].columns:
            name = model.dimensions[dimension].label
            can = [MAIN_METRIC[t] for t in model.dimensions[dimension].columns if t in MAIN_METRIC]
            hint = f" {name[0].upper() + name[1:]} applies to {' and '.join(model.metrics[m].label for m in can)}." if can else ""
            yield Clarification(
                ErrorKind.NOT_SUPPORTED,
                f"I can't break {label} down by {name}: {table} has no {name}. "
                f"{label[0].upper() + label[1:]} can be broken down by {', '.join(_dimension_labels(model, table))}.{hint}",
                similar_questions(f"{label} by {' '.join(_dimension_labels(model, table)[:1])}"),
            )


def _not_understood(text: str, filters) -> Clarification:
    if filters:
        value = filters[0][1]
        return Clarification(
            ErrorKind.UNKNOWN_QUESTION,
            f"What would you like to know about {value}? For example its cost, requests or cost per request.",
            (f"What was the inference cost of {value} last week?", f"Requests of {value} by day this month"),
        )
    return Clarification(
        ErrorKind.UNKNOWN_QUESTION,
        "I can only answer questions about your cloud, LLM and GPU costs and usage, and I couldn't place this one.",
        similar_questions(text),
    )


def _edit(previous: QueryPlan, reading: Reading, context: PlannerContext, planner: Planner) -> QueryPlan | Clarification:
    """A follow-up changes the previous plan: its window, grouping, filters, limit or metric."""
    model, text, time, metrics = planner.model, reading.text, reading.time, list(reading.metrics)
    dimensions, grain, intent = reading.dimensions, reading.grain, reading.intent
    window = previous.window
    shifted = shift_window(previous.window, text, context.as_of)
    if shifted is not None:
        window = shifted
    elif time is not None:
        window = time.window
    if window.compare_start is None and previous.window.compare_start is not None and previous.intent in ("why_changed", "comparison", "total"):
        window = _with_previous(window)
    table = model.metrics[metrics[0]].table
    new_dimensions = tuple(dimensions) if dimensions else previous.dimensions
    new_filters = list(previous.filters)
    if re.search(r"\b(all|every|any)\b.*\b(env\w*|teams?|features?|models?)\b|\bremove the filter|\bwithout filter", text):
        new_filters = []
    for f in _plan_filters(reading):
        new_filters = [old for old in new_filters if old.dimension != f.dimension] + [f]
    new_intent = previous.intent
    new_grain = previous.grain
    if grain is not None:
        new_intent, new_grain = Intent.TREND, grain
        new_dimensions = tuple(dimensions)[:1]
    elif dimensions and previous.intent in ("total", "trend"):
        new_intent = Intent.BREAKDOWN
    if intent in (Intent.SHARE, Intent.RANKING, Intent.WHY_CHANGED) and intent != previous.intent:
        new_intent = intent
    limit, ascending = previous.limit, previous.ascending
    said = read_limit(text, Intent.RANKING)[0] if TOP_N.search(text) else None
    if said is not None:
        limit = said
        new_intent = Intent.RANKING if new_dimensions else new_intent
    for check in _check_table(model, table, tuple(dimensions), (), metrics):
        return check  # a follow-up asking for a breakdown the metric's table lacks
    kept_dimensions = tuple(d for d in new_dimensions if table in model.dimensions[d].columns)
    for check in _check_table(model, table, kept_dimensions, tuple(new_filters), metrics):
        return check
    return QueryPlan(
        intent=new_intent,
        metrics=tuple(metrics),
        window=window if new_intent != "trend" else Window(window.label, window.start, window.end),
        dimensions=kept_dimensions,
        filters=tuple(new_filters),
        grain=new_grain if new_intent == "trend" else None,
        limit=limit,
        ascending=ascending,
        # "the March invoice" -> "by provider" -> "and February?": still invoices, when the window is still a month
        billing_period=(previous.billing_period and table == "billing" and window.start.day == 1 and window.days <= 31)
        or _billing_period(reading, table),
        scenario=previous.scenario if new_intent == Intent.WHAT_IF else None,  # "and by team?" of a what-if
    )

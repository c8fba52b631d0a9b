"""Every word accounted for: the words of a question that its plan does not use.

A question is answered as understood only when each of its words is placed:
in the time phrase, in a metric, dimension or grain phrase the plan uses, in a
filter value, among the words the plan's intent was read from (the grammar of
rankings, comparisons, shares, "why"...), or on a small closed list of fillers
("show me", "please", "our", articles, pronouns). A general English word list
never makes a content word known: "average", "next", "peak", "failed" or "per
1M" mean something, and a plan that ignores them answers another question.

>>> FILLERS >= {"the", "please", "show", "our"}, "average" in FILLERS, "next" in FILLERS
(True, False, False)
"""

from __future__ import annotations

from assistant.query.plan import Intent, QueryPlan
from assistant.semantic import SemanticModel
from assistant.semantic.tags import COVERAGE_PREFIX, COVERAGE_WORDS, is_tag
from assistant.understand.reading import NUMBER_WORDS
from assistant.understand.scenarios import WHAT_IF_WORDS
from assistant.understand.vocabulary import TIME_WORDS, PhraseMatch

# Words that ask, point or are polite: they never change what is asked (and the pieces of "what's", "don't").
FILLERS = frozenset(
    """
    a an the of for in on at to from with and or is are was were be been being am do does did done has have had
    what whats what's who whom how i me my mine we us our ours you your it its it's they them
    this that these those there here
    show shows showing give gives tell list get got find see look looks looking looked like display pull fetch report
    let lets let's know please pls can could would should may might must need want just so far
    all overall total totals amount amounts number value values figure figures any across stuff
    about thanks thank hi hey hello ok okay yes also ever actually quick thing one together
    s t re ve ll d m
    """.split()
)

# Verbs of using and spending: "did we use / consume / send / make / burn" add nothing to the metric named.
LIGHT_VERBS = frozenset(
    """
    use uses used using usage consume consumes consumed consuming make makes made making send sends sent sending
    generate generates generated generating read reads run runs ran running serve serves served serving
    go goes going gone went come comes came take takes took taken stay stayed burn burns burned burnt burning
    incur incurred rack racked end ended ending land lands landed landing buy buys bought buying give gives gave given get gets got getting process processed processing
    """.split()
)

# Words that name a table's world: "cloud spend" is billing, "LLM requests" and "model calls" are llm_requests.
TABLE_WORDS = {
    "billing": frozenset("cloud clouds bill bills billing invoice invoices invoiced aws azure gcp provider providers".split()),
    "llm_requests": frozenset("llm llms ai genai gen model models api apis inference prompt prompts call calls request requests token tokens queries".split()),
    "gpu_usage": frozenset("gpu gpus node nodes cluster clusters fleet hardware boxes machines capacity".split()),
}

# Words that describe a metric's meaning in a question without naming it ("a prompt we had already sent that day"
# is a repeat; "input plus output" is all tokens). Read beside the metric's own synonyms.
METRIC_CONTEXT = {
    "repeat_share": frozenset("same already earlier again repeat repeated repeats duplicate duplicates resent re-sent sent cacheable cached before day that".split()),
    "idle_gpu_cost": frozenset("wasting waste wasted sitting idle capacity unused paid money".split()),
    "retry_cost": frozenset("waste wasted wasting retry retries retried".split()),
    "tokens": frozenset("input output plus both".split()),
    "error_rate": frozenset("fail failed failing failure failures error errors errored".split()),
    "budget": frozenset("anywhere where still through racked percent % share as".split()),
    "savings": frozenset("plan plans commitment commitments reserved reservation reservations discount discounts negotiated".split()),
    "unused_commitment_cost": frozenset(
        "wasted waste wasting didn't didnt not use used unused underused savings plan plans reserved reservation "
        "reservations instances ri ris commitment commitments cud cuds".split()
    ),
    "users": frozenset("unique distinct active different individual".split()),
    "cost_per_user": frozenset("unique distinct active individual".split()),
    "credits": frozenset("off take took taken knock knocked".split()),
    **dict.fromkeys(("pricing_quantity", "consumed_quantity", "cost_per_pricing_unit", "cost_per_consumed_unit"), frozenset(
        "many much scan scanned scanning consume consumed consuming consumption store stored storage pay paid in "
        "quantity units unit".split())),
    **dict.fromkeys(("negotiated_savings", "commitment_savings"), frozenset("save saves saved saving discount discounts".split())),
    "marketplace_spend": frozenset("through via buy bought buying purchase purchased cloud marketplace marketplaces".split()),  # "how much did credits take off our bill"
    **dict.fromkeys(("cost_per_mtok", "cost_per_ktok"), frozenset(["blended"])),  # all models' tokens together
}
# The words each intent is read from (reading.py's patterns, as words).
_INTENT_WORDS: dict[str, frozenset[str]] = {
    Intent.RANKING: frozenset(
        "top most highest biggest largest bottom least lowest smallest cheapest rank ranked ranking leading main "
        "slowest fastest worst best busiest heaviest expensive costly priciest fewest first peak peaked peaks quietest record "
        "costliest".split()
    ),
    Intent.WHY_CHANGED: frozenset(
        "why what caused cause causes causing drove drive drives driving driver drivers made make behind come explain "
        "reason reasons root jump jumped jumps spike spiked spikes rise rose risen rising increase increased increasing "
        "grow grew grown growing drop dropped drops fall fell falling decrease decreased change changed changes go went "
        "up down higher lower so much".split()
    ),
    Intent.COMPARISON: frozenset(
        "vs versus compare compared comparing comparison against than with before prior previous change changed "
        "difference differ delta up down higher lower increase increased decrease decreased much".split()
    ),
    Intent.SHARE: frozenset("share percent percentage proportion fraction part split across between among % much".split()),
    Intent.TREND: frozenset("trend trends trending trended over time timeline series chart graph plot moved changed changing evolved looked".split()),
    Intent.BUDGET: frozenset(
        "budget budgets over under within burn burning limit limits left remaining track tracking used use up against "
        "exceed exceeded breach breached blow month monthly per which went overspent overspend overspending overran "
        "overrun blew blown broke their its already".split()
    ),
    Intent.FORECAST: frozenset(
        "forecast forecasts forecasted projected projection project projecting end month-end eom run rate run-rate "
        "track pace at will land finish blow exceed go hit expected expect going where by current month months".split()
    ),
    Intent.ANOMALIES: frozenset(
        "unusual anomaly anomalies anomalous weird strange odd outlier outliers unexpected surprising surprise anything "
        "any".split()
    ),
    Intent.RECONCILIATION: frozenset(
        "tracked track logged logs log request requests match matches matching reconcile reconciled reconciliation "
        "invoice invoices bill bills billed billing against vs versus missing days day dates which gap gaps".split()
    ),
    Intent.SAVINGS: frozenset(
        "waste wasted wasting leak leaks leaking save saving savings money reduce cut optimize optimise optimizing "
        "optimization recommend recommendation recommendations opportunities opportunity where".split()
    ),
    Intent.WHAT_IF: WHAT_IF_WORDS,
}
_GROUPING_WORDS = frozenset(
    "by per each every across which what between split broken break down breakdown distributed distribution among "
    "drove drive drives driving own owns owned owner individual where going".split()
)
# A breakdown keeps the group without a value: asking to include it changes nothing.
_NULL_GROUP_WORDS = frozenset("unallocated untagged unassigned included including include null none blank too".split())
_INCLUDING = frozenset("included including include too".split())
_TAG_WORDS = frozenset("tag tags tagged".split())
_AVERAGE_WORDS = frozenset("average avg mean typical per each single a an one call calls request requests".split())
_RATIO_WORDS = frozenset("share percent percentage proportion portion fraction % as rate many".split())
_COMPARE_VALUES_WORDS = frozenset("vs versus compare compared comparing comparison against and or with".split())
_MONEY_WORDS = frozenset("much cost costs costing spend spends spent spending pay paid paying charged bill money dollars usd".split())
_COUNT_WORDS = frozenset("many number count".split())
_NEGATION_WORDS = frozenset("excluding exclude except without not other than apart besides outside leaving leave out".split())
_FOLLOW_UP_WORDS = frozenset("and now instead only just same but then also what about how as it again before after prior previous earlier".split())


def unplaced_words(plan: QueryPlan, tokens: tuple[str, ...], phrases: tuple[PhraseMatch, ...],
                   filter_positions: set[int], model: SemanticModel, follow_up: bool) -> list[str]:
    """The words (in question order, once each) that neither the plan nor the grammar of its intent used."""
    placed = set(filter_positions)
    metric_starts = {p.span[0] for p in phrases if p.kind == "metric"}
    beside = filter_positions | metric_starts
    for phrase in phrases:
        if _phrase_is_used(phrase, plan, tokens, model) or (phrase.kind == "dimension" and _beside(phrase, beside)):
            placed.update(range(*phrase.span))
    grammar = _grammar(plan, model, follow_up, including=bool(_INCLUDING & set(tokens)))
    left: list[str] = []
    for i, token in enumerate(tokens):
        if i in placed or token in FILLERS or token in grammar or token in left:
            continue
        if _is_limit(i, tokens, plan) or (plan.intent == Intent.WHAT_IF and _is_number(token)):
            continue
        left.append(token)
    return left


def _phrase_is_used(phrase: PhraseMatch, plan: QueryPlan, tokens: tuple[str, ...], model: SemanticModel) -> bool:
    if phrase.kind == "grain":
        return plan.grain is not None or plan.intent == Intent.TREND
    if phrase.kind == "dimension":
        return phrase.name in plan.dimensions or any(f.dimension == phrase.name for f in plan.filters) or _describes(phrase, tokens)
    # A metric word: one of the plan's metrics, or a dimension read from it ("top 3 models"), or the usage
    # whose money the plan's metric is ("spent on tokens" is inference cost), never a unit ("per 1M tokens").
    if phrase.name in plan.metrics:
        return True
    words = tuple(tokens[phrase.span[0] : phrase.span[1]])
    if any(model.dimensions[d].label == " ".join(words) or words[-1].rstrip("s") == d for d in plan.dimensions):
        return True
    before = tokens[max(0, phrase.span[0] - 2) : phrase.span[0]]
    if "per" in before or "a" in before[-1:]:
        return False
    # A usage absorbed into its money or its rate ("tokens" of "spend on tokens", "requests" of "error rate of
    # requests"); another metric of the same unit ("effective cost" beside "list cost") is a second question.
    mine, planned = model.metrics[phrase.name], model.metrics[plan.metric]
    additive = mine.unit in ("count", "tokens", "hours")  # never a latency, a rate or another amount of money
    return mine.table == planned.table and additive and mine.unit != planned.unit and len(plan.metrics) == 1


def _beside(phrase: PhraseMatch, positions: set[int]) -> bool:
    """'team cx', 'H100 nodes', 'LLM cost': a dimension word right beside the value or metric it describes."""
    return phrase.span[0] - 1 in positions or phrase.span[1] in positions


def _describes(phrase: PhraseMatch, tokens: tuple[str, ...]) -> bool:
    """'the search team', 'our OpenAI provider', 'across all providers': a dimension word beside what it names."""
    before = tokens[phrase.span[0] - 1] if phrase.span[0] > 0 else ""
    return before in ("all", "every", "each", "any")


def _grammar(plan: QueryPlan, model: SemanticModel, follow_up: bool, including: bool = False) -> frozenset[str]:
    """The words the plan's intent, metrics and dimensions were read from, or that cannot change it."""
    words: set[str] = set(_INTENT_WORDS.get(plan.intent, ())) | LIGHT_VERBS
    if plan.intent == Intent.WHY_CHANGED:
        words |= _INTENT_WORDS[Intent.COMPARISON]
    if plan.limit is not None:
        words |= _INTENT_WORDS[Intent.RANKING]
    if plan.ratio is not None:
        words |= _RATIO_WORDS | {"of", "per", "total"}
    if plan.billing_period:
        words |= {"invoice", "invoices", "invoiced", "billing", "period", "bill", "billed", "month"}
    if plan.thresholds:
        words |= {"that", "with", "had", "having", "where", "whose"}
    if plan.average_per is not None:  # "average daily cost", "cost per day on average"
        words |= {"average", "avg", "mean", "typical", "per", "a", "each", "on", "daily", "weekly", "monthly", "hourly",
                  "day", "week", "month", "hour", "days", "weeks", "months", "hours"}
    if plan.intent == Intent.COMPARISON:
        words |= _INTENT_WORDS[Intent.WHY_CHANGED] | {"movers", "mover", "from"}
    table = model.metrics[plan.metric].table
    words |= TABLE_WORDS.get(table, frozenset())
    for name in plan.metrics:  # the metric's own words: "wasted on retries", "prompt cache", "effective cost"
        words |= {w for synonym in model.metrics[name].synonyms for w in synonym.split()}
        words |= METRIC_CONTEXT.get(name, frozenset())
        if name.startswith(COVERAGE_PREFIX):
            words |= COVERAGE_WORDS
    named = set(plan.dimensions) | {f.dimension for f in plan.filters}
    for name in named:
        words |= {w for synonym in model.dimensions[name].synonyms for w in synonym.split()}
    if plan.dimensions or plan.intent in (Intent.RANKING, Intent.SHARE):
        words |= _GROUPING_WORDS
        if including:  # "unallocated included": the group without a value, which a breakdown keeps anyway
            words |= _NULL_GROUP_WORDS
    units = {model.metrics[m].unit for m in plan.metrics}
    if "usd" in units or plan.intent in (Intent.BUDGET, Intent.FORECAST, Intent.SAVINGS):
        words |= _MONEY_WORDS
    if units & {"count", "tokens", "hours"}:
        words |= _COUNT_WORDS
    if any("_per_" in m or m == "gpu_utilization" for m in plan.metrics):  # means; latency metrics are quantiles
        words |= _AVERAGE_WORDS
    if units & {"ratio", "percent"} or plan.intent in (Intent.SHARE, Intent.BUDGET):  # budget used is a fraction
        words |= _RATIO_WORDS
    if table == "billing" and any(is_tag(model.dimensions[name].columns.get("billing")) for name in named):
        words |= _TAG_WORDS
    if any(len(f.values) > 1 for f in plan.filters) or len(plan.metrics) > 1:  # "X vs Y", "X and Y cost"
        words |= _COMPARE_VALUES_WORDS
    if plan.compared:
        words |= TIME_WORDS
    if plan.grain:  # "which day", "top 3 weeks"
        words |= {plan.grain, f"{plan.grain}s", "date", "dates", "period", "periods", "which"}
    if any(f.negate for f in plan.filters):
        words |= _NEGATION_WORDS
    if follow_up:  # "what about the month before?": the shift of the previous window
        words |= _FOLLOW_UP_WORDS | TIME_WORDS | {"day", "days", "hour", "hours", "period"}
    return frozenset(words)


def _is_number(token: str) -> bool:
    """'30', '30%', '0.05', '$0.05': the figures a what-if reads (a percent, a ceiling, a TTL)."""
    return token.lstrip("$").rstrip("%").replace(".", "", 1).isdigit()


def _is_limit(i: int, tokens: tuple[str, ...], plan: QueryPlan) -> bool:
    """The N of 'top N' / 'N most' when the plan keeps N rows."""
    token = tokens[i]
    if plan.limit is None or not (token.isdigit() or token in NUMBER_WORDS):
        return False
    return (int(token) if token.isdigit() else NUMBER_WORDS[token]) == plan.limit

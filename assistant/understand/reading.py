"""How questions are read: the words that signal an intent, a ranking, a refusal or a metric.

Pure functions of the question's text; the planner combines them with the
semantic model and the warehouse's values.

>>> read_limit("top 3 features by cost", "ranking")
(3, False)
>>> read_limit("which feature cost the most", "ranking")
(1, False)
"""

from __future__ import annotations

import re

from assistant.semantic import SemanticModel
from assistant.understand.vocabulary import STOPWORDS

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20,
}
UNSUPPORTED = re.compile(
    r"\b(carbon|co2|emissions?|footprint|revenue|profit|margin|margins|headcount|salar(?:y|ies)|payroll|churn|"
    r"cpu|memory usage|ram|disk usage|bandwidth usage|stock price|customers? satisfaction|nps)\b"
)
NOT_A_QUESTION = re.compile(r"^\s*(please\s+)?(write|compose|draft|sing|translate|summari[sz]e this|tell me a (?:joke|story)|generate a|create a (?:poem|story|song))\b")
SQL_COMMAND = re.compile(
    r"^\s*(select\b.*\bfrom\b|with\s+\w+\s+as\s*\(|insert\s+into|update\s+\w+\s+set|delete\s+from|"
    r"drop\s+(table|view|schema|database|macro|secret)|create\s+(or\s+replace\s+)?(table|view|index|schema|database|macro|secret|temp)|"
    r"alter\s+table|truncate\b|copy\s+\S+\s+(to|from)|attach\s|detach\s|install\s+\w+\s*;?$|load\s+\w+\s*;?$|"
    r"pragma\s|set\s+\w+\s*(=|to)\s|reset\s+\w+\s*;?$|call\s+\w+\s*\(|grant\s|revoke\s|merge\s+into|vacuum\b|"
    r"checkpoint\b|export\s+database|import\s+database)|;\s*(select|drop|delete|insert|update|create|alter)\b",
    re.I | re.S,
)
DESTRUCTIVE = re.compile(
    r"\b(delete|drop|truncate|remove|erase|wipe|overwrite|insert|update)\b.*\b(rows?|tables?|data|billing|records?)\b"
    r"|\b(bump|raise|set|change|increase|lower|reduce|update|edit|modify|add|cut)\b.*\bbudgets?\b.*\bto\s+\$?\d"
    r"|\b(in|into|to) the (budgets?|billing|llm_requests|gpu_usage|model_prices) table\b",
    re.I,
)
WHY = re.compile(r"\b(why|what caused|what drove|what drives|what made|what's behind|what is behind|how come|explain|reason|root cause|driv(?:er|ers|ing))\b")
CHANGE = re.compile(r"\b(jump|jumped|jumps|spike|spiked|rise|rose|risen|increase|increased|grow|grew|grown|drop|dropped|fall|fell|decrease|decreased|change|changed|go up|went up|go down|went down|up|down|higher|lower)\b")
FORECAST = re.compile(
    r"\b(forecasts?|projected|projection|project(?:ing)? (?:our|the)|end of (?:the |this )?month|month[- ]end|eom|run[- ]rate|"
    r"on track|on pace|at this pace|will (?:we|it) (?:end|land|finish|blow|exceed|go over|hit)|"
    r"will (?:we|it|they|our [\w-]+(?: [\w-]+)?|the [\w-]+(?: [\w-]+)?) (?:spend|cost|be|reach|come to|total|use|need)|"
    r"(?:are|is) (?:we|it) going to (?:spend|cost|be|reach)|expected to (?:spend|cost|be|reach)|by (?:the )?end of (?:the )?month)\b"
)
ANOMALY = re.compile(r"\b(unusual|anomal\w*|weird|strange|odd|outliers?|unexpected|surpris\w*)\b")
BUDGET = re.compile(r"\b(budgets?|over budget|burn|spend limit)\b")
SAVINGS_INTENT = re.compile(r"\b(wast\w*|leak\w*|where (?:can|could) we save|save money|savings opportunit\w*|reduce (?:our )?(?:cost|spend|bill)|cut (?:our )?(?:cost|spend)|optimi[sz]\w*|recommend\w*)\b")
SHARE = re.compile(r"\b(share|percent|percentage|proportion|fraction|what part|how much of|split (?:across|between|among|over))\b|%")
RANKING = re.compile(r"\b(top|most|highest|biggest|largest|bottom|least|lowest|smallest|cheapest|rank\w*|leading|main|slowest|fastest|worst|best|busiest|heaviest)\b")
ASCENDING = re.compile(r"\b(bottom|least|lowest|smallest|cheapest|fewest)\b")
COMPARE = re.compile(r"\b(vs|versus|compared?|comparison|against|than)\b")
TOP_N = re.compile(
    r"\b(?:top|bottom|first|largest|biggest|highest|lowest)\s+(\d+|" + "|".join(NUMBER_WORDS) + r")\b"
    r"|\b(\d+|" + "|".join(NUMBER_WORDS) + r")\s+(?:most|least|largest|biggest|highest|lowest|cheapest|priciest|slowest|fastest)\b"
    r"|\b(?:which|what)\s+(\d+|" + "|".join(NUMBER_WORDS) + r")\s+[a-z][\w-]*s\b"  # "which 2 features burned the most"
)
FOLLOW_UP = re.compile(r"^\s*(and|what about|how about|same|now|instead|only|just|but|then|also|break it down|split it|as a|show it|and what about)\b")
MONEY_WORDS = re.compile(r"\b(how much|cost|costs|costing|spend|spends|spent|spending|pay|paid|paying|charged|expensive|bill|sunk|invested|money)\b")
NEGATION = re.compile(r"\b(excluding|except|without|not|other than|apart from|outside|leaving out|leave out)\b")
BY_WORDS = ("by", "per", "each", "across", "which", "what", "top", "for each", "every", "between")
TIE_ORDER = (
    "team", "feature", "model", "environment", "provider", "service", "service_category", "region", "cluster",
    "deployment", "gpu_type", "node", "status", "operation", "charge_category", "account", "sku", "resource", "user",
)
# Metrics a "where can we save / optimize" question may name: the savings finder covers them all.
SAVINGS_METRICS = {"cost", "savings", "inference_cost", "gpu_cost"}  # not retry or idle cost: "how much did we waste on retries" is a total
MAIN_METRIC = {"billing": "cost", "llm_requests": "inference_cost", "gpu_usage": "gpu_cost"}
UNIT_WORDS = {"request", "requests", "call", "calls", "token", "tokens", "1k", "1m", "million", "thousand"}
DRIVER_DIMENSION = {"llm_requests": "feature", "billing": "service", "gpu_usage": "cluster", "budgets": "team"}


# "does our tracked LLM spend match the invoice?", "which days are missing from the request logs?"
RECONCILE = re.compile(
    r"\b(?:reconcil\w*|tracked (?:vs\.?|versus|against) billed|match(?:es)? (?:the |our )?(?:invoices?|bills?|billing)|"
    r"missing from (?:the |our )?(?:request |llm )?logs|(?:days?|dates?) (?:are |is )?missing|(?:logged|tracked) (?:llm |ai )?(?:spend|cost)s? "
    r"(?:vs\.?|versus|against|and) (?:the )?(?:invoices?|bills?|billed))"
)


def read_intent(text: str, metrics, dimensions, grain, time, model) -> str:
    if ANOMALY.search(text):
        return "anomalies"
    if WHY.search(text) and (CHANGE.search(text) or "why" in text):
        return "why_changed"
    if "budget" in metrics or BUDGET.search(text):
        return "budget"
    if FORECAST.search(text):
        return "forecast"
    if SAVINGS_INTENT.search(text) and set(metrics) <= SAVINGS_METRICS:
        return "savings"
    if SHARE.search(text) and model.metrics[metrics[0]].unit != "ratio":
        return "share"
    if grain is not None or re.search(r"\b(trends?|trending|trended|over time|timeline)\b", text):
        return "trend"
    if (time and time.comparison) or COMPARE.search(text) or CHANGE.search(text) and re.search(r"\bhow much\b", text):
        return "comparison"
    if dimensions and (TOP_N.search(text) or RANKING.search(text)):
        return "ranking"
    if dimensions:
        unit = {"cost_per_request", "cost_per_user", "tokens_per_request", "output_tokens_per_request"}
        return "unit_cost" if set(metrics) & unit else "breakdown"
    return "total"


FALLING = re.compile(r"\b(fell|fall|falls|fallen|dropped|drop|drops|declined?|decreased?|shrank|shrunk|went down|cut)\b")


def read_limit(text: str, intent: str) -> tuple[int | None, bool]:
    ascending = bool(ASCENDING.search(text))
    match = TOP_N.search(text)
    if match:
        word = match.group(1) or match.group(2) or match.group(3)
        return (int(word) if word.isdigit() else NUMBER_WORDS[word]), ascending
    if intent == "ranking":
        singular = re.search(r"\b(which|what) ((?:[a-z][\w-]* ){0,3}?[a-z][\w-]*) (cost|costs|spent|spends|spend|used|uses|use|had|has|made|makes|sent|sends|is|was|gave|gives|did|does|drove|drives|burned|burns|ran|runs|saw|sees|got|gets|grew|grows|rose|rises|fell|falls|dropped|drops|increased|decreased|jumped|changed|moved|went|wasted|wastes|lost|loses|incurred|consumed|consumes)\b", text)
        plural_question = re.search(r"\b(which|what|who) (are|were)\b", text)
        subject = [w for w in singular.group(2).split() if w != "s"] if singular else []  # "which cluster's cost"
        if subject and not plural_question and not subject[-1].endswith("s"):
            return 1, ascending
        singular = re.search(r"\b(which|what) (\w+) (had|has|was|is) the\b", text)
        if singular and not singular.group(2).endswith("s"):
            return 1, ascending
        named = re.search(r"\b(?:the )?(?:(?:most|least) expensive|cheapest|costliest|priciest|largest|biggest) "
                          r"((?:[\w-]+ ){0,2}[\w-]+)", text)
        if named and not any(word.endswith("s") for word in named.group(1).split()):  # "most expensive AI features": 5
            return 1, ascending
        return 5, ascending
    return None, ascending


SPECIFIC = (
    "cost_per_mtok", "cost_per_ktok", "cache_hit_rate", "cost_per_request", "cost_per_user", "tokens_per_request", "output_tokens_per_request", "error_rate",
    "repeat_share", "retry_cost", "cached_tokens", "idle_gpu_cost", "gpu_utilization", "latency_p95", "latency_p50",
)


PER_CALL = re.compile(r"\b(average|avg|mean|single|each|one|an?)\b[\w\s-]{0,30}\b(call|request|api call|llm call)\b|\bper (call|request)\b")


COMMITMENT_WASTE = re.compile(
    r"\b(?:wast\w*|unused|underused|underutili[sz]ed|idle)\b.*\b(?:savings plans?|reservations?|reserved instances?|ris?|commitments?|cuds?)\b"
    r"|\b(?:savings plans?|reservations?|reserved instances?|ris?|commitments?|cuds?)\b.*\b(?:went|go|goes|sat|sit|sits|was|were|is|are) "
    r"(?:\w+ )?(?:unused|wasted|idle)\b"  # "savings plan commitment went unused each day"
)


# The words of commitments in a question ("wasted on savings plans and reservations"): the metric's, not a service's.
COMMITMENT_WORDS = frozenset("savings plan plans reservation reservations reserved instance instances ri ris commitment commitments cud cuds".split())
COMMITMENT_TYPES = {"savings plan": r"savings plans?", "reservation": r"reservations?|reserved instances?|ris?", "cud": r"cuds?|committed use"}
# Each kind's words one token at a time, and how a bill's CommitmentDiscountType spells the kind.
COMMITMENT_TYPE_WORDS = {"savings plan": r"savings|plans?", "reservation": r"reservations?|reserved|instances?|ris?", "cud": r"cuds?|committed|use"}
COMMITMENT_TYPE_VALUES = {"savings plan": r"savings ?plan", "reservation": r"reserv", "cud": r"committed use|\bcud"}


def commitment_kinds(text: str) -> set[str]:
    """The kinds of commitment a question names.

    >>> sorted(commitment_kinds("unused ris and savings plans"))
    ['reservation', 'savings plan']
    """
    return {kind for kind, words in COMMITMENT_TYPES.items() if re.search(rf"\b(?:{words})\b", text)}


def _all_commitments(text: str) -> bool:
    """Commitments named in general, or more than one kind of them: unused_commitment_cost covers them all."""
    return bool(re.search(r"\bcommitments?\b", text)) or len(commitment_kinds(text)) > 1


def most_specific_metric(metrics: list[str], tokens, text: str) -> list[str]:
    """'lowest cost per request' over 'calls'; 'input tokens served from cache' is cached tokens."""
    if len(metrics) > 1 and not re.search(r"\b(and|&|plus|with)\b", text):
        specific = [m for m in SPECIFIC if m in metrics]
        if specific:
            return specific[:1]
    if PER_CALL.search(text) and MONEY_WORDS.search(text) and set(metrics) <= {"cost", "inference_cost", "requests"}:
        return ["cost_per_request"]
    if re.search(r"\bper (?:active |unique |distinct )?(user|customer)\b", text) and MONEY_WORDS.search(text) and set(metrics) <= {"cost", "inference_cost", "users"}:
        return ["cost_per_user"]
    if COMMITMENT_WASTE.search(text) and _all_commitments(text) and set(metrics) <= {"cost", "savings", "unused_commitment_cost"}:
        return ["unused_commitment_cost"]  # "wasted on savings plans and reservations we didn't use": all of it
    kinds = [m for m in metrics if m in ("negotiated_savings", "commitment_savings")]
    if "savings" in metrics and kinds:  # "how much did our negotiated discounts save us": that kind of savings
        metrics = [m for m in metrics if m != "savings"]
    if metrics == ["retry_cost"] and re.search(r"\bhow many\b|\bnumber of\b|\bcount\b", text):
        return ["retried_requests"]  # "how many retries": the count, not their cost
    if metrics == ["gpu_cost"] and re.search(r"\bhow much\b.*\bwast(?:e|ed|ing)\b", text):
        return ["idle_gpu_cost"]  # "how much did we waste on GPUs": the idle share of the hours paid for
    return metrics


# Words that name how a request ended: a filter on the status dimension, never a metric of their own
# ("failed requests per feature" is a count of requests that did not succeed, not the error rate).
STATUS_WORDS = {
    **dict.fromkeys(("failed", "failing", "failure", "failures", "errored", "erroring", "error", "errors", "unsuccessful"), ("ok", True)),
    **dict.fromkeys(("successful", "succeeded", "success", "successes"), ("ok", False)),
}


# "which day had the most ...", "on which day did it peak", "our busiest week": a ranking of periods.
PEAK_PERIOD = re.compile(
    r"\b(?:which|what) (?P<unit>day|date|week|month|hour)\b"
    r"|\b(?:peak|busiest|quietest|most expensive|costliest|priciest|cheapest|highest|lowest|worst|best|biggest|largest|record)"
    r" (?P<unit2>day|date|week|month|hour)\b"
    r"|\b(?P<unit3>day|date|week|month|hour)s? (?:with|had|saw) the (?:most|highest|lowest|least|fewest|biggest|largest)\b"
    r"|\b(?:top|bottom|first) (?:\d+|" + "|".join(NUMBER_WORDS) + r") (?P<unit4>day|date|week|month|hour)s?\b"
)
PEAK_WORDS = frozenset("peak peaked peaks busiest quietest record".split())


def peak_period(text: str) -> str | None:
    """The period unit a 'which day had the most' question ranks, or None."""
    found = PEAK_PERIOD.search(text)
    if found is None:
        return None
    unit = found["unit"] or found["unit2"] or found["unit3"] or found["unit4"]
    return "day" if unit == "date" else unit


# "retry cost as a share of inference cost", "idle GPU cost as a percentage of GPU cost": one metric over another.
RATIO_OF = re.compile(r"\b(?:share|percentage|percent|fraction|proportion|ratio|portion) of\b|%\s+of\b")
# "features that spent more than $50", "models with an error rate above 2%", "teams with over 1000 requests".
THRESHOLD = re.compile(
    r"\b(?P<op>more than|greater than|higher than|over|above|exceeding|exceeded|at least|less than|lower than|fewer than|under|below|at most)"
    r"\s+\$?(?P<number>\d+(?:\.\d+)?)\s*(?P<scale>k|m|%|percent)?(?![\w.])"
)
THRESHOLD_OPS = {"more than": ">", "greater than": ">", "higher than": ">", "over": ">", "above": ">", "exceeding": ">",
                 "exceeded": ">", "at least": ">=", "less than": "<", "lower than": "<", "fewer than": "<", "under": "<",
                 "below": "<", "at most": "<="}


# "February's invoice", "invoiced in October", "the October billing period": FOCUS BillingPeriodStart (DATA-CONTRACT.md).
INVOICE_PERIOD = re.compile(r"\b(?:invoices?|invoiced|billing period|billing month|bill(?:ed)? (?:for|in))\b")


SEVERAL = re.compile(r"\b(and|&|plus|vs|versus|as well as|along with|alongside)\b|,")


def several_metrics(metrics: list[str], text: str, model: SemanticModel) -> bool:
    """'list cost and effective cost', 'requests vs errors': two or more metrics of one table asked together."""
    return len(metrics) > 1 and len({model.metrics[m].table for m in metrics}) == 1 and bool(SEVERAL.search(text))


def money_on_usage(metrics: list[str], model: SemanticModel, text: str = "") -> list[str]:
    """'spent on tokens' is inference cost; 'spend on GPU hours' is GPU cost; 'LLM spend' beats 'cost'."""
    if several_metrics(metrics, text, model):
        return metrics
    if "cost" not in metrics or len(metrics) == 1:
        return metrics
    others = {model.metrics[m].table for m in metrics if m != "cost"}
    table = next(iter(others)) if len(others) == 1 else None
    money = MAIN_METRIC.get(table) if table and table != "billing" else None  # the money of that usage
    if money and money not in metrics and SEVERAL.search(text):
        return [money if m == "cost" else m for m in metrics]  # "requests and cost" of LLM calls: both asked
    if any(model.metrics[m].unit == "usd" for m in metrics if m != "cost"):
        return [m for m in metrics if m != "cost"]
    if money:
        return [money]
    return metrics


IDENTIFIER = re.compile(r"^(?=.*[a-z])(?=.*-)[a-z0-9][a-z0-9_.\-]*$")


def unknown_value(tokens, taken) -> str | None:
    """A word shaped like a name in the data (`document-analysis`, `claude-opus-4`) that matches no value."""
    for i, token in enumerate(tokens):
        if i in taken or token in STOPWORDS or not IDENTIFIER.match(token):
            continue
        if re.fullmatch(r"(p\d{2}|\d+(k|m|x|%|st|nd|rd|th|d|w)?|q[1-4]|h[12]|ytd|mtd|wow|mom|\d{4}-\d{2}(-\d{2})?)", token):
            continue
        return token
    return None

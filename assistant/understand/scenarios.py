"""How a what-if is read: the change a question asks to price (`Scenario`), from its words.

A scenario needs a hypothetical ("would", "what if", "if we", "instead") except
the self-hosted comparison, whose words say it alone; a ceiling also needs "per
request" or an amount ("what are our per-request caps?" lists budgets, no what-if). The numbers it reads (30% shorter, a $0.05 ceiling, a 5-minute TTL, a
40% batch discount) are said in the question; nothing is guessed.

>>> read_scenario("how much would caching repeated prompts in support-chat save per month?", [], "").kind
'cache'
>>> read_scenario("what if summarize's prompts were 30% shorter?", [], "").percent
30.0
>>> read_scenario("what did caching save last week?", [], "") is None
True
"""

from __future__ import annotations

import re

from assistant.query.plan import Scenario

HYPOTHETICAL = re.compile(
    r"\bwhat if\b|\bwhat(?:'s| is| would be) the (?:cost|saving|difference) if\b|\bhad we\b|\bimagine\b|\bsuppose\b|\bhypothetical\w*"
    r"|\b(?:would|could)(?! (?:like|love|you|it be possible))(?: [\w'-]+){0,10}? (?:have )?(?:cost|costed|been|be|spend|spent|save|saved|"
    r"saving|come to|run|change|cut|drop|pay|paid|owe)\b"
    r"|\bif (?:we|they|it|all|our|the|its|every|each|[\w-]+'s)\b|\binstead\b"
    r"|\b(?:switch(?:ed|ing)?|mov(?:e|ed|ing)|rout(?:e|ed|ing))\b(?: [\w'-]+){0,4}? to\b"
)
CACHING = re.compile(r"\bcach(?:e|ed|es|ing)\b")
BATCHING = re.compile(r"\bbatch(?:ed|es|ing)?\b")
CEILING = re.compile(r"\b(?:ceilings?|caps?|capped|capping|cost limits?|spend limits?)\b")
PER_REQUEST = re.compile(r"\bper[- ](?:request|call)\b|\b(?:a|each|every|any single) (?:request|call)\b")
SHORTER = re.compile(
    r"(?P<n>\d+(?:\.\d+)?)\s*(?:%|percent)\s+(?:shorter|smaller|fewer(?: input)? tokens|less input|cut)"
    r"|\b(?:shorter|smaller|trimm?(?:ed)?|cut|shrunk|shrink|reduced?)\b[\w\s']{0,30}?\bby\s+(?P<m>\d+(?:\.\d+)?)\s*(?:%|percent)"
    r"|\b(?:a |one )?(?P<f>half|third|quarter|fifth|tenth)\s+(?:shorter|smaller)\b"
)
# "a quarter shorter": the fraction in percent.
FRACTIONS = {"half": 50.0, "third": 100 / 3, "quarter": 25.0, "fifth": 20.0, "tenth": 10.0}
# A ceiling's amount: "$0.05", "0.05 dollars", "5 cents" (the question's words arrive without "$").
MONEY = re.compile(r"(?<![\w.-])(?:(?P<cents>\d+(?:\.\d+)?)\s?cents?\b|\$?\s?(?P<usd>\d+(?:\.\d+)?)(?![\d.a-z])"
                   r"(?!\s*(?:%|percent|x\b|k\b|m\b|[-\s]?(?:seconds?|minutes?|hours?|days?|weeks?|months?|requests?|calls?|tokens?)\b)))")
PERCENT = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*(?:%|percent)")
TTL = re.compile(r"(?P<n>\d+(?:\.\d+)?|\ban?|\bone)[- ]?(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?|days?)\b")
TTL_WORDS = re.compile(r"\b(?:ttl|time[- ]to[- ]live|expir\w*|cache lifetime|kept for|for up to"
                       r"|for (?:an?|one|\d+(?:\.\d+)?)[- ]?(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?))\b")
MINUTES = {"s": 1 / 60, "m": 1.0, "h": 60.0, "d": 1440.0}
SELF_HOSTED = re.compile(r"\bself[- ]?hosted\b|\bour own (?:models?|llms?)\b|\bin[- ]house (?:models?|llms?)\b|\bllama\b")
# Which GPU time a self-hosted cost per token counts, when the question says only one.
BUSY_ONLY = re.compile(r"\b(?:only|just)\s+(?:the\s+)?busy\b|\bbusy\s+(?:gpu\s+)?(?:time|hours)\s+only\b|\b(?:excluding|without|not counting|minus)\s+(?:the\s+)?idle\b")
IDLE_INCLUDED = re.compile(r"\bidle\s+(?:gpu\s+)?(?:time\s+|hours\s+)?(?:included|including)\b|\b(?:including|with|counting)\s+(?:the\s+)?idle\b|\ball-in\b|\bfully loaded\b")
API_NAMED = re.compile(r"\bapis?\b|\bprovider'?s?\b")
VERSUS = re.compile(r"\b(?:cheaper|more expensive|pricier|vs|versus|compared?|compare|than|against|beside|side by side)\b")
PER_TOKEN = re.compile(r"\b(?:per|a|one|each|every) (?:1m |million |1k |thousand )?tokens?\b|\bper (?:1m|million|mtok)\b")
IDLE_PER_TOKEN = re.compile(r"\bidle\b.*\bper (?:1m |million )?tokens?\b")
PER_MONTH = re.compile(r"\b(?:per|a|each|every) month\b|\bmonthly\b")
# The words a what-if is read from ("what would caching repeated prompts save"): placed by a what-if plan
# (accounting.py), and never taken for misspellings of the semantic model's words.
WHAT_IF_WORDS = frozenset(
    """
    would if had were was be been instead imagine suppose hypothetically switch switched switching move moved moving
    route routed routing put ran run on onto to using via at with price prices priced pricing rate rates cost costs
    save saves saved saving savings less more cheaper expensive pricier difference change changed
    cache cached caches caching repeat repeated repeats repeating duplicate duplicates duplicated identical same
    prompt prompts ttl time live minute minutes min mins hour hours hr hrs second seconds day days expire expiry
    batch batched batches batching offline api discount async
    shorter smaller fewer trimmed trim cut cuts shrunk shrink reduced reduce percent %
    ceiling ceilings cap caps capped capping limit limits max maximum per request requests call calls single each
    every any went go over above exceed exceeded exceeding exceeds many how breach breached
    month monthly self-hosted self hosted own in-house llama gpu gpus idle time add adds busy than vs versus
    compared compare against side by beside token tokens million 1m mtok 1k thousand model models api apis
    dollars dollar usd cents cent really real true truly including include included all-in fully loaded pay paid owe
    entirely everything completely wholly through only counting half third quarter fifth tenth
    """.split()
)
# The words before a model that is the what-if's target ("on gpt-4o-mini", "switched to claude-haiku-4").
TARGET_BEFORE = frozenset("on to onto with using via at used use uses ran run runs".split())


def read_scenario(text: str, model_values: list[tuple[str, tuple[int, ...]]], rest: str,
                  tokens: tuple[str, ...] = ()) -> Scenario | None:
    """The what-if a question asks, or None. `model_values`: the model names it names and their token positions."""
    rest = rest or text
    per_month = bool(PER_MONTH.search(text))
    hypothetical = bool(HYPOTHETICAL.search(text))
    if (SELF_HOSTED.search(text) and (VERSUS.search(text) or PER_TOKEN.search(text))) or IDLE_PER_TOKEN.search(text):
        basis = "busy" if BUSY_ONLY.search(text) else "idle" if IDLE_INCLUDED.search(text) else None
        return Scenario("self_hosted", basis=basis, with_api=bool(VERSUS.search(text) or API_NAMED.search(text)))
    if CEILING.search(text) and hypothetical and (PER_REQUEST.search(text) or _money(rest) is not None):
        return Scenario("ceiling", ceiling_usd=_money(rest), per_month=per_month)
    shorter = SHORTER.search(rest)
    if shorter:
        percent = FRACTIONS[shorter["f"]] if shorter["f"] else float(shorter["n"] or shorter["m"])
        return Scenario("shorter", percent=percent, per_month=per_month)
    if not hypothetical:
        return None
    if CACHING.search(text):
        return Scenario("cache", ttl_minutes=_ttl(rest), per_month=per_month)
    if BATCHING.search(text):
        found = PERCENT.search(rest)
        return Scenario("batch", percent=float(found["n"]) if found else None, per_month=per_month)
    target = _target(model_values, tokens)
    if target is not None:
        return Scenario("reprice", model=target, per_month=per_month)
    return None


def _target(model_values: list[tuple[str, tuple[int, ...]]], tokens: tuple[str, ...]) -> str | None:
    """The one model named right after on / to / with / using (its token before the value's first position)."""
    targets = [value for value, positions in model_values
               if positions and min(positions) > 0 and tokens[min(positions) - 1] in TARGET_BEFORE]
    return targets[-1] if targets else None


def target_positions(model_values: list[tuple[str, tuple[int, ...]]], target: str) -> tuple[int, ...]:
    """The token positions of the target model's name (and the word before it)."""
    for value, positions in model_values:
        if value == target and positions:
            return (min(positions) - 1, *positions)
    return ()


def _money(text: str) -> float | None:
    found = MONEY.search(text)
    if found is None:
        return None
    if found["cents"]:
        return float(found["cents"]) / 100
    return float(found["usd"])


def _ttl(text: str) -> float | None:
    if not TTL_WORDS.search(text):
        return None
    found = TTL.search(text)
    if found is None:
        return None
    count = 1.0 if found["n"] in ("a", "an", "one") else float(found["n"])  # "for an hour"
    return count * MINUTES[found["unit"][0]]

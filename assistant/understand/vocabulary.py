"""Words of the semantic model, and reading them in a question despite typos.

`tokenize` lowers and splits a question; `correct` replaces a misspelt word by
the closest known one ("servce" -> "service"); `find_phrases` finds the longest
synonym phrases of metrics, dimensions and grains.

>>> vocabulary = Vocabulary.from_model(load_semantic_model())
>>> tokens = vocabulary.correct(tokenize("costt per servce"))
>>> tokens
['cost', 'per', 'service']
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field

from assistant.semantic import SemanticModel, load_semantic_model  # noqa: F401 - used by the doctest
from assistant.understand.scenarios import WHAT_IF_WORDS

TOKEN = re.compile(r"[a-z0-9][a-z0-9_.\-]*[a-z0-9]|[a-z0-9]|%")

# Words that carry no metric, dimension or value; never corrected into something else.
STOPWORDS = frozenset(
    """
    a an the of for in on at to by per with and or vs versus than is are was were be been being do does did
    what whats what's which who how much many our we us my me i you your it its this that these those there
    show give tell list get find see compare compared between from into over under about across each every
    all any some only just same also please can could would should will was were has have had been much more
    most less least top bottom highest lowest biggest largest smallest cheapest expensive costly sort sorted
    rank ranked ranking order ordered break broken down split up spent spend cost costs why did go went
    jump jumped rise rose increase increased grow grew drop dropped fall fell decrease decreased change changed
    spike spiked explain reason caused drove driving driver drivers behind so far total overall sum average
    mean number count amount percent percentage share proportion fraction part last past previous next this
    week weeks month months day days year years quarter today yesterday daily weekly monthly hourly trend
    over time now then instead again what about how as chart graph plot table see look breakdown
    cloud clouds us our ours thing things stuff ok okay yes no thanks thank so then please
    """.split()
)

TIME_WORDS = frozenset(
    """
    today yesterday week weeks month months year years quarter fortnight weekend daily weekly monthly hourly
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday since until during date dates
    currently presently latest moment
    """.split()
)

# Ordinary words of questions: never "corrected" into a metric or a value ("sent" is not "spent").
COMMON_WORDS = frozenset(
    """
    leave leaves leaving left outside except excluding mover movers currently presently trending trended
    send sent sending served serve serving use used using run runs running ran make made making take took
    pay paid paying want wanted need needed look looking see seen saw know knew think happen happened
    going getting get got give gave keep kept start started stop stopped leave left put set try tried
    come came call called work worked worth value values data number numbers point points rate rates
    team teams user users model models node nodes cost costs price prices budget budgets total totals
    week weeks month months day days year years hour hours today tonight yesterday tomorrow weekend
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday
    fortnight quarter since until before after during between around about above below under over
    single each every average mean median typical usual normal high low higher lower more less much many
    first second third last next previous prior recent current latest new old same different other another
    only just also even still already again ever never always often sometimes both either neither
    would could should might must shall will can cannot dont doesnt didnt isnt arent wasnt werent
    have has had having been being does doing done its it's that's there's what's who's how's
    where when why which while whose whom than then them they their theirs there these those this
    with without within into onto upon across along among against toward towards through throughout
    capacity waste wasted wasting unused idle busy free paid bill bills charged charges invoice save saving optimize optimise
    cheap cheaper cheapest expensive pricey costly money dollars dollar usd spend spent spending
    share split part portion half quarter percent percentage ratio fraction
    show tell give list find compare break explain plot chart graph table
    re resend resent demand list sent slow slower slowest fast faster fastest quick quicker quickest
    busiest busier heaviest heavier lightest biggest bigger smaller largest larger longest longer shorter shortest
    worst worse best better top bottom rising falling growing shrinking trending jumped spiked dropped
    burned burnt consumed plane planes plan plans control weighted based wide level related driven specific
    sunk sink invested sitting going moved move moving production development
    projected projection projections projecting forecast forecasts forecasting predicted prediction expected
    tracking track tracked looked looks look like racked racks processed plus minus land lands landed landing match matches matched matching
    one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty fifty hundred thousand million dozen
    """.split()
)



ABBREVIATIONS = (
    (r"\bside[ -]by[ -]side\b", "together"),  # "show X and Y side by side": not a grouping by a "side"
    (r"\byday\b|\byest\b", "yesterday"),
    (r"\bwks\b", "weeks"),
    (r"\bwk\b|\bwek\b", "week"),
    (r"\bmonth-end\b", "month end"),
    (r"\bmnth\b|\bmth\b", "month"),
    (r"\bmos\b", "months"),
    (r"\b(this|last|past|previous|prior) mo\b", r"\1 month"),
    (r"\bqtr\b", "quarter"),
    (r"\btoks?\s*/\s*req\b|\btokens?\s*/\s*(req|request|call)\b", "tokens per request"),
    (r"\$\s*/\s*(req|request|call)\b", "cost per request"),
    (r"\bcost\s*/\s*(req|request|call)\b", "cost per request"),
    (r"\bcost\s*/\s*(user|customer)\b", "cost per user"),
    (r"\blw\b", "last week"),
    (r"\blm\b", "last month"),
    (r"\btw\b", "this week"),
    (r"\beom\b", "end of month"),
    (r"\bhrs\b", "hours"),
    (r"\bops\b", "operations"),
    (r"\bop\b", "operation"),
    (r"\berrs?\b", "error"),
    (r"\binfra\b", "infrastructure"),
    (r"\breqs\b", "requests"),
    (r"\breq\b", "request"),
    (r"\btoks\b", "tokens"),
    (r"\butil\b", "utilization"),
    (r"\bavg\b", "average"),
    (r"\bpct\b|\bperc\b", "percent"),
    (r"\bpaying\b", "paid"),
    (r"\b(?:(?:had|has|have|with|carrying|carries) no|without(?: any)?) tags?(?: at all)?\b", "untagged"),
    (r"(?<![\w$])\$(?![\d])", " spend "),
)


# "what did a million tokens cost", "how much do 1k output tokens cost": a unit price, said as a quantity priced
# (not after a bound: "more than a million tokens" is a threshold).
TOKENS_PRICED = re.compile(r"\b(?:(?:a|one|1|each|every) )?(million|1m|thousand|1k) ((?:input |output |prompt |completion )?tokens?)\b")
BOUND_BEFORE = re.compile(r"\b(?:than|over|above|under|below|exceeding|exceed|per|least|most)\s*$")
MONEY_ASKED = re.compile(r"\b(?:cost|costs|costing|spend|spent|price|prices|priced|pay|paid|charged|charge)\b")


def expand_abbreviations(text: str) -> str:
    """Chat shorthand in full: 'tok/req wow' -> 'tokens per request wow', 'idle $ mtd' -> 'idle spend mtd'.

    >>> expand_abbreviations("p95 by model yday")
    'p95 by model yesterday'
    >>> expand_abbreviations("what did a million tokens cost on each model")
    'what did per million tokens cost on each model'
    """
    for pattern, replacement in ABBREVIATIONS:
        text = re.sub(pattern, replacement, text)
    if MONEY_ASKED.search(text):
        text = TOKENS_PRICED.sub(lambda m: m.group(0) if BOUND_BEFORE.search(m.string[: m.start()])
                                 else f"per {m.group(1)} {m.group(2)}", text)
    return text


def tokenize(text: str) -> list[str]:
    text = text.lower().replace("’", "'").replace("‘", "'")
    return TOKEN.findall(text)


@dataclass(frozen=True)
class PhraseMatch:
    kind: str  # metric, dimension, grain
    name: str
    span: tuple[int, int]


@dataclass
class Vocabulary:
    phrases: dict[tuple[str, ...], tuple[str, str]]  # tokens -> (kind, name)
    words: set[str]
    longest: int
    dimension_phrases: dict[tuple[str, ...], str]  # every dimension synonym, also those a metric claims
    model_words: set[str] = field(default_factory=set)  # the words of the model itself, not of the data's values

    @classmethod
    def from_model(cls, model: SemanticModel, extra_words: set[str] | None = None) -> Vocabulary:
        phrases: dict[tuple[str, ...], tuple[str, str]] = {}
        dimension_phrases = {
            tuple(tokenize(synonym)): name for name, d in model.dimensions.items() for synonym in d.synonyms
        }
        for kind, items in (
            ("metric", {n: m.synonyms for n, m in model.metrics.items()}),
            ("dimension", {n: d.synonyms for n, d in model.dimensions.items()}),
            ("grain", model.grains),
        ):
            for name, synonyms in items.items():
                for synonym in synonyms:
                    phrases.setdefault(tuple(tokenize(synonym)), (kind, name))
        words = {w for phrase in phrases for w in phrase} | set(STOPWORDS) | TIME_WORDS | (extra_words or set())
        model_words = words - (extra_words or set()) | {w for phrase in phrases for w in phrase}
        return cls(phrases, words, max(len(p) for p in phrases), dimension_phrases, model_words)

    def distribute_heads(self, text: str) -> str:
        """Metric words sharing one head noun, each given it: 'list, contracted and billed cost' names three metrics.

        Only when every '<word> <head>' is a metric phrase and each a different metric ('amortized vs billed
        cost'); 'openai and anthropic cost' names one metric twice and is left for the values to read.

        >>> vocabulary = Vocabulary.from_model(load_semantic_model())
        >>> vocabulary.distribute_heads("show list, contracted and billed cost")
        'show list cost and contracted cost and billed cost'
        >>> vocabulary.distribute_heads("input and output tokens by model"), vocabulary.distribute_heads("team and feature cost")
        ('input tokens and output tokens by model', 'team and feature cost')
        """
        for head, listed in self._head_patterns:
            text = listed.sub(functools.partial(self._each_with, head=head), text)
        return text

    @functools.cached_property
    def _head_patterns(self) -> tuple[tuple[str, re.Pattern[str]], ...]:
        """(head noun, the pattern of a list of its metric words before it), built once per vocabulary."""
        patterns = []
        for head, modifiers in self._heads().items():
            word = "(?:" + "|".join(re.escape(m) for m in sorted(modifiers, key=len, reverse=True)) + ")"
            patterns.append((head, re.compile(rf"\b({word}(?:,? {word})*,? (?:and|or|vs|versus|&) {word}) {re.escape(head)}\b")))
        return tuple(patterns)

    def _each_with(self, match: re.Match[str], head: str) -> str:
        """'list, contracted and billed' + 'cost' -> 'list cost and contracted cost and billed cost', if three metrics."""
        said, listed = match.group(0), match.group(1)
        words = [w for w in re.split(r",? (?:and|or|vs|versus|&) |,? ", listed) if w]
        metrics = [self.phrases[(w, head)][1] for w in words]
        if len(set(metrics)) < len(metrics):
            return said
        return " and ".join(f"{w} {head}" for w in words)

    def _heads(self) -> dict[str, set[str]]:
        """head noun -> the single words that make a metric phrase with it ('billed' + 'cost')."""
        heads: dict[str, set[str]] = {}
        for phrase, (kind, _) in self.phrases.items():
            if kind == "metric" and len(phrase) == 2 and phrase[0] not in ("the", "this", "a", "an", "on", "from", "of", "per"):
                heads.setdefault(phrase[1], set()).add(phrase[0])
        return {head: words for head, words in heads.items() if len(words) > 1}

    def correct(self, tokens: list[str]) -> list[str]:
        """Each unknown word of 4+ letters replaced by the closest known word, when close enough.

        A plural or singular of a known word is that word ("a100s", "token"); swapped letters
        are a typo ("retyr" -> "retry"); ordinary English words are left alone.
        """
        fixed = []
        for token in tokens:
            if token in self.words or token in COMMON_WORDS or token in WHAT_IF_WORDS or len(token) < 3:
                fixed.append(token)
                continue
            if len(token) >= 4 and token.endswith("s") and token[:-1] in self.words:
                fixed.append(token[:-1])
                continue
            if len(token) >= 4 and token + "s" in self.words:
                fixed.append(token + "s")
                continue
            if len(token) < 4 or any(ch.isdigit() for ch in token) or self._is_compound(token):
                fixed.append(token)
                continue
            swapped = [w for w in self._by_letters.get("".join(sorted(token)), ()) if len(w) == len(token)]
            if swapped:
                fixed.append(swapped[0])
                continue
            close = difflib.get_close_matches(token, self.targets, n=1, cutoff=0.75)
            # A word inside a longer one is a part of a name ("dev tools"), not a misspelling of "devtools".
            fixed.append(close[0] if close and not (close[0].endswith(token) and close[0] != token) else token)
        return fixed

    def _is_compound(self, token: str) -> bool:
        """A name made of known words ("code-search") or a known word with a prefix ("subcategory"):
        another word, not a misspelling of the nearest one."""
        parts = [p for p in re.split(r"[-_.]", token) if p]
        if len(parts) > 1 and all(p in self.words for p in parts):
            return True
        return any(len(w) >= 4 and len(token) >= len(w) + 3 and token.endswith(w) for w in self.targets)

    @property
    def targets(self) -> set[str]:
        """Words a typo may be corrected into: the model's words, and only longer words of values."""
        if not hasattr(self, "_targets"):
            self._targets = {w for w in self.words if w in self.model_words or len(w) >= 7}
        return self._targets

    @property
    def _by_letters(self) -> dict[str, tuple[str, ...]]:
        if not hasattr(self, "_letters"):
            letters: dict[str, list[str]] = {}
            for word in self.words:
                if len(word) >= 4:
                    letters.setdefault("".join(sorted(word)), []).append(word)
            self._letters = {key: tuple(sorted(words)) for key, words in letters.items()}
        return self._letters

    def find_phrases(self, tokens: list[str], taken: set[int]) -> list[PhraseMatch]:
        """Longest-first, non-overlapping phrase matches."""
        found: list[PhraseMatch] = []
        used = set(taken)
        for length in range(self.longest, 0, -1):
            for start in range(len(tokens) - length + 1):
                span = range(start, start + length)
                if any(i in used for i in span):
                    continue
                hit = self.phrases.get(tuple(tokens[start : start + length]))
                if hit:
                    found.append(PhraseMatch(hit[0], hit[1], (start, start + length)))
                    used.update(span)
        return sorted(found, key=lambda m: m.span)

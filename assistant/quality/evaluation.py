"""Execution accuracy of any route on a question set with hand-written gold SQL.

A set is a YAML list under `evals/sets/` (see its README): questions, follow-up
chains and questions that must be refused. `run_eval` asks every question through
`assistant.ask.ask`, runs the gold SQL through the same `Executor`, and scores the
answer's result table against the gold one (`compare_tables`); `format_report`
prints accuracy per split, latency, model tokens and cost, and the misses.

>>> compare_tables(("model", "cost"), [("gpt-4o", 10.0)], ("cost", "m"), [(10.03, "gpt-4o")])
(True, '')
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from assistant.present.units import unit_of
from assistant.quality.scoring import (  # noqa: F401 - re-exported: `from assistant.quality.evaluation import cells_equal` etc.
    ABS_TOLERANCE,
    MISSING_COLUMN,
    REL_TOLERANCE,
    ROW_COUNT,
    WRONG_ROWS,
    cells_equal,
    compare_tables,
)
from warehouse.errors import ErrorKind, FinopsError

if TYPE_CHECKING:
    from assistant.answer import Answer, AskContext
    from warehouse.executor import Executor, QueryResult
    from warehouse.settings import Settings

SETS_DIR = Path(__file__).parents[2] / "evals" / "sets"
SPLITS = ("tuning", "validation")

# Reasons a case fails besides its table's (a crash adds the exception type: "crash: KeyError").
REFUSED = "refused"
ANSWERED_REFUSAL = "answered a refusal"
# What a case came to, counted apart: a refusal is not a wrong answer.
CORRECT, WRONG = "correct", "wrong"
OUTCOMES = (CORRECT, REFUSED, WRONG)


class EvalSetError(FinopsError):
    """A question set is missing or malformed."""

    kind = ErrorKind.EVAL_SET


# --------------------------------------------------------------------------- the set


@dataclass(frozen=True)
class EvalCase:
    """One question (or one turn of a chain) and what it must produce."""

    id: str
    split: str
    question: str
    gold_sql: str | None = None
    expect: str = "answer"  # "answer" or "refused"
    ordered: bool = False
    tags: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return self.expect == "refused"


@dataclass(frozen=True)
class EvalChain:
    """A conversation: each turn is a follow-up of the one before; it passes when every turn passes."""

    id: str
    split: str
    turns: tuple[EvalCase, ...]
    tags: tuple[str, ...] = ()

    @property
    def question(self) -> str:
        return " → ".join(turn.question for turn in self.turns)


EvalItem = EvalCase | EvalChain


class _TurnModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str
    gold_sql: str | None = None
    expect: Literal["answer", "refused"] = "answer"
    ordered: bool = False
    tags: list[str] = []

    @model_validator(mode="after")
    def _gold_or_refusal(self):
        _check_gold(self.expect, self.gold_sql)
        return self


def _check_gold(expect: str, gold_sql: str | None) -> None:
    if expect == "refused" and gold_sql:
        raise ValueError("a question that must be refused has no gold_sql")
    if expect == "answer" and not (gold_sql or "").strip():
        raise ValueError("gold_sql is required unless expect: refused")


class _ItemModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    split: Literal["tuning", "validation"]
    question: str | None = None
    gold_sql: str | None = None
    expect: Literal["answer", "refused"] = "answer"
    ordered: bool = False
    tags: list[str] = []
    chain: list[_TurnModel] | None = None

    @model_validator(mode="after")
    def _question_or_chain(self):
        if self.chain is not None:
            if self.question is not None or self.gold_sql is not None:
                raise ValueError("a chain has turns, not its own question or gold_sql")
            if len(self.chain) < 2:
                raise ValueError("a chain needs at least two turns")
            return self
        if not self.question:
            raise ValueError("question (or chain) is required")
        _check_gold(self.expect, self.gold_sql)
        return self


def load_set(name_or_path: str | Path) -> list[EvalItem]:
    """The items of a set: a name is `evals/sets/<name>.yaml` of this repository, else a path."""
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = SETS_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in SETS_DIR.glob("*.yaml"))) or "none"
        raise EvalSetError(f"No question set {str(name_or_path)!r}: give a path or one of: {known}.")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise EvalSetError(f"{path} is not valid YAML: {error}") from None
    return parse_set(data, source=str(path))


def parse_set(data: Any, source: str = "the set") -> list[EvalItem]:
    """Items from the parsed YAML list; raises EvalSetError naming the bad item."""
    if not isinstance(data, list):
        raise EvalSetError(f"{source} must be a YAML list of questions.")
    items: list[EvalItem] = []
    seen: set[str] = set()
    for index, raw in enumerate(data):
        label = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
        try:
            model = _ItemModel.model_validate(raw)
        except ValidationError as error:
            problem = error.errors()[0]
            where = ".".join(str(part) for part in problem["loc"]) or "item"
            raise EvalSetError(f"{source}: item {label}: {where}: {problem['msg']}.") from None
        if model.id in seen:
            raise EvalSetError(f"{source}: id {model.id!r} is used twice.")
        seen.add(model.id)
        tags = tuple(model.tags)
        if model.chain is None:
            # _ItemModel._question_or_chain: an item without a chain has a question
            assert model.question is not None
            items.append(
                EvalCase(model.id, model.split, model.question, model.gold_sql, model.expect, model.ordered, tags)
            )
            continue
        turns = tuple(
            EvalCase(
                f"{model.id}#{number}",
                model.split,
                turn.question,
                turn.gold_sql,
                turn.expect,
                turn.ordered,
                tags + tuple(turn.tags),
            )
            for number, turn in enumerate(model.chain, start=1)
        )
        items.append(EvalChain(model.id, model.split, turns, tags))
    return items


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class CaseResult:
    id: str
    split: str
    question: str
    tags: tuple[str, ...]
    passed: bool
    reason: str
    route: str
    elapsed_ms: float
    llm_input_tokens: int = 0
    llm_output_tokens: int = 0
    llm_cost_usd: float = 0.0
    turns: tuple[CaseResult, ...] = ()  # a chain's turns, each scored

    @property
    def questions(self) -> tuple[CaseResult, ...]:
        """The questions actually asked: the turns of a chain, or the case itself."""
        return self.turns or (self,)

    @property
    def outcome(self) -> str:
        """correct, refused (nothing answered although a gold exists) or wrong (anything else).

        A refusal is not a wrong answer; an answer where a refusal was expected, a crash and
        a gold that does not run count as wrong, so the figure cannot flatter. A chain is
        wrong when any turn is wrong, refused when a turn was refused and none was wrong.
        """
        if self.passed:
            return CORRECT
        if self.turns:
            outcomes = {turn.outcome for turn in self.turns}
            return WRONG if WRONG in outcomes else REFUSED
        return REFUSED if self.reason == REFUSED else WRONG


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _miss_label(result: CaseResult) -> str:
    """A miss's id; for a chain, with the turns that failed: 'chain-x (turns 2, 3)'."""
    failed = [str(number) for number, turn in enumerate(result.turns, start=1) if not turn.passed]
    if not failed:
        return result.id
    return f"{result.id} (turn{'s' if len(failed) > 1 else ''} {', '.join(failed)})"


def _outcomes(results: list[CaseResult]) -> dict[str, int]:
    counts = Counter(r.outcome for r in results)
    return {outcome: counts.get(outcome, 0) for outcome in OUTCOMES}


def _accuracy(results: list[CaseResult]) -> float | None:
    return sum(r.passed for r in results) / len(results) if results else None


@dataclass(frozen=True)
class EvalReport:
    results: list[CaseResult]
    route: str = ""
    name: str = ""

    def summary(self) -> dict:
        """Accuracy per split and overall, latency, model tokens and cost per question, misses."""
        asked = [q for r in self.results for q in r.questions]
        misses = [r for r in self.results if not r.passed]
        n = len(asked) or 1
        by_split = {s: [r for r in self.results if r.split == s] for s in SPLITS}
        return {
            "set": self.name,
            "route": self.route,
            "cases": len(self.results),
            "passed": sum(r.passed for r in self.results),
            "counts": {s: len(rs) for s, rs in by_split.items()},
            "accuracy": {**{s: _accuracy(rs) for s, rs in by_split.items()}, "overall": _accuracy(self.results)},
            "outcomes": {
                **{s: _outcomes(rs) for s, rs in by_split.items()},
                "overall": _outcomes(self.results),
            },
            "questions": len(asked),
            "question_accuracy": _accuracy(asked),
            "latency_ms": {
                "p50": _percentile([q.elapsed_ms for q in asked], 0.50),
                "p95": _percentile([q.elapsed_ms for q in asked], 0.95),
            },
            "llm": {
                "input_tokens_per_question": sum(q.llm_input_tokens for q in asked) / n,
                "output_tokens_per_question": sum(q.llm_output_tokens for q in asked) / n,
                "cost_usd_per_question": sum(q.llm_cost_usd for q in asked) / n,
                "cost_usd_total": sum(q.llm_cost_usd for q in asked),
            },
            "routes": dict(Counter(q.route for q in asked)),
            "misses": {
                "by_reason": dict(Counter(r.reason for r in misses).most_common()),
                "by_tag": dict(Counter(tag for r in misses for tag in r.tags).most_common()),
                "ids_by_reason": {
                    reason: [_miss_label(r) for r in misses if r.reason == reason]
                    for reason, _ in Counter(r.reason for r in misses).most_common()
                },
            },
        }

    def to_json(self) -> dict:
        """The summary and every result (a chain with its turns), for `finops eval --json`."""
        return {"summary": self.summary(), "results": [asdict(r) for r in self.results]}


AskFn = Callable[[str, Any], Any]


def _score(case: EvalCase, answer: Answer, gold: QueryResult | None) -> tuple[bool, str]:
    if case.refused:
        return (True, "") if not answer.answered else (False, ANSWERED_REFUSAL)
    if not answer.answered:
        return False, REFUSED
    assert gold is not None  # _ask_case runs the gold SQL of every case that is not a refusal
    columns, rows = as_percentages_too(tuple(answer.columns), list(answer.rows))
    return compare_tables(columns, rows, gold.columns, gold.rows, case.ordered)


def as_percentages_too(columns: tuple[str, ...], rows: list[tuple]) -> tuple[tuple[str, ...], list[tuple]]:
    """The answer's table with each ratio column (a fraction, shown as 63.2%) also as a percentage (63.2).

    A gold written as `100.0 * a / b` asks for the same figure the answer's ratio holds; the copy lets
    columns match by content either way, and an extra answer column never counts against it.

    >>> as_percentages_too(("team", "error_rate"), [("cx", 0.25)])
    (('team', 'error_rate', 'error_rate_pct'), [('cx', 0.25, 25.0)])
    """
    ratios = [i for i, column in enumerate(columns) if unit_of(column) == "ratio"]
    if not ratios:
        return columns, rows
    scaled = [tuple(float(row[i]) * 100 if isinstance(row[i], (int, float, Decimal)) else row[i] for i in ratios) for row in rows]
    return columns + tuple(f"{columns[i]}_pct" for i in ratios), [tuple(row) + extra for row, extra in zip(rows, scaled, strict=True)]


def _ask_case(case: EvalCase, context: AskContext, ask: AskFn, executor: Executor) -> tuple[CaseResult, Any]:
    """Ask one question and score it; returns the result and the answer (None after a crash)."""
    gold = None
    if not case.refused:
        try:
            assert case.gold_sql is not None  # parse_set: a case that is not a refusal has gold_sql
            gold = executor.query(case.gold_sql)
        except Exception as error:  # noqa: BLE001 - a broken gold is reported, the run goes on
            return _result(case, False, f"gold failed: {type(error).__name__}", "none", 0.0), None
        if gold.truncated:
            return _result(case, False, "gold failed: truncated", "none", 0.0), None
    started = time.perf_counter()
    try:
        answer = ask(case.question, context)
    except Exception as error:  # noqa: BLE001 - a crash is a miss, never the end of the run
        elapsed = (time.perf_counter() - started) * 1000
        return _result(case, False, f"crash: {type(error).__name__}", "none", elapsed), None
    elapsed = (time.perf_counter() - started) * 1000
    try:
        passed, reason = _score(case, answer, gold)
    except Exception as error:  # noqa: BLE001 - an answer we cannot read is the answer's fault
        passed, reason = False, f"crash: {type(error).__name__}"
    usage = getattr(answer, "llm_usage", None)
    return (
        _result(
            case,
            passed,
            reason,
            getattr(answer, "route", "none"),
            elapsed,
            getattr(usage, "input_tokens", 0),
            getattr(usage, "output_tokens", 0),
            getattr(usage, "cost_usd", 0.0),
        ),
        answer,
    )


def _result(case: EvalCase, passed: bool, reason: str, route: str, elapsed: float, tokens_in: int = 0,
            tokens_out: int = 0, cost: float = 0.0) -> CaseResult:
    return CaseResult(
        case.id, case.split, case.question, case.tags, passed, reason, route, elapsed, tokens_in, tokens_out, cost
    )


def _run_chain(chain: EvalChain, context: AskContext, ask: AskFn, executor: Executor) -> CaseResult:
    turns = []
    for case in chain.turns:
        result, answer = _ask_case(case, context, ask, executor)
        turns.append(result)
        if answer is not None:
            context = context.after(answer)
    failed = next((t for t in turns if not t.passed), None)
    return CaseResult(
        chain.id,
        chain.split,
        chain.question,
        chain.tags,
        failed is None,
        failed.reason if failed else "",
        "+".join(dict.fromkeys(t.route for t in turns)),
        sum(t.elapsed_ms for t in turns),
        sum(t.llm_input_tokens for t in turns),
        sum(t.llm_output_tokens for t in turns),
        sum(t.llm_cost_usd for t in turns),
        tuple(turns),
    )


def run_eval(
    cases: Iterable[EvalItem],
    settings: Settings,
    route: str = "planner",
    split: str | None = None,
    ask: AskFn | None = None,
    executor: Executor | None = None,
    as_of: date | None = None,
    name: str = "",
    progress: Callable[[CaseResult], None] | None = None,
) -> EvalReport:
    """Ask every case (of `split`, when given) on `route` and score it against its gold."""
    from assistant.answer import AskContext

    if split is not None and split not in SPLITS:
        raise EvalSetError(f"Unknown split {split!r}; use one of: {', '.join(SPLITS)}.")
    if ask is None:
        from assistant.ask import ask as ask_question

        ask = ask_question
    if route != "planner":
        # Every model answer is worked out, not reused from the answer cache, and is billed to "eval".
        settings = settings.model_copy(update={"cache_max_distance": 0.0})
    own_executor = executor is None
    if executor is None:
        from warehouse.executor import Executor

        executor = Executor(settings)
    results: list[CaseResult] = []
    try:
        for item in cases:
            if split is not None and item.split != split:
                continue
            context = AskContext(settings=settings, as_of=as_of, route=route, executor=executor, channel="eval")
            if isinstance(item, EvalChain):
                result = _run_chain(item, context, ask, executor)
            else:
                result, _ = _ask_case(item, context, ask, executor)
            results.append(result)
            if progress is not None:
                progress(result)
    finally:
        if own_executor:
            executor.close()
    return EvalReport(results=results, route=route, name=name)


# --------------------------------------------------------------------------- report


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f} ms"


def format_report(report: EvalReport) -> str:
    """A plain-text table: accuracy per split, latency, tokens and cost per question, misses by reason."""
    s = report.summary()
    by_split = {sp: [r for r in report.results if r.split == sp] for sp in SPLITS}
    title = ", ".join(f"{key} {s[key]}" for key in ("set", "route") if s[key])
    lines = [f"Evaluation{': ' + title if title else ''}", ""]
    lines.append(f"{'split':<12}{'cases':>7}{'correct':>9}{'refused':>9}{'wrong':>7}{'accuracy':>10}{'wrong %':>9}")
    for sp, rs in [*by_split.items(), ("overall", report.results)]:
        counts = s["outcomes"][sp]
        wrong_rate = counts[WRONG] / len(rs) if rs else None
        lines.append(
            f"{sp:<12}{len(rs):>7}{counts[CORRECT]:>9}{counts[REFUSED]:>9}{counts[WRONG]:>7}"
            f"{_pct(s['accuracy'][sp]):>10}{_pct(wrong_rate):>9}"
        )
    lines.append("")
    lines.append(
        f"questions asked {s['questions']} (chain turns counted), each right {_pct(s['question_accuracy'])}"
    )
    lines.append(f"latency p50 {_ms(s['latency_ms']['p50'])}, p95 {_ms(s['latency_ms']['p95'])}")
    llm = s["llm"]
    lines.append(
        f"model tokens per question {llm['input_tokens_per_question']:,.0f} in / "
        f"{llm['output_tokens_per_question']:,.0f} out; ${llm['cost_usd_per_question']:.6f} per question "
        f"(${llm['cost_usd_total']:.4f} in all)"
    )
    if s["routes"]:
        lines.append("routes " + ", ".join(f"{route} {count}" for route, count in sorted(s["routes"].items())))
    misses = s["misses"]
    if misses["by_reason"]:
        lines += ["", "misses by reason:"]
        for reason, ids in misses["ids_by_reason"].items():
            lines.append(f"  {reason} ({len(ids)}): {', '.join(ids)}")
        lines += ["", "misses by tag:"]
        tags = list(misses["by_tag"].items())
        more = " ..." if len(tags) > 25 else ""
        lines.append("  " + ", ".join(f"{tag} {count}" for tag, count in tags[:25]) + more)
    else:
        lines += ["", "no misses"]
    paid = [r for r in report.results if r.llm_input_tokens or r.llm_output_tokens]
    if paid:
        lines += ["", "model use per question (id, right, tokens in/out, cost):"]
        lines += [
            f"  {r.id:<40} {'yes' if r.passed else 'no ':>3} {r.llm_input_tokens:>8,} / {r.llm_output_tokens:<6,} ${r.llm_cost_usd:.6f}"
            for r in paid
        ]
    return "\n".join(lines)

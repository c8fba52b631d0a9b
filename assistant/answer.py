"""The one `Answer` every channel renders (ANSWER-CONTRACT.md), and what `ask()` is given.

`Answer.to_json()` is the public `finops ask --json` shape; its keys are stable.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from assistant.present.jsonable import jsonable
from assistant.present.numbers import figure
from assistant.query.window import Window


class Route(StrEnum):
    """How an answer was made (ANSWER-CONTRACT.md); compares equal to its text."""

    PLANNER = "planner"  # the offline semantic planner
    LLM = "llm"  # the language-model agent
    CACHE = "cache"  # a stored answer to the same question on the same data
    NONE = "none"  # not answered: see the error


ROUTES = tuple(Route)


@dataclass(frozen=True)
class LlmUsage:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: LlmUsage) -> LlmUsage:
        return LlmUsage(
            self.calls + other.calls,
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cost_usd + other.cost_usd,
        )

    def describe(self) -> str:
        """'3 model call(s), 2,481 tokens, $0.0004', or 'no model cost' (cents and below to 4 decimals)."""
        if not self.calls:
            return "no model cost"
        tokens = self.input_tokens + self.output_tokens
        return f"{self.calls} model call(s), {tokens:,} tokens, {figure(self.cost_usd, 'usd')}"

    def to_json(self) -> dict:
        return {
            "calls": self.calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": round(self.cost_usd, 6),
        }


@dataclass(frozen=True)
class AnswerError:
    kind: str  # an ErrorKind (warehouse.errors), or a FinopsError's kind
    message: str
    unplaced: tuple[str, ...] = ()  # partly_understood: the words not understood

    def to_json(self) -> dict:
        out: dict[str, Any] = {"kind": str(self.kind), "message": self.message}
        if self.unplaced:
            out["unplaced"] = list(self.unplaced)
        return out


@dataclass(frozen=True)
class Answer:
    question: str
    route: Route
    text: str = ""
    window: Window | None = None
    sql: str | None = None
    columns: tuple[str, ...] = ()
    rows: list[tuple] = field(default_factory=list)
    chart: dict | None = None
    drivers: list[dict] = field(default_factory=list)
    anomalies: list[dict] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    llm_usage: LlmUsage = field(default_factory=LlmUsage)
    elapsed_ms: float = 0.0
    error: AnswerError | None = None
    # Internal: the plan behind the answer, for follow-ups; never part of the JSON.
    plan: Any = field(default=None, compare=False, repr=False)
    truncated: bool = False
    reading: dict | None = None  # how the question was read (ANSWER-CONTRACT.md): shown with every answer

    def __post_init__(self) -> None:
        object.__setattr__(self, "route", Route(self.route))

    @property
    def answered(self) -> bool:
        return self.error is None and self.route != Route.NONE

    def read_as(self) -> str:
        """'Read as: inference cost · by feature · last week', the line every channel shows; '' without a reading."""
        return f"Read as: {self.reading['text']}" if self.reading else ""

    def provenance(self) -> str:
        """How it was answered, as every channel shows it: 'planner · 41 ms · no model cost'."""
        return f"{self.route} · {self.elapsed_ms:,.0f} ms · {self.llm_usage.describe()}"

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "route": self.route,
            "window": self.window.to_json() if self.window else None,
            "sql": self.sql,
            "columns": list(self.columns),
            "rows": jsonable(self.rows),
            "text": self.text,
            "chart": self.chart,
            "drivers": jsonable(self.drivers),
            "anomalies": jsonable(self.anomalies),
            "suggestions": list(self.suggestions),
            "llm_usage": self.llm_usage.to_json(),
            "elapsed_ms": round(self.elapsed_ms, 1),
            "reading": self.reading,
            "error": self.error.to_json() if self.error else None,
        }

    @classmethod
    def from_json(cls, data: dict) -> Answer:
        """The Answer `to_json` described (plans are not kept; rows come back as tuples of JSON values)."""
        window = data.get("window")
        error = data.get("error")
        usage = data.get("llm_usage") or {}
        return cls(
            question=data["question"],
            route=data["route"],
            text=data.get("text") or "",
            window=Window(
                window["label"], date.fromisoformat(window["start"]), date.fromisoformat(window["end"]),
                date.fromisoformat(window["compare_start"]) if window.get("compare_start") else None,
                date.fromisoformat(window["compare_end"]) if window.get("compare_end") else None,
            ) if window else None,
            sql=data.get("sql"),
            columns=tuple(data.get("columns") or ()),
            rows=[tuple(row) for row in data.get("rows") or []],
            chart=data.get("chart"),
            drivers=list(data.get("drivers") or []),
            anomalies=list(data.get("anomalies") or []),
            suggestions=list(data.get("suggestions") or []),
            llm_usage=LlmUsage(int(usage.get("calls", 0)), int(usage.get("input_tokens", 0)),
                               int(usage.get("output_tokens", 0)), float(usage.get("cost_usd", 0.0))),
            elapsed_ms=float(data.get("elapsed_ms") or 0.0),
            reading=data.get("reading"),
            error=AnswerError(error["kind"], error["message"], tuple(error.get("unplaced") or ())) if error else None,
        )


@dataclass(frozen=True)
class AskContext:
    """What a question is asked with: settings, time anchor, row scope, route, and the turn before."""

    settings: Any
    as_of: date | None = None
    scope: Any = None
    route: str = "auto"
    previous: Answer | None = None
    executor: Any = field(default=None, compare=False, repr=False)
    memory: Any = field(default=None, compare=False, repr=False)  # assistant.llm.retrieval.Memory; opened when needed
    channel: str = "cli"  # where the question came from, recorded with the assistant's usage
    on_token: Any = field(default=None, compare=False, repr=False)  # called with each streamed model token

    def after(self, answer: Answer) -> AskContext:
        """The context for a follow-up to `answer`."""
        return replace(self, previous=answer if answer.answered else self.previous)

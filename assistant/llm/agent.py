"""The language-model route: a LangChain agent that answers through guarded tools.

The model never touches DuckDB directly: it fills a metric query (rendered by the
planner's renderer) or sends SQL that passes the guard under the caller's scope;
a refusal, an error or a malformed tool call goes back to it as the tool result,
so it can correct itself within `FINOPS_LLM_MAX_STEPS`. It starts from a compact
prompt (table, metric and dimension names, and the most similar confirmed
examples) and looks up columns, definitions and data values when it needs them.
Results come back as small summaries, and warehouse text is marked as data.
Every call's tokens come from the API's `usage`, are priced, summed into the
Answer and appended to `assistant_usage`; an endpoint that is down, slow or over
budget ends with a plain message, never a traceback. LangChain loads only when
this route is used.
"""

from __future__ import annotations

import json
import logging
import socket
import urllib.parse
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from assistant.answer import Answer, AnswerError, AskContext, LlmUsage, Route
from warehouse.errors import ErrorKind

if TYPE_CHECKING:
    from langchain_core.outputs import LLMResult

    from assistant.llm.retrieval import Example, Memory
    from assistant.semantic import SemanticModel
    from assistant.understand.planner import Planner
    from warehouse.executor import Executor

log = logging.getLogger("finops")

# USD per million tokens (input, output) for models that model_prices does not list.
BUILT_IN_PRICES = {
    "gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00), "gpt-4.1": (2.00, 8.00), "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40), "gpt-5": (1.25, 10.00), "gpt-5-mini": (0.25, 2.00), "gpt-5-nano": (0.05, 0.40),
    "text-embedding-3-small": (0.02, 0.0), "text-embedding-3-large": (0.13, 0.0),
}
SUMMARY_ROWS = 5
PROMPT_EXAMPLES = 1  # more go through lookup; each costs ~70 tokens on every call
EXAMPLE_MAX_DISTANCE = 0.2  # e5 cosine distance; farther examples mislead more than they help
MAX_CORRECTIONS = 2  # malformed tool calls sent back to the model before giving up
DEFAULT_BASE_URL = "https://api.openai.com/v1"
PROBE_TIMEOUT_S = 3.0
UNREACHABLE = "The language model endpoint could not be reached. Check OPENAI_BASE_URL, try again later, or ask with --route planner."


class TokenBudgetExceeded(Exception):
    pass


@dataclass
class Session:
    """What the tools and callbacks leave behind for the Answer: the last good query and each model call."""

    question_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    sql: str | None = None
    columns: tuple = ()
    rows: list = field(default_factory=list)
    truncated: bool = False
    calls: list[tuple[int, int]] = field(default_factory=list)  # (input, output) tokens per call
    corrections: int = 0

    @property
    def input_tokens(self) -> int:
        return sum(c[0] for c in self.calls)

    @property
    def output_tokens(self) -> int:
        return sum(c[1] for c in self.calls)


def answer_with_model(question: str, context: AskContext, executor: Executor, planner: Planner, as_of: date,
                      memory: Memory | None = None, question_id: str | None = None,
                      hint: str | None = None) -> Answer:
    """The agent's answer; `hint` (what the offline planner understood and did not) goes with the question."""
    settings = context.settings
    if not settings.model_configured:
        return Answer(
            question, Route.NONE,
            error=AnswerError(ErrorKind.NO_MODEL, "No language model is configured: set OPENAI_API_KEY (and OPENAI_BASE_URL for another endpoint), or ask with --route planner."),
        )
    if not endpoint_reachable(settings.openai_base_url or DEFAULT_BASE_URL, min(PROBE_TIMEOUT_S, settings.llm_timeout_s)):
        return Answer(question, Route.NONE, error=AnswerError(ErrorKind.MODEL_UNAVAILABLE, UNREACHABLE))
    import openai
    from langchain.agents import create_agent
    from langchain.agents.middleware import after_model
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.messages import ToolMessage
    from langchain_openai import ChatOpenAI
    from langgraph.errors import GraphRecursionError

    session = Session(question_id=question_id) if question_id else Session()
    on_token = getattr(context, "on_token", None)

    class Meter(BaseCallbackHandler):
        raise_error = True  # the budget stop must end the run, not be logged and ignored

        def on_llm_new_token(self, token: str | list[str | dict[str, Any]], **kwargs: Any) -> None:
            if on_token is not None and token:
                on_token(token)

        def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
            for generations in response.generations:
                for generation in generations:
                    usage = getattr(getattr(generation, "message", None), "usage_metadata", None) or {}
                    session.calls.append((int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))))
            if session.input_tokens + session.output_tokens > settings.llm_token_budget:
                raise TokenBudgetExceeded()

    @after_model(can_jump_to=["model"])
    def correct_malformed_calls(state, runtime):
        """A tool call whose arguments are not JSON goes back to the model as an error, a bounded number of times."""
        last = state["messages"][-1]
        bad = list(getattr(last, "invalid_tool_calls", None) or [])
        if not bad or session.corrections >= MAX_CORRECTIONS:
            return None
        session.corrections += 1
        replies = [
            ToolMessage(
                content=f"ERROR: the arguments of {call.get('name') or 'the tool'} were not a valid JSON object "
                        f"({call.get('error') or 'could not be parsed'}). Send the call again with a JSON object of its parameters.",
                tool_call_id=call.get("id") or "invalid",
                name=call.get("name") or "invalid",
                status="error",
            )
            for call in bad
        ]
        return {"messages": replies} if last.tool_calls else {"messages": replies, "jump_to": "model"}

    model = ChatOpenAI(
        model=settings.model,
        api_key=SecretStr(settings.openai_api_key or "not-needed"),
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout_s,
        max_retries=settings.llm_retries,
        temperature=0,
        streaming=on_token is not None,
        stream_usage=True,
    )
    examples = _similar_examples(memory, question)
    tools = make_tools(session, context, executor, planner, memory)
    agent = create_agent(
        model, tools, system_prompt=system_prompt(planner.model, as_of, examples), middleware=[correct_malformed_calls],
    )
    try:
        result = agent.invoke(
            {"messages": [{"role": "user", "content": f"{question}\n\n({hint})" if hint else question}]},
            config={"recursion_limit": 2 * settings.llm_max_steps + 1, "callbacks": [Meter()]},
        )
        text = _final_text(result)
        error = None
        if _ended_on_malformed_call(result):
            text, error = "", AnswerError(ErrorKind.MODEL_ERROR, "The language model kept sending malformed tool calls and was stopped. Try again, or ask with --route planner.")
    except TokenBudgetExceeded:
        text, error = "", AnswerError(ErrorKind.BUDGET, f"The question used more than FINOPS_LLM_TOKEN_BUDGET ({settings.llm_token_budget} tokens) and was stopped. Ask something narrower.")
    except openai.APITimeoutError:
        text, error = "", AnswerError(ErrorKind.MODEL_UNAVAILABLE, f"The language model did not answer within FINOPS_LLM_TIMEOUT_S ({settings.llm_timeout_s:g} s). Try again, or ask with --route planner.")
    except openai.APIConnectionError:
        text, error = "", AnswerError(ErrorKind.MODEL_UNAVAILABLE, UNREACHABLE)
    except (openai.InternalServerError, openai.RateLimitError) as failure:
        text, error = "", AnswerError(ErrorKind.MODEL_UNAVAILABLE, f"The language model endpoint failed (HTTP {failure.status_code}). Try again later, or ask with --route planner.")
    except openai.APIStatusError as failure:
        text, error = "", AnswerError(ErrorKind.MODEL_UNAVAILABLE, f"The language model endpoint refused the request (HTTP {failure.status_code}). Check OPENAI_API_KEY, OPENAI_BASE_URL and FINOPS_MODEL.")
    except GraphRecursionError:
        text, error = "", AnswerError(ErrorKind.STEPS, f"The model needed more than FINOPS_LLM_MAX_STEPS ({settings.llm_max_steps}) steps and was stopped. Ask something narrower.")
    prices = model_price(settings.model, executor)
    usage = LlmUsage(
        len(session.calls), session.input_tokens, session.output_tokens,
        sum(_cost(prices, i, o) for i, o in session.calls),
    )
    record_calls(question, context, session.question_id, "chat", settings.model, session.calls, prices)
    if error is not None:
        return Answer(question, Route.NONE, error=error, llm_usage=usage)
    return Answer(
        question, Route.LLM, text=text, sql=session.sql, columns=session.columns, rows=session.rows,
        truncated=session.truncated, llm_usage=usage,
    )


def endpoint_reachable(base_url: str, timeout_s: float) -> bool:
    """False only when nothing accepts a connection at the endpoint's host and port (or its name does not resolve).

    A down endpoint then ends the question at once, before the model stack is imported and
    before the client's retries and back-off. Behind a proxy the endpoint is not dialled
    directly, so the client is left to find out.
    """
    parts = urllib.parse.urlsplit(base_url)
    if not parts.hostname:
        return True
    proxies = urllib.request.getproxies()
    if (proxies.get(parts.scheme) or proxies.get("all")) and not urllib.request.proxy_bypass(parts.hostname):
        return True
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout_s):
            return True
    except TimeoutError:
        return True  # slow is not down: FINOPS_LLM_TIMEOUT_S decides
    except OSError:
        return False


def _cost(prices: tuple[float, float], input_tokens: int, output_tokens: int) -> float:
    return (input_tokens * prices[0] + output_tokens * prices[1]) / 1e6


def record_calls(question: str, context: AskContext, question_id: str, operation: str, model: str,
                 calls: list[tuple[int, int]], prices: tuple[float, float]) -> None:
    """Append a question's (input, output) token counts of one model to assistant_usage, priced;
    a failure to record never loses the answer."""
    from warehouse.usage import UsageRow, record_usage

    settings = context.settings
    now = datetime.now(UTC)
    channel = getattr(context, "channel", None)
    rows = [UsageRow(now, question_id, operation, model, i, o, _cost(prices, i, o), question, channel) for i, o in calls]
    try:
        record_usage(settings.home, rows)
    except OSError as failure:
        log.warning("could not record the assistant's usage in %s: %s", settings.home, failure)


def _similar_examples(memory: Memory | None, question: str) -> list[Example]:
    if memory is None:
        return []
    try:
        return [e for e in memory.similar_examples(question, k=PROMPT_EXAMPLES) if e.distance <= EXAMPLE_MAX_DISTANCE]
    except Exception as failure:  # noqa: BLE001 - the examples help; the question does not depend on them
        log.warning("example store unavailable: %s", failure)
        return []


def _ended_on_malformed_call(result: object) -> bool:
    messages = result.get("messages", []) if isinstance(result, dict) else []
    last = messages[-1] if messages else None
    return bool(getattr(last, "invalid_tool_calls", None)) and not (getattr(last, "content", "") or "").strip()


def _final_text(result: object) -> str:
    messages = result.get("messages", []) if isinstance(result, dict) else []
    for message in reversed(messages):
        if getattr(message, "type", "") == "ai" and isinstance(message.content, str) and message.content.strip():
            return message.content.strip()
    return "The model gave no answer."


def model_price(model: str, executor: Executor) -> tuple[float, float]:
    """(input, output) USD per million tokens: model_prices when it lists the model, else the built-in table."""
    from sqlglot import exp

    query = (
        exp.select("input_usd_per_mtok", "output_usd_per_mtok")
        .from_("model_prices")
        .where(exp.and_(
            exp.EQ(this=exp.func("lower", exp.column("model")), expression=exp.Literal.string(model.lower())),
            exp.Is(this=exp.column("valid_to"), expression=exp.null()),
        ))
        .limit(1)
    )
    try:
        rows = executor.run_sql(query.sql("duckdb")).rows  # through the guard, like every statement
    except Exception:  # noqa: BLE001 - an empty or missing table falls back to the built-in prices
        rows = []
    if rows and rows[0][0] is not None:
        return float(rows[0][0]), float(rows[0][1] or 0.0)
    return BUILT_IN_PRICES.get(model.lower(), (0.0, 0.0))


def system_prompt(model: SemanticModel, as_of: date, examples: Sequence[Example] = ()) -> str:
    """The first thing the model reads: rules, and the semantic model by name only (details via lookup)."""
    from prompts import render_prompt
    from warehouse.contract import QUERYABLE

    # Space-separated names: a third fewer tokens than commas, and as clear.
    tables = " ".join(f"{t.name}.{t.time_column}" if t.time_column else t.name for t in QUERYABLE.values())
    shown = ""
    if examples:
        shown = f"Confirmed example (as_of {examples[0].as_of or 'unknown'}):\n" + "\n".join(
            f"Q: {e.question}\nSQL: {e.sql}" for e in examples
        )
    return render_prompt(
        "agent_system", as_of=as_of.isoformat(), tables=tables,
        metrics=" ".join(n for n, m in model.metrics.items() if not m.detail),
        dimensions=" ".join(n for n, d in model.dimensions.items() if not d.detail), examples=shown,
    ).strip()


def summarize(columns: Sequence[str], rows: Sequence[tuple], truncated: bool) -> str:
    """A result as the model sees it: the row count, a few rows as quoted JSON data, and, when
    rows are left out, the totals of the numeric columns over all of them.

    >>> print(summarize(("team", "n"), [("cx", 2), ("ai", 3), ("ops", 1), ("x", 1), ("y", 1), ("z", 4)], False))
    6 row(s); first 5 as JSON data:
    [{"team": "cx", "n": 2}, {"team": "ai", "n": 3}, {"team": "ops", "n": 1}, {"team": "x", "n": 1}, {"team": "y", "n": 1}]
    totals over all 6 rows: {"n": 12}
    """
    from assistant.present.jsonable import jsonable

    shown = [dict(zip(columns, jsonable(list(r)))) for r in rows[:SUMMARY_ROWS]]
    note = f"{len(rows)} row(s){' (truncated)' if truncated else ''}; first {len(shown)} as JSON data:"
    text = f"{note}\n{json.dumps(shown, default=str)}"
    if len(rows) > SUMMARY_ROWS:
        totals = {}
        for index, column in enumerate(columns):
            values = [row[index] for row in rows if row[index] is not None]
            if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                totals[column] = round(sum(values), 6)
        if totals:
            text += f"\ntotals over all {len(rows)} rows{' shown' if truncated else ''}: {json.dumps(totals)}"
    return text


def lookup_text(text: str, planner: Planner, memory: Memory | None = None, limit: int = 6) -> str:
    """What `lookup` returns: a table's columns, or the definitions, data values and examples matching words."""
    from assistant.llm.retrieval import content_words, definition_texts
    from warehouse.contract import QUERYABLE

    name = text.strip().lower()
    if name == "more":  # the detail the first prompt leaves out (FOCUS billing, unit economics, the assistant's own usage)
        metrics = " ".join(n for n, m in planner.model.metrics.items() if m.detail)
        dimensions = " ".join(n for n, d in planner.model.dimensions.items() if d.detail)
        return f"More metrics: {metrics}\nMore dimensions: {dimensions}"
    if name in QUERYABLE:
        table = QUERYABLE[name]
        return f"{table.name}: " + ", ".join(f"{c.name} {c.type}" for c in table.columns)
    lines: list[str] = []
    words = content_words(text)
    try:
        if memory is None:
            raise LookupError("no example store")
        lines += [d.text for d in memory.definitions(text, planner.model, k=limit)]
        examples = memory.similar_examples(text, k=2)
    except Exception:  # noqa: BLE001 - without chromadb, a plain word match over the same definitions
        lines += [t for _, _, t in definition_texts(planner.model) if words & content_words(t)][:limit]
        examples = []
    import re

    words = words | set(re.findall(r"[a-z0-9][a-z0-9._-]*", text.lower()))
    found = []
    for dimension, values in planner.values.values.items():
        for value in values:
            flat = value.lower().replace("-", " ").replace("_", " ")
            if any(word in flat.split() or word == value.lower() for word in words):
                found.append(f"{dimension}={value}")
    if found:
        lines.append("values in the data (JSON data): " + json.dumps(found[:12]))
    lines += [f"example: Q: {e.question} SQL: {e.sql}" for e in examples]
    return "\n".join(lines) if lines else f"Nothing matches {text!r}. Tables: {', '.join(QUERYABLE)}."


class MetricQuery(BaseModel):
    """metric_query's arguments, checked before a plan is built from them."""

    model_config = ConfigDict(extra="forbid")

    metric: str
    start: date
    end: date
    by: list[str] = []
    where: dict[str, list[str]] = {}
    top: int = Field(0, ge=0, le=1000)

    @field_validator("where", mode="before")
    @classmethod
    def _values_as_lists(cls, value):
        if isinstance(value, dict):  # {"team": "cx"} means {"team": ["cx"]}
            return {k: v if isinstance(v, list) else [v] for k, v in value.items()}
        return value


def make_tools(session: Session, context: AskContext, executor: Executor, planner: Planner,
               memory: Memory | None = None) -> list:
    from langchain_core.tools import StructuredTool

    from assistant.query.plan import Filter, Intent, QueryPlan
    from assistant.query.render import PlanError, render_sql
    from assistant.query.window import Window
    from prompts import tool_descriptions
    from warehouse.errors import FinopsError

    described = tool_descriptions()

    def run(sql: str) -> str:
        try:
            result = executor.run_sql(sql, scope=context.scope, max_rows=context.settings.max_rows)
        except FinopsError as refused:
            return f"REFUSED: {refused.user_message}"
        session.sql, session.columns, session.rows, session.truncated = result.sql, result.columns, result.rows, result.truncated
        return summarize(result.columns, result.rows, result.truncated)

    def metric_query(**arguments: object) -> str:
        try:
            query = MetricQuery.model_validate(arguments)
        except ValidationError as problem:
            wrong = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in problem.errors())
            return f"ERROR: {wrong}."
        try:
            window = Window(f"{query.start} to {query.end}", query.start, query.end)
            plan = QueryPlan(
                Intent.RANKING if query.top else (Intent.BREAKDOWN if query.by else Intent.TOTAL), (query.metric,), window,
                dimensions=tuple(query.by),
                filters=tuple(Filter(d, tuple(v)) for d, v in query.where.items()),
                limit=query.top or None,
            )
            return run(render_sql(plan, planner.model))
        except (KeyError, ValueError, PlanError) as problem:
            return f"ERROR: {problem}. Metrics: {', '.join(planner.model.metrics)}; dimensions: {', '.join(planner.model.dimensions)}."

    def run_sql(sql: str = "", **unexpected: object) -> str:
        if unexpected or not sql:
            return "ERROR: run_sql takes one argument, sql."
        return run(sql)

    def lookup(text: str = "", **unexpected: object) -> str:
        if unexpected or not text:
            return "ERROR: lookup takes one argument, text."
        return lookup_text(text, planner, memory)

    return [
        StructuredTool.from_function(
            function, name=name, description=described[name]["description"].strip(),
            args_schema=_json_schema(described[name]["parameters"]),
        )
        for name, function in (("metric_query", metric_query), ("run_sql", run_sql), ("lookup", lookup))
    ]


def _json_schema(parameters: object) -> dict[str, Any]:
    """A tool's parameters from agent_tools.yaml: a JSON schema object (`prompts.tool_descriptions`
    declares every value of a tool as text, so the type is checked here)."""
    if not isinstance(parameters, dict):
        raise TypeError(f"a tool's parameters must be a JSON schema object, not {type(parameters).__name__}")
    return parameters

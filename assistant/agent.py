"""The language-model route: a LangChain agent that answers through guarded tools.

The model never touches DuckDB directly: it fills a metric query (rendered by the
planner's renderer) or sends SQL that passes the guard under the caller's scope;
a refusal or an error goes back to it as the tool result, so it can correct
itself within `FINOPS_LLM_MAX_STEPS`. Results come back as small summaries, and
warehouse text is marked as data. Token counts come from the API's `usage` and
are priced; an endpoint that is down, slow or over budget ends with a plain
message, never a traceback. LangChain loads only when this route is used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from assistant.answer import Answer, AnswerError, LlmUsage

# USD per million tokens (input, output) for models that model_prices does not list.
BUILT_IN_PRICES = {
    "gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00), "gpt-4.1": (2.00, 8.00), "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40), "gpt-5": (1.25, 10.00), "gpt-5-mini": (0.25, 2.00), "gpt-5-nano": (0.05, 0.40),
}
SUMMARY_ROWS = 5


class TokenBudgetExceeded(Exception):
    pass


@dataclass
class Session:
    """What the tools leave behind for the Answer: the last good query and the model's usage."""

    sql: str | None = None
    columns: tuple = ()
    rows: list = field(default_factory=list)
    truncated: bool = False
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


def answer_with_model(question: str, context, executor, planner, as_of: date) -> Answer:
    settings = context.settings
    if not settings.model_configured:
        return Answer(
            question, "none",
            error=AnswerError("no_model", "No language model is configured: set OPENAI_API_KEY (and OPENAI_BASE_URL for another endpoint), or ask with --route planner."),
        )
    import openai
    from langchain.agents import create_agent
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_openai import ChatOpenAI

    from prompts import render_prompt

    session = Session()

    class Meter(BaseCallbackHandler):
        raise_error = True  # the budget stop must end the run, not be logged and ignored

        def on_llm_end(self, response, **kwargs) -> None:
            for generations in response.generations:
                for generation in generations:
                    usage = getattr(getattr(generation, "message", None), "usage_metadata", None) or {}
                    session.calls += 1
                    session.input_tokens += int(usage.get("input_tokens", 0))
                    session.output_tokens += int(usage.get("output_tokens", 0))
            if session.input_tokens + session.output_tokens > settings.llm_token_budget:
                raise TokenBudgetExceeded()

    model = ChatOpenAI(
        model=settings.model,
        api_key=settings.openai_api_key or "not-needed",
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout_s,
        max_retries=2,
        temperature=0,
    )
    tools = make_tools(session, context, executor, planner, as_of)
    agent = create_agent(model, tools, system_prompt=render_prompt("agent_system", as_of=as_of.isoformat(), schema=describe(planner.model)))
    try:
        result = agent.invoke(
            {"messages": [{"role": "user", "content": question}]},
            config={"recursion_limit": 2 * settings.llm_max_steps + 1, "callbacks": [Meter()]},
        )
        text = _final_text(result)
        error = None
        if _ended_on_malformed_call(result):
            text, error = "", AnswerError("model_error", "The language model sent a malformed tool call and stopped. Try again, or ask with --route planner.")
    except TokenBudgetExceeded:
        text, error = "", AnswerError("budget", f"The question used more than FINOPS_LLM_TOKEN_BUDGET ({settings.llm_token_budget} tokens) and was stopped. Ask something narrower.")
    except openai.APITimeoutError:
        text, error = "", AnswerError("model_unavailable", f"The language model did not answer within FINOPS_LLM_TIMEOUT_S ({settings.llm_timeout_s:g} s). Try again, or ask with --route planner.")
    except (openai.APIConnectionError, openai.InternalServerError, openai.RateLimitError, openai.APIStatusError) as failure:
        text, error = "", AnswerError("model_unavailable", f"The language model endpoint failed ({type(failure).__name__}). Try again later, or ask with --route planner.")
    except Exception as failure:  # noqa: BLE001 - LangGraph's step limit and other agent stops
        if type(failure).__name__ == "GraphRecursionError":
            text, error = "", AnswerError("steps", f"The model needed more than FINOPS_LLM_MAX_STEPS ({settings.llm_max_steps}) steps and was stopped. Ask something narrower.")
        else:
            raise
    usage = LlmUsage(session.calls, session.input_tokens, session.output_tokens, price_usage(session, settings.model, executor))
    if error is not None:
        return Answer(question, "none", error=error, llm_usage=usage)
    return Answer(
        question, "llm", text=text, sql=session.sql, columns=session.columns, rows=session.rows,
        truncated=session.truncated, llm_usage=usage,
    )


def _ended_on_malformed_call(result) -> bool:
    messages = result.get("messages", []) if isinstance(result, dict) else []
    last = messages[-1] if messages else None
    return bool(getattr(last, "invalid_tool_calls", None)) and not (getattr(last, "content", "") or "").strip()


def _final_text(result) -> str:
    messages = result.get("messages", []) if isinstance(result, dict) else []
    for message in reversed(messages):
        if getattr(message, "type", "") == "ai" and isinstance(message.content, str) and message.content.strip():
            return message.content.strip()
    return "The model gave no answer."


def price_usage(session: Session, model: str, executor) -> float:
    """Dollars of the question's model calls: model_prices when it lists the model, else the built-in table."""
    from sqlglot import exp

    prices = None
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
        rows = executor.query(query.sql("duckdb")).rows
        prices = rows[0] if rows else None
    except Exception:  # noqa: BLE001 - an empty or missing table falls back to the built-in prices
        prices = None
    if prices is None:
        prices = BUILT_IN_PRICES.get(model.lower(), (0.0, 0.0))
    return (session.input_tokens * prices[0] + session.output_tokens * prices[1]) / 1e6


def describe(model) -> str:
    """The semantic model in compact form: what the model needs to write correct queries, nothing more."""
    lines = []
    for table, spec in model.tables.items():
        from warehouse.contract import TABLES

        columns = ", ".join(f"{c.name} {c.type}" for c in TABLES[table].columns)
        lines.append(f"- {table} (time column {spec.time_column or 'none'}): {columns}")
    lines.append("Metrics:")
    lines += [f"- {name}: {m.sql} on {m.table}" for name, m in model.metrics.items()]
    lines.append("Dimensions:")
    lines += [f"- {name}: " + ", ".join(f"{t}.{sql}" for t, sql in d.sql.items()) for name, d in model.dimensions.items()]
    return "\n".join(lines)


def summarize(columns, rows, truncated: bool) -> str:
    """A result as the model sees it: columns, a few rows as quoted data, the row count."""
    from assistant.jsonable import jsonable

    shown = [dict(zip(columns, jsonable(list(r)))) for r in rows[:SUMMARY_ROWS]]
    note = f"{len(rows)} row(s){' (truncated)' if truncated else ''}; first {len(shown)} as JSON data:"
    return f"{note}\n{json.dumps(shown, default=str)}"


def make_tools(session: Session, context, executor, planner, as_of: date) -> list:
    from langchain.tools import tool

    from assistant.plan import Filter, QueryPlan
    from assistant.render import PlanError, render_sql
    from assistant.answer import Window
    from warehouse.errors import FinopsError
    from warehouse.guard import validate_sql

    def run(sql: str) -> str:
        try:
            safe = validate_sql(sql, schema=executor.schema(), max_rows=context.settings.max_rows, scope=context.scope)
            result = executor.query(safe)
        except FinopsError as refused:
            return f"REFUSED: {refused.user_message}"
        session.sql, session.columns, session.rows, session.truncated = safe, result.columns, result.rows, result.truncated
        return summarize(result.columns, result.rows, result.truncated)

    @tool
    def run_sql(sql: str) -> str:
        """Run one read-only DuckDB SELECT over the warehouse tables; returns a few rows as JSON data, or REFUSED with the reason."""
        return run(sql)

    @tool
    def metric_query(metric: str, start: str, end: str, dimensions: list[str] | None = None,
                     filters: dict[str, list[str]] | None = None, limit: int | None = None) -> str:
        """Query a named metric for a window (start inclusive, end exclusive, YYYY-MM-DD), grouped by dimensions, filtered by dimension values."""
        try:
            window = Window(f"{start} to {end}", date.fromisoformat(start), date.fromisoformat(end))
            plan = QueryPlan(
                "ranking" if limit else ("breakdown" if dimensions else "total"), (metric,), window,
                dimensions=tuple(dimensions or ()),
                filters=tuple(Filter(d, tuple(v)) for d, v in (filters or {}).items()),
                limit=limit,
            )
            return run(render_sql(plan, planner.model))
        except (KeyError, ValueError, PlanError) as problem:
            return f"ERROR: {problem}. Metrics: {', '.join(planner.model.metrics)}; dimensions: {', '.join(planner.model.dimensions)}."

    @tool
    def find_values(dimension: str, text: str) -> str:
        """Values of a dimension in the warehouse that look like the text (for filters)."""
        values = planner.values.values.get(dimension)
        if values is None:
            return f"ERROR: no dimension {dimension!r}; dimensions: {', '.join(planner.values.values)}."
        needle = text.lower().replace(" ", "").replace("-", "")
        found = [v for v in values if needle in v.lower().replace(" ", "").replace("-", "")][:20]
        return json.dumps(found)

    return [metric_query, run_sql, find_values]

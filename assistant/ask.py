"""`ask(question, context) -> Answer`: the single entry point of every channel.

The router tries the offline planner; what it cannot place gets its
clarification (route `none`). The language-model route joins with the agent.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import date, timedelta

from dataclasses import replace

from sqlglot import exp

from assistant import insights
from assistant.answer import Answer, AnswerError, AskContext
from assistant.budgets import narrate_budgets, render_budget_query
from assistant.charts import chart_for
from assistant.narrate import narrate
from assistant.plan import Clarification, QueryPlan
from assistant.planner import Planner, PlannerContext
from assistant.render import PlanError, render_sql
from assistant.semantic import load_semantic_model
from assistant.suggestions import follow_ups
from assistant.values import ValueIndex
from warehouse.errors import FinopsError
from warehouse.executor import Executor
from warehouse.guard import validate_sql
from warehouse.info import AS_OF_TABLES

log = logging.getLogger("finops")
# Clarifications a language model may still answer (never unsafe requests or ambiguous values).
MODEL_CAN_TRY = ("unknown_question", "not_supported")
_planners: dict[tuple[int, float], tuple[Planner, date | None]] = {}
_lock = threading.Lock()


def ask(question: str, context: AskContext) -> Answer:
    started = time.perf_counter()
    executor = context.executor or Executor(context.settings)
    try:
        answer = _answer(question, context, executor)
    except FinopsError as error:
        answer = Answer(question, "none", error=AnswerError(error.kind, error.user_message))
    except Exception:  # our bug: logged with an id, answered plainly
        request_id = uuid.uuid4().hex[:8]
        log.exception("internal error %s answering %r", request_id, question)
        answer = Answer(
            question, "none",
            error=AnswerError("internal", f"Something went wrong on our side (request {request_id}); the details are in the log."),
        )
    finally:
        if context.executor is None:
            executor.close()
    return _with_elapsed(answer, started)


def _with_elapsed(answer: Answer, started: float) -> Answer:
    return replace(answer, elapsed_ms=(time.perf_counter() - started) * 1000)


def planner_for(executor: Executor) -> tuple[Planner, date | None]:
    """The planner and the data's as_of for the warehouse as it is now (rebuilt after a load)."""
    version = executor.lake.version()
    key = (id(executor), version)
    with _lock:
        if key not in _planners:
            model = load_semantic_model()
            values = ValueIndex.build(executor, model)
            _planners.clear()
            _planners[key] = (Planner(model, values), _data_as_of(executor))
        return _planners[key]


def _data_as_of(executor: Executor) -> date | None:
    """The day after the latest day with data, cached beside the value index for this data version."""
    cached = executor.lake.read_cache("as_of")
    if isinstance(cached, dict) and "as_of" in cached:
        return date.fromisoformat(cached["as_of"]) if cached["as_of"] else None
    found = _latest_day(executor)
    executor.lake.write_cache("as_of", {"as_of": found.isoformat() if found else None})
    return found


def _latest_day(executor: Executor) -> date | None:
    model = load_semantic_model()
    latest = []
    for table in AS_OF_TABLES:
        column = model.time_column(table)
        value = executor.query(exp.select(exp.Max(this=exp.column(column))).from_(table).sql("duckdb")).rows[0][0]
        if value is not None:
            latest.append(value.date() if hasattr(value, "date") else value)
    return max(latest) + timedelta(days=1) if latest else None


def _answer(question: str, context: AskContext, executor: Executor) -> Answer:
    planner, data_as_of = planner_for(executor)
    as_of = context.as_of or context.settings.as_of or data_as_of
    if as_of is None:
        return Answer(question, "none", error=AnswerError("warehouse", "The warehouse is empty. Load data with `finops ingest PATH`."))
    previous = context.previous.plan if context.previous is not None else None
    if context.route == "llm":
        answer = model_answer(question, context, executor, planner, as_of)
        if answer.answered or answer.suggestions:
            return answer
        # The model failed: what the planner would say helps the user go on.
        result = planner.plan(question, PlannerContext(as_of=as_of, previous=previous))
        if isinstance(result, Clarification):
            return replace(answer, suggestions=list(result.suggestions))
        return replace(answer, suggestions=[question], error=AnswerError(
            answer.error.kind, f"{answer.error.message} The offline planner can answer this one: ask it with --route planner (or auto)."))
    result = planner.plan(question, PlannerContext(as_of=as_of, previous=previous))
    if isinstance(result, Clarification):
        if context.route == "auto" and result.kind in MODEL_CAN_TRY and context.settings.model_configured:
            answer = model_answer(question, context, executor, planner, as_of)
            if answer.answered:
                return answer
            # The model was tried and failed: say so, then what the planner can offer; its calls still cost.
            return Answer(question, "none", suggestions=list(result.suggestions), llm_usage=answer.llm_usage,
                          error=AnswerError(answer.error.kind, f"{answer.error.message} {result.message}"))
        return Answer(question, "none", suggestions=list(result.suggestions), error=AnswerError(result.kind, result.message))
    if result.intent == "savings":
        return insights.answer_savings(question, result, context, executor, as_of)
    if result.intent == "forecast":
        return insights.answer_forecast(question, result, context, executor, as_of)
    if result.intent == "anomalies":
        return insights.answer_anomalies(question, result, context, executor, as_of)
    answer = run_plan(question, result, context, executor, planner)
    if result.intent == "why_changed" and answer.answered:
        answer = insights.explain_change(answer, result, context, executor)
    if result.intent == "budget" and answer.answered:
        answer = insights.answer_budget_outlook(answer, result, context, executor, as_of)
    return answer


def model_answer(question: str, context: AskContext, executor: Executor, planner: Planner, as_of: date) -> Answer:
    """The language model's answer, or the stored one when the same question was answered on the same data."""
    from assistant.agent import answer_with_model
    from assistant.retrieval import metered_embeddings

    if not context.settings.model_configured:
        return answer_with_model(question, context, executor, planner, as_of)
    question_id = uuid.uuid4().hex[:16]
    # Paid embeddings (FINOPS_EMBEDDINGS=openai) made for the cache, the examples and the answer are this question's.
    with metered_embeddings() as embedding_calls:
        answer = _model_or_stored_answer(question, context, executor, planner, as_of, question_id)
    _record_embeddings(question, context, executor, question_id, embedding_calls)
    return answer


def _model_or_stored_answer(question, context, executor, planner, as_of, question_id) -> Answer:
    from assistant.agent import answer_with_model
    from assistant.retrieval import CacheKey, memory_for

    memory = context.memory
    try:
        memory = memory or memory_for(context.settings)
        key = CacheKey(f"{executor.lake.version():.6f}", as_of.isoformat(), str(context.scope or ""))
        stored = memory.cached_answer(question, key)
    except Exception as failure:  # noqa: BLE001 - without the store the model still answers
        log.warning("answer cache unavailable: %s", failure)
        memory, stored = None, None
    if stored is not None:
        cached = Answer.from_json(stored)
        return replace(cached, question=question, route="cache", llm_usage=type(cached.llm_usage)())
    answer = answer_with_model(question, context, executor, planner, as_of, memory=memory, question_id=question_id)
    # Answers about the assistant's own usage change with every question, so they are never stored.
    if memory is not None and answer.answered and "assistant_usage" not in (answer.sql or ""):
        try:
            memory.remember_answer(question, key, answer.to_json())
        except Exception as failure:  # noqa: BLE001
            log.warning("could not store the answer: %s", failure)
    return answer


def _record_embeddings(question, context, executor, question_id: str, calls: list[tuple[str, int]]) -> None:
    from assistant.agent import model_price, record_calls

    for model in dict.fromkeys(model for model, _ in calls):
        tokens = [(n, 0) for name, n in calls if name == model]
        record_calls(question, context, question_id, "embeddings", model, tokens, model_price(model, executor))


def explain(question: str, context: AskContext, dialect: str = "duckdb") -> tuple[QueryPlan | Clarification, str | None]:
    """The plan and the guarded SQL a question would run, without running it (other engines via transpile)."""
    from warehouse.transpile import transpile

    executor = context.executor or Executor(context.settings)
    try:
        planner, data_as_of = planner_for(executor)
        as_of = context.as_of or context.settings.as_of or data_as_of
        previous = context.previous.plan if context.previous is not None else None
        plan = planner.plan(question, PlannerContext(as_of=as_of, previous=previous))
        if isinstance(plan, Clarification) or plan.intent in ("anomalies", "savings", "forecast"):
            return plan, None
        sql = render_budget_query(plan, planner.model).sql("duckdb") if plan.intent == "budget" else render_sql(plan, planner.model)
        safe = validate_sql(sql, schema=executor.schema(), max_rows=context.settings.max_rows, scope=context.scope)
        return plan, safe if dialect == "duckdb" else transpile(safe, dialect)
    finally:
        if context.executor is None:
            executor.close()


def run_plan(question: str, plan: QueryPlan, context: AskContext, executor: Executor, planner: Planner) -> Answer:
    model = planner.model
    try:
        if plan.intent == "budget":
            sql = render_budget_query(plan, model).sql(dialect="duckdb")
        else:
            sql = render_sql(plan, model)
    except PlanError as error:
        return Answer(question, "none", plan=plan, error=AnswerError("not_supported", str(error)))
    safe = validate_sql(sql, schema=executor.schema(), max_rows=context.settings.max_rows, scope=context.scope)
    result = executor.query(safe)
    if plan.intent == "budget":
        text = narrate_budgets(plan, result.columns, result.rows, model)
    else:
        text = narrate(plan, result.columns, result.rows, model, result.truncated)
    return Answer(
        question=question,
        route="planner",
        text=text,
        window=plan.window,
        sql=safe,
        columns=result.columns,
        rows=result.rows,
        chart=chart_for(plan, result.columns, result.rows, model),
        suggestions=follow_ups(plan, model),
        plan=plan,
        truncated=result.truncated,
    )

"""`ask(question, context) -> Answer`: the router every channel calls; `explain`, the same route without running.

1. Read: the planner for the warehouse as it is now reads the question against
   `as_of` (`understand/`), following up the previous answer's plan.
2. Route: `--route llm` asks the language model first (the planner's reading
   helps the user when it fails); on `auto`, a question the planner cannot place
   goes to the model when one is configured and the planner allows it (never an
   unsafe request or an ambiguous value); otherwise the clarification is the answer.
3. Answer: savings, forecast and anomalies are analyses of their own; every other
   plan is run (`run_plan`), and why-changed and budget questions add their
   analysis to the figure.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from assistant.analysis import insights
from assistant.analysis.reconciliation import answer_reconciliation
from assistant.analysis.whatif import answer_whatif
from assistant.answer import Answer, AnswerError, AskContext, Route
from assistant.llm.route import model_answer
from assistant.query.plan import ANALYSIS_INTENTS, Clarification, Intent, QueryPlan
from assistant.query.reading import reading_of
from assistant.run_plan import plan_sql, run_plan
from assistant.understand.planner import Planner, PlannerContext
from assistant.understand.planners import planner_for, resolve_as_of
from warehouse.errors import ErrorKind, FinopsError, internal_error_message, log_internal_error
from warehouse.executor import Executor

__all__ = ["ask", "explain", "planner_for", "resolve_as_of"]

log = logging.getLogger("finops")
# Clarifications a language model may still answer (never unsafe requests or ambiguous values).
MODEL_CAN_TRY = (ErrorKind.UNKNOWN_QUESTION, ErrorKind.NOT_SUPPORTED, ErrorKind.PARTLY_UNDERSTOOD)
# Intents answered by their analysis instead of one query.
ANALYSES: dict[Intent, Callable[..., Answer]] = {
    Intent.SAVINGS: insights.answer_savings,
    Intent.FORECAST: insights.answer_forecast,
    Intent.ANOMALIES: insights.answer_anomalies,
    Intent.RECONCILIATION: answer_reconciliation,
    Intent.WHAT_IF: answer_whatif,
}


def ask(question: str, context: AskContext) -> Answer:
    """The answer to a question; errors a user can act on become the answer's error, our bugs an id."""
    started = time.perf_counter()
    executor = context.executor or Executor(context.settings)
    try:
        answer = _answer(question, context, executor)
    except FinopsError as error:
        answer = Answer(question, Route.NONE, error=AnswerError(error.kind, error.user_message))
    except Exception:  # our bug: logged with an id, answered plainly
        request_id = log_internal_error(log, "answering %r", question)
        answer = Answer(question, Route.NONE, error=AnswerError(ErrorKind.INTERNAL, internal_error_message(request_id)))
    finally:
        if context.executor is None:
            executor.close()
    return replace(answer, elapsed_ms=(time.perf_counter() - started) * 1000)


def explain(question: str, context: AskContext, dialect: str = "duckdb") -> tuple[QueryPlan | Clarification, str | None]:
    """The plan and the guarded SQL a question would run, without running it (other engines via transpile).

    An analysis intent has no single statement: its SQL is None.
    """
    from warehouse.transpile import transpile

    executor = context.executor or Executor(context.settings)
    try:
        planner, as_of = _reader(context, executor)
        plan = _read(question, context, planner, as_of)
        if isinstance(plan, Clarification) or plan.intent in ANALYSIS_INTENTS:
            return plan, None
        safe = executor.guard(plan_sql(plan, planner.model), scope=context.scope, max_rows=context.settings.max_rows)
        return plan, safe if dialect == "duckdb" else transpile(safe, dialect)
    finally:
        if context.executor is None:
            executor.close()


def _reader(context: AskContext, executor: Executor) -> tuple[Planner, date]:
    planner, _ = planner_for(executor)
    return planner, resolve_as_of(executor, context.settings, context.as_of)


def _read(question: str, context: AskContext, planner: Planner, as_of: date) -> QueryPlan | Clarification:
    previous = context.previous.plan if context.previous is not None else None
    return planner.plan(question, PlannerContext(as_of=as_of, previous=previous))


def _answer(question: str, context: AskContext, executor: Executor) -> Answer:
    """The answer, with how its plan was read in the words of the planner's model (its tag dimensions too)."""
    planner, as_of = _reader(context, executor)
    answer = _answer_with(question, context, executor, planner, as_of)
    if answer.reading is None and isinstance(answer.plan, QueryPlan):
        answer = replace(answer, reading=reading_of(answer.plan, planner.model))
    return answer


def _answer_with(question: str, context: AskContext, executor: Executor, planner: Planner, as_of: date) -> Answer:
    if context.route == "llm":
        return _model_first(question, context, executor, planner, as_of)
    reading = _read(question, context, planner, as_of)
    if isinstance(reading, Clarification):
        return _clarified(question, reading, context, executor, planner, as_of)
    if reading.intent in ANALYSES:
        return ANALYSES[reading.intent](question, reading, context, executor, as_of)
    answer = run_plan(question, reading, context, executor, planner.model)
    if not answer.answered:
        return answer
    if reading.intent == Intent.WHY_CHANGED:
        return insights.explain_change(answer, reading, context, executor)
    if reading.intent == Intent.BUDGET:
        return insights.answer_budget_outlook(answer, reading, context, executor, as_of)
    return answer


def _model_first(question: str, context: AskContext, executor: Executor, planner: Planner, as_of: date) -> Answer:
    """`--route llm`: the model's answer; when it fails, what the planner would say helps the user go on."""
    answer = model_answer(question, context, executor, planner, as_of)
    if answer.answered or answer.suggestions or answer.error is None:
        return answer
    reading = _read(question, context, planner, as_of)
    if isinstance(reading, Clarification):
        return replace(answer, suggestions=list(reading.suggestions))
    return replace(answer, suggestions=[question], error=AnswerError(
        answer.error.kind, f"{answer.error.message} The offline planner can answer this one: ask it with --route planner (or auto)."))


def _clarified(question: str, reading: Clarification, context: AskContext, executor: Executor, planner: Planner,
               as_of: date) -> Answer:
    """A question the planner could not place: the model's answer when allowed, else the clarification."""
    partial = reading_of(reading.reading, planner.model) if reading.reading is not None else None
    unanswered = Answer(question, Route.NONE, suggestions=list(reading.suggestions), reading=partial,
                        error=AnswerError(reading.kind, reading.message, reading.unplaced))
    if not (context.route == "auto" and reading.kind in MODEL_CAN_TRY and context.settings.model_configured):
        return unanswered
    hint = None
    if partial is not None:
        hint = f"The offline planner understood {partial['text']}, but not: {', '.join(reading.unplaced)}."
    answer = model_answer(question, context, executor, planner, as_of, hint=hint)
    if answer.answered or answer.error is None:
        return answer
    # The model was tried and failed: say so, then what the planner can offer; its calls still cost.
    return replace(unanswered, llm_usage=answer.llm_usage,
                   error=AnswerError(answer.error.kind, f"{answer.error.message} {reading.message}"))

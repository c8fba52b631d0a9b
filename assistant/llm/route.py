"""The language-model route: the agent's answer, or a stored one for the same question on the same data.

Every paid embeddings call made for the answer (the cache lookup, the examples,
storing the answer) is billed to the question (`assistant_usage`).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import date

from assistant.answer import Answer, AskContext, LlmUsage, Route
from assistant.understand.planner import Planner
from warehouse.executor import Executor

log = logging.getLogger("finops")


def model_answer(question: str, context: AskContext, executor: Executor, planner: Planner, as_of: date,
                 hint: str | None = None) -> Answer:
    """The language model's answer, or the stored one when the same question was answered on the same data.

    `hint` tells the model what the offline planner understood of the question and what it did not.
    """
    from assistant.llm.agent import answer_with_model
    from assistant.llm.retrieval import metered_embeddings

    if not context.settings.model_configured:
        return answer_with_model(question, context, executor, planner, as_of, hint=hint)
    question_id = uuid.uuid4().hex[:16]
    # Paid embeddings (FINOPS_EMBEDDINGS=openai) made for the cache, the examples and the answer are this question's.
    with metered_embeddings() as embedding_calls:
        answer = _model_or_stored_answer(question, context, executor, planner, as_of, question_id, hint)
    _record_embeddings(question, context, executor, question_id, embedding_calls)
    return answer


def _model_or_stored_answer(question: str, context: AskContext, executor: Executor, planner: Planner,
                            as_of: date, question_id: str, hint: str | None) -> Answer:
    from assistant.llm.agent import answer_with_model
    from assistant.llm.retrieval import CacheKey, memory_for

    memory = context.memory
    key = CacheKey(f"{executor.lake.version():.6f}", as_of.isoformat(), str(context.scope or ""))
    try:
        memory = memory or memory_for(context.settings)
        stored = memory.cached_answer(question, key)
    except Exception as failure:  # noqa: BLE001 - without the store the model still answers
        log.warning("answer cache unavailable: %s", failure)
        memory, stored = None, None
    if stored is not None:
        cached = Answer.from_json(stored)
        return replace(cached, question=question, route=Route.CACHE, llm_usage=LlmUsage())
    answer = answer_with_model(question, context, executor, planner, as_of, memory=memory, question_id=question_id, hint=hint)
    # Answers about the assistant's own usage change with every question, so they are never stored.
    if memory is not None and answer.answered and "assistant_usage" not in (answer.sql or ""):
        try:
            memory.remember_answer(question, key, answer.to_json())
        except Exception as failure:  # noqa: BLE001
            log.warning("could not store the answer: %s", failure)
    return answer


def _record_embeddings(question: str, context: AskContext, executor: Executor, question_id: str,
                       calls: list[tuple[str, int]]) -> None:
    from assistant.llm.agent import model_price, record_calls

    for model in dict.fromkeys(model for model, _ in calls):
        tokens = [(n, 0) for name, n in calls if name == model]
        record_calls(question, context, question_id, "embeddings", model, tokens, model_price(model, executor))

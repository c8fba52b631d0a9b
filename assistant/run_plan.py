"""`run_plan`: a `QueryPlan`'s answer — its SQL rendered, guarded and run, then narrated and charted.

`plan_sql` is the SQL a plan runs before the guard; `explain` shows the same
statement without running it, so the two never disagree.
"""

from __future__ import annotations

from assistant.analysis.budgets import narrate_budgets, render_budget_query
from assistant.answer import Answer, AnswerError, AskContext, Route
from assistant.present.charts import chart_for
from assistant.present.narrate import narrate
from assistant.query.plan import Intent, QueryPlan
from assistant.query.render import PlanError, render_sql
from assistant.semantic import SemanticModel
from assistant.understand.suggestions import follow_ups
from warehouse.errors import ErrorKind
from warehouse.executor import Executor


def plan_sql(plan: QueryPlan, model: SemanticModel) -> str:
    """The plan's SQL before the guard (a budget plan reads `budgets` beside the spend); raises `PlanError`."""
    if plan.intent == Intent.BUDGET:
        return render_budget_query(plan, model).sql(dialect="duckdb")
    return render_sql(plan, model)


def run_plan(question: str, plan: QueryPlan, context: AskContext, executor: Executor, model: SemanticModel) -> Answer:
    """Run the plan through the guard and the caller's scope; the figure first in words, the chart by rules."""
    try:
        sql = plan_sql(plan, model)
    except PlanError as error:
        return Answer(question, Route.NONE, plan=plan, error=AnswerError(ErrorKind.NOT_SUPPORTED, str(error)))
    result = executor.run_sql(sql, scope=context.scope, max_rows=context.settings.max_rows)
    if plan.intent == Intent.BUDGET:
        text = narrate_budgets(plan, result.columns, result.rows, model)
    else:
        text = narrate(plan, result.columns, result.rows, model, result.truncated)
    return Answer(
        question=question,
        route=Route.PLANNER,
        text=text,
        window=plan.window,
        sql=result.sql,
        columns=result.columns,
        rows=result.rows,
        chart=chart_for(plan, result.columns, result.rows, model),
        suggestions=follow_ups(plan, model),
        plan=plan,
        truncated=result.truncated,
    )

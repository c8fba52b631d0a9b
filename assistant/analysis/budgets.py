"""Budgets: spend so far against each monthly budget of `budgets`, in one query.

A budget row caps one metric (`cost`, `inference_cost` or `gpu_cost`) for one
scope (`total`, or a team, feature, model or service) per calendar month.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from assistant.query.plan import OVER_ONLY_NOTE, QueryPlan
from assistant.query.render import time_between
from assistant.semantic import SemanticModel

BUDGET_METRICS = ("cost", "inference_cost", "gpu_cost")
SCOPES = ("team", "feature", "model", "service")


def budget_metric(plan_metrics: tuple[str, ...], model: SemanticModel) -> str | None:
    """The budgeted metric a question names ('GPU budget' -> gpu_cost), or None for all."""
    tables = {model.metrics[m].table for m in plan_metrics if m != "budget"}
    for name in BUDGET_METRICS:
        if model.metrics[name].table in tables:
            return name
    return None


def render_budget_query(plan: QueryPlan, model: SemanticModel) -> exp.Select:
    metric = budget_metric(plan.metrics, model)
    scopes = {f.dimension: f.values for f in plan.filters if f.dimension in SCOPES}
    wanted_scopes = [d for d in plan.dimensions if d in SCOPES]
    parts = []
    for name in BUDGET_METRICS:
        if metric and name != metric:
            continue
        spec = model.metrics[name]
        time_column = exp.column(model.timed_column(spec.table))
        where = time_between(time_column, plan.window.start, plan.window.end)
        parts.append(
            exp.select(
                exp.alias_(exp.Literal.string(name), "metric"),
                exp.alias_(exp.Literal.string("total"), "scope"),
                exp.alias_(exp.cast(exp.null(), "VARCHAR"), "scope_value"),
                exp.alias_(spec.expression.copy(), "spend"),
            ).from_(spec.table).where(where.copy())
        )
        for scope in SCOPES:
            column = model.dimensions[scope].columns.get(spec.table)
            if column is None:
                continue
            parts.append(
                exp.select(
                    exp.Literal.string(name),
                    exp.Literal.string(scope),
                    exp.cast(column.copy(), "VARCHAR"),
                    spec.expression.copy(),
                ).from_(spec.table).where(where.copy()).group_by(column.copy())
            )
    spend: exp.Query = parts[0]
    for part in parts[1:]:
        spend = exp.union(spend, part, distinct=False)
    b, s = "b", "s"
    used = exp.Div(this=exp.func("coalesce", exp.column("spend", s), exp.Literal.number(0)), expression=exp.column("amount_usd", b))
    conditions: list[exp.Expr] = [exp.EQ(this=exp.column("period", b), expression=exp.Literal.string("month"))]
    if metric:
        conditions.append(exp.EQ(this=exp.column("metric", b), expression=exp.Literal.string(metric)))
    if scopes:
        for scope, values in scopes.items():
            conditions.append(exp.EQ(this=exp.column("scope", b), expression=exp.Literal.string(scope)))
            conditions.append(exp.column("scope_value", b).isin(*[exp.Literal.string(v) for v in values]))
    elif wanted_scopes:
        conditions.append(exp.column("scope", b).isin(*[exp.Literal.string(d) for d in wanted_scopes]))
    elif "total" in plan.notes:
        conditions.append(exp.EQ(this=exp.column("scope", b), expression=exp.Literal.string("total")))
    if OVER_ONLY_NOTE in plan.notes:
        conditions.append(exp.GT(this=used.copy(), expression=exp.Literal.number(1)))
    query = (
        exp.select(
            exp.column("metric", b),
            exp.column("scope", b),
            exp.alias_(exp.column("scope_value", b), "scope_value"),
            exp.alias_(exp.column("amount_usd", b), "budget"),
            exp.alias_(exp.func("coalesce", exp.column("spend", s), exp.Literal.number(0)), "spend"),
            exp.alias_(used, "budget_used"),
            exp.alias_(exp.Sub(this=exp.func("coalesce", exp.column("spend", s), exp.Literal.number(0)),
                               expression=exp.column("amount_usd", b)), "over_by"),  # negative: left to spend
        )
        .with_("spend", as_=spend)
        .from_(exp.alias_(exp.to_table("budgets"), b, table=True))
        .join(
            exp.alias_(exp.to_table("spend"), s, table=True),
            on=exp.and_(
                exp.EQ(this=exp.column("metric", s), expression=exp.column("metric", b)),
                exp.EQ(this=exp.column("scope", s), expression=exp.column("scope", b)),
                exp.NullSafeEQ(this=exp.column("scope_value", s), expression=exp.column("scope_value", b)),
            ),
            join_type="left",
        )
        .where(exp.and_(*conditions))
        .order_by(exp.Ordered(this=exp.column("budget_used"), desc=True, nulls_first=False))
    )
    return query


def narrate_budgets(plan: QueryPlan, columns: Sequence[str], rows: Sequence[tuple], model: SemanticModel) -> str:
    from assistant.present.narrate import window_in_words
    from assistant.present.numbers import money

    if not rows and OVER_ONLY_NOTE in plan.notes:
        return f"**No budget is over its limit** {window_in_words(plan.window)}."
    if not rows:
        return f"No budgets match {window_in_words(plan.window)}. Budgets live in the budgets table (`finops ingest`)."
    at = {name: i for i, name in enumerate(columns)}
    over = [r for r in rows if r[at["budget_used"]] is not None and r[at["budget_used"]] > 1]
    def name(row: tuple) -> str:
        scope = row[at["scope"]]
        label = model.metrics[row[at["metric"]]].label
        return f"{label} (total)" if scope == "total" else f"{scope} {row[at['scope_value']]} {label}"
    head = (
        f"**{len(over)} {'budget is' if len(over) == 1 else 'budgets are'} over** {window_in_words(plan.window)}"
        if OVER_ONLY_NOTE in plan.notes else
        f"**{len(over)} of {len(rows)} budgets are over** {window_in_words(plan.window)}"
        if over else f"**All {len(rows)} budgets are within their limits** {window_in_words(plan.window)}"
    )
    lines = [head + "."]
    for row in rows[:5]:
        over_by = row[at["over_by"]]
        lines.append(
            f"- {name(row)}: {money(row[at['spend']])} of {money(row[at['budget']])} "
            f"({row[at['budget_used']] * 100:.1f}%{f', over by {money(over_by)}' if over_by > 0 else ''})"
        )
    return "\n".join(lines)

"""Rendering a `QueryPlan` to SQL with sqlglot's builder (never string formatting).

The SQL is DuckDB's; `warehouse.transpile` rewrites it for other engines. Groups
are explicit (no GROUP BY ALL) so every engine reads them the same way.

>>> from datetime import date
>>> from assistant.query.window import Window
>>> from assistant.query.plan import BOTH_WAYS_NOTE, QueryPlan
>>> plan = QueryPlan("total", ("requests",), Window("yesterday", date(2026, 11, 22), date(2026, 11, 23)))
>>> render_sql(plan)
"SELECT COUNT(*) AS requests FROM llm_requests WHERE ts >= CAST('2026-11-22' AS TIMESTAMP) AND ts < CAST('2026-11-23' AS TIMESTAMP)"
"""

from __future__ import annotations

from datetime import date

from sqlglot import exp

from assistant.query.plan import BOTH_WAYS_NOTE, ID_DIMENSIONS, QueryPlan
from assistant.query.prices import priced_requests
from assistant.semantic import SemanticModel, load_semantic_model

BILLING_PERIOD = "BillingPeriodStart"


class PlanError(ValueError):
    """A plan that cannot become SQL (a dimension its metric's table lacks, mixed tables)."""


def _timestamp(day: date) -> exp.Expr:
    return exp.cast(exp.Literal.string(day.isoformat()), "TIMESTAMP")


def time_between(column: exp.Expr, start: date, end: date) -> exp.Expr:
    return exp.and_(
        exp.GTE(this=column.copy(), expression=_timestamp(start)),
        exp.LT(this=column.copy(), expression=_timestamp(end)),
    )


def only_when(expression: exp.Expr, condition: exp.Expr) -> exp.Expr:
    """The metric expression with every aggregate limited to rows meeting `condition` (FILTER)."""
    expression = expression.copy()

    def limit(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Filter):
            where = node.expression.this
            return exp.Filter(this=node.this, expression=exp.Where(this=exp.and_(where, condition.copy())))
        if isinstance(node, exp.AggFunc) and not isinstance(node.parent, exp.Filter):
            return exp.Filter(this=node, expression=exp.Where(this=condition.copy()))
        return node

    return expression.transform(limit, copy=False)


def is_additive(metric: exp.Expr) -> bool:
    """A plain SUM or COUNT (filtered or not): its value over no rows is 0, and a month's is the sum of its days."""
    node = metric.this if isinstance(metric, exp.Filter) else metric
    return isinstance(node, (exp.Sum, exp.Count))


def plan_table(plan: QueryPlan, model: SemanticModel) -> str:
    tables = {model.metrics[m].table for m in plan.metrics}
    if len(tables) != 1:
        raise PlanError(
            f"{' and '.join(model.metrics[m].label for m in plan.metrics)} come from different tables; ask for them one at a time."
        )
    return tables.pop()


def dimension_expression(dimension: str, table: str, model: SemanticModel) -> exp.Expr:
    column = model.dimensions[dimension].columns.get(table)
    if column is None:
        raise PlanError(f"cannot break {table} down by {dimension}")
    return column.copy()


def render_sql(plan: QueryPlan, model: SemanticModel | None = None) -> str:
    return render_query(plan, model).sql(dialect="duckdb")


def _averaged(projections: list[exp.Expr], plan: QueryPlan, time_column: exp.Expr) -> list[exp.Expr]:
    """The metrics' columns as totals per period: each over the periods from the window's start to the last period
    with data in it (a day without rows counts as zero; days after the data are not counted), then `periods`.
    Weeks are counted as days / 7 (a month's partial weeks at either end would each count as one)."""
    grain = plan.average_per or "day"
    counted = "day" if grain == "week" else grain
    unit = exp.Literal.string(counted)
    first = exp.func("date_trunc", unit.copy(), _timestamp(plan.window.start))
    last = exp.Window(this=exp.Max(this=exp.Max(this=exp.func("date_trunc", unit.copy(), time_column.copy()))), over="OVER")
    between = exp.DateDiff(this=last, expression=first, unit=exp.var(counted.upper()))
    periods: exp.Expr = exp.Add(this=between, expression=exp.Literal.number(1))
    if grain == "week":
        periods = exp.Div(this=exp.paren(periods), expression=exp.Literal.number(7.0))
    averaged: list[exp.Expr] = []
    for projection in projections:
        name = projection.alias_or_name
        if name in plan.metrics:
            per = exp.Div(this=exp.paren(projection.unalias().copy()), expression=exp.paren(periods.copy()))
            averaged.append(exp.alias_(per, f"{name}_per_{plan.average_per}"))
            averaged.append(exp.alias_(projection.unalias().copy(), f"{name}_total"))
        else:
            averaged.append(projection)
    return [*averaged, exp.alias_(periods, "periods")]


def render_query(plan: QueryPlan, model: SemanticModel | None = None) -> exp.Select:
    model = model or load_semantic_model()
    table = plan_table(plan, model)
    # "February's invoice": the charges billed in that period (corrections included), not those incurred in it
    time_column = exp.column(BILLING_PERIOD if plan.billing_period and table == "billing" else model.timed_column(table))
    window = plan.window
    groups: list[tuple[str, exp.Expr]] = []
    if plan.grain and plan.intent in ("trend", "ranking"):  # a series, or its periods ranked ("which day ...")
        bucket = exp.func("date_trunc", exp.Literal.string(plan.grain), time_column.copy())
        groups.append((plan.grain, bucket))
    groups += [(d, dimension_expression(d, table, model)) for d in plan.dimensions]

    share_of_part = plan.intent == "share" and not groups and bool(plan.filters)
    part: exp.Expr = exp.and_(*[dimension_filter(f, table, model) for f in plan.filters]) if share_of_part else exp.true()
    conditions = [] if share_of_part else [dimension_filter(f, table, model) for f in plan.filters]
    conditions += [dimension_filter(f, table, model) for f in plan.within]  # the whole of a share: bounds both sides
    if plan.intent == "ranking":  # "our 5 most expensive resources": rows without a resource are not one
        conditions += [exp.Not(this=exp.Is(this=expression.copy(), expression=exp.null()))
                       for name, expression in groups if name in ID_DIMENSIONS]
    compare = plan.compared and plan.intent in ("comparison", "why_changed", "total")
    current: exp.Expr = exp.true()
    previous: exp.Expr = exp.true()
    if compare and window.compare_start is not None and window.compare_end is not None:
        current = time_between(time_column, window.start, window.end)
        previous = time_between(time_column, window.compare_start, window.compare_end)
        start, end = min(window.start, window.compare_start), max(window.end, window.compare_end)
        conditions.insert(0, time_between(time_column, start, end))
    else:
        compare = False
        conditions.insert(0, time_between(time_column, window.start, window.end))

    projections = [exp.alias_(expression.copy(), name) for name, expression in groups]
    order: list[exp.Ordered] = []
    for name in plan.metrics:
        metric = model.metrics[name].expression
        if compare:
            now, before = only_when(metric, current), only_when(metric, previous)
            if groups and is_additive(metric):  # a group absent from one window had 0 there, not an unknown
                now, before = (exp.func("coalesce", e, exp.Literal.number(0)) for e in (now, before))
            projections.append(exp.alias_(now, name))
            projections.append(exp.alias_(before, f"{name}_previous"))
            # Parenthesized: a metric such as `1 - a / b` must not lose its sign when subtracted.
            change = exp.Sub(this=exp.paren(now.copy(), copy=False), expression=exp.paren(before.copy(), copy=False))
            projections.append(exp.alias_(change, f"{name}_change"))
        else:
            projections.append(exp.alias_(metric.copy(), name))
    main = plan.metric
    if share_of_part:  # "what share of inference cost is support-chat": the part over the whole
        whole = model.metrics[main].expression
        projections = [
            exp.alias_(only_when(whole, part), main),
            exp.alias_(exp.Div(this=only_when(whole, part), expression=whole.copy()), "share"),
        ]
    if plan.intent == "share" and groups:
        total = exp.Window(this=exp.Sum(this=model.metrics[main].expression.copy()), over="OVER")
        projections.append(exp.alias_(exp.Div(this=model.metrics[main].expression.copy(), expression=total), "share"))

    if plan.average_per and not compare:  # "average daily cost": each total over the periods of the window
        projections = _averaged(projections, plan, time_column)
    if plan.ratio and len(plan.metrics) == 2 and not compare:  # "retry cost as a share of inference cost"
        numerator, denominator = (model.metrics[m].expression for m in plan.metrics)
        name = "share" if plan.ratio == "share" else f"{plan.metrics[0]}_per_{plan.metrics[1]}"
        ratio = exp.Div(this=exp.paren(numerator.copy()),
                        expression=exp.func("nullif", exp.paren(denominator.copy()), exp.Literal.number(0)))
        projections.append(exp.alias_(ratio, name))
    query = exp.select(*projections).from_(_source(plan, table, model)).where(exp.and_(*conditions))
    if groups:
        query = query.group_by(*[expression.copy() for _, expression in groups])
    main_expression = model.metrics[main].expression
    # A ratio qualifies a group by its denominator: tag coverage of a service with usage but no tags is 0%, shown.
    condition = (main_expression.expression if isinstance(main_expression, exp.Div) else main_expression).find(exp.Filter)
    if groups and condition is not None and not compare and not plan.ratio and plan.intent in ("breakdown", "ranking", "unit_cost", "trend"):
        # "retry cost by feature", "credits per month": a group or period none of whose rows qualify is left out
        qualifying = exp.Filter(this=exp.Count(this=exp.Star()), expression=condition.expression.copy())
        query = query.having(exp.and_(
            exp.GT(this=qualifying, expression=exp.Literal.number(0)),
            exp.Not(this=exp.Is(this=model.metrics[main].expression.copy(), expression=exp.null())),
        ))
    for threshold in plan.thresholds:
        compare_to = {">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE}[threshold.op]
        query = query.having(compare_to(this=model.metrics[threshold.metric].expression.copy(),
                                        expression=exp.Literal.number(threshold.value)))
    if plan.intent == "trend" and plan.grain:
        order = [exp.Ordered(this=exp.column(plan.grain))] + [exp.Ordered(this=exp.column(d)) for d in plan.dimensions]
    elif groups:
        key = f"{main}_change" if compare and plan.intent != "total" else main
        key = f"{main}_per_{plan.average_per}" if plan.average_per and not compare else key
        ranked: exp.Expr = exp.column(key)
        if compare and BOTH_WAYS_NOTE in plan.notes:  # "biggest movers": the largest changes, up or down
            ranked = exp.func("abs", ranked)
        # Ties broken by the groups themselves, so the same question reads the same on every run and engine.
        order = [exp.Ordered(this=ranked, desc=not plan.ascending, nulls_first=False)]
        order += [exp.Ordered(this=exp.column(name), nulls_first=False) for name, _ in groups]
    if order:
        query = query.order_by(*order)
    if plan.limit:
        query = query.limit(plan.limit)
    return query


def _source(plan: QueryPlan, table: str, model: SemanticModel) -> exp.Expr:
    """The table, or for a priced metric the requests with their list prices under the table's own name."""
    if not any(model.metrics[m].priced for m in plan.metrics):
        return exp.to_table(table)
    return priced_requests(table).subquery(table)


def dimension_filter(f, table: str, model: SemanticModel) -> exp.Expr:
    column = dimension_expression(f.dimension, table, model)
    values = [exp.Literal.string(v) for v in f.values]
    condition = exp.EQ(this=column, expression=values[0]) if len(values) == 1 else exp.In(this=column, expressions=values)
    if not f.negate:
        return condition
    # "excluding staging" keeps the rows without an environment: NOT (NULL = 'staging') alone would drop them
    return exp.or_(exp.Not(this=exp.paren(condition)), exp.Is(this=column.copy(), expression=exp.null()))

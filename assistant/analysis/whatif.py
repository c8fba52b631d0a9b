"""What-if: a change priced against the window's actual traffic, always an estimate with its assumptions.

Each scenario (`assistant.query.plan.Scenario`) is one query over the window's
`llm_requests` (the plan's filters applied, one row per group of its dimensions):
`requests`, `actual_cost` (the logged `cost_usd`), `whatif_cost`, `difference`
(what-if minus actual; negative is a saving) and `savings` (actual minus what-if: the same
figure the way "how much would we save" asks it). Prices come from `model_prices`
valid at each request's time, through `assistant.query.prices` — the same code
as the savings finder's routing and caching findings, so a finding and its
what-if give the same figure.

- reprice: every request at the target model's prices (cached and cache-write
  tokens at its cached and cache-write prices); a request at a time the target
  had no price keeps its actual cost.
- cache: a repeat (its prompt_hash already sent the same UTC day, or within the
  TTL said) pays the cached-input price for its uncached input tokens.
- batch: the traffic named pays its model's batch discount (`batch_discount_pct`,
  else the percent said, else DEFAULT_BATCH_DISCOUNT_PCT).
- shorter: input tokens cut by the percent said, priced at the model's list prices.
- ceiling: no request costs more than the ceiling (the number said, else the
  least of the budgets' max_cost_per_request_usd for its team, feature or model).
- self_hosted: not a change but a comparison: the GPU cost of a self-hosted
  model's deployments per 1M tokens it served (idle hours included, and busy time
  only) beside each API model's list price for the same traffic (`self_hosted.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlglot import exp

from assistant.analysis.self_hosted import SELF_HOSTED
from assistant.answer import Answer, AskContext, Route
from assistant.present.numbers import money
from assistant.query.plan import QueryPlan, Scenario
from assistant.query.prices import cache_repeat, repeat_saved, request_cost, same_model, valid_at
from assistant.query.render import dimension_expression, dimension_filter, time_between
from assistant.semantic import SemanticModel, load_semantic_model

if TYPE_CHECKING:
    from datetime import date

    from warehouse.executor import Executor

# The provider batch APIs (OpenAI, Anthropic) take half off; used when model_prices has no batch_discount_pct.
DEFAULT_BATCH_DISCOUNT_PCT = 50.0
MONTH_DAYS = 30
ESTIMATE = "Estimate (what-if)"


@dataclass(frozen=True)
class WhatIf:
    """A priced scenario: its query, its table, and the assumptions the text states."""

    sql: str
    columns: tuple[str, ...]
    rows: list[tuple]
    assumptions: tuple[str, ...]


def _requests(plan: QueryPlan, model: SemanticModel, extra: list[exp.Expr] | None = None,
              lookback_minutes: float | None = None) -> exp.Select:
    """The window's requests, the plan's filters applied, with each group's value as group_<dimension>.

    `extra` columns (window expressions) are computed over all the window's requests, before the filters, and over
    the `lookback_minutes` before the window too (a prompt sent at 23:58 the day before is cached at 00:01).
    """
    table = "llm_requests"
    groups = [exp.alias_(dimension_expression(d, table, model), f"group_{d}") for d in plan.dimensions]
    time = exp.column(model.timed_column(table))
    start = plan.window.start
    read_from = datetime.combine(start, datetime.min.time()) - timedelta(minutes=lookback_minutes) if lookback_minutes else start
    filters = [dimension_filter(f, table, model) for f in plan.filters]
    if lookback_minutes:
        filters.insert(0, time_between(time, start, plan.window.end))
    window_rows = exp.select(exp.Star(), *(extra or [])).from_(table).where(time_between(time, read_from, plan.window.end))
    query = exp.select(exp.Star(), *groups).from_(window_rows.subquery("windowed"))
    return query.where(exp.and_(*filters)) if filters else query


def _priced_at(price: str, scenario: Scenario) -> exp.Expr:
    """The join condition of the price row a request is priced at: its own model's, or the target's."""
    if scenario.kind == "reprice" and scenario.model:
        target = exp.Literal.string(scenario.model.lower())
        # A model sold by several providers is priced at one of them: the first by name, so no request counts twice.
        provider = (exp.select(exp.func("min", exp.func("lower", exp.column("provider")))).from_("model_prices")
                    .where(exp.EQ(this=exp.func("lower", exp.column("model")), expression=target.copy())))
        return exp.and_(
            exp.EQ(this=exp.func("lower", exp.column("model", table=price)), expression=target),
            exp.EQ(this=exp.func("lower", exp.column("provider", table=price)), expression=provider.subquery()),
            valid_at(price, "r"),
        )
    return exp.and_(same_model(price, "r"), valid_at(price, "r"))


def _whatif_cost(scenario: Scenario, ceiling: exp.Expr | None) -> exp.Expr:
    """One request's cost under the scenario (`r` the request, `p` its price row)."""
    actual = exp.column("cost_usd", table="r")
    price_known = exp.Not(this=exp.Is(this=exp.column("input_usd_per_mtok", table="p"), expression=exp.null()))
    if scenario.kind == "reprice":
        return exp.func("coalesce", request_cost("r", "p"), actual)
    if scenario.kind == "cache":
        saved = exp.If(this=exp.column("is_repeat", table="r"), true=repeat_saved("r", "p"), false=exp.Literal.number(0))
        return exp.Sub(this=actual, expression=exp.func("coalesce", saved, exp.Literal.number(0)))
    if scenario.kind == "batch":
        said = exp.Literal.number(scenario.percent) if scenario.percent is not None else None
        listed = said or exp.func("coalesce", exp.column("batch_discount_pct", table="p"), exp.Literal.number(DEFAULT_BATCH_DISCOUNT_PCT))
        own = exp.EQ(this=exp.func("lower", exp.column("provider", table="r")), expression=exp.Literal.string(SELF_HOSTED))
        discount = exp.If(this=own, true=exp.Literal.number(0), false=listed)  # our own GPUs have no batch API
        return exp.Mul(this=actual, expression=exp.paren(exp.Sub(this=exp.Literal.number(1), expression=exp.Div(
            this=discount, expression=exp.Literal.number(100)))))
    if scenario.kind == "shorter":
        kept = 1 - (scenario.percent or 0) / 100
        cut = exp.Sub(this=exp.paren(request_cost("r", "p")), expression=exp.paren(request_cost("r", "p", input_share=kept)))
        return exp.Sub(this=actual, expression=exp.If(this=price_known, true=cut, false=exp.Literal.number(0)))
    if scenario.kind == "ceiling":
        assert ceiling is not None
        return exp.func("least", actual, exp.func("coalesce", ceiling, actual))
    raise ValueError(f"no per-request cost for scenario {scenario.kind!r}")


def _ceiling(scenario: Scenario) -> tuple[exp.Expr, list[exp.Join]]:
    """The request's ceiling: the number said, else the least budgets ceiling of its team, feature or model."""
    if scenario.ceiling_usd is not None:
        return exp.Literal.number(scenario.ceiling_usd), []
    joins = []
    for scope, column in (("team", "team"), ("feature", "feature"), ("model", "model")):
        ceilings = (exp.select("scope_value", exp.alias_(exp.func("min", exp.column("max_cost_per_request_usd")), "ceiling"))
                    .from_("budgets")
                    .where(exp.and_(exp.EQ(this=exp.column("scope"), expression=exp.Literal.string(scope)),
                                    exp.Not(this=exp.Is(this=exp.column("max_cost_per_request_usd"), expression=exp.null()))))
                    .group_by("scope_value"))
        alias = f"ceiling_{scope}"
        joins.append(exp.Join(this=ceilings.subquery(alias), side="LEFT",
                              on=exp.EQ(this=exp.column("scope_value", table=alias), expression=exp.column(column, table="r"))))
    least = exp.func("least", *[exp.column("ceiling", table=f"ceiling_{scope}") for scope in ("team", "feature", "model")])
    return least, joins


def scenario_query(plan: QueryPlan, model: SemanticModel | None = None) -> exp.Select:
    """The scenario's query: one row per group, actual against what-if (see the module docstring)."""
    model = model or load_semantic_model()
    scenario = plan.scenario
    assert scenario is not None and scenario.kind != "self_hosted", "a priced change"
    extra = [exp.alias_(cache_repeat(scenario.ttl_minutes), "is_repeat")] if scenario.kind == "cache" else None
    source = _requests(plan, model, extra, scenario.ttl_minutes if scenario.kind == "cache" else None)
    ceiling, joins = _ceiling(scenario) if scenario.kind == "ceiling" else (None, [])
    cost = _whatif_cost(scenario, ceiling)
    actual = exp.func("sum", exp.column("cost_usd", table="r"))
    whatif = exp.func("sum", cost)
    projections: list[exp.Expr] = [exp.alias_(exp.column(f"group_{d}", table="r"), d) for d in plan.dimensions]
    projections += [exp.alias_(exp.Count(this=exp.Star()), "requests")]
    if scenario.kind == "ceiling":
        over = exp.GT(this=exp.column("cost_usd", table="r"), expression=ceiling.copy() if ceiling else exp.null())
        projections.append(exp.alias_(exp.func("count_if", over), "requests_over"))
    if scenario.kind == "cache":
        projections.append(exp.alias_(exp.func("count_if", exp.column("is_repeat", table="r")), "repeats"))
    if scenario.kind == "reprice":
        projections.append(exp.alias_(exp.Count(this=exp.column("input_usd_per_mtok", table="p")), "repriced_requests"))
    projections += [exp.alias_(actual, "actual_cost"), exp.alias_(whatif.copy(), "whatif_cost"),
                    exp.alias_(exp.Sub(this=whatif.copy(), expression=actual.copy()), "difference"),
                    exp.alias_(exp.Sub(this=actual.copy(), expression=whatif.copy()), "savings")]
    if scenario.per_month:
        scale = exp.Literal.number(MONTH_DAYS / max(plan.window.days, 1))
        projections.append(exp.alias_(exp.Mul(this=exp.paren(exp.Sub(this=whatif.copy(), expression=actual.copy())),
                                              expression=scale), "difference_per_month"))
    query = exp.select(*projections).from_(source.subquery("r"))
    if scenario.kind != "ceiling":
        query = query.join(exp.alias_(exp.to_table("model_prices"), "p", table=True), on=_priced_at("p", scenario), join_type="left")
    for join in joins:
        query = query.join(join)
    if plan.dimensions:
        query = query.group_by(*[exp.column(f"group_{d}", table="r") for d in plan.dimensions])
        query = query.order_by(exp.Ordered(this=exp.column("difference")), *[exp.Ordered(this=exp.column(d), nulls_first=False)
                                                                          for d in plan.dimensions])
    return query


def assumptions(scenario: Scenario) -> tuple[str, ...]:
    """What the estimate takes for granted, in words (every answer states them)."""
    prices = "Prices are model_prices rows valid at each request's time."
    said = {
        "reprice": (f"Every request is priced at {scenario.model}'s prices, with the same tokens in and out and the same "
                    "share of cached and cache-write tokens (at its cached and cache-write prices).",
                    "A request at a time it had no price keeps its actual cost; quality and latency are not compared."),
        "cache": ("A repeat is a request whose prompt_hash was already sent "
                  + (f"within the {scenario.ttl_minutes:g} minutes before." if scenario.ttl_minutes else "earlier the same UTC day.")
                  + " Its uncached input tokens would be read from the cache at its model's cached-input price.",
                  "Output tokens and the first request of each prompt cost the same; cache-write premiums are not added."),
        "batch": ("The traffic named runs through the provider's batch API at its batch discount "
                  + (f"({scenario.percent:g}% as said)." if scenario.percent is not None else
                     f"(model_prices.batch_discount_pct, else {DEFAULT_BATCH_DISCOUNT_PCT:g}%)."),
                  "Batched requests wait up to a day; self-hosted traffic has no discount to take."),
        "shorter": (f"Every prompt is {scenario.percent or 0:g}% shorter: input, cached and cache-write tokens each cut by "
                    f"that share, output unchanged.", "The tokens cut are priced at the model's list prices."),
        "ceiling": (("A ceiling of " + money(scenario.ceiling_usd) + " per request, as asked.") if scenario.ceiling_usd is not None
                    else "Each request's ceiling is the least budgets.max_cost_per_request_usd of its team, feature or model; "
                         "requests with none are not capped.",
                    "Capping means a request over the ceiling would have cost the ceiling (shorter context or output)."),
    }
    return said[scenario.kind] if scenario.kind == "ceiling" else (*said[scenario.kind], prices)


def price_scenario(plan: QueryPlan, context: AskContext, executor: Executor) -> WhatIf:
    query = scenario_query(plan)
    result = executor.run_sql(query.sql(dialect="duckdb"), scope=context.scope, max_rows=context.settings.max_rows)
    assert plan.scenario is not None
    return WhatIf(result.sql, tuple(result.columns), list(result.rows), assumptions(plan.scenario))


def narrate_whatif(plan: QueryPlan, whatif: WhatIf) -> str:
    """Markdown: labelled an estimate, actual then what-if then the difference, then the assumptions."""
    scenario = plan.scenario
    assert scenario is not None
    at = {name: i for i, name in enumerate(whatif.columns)}
    actual = sum(row[at["actual_cost"]] or 0.0 for row in whatif.rows)
    changed = sum(row[at["whatif_cost"]] or 0.0 for row in whatif.rows)
    difference = changed - actual
    where = ", ".join(f.describe() for f in plan.filters)
    scope = f" where {where}" if where else ""
    head = (f"**{ESTIMATE}:** {_scenario_words(scenario)}{scope}, {plan.window.label} would have cost "
            f"**{money(changed)}** against **{money(actual)}** actual: {_change_words(difference)}.")
    if scenario.per_month:
        head += f" That is about **{money(abs(difference) * MONTH_DAYS / max(plan.window.days, 1))} per month** " \
                f"({'saved' if difference <= 0 else 'more'}, scaled from {plan.window.days} days)."
    if scenario.kind == "ceiling":
        over = sum(row[at["requests_over"]] or 0 for row in whatif.rows)
        total = sum(row[at["requests"]] or 0 for row in whatif.rows)
        head = (f"**{ESTIMATE}:** {over:,} of {total:,} requests{scope} went over the per-request ceiling "
                f"{plan.window.label}; capping them would have saved **{money(-difference)}** "
                f"({money(actual)} actual, {money(changed)} capped).")
    lines = [head, "", "Assumptions:"] + [f"- {a}" for a in whatif.assumptions]
    return "\n".join(lines)


def _scenario_words(scenario: Scenario) -> str:
    return {
        "reprice": f"on {scenario.model}, the traffic",
        "cache": "with repeated prompts cached, the traffic",
        "batch": "batched, the traffic",
        "shorter": f"with prompts {scenario.percent or 0:g}% shorter, the traffic",
        "ceiling": "capped, the traffic",
        "self_hosted": "the traffic",
    }[scenario.kind]


def _change_words(difference: float) -> str:
    if abs(difference) < 0.005:
        return "no difference"
    return f"{money(-difference)} less" if difference < 0 else f"{money(difference)} more"


def answer_whatif(question: str, plan: QueryPlan, context: AskContext, executor: Executor, as_of: date) -> Answer:
    """The what-if's Answer: text, the actual/what-if/difference table, its SQL."""
    assert plan.scenario is not None
    if plan.scenario.kind == "self_hosted":
        from assistant.analysis.self_hosted import answer_self_hosted

        return answer_self_hosted(question, plan, context, executor)
    whatif = price_scenario(plan, context, executor)
    return Answer(question, Route.PLANNER, text=narrate_whatif(plan, whatif), window=plan.window, sql=whatif.sql,
                  columns=whatif.columns, rows=whatif.rows, plan=plan,
                  suggestions=["Where can we save money?", "Cache hit rate by feature last week", "Cost per 1M tokens by model last month"])

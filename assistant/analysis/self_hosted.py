"""Self-hosted against API: what a million tokens of our own model really costs, beside the API models' prices.

A self-hosted model (llm_requests.provider = 'self-hosted') logs no cost; its
cost is the GPU hours of the deployments that serve it. A deployment serves the
model named in `gpu_usage.model` when that optional column is set, else the
self-hosted model whose name begins the deployment's (`llama-3.1-70b-prod`
serves `llama-3.1-70b`). For the window:

    cost per 1M tokens (idle included) = GPU cost of its deployments / tokens served x 1e6
    cost per 1M tokens (busy only)     = sum of cost_usd x gpu_util_pct / 100 over them / tokens served x 1e6

and for each API model (every model_prices row of another provider with an
output price), the same requests priced at its prices valid at each request's
time (`assistant.query.prices.request_cost`), per 1M of the same tokens. Models
named in the question narrow either side; other filters do not apply (GPU hours
have no feature).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

from assistant.answer import Answer, AskContext, Route
from assistant.present.numbers import money
from assistant.query.plan import QueryPlan
from assistant.query.prices import request_cost, valid_at
from assistant.query.render import time_between

if TYPE_CHECKING:
    from warehouse.executor import Executor

SELF_HOSTED = "self-hosted"
IDLE_INCLUDED = "self-hosted: GPU cost, idle hours included"
BUSY_ONLY = "self-hosted: GPU cost of busy time only"
API_PRICE = "API list price for the same traffic"

_QUERY = """
WITH served AS (
  SELECT model, count(*) AS requests, sum(input_tokens + output_tokens) AS tokens
  FROM requests GROUP BY model
), gpu AS (
  SELECT s.model, sum(g.cost_usd) AS gpu_cost, sum(g.cost_usd * g.gpu_util_pct / 100) AS busy_cost
  FROM gpus AS g
  JOIN served AS s ON coalesce(lower(g.model) = lower(s.model), starts_with(lower(g.deployment), lower(s.model)))
  GROUP BY s.model
), api AS (
  SELECT p.provider, p.model, sum(COST) AS cost
  FROM requests AS r JOIN model_prices AS p ON VALID AND lower(p.provider) <> 'self-hosted' AND p.output_usd_per_mtok > 0
  WHERE API_MODELS
  GROUP BY p.provider, p.model
)
SELECT s.model, 'self-hosted' AS provider, 'IDLE' AS basis, g.gpu_cost AS cost_usd, s.tokens,
       g.gpu_cost / nullif(s.tokens, 0) * 1e6 AS cost_per_mtok
FROM served AS s LEFT JOIN gpu AS g ON g.model = s.model
UNION ALL
SELECT s.model, 'self-hosted', 'BUSY', g.busy_cost, s.tokens, g.busy_cost / nullif(s.tokens, 0) * 1e6
FROM served AS s LEFT JOIN gpu AS g ON g.model = s.model
UNION ALL
SELECT a.model, a.provider, 'API', a.cost, t.tokens, a.cost / nullif(t.tokens, 0) * 1e6
FROM api AS a CROSS JOIN (SELECT sum(tokens) AS tokens FROM served) AS t
ORDER BY basis DESC, cost_per_mtok
"""


def _self_hosted_models(executor: Executor) -> set[str]:
    result = executor.query("SELECT DISTINCT lower(model) FROM llm_requests WHERE lower(provider) = 'self-hosted'")
    return {row[0] for row in result.rows if row[0]}


def self_hosted_query(plan: QueryPlan, own_models: set[str]) -> exp.Expr:
    """The comparison's query; models named in the plan's model filter narrow each side."""
    named = [v.lower() for f in plan.filters if f.dimension == "model" and not f.negate for v in f.values]
    ours = [m for m in named if m in own_models]
    theirs = [m for m in named if m not in own_models]
    window = time_between(exp.column("ts"), plan.window.start, plan.window.end)
    mine: exp.Expr = exp.EQ(this=exp.func("lower", exp.column("provider")), expression=exp.Literal.string(SELF_HOSTED))
    if ours:
        mine = exp.and_(mine, exp.In(this=exp.func("lower", exp.column("model")), expressions=[exp.Literal.string(m) for m in ours]))
    requests = exp.select("*").from_("llm_requests").where(exp.and_(window, mine))
    gpus = exp.select("*").from_("gpu_usage").where(time_between(exp.column("hour"), plan.window.start, plan.window.end))
    api_models: exp.Expr = exp.true()
    if theirs:
        api_models = exp.In(this=exp.func("lower", exp.column("model", table="p")), expressions=[exp.Literal.string(m) for m in theirs])
    labels = {"IDLE": IDLE_INCLUDED, "BUSY": BUSY_ONLY, "API": API_PRICE}

    def fill(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and node.name in ("COST", "VALID", "API_MODELS") and not node.table:
            return {"COST": request_cost("r", "p"), "VALID": valid_at("p", "r"), "API_MODELS": api_models}[node.name].copy()
        if isinstance(node, exp.Literal) and node.is_string and node.name in labels:
            return exp.Literal.string(labels[node.name])
        return node

    tree = sqlglot.parse_one(_QUERY, read="duckdb").transform(fill)
    ctes = tree.find(exp.With)  # the window's requests and GPU hours first: the template's CTEs read them
    first = [exp.CTE(this=query, alias=exp.TableAlias(this=exp.to_identifier(name))) for name, query in (("requests", requests), ("gpus", gpus))]
    assert ctes is not None, "the template starts WITH"
    ctes.set("expressions", first + list(ctes.expressions))
    return tree


def answer_self_hosted(question: str, plan: QueryPlan, context: AskContext, executor: Executor) -> Answer:
    """Our models' cost per 1M tokens, idle included and busy only, beside the API models' prices."""
    query = self_hosted_query(plan, _self_hosted_models(executor))
    result = executor.run_sql(query.sql(dialect="duckdb"), scope=context.scope, max_rows=context.settings.max_rows)
    at = {name: i for i, name in enumerate(result.columns)}
    rows = list(result.rows)
    ours = [r for r in rows if r[at["basis"]] == IDLE_INCLUDED]
    busy = {r[at["model"]]: r for r in rows if r[at["basis"]] == BUSY_ONLY}
    api = [r for r in rows if r[at["basis"]] == API_PRICE and r[at["cost_per_mtok"]] is not None]
    if not ours:
        text = f"No self-hosted traffic {plan.window.label}: no request has provider 'self-hosted'."
    else:
        lines = []
        for row in ours:
            name, per_mtok = row[at["model"]], row[at["cost_per_mtok"]]
            busy_per_mtok = busy[name][at["cost_per_mtok"]] if name in busy else None
            line = (f"**{name}** cost **{money(per_mtok)} per 1M tokens** {plan.window.label} with idle GPU time, "
                    f"{money(busy_per_mtok)} counting busy GPU time only ({money(row[at['cost_usd']])} of GPU hours "
                    f"over {row[at['tokens']] or 0:,.0f} tokens).")
            if per_mtok is not None and busy_per_mtok is not None:
                line += f" Idle GPU time adds {money(per_mtok - busy_per_mtok)} per 1M tokens."
            cheaper = [r for r in api if per_mtok is not None and r[at["cost_per_mtok"]] < per_mtok]
            if api and per_mtok is not None:
                line += (f" {len(cheaper)} of {len(api)} API models would have cost less for the same traffic"
                         + (f", the cheapest {api[0][at['model']]} at {money(api[0][at['cost_per_mtok']])} per 1M." if cheaper
                            else f"; the cheapest, {api[0][at['model']]}, costs {money(api[0][at['cost_per_mtok']])} per 1M."))
            lines.append(line)
        text = "\n".join(lines)
    text += ("\n\nHow it is computed: GPU cost of the deployments serving the model (gpu_usage.model, else the deployment "
             "named after it) / tokens it served; API models priced at their model_prices rows valid at each request's "
             "time for the same requests. An estimate: latency, quality and engineering time are not priced.")
    scenario = plan.scenario
    dropped = set()  # the rows the question did not ask for: the other basis, the API models when not compared
    if scenario is not None and scenario.basis is not None:
        dropped.add(IDLE_INCLUDED if scenario.basis == "busy" else BUSY_ONLY)
    if scenario is not None and not scenario.with_api:
        dropped.add(API_PRICE)
    rows = [r for r in rows if r[at["basis"]] not in dropped]
    return Answer(question, Route.PLANNER, text=text, window=plan.window, sql=result.sql, columns=tuple(result.columns),
                  rows=rows, plan=plan, suggestions=["Idle GPU cost by deployment last month", "GPU utilization by deployment last week"])

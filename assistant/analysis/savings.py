"""Savings: where the money leaks, each finding with an estimated monthly saving.

Every finder reads one window (by default the 30 days before as_of) through the
guard, so a caller's row scope applies, and scales its dollars to 30 days:
`monthly_usd = dollars in the window * 30 / days in the window`. Prices are the
`model_prices` rows valid at as_of. Findings may overlap (a retried request on a
large model counts in both); the total is an upper bound, not a sum of
independent actions. Untagged spend is money to attribute, not to save: it is
listed after the savings and kept out of their total.

>>> s = Saving("retry_waste", "feature", "support-chat", 30.0, {"retries": 12}, "Cut retries.")
>>> savings_table([s])[1]
[['retry_waste', 'feature', 'support-chat', 30.0, 'retries=12', 'Cut retries.']]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

import sqlglot
from sqlglot import exp

from assistant.present.numbers import figure, money
from assistant.query.prices import repeat_saved, request_cost, valid_at
from assistant.query.window import Window
from assistant.understand.timewords import default_window

if TYPE_CHECKING:
    from warehouse.executor import Executor
    from warehouse.scope import Scope
    from warehouse.settings import Settings

# Routing: a feature whose calls to a large-tier model are this short is a candidate for a small one.
ROUTING_MAX_MEDIAN_INPUT_TOKENS = 2_000
ROUTING_MAX_MEDIAN_OUTPUT_TOKENS = 500
# Findings worth less than this per month are left out.
MIN_MONTHLY_USD = 0.01
MONTH_DAYS = 30
# Kinds whose dollars are spend to attribute, not money saved.
ATTRIBUTION_KINDS = frozenset({"untagged_spend"})
KIND_LABELS = {
    "routing": "Model routing",
    "prompt_caching": "Prompt caching",
    "retry_waste": "Retry waste",
    "idle_gpu": "Idle GPU capacity",
    "unallocated_gpu": "Unallocated GPU hours",
    "unit_cost_ceiling": "Unit-cost ceiling exceeded",
    "untagged_spend": "Untagged spend",
}


@dataclass(frozen=True)
class Saving:
    kind: str
    dimension: str
    value: str | None
    monthly_usd: float
    evidence: dict
    recommendation: str


# Prices valid at as_of; a NULL cached price means the input price.
_PRICES = """
SELECT lower(provider) AS provider, lower(model) AS model, model AS model_name, tier,
       input_usd_per_mtok AS input_price,
       coalesce(cached_input_usd_per_mtok, input_usd_per_mtok) AS cached_price,
       output_usd_per_mtok AS output_price
FROM model_prices
WHERE valid_from <= :now AND (valid_to IS NULL OR valid_to > :now)
"""

# The candidates' requests are re-priced at the small model's prices valid at each request's time
# (assistant.query.prices, as the what-if "on <model>" does); a request it had no price for keeps its cost.
_ROUTING = """
WITH prices AS (PRICES), usage AS (
  SELECT feature, provider, model, count(*) AS requests, sum(cost_usd) AS cost,
         median(input_tokens) AS median_input, median(output_tokens) AS median_output
  FROM llm_requests
  WHERE ts >= :start AND ts < :end
  GROUP BY feature, provider, model
), candidates AS (
  SELECT u.*, s.provider AS small_provider, s.model_name AS small_model
  FROM usage AS u
  JOIN prices AS l ON l.provider = lower(u.provider) AND l.model = lower(u.model) AND l.tier = 'large'
  JOIN prices AS s ON s.provider = lower(u.provider) AND s.tier = 'small'
    AND (s.output_price > 0 OR l.output_price = 0)
  WHERE u.median_input < :max_input AND u.median_output < :max_output
), repriced AS (
  SELECT c.feature, c.provider, c.model, c.small_model, sum(coalesce(REQUEST_COST, r.cost_usd)) AS repriced
  FROM candidates AS c
  JOIN llm_requests AS r ON r.feature IS NOT DISTINCT FROM c.feature AND r.provider = c.provider AND r.model = c.model
    AND r.ts >= :start AND r.ts < :end
  LEFT JOIN model_prices AS p ON lower(p.provider) = c.small_provider AND lower(p.model) = lower(c.small_model) AND VALID_AT
  GROUP BY c.feature, c.provider, c.model, c.small_model
)
SELECT c.feature, c.provider, c.model, c.requests, c.cost, c.median_input, c.median_output, c.small_model, x.repriced
FROM candidates AS c
JOIN repriced AS x ON x.feature IS NOT DISTINCT FROM c.feature AND x.provider = c.provider AND x.model = c.model
  AND x.small_model = c.small_model
ORDER BY c.cost DESC
"""

# A repeat is a request whose prompt_hash was already sent that day (SEMANTICS.md, repeat_share; the same rule
# as assistant.query.prices.cache_repeat); its saving is priced at its model's prices valid at its time
# (assistant.query.prices, as the what-if "cache repeated prompts"). Requests are counted over every prompt,
# repeats only among the (day, prompt) pairs sent more than once: one pass finds those pairs by a hash of the
# pair (a collision only adds a request to rank, never a repeat), and the ranking runs on their requests alone,
# not on a window over the whole window's rows. A raw-row pass is unavoidable: which request came first is a
# property of single requests.
_CACHING = """
WITH sent_again AS (
  SELECT hash(date_trunc('day', ts), prompt_hash) AS pair
  FROM llm_requests
  WHERE ts >= :start AND ts < :end AND prompt_hash IS NOT NULL
  GROUP BY pair
  HAVING count(*) > 1
), ranked AS (
  SELECT *, row_number() OVER (PARTITION BY date_trunc('day', ts), prompt_hash ORDER BY ts, request_id) > 1 AS is_repeat
  FROM llm_requests
  WHERE ts >= :start AND ts < :end AND prompt_hash IS NOT NULL
    AND hash(date_trunc('day', ts), prompt_hash) IN (SELECT pair FROM sent_again)
), repeats AS (
  SELECT r.feature, r.model, count(*) AS repeats,
         sum(r.input_tokens - coalesce(r.cached_input_tokens, 0) - coalesce(r.cache_write_input_tokens, 0)) AS repeat_uncached_tokens,
         sum(REPEAT_SAVED) AS saved
  FROM ranked AS r
  JOIN model_prices AS p ON lower(p.provider) = lower(r.provider) AND lower(p.model) = lower(r.model) AND VALID_AT
  WHERE r.is_repeat AND coalesce(p.cached_input_usd_per_mtok, p.input_usd_per_mtok) < p.input_usd_per_mtok
  GROUP BY r.feature, r.model
), requests AS (
  SELECT r.feature, r.model, count(*) AS requests,
         min(p.input_usd_per_mtok) AS input_price, min(coalesce(p.cached_input_usd_per_mtok, p.input_usd_per_mtok)) AS cached_price
  FROM llm_requests AS r
  JOIN model_prices AS p ON lower(p.provider) = lower(r.provider) AND lower(p.model) = lower(r.model) AND VALID_AT
  WHERE r.ts >= :start AND r.ts < :end AND r.prompt_hash IS NOT NULL
    AND coalesce(p.cached_input_usd_per_mtok, p.input_usd_per_mtok) < p.input_usd_per_mtok
  GROUP BY r.feature, r.model
)
SELECT q.feature, q.model, q.requests, coalesce(x.repeats, 0) AS repeats, x.repeat_uncached_tokens, x.saved,
       q.input_price, q.cached_price
FROM requests AS q
LEFT JOIN repeats AS x ON x.feature IS NOT DISTINCT FROM q.feature AND x.model = q.model
ORDER BY x.saved DESC
"""

_RETRIES = """
SELECT feature, count(*) AS requests, sum(cost_usd) AS cost,
       count_if(attempt > 1) AS retries, count_if(status <> 'ok') AS failures,
       coalesce(sum(cost_usd) FILTER (WHERE attempt > 1), 0) AS retry_cost,
       coalesce(sum(cost_usd) FILTER (WHERE status <> 'ok'), 0) AS failed_cost,
       coalesce(sum(cost_usd) FILTER (WHERE attempt > 1 OR status <> 'ok'), 0) AS waste
FROM llm_requests
WHERE ts >= :start AND ts < :end
GROUP BY feature
ORDER BY waste DESC
"""

_GPU = """
SELECT cluster, node_id, deployment, count(*) AS hours, count(DISTINCT date_trunc('day', hour)) AS days,
       sum(cost_usd) AS cost, sum(cost_usd * (1 - gpu_util_pct / 100)) AS idle_cost,
       sum(gpu_util_pct * cost_usd) / nullif(sum(cost_usd), 0) AS utilization
FROM gpu_usage
WHERE hour >= :start AND hour < :end
GROUP BY cluster, node_id, deployment
ORDER BY idle_cost DESC
"""

# Usage lines only: taxes, credits and purchases carry no team tag to fix.
_UNTAGGED = """
SELECT ServiceName, sum(EffectiveCost) AS cost, count(*) AS lines
FROM billing
WHERE ChargePeriodStart >= :start AND ChargePeriodStart < :end
  AND coalesce(Tags['team'], '') = '' AND ChargeCategory = 'Usage'
GROUP BY ServiceName
ORDER BY cost DESC
"""

# The ceiling is checked day by day: a breach that started last week is not averaged away.
# Team, feature and model days come from one pass over the window (GROUPING SETS).
_UNIT_COST = """
WITH ceilings AS (
  SELECT DISTINCT scope, scope_value, max_cost_per_request_usd AS ceiling
  FROM budgets
  WHERE max_cost_per_request_usd IS NOT NULL AND scope IN ('team', 'feature', 'model')
), cube AS (
  SELECT team, feature, model, date_trunc('day', ts) AS day, grouping(team) AS no_team, grouping(feature) AS no_feature,
         count(*) AS requests, sum(cost_usd) AS cost
  FROM llm_requests WHERE ts >= :start AND ts < :end
  GROUP BY GROUPING SETS ((team, date_trunc('day', ts)), (feature, date_trunc('day', ts)), (model, date_trunc('day', ts)))
), daily AS (
  SELECT CASE WHEN no_team = 0 THEN 'team' WHEN no_feature = 0 THEN 'feature' ELSE 'model' END AS scope,
         CASE WHEN no_team = 0 THEN team WHEN no_feature = 0 THEN feature ELSE model END AS scope_value,
         day, requests, cost
  FROM cube
)
SELECT c.scope, c.scope_value, c.ceiling, sum(d.requests) AS requests, sum(d.cost) AS cost,
       sum(greatest(d.cost - c.ceiling * d.requests, 0)) AS excess,
       count_if(d.cost > c.ceiling * d.requests) AS days_over, count(*) AS days,
       sum(d.cost) FILTER (WHERE d.cost > c.ceiling * d.requests)
         / sum(d.requests) FILTER (WHERE d.cost > c.ceiling * d.requests) AS cost_per_request_over
FROM ceilings AS c
JOIN daily AS d ON d.scope = c.scope AND d.scope_value = c.scope_value
GROUP BY c.scope, c.scope_value, c.ceiling
ORDER BY excess DESC
"""


# The shared re-pricing pieces a template names (assistant.query.prices): one formula for findings and what-ifs.
_REPRICING = {
    "REQUEST_COST": lambda: request_cost("r", "p"),
    "VALID_AT": lambda: valid_at("p", "r"),
    "REPEAT_SAVED": lambda: repeat_saved("r", "p"),
}


class RowReader(Protocol):
    """Runs one of the templates above with its `:name` values bound; the rows as dicts."""

    def __call__(self, template: str, **values: object) -> list[dict]: ...


def _literal(value: object) -> exp.Expr:
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), "TIMESTAMP")
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def bind(template: str, **values: object) -> str:
    """A constant SQL template with each `:name` replaced by a literal (never by text).

    >>> bind("SELECT 1 FROM t WHERE ts >= :start AND x < :n", start=date(2026, 11, 1), n=5)
    "SELECT 1 FROM t WHERE ts >= CAST('2026-11-01' AS TIMESTAMP) AND x < 5"
    """
    tree = sqlglot.parse_one(template.replace("(PRICES)", f"({_PRICES})"), read="duckdb")

    def fill(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Placeholder):
            return _literal(values[node.name])
        if isinstance(node, exp.Column) and not node.table and node.name in _REPRICING:
            return _REPRICING[node.name]().copy()
        return node

    return tree.transform(fill).sql(dialect="duckdb")


def _rows(executor: Executor, settings: Settings, scope: Scope | None, template: str, **values: object) -> list[dict]:
    result = executor.run_sql(bind(template, **values), scope=scope, max_rows=settings.max_rows)
    return [dict(zip(result.columns, row)) for row in result.rows]


def find_savings(executor: Executor, settings: Settings, *, as_of: date, scope: Scope | None = None,
                 window: Window | None = None) -> list[Saving]:
    """Every finding worth at least MIN_MONTHLY_USD: savings largest first, then untagged spend."""
    window = window or default_window(as_of)
    per_month = MONTH_DAYS / max(window.days, 1)
    values = {"start": window.start, "end": window.end, "now": as_of}

    def rows(template: str, **extra: object) -> list[dict]:
        return _rows(executor, settings, scope, template, **values, **extra)

    found = (
        _routing(rows, per_month)
        + _caching(rows, per_month)
        + _retries(rows, per_month)
        + _gpus(rows, per_month, settings.idle_gpu_util_pct)
        + _unit_costs(rows, per_month)
        + _untagged(rows, per_month)
    )
    found = [s for s in found if s.monthly_usd >= MIN_MONTHLY_USD]
    return sorted(found, key=lambda s: (s.kind in ATTRIBUTION_KINDS, -s.monthly_usd))


def _routing(rows: RowReader, per_month: float) -> list[Saving]:
    cheapest: dict[tuple, dict] = {}
    for row in rows(_ROUTING, max_input=ROUTING_MAX_MEDIAN_INPUT_TOKENS, max_output=ROUTING_MAX_MEDIAN_OUTPUT_TOKENS):
        key = (row["feature"], row["provider"], row["model"])
        if key not in cheapest or row["repriced"] < cheapest[key]["repriced"]:
            cheapest[key] = row
    found = []
    for (feature, provider, model), row in cheapest.items():
        saved = (row["cost"] or 0.0) - row["repriced"]
        found.append(Saving(
            "routing", "feature", feature, saved * per_month,
            {"provider": provider, "model": model, "small_model": row["small_model"], "requests": row["requests"],
             "median_input_tokens": row["median_input"], "median_output_tokens": row["median_output"],
             "cost_usd": row["cost"], "repriced_usd": row["repriced"]},
            f"Route {feature}'s short {model} calls (median {row['median_input']:,.0f} tokens in, "
            f"{row['median_output']:,.0f} out) to {row['small_model']}.",
        ))
    return found


def _caching(rows: RowReader, per_month: float) -> list[Saving]:
    found = []
    for row in rows(_CACHING):
        if not row["repeats"]:
            continue
        tokens = row["repeat_uncached_tokens"] or 0
        saved = row["saved"] or 0.0
        share = row["repeats"] / row["requests"]
        found.append(Saving(
            "prompt_caching", "feature", row["feature"], saved * per_month,
            {"model": row["model"], "requests": row["requests"], "repeats": row["repeats"], "repeat_share": share,
             "repeat_uncached_input_tokens": tokens, "input_usd_per_mtok": row["input_price"],
             "cached_input_usd_per_mtok": row["cached_price"]},
            f"Cache {row['feature']}'s prompts on {row['model']}: {share:.1%} of its requests repeat "
            f"a prompt already sent that day.",
        ))
    return found


def _retries(rows: RowReader, per_month: float) -> list[Saving]:
    found = []
    for row in rows(_RETRIES):
        if not row["waste"]:
            continue
        found.append(Saving(
            "retry_waste", "feature", row["feature"], row["waste"] * per_month,
            {"requests": row["requests"], "retries": row["retries"], "failures": row["failures"],
             "retry_cost_usd": row["retry_cost"], "failed_cost_usd": row["failed_cost"],
             "error_rate": row["failures"] / row["requests"]},
            f"Cut {row['feature']}'s retries and failures ({row['retries']:,} retries, {row['failures']:,} failed "
            f"calls): back off on rate limits and fix the errors behind them.",
        ))
    return found


def _gpus(rows: RowReader, per_month: float, idle_pct: float) -> list[Saving]:
    found = []
    for row in rows(_GPU):
        evidence = {"cluster": row["cluster"], "deployment": row["deployment"], "hours": row["hours"],
                    "days": row["days"], "cost_usd": row["cost"], "idle_cost_usd": row["idle_cost"],
                    "utilization_pct": row["utilization"]}
        node, util = row["node_id"], row["utilization"]
        if row["deployment"] is None:
            found.append(Saving(
                "unallocated_gpu", "node", node, (row["idle_cost"] or 0.0) * per_month, evidence,
                f"Shut down or reassign {node} in {row['cluster']}: {row['hours']:,} hours with no deployment.",
            ))
        elif util is not None and util < idle_pct:
            found.append(Saving(
                "idle_gpu", "node", node, (row["idle_cost"] or 0.0) * per_month, evidence,
                f"Consolidate or scale down {row['deployment']} on {node} in {row['cluster']}: "
                f"{util:.1f}% utilized, under the {idle_pct:g}% idle line.",
            ))
    return found


def _unit_costs(rows: RowReader, per_month: float) -> list[Saving]:
    found = []
    for row in rows(_UNIT_COST):
        if not row["excess"]:
            continue
        actual = (row["cost"] or 0.0) / row["requests"]
        found.append(Saving(
            "unit_cost_ceiling", row["scope"], row["scope_value"], row["excess"] * per_month,
            {"ceiling_usd": row["ceiling"], "cost_per_request_usd": actual, "requests": row["requests"],
             "cost_usd": row["cost"], "days_over": row["days_over"], "days": row["days"],
             "cost_per_request_on_days_over_usd": row["cost_per_request_over"],
             "window_excess_usd": max(actual - row["ceiling"], 0.0) * row["requests"]},
            f"Bring {row['scope']} {row['scope_value']} back under its {figure(row['ceiling'], 'usd')} per request "
            f"ceiling: {figure(row['cost_per_request_over'], 'usd')} per request on the {row['days_over']} of "
            f"{row['days']} days over it.",
        ))
    return found


def _untagged(rows: RowReader, per_month: float) -> list[Saving]:
    return [
        Saving(
            "untagged_spend", "service", row["ServiceName"], row["cost"] * per_month,
            {"cost_usd": row["cost"], "lines": row["lines"]},
            f"Tag {row['ServiceName']} resources with a team: this spend has no owner.",
        )
        for row in rows(_UNTAGGED)
        if row["cost"] and row["cost"] > 0
    ]


def narrate_savings(savings: list[Saving]) -> str:
    """Markdown: the monthly total first, then one line per finding."""
    kept = [s for s in savings if s.kind not in ATTRIBUTION_KINDS]
    untagged = [s for s in savings if s.kind in ATTRIBUTION_KINDS]
    if not savings:
        return "No savings found: no routing, caching, retry, idle GPU or unit-cost leak above $0.01 a month."
    total = sum(s.monthly_usd for s in kept)
    head = (
        f"**About {money(total, compact=True)} per month** could be saved across {len(kept)} findings "
        f"(estimated from the window's spend; findings can overlap)."
        if kept else "**No savings found** above $0.01 a month."
    )
    if untagged:
        head += (f" A further {money(sum(s.monthly_usd for s in untagged), compact=True)} per month "
                 f"of cloud spend has no team tag.")
    lines = [head]
    for s in kept + untagged:
        where = f"{s.dimension} {s.value}" if s.value is not None else f"{s.dimension} (none)"
        lines.append(f"- {KIND_LABELS.get(s.kind, s.kind)}, {where}: {money(s.monthly_usd, compact=True)}/month. "
                     f"{s.recommendation}")
    return "\n".join(lines)


def _evidence_text(evidence: dict) -> str:
    def cell(v):
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    return ", ".join(f"{k}={cell(v)}" for k, v in evidence.items())


def savings_table(savings: list[Saving]) -> tuple[list[str], list[list]]:
    """Columns and rows for an Answer."""
    columns = ["kind", "dimension", "value", "monthly_usd", "evidence", "recommendation"]
    rows = [[s.kind, s.dimension, s.value, round(s.monthly_usd, 2), _evidence_text(s.evidence), s.recommendation]
            for s in savings]
    return columns, rows


"""Reconciliation: tracked LLM spend (the per-request logs) against what the providers billed.

Per provider and day of a window, `llm_requests.cost_usd` (tracked) against the
billed side, which for each provider is

1. its cost report in `vendor_usage` (rows with `cost_usd`) when that report has
   rows in the window (source `vendor_usage`);
2. else its AI invoice lines in `billing`: FOCUS `Usage` lines' `EffectiveCost`,
   matched to a provider by `BILLED_PROVIDERS` (source `billing`). Taxes,
   credits and purchases are no request's cost and are left out.

Under a row scope (team=cx) the providers' reports hold no one's rows, so the
billed side is the scope's tagged invoice lines. A day belongs to the charge's
(or report bucket's) start. Variance is tracked −
billed, its % of billed. Providers with no billed side (self-hosted models) are
listed, never counted as $0 billed; a provider billed with no logs has no tracked
figure. Likely causes, each from the same two queries and with its evidence:

- `missing_logs`: days billed at least MIN_USD with no requests logged, or fewer
  than MISSING_SHARE of the provider's median requests per logged day;
- `unbilled_days`: days with logged cost the billed source has no charge for;
- `unpriced`: requests with no cost (no price at ingest): they count $0;
- `cached_full_rate`: cached input tokens logged at the full input price: the logged
  cost matches the `model_prices` recomputation with the cached price set to the
  input price better than the one with the cached price;
- `price_mismatch`: logged cost off the `model_prices` recomputation otherwise;
- `unlogged_model`: models the billed source charged for that the logs never saw.

Two queries: `_DAILY` (one aggregate pass over each of llm_requests, vendor_usage
and billing) and `_MODELS` (the same by model, with model_prices joined to the
requests' sums per price segment, not to each request).

>>> variance_pct(95.0, 100.0), signed_pct(-5.0), signed_pct(None)
(-5.0, '−5.0%', 'n/a')
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlglot import exp

from assistant.analysis.drivers import price_segment
from assistant.analysis.savings import bind
from assistant.answer import Answer, AskContext, Route
from assistant.present.charts import reconciliation_bars
from assistant.present.narrate import window_in_words
from assistant.present.numbers import figure, money
from assistant.query.plan import QueryPlan
from assistant.query.window import Window
from assistant.understand.timewords import find_time_window

if TYPE_CHECKING:
    from warehouse.executor import Executor
    from warehouse.scope import Scope
    from warehouse.settings import Settings

# FOCUS invoice lines -> llm_requests provider names: (provider, FOCUS column, lowercase substring),
# the first rule that matches wins, so marketplace resales (Claude on Bedrock, OpenAI on Azure)
# go to the platform that bills them. A line no rule matches is not an LLM provider's.
BILLED_PROVIDERS: tuple[tuple[str, str, str], ...] = (
    ("azure-openai", "ServiceName", "azure openai"),
    ("azure-openai", "ServiceName", "azure ai foundry"),
    ("bedrock", "ServiceName", "bedrock"),
    ("vertex", "ServiceName", "vertex ai"),
    ("google", "ServiceName", "gemini"),
    ("openai", "ProviderName", "openai"),
    ("openai", "PublisherName", "openai"),
    ("anthropic", "ProviderName", "anthropic"),
    ("anthropic", "PublisherName", "anthropic"),
    ("mistral", "ProviderName", "mistral"),
    ("cohere", "ProviderName", "cohere"),
)
SOURCE_LABELS = {"vendor_usage": "cost report", "billing": "invoice"}
MIN_USD = 0.01  # days and differences smaller than this are not evidence
MISSING_SHARE = 0.5  # a billed day with fewer requests than this share of the median day is missing logs
PRICE_TOLERANCE = 0.02  # logged vs recomputed cost: differences within 2% are rounding
RECONCILIATION_QUESTION = "Does our tracked LLM spend match the invoice last month?"
CAUSE_LABELS = {
    "missing_logs": "Missing logs", "unbilled_days": "Days not billed", "unpriced": "Unpriced requests",
    "cached_full_rate": "Cached tokens at the full input rate", "price_mismatch": "Logged cost off the price list",
    "unlogged_model": "Billed models the logs never saw",
}

_DAILY = """
WITH logged AS (
  SELECT coalesce(lower(provider), 'unknown') AS provider, date_trunc('day', ts) AS day, count(*) AS requests,
         sum(cost_usd) AS cost, count_if(cost_usd IS NULL) AS unpriced
  FROM llm_requests WHERE ts >= :start AND ts < :end
  GROUP BY coalesce(lower(provider), 'unknown'), date_trunc('day', ts)
), reported AS (
  SELECT lower(provider) AS provider, date_trunc('day', period_start) AS day, sum(cost_usd) AS cost
  FROM vendor_usage
  WHERE cost_usd IS NOT NULL AND provider IS NOT NULL AND period_start >= :start AND period_start < :end
  GROUP BY lower(provider), date_trunc('day', period_start)
), invoiced AS (
  SELECT BILLED_PROVIDER AS provider, date_trunc('day', ChargePeriodStart) AS day, sum(EffectiveCost) AS cost
  FROM billing WHERE ChargeCategory = 'Usage' AND ChargePeriodStart >= :start AND ChargePeriodStart < :end
  GROUP BY BILLED_PROVIDER, date_trunc('day', ChargePeriodStart)
), billed AS (
  SELECT provider, day, cost, 'vendor_usage' AS source FROM reported
  UNION ALL
  SELECT provider, day, cost, 'billing' AS source FROM invoiced
  WHERE provider IS NOT NULL AND provider NOT IN (SELECT provider FROM reported)
)
SELECT coalesce(l.provider, b.provider) AS provider, coalesce(l.day, b.day) AS day,
       coalesce(l.requests, 0) AS requests, l.cost AS tracked_usd, coalesce(l.unpriced, 0) AS unpriced_requests,
       b.cost AS billed_usd, b.source AS billed_source
FROM logged AS l FULL OUTER JOIN billed AS b ON l.provider = b.provider AND l.day = b.day
ORDER BY provider, day
"""

# Prices valid at each request's time; an undated id (gpt-4o-2024-08-06) takes its undated model's.
# The requests are summed per provider, model and price segment (PRICE_SEGMENT: no price starts or
# ends inside one, see drivers.price_segment) before the prices are joined: one aggregate pass,
# then a join on a few rows instead of one per request. Tokens are summed only over requests
# with every token count and a cost, the requests the expected cost is computed from.
_MODELS = """
WITH prices AS (
  SELECT lower(provider) AS provider, lower(model) AS model, valid_from, valid_to,
         input_usd_per_mtok AS input_price, coalesce(cached_input_usd_per_mtok, input_usd_per_mtok) AS cached_price,
         coalesce(cache_write_usd_per_mtok, input_usd_per_mtok) AS write_price, output_usd_per_mtok AS output_price
  FROM model_prices
), sums AS (
  SELECT lower(provider) AS provider, lower(model) AS model, PRICE_SEGMENT AS at, count(*) AS requests,
         count_if(cost_usd IS NULL) AS unpriced, sum(cost_usd) AS cost_usd,
         sum(input_tokens - coalesce(cached_input_tokens, 0) - coalesce(cache_write_input_tokens, 0)) FILTER (WHERE checked) AS uncached,
         sum(coalesce(cached_input_tokens, 0)) FILTER (WHERE checked) AS cached,
         sum(coalesce(cache_write_input_tokens, 0)) FILTER (WHERE checked) AS written,
         sum(output_tokens) FILTER (WHERE checked) AS output,
         sum(coalesce(cached_input_tokens, 0)) FILTER (WHERE cost_usd IS NOT NULL) AS cached_logged
  FROM (SELECT *, cost_usd IS NOT NULL AND input_tokens IS NOT NULL AND output_tokens IS NOT NULL AS checked
        FROM llm_requests WHERE ts >= :start AND ts < :end) AS r
  GROUP BY lower(provider), lower(model), PRICE_SEGMENT
), requests AS (
  SELECT coalesce(r.provider, 'unknown') AS provider, r.model, r.requests, r.unpriced, r.cost_usd, r.uncached, r.cached,
         r.written, r.output, r.cached_logged,
         coalesce(p.input_price, u.input_price) AS input_price, coalesce(p.cached_price, u.cached_price) AS cached_price,
         coalesce(p.write_price, u.write_price) AS write_price, coalesce(p.output_price, u.output_price) AS output_price
  FROM sums AS r
  LEFT JOIN prices AS p ON p.provider = r.provider AND p.model = r.model
    AND p.valid_from <= r.at AND (p.valid_to IS NULL OR p.valid_to > r.at)
  LEFT JOIN prices AS u ON u.provider = r.provider
    AND u.model = regexp_replace(r.model, '[-@]([0-9]{8}|[0-9]{4}-[0-9]{2}-[0-9]{2})$', '')
    AND u.valid_from <= r.at AND (u.valid_to IS NULL OR u.valid_to > r.at)
), logged AS (
  SELECT provider, model, sum(requests) AS requests, sum(unpriced) AS unpriced,
         coalesce(sum(requests) FILTER (WHERE input_price IS NULL), 0) AS without_price,
         sum(cost_usd) FILTER (WHERE input_price IS NOT NULL) AS checked_usd,
         sum(cached_logged) FILTER (WHERE input_price IS NOT NULL) AS cached_tokens,
         sum((uncached * input_price + cached * cached_price + written * write_price + output * output_price) / 1e6) AS expected_usd,
         sum((uncached * input_price + cached * input_price + written * write_price + output * output_price) / 1e6) AS full_rate_usd,
         max(input_price) AS input_price, min(cached_price) AS cached_price
  FROM requests GROUP BY provider, model
), reported AS (
  SELECT DISTINCT lower(provider) AS provider FROM vendor_usage
  WHERE cost_usd IS NOT NULL AND provider IS NOT NULL AND period_start >= :start AND period_start < :end
), billed AS (
  SELECT lower(provider) AS provider, lower(model) AS model, 'vendor_usage' AS source, sum(cost_usd) AS cost
  FROM vendor_usage
  WHERE cost_usd IS NOT NULL AND model IS NOT NULL AND period_start >= :start AND period_start < :end
  GROUP BY lower(provider), lower(model)
  UNION ALL
  SELECT BILLED_PROVIDER, lower(Tags['model']), 'billing', sum(EffectiveCost)
  FROM billing
  WHERE ChargeCategory = 'Usage' AND Tags['model'] IS NOT NULL AND ChargePeriodStart >= :start AND ChargePeriodStart < :end
    AND coalesce(BILLED_PROVIDER, '') NOT IN (SELECT provider FROM reported)
  GROUP BY BILLED_PROVIDER, lower(Tags['model'])
)
SELECT coalesce(l.provider, b.provider) AS provider, coalesce(l.model, b.model) AS model,
       coalesce(l.requests, 0) AS requests, coalesce(l.unpriced, 0) AS unpriced, coalesce(l.without_price, 0) AS without_price,
       l.checked_usd, l.cached_tokens, l.expected_usd, l.full_rate_usd, l.input_price, l.cached_price,
       b.source AS billed_source, b.cost AS billed_usd
FROM logged AS l FULL OUTER JOIN billed AS b ON l.provider = b.provider AND l.model = b.model
WHERE coalesce(l.provider, b.provider) IS NOT NULL
ORDER BY provider, model
"""


def variance_pct(tracked: float | None, billed: float | None) -> float | None:
    """(tracked − billed) as a % of billed; None without a billed figure (or a zero one)."""
    if billed is None or abs(billed) < 1e-12:
        return None
    return ((tracked or 0.0) - billed) / billed * 100


def signed_pct(value: float | None) -> str:
    """'+3.1%', '−5.0%', '±0.0%' (what rounds to zero)."""
    if value is None:
        return "n/a"
    shown = round(value, 1)
    return f"{'+' if shown > 0 else '−' if shown < 0 else '±'}{abs(shown):.1f}%"


@dataclass(frozen=True)
class DayLine:
    provider: str
    day: date
    requests: int
    tracked_usd: float | None  # None: no request logged that day
    billed_usd: float | None  # None: nothing billed that day (or no billed side)
    unpriced_requests: int = 0


@dataclass(frozen=True)
class PeriodLine:
    """One provider over the window (`month` None) or over one calendar month of it."""

    provider: str
    tracked_usd: float | None  # None: no request logged
    billed_usd: float | None  # None: no billed side for this provider
    billed_source: str | None  # vendor_usage or billing
    requests: int = 0
    month: date | None = None

    @property
    def variance_usd(self) -> float | None:
        return None if self.billed_usd is None else (self.tracked_usd or 0.0) - self.billed_usd

    @property
    def variance_pct(self) -> float | None:
        return variance_pct(self.tracked_usd, self.billed_usd)


@dataclass(frozen=True)
class Cause:
    kind: str  # a CAUSE_LABELS key
    provider: str
    impact_usd: float | None  # its share of the variance (tracked − billed); None when unknown
    text: str
    evidence: dict


@dataclass(frozen=True)
class Reconciliation:
    window: Window
    providers: tuple[PeriodLine, ...]
    months: tuple[PeriodLine, ...]
    days: tuple[DayLine, ...]
    causes: tuple[Cause, ...]
    sql: str

    @property
    def compared(self) -> tuple[PeriodLine, ...]:
        """The providers with a billed side: the ones the totals compare."""
        return tuple(p for p in self.providers if p.billed_usd is not None)

    @property
    def tracked_usd(self) -> float | None:
        return sum(p.tracked_usd or 0.0 for p in self.compared) if self.has_tracked and self.has_billed else None

    @property
    def billed_usd(self) -> float | None:
        return sum(p.billed_usd or 0.0 for p in self.compared) if self.has_billed else None

    @property
    def variance_usd(self) -> float | None:
        return None if self.tracked_usd is None or self.billed_usd is None else self.tracked_usd - self.billed_usd

    @property
    def variance_pct(self) -> float | None:
        return variance_pct(self.tracked_usd, self.billed_usd) if self.tracked_usd is not None else None

    @property
    def has_tracked(self) -> bool:
        return any(p.tracked_usd is not None for p in self.providers)

    @property
    def has_billed(self) -> bool:
        return bool(self.compared)

    def summary_json(self) -> dict | None:
        """The window's totals when both sides have data (`finops info --json`); else None."""
        if self.tracked_usd is None or self.billed_usd is None:
            return None
        return {"window": self.window.to_json(), "tracked_usd": round(self.tracked_usd, 2),
                "billed_usd": round(self.billed_usd, 2), "variance_usd": round(self.tracked_usd - self.billed_usd, 2),
                "variance_pct": None if self.variance_pct is None else round(self.variance_pct, 1)}


def last_month(as_of: date) -> Window:
    """The previous calendar month, as the time words define "last month"."""
    found = find_time_window("last month", as_of)
    assert found is not None  # the words always resolve
    return found.window


def _billed_provider() -> str:
    """The CASE over a billing line's columns that names its provider (BILLED_PROVIDERS), as SQL."""
    case = exp.Case()
    for provider, column, word in BILLED_PROVIDERS:
        matches = exp.Like(this=exp.func("lower", exp.column(column)), expression=exp.Literal.string(f"%{word}%"))
        case = case.when(matches, exp.Literal.string(provider))
    return case.sql(dialect="duckdb")


def _sql(template: str, window: Window, segment: exp.Expr | None = None) -> str:
    if segment is not None:
        template = template.replace("PRICE_SEGMENT", segment.sql(dialect="duckdb"))
    return bind(template.replace("BILLED_PROVIDER", _billed_provider()), start=window.start, end=window.end)


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def reconcile(executor: Executor, settings: Settings, window: Window, *, scope: Scope | None = None) -> Reconciliation:
    """Tracked against billed per provider, day and month of `window`, with the likely causes of the gap."""
    daily = executor.run_sql(_sql(_DAILY, window), scope=scope, max_rows=settings.max_rows)
    segment = price_segment(executor, settings, scope)
    models = executor.run_sql(_sql(_MODELS, window, segment), scope=scope, max_rows=settings.max_rows)
    days, sources = [], {}
    for provider, day, requests, tracked, unpriced, billed, source in daily.rows:
        days.append(DayLine(provider, _day(day), requests, tracked, billed, unpriced))
        if source:
            sources[provider] = source
    providers = _totals(days, sources, None)
    months = tuple(line for month in sorted({d.day.replace(day=1) for d in days}) for line in _totals(
        [d for d in days if d.day.replace(day=1) == month], sources, month))
    model_rows = [dict(zip(models.columns, row)) for row in models.rows]
    causes = _day_causes(days, sources) + _model_causes(model_rows, sources)
    return Reconciliation(window, providers, months, tuple(days), tuple(causes), daily.sql)


def _totals(days: list[DayLine], sources: dict[str, str], month: date | None) -> tuple[PeriodLine, ...]:
    lines = []
    for provider in sorted({d.provider for d in days}):
        mine = [d for d in days if d.provider == provider]
        tracked = [d.tracked_usd for d in mine if d.tracked_usd is not None]
        billed = [d.billed_usd for d in mine if d.billed_usd is not None]
        source = sources.get(provider)
        lines.append(PeriodLine(provider, sum(tracked) if tracked else None,
                                (sum(billed) if billed else 0.0) if source else None, source,
                                sum(d.requests for d in mine), month))
    return tuple(sorted(lines, key=lambda p: -max(p.tracked_usd or 0.0, p.billed_usd or 0.0)))


def _day_causes(days: list[DayLine], sources: dict[str, str]) -> list[Cause]:
    causes = []
    for provider, source in sorted(sources.items()):
        mine = [d for d in days if d.provider == provider]
        where = SOURCE_LABELS[source]
        logged = [d.requests for d in mine if d.requests]
        usual = statistics.median(logged) if logged else 0
        missing = [d for d in mine if (d.billed_usd or 0.0) >= MIN_USD and (not d.requests or (
            d.requests < MISSING_SHARE * usual and _short(d.tracked_usd or 0.0, d.billed_usd or 0.0)))]
        if missing:
            billed = sum(d.billed_usd or 0.0 for d in missing)
            tracked = sum(d.tracked_usd or 0.0 for d in missing)
            some = any(d.requests for d in missing)
            causes.append(Cause(
                "missing_logs", provider, tracked - billed,
                f"{provider}'s {where} has {money(billed)} on {len(missing)} day(s) with "
                + (f"no or far fewer requests logged than the usual {usual:,.0f} a day ({money(tracked)} tracked)"
                   if some else "no requests logged") + f": {_named_days(missing)}.",
                {"days": [d.day.isoformat() for d in missing], "requests": [d.requests for d in missing],
                 "billed_usd": billed, "tracked_usd": tracked, "median_requests_per_day": usual, "source": source}))
        unbilled = [d for d in mine if (d.tracked_usd or 0.0) >= MIN_USD and d.billed_usd is None]
        if unbilled:
            tracked = sum(d.tracked_usd or 0.0 for d in unbilled)
            causes.append(Cause(
                "unbilled_days", provider, tracked,
                f"{provider}'s {where} has no charge on {len(unbilled)} day(s) with {money(tracked)} logged "
                f"({day_runs([d.day for d in unbilled])}): it may not cover the whole window.",
                {"days": [d.day.isoformat() for d in unbilled], "tracked_usd": tracked, "source": source}))
    return causes


def _short(tracked: float, billed: float) -> bool:
    """Tracked is below billed by more than rounding."""
    return billed - tracked >= max(MIN_USD, PRICE_TOLERANCE * billed)


def day_runs(days: list[date]) -> str:
    """Days in words, consecutive ones as a range.

    >>> day_runs([date(2026, 10, 3), date(2026, 10, 4), date(2026, 10, 5), date(2026, 10, 9)])
    '2026-10-03 to 2026-10-05, 2026-10-09'
    """
    runs: list[list[date]] = []
    for d in sorted(days):
        if runs and (d - runs[-1][-1]).days == 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ", ".join(r[0].isoformat() if len(r) == 1 else f"{r[0].isoformat()} to {r[-1].isoformat()}" for r in runs)


def _named_days(days: list[DayLine]) -> str:
    """'2026-10-14 (no requests), 2026-10-25 (3 requests)'."""
    empty = [d.day for d in days if not d.requests]
    named = [f"{day_runs(empty)} (no requests)"] if empty else []
    return ", ".join(named + [f"{d.day.isoformat()} ({d.requests:,} requests)" for d in days if d.requests])


def _seen(model: str, logged: set[str]) -> bool:
    """A billed model the logs saw, under its own id or a dated/undated form of it."""
    return any(model == m or model.startswith(f"{m}-") or m.startswith(f"{model}-") for m in logged)


def _model_causes(rows: list[dict], sources: dict[str, str]) -> list[Cause]:
    causes = []
    for provider in sorted({r["provider"] for r in rows}):
        mine = [r for r in rows if r["provider"] == provider]
        unpriced = [r for r in mine if r["unpriced"]]
        if unpriced:
            count = sum(r["unpriced"] for r in unpriced)
            names = ", ".join(f"{r['model']} ({r['unpriced']:,} of {r['requests']:,} requests"
                              f"{', not in model_prices' if r['without_price'] else ''})" for r in unpriced)
            causes.append(Cause(
                "unpriced", provider, None,
                f"{count:,} {provider} request(s) have no cost (none logged, no price at ingest), so the logs "
                f"count them as nothing: {names}.",
                {"models": {r["model"]: {"requests": r["requests"], "unpriced_requests": r["unpriced"],
                                         "in_model_prices": not r["without_price"]} for r in unpriced}}))
        for r in mine:
            causes += _pricing_cause(provider, r)
        logged = {r["model"] for r in mine if r["requests"]}
        billed = [r for r in mine if (r["billed_usd"] or 0.0) >= MIN_USD and not _seen(r["model"], logged)]
        if billed:
            total = sum(r["billed_usd"] for r in billed)
            causes.append(Cause(
                "unlogged_model", provider, -total,
                f"{provider}'s {SOURCE_LABELS[billed[0]['billed_source']]} charges {money(total)} for model(s) no request "
                f"logged: " + ", ".join(f"{r['model']} ({money(r['billed_usd'])})" for r in billed) + ".",
                {"models": {r["model"]: r["billed_usd"] for r in billed}, "source": billed[0]["billed_source"]}))
    return causes


def _pricing_cause(provider: str, r: dict) -> list[Cause]:
    logged, expected, full = r["checked_usd"], r["expected_usd"], r["full_rate_usd"]
    if logged is None or expected is None or abs(logged - expected) < max(MIN_USD, PRICE_TOLERANCE * expected):
        return []
    evidence = {"model": r["model"], "logged_usd": logged, "expected_usd": expected, "at_full_input_rate_usd": full,
                "cached_input_tokens": r["cached_tokens"], "input_usd_per_mtok": r["input_price"],
                "cached_input_usd_per_mtok": r["cached_price"]}
    cached_cheaper = (r["cached_tokens"] or 0) > 0 and (r["cached_price"] or 0.0) < (r["input_price"] or 0.0)
    if cached_cheaper and full is not None and abs(logged - full) < abs(logged - expected):
        return [Cause(
            "cached_full_rate", provider, logged - expected,
            f"{provider} {r['model']}'s {r['cached_tokens']:,} cached input tokens are logged at the full input rate "
            f"({figure(r['input_price'], 'usd')}/M, not the cached {figure(r['cached_price'], 'usd')}/M): logged {money(logged)}, "
            f"{money(expected)} at model_prices ({money(logged - expected, sign=True)}).", evidence)]
    return [Cause(
        "price_mismatch", provider, logged - expected,
        f"{provider} {r['model']} is logged at {money(logged)}, {money(expected)} at model_prices "
        f"({money(logged - expected, sign=True)}).", evidence)]


def _side(line: PeriodLine) -> str:
    tracked = "no requests logged" if line.tracked_usd is None else money(line.tracked_usd, compact=True)
    if line.billed_usd is None:
        return f"{line.provider} {tracked}, nothing billed to compare with (no cost report or invoice lines)"
    return (f"{line.provider} {tracked} vs {money(line.billed_usd, compact=True)} "
            f"({SOURCE_LABELS[line.billed_source or 'billing']}, {signed_pct(line.variance_pct)})")


def narrate_reconciliation(result: Reconciliation) -> str:
    """Markdown: the totals first, then each provider, then the likely causes with their evidence."""
    when = window_in_words(result.window)
    if not result.has_tracked and not result.has_billed:
        return (f"No LLM spend to reconcile {when}: no requests are logged and no AI provider billed anything "
                f"(no cost report in vendor_usage, no AI vendor lines in billing).")
    if not result.has_billed:
        tracked = sum(p.tracked_usd or 0.0 for p in result.providers)
        return (f"Nothing billed to compare with {when}: no provider cost report (vendor_usage) and no AI vendor "
                f"invoice lines in billing. The request logs track {money(tracked, compact=True)} of LLM spend.")
    billed = result.billed_usd or 0.0
    gap = result.variance_usd or 0.0
    if not result.has_tracked:
        head = (f"**No LLM requests are logged {when}, against {money(billed, compact=True)} billed**: "
                f"the request logs are missing for the whole window.")
    else:
        head = (f"**Tracked LLM spend {when} was {money(result.tracked_usd, compact=True)} against "
                f"{money(billed, compact=True)} billed ({signed_pct(result.variance_pct)})**; "
                + (f"tracked is {money(abs(gap), compact=True)} {'below' if gap < 0 else 'above'} billed."
                   if abs(gap) >= MIN_USD else "they match to the cent."))
    lines = [head, "By provider: " + "; ".join(_side(p) for p in result.providers) + "."]
    if result.causes:
        lines.append("Likely causes:")
        lines += [f"- {CAUSE_LABELS[c.kind]}: {c.text}" for c in result.causes]
    elif result.variance_usd is not None and abs(result.variance_usd) >= MIN_USD:
        lines.append("No cause found in the logs, prices or billed models: compare the invoice's line items by hand.")
    return "\n".join(lines)


def summarize_reconciliation(result: Reconciliation) -> str | None:
    """'reconciliation last month: tracked $X vs billed $Y (−Z%)' when both sides have data; else None."""
    if result.tracked_usd is None or result.billed_usd is None:
        return None
    return (f"reconciliation {result.window.label}: tracked {money(result.tracked_usd, compact=True)} vs billed "
            f"{money(result.billed_usd, compact=True)} ({signed_pct(result.variance_pct)})")


RECONCILIATION_COLUMNS = ("provider", "tracked_usd", "billed_usd", "variance_usd", "variance_pct", "billed_source")


def reconciliation_rows(result: Reconciliation) -> list[tuple]:
    """One row per provider (RECONCILIATION_COLUMNS)."""
    return [(p.provider, p.tracked_usd, p.billed_usd, p.variance_usd, p.variance_pct, p.billed_source)
            for p in result.providers]


def answer_reconciliation(question: str, plan: QueryPlan, context: AskContext, executor: Executor, as_of: date) -> Answer:
    """Tracked against billed over the plan's window (last month when it has none)."""
    window = plan.window or last_month(as_of)
    result = reconcile(executor, context.settings, window, scope=context.scope)
    rows = reconciliation_rows(result)
    return Answer(
        question, Route.PLANNER, text=narrate_reconciliation(result), window=window, sql=result.sql, columns=RECONCILIATION_COLUMNS,
        rows=rows, chart=reconciliation_bars(RECONCILIATION_COLUMNS, rows, window.describe()), plan=plan,
        suggestions=["Inference cost by provider last month", "Daily inference cost last month", "Where are we wasting money?"],
    )

"""Why a cost changed between two windows: an exact additive split into factors and drivers.

Inference cost (`llm_requests`) is decomposed with the additive log-mean Divisia
index (LMDI-I) over this identity, for each unit u = (team, feature) and model m:

    K = sum_u  R * S_u * (I_u/R_u) * e_u  +  R * S_u * (O_u/R_u) * o_u  +  R * S_u * f_u
    e_u = sum_m (I_m/I_u) * [(1 - h_m) * p_uncached_m + h_m * p_cached_m]     (h = cached / input)
    o_u = sum_m (O_m/O_u) * p_output_m            f_u = sum_m (R_m/R_u) * p_request_m

R total requests is **volume**; S_u (the unit's share of requests) and the model
shares inside a unit (I_m/I_u, O_m/O_u) are **model_mix** (traffic moved between
features and models); I/R is prompt size (**tokens_per_request**); O/R
**output_tokens_per_request**; h **cache_share**; dollars per token at a constant
cache share **price**. Prompt size and output size are measured per feature, not
per (feature, model), so a feature that both switches models and grows its
prompts shows both; the second level (the sums over m) is split with LMDI too and
handed the first level's impact of e_u, o_u, f_u in proportion (multilevel LMDI).
Each cell's logged cost is split into uncached-input, cached-input and output
parts in proportion to list-price-weighted tokens (`model_prices` valid at the
request time; relative weights 1 : 0.5 : 4 for a model without a price), so the
parts add up to the logged cost exactly even where it differs from list prices.
Cost on requests with no priced tokens is the per-request term f.

Zeros take the limit L(x, 0) = 0: a term that is zero in one window gives its
whole change to the factor that is zero there. A unit with no requests in one
window is "new" or "removed". So factor impacts, and impacts per feature, model
or team, add up to the total change exactly. Retry and error cost changes are
reported beside the split (`informational`): they are inside the factors above,
not in addition to them.

Cloud cost (`billing`) splits each (service, SKU, unit, charge category) cell's
change into **price** and **usage_quantity** by the symmetric (Shapley) split of
p*q; charges without a quantity (tax, credits) are **fees_and_credits**. GPU cost
(`gpu_usage`) splits into **idle_capacity** (cost * (1 - util/100)) and
**used_capacity** per cluster and deployment.

>>> [round(x, 6) for x in lmdi((100.0, 2.0), (200.0, 2.0))]
[200.0, 0.0]
>>> [round(x, 6) for x in lmdi((0.0, 5.0), (1.0, 5.0))]
[5.0, 0.0]
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp

from assistant.analysis.lmdi import (
    _share_out,
    lmdi,
    log_mean,  # noqa: F401 - re-exported: `from assistant.analysis.drivers import log_mean`
)
from assistant.present.narrate import window_in_words
from assistant.present.numbers import money
from assistant.query.render import dimension_filter, only_when, time_between
from assistant.query.window import Window
from assistant.semantic import SemanticModel, load_semantic_model
from assistant.understand.timewords import previous_window
from warehouse.errors import QueryError

if TYPE_CHECKING:
    from assistant.query.plan import Filter
    from warehouse.executor import Executor
    from warehouse.scope import Scope
    from warehouse.settings import Settings

FACTOR_WORDS = {
    "volume": "request volume", "model_mix": "model mix", "tokens_per_request": "prompt size",
    "output_tokens_per_request": "output size", "cache_share": "cache share", "price": "price",
    "new": "new", "removed": "removed", "usage_quantity": "usage", "fees_and_credits": "fees and credits",
    "idle_capacity": "idle capacity", "used_capacity": "used capacity",
}
METRIC_WORDS = {"inference_cost": "Inference cost", "cost": "Cloud cost", "gpu_cost": "GPU cost"}
DIMENSIONS = {"inference_cost": ("feature", "model", "team"), "cost": ("service", "sku"),
              "gpu_cost": ("cluster", "deployment", "team")}
NO_VALUE = "(untagged)"


@dataclass(frozen=True)
class FactorImpact:
    factor: str
    impact_usd: float

    def to_json(self) -> dict:
        return {"factor": self.factor, "impact_usd": round(self.impact_usd, 6)}


@dataclass(frozen=True)
class Driver:
    """One value's share of the change: its dominant factor, its whole impact, and why in words."""

    dimension: str
    value: str
    factor: str
    impact_usd: float
    detail: str = ""
    factors: tuple[FactorImpact, ...] = field(default=(), compare=False)

    def to_json(self) -> dict:
        out = {"dimension": self.dimension, "value": self.value, "factor": self.factor,
               "impact_usd": round(self.impact_usd, 6)}
        return out | ({"detail": self.detail} if self.detail else {})


@dataclass(frozen=True)
class DriverReport:
    """The change of one metric between two windows, split exactly by factor and by value."""

    metric: str
    window: Window
    total_before: float
    total_after: float
    change_usd: float
    change_pct: float | None  # percent of total_before; None when it was zero
    factors: tuple[FactorImpact, ...]
    drivers: tuple[Driver, ...]  # ranked within each dimension; each dimension sums to change_usd
    informational: tuple[FactorImpact, ...] = ()  # retries, errors: already inside `factors`

    def drivers_json(self) -> list[dict]:
        return [d.to_json() for d in self.drivers]

    def to_json(self) -> dict:
        return {"metric": self.metric, "window": self.window.to_json(), "total_before": self.total_before,
                "total_after": self.total_after, "change_usd": self.change_usd, "change_pct": self.change_pct,
                "factors": [f.to_json() for f in self.factors], "drivers": self.drivers_json(),
                "informational": [f.to_json() for f in self.informational]}


@dataclass(frozen=True)
class _Part:
    keys: dict
    factor: str
    usd: float


# A value's change in words: (dimension, value, factor, that value's parts) -> text.
_Describe = Callable[[str, str, str, list[_Part]], str]
# What each metric's method returns: the parts, the totals before and after, informational
# factors (retries, errors) and its `_Describe`.
_Breakdown = tuple[list[_Part], tuple[float, ...], tuple[FactorImpact, ...], _Describe]


# ---------------------------------------------------------------- ratios and shares


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _spread(total: float, weights: list[float]) -> list[float]:
    whole = sum(weights)
    return [total * w / whole for w in weights] if whole else [total / len(weights)] * len(weights)


# ---------------------------------------------------------------- SQL


def _run(executor: Executor, query: exp.Select, settings: Settings, scope: Scope | None) -> list[dict]:
    max_rows = max(settings.max_rows, executor.settings.max_rows)
    result = executor.run_sql(query.sql(dialect="duckdb"), scope=scope, max_rows=max_rows)
    if result.truncated:
        raise QueryError("Too many groups to explain the change; narrow the question with a filter, or raise FINOPS_MAX_ROWS.")
    return [dict(zip(result.columns, row)) for row in result.rows]


def _windows(window: Window, column: str) -> tuple[exp.Expr, exp.Expr]:
    time = exp.column(column)
    assert window.compare_start is not None and window.compare_end is not None, "drivers compare two windows"
    return time_between(time, window.compare_start, window.compare_end), time_between(time, window.start, window.end)


def _select(sql: str) -> exp.Select:
    """A SELECT parsed from our own constant text."""
    parsed = sqlglot.parse_one(sql, read="duckdb")
    assert isinstance(parsed, exp.Select)
    return parsed


@functools.lru_cache(maxsize=64)
def _template(sql: str) -> exp.Expr:
    return sqlglot.parse_one(sql, read="duckdb")


def _parsed(sql: str) -> exp.Expr:
    """A constant SQL fragment, parsed once."""
    return _template(sql).copy()


def _cells_query(keys: dict[str, str], measures: dict[str, str], source: exp.Expr,
                 window: Window, time_column: str, extra: dict[str, str] | None = None) -> exp.Select:
    """One row per cell: `measures` once per window (name_0 before, name_1 after), in one pass."""
    conditions = _windows(window, time_column)
    columns = [exp.alias_(_parsed(sql), name) for name, sql in keys.items()]
    columns += [exp.alias_(_parsed(sql), name) for name, sql in (extra or {}).items()]
    for name, sql in measures.items():
        aggregate = _parsed(sql)
        columns += [exp.alias_(only_when(aggregate, c), f"{name}_{i}") for i, c in enumerate(conditions)]
    groups = [_parsed(sql) for sql in keys.values()]
    return exp.select(*columns).from_(source).group_by(*groups)


def _where(table: str, window: Window, filters: tuple[Filter, ...], model: SemanticModel) -> exp.Expr:
    before, after = _windows(window, model.timed_column(table))
    return exp.and_(exp.paren(exp.or_(before, after)), *[dimension_filter(f, table, model) for f in filters])


# Inference cost is read in ONE aggregate pass over the raw rows of both windows
# (`_inference_rows`): requests are summed per cell (team, feature, provider, model)
# and price segment, a stretch of time in which no `model_prices` row starts or ends:
# the day, cut further only where a price starts or ends inside a day. Every request
# of a segment has the same list price, so pricing the segment's token sums (the
# ASOF join on the few segment rows, not on every request) gives exactly what
# pricing each request would. The same pass also yields (feature, model, day) request
# counts for the day a feature moved models. Everything after is done in memory.
_REQUESTS = """
SELECT team, feature, provider, model, COALESCE(input_tokens, 0) AS input_tokens,
       LEAST(GREATEST(COALESCE(cached_input_tokens, 0), 0), COALESCE(input_tokens, 0)) AS cached_tokens,
       COALESCE(output_tokens, 0) AS output_tokens, COALESCE(cost_usd, 0) AS cost, attempt, status
FROM llm_requests
"""
_SEGMENTS = """
SELECT team, feature, provider, model, segment, COUNT(*) AS requests, SUM(input_tokens) AS input,
       SUM(cached_tokens) AS cached, SUM(output_tokens) AS output, SUM(cost) AS cost,
       SUM(cost) FILTER (WHERE attempt > 1) AS retry, SUM(cost) FILTER (WHERE status <> 'ok') AS error
FROM r
GROUP BY team, feature, provider, model, segment
"""
_PRICED = """
SELECT s.*, p.tier AS tier,
       CASE WHEN p.valid_to IS NULL OR s.segment < p.valid_to THEN p.input_usd_per_mtok END AS input_price,
       CASE WHEN p.valid_to IS NULL OR s.segment < p.valid_to
            THEN COALESCE(p.cached_input_usd_per_mtok, p.input_usd_per_mtok) END AS cached_price,
       CASE WHEN p.valid_to IS NULL OR s.segment < p.valid_to THEN p.output_usd_per_mtok END AS output_price
FROM s ASOF LEFT JOIN model_prices AS p
  ON LOWER(s.provider) = LOWER(p.provider) AND LOWER(s.model) = LOWER(p.model) AND s.segment >= p.valid_from
"""
# Price changes that fall inside a day, latest first: the only cuts of a segment besides midnight.
_INNER_BOUNDARIES = """
SELECT DISTINCT b FROM (SELECT valid_from AS b FROM model_prices UNION ALL SELECT valid_to AS b FROM model_prices) AS t
WHERE b IS NOT NULL AND b <> DATE_TRUNC('day', b)
ORDER BY b DESC
"""
_DAY = "CAST(DATE_TRUNC('day', segment) AS DATE)"
# Cells for the split, and (feature, model, day) request counts for the day of a model switch.
_GROUPS = ("SELECT 1 FROM priced GROUP BY GROUPING SETS ((team, feature, provider, model), "
           f"(feature, model, {_DAY}))")
_REQUEST_MEASURES = {
    "requests": "SUM(requests)", "input": "SUM(input)", "cached": "SUM(cached)", "output": "SUM(output)",
    "cost": "SUM(cost)",
    "w_uncached": "SUM((input - cached) * COALESCE(input_price, 1.0))",
    "w_cached": "SUM(cached * COALESCE(cached_price, 0.5))",
    "w_output": "SUM(output * COALESCE(output_price, 4.0))",
    "retry": "SUM(retry)", "error": "SUM(error)",
}
_CELL = {"team": "team", "feature": "feature", "provider": "provider", "model": "model"}


def price_segment(executor: Executor, settings: Settings, scope: Scope | None) -> exp.Expr:
    """The start of a request's (`ts`) price segment: its day, or the latest price change inside that day before it.

    No `model_prices` row starts or ends inside a segment, so one price holds for all of its requests.
    """
    day = _parsed("DATE_TRUNC('day', ts)")
    inner = [row["b"] for row in _run(executor, _select(_INNER_BOUNDARIES), settings, scope)]
    if not inner:
        return day
    case = exp.Case()
    for boundary in inner:
        at = exp.cast(exp.Literal.string(boundary.isoformat(sep=" ")), "TIMESTAMP")
        case = case.when(exp.GTE(this=exp.column("ts"), expression=at), at.copy())
    return exp.func("GREATEST", day, case.else_(day.copy()))


def _priced(executor: Executor, settings: Settings, scope: Scope | None, where: exp.Expr) -> exp.Select:
    """WITH r, s, priced: the requests meeting `where`, summed per cell and price segment, and priced."""
    requests = _select(_REQUESTS).select(exp.alias_(price_segment(executor, settings, scope), "segment")).where(where)
    return exp.select("*").from_("priced").with_("r", as_=requests).with_("s", as_=_select(_SEGMENTS)).with_(
        "priced", as_=_parsed(_PRICED))


def _cell(keys: dict, measures: tuple[dict, dict]) -> dict:
    """A cell of the split: its keys, and per window its sums with the logged cost split into parts."""
    cell: dict[Any, Any] = {"keys": keys}
    for i, m in enumerate(measures):
        m = dict(m)
        weight = m["w_uncached"] + m["w_cached"] + m["w_output"]
        for part in ("uncached", "cached", "output"):
            m[f"k_{part}"] = m["cost"] * m[f"w_{part}"] / weight if weight else 0.0
        m["k_fixed"] = 0.0 if weight else m["cost"]
        m["k_input"] = m["k_uncached"] + m["k_cached"]
        cell[i] = m
    return cell


def _inference_rows(executor: Executor, window: Window, settings: Settings, scope: Scope | None,
                    filters: tuple[Filter, ...], model: SemanticModel) -> tuple[list[dict], dict]:
    """The cells (as `_plain_cells` makes them, with the tier and the cost split into parts) and
    {feature: {model: {day: requests}}}, from one aggregate pass over the requests of both windows."""
    priced = _priced(executor, settings, scope, _where("llm_requests", window, filters, model))
    query = _cells_query(_CELL, _REQUEST_MEASURES, exp.to_table("priced"), window, "segment",
                         extra={"tier": "MAX(tier)", "day": _DAY, "by_day": "GROUPING(team)"})
    query.set("group", _parsed(_GROUPS).args["group"])
    query.set("with_", priced.args["with_"])
    cells = []
    daily: defaultdict[Any, defaultdict[Any, dict]] = defaultdict(lambda: defaultdict(dict))
    for row in _run(executor, query, settings, scope):
        if row["by_day"]:
            daily[row["feature"]][row["model"]][row["day"]] = int(row["requests_0"] or 0) + int(row["requests_1"] or 0)
            continue
        before, after = ({name: float(row[f"{name}_{i}"] or 0) for name in _REQUEST_MEASURES} for i in (0, 1))
        if before["requests"] or after["requests"]:
            cells.append(_cell({k: row[k] for k in _CELL} | {"tier": row["tier"]}, (before, after)))
    return cells, daily


@dataclass(frozen=True)
class Segments:
    """Priced request sums per cell and day over [start, end), read once for many inference splits.

    `decompose(..., segments=)` splits a window inside the span from these rows in memory
    (filters on team, feature, provider or model only), as the single pass would from the requests.
    """

    start: date
    end: date
    rows: tuple[dict, ...]

    def serves(self, window: Window, filters: tuple[Filter, ...]) -> bool:
        assert window.compare_start is not None and window.compare_end is not None
        return (self.start <= min(window.compare_start, window.start) and max(window.end, window.compare_end) <= self.end
                and all(f.dimension in _CELL for f in filters))


SEGMENT_ROWS = 200_000  # most (cell, day) rows `read_segments` keeps in memory


def read_segments(executor: Executor, start: date, end: date, *, settings: Settings,
                  scope: Scope | None = None) -> Segments | None:
    """One aggregate pass over the requests of [start, end); None when it has more than SEGMENT_ROWS rows."""
    measures = [exp.alias_(_parsed(sql), name) for name, sql in _REQUEST_MEASURES.items()]
    keys = [*_CELL, _DAY]
    priced = _priced(executor, settings, scope, time_between(exp.column("ts"), start, end))
    query = exp.select(*_CELL, exp.alias_(_parsed(_DAY), "day"), exp.alias_(_parsed("MAX(tier)"), "tier"), *measures)
    query = query.from_("priced").group_by(*[_parsed(k) for k in keys])
    query.set("with_", priced.args["with_"])
    result = executor.run_sql(query.sql(dialect="duckdb"), scope=scope, max_rows=SEGMENT_ROWS)
    if result.truncated:
        return None
    return Segments(start, end, tuple(dict(zip(result.columns, row)) for row in result.rows))


def _segment_cells(segments: Segments, window: Window, filters: tuple[Filter, ...]) -> tuple[list[dict], dict]:
    """What `_inference_rows` reads from the requests, from rows already read."""
    assert window.compare_start is not None and window.compare_end is not None
    spans = ((window.compare_start, window.compare_end), (window.start, window.end))
    sums: dict[tuple, tuple[dict, dict]] = {}
    tiers: dict[tuple, Any] = {}
    daily: defaultdict[Any, defaultdict[Any, dict]] = defaultdict(lambda: defaultdict(dict))
    for row in segments.rows:
        side = next((i for i, (a, b) in enumerate(spans) if a <= row["day"] < b), None)
        if side is None or not all(_passes(f, row[f.dimension]) for f in filters):
            continue
        key = tuple(row[k] for k in _CELL)
        both = sums.setdefault(key, ({n: 0.0 for n in _REQUEST_MEASURES}, {n: 0.0 for n in _REQUEST_MEASURES}))
        for name in _REQUEST_MEASURES:
            both[side][name] += float(row[name] or 0)
        if row["tier"] is not None:
            tiers[key] = max(tiers[key], row["tier"]) if tiers.get(key) is not None else row["tier"]
        counts = daily[row["feature"]][row["model"]]
        counts[row["day"]] = counts.get(row["day"], 0) + int(row["requests"] or 0)
    cells = [_cell(dict(zip(_CELL, key)) | {"tier": tiers.get(key)}, both) for key, both in sums.items()]
    return cells, daily


def _passes(f: Filter, value: Any) -> bool:
    """`dimension_filter` on one value: a negated filter keeps the rows without one."""
    inside = value is not None and str(value) in f.values
    return (not inside) if f.negate else inside


# ---------------------------------------------------------------- inference cost

_MIX_CACHE_PRICE = ("model_mix", "cache_share", "price")
_MIX_PRICE = ("model_mix", "price")
# term: (cost part, size factor, size measure); the composite is cost part / size measure
_TERMS = (("k_input", "tokens_per_request", "input"), ("k_output", "output_tokens_per_request", "output"),
          ("k_fixed", None, "requests"))


def _second_level(part: str, cell: dict, unit: dict, i: int) -> list[tuple[tuple, tuple]]:
    """The products that sum to a unit's composite (e, o or f) in window i: one or two per model."""
    m, u = cell[i], unit[i]
    if part == "k_input":
        share, cached = _ratio(m["input"], u["input"]), _ratio(m["cached"], m["input"])
        uncached = None if cached is None else 1.0 - cached
        return [((share, uncached, _ratio(m["k_uncached"], m["input"] - m["cached"])), _MIX_CACHE_PRICE),
                ((share, cached, _ratio(m["k_cached"], m["cached"])), _MIX_CACHE_PRICE)]
    size = "output" if part == "k_output" else "requests"
    return [((_ratio(m[size], u[size]), _ratio(m[part], m[size])), _MIX_PRICE)]


def _sum_cells(cells: list[dict]) -> dict:
    return {i: {k: sum(c[i][k] for c in cells) for k in cells[0][i]} for i in (0, 1)}


def _unit_parts(cells: list[dict], requests: tuple[float, float]) -> list[_Part]:
    """The exact split of one (team, feature) unit's change, per model and factor."""
    unit = _sum_cells(cells)
    if not unit[0]["requests"]:
        return [_Part(c["keys"], "new", c[1]["cost"]) for c in cells]
    if not unit[1]["requests"]:
        return [_Part(c["keys"], "removed", -c[0]["cost"]) for c in cells]
    parts = []
    for part, size_factor, size in _TERMS:
        values = (unit[0][part], unit[1][part])
        if values == (0.0, 0.0):
            continue
        names = ("volume", "model_mix") + ((size_factor,) if size_factor else ())
        x = [[requests[i], unit[i]["requests"] / requests[i]]
             + ([unit[i][size] / unit[i]["requests"]] if size_factor else [])
             + [_ratio(unit[i][part], unit[i][size])] for i in (0, 1)]
        impacts = lmdi(tuple(x[0]), tuple(x[1]))
        weights = [abs(c[0][part]) + abs(c[1][part]) for c in cells]
        for name, impact in zip(names, impacts):
            parts += [_Part(c["keys"], name, s) for c, s in zip(cells, _spread(impact, weights))]
        second = []
        for c in cells:
            for (before, factors), (after, _) in zip(_second_level(part, c, unit, 0), _second_level(part, c, unit, 1)):
                second += [(c["keys"], f, v) for f, v in zip(factors, lmdi(before, after))]
        composite_before = x[0][-1] if x[0][-1] is not None else x[1][-1]
        composite = (composite_before, x[1][-1] if x[1][-1] is not None else composite_before)
        shared = _share_out(impacts[-1], composite, values, [v for _, _, v in second])
        parts += [_Part(keys, f, s) for (keys, f, _), s in zip(second, shared)]
    return parts


def _inference(executor: Executor, window: Window, settings: Settings, scope: Scope | None,
               filters: tuple[Filter, ...], model: SemanticModel, segments: Segments | None = None) -> _Breakdown:
    if segments is not None and segments.serves(window, filters):
        cells, daily = _segment_cells(segments, window, filters)
    else:
        cells, daily = _inference_rows(executor, window, settings, scope, filters, model)
    requests = tuple(sum(c[i]["requests"] for c in cells) for i in (0, 1))
    units = defaultdict(list)
    for c in cells:
        units[(c["keys"]["team"], c["keys"]["feature"])].append(c)
    parts = [p for unit in units.values() for p in _unit_parts(unit, requests)]
    info = tuple(FactorImpact(name, sum(c[1][key] - c[0][key] for c in cells))
                 for name, key in (("retries", "retry"), ("errors", "error")))
    moves = {value: move for value in {c["keys"]["feature"] for c in cells}
             if (move := _model_move([c for c in cells if c["keys"]["feature"] == value]))}
    days = _switch_days(daily, moves)

    def describe(dimension: str, value: str, factor: str, _parts: list[_Part]) -> str:
        chosen = [c for c in cells if _name(c["keys"][dimension]) == value]
        summed = _sum_cells(chosen)
        a = summed[0], summed[1]
        share = [a[i]["requests"] / requests[i] if requests[i] else 0.0 for i in (0, 1)]
        move = _model_move(chosen) if dimension != "model" else None
        return _inference_words(factor, a, share, move, days.get(value) if dimension == "feature" else None)

    totals = tuple(sum(c[i]["cost"] for c in cells) for i in (0, 1))
    return parts, totals, info, describe


def _model_move(cells: list[dict]) -> tuple | None:
    """(from model, to model, their tiers, the new model's share before and after) when 20+ points of requests moved."""
    shares: defaultdict[Any, list[float]] = defaultdict(lambda: [0.0, 0.0])
    tiers = {}
    for i in (0, 1):
        total = sum(c[i]["requests"] for c in cells)
        for c in cells:
            shares[c["keys"]["model"]][i] += c[i]["requests"] / total if total else 0.0
            tiers[c["keys"]["model"]] = c["keys"]["tier"]
    if len(shares) < 2:
        return None
    gain = max(shares, key=lambda m: shares[m][1] - shares[m][0])
    loss = min(shares, key=lambda m: shares[m][1] - shares[m][0])
    if shares[gain][1] - shares[gain][0] < 0.2 or shares[loss][0] - shares[loss][1] < 0.2:
        return None
    return loss, gain, tiers.get(loss), tiers.get(gain), shares[gain]


def _switch_days(daily: dict, moves: dict) -> dict:
    """The day each feature's traffic moved to its new model (it stayed there from then on).

    `daily` is {feature: {model: {day: requests}}} over both windows; `moves` is `_model_move` per feature.
    """
    found = {}
    for feature, move in moves.items():
        if feature is None:
            continue
        by_day: defaultdict[Any, list[int]] = defaultdict(lambda: [0, 0])
        for name, counts in daily.get(feature, {}).items():
            for day, requests in counts.items():
                by_day[day][0] += requests if name == move[1] else 0
                by_day[day][1] += requests
        middle = sum(move[4]) / 2
        above = [by_day[d][0] / by_day[d][1] >= middle for d in sorted(by_day)]
        first = len(above) - next((k for k, up in enumerate(reversed(above)) if not up), len(above))
        if 0 < first < len(above):
            found[feature] = sorted(by_day)[first]
    return found


def _inference_words(factor: str, a: tuple, share: list[float], move: tuple | None, day: date | None) -> str:
    r0, r1 = a[0]["requests"], a[1]["requests"]
    if factor == "new":
        return f"new: {_count(r1)} requests, {money(a[1]['cost'])}"
    if factor == "removed":
        return f"no requests any more (was {_count(r0)}, {money(a[0]['cost'])})"
    if factor == "volume":
        return f"{_relative(r0, r1, 'more', 'fewer')} requests ({_count(r0)} -> {_count(r1)})"
    if factor in ("tokens_per_request", "output_tokens_per_request"):
        size = "input" if factor == "tokens_per_request" else "output"
        t0, t1 = (a[i][size] / a[i]["requests"] if a[i]["requests"] else 0.0 for i in (0, 1))
        noun = "prompts" if size == "input" else "responses"
        return f"{noun} {_relative(t0, t1, 'longer', 'shorter')} ({_count(t0)} -> {_count(t1)} tokens)"
    if factor == "cache_share":
        h0, h1 = (a[i]["cached"] / a[i]["input"] if a[i]["input"] else 0.0 for i in (0, 1))
        return f"cached share of input tokens {h0 * 100:.1f}% -> {h1 * 100:.1f}%"
    if factor == "price":
        said = []
        for noun, cost, tokens in (("input", "k_uncached", None), ("output", "k_output", "output")):
            per = [a[i][cost] / (a[i][tokens] if tokens else a[i]["input"] - a[i]["cached"]) * 1e6
                   if (a[i][tokens] if tokens else a[i]["input"] - a[i]["cached"]) else None for i in (0, 1)]
            if per[0] is not None and per[1] is not None and abs(per[1] - per[0]) > 1e-9 * max(abs(per[0]), 1e-9):
                said.append(f"{noun} ${per[0]:,.2f} -> ${per[1]:,.2f}")
        return "price per 1M tokens: " + ", ".join(said) if said else "cost per token changed"
    if move:
        tiers = f" ({move[2]} to {move[3]} tier)" if move[2] and move[3] and move[2] != move[3] else ""
        return f"moved from {move[0]} to {move[1]}{tiers}" + (f" on {day:%b} {day.day}" if day else "")
    return f"share of all requests {share[0] * 100:.1f}% -> {share[1] * 100:.1f}%"


# ---------------------------------------------------------------- cloud and GPU cost

_BILLING_CELL = {"service": "ServiceName", "sku": "SkuId", "unit": "PricingUnit", "category": "ChargeCategory"}
_BILLING_MEASURES = {"rows": "COUNT(*)", "cost": "SUM(COALESCE(EffectiveCost, 0))",
                     "quantity": "SUM(COALESCE(PricingQuantity, 0))"}
_GPU_CELL = {"cluster": "cluster", "deployment": "deployment", "team": "team"}
_GPU_MEASURES = {"cost": "SUM(COALESCE(cost_usd, 0))", "gpu_hours": "SUM(COALESCE(gpu_count, 0))",
                 "idle": "SUM(COALESCE(cost_usd * (1 - gpu_util_pct / 100), 0))"}


def _plain_cells(executor: Executor, table: str, keys: dict[str, str], measures: dict[str, str], window: Window,
                 settings: Settings, scope: Scope | None, filters: tuple[Filter, ...], model: SemanticModel,
                 labels: dict[str, str] | None = None) -> list[dict]:
    query = _cells_query(keys, measures, exp.to_table(table), window, model.timed_column(table), labels)
    rows = _run(executor, query.where(_where(table, window, filters, model)), settings, scope)
    return [{"keys": {k: row[k] for k in keys}, "labels": {k: row[k] for k in labels or {}}}
            | {i: {m: float(row[f"{m}_{i}"] or 0) for m in measures} for i in (0, 1)} for row in rows]


def _billing_parts(cell: dict) -> list[_Part]:
    """Price and quantity effects of one cell: the symmetric split of p*q, exact."""
    (c0, q0, n0), (c1, q1, n1) = ((cell[i]["cost"], cell[i]["quantity"], cell[i]["rows"]) for i in (0, 1))
    if not n0 or not n1:
        return [_Part(cell["keys"], "new" if n1 else "removed", c1 - c0)]
    if (q0 == 0 and c0) or (q1 == 0 and c1):
        return [_Part(cell["keys"], "fees_and_credits", c1 - c0)]
    p0, p1 = _ratio(c0, q0), _ratio(c1, q1)
    p0 = p1 if p0 is None else p0
    p1 = p0 if p1 is None else p1
    if p0 is None or p1 is None:  # both or neither
        return []
    return [_Part(cell["keys"], "usage_quantity", (q1 - q0) * (p0 + p1) / 2),
            _Part(cell["keys"], "price", (p1 - p0) * (q0 + q1) / 2)]


def _billing(executor: Executor, window: Window, settings: Settings, scope: Scope | None,
             filters: tuple[Filter, ...], model: SemanticModel) -> _Breakdown:
    labels = {"meter": "MAX(SkuMeter)"} if "SkuMeter" in executor.schema().get("billing", {}) else {}
    cells = _plain_cells(executor, "billing", _BILLING_CELL, _BILLING_MEASURES, window, settings, scope, filters, model, labels)
    parts = [p for c in cells for p in _billing_parts(c)]

    def describe(dimension: str, value: str, factor: str, own: list[_Part]) -> str:
        top = max((p for p in own if p.factor == factor), key=lambda p: abs(p.usd))
        cell = next(c for c in cells if c["keys"] == top.keys)
        (c0, q0), (c1, q1) = ((cell[i]["cost"], cell[i]["quantity"]) for i in (0, 1))
        name = cell["labels"].get("meter") or cell["keys"]["sku"] or cell["keys"]["category"] or NO_VALUE
        unit = cell["keys"]["unit"] or "unit"
        if factor == "usage_quantity":
            return f"{name}: usage {_relative(q0, q1, 'more', 'less')} ({_count(q0)} -> {_count(q1)} {unit})"
        if factor == "price" and q0 and q1:
            return f"{name}: unit price ${c0 / q0:,.4g} -> ${c1 / q1:,.4g} per {unit}"
        return f"{name}: {money(c0)} -> {money(c1)}"

    totals = tuple(sum(c[i]["cost"] for c in cells) for i in (0, 1))
    return parts, totals, (), describe


def _gpu(executor: Executor, window: Window, settings: Settings, scope: Scope | None,
         filters: tuple[Filter, ...], model: SemanticModel) -> _Breakdown:
    cells = _plain_cells(executor, "gpu_usage", _GPU_CELL, _GPU_MEASURES, window, settings, scope, filters, model)
    parts = []
    for c in cells:
        parts.append(_Part(c["keys"], "idle_capacity", c[1]["idle"] - c[0]["idle"]))
        used = [c[i]["cost"] - c[i]["idle"] for i in (0, 1)]
        parts.append(_Part(c["keys"], "used_capacity", used[1] - used[0]))

    def describe(dimension: str, value: str, factor: str, own: list[_Part]) -> str:
        a = _sum_cells([c for c in cells if _name(c["keys"][dimension], dimension) == value])
        used = [(a[i]["cost"] - a[i]["idle"]) / a[i]["cost"] * 100 if a[i]["cost"] else 0.0 for i in (0, 1)]
        hours = f"GPU hours {_count(a[0]['gpu_hours'])} -> {_count(a[1]['gpu_hours'])}"
        if not a[0]["cost"] or not a[1]["cost"]:
            i = 1 if a[1]["cost"] else 0
            return (f"{'new' if i else 'gone'}: {_count(a[i]['gpu_hours'])} GPU hours, idle cost {money(a[i]['idle'])}, "
                    f"utilization {used[i]:.0f}%")
        if factor == "idle_capacity":
            return (f"idle cost {money(a[0]['idle'])} -> {money(a[1]['idle'])}, "
                    f"utilization {used[0]:.0f}% -> {used[1]:.0f}%, {hours}")
        return f"used capacity {money(a[0]['cost'] - a[0]['idle'])} -> {money(a[1]['cost'] - a[1]['idle'])}, {hours}"

    totals = tuple(sum(c[i]["cost"] for c in cells) for i in (0, 1))
    return parts, totals, (), describe


# ---------------------------------------------------------------- the report

_METHODS = {"inference_cost": _inference, "cost": _billing, "gpu_cost": _gpu}


def decompose(executor: Executor, metric: str, window: Window, *, settings: Settings, scope: Scope | None = None,
              filters: tuple[Filter, ...] = (), segments: Segments | None = None) -> DriverReport:
    """Why `metric` changed from window.compare_start..compare_end to window.start..end, split exactly.

    `segments` (`read_segments` over a span holding both windows) spares inference cost its query.
    """
    if metric not in _METHODS:
        raise QueryError(f"Changes can be explained for {', '.join(_METHODS)}; not for {metric}.")
    if window.compare_start is None or window.compare_end is None:
        previous = previous_window(window)
        window = Window(window.label, window.start, window.end, previous.start, previous.end)
    model = load_semantic_model()
    if metric == "inference_cost":
        breakdown = _inference(executor, window, settings, scope, tuple(filters), model, segments)
    else:
        breakdown = _METHODS[metric](executor, window, settings, scope, tuple(filters), model)
    parts, (before, after), info, describe = breakdown
    by_factor: defaultdict[str, float] = defaultdict(float)
    for p in parts:
        by_factor[p.factor] += p.usd
    factors = tuple(sorted((FactorImpact(f, v) for f, v in by_factor.items() if abs(v) > 1e-9),
                           key=lambda f: -abs(f.impact_usd)))
    drivers = []
    for dimension in DIMENSIONS[metric]:
        grouped = defaultdict(list)
        for p in parts:
            grouped[_name(p.keys.get(dimension), dimension)].append(p)
        ranked = []
        for value, own in grouped.items():
            impacts: defaultdict[str, float] = defaultdict(float)
            for p in own:
                impacts[p.factor] += p.usd
            if all(abs(v) < 1e-9 for v in impacts.values()):
                continue
            total = sum(impacts.values())
            factor = _dominant(impacts, total)
            ranked.append(Driver(dimension, value, factor, total, describe(dimension, value, factor, own),
                                 tuple(FactorImpact(f, v) for f, v in sorted(impacts.items(), key=lambda kv: -abs(kv[1])))))
        drivers += sorted(ranked, key=lambda d: (-round(abs(d.impact_usd), 2), -round(abs(d.factors[0].impact_usd), 2), d.value))
    change = after - before
    return DriverReport(metric, window, before, after, change, change / before * 100 if before else None,
                        factors, tuple(drivers), info)


def _dominant(impacts: dict, total: float) -> str:
    """The factor that moved a value most in the direction it went."""
    same = {f: v for f, v in impacts.items() if v * total > 0} or impacts
    return max(same, key=lambda f: abs(same[f]))


def narrate_drivers(report: DriverReport, top: int = 3) -> str:
    """The change in $ and % first, then the few values that moved it most, in plain words."""
    label = METRIC_WORDS.get(report.metric, report.metric)
    w = report.window
    before = previous_window(Window(w.label, w.start, w.end))
    assert w.compare_start is not None and w.compare_end is not None, "a driver report compares two windows"
    then = before.describe() if (before.start, before.end) == (w.compare_start, w.compare_end) else \
        Window("the period before", w.compare_start, w.compare_end).describe()
    change = report.change_usd
    if abs(change) < 0.005:
        text = f"{label} was unchanged at {money(report.total_after, compact=True)} {window_in_words(w)} against {then}."
        if report.factors:
            text += " Within it: " + ", ".join(f"{FACTOR_WORDS.get(f.factor, f.factor)} {money(f.impact_usd, compact=True, sign=True)}"
                                               for f in report.factors[:4]) + "."
        return text
    pct = f" {abs(report.change_pct):.1f}%" if report.change_pct is not None else ""
    text = (f"{label} {'rose' if change > 0 else 'fell'}{pct} ({money(change, compact=True, sign=True)}) "
            f"{window_in_words(w)} against {then}, to {money(report.total_after, compact=True)} "
            f"from {money(report.total_before, compact=True)}.")
    primary = [d for d in report.drivers if d.dimension == DIMENSIONS[report.metric][0]]
    shown = [d for d in primary[:top] if abs(d.impact_usd) >= 0.05 * abs(change)] or primary[:1]
    if shown:
        text += " " + "; ".join(f"{d.value}: {money(d.impact_usd, compact=True, sign=True)}, "
                                f"{d.detail or FACTOR_WORDS.get(d.factor, d.factor)}" for d in shown) + "."
    if report.factors:
        text += " By factor: " + ", ".join(f"{FACTOR_WORDS.get(f.factor, f.factor)} {money(f.impact_usd, compact=True, sign=True)}"
                                         for f in report.factors[:4]) + "."
    retries = next((f for f in report.informational if f.factor == "retries"), None)
    if retries and abs(retries.impact_usd) >= max(0.05 * abs(change), 0.005):
        text += f" Retries {money(retries.impact_usd, compact=True, sign=True)} (already counted above)."
    return text


# ---------------------------------------------------------------- words


def _name(value: Any, dimension: str = "") -> str:
    if value is None:
        return "(unallocated)" if dimension == "deployment" else NO_VALUE
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def _count(x: float) -> str:
    """1234 -> '1.2k'; 5_600_000 -> '5.6M'.

    >>> _count(850), _count(3140.0), _count(5_600_000)
    ('850', '3.1k', '5.6M')
    """
    if abs(x) >= 1e6:
        return f"{x / 1e6:.1f}M"
    return f"{x / 1e3:.1f}k" if abs(x) >= 1e3 else f"{x:,.0f}"


def _relative(a: float, b: float, more: str, less: str) -> str:
    """'2.4x longer', '12% shorter'."""
    if not a:
        return "up from none" if b else "unchanged"
    r = b / a
    if r >= 1.5:
        return f"{r:.1f}x {more}"
    if r == 1:
        return "unchanged"
    return f"{abs(r - 1) * 100:.0f}% {more if r > 1 else less}"

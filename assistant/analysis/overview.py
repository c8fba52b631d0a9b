"""`build_overview(context) -> Overview`: the figures behind the chat app's overview page.

Six sections, each from the code that answers the same question in the chat,
run through the guard with the caller's row scope:

- `spend`: this month's cost so far, its month-end forecast with interval, and
  the monthly budgets' outlook (`forecast.forecast_month`, `forecast.budget_outlook`);
- `trend`: daily cost by service category over the last 30 days, as a stacked
  area chart (the planner's trend query; small categories folded together);
- `movers`: the largest week-over-week increases and decreases of inference
  cost by feature, model and team, and of cloud cost by service (the planner's
  comparison queries);
- `anomalies`: the anomalies of the last 14 days with impact and root causes;
- `savings`: the largest savings found, in dollars per month;
- `reconciliation`: last month's tracked LLM spend (the request logs) against
  what the providers billed, per provider, with the likely causes of the gap
  (`reconciliation.reconcile`).

Every section and item carries a `question` the chat answers, so the page can
link into the chat with it. A section that fails holds a message instead of
figures; the others still render. An empty warehouse is a `WarehouseError`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

from assistant.analysis.forecast import (
    BudgetOutlook,
    Forecast,
    budget_outlook,
    forecast_month,
    narrate_forecast,
    narrate_outlook,
)
from assistant.analysis.reconciliation import (
    CAUSE_LABELS,
    RECONCILIATION_COLUMNS,
    RECONCILIATION_QUESTION,
    last_month,
    narrate_reconciliation,
    reconcile,
    reconciliation_rows,
    signed_pct,
)
from assistant.analysis.savings import ATTRIBUTION_KINDS, KIND_LABELS
from assistant.answer import Answer, AnswerError, AskContext
from assistant.ask import ask
from assistant.present.charts import reconciliation_bars, stacked_area
from assistant.present.jsonable import jsonable
from assistant.present.narrate import window_in_words
from assistant.present.numbers import change, money
from assistant.query.plan import Clarification
from assistant.query.window import Window
from assistant.understand.planner import Planner, PlannerContext
from assistant.understand.planners import planner_for, resolve_as_of
from warehouse.errors import ErrorKind, FinopsError, internal_error_message, log_internal_error
from warehouse.executor import Executor

log = logging.getLogger("finops")

TOP = 5  # movers each way, savings, anomalies listed as items
CATEGORIES = 4  # service categories drawn on their own; the rest are folded into one
OTHERS = "all other categories"
ANOMALY_DAYS = 14

SPEND_QUESTION = "are we over budget this month?"
FORECAST_QUESTION = "projected cloud spend at end of month"
TREND_QUESTION = "daily cost by service category over the last 30 days"
MOVERS_QUESTION = "why did inference cost change last week?"
ANOMALIES_QUESTION = f"any anomalies in the last {ANOMALY_DAYS} days?"
SAVINGS_QUESTION = "where are we wasting money?"
# Questions about one dimension value: "{}" becomes "feature document-analysis".
# metric label, dimension, the week-over-week question, the why-question about one value
MOVER_QUERIES = (
    ("inference cost", "feature", "inference cost by feature week over week", "why did inference cost for {} change last week?"),
    ("inference cost", "model", "inference cost by model week over week", "why did inference cost for {} change last week?"),
    ("inference cost", "team", "inference cost by team week over week", "why did inference cost for {} change last week?"),
    ("cloud cost", "service", "cloud cost by service week over week", "why did cost for {} change last week?"),
)
CATEGORY_QUESTION = "daily cost for {} over the last 30 days"
ANOMALY_QUESTION = "daily {metric} for {{}} over the last 30 days"
SAVING_QUESTIONS = {
    "routing": "inference cost by model for {} over the last 30 days",
    "prompt_caching": "repeat share by model for {} over the last 30 days",
    "retry_waste": "retry cost by feature over the last 30 days",
    "idle_gpu": "daily idle GPU cost for {} over the last 30 days",
    "unallocated_gpu": "daily idle GPU cost for {} over the last 30 days",
    "unit_cost_ceiling": "daily cost per request for {} over the last 30 days",
}


@dataclass(frozen=True)
class OverviewItem:
    """One line of a section (a budget, a category, a mover, an anomaly, a saving) and its chat question."""

    title: str
    text: str
    question: str
    figures: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"title": self.title, "text": self.text, "question": self.question, "figures": jsonable(self.figures)}


@dataclass(frozen=True)
class OverviewSection:
    """One block of the page: its figures, table, chart and items, or the message saying why not."""

    key: str  # spend, trend, movers, anomalies, savings, reconciliation
    title: str
    question: str
    text: str = ""
    window: Window | None = None
    figures: dict = field(default_factory=dict)
    columns: tuple[str, ...] = ()
    rows: list[tuple] = field(default_factory=list)
    chart: dict | None = None
    items: tuple[OverviewItem, ...] = ()
    error: AnswerError | None = None
    elapsed_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict:
        return {
            "key": self.key, "title": self.title, "question": self.question, "text": self.text,
            "window": self.window.to_json() if self.window else None, "figures": jsonable(self.figures),
            "columns": list(self.columns), "rows": jsonable(self.rows), "chart": self.chart,
            "items": [item.to_json() for item in self.items],
            "error": {"kind": self.error.kind, "message": self.error.message} if self.error else None,
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


@dataclass(frozen=True)
class Overview:
    as_of: date
    scope: str | None
    sections: tuple[OverviewSection, ...]
    elapsed_ms: float = 0.0

    def section(self, key: str) -> OverviewSection:
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)

    def questions(self) -> list[str]:
        """Every question the page links to, each once, in page order."""
        found = [q for s in self.sections for q in (s.question, *(i.question for i in s.items))]
        return list(dict.fromkeys(found))

    def to_json(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "scope": self.scope,
                "sections": [s.to_json() for s in self.sections], "elapsed_ms": round(self.elapsed_ms, 1)}


@dataclass(frozen=True)
class _Run:
    """What every section is built with: the context (as_of and executor fixed) and the planner."""

    context: AskContext
    as_of: date
    planner: Planner

    @property
    def executor(self) -> Executor:
        return self.context.executor

    def ask(self, question: str) -> Answer:
        return ask(question, self.context)

    def linked(self, template: str, dimension: str, value: object, fallback: str) -> str:
        """The question `template` asks about one dimension value, when the planner reads it so; else `fallback`.

        A value the planner cannot place (untagged, a label such as "unallocated", a name it reads as
        another dimension's) links to the section's question instead.
        """
        if "{}" not in template:
            return template
        if value is None or dimension not in self.planner.model.dimensions:
            return fallback
        question = template.format(f"{self.planner.model.dimensions[dimension].label} {value}")
        plan = self.planner.plan(question, PlannerContext(as_of=self.as_of))
        if isinstance(plan, Clarification) or not any(
                f.dimension == dimension and not f.negate and str(value) in f.values for f in plan.filters):
            return fallback
        return question


def build_overview(context: AskContext) -> Overview:
    """The overview of the warehouse as of `context.as_of` (else settings, else the data's), within `context.scope`."""
    started = time.perf_counter()
    executor = context.executor or Executor(context.settings)
    try:
        planner, _ = planner_for(executor)
        as_of = resolve_as_of(executor, context.settings, context.as_of)
        asking = replace(context, as_of=as_of, executor=executor, route="planner", previous=None, on_token=None)
        run = _Run(asking, as_of, planner)
        sections = tuple(_soft(run, *spec) for spec in SECTIONS)
    finally:
        if context.executor is None:
            executor.close()
    scope = None if context.scope is None else f"{context.scope.dimension}={context.scope.value}"
    return Overview(as_of, scope, sections, (time.perf_counter() - started) * 1000)


def _soft(run: _Run, key: str, title: str, question: str,
          build: Callable[[_Run, OverviewSection], OverviewSection]) -> OverviewSection:
    """The section `build` makes, or one holding the message of what went wrong."""
    started = time.perf_counter()
    empty = OverviewSection(key, title, question)
    try:
        section = build(run, empty)
    except FinopsError as error:
        section = replace(empty, error=AnswerError(error.kind, error.user_message))
    except Exception:  # our bug: logged with an id; the rest of the page still renders
        request_id = log_internal_error(log, "building the overview's %s section", key)
        section = replace(empty, error=AnswerError(
            "internal", f"{internal_error_message(request_id)} Ask “{question}” in the chat instead."))
    return replace(section, elapsed_ms=(time.perf_counter() - started) * 1000)


def _unanswered(section: OverviewSection, answer: Answer) -> OverviewSection:
    return replace(section, error=answer.error or AnswerError(ErrorKind.NOT_SUPPORTED, "No answer."))


# ---------------------------------------------------------------- spend against budget


def spend_section(run: _Run, section: OverviewSection) -> OverviewSection:
    context = run.context
    forecast = forecast_month(run.executor, context.settings, "cost", as_of=run.as_of, scope=context.scope)
    text = narrate_forecast(forecast)
    if "budgets" in run.executor.schema():
        outlooks = budget_outlook(run.executor, context.settings, as_of=run.as_of, scope=context.scope)
        lines = narrate_outlook(outlooks).splitlines()
        same_method = outlooks and lines[-1].startswith("Method:")  # the forecast's text already says it
        text += "\n\n" + "\n".join(lines[:-1] if same_method else lines)
    else:
        outlooks = []
        text += "\n\nNo budgets are loaded: add a budgets table with `finops ingest PATH` to compare spend with them."
    total = next((o for o in outlooks if o.metric == "cost" and o.scope == "total"), None)
    figures = {
        "metric": "cost", "month_start": forecast.month_start, "month_end": forecast.month_end,
        "days_elapsed": forecast.days_elapsed, "days_in_month": forecast.days_in_month,
        "spent_so_far": forecast.spent_so_far, "projected": forecast.projected_total,
        "low": forecast.low, "high": forecast.high, "method": forecast.method,
        "budget": total.budget if total else None,
        "projected_vs_budget": total.projected - total.budget if total else None,
        "projected_pct_of_budget": total.projected_pct if total else None,
    }
    columns = ("budget_name", "metric", "scope", "scope_value", "budget", "spent", "projected", "low", "high",
               "projected_pct", "runs_out_on")
    rows = [(o.name, o.metric, o.scope, o.scope_value, o.budget, o.spent, o.projected, o.low, o.high,
             o.projected_pct, o.runs_out_on) for o in outlooks]
    items = (_forecast_item(forecast, total), *(_budget_item(o) for o in outlooks))
    return replace(section, text=text, window=Window(f"{forecast.month_start:%B %Y}", forecast.month_start, run.as_of), figures=figures,
                   columns=columns, rows=rows, items=items)


def _forecast_item(forecast: Forecast, total: BudgetOutlook | None) -> OverviewItem:
    text = (f"{money(forecast.spent_so_far, compact=True)} so far; projected {money(forecast.projected_total, compact=True)} "
            f"({money(forecast.low, compact=True)} to {money(forecast.high, compact=True)}) by month end")
    if total is not None:
        over = total.projected - total.budget
        text += (f", {money(abs(over), compact=True)} {'over' if over > 0 else 'under'} the "
                 f"{money(total.budget, compact=True)} budget")
    return OverviewItem("Month-end forecast", text + ".", FORECAST_QUESTION,
                        {"spent_so_far": forecast.spent_so_far, "projected": forecast.projected_total,
                         "low": forecast.low, "high": forecast.high})


def _budget_item(o: BudgetOutlook) -> OverviewItem:
    text = f"{money(o.spent, compact=True)} of {money(o.budget, compact=True)} spent; projected {money(o.projected, compact=True)}"
    text += f" ({o.projected_pct:.0f}% of budget)" if o.projected_pct is not None else ""
    if o.runs_out_on is not None:
        text += f", runs out on {o.runs_out_on:%b} {o.runs_out_on.day}"
    figures = {"metric": o.metric, "scope": o.scope, "scope_value": o.scope_value, "budget": o.budget, "spent": o.spent,
               "projected": o.projected, "low": o.low, "high": o.high, "projected_pct": o.projected_pct,
               "runs_out_on": o.runs_out_on, "over_budget": o.over_budget}
    return OverviewItem(o.name[0].upper() + o.name[1:], text + ".", SPEND_QUESTION, figures)


# ---------------------------------------------------------------- cost trend by category


def trend_section(run: _Run, section: OverviewSection) -> OverviewSection:
    answer = run.ask(TREND_QUESTION)
    if not answer.answered:
        return _unanswered(section, answer)
    at = {name: i for i, name in enumerate(answer.columns)}
    totals: dict[str, float] = {}
    for row in answer.rows:
        name = row[at["service_category"]] or "(none)"
        totals[name] = totals.get(name, 0.0) + (row[at["cost"]] or 0.0)
    ranked = sorted(totals, key=lambda c: -totals[c])
    shown = ranked if len(ranked) <= CATEGORIES + 1 else ranked[:CATEGORIES]
    order = shown + ([OTHERS] if len(shown) < len(ranked) else [])
    days = sorted({row[at["day"]] for row in answer.rows})
    cells = {(day, name): 0.0 for day in days for name in order}
    for row in answer.rows:
        name = row[at["service_category"]] or "(none)"
        key = (row[at["day"]], name if name in shown else OTHERS)
        cells[key] += row[at["cost"]] or 0.0
    columns = ("day", "service_category", "cost")
    rows = [(day, name, cells[(day, name)]) for day in days for name in order]
    grand = sum(totals.values())
    by_name = {name: sum(cells[(d, name)] for d in days) for name in order}
    items = tuple(
        OverviewItem(name, f"{money(by_name[name], compact=True)}"
                     + (f" ({by_name[name] / grand * 100:.1f}%)" if grand else ""),
                     TREND_QUESTION if name == OTHERS else run.linked(
                         CATEGORY_QUESTION, "service_category", name, TREND_QUESTION),
                     {"category": name, "cost": by_name[name], "share": by_name[name] / grand if grand else None})
        for name in order
    )
    # An answered planner question carries its plan's window (the overview asks on the planner route only).
    assert answer.window is not None
    text = f"Cost {window_in_words(answer.window)} was **{money(grand, compact=True)}**"
    text += (": " + ", ".join(f"{i.title} {i.text}" for i in items) + ".") if items else "; no spend in the window."
    return replace(section, text=text, window=answer.window, figures={"total": grand, "categories": len(ranked)},
                   columns=columns, rows=rows, items=items, chart=stacked_area(answer.chart, columns, rows, order, "service_category"))


# ---------------------------------------------------------------- top movers week over week


def movers_section(run: _Run, section: OverviewSection) -> OverviewSection:
    movers, notes, totals, window = [], [], {}, None
    for label, dimension, question, why in MOVER_QUERIES:
        answer = run.ask(question)
        if not answer.answered:
            notes.append(f"{label} by {dimension}: {answer.error.message if answer.error else 'no answer'}")
            continue
        window = window or answer.window
        metric = answer.plan.metric
        at = {name: i for i, name in enumerate(answer.columns)}
        now_total = before_total = 0.0
        for row in answer.rows:
            value, now, before = row[at[dimension]], row[at[metric]] or 0.0, row[at[f"{metric}_previous"]] or 0.0
            now_total, before_total = now_total + now, before_total + before
            movers.append({"metric": metric, "label": label, "dimension": dimension, "value": value,
                           "before": before, "after": now, "change_usd": now - before,
                           "change_pct": (now - before) / before * 100 if before else None, "why": why})
        totals[label] = (now_total, before_total)
    if window is None:
        return replace(section, error=AnswerError(ErrorKind.NOT_SUPPORTED, "; ".join(notes)))
    ups = sorted((m for m in movers if m["change_usd"] > 0), key=lambda m: -m["change_usd"])[:TOP]
    downs = sorted((m for m in movers if m["change_usd"] < 0), key=lambda m: m["change_usd"])[:TOP]
    items = tuple(_mover_item(run, m) for m in ups + downs)
    text = " ".join(f"{label[0].upper() + label[1:]} {window_in_words(window)} was **{money(now, compact=True)}**, "
                    f"{change(now, before, 'usd')} on the week before." for label, (now, before) in totals.items())
    if notes:
        text += "\n\nNot shown: " + "; ".join(notes)
    columns = ("metric", "dimension", "value", "before", "after", "change_usd", "change_pct")
    rows = [tuple(m[c] for c in columns) for m in sorted(movers, key=lambda m: -abs(m["change_usd"]))]
    return replace(section, text=text, window=window, columns=columns, rows=rows, items=items,
                   figures={"increases": len(ups), "decreases": len(downs)})


def _mover_item(run: _Run, m: dict) -> OverviewItem:
    name = "(untagged)" if m["value"] is None else str(m["value"])
    pct = "" if m["change_pct"] is None else f" ({m['change_pct']:+.0f}%)"
    text = (f"{m['label']} {money(m['change_usd'], compact=True, sign=True)}{pct}: "
            f"{money(m['before'], compact=True)} → {money(m['after'], compact=True)}")
    question = run.linked(m["why"], m["dimension"], m["value"], MOVERS_QUESTION)
    figures = {k: m[k] for k in ("metric", "dimension", "value", "before", "after", "change_usd", "change_pct")}
    return OverviewItem(f"{m['dimension']} {name}", text, question, figures)


# ---------------------------------------------------------------- open anomalies


def anomalies_section(run: _Run, section: OverviewSection) -> OverviewSection:
    answer = run.ask(ANOMALIES_QUESTION)
    if not answer.answered:
        return _unanswered(section, answer)
    labels = {name: spec.label for name, spec in run.planner.model.metrics.items()}
    items = []
    for a in answer.anomalies[:TOP * 2]:
        label = labels.get(a["metric"], a["metric"])
        name = "(untagged)" if a["value"] is None else str(a["value"])
        causes = ", ".join(f"{c['dimension']} {c['value']} ({money(c['impact_usd'], compact=True, sign=True)})"
                           for c in a["root_causes"][:3])
        ongoing = date.fromisoformat(a["end"]) >= run.as_of
        pct = f" ({a['impact_pct']:+.0f}%)" if a["impact_pct"] is not None else ""
        text = (f"{money(a['impact_usd'], compact=True, sign=True)}{pct} from {a['start']}"
                + (", ongoing" if ongoing else f" to {a['end']}") + (f"; root causes: {causes}" if causes else ""))
        question = run.linked(ANOMALY_QUESTION.format(metric=label), a["dimension"], a["value"], ANOMALIES_QUESTION)
        items.append(OverviewItem(f"{label[0].upper() + label[1:]} of {a['dimension']} {name}", text, question,
                                  {**a, "ongoing": ongoing}))
    return replace(section, text=answer.text, window=answer.window, columns=answer.columns, rows=answer.rows,
                   items=tuple(items), figures={"count": len(answer.anomalies),
                                                "impact_usd": sum(a["impact_usd"] for a in answer.anomalies)})


# ---------------------------------------------------------------- savings


def savings_section(run: _Run, section: OverviewSection) -> OverviewSection:
    answer = run.ask(SAVINGS_QUESTION)
    if not answer.answered:
        return _unanswered(section, answer)
    found = [dict(zip(answer.columns, row)) for row in answer.rows]
    savings = [s for s in found if s["kind"] not in ATTRIBUTION_KINDS]
    items = []
    for s in savings[:TOP]:
        template = SAVING_QUESTIONS.get(s["kind"], SAVINGS_QUESTION)
        question = run.linked(template, s["dimension"], s["value"], SAVINGS_QUESTION)
        items.append(OverviewItem(f"{KIND_LABELS.get(s['kind'], s['kind'])}, {s['dimension']} {s['value']}",
                                  f"{money(s['monthly_usd'], compact=True)}/month. {s['recommendation']}", question,
                                  {k: s[k] for k in ("kind", "dimension", "value", "monthly_usd", "recommendation")}))
    figures = {"monthly_usd": sum(s["monthly_usd"] for s in savings), "findings": len(savings),
               "unattributed_monthly_usd": sum(s["monthly_usd"] for s in found if s["kind"] in ATTRIBUTION_KINDS)}
    return replace(section, text=answer.text, window=answer.window, columns=answer.columns, rows=answer.rows,
                   chart=answer.chart, items=tuple(items), figures=figures)


# ---------------------------------------------------------------- tracked vs billed


def reconciliation_section(run: _Run, section: OverviewSection) -> OverviewSection:
    window = last_month(run.as_of)
    result = reconcile(run.executor, run.context.settings, window, scope=run.context.scope)
    rows = reconciliation_rows(result)
    items = [
        OverviewItem(p.provider, (("no requests logged" if p.tracked_usd is None else money(p.tracked_usd, compact=True))
                                  + " tracked vs " + (f"{money(p.billed_usd, compact=True)} billed ({signed_pct(p.variance_pct)})"
                                                      if p.billed_usd is not None else "nothing billed to compare with")),
                     RECONCILIATION_QUESTION,
                     {"provider": p.provider, "tracked_usd": p.tracked_usd, "billed_usd": p.billed_usd,
                      "variance_usd": p.variance_usd, "variance_pct": p.variance_pct, "billed_source": p.billed_source})
        for p in result.providers
    ]
    items += [OverviewItem(f"{CAUSE_LABELS[c.kind]}, {c.provider}", c.text, RECONCILIATION_QUESTION,
                           {"kind": c.kind, "provider": c.provider, "impact_usd": c.impact_usd, **c.evidence})
              for c in result.causes[:TOP]]
    figures = {"tracked_usd": result.tracked_usd, "billed_usd": result.billed_usd, "variance_usd": result.variance_usd,
               "variance_pct": result.variance_pct, "providers": len(result.providers), "causes": len(result.causes)}
    return replace(section, text=narrate_reconciliation(result), window=window, figures=figures,
                   columns=RECONCILIATION_COLUMNS, rows=rows, items=tuple(items),
                   chart=reconciliation_bars(RECONCILIATION_COLUMNS, rows, window.describe()))


SECTIONS = (
    ("spend", "This month against budget", SPEND_QUESTION, spend_section),
    ("trend", "Cost by category, last 30 days", TREND_QUESTION, trend_section),
    ("movers", "Top movers, week over week", MOVERS_QUESTION, movers_section),
    ("anomalies", f"Anomalies, last {ANOMALY_DAYS} days", ANOMALIES_QUESTION, anomalies_section),
    ("savings", "Top savings found", SAVINGS_QUESTION, savings_section),
    ("reconciliation", "Tracked vs billed, last month", RECONCILIATION_QUESTION, reconciliation_section),
)

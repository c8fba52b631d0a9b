"""Anomalies in words and JSON: the shape of `finops anomalies --json` and one Markdown line per anomaly.

>>> anomalies_json([], date(2026, 11, 23))
{'as_of': '2026-11-23', 'anomalies': []}
"""

from __future__ import annotations

from datetime import date, timedelta

from assistant.analysis.detection import Anomaly
from assistant.present.numbers import money
from assistant.semantic import load_semantic_model


def anomalies_json(anomalies: list[Anomaly], as_of: date) -> dict:
    """The JSON shape of `finops anomalies --json` and of `Answer.anomalies`."""
    keys = ("metric", "dimension", "value", "expected", "actual", "impact_usd", "impact_pct", "score", "kind")
    return {
        "as_of": as_of.isoformat(),
        "anomalies": [
            {**{k: getattr(a, k) for k in keys}, "start": a.start.isoformat(), "end": a.end.isoformat(),
             "root_causes": [{"dimension": r.dimension, "value": r.value, "impact_usd": r.impact_usd}
                             for r in a.root_causes],
             "cause": a.cause, "factors": [{"factor": f, "impact_usd": v} for f, v in a.factors]}
            for a in anomalies
        ],
    }


UNIT_FORMATS = {
    "cost_per_request": "${:,.4f} vs ${:,.4f} expected per request",
    "tokens_per_request": "{:,.0f} vs {:,.0f} expected input tokens per request",
    "cost_per_mtok": "${:,.2f} vs ${:,.2f} expected per 1M tokens",
}


def cause_words(a: Anomaly) -> str:
    """'prompt size (+$212.00)': the likely cause in words with its dollars.

    >>> cause_words(Anomaly("cost_per_request", "feature", "x", date(2026, 1, 1), date(2026, 1, 2), 1, 2, 5, 100, 9,
    ...                     "spike", cause="tokens_per_request", factors=(("tokens_per_request", 212.0),)))
    'prompt size (+$212.00)'
    """
    from assistant.analysis.anomaly_causes import CAUSE_WORDS

    usd = dict(a.factors).get(a.cause or "")
    words = CAUSE_WORDS.get(a.cause or "", a.cause or "")
    return words + (f" ({money(usd, compact=True, sign=True)})" if usd is not None else "")


_VERBS = {"spike": "spiked", "level_shift": "stepped", "creep": "crept", "new": "appeared", "removed": "stopped"}


def narrate_anomalies(anomalies: list[Anomaly], as_of: date, days: int) -> str:
    """Markdown: how many anomalies, then one line each with dates, dollars, percent and root cause.

    >>> print(narrate_anomalies([], date(2026, 11, 23), 30))
    No anomalies in the last 30 days (2026-10-24 to 2026-11-22).
    """
    start, last = as_of - timedelta(days=days), as_of - timedelta(days=1)
    span = f"the last {days} days ({start.isoformat()} to {last.isoformat()})"
    if not anomalies:
        return f"No anomalies in {span}."
    labels = {name: metric.label for name, metric in load_semantic_model().metrics.items()}
    lines = [f"**{len(anomalies)} anomal{'y' if len(anomalies) == 1 else 'ies'}** in {span}, biggest first:"]
    for a in anomalies:
        end = a.end - timedelta(days=1)
        when = a.start.isoformat() if end == a.start else f"{a.start.isoformat()} to {end.isoformat()}"
        verb = _VERBS[a.kind]
        if a.kind in ("spike", "level_shift", "creep"):
            verb += " up" if a.actual >= a.expected else " down"
        if a.metric == "error_rate":
            figures = f"{a.actual * 100:.1f}% vs {a.expected * 100:.1f}% expected"
        elif a.metric == "requests":
            figures = f"{a.actual:,.0f} requests vs {a.expected:,.0f} expected ({a.impact_pct:+.0f}%)"
        elif a.metric in UNIT_FORMATS:
            figures = UNIT_FORMATS[a.metric].format(a.actual, a.expected) + f" ({a.impact_pct:+.0f}%)"
        else:
            figures = f"{money(a.actual, compact=True)} vs {money(a.expected, compact=True)} expected"
            figures += "" if a.kind == "new" else f" ({a.impact_pct:+.0f}%)"
        causes = ", ".join(f"{c.dimension} {c.value} ({money(c.impact_usd, compact=True, sign=True)})"
                           for c in a.root_causes[:3])
        lines.append(
            f"- **{labels.get(a.metric, a.metric)}** of {a.dimension} **{a.value}** {verb}, {when}: "
            f"{money(a.impact_usd, compact=True, sign=True)}; {figures}"
            + (f"; likely cause: {cause_words(a)}" if a.cause else "")
            + (f"; root causes: {causes}" if causes else "")
        )
    return "\n".join(lines)

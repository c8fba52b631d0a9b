"""Questions the assistant can answer: offered when it cannot place one, and as follow-ups.

>>> similar_questions("how much did gpus cost")[0]
'What was our GPU cost last month?'
"""

from __future__ import annotations

import re

CATALOGUE = (
    "Why did inference cost jump last week?",
    "What was our total cloud spend last month?",
    "Inference cost by feature last week",
    "Top 5 services by cost this month",
    "What was our GPU cost last month?",
    "Idle GPU cost by deployment last week",
    "Cost per request by model last month",
    "Daily inference cost over the last 30 days",
    "Share of spend by provider last month",
    "Error rate by model yesterday",
    "How much did we spend on retries last week?",
    "Prompt size of document-analysis week over week",
    "Are we over budget this month?",
    "Requests by team last 7 days",
    "P95 latency by model last week",
)
_WORD = re.compile(r"[a-z0-9]+")
_COMMON = {"the", "a", "of", "by", "what", "was", "our", "last", "this", "did", "we", "how", "much", "on", "is", "are"}


def _words(text: str) -> set[str]:
    words = set(_WORD.findall(text.lower())) - _COMMON
    return words | {w.rstrip("s") for w in words}


def similar_questions(text: str, n: int = 3) -> tuple[str, ...]:
    """The `n` catalogue questions sharing the most words with `text` (the first ones when none do)."""
    asked = _words(text)
    scored = sorted(CATALOGUE, key=lambda q: (-len(asked & _words(q)), CATALOGUE.index(q)))
    return tuple(scored[:n])


def follow_ups(plan, model) -> list[str]:
    """Follow-up questions for an answered plan: another breakdown, a trend, the period before."""
    label = model.metrics[plan.metric].label
    table = model.metrics[plan.metric].table
    window = plan.window.label
    suggestions = []
    options = [d for d in ("feature", "model", "team", "service", "deployment", "provider") if table in model.dimensions[d].columns]
    unused = [d for d in options if d not in plan.dimensions]
    if plan.intent == "why_changed":
        if unused:
            suggestions.append(f"And by {model.dimensions[unused[0]].label}?")
        suggestions.append(f"Daily {label} {window}")
    else:
        if unused:
            suggestions.append(f"{label.capitalize()} by {model.dimensions[unused[0]].label} {window}")
        if plan.intent != "trend":
            suggestions.append(f"Daily {label} {window}")
        suggestions.append(f"Why did {label} change {window}?")
    return suggestions[:3]

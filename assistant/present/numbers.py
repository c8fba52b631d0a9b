"""Numbers as people read them: money in the billing currency with two decimals, k and M
for large sums, ratios as percentages with one decimal (SEMANTICS.md, reading rules).

A leaf module: the `Answer` and every channel format figures through it.

>>> money(48210.554), money(10234.0, compact=True), money(-950.0, compact=True, sign=True)
('$48,210.55', '$10.2k', '-$950.00')
>>> figure(0.1234, "ratio"), change(120.0, 100.0, "usd")
('12.3%', 'up 20.0% (+$20.00)')
"""

from __future__ import annotations


def money(value: float | None, compact: bool = False, sign: bool = False) -> str:
    if value is None:
        return "n/a"
    prefix = ("+" if value > 0 else "-" if value < 0 else "") if sign else ("-" if value < 0 else "")
    amount = abs(value)
    if compact and amount >= 1_000_000:
        return f"{prefix}${amount / 1_000_000:,.2f}M"
    if compact and amount >= 10_000:
        return f"{prefix}${amount / 1_000:,.1f}k"
    return f"{prefix}${amount:,.2f}"


def figure(value: float | None, unit: str) -> str:
    """One value of a metric, formatted for its unit."""
    if value is None:
        return "n/a"
    if unit == "usd":
        return money(value) if abs(value) >= 1 or value == 0 else f"${value:,.4f}"
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "ms":
        return f"{value:,.0f} ms"
    if unit == "tokens":
        return f"{value:,.0f} tokens"
    if unit == "hours":
        return f"{value:,.0f} GPU hours"
    return f"{value:,.0f}"


def change(current: float | None, previous: float | None, unit: str) -> str:
    """'up 34.0% (+$1.0k)' or 'down 2.1 points' for ratios."""
    if current is None or previous is None:
        return ""
    delta = current - previous
    if unit in ("ratio", "percent"):
        points = delta * 100 if unit == "ratio" else delta
        direction = "up" if points > 0 else "down" if points < 0 else "unchanged"
        return f"{direction} {abs(points):.1f} points" if points else "unchanged"
    direction = "up" if delta > 0 else "down" if delta < 0 else "unchanged"
    if not delta:
        return "unchanged"
    pct = f" {abs(delta) / abs(previous) * 100:.1f}%" if previous else ""
    if unit == "usd":
        amount = money(delta, compact=True, sign=True) if abs(delta) >= 1 else f"{'+' if delta > 0 else '-'}${abs(delta):,.4f}"
    else:
        amount = f"{delta:+,.0f}"
    return f"{direction}{pct} ({amount})"

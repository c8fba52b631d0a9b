"""The additive log-mean Divisia index (LMDI-I): an exact split of a product's change over its factors.

The change of prod(x) between two windows is split as L(v1, v0) * ln(x1 / x0)
per factor, where L is the logarithmic mean; the parts add up to v1 - v0 exactly.
Zeros take the limit L(x, 0) = 0: a factor that is zero in one window takes the
whole change. A composite factor's impact can be handed on to the second-level
parts it is made of (multilevel LMDI) with `_share_out`.

>>> [round(x, 6) for x in lmdi((100.0, 2.0), (200.0, 2.0))]
[200.0, 0.0]
>>> [round(x, 6) for x in lmdi((0.0, 5.0), (1.0, 5.0))]
[5.0, 0.0]
"""

from __future__ import annotations

import math


def log_mean(a: float, b: float) -> float:
    """L(a, b) = (a - b) / ln(a / b) for a, b > 0, and L(a, a) = a.

    >>> log_mean(3.0, 3.0), round(log_mean(1.0, math.e), 6)
    (3.0, 1.718282)
    """
    return a if a == b else (a - b) / math.log1p((a - b) / b)


def lmdi(before: tuple, after: tuple, fallback: int = -1) -> list[float]:
    """Additive LMDI-I split of prod(after) - prod(before) over the factors; the parts sum to it exactly.

    None is a factor undefined in that window (0/0); it takes the other window's value.
    A product zero in one window gives its change to the factors zero there; a
    factor changing sign (negative costs) gives it to `fallback`.
    """
    x0 = [b if b is not None else (a if a is not None else 1.0) for b, a in zip(before, after)]
    x1 = [a if a is not None else b for b, a in zip(x0, after)]
    v0, v1 = math.prod(x0), math.prod(x1)
    out = [0.0] * len(x0)
    if v0 == 0 and v1 == 0:
        return out
    if all(a * b > 0 for a, b in zip(x0, x1)):
        weight = math.copysign(log_mean(abs(v1), abs(v0)), v1)
        return [weight * math.log1p((b - a) / a) for a, b in zip(x0, x1)]
    for zero, other in ((x0, x1), (x1, x0)):
        if math.prod(zero) == 0 and all(other):
            at = [i for i, x in enumerate(zero) if x == 0]
            for i in at:
                out[i] = (v1 - v0) / len(at)
            return out
    out[fallback] = v1 - v0
    return out


def _share_out(total: float, x: tuple[float, float], v: tuple[float, float], parts: list[float]) -> list[float]:
    """A composite factor's first-level impact, shared among second-level parts that sum to its change."""
    if total == 0 or not parts:
        return [0.0] * len(parts)
    if x[0] * x[1] > 0 and v[0] * v[1] > 0:
        scale = math.copysign(log_mean(abs(v[1]), abs(v[0])) / log_mean(abs(x[1]), abs(x[0])), v[1] * x[1])
        return [p * scale for p in parts]
    if x[1] != x[0]:
        return [p * total / (x[1] - x[0]) for p in parts]
    biggest = max(range(len(parts)), key=lambda i: abs(parts[i]))
    return [total if i == biggest else 0.0 for i in range(len(parts))]

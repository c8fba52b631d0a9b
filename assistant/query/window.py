"""`Window`: a time window, start inclusive and end exclusive, with the window it is compared to.

A core type: it imports nothing of the assistant, so every stage can use it.

>>> from datetime import date
>>> Window("last week", date(2026, 11, 16), date(2026, 11, 23), date(2026, 11, 9), date(2026, 11, 16)).describe(compared=True)
'last week (2026-11-16 to 2026-11-22), compared with 2026-11-09 to 2026-11-15'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Window:
    """A time window, start inclusive and end exclusive, with the window it is compared to."""

    label: str
    start: date
    end: date
    compare_start: date | None = None
    compare_end: date | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def describe(self, compared: bool = False) -> str:
        """'last week (2026-11-16 to 2026-11-22)': the words and the dates, end shown inclusive;
        with `compared`, the window it is compared to follows ('..., compared with 2026-11-09 to 2026-11-15')."""
        last = self.end - timedelta(days=1)
        dates = self.start.isoformat() if last == self.start else f"{self.start.isoformat()} to {last.isoformat()}"
        text = f"{self.label} ({dates})"
        if compared and self.compare_start and self.compare_end:
            text += f", compared with {self.compare_start.isoformat()} to {(self.compare_end - timedelta(days=1)).isoformat()}"
        return text

    def to_json(self) -> dict:
        out = {"label": self.label, "start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.compare_start and self.compare_end:
            out["compare_start"] = self.compare_start.isoformat()
            out["compare_end"] = self.compare_end.isoformat()
        return out

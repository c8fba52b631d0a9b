"""Kept for `.ipynb` reports saved before the move: their cells import `show` and `answer_frame` from here."""

from ui.notebooks.reports import answer_frame, show

__all__ = ["answer_frame", "show"]

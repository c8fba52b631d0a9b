"""Demo data: a realistic AI company's billing, LLM, GPU, price and budget tables.

>>> from warehouse.demo import generate_demo, DemoSummary
"""

from __future__ import annotations

from warehouse.demo.generate import DemoSummary, generate_demo
from warehouse.demo.incidents import Incident
from warehouse.demo.schema import arrow_schema

__all__ = ["DemoSummary", "Incident", "arrow_schema", "generate_demo"]

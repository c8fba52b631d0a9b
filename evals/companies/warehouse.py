"""A fixture company's warehouse: its files written, loaded through `ingest`, and the set it is asked.

A blind set `evals/sets/<name>.yaml` is written against the company of
`evals/companies/<name with _ for ->.py`, as of that module's `AS_OF`.

>>> company_of("blind-ai").__name__
'evals.companies.blind_ai'
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from warehouse.ingest import ingest
from warehouse.settings import Settings, load_settings

BLIND_SETS = ("blind-ai", "blind-billing", "blind-shapes", "blind-final", "blind-focus", "blind-unit")
# Never inspected: scored only, to validate what the other sets tuned.
NEVER_INSPECTED = "blind-final"


def company_of(set_name: str) -> ModuleType:
    return importlib.import_module(f"evals.companies.{set_name.replace('-', '_')}")


def build_company(set_name: str, root: Path, **overrides: object) -> Settings:
    """Write the company's files under `root/data`, load them into `root/home`; the settings that read it."""
    company_of(set_name).write_company(root / "data")
    settings = load_settings(environ={}, config_path=None, home=root / "home", **overrides)
    report = ingest([root / "data"], settings)
    if report.refused:
        raise RuntimeError(f"{set_name}: ingest refused {report.refused}")
    return settings

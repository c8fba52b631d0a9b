"""`FINOPS_HOME/alerts.yaml`: which Slack channels get which alerts, from what size, under which row scope.

    channels:
      C0FINOPS: {kinds: [anomaly, budget, ceiling, idle_gpu, reconciliation], min_impact_usd: 0}
      C0CXTEAM: {kinds: [anomaly, budget], scope: team=cx}
    schedule_minutes: 60              # optional: `finops slack` runs the alerts this often
    idle_gpu_min_usd_per_day: 0       # a cluster's idle GPU cost a day above which it is alerted
    reconciliation_min_pct: 5         # tracked vs billed gap (% of billed) above which it is alerted

Kinds: anomaly, budget, ceiling, idle_gpu, reconciliation (all of them when
`kinds` is left out). Every scope is parsed when the file is loaded; a missing,
malformed or unknown entry is a `SettingsError` naming `alerts.yaml` and what
is wrong (the CLI's exit 2).

>>> rules = AlertsConfig.model_validate({"channels": {"C1": {"kinds": ["budget"], "scope": "team=cx"}}})
>>> rules.channels["C1"].kinds, str(rules.channels["C1"].parsed_scope)
(('budget',), 'team=cx')
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from warehouse.errors import FinopsError, SettingsError
from warehouse.scope import Scope

ALERT_KINDS = ("anomaly", "budget", "ceiling", "idle_gpu", "reconciliation")
FILE_NAME = "alerts.yaml"


class ChannelRule(BaseModel):
    """What one channel is sent: these kinds, at least this impact, only rows of this scope."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kinds: tuple[str, ...] = ALERT_KINDS
    min_impact_usd: float = Field(0.0, ge=0)
    scope: str | None = None

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, kinds: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [k for k in kinds if k not in ALERT_KINDS]
        if unknown:
            raise ValueError(f"unknown kind {unknown[0]!r}; kinds are {', '.join(ALERT_KINDS)}")
        if not kinds:
            raise ValueError(f"list at least one kind of {', '.join(ALERT_KINDS)}")
        return kinds

    @field_validator("scope")
    @classmethod
    def _valid_scope(cls, text: str | None) -> str | None:
        if text is not None:
            try:
                Scope.parse(str(text))
            except FinopsError as error:
                raise ValueError(error.user_message) from None
        return text

    @property
    def parsed_scope(self) -> Scope | None:
        return Scope.parse(self.scope) if self.scope else None


class AlertsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    channels: dict[str, ChannelRule] = Field(min_length=1)
    schedule_minutes: int | None = Field(None, ge=1)
    idle_gpu_min_usd_per_day: float = Field(0.0, ge=0)
    reconciliation_min_pct: float = Field(5.0, ge=0)


def load_alerts_config(home: Path) -> AlertsConfig:
    """The rules in `home/alerts.yaml`; a SettingsError naming the file and the problem otherwise."""
    path = Path(home) / FILE_NAME
    if not path.is_file():
        raise SettingsError(f"{FILE_NAME} not found at {path}: list the Slack channels to alert, e.g. "
                            "`channels: {C0FINOPS: {kinds: [anomaly, budget]}}` (README, Alerts).")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise SettingsError(f"{FILE_NAME} ({path}) is not valid YAML: {str(error).splitlines()[0]}.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"{FILE_NAME} ({path}) cannot be read: {error}.") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{FILE_NAME} ({path}) must be a mapping with `channels:`, not {type(data).__name__}.")
    try:
        return AlertsConfig.model_validate(data)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "the top level"
        raise SettingsError(f"{FILE_NAME} ({path}): {where}: {problem['msg'].removeprefix('Value error, ')}.") from None

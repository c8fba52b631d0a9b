"""Who sees which rows in Slack, and how fast one may ask: `FINOPS_HOME/slack.yaml`.

    scopes:
      channels: {C0123CX: team=cx}       # everyone asking in this channel sees team cx
      users: {U0456PL: team=platform}    # this person, in DMs and unmapped channels
    require_scope: false                 # true: unmapped channels and people are refused
    rate_limit_per_minute: 10            # questions per person per minute

A channel's mapping wins over the asker's: the answer is posted where the whole
channel reads it, so the channel's audience decides what may be shown.

Every scope is parsed when the file is loaded, so a bad one stops the bot at
start with a `SettingsError` naming the file and the key, never mid-answer.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from warehouse.errors import FinopsError, SettingsError
from warehouse.scope import Scope


class ScopeMap(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    channels: dict[str, str] = Field(default_factory=dict)
    users: dict[str, str] = Field(default_factory=dict)

    @field_validator("channels", "users")
    @classmethod
    def _valid_scopes(cls, mapping: dict[str, str]) -> dict[str, str]:
        for key, text in mapping.items():
            try:
                Scope.parse(str(text))
            except FinopsError as error:
                raise ValueError(f"{key}: {error.user_message}") from None
        return mapping


class SlackPolicy(BaseModel):
    """Row scopes by channel and person, whether a mapping is required, and the per-person rate."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    scopes: ScopeMap = Field(default_factory=ScopeMap)
    require_scope: bool = False
    rate_limit_per_minute: int = Field(10, ge=1)

    def scope_for(self, channel: str, user: str | None) -> Scope | None:
        """The channel's scope, else the person's, else None (no limit).

        >>> SlackPolicy(scopes={"channels": {"C1": "team=cx"}, "users": {"U1": "team=platform"}}).scope_for("C1", "U1")
        Scope(dimension='team', value='cx')
        """
        text = self.scopes.channels.get(channel) or self.scopes.users.get(user or "")
        return Scope.parse(text) if text else None


def load_policy(path: Path) -> SlackPolicy:
    """The policy in `path`, or the default (no scopes, 10 a minute) when there is no such file."""
    path = Path(path)
    if not path.exists():
        return SlackPolicy()
    try:
        data = yaml.safe_load(path.read_text()) or {}
        return SlackPolicy.model_validate(data)
    except yaml.YAMLError as error:
        raise SettingsError(f"{path} is not valid YAML: {str(error).splitlines()[0]}") from None
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "the top level"
        raise SettingsError(f"{path}: {where}: {problem['msg'].removeprefix('Value error, ')}.") from None

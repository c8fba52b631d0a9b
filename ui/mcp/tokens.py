"""Who sees what over HTTP: `FINOPS_HOME/mcp.yaml` maps bearer tokens, stored hashed, to row scopes.

    tokens:
      3f2a...c9: team=cx        # sha256 hex of the token -> the rows it may read
      9b41...07: all            # `all` or empty: every row

A token is never stored: only `sha256(token).hexdigest()` (`printf %s "$TOKEN" | sha256sum`).
A scope is written like `finops ask --scope` (`warehouse.scope.Scope.parse`). A malformed
file is a `SettingsError` naming the file and what is wrong; a missing file means no tokens.

>>> policy = TokenPolicy(tokens={hash_token("s3cret"): "team=cx", hash_token("admin"): "all"})
>>> policy.lookup("s3cret").scope, policy.lookup("admin").scope, policy.lookup("guess")
(Scope(dimension='team', value='cx'), None, None)
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from warehouse.errors import FinopsError, SettingsError
from warehouse.scope import Scope

POLICY_FILE = "mcp.yaml"
UNSCOPED = ("", "all")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def hash_token(token: str) -> str:
    """What mcp.yaml stores for `token`: its sha256, in lower-case hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scope(text: str | None) -> Scope | None:
    """`team=cx` -> that scope; `all`, empty or None -> no scope (every row)."""
    text = "" if text is None else str(text).strip()
    return None if text.lower() in UNSCOPED else Scope.parse(text)


@dataclass(frozen=True)
class Grant:
    """A known token: its hash (the caller's identity) and the rows it may read (None: all)."""

    token_hash: str
    scope: Scope | None


class TokenPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    tokens: dict[str, str | None] = Field(default_factory=dict)

    @field_validator("tokens", mode="before")
    @classmethod
    def _none_is_empty(cls, value):
        return {} if value is None else value

    @field_validator("tokens")
    @classmethod
    def _hashes_and_scopes(cls, tokens: dict[str, str | None]) -> dict[str, str | None]:
        checked = {}
        for key, text in tokens.items():
            digest = str(key).strip().lower()
            if not _SHA256_HEX.fullmatch(digest):
                raise ValueError(
                    f"{str(key)[:12]}…: a key is the sha256 hex of a token (64 characters 0-9a-f), "
                    f"never the token itself"
                )
            try:
                parse_scope(text)
            except FinopsError as error:
                raise ValueError(f"{digest[:12]}…: {error.user_message}") from None
            checked[digest] = text
        return checked

    def lookup(self, token: str) -> Grant | None:
        """The grant for a presented token, or None when it is not one of ours (compared in constant time)."""
        presented = hash_token(token)
        found = None
        for digest, text in self.tokens.items():
            if hmac.compare_digest(digest, presented):
                found = Grant(digest, parse_scope(text))
        return found


def load_token_policy(home: Path) -> TokenPolicy:
    """The policy in `home/mcp.yaml`, or one with no tokens when there is no such file."""
    path = Path(home) / POLICY_FILE
    if not path.exists():
        return TokenPolicy()
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise SettingsError(f"{path} is not valid YAML: {str(error).splitlines()[0]}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"{path} cannot be read: {error}.") from None
    if data is not None and not isinstance(data, dict):
        raise SettingsError(f"{path}: the file must be a mapping with a `tokens:` key, like `tokens: {{<sha256 hex>: team=cx}}`.")
    try:
        return TokenPolicy.model_validate(data or {})
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "the top level"
        raise SettingsError(f"{path}: {where}: {problem['msg'].removeprefix('Value error, ')}.") from None


class PolicyVerifier:
    """The SDK's `TokenVerifier` for mcp.yaml: a known token becomes an `AccessToken` carrying its scope.

    The token's hash is its subject, so an HTTP session stays bound to the token that opened it.
    """

    SCOPE_CLAIM = "finops_scope"

    def __init__(self, policy: TokenPolicy) -> None:
        self.policy = policy

    async def verify_token(self, token: str):
        from mcp.server.auth.provider import AccessToken

        grant = self.policy.lookup(token)
        if grant is None:
            return None
        return AccessToken(token=grant.token_hash, client_id=f"finops-{grant.token_hash[:12]}", scopes=[],
                           subject=grant.token_hash, claims={self.SCOPE_CLAIM: str(grant.scope or "")})


def scope_of_request() -> Scope | None:
    """The scope of the bearer token of the request being served; refuses when there is none (fail closed)."""
    from mcp.server.auth.middleware.auth_context import get_access_token

    token = get_access_token()
    if token is None or not token.claims or PolicyVerifier.SCOPE_CLAIM not in token.claims:
        raise FinopsError("This server needs a bearer token from mcp.yaml (Authorization: Bearer TOKEN).")
    return parse_scope(token.claims[PolicyVerifier.SCOPE_CLAIM])

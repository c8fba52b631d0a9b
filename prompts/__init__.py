"""Every prompt of the product, as a template file beside this module, loaded and rendered by name.

>>> "{as_of}" in load_prompt("agent_system")
True
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_HERE = Path(__file__).parent


@lru_cache(maxsize=32)
def load_prompt(name: str) -> str:
    path = _HERE / f"{name}.md"
    if not path.is_file():
        raise KeyError(f"no prompt named {name!r} in {_HERE}")
    return path.read_text()


@lru_cache(maxsize=1)
def tool_descriptions() -> dict[str, dict[str, str]]:
    """Tool name -> {"description": ..., "parameters": JSON schema} from agent_tools.yaml."""
    import yaml

    return yaml.safe_load((_HERE / "agent_tools.yaml").read_text())


def render_prompt(name: str, **values: str) -> str:
    """The template with `{name}` fields filled; braces in values are kept as they are."""
    text = load_prompt(name)
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text

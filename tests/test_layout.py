"""The layout holds without reviews: who may import what, no import cycle, docs that resolve.

- only `warehouse/` imports duckdb, and only `warehouse/spark_engine.py` pyspark (inside functions);
- the core (`assistant/`, `warehouse/`) imports no channel (`ui`) and no channel
  library (streamlit, slack, typer, rich), except the two modules kept at their
  old paths for outside callers (`python -m assistant.cli`, saved `.ipynb` reports);
- `assistant/` and `warehouse/` have no import cycle, counting imports made
  inside functions (a lazy import hides a cycle, it does not remove it);
- the README's and docs' relative links resolve inside the repository, and the
  CLI's commands are the ones `docs/CLI.md` lists.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ("assistant", "warehouse")
CHANNEL_LIBRARIES = ("ui", "streamlit", "slack_bolt", "slack_sdk", "typer", "rich")
# Kept at their old paths for callers outside the repository; each only re-exports from ui/.
OLD_PATH_SHIMS = {"assistant/cli.py", "assistant/notebook_reports.py"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_nodes(tree: ast.AST):
    """Every node, except what sits under `if TYPE_CHECKING:` (never imported at run time)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _imports(path: Path) -> set[str]:
    """Every module a file imports at run time, at the top or inside a function ('a.b' and 'a.b.name' for from-imports)."""
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _files(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py"))


def _top(names: set[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize("path", _files("assistant", "ui", "prompts"), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_only_the_warehouse_imports_duckdb(path):
    assert "duckdb" not in _top(_imports(path))


def _top_level_imports(path: Path) -> set[str]:
    """Modules imported at a module's top level (not inside a function)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", _files("assistant", "warehouse", "ui", "prompts"), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_only_the_spark_engine_imports_pyspark_and_only_when_it_opens(path):
    """The planner's cold start never pays for Spark: pyspark lives in warehouse/spark_engine.py, inside functions."""
    if path.relative_to(ROOT).as_posix() != "warehouse/spark_engine.py":
        assert "pyspark" not in _top(_imports(path))
    assert "pyspark" not in _top(_top_level_imports(path))


@pytest.mark.parametrize("path", _files(*CORE), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_core_imports_no_channel(path):
    if path.relative_to(ROOT).as_posix() in OLD_PATH_SHIMS:
        assert len(path.read_text().splitlines()) < 12, "a shim only re-exports"
        return
    assert not (_top(_imports(path)) & set(CHANNEL_LIBRARIES))


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_core_has_no_import_cycle():
    modules = {_module_name(p): p for p in _files(*CORE) if p.relative_to(ROOT).as_posix() not in OLD_PATH_SHIMS}
    # A module always imports its parent packages first: that edge is no cycle, even when the
    # package's __init__ re-exports the module.
    graph = {
        name: {target for target in _imports(path) & set(modules) if not name.startswith(f"{target}.")} - {name}
        for name, path in modules.items()
    }
    assert _cycles(graph) == []


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("doc", [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))], ids=lambda p: p.name)
def test_relative_links_resolve_inside_the_repository(doc):
    for target in LINK.findall(doc.read_text()):
        if re.match(r"[a-z]+:", target):
            continue
        resolved = (doc.parent / target).resolve()
        assert resolved.is_relative_to(ROOT), f"{doc.name} links outside the repository: {target}"
        assert resolved.exists(), f"{doc.name} links to a missing file: {target}"


def _documented_commands() -> set[str]:
    """`finops X` and `finops X Y` of docs/CLI.md's command table (rows marked *planned* are not built yet)."""
    commands = set()
    for line in (ROOT / "docs" / "CLI.md").read_text().splitlines():
        if line.startswith("| `finops ") and "*planned*" not in line:
            words = line.split("`")[1].split()
            commands.add(" ".join(w for w in words[1:3] if re.fullmatch(r"[a-z][a-z-]*", w)).split(" ")[0])
    return commands


def test_cli_commands_are_the_documented_ones():
    import typer.main

    from ui.cli import app

    group = typer.main.get_command(app)
    assert set(group.commands) == _documented_commands()

"""A non-editable wheel carries everything the product reads at run time."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_wheel_ships_the_page_and_package_data(tmp_path):
    source = tmp_path / "source"  # build a copy: setuptools leaves build/ beside the sources
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "build", "test-artifacts", "*.egg-info", "__pycache__", ".hypothesis"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = tmp_path.glob("finops_assistant-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("ui/chat/app.py", "ui/cli.py", "assistant/cli.py", "warehouse/contract.py", "prompts/__init__.py"):
        assert required in names
    data_files = {p.relative_to(ROOT).as_posix() for p in ROOT.glob("*/**/*") if p.suffix in {".yaml", ".md", ".txt"} and p.parts[len(ROOT.parts)] in {"assistant", "warehouse", "prompts", "ui"}}
    assert data_files <= names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "finops = ui.cli:run" in zipfile.ZipFile(wheel).read(entry_points).decode()
    assert not any(n.startswith(("tests/", "evals/")) for n in names)

"""Starting the chat page, and building the demo warehouse the first time."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from warehouse.errors import FinopsError
from warehouse.lake import Lake
from warehouse.settings import Settings

DEMO_ROWS = 1_000_000
DEMO_DAYS = 90


def ensure_demo_warehouse(settings: Settings, echo: Callable[[str], None] = print) -> bool:
    """Generate and load the demo data set unless the warehouse already has data; True if built."""
    from warehouse.ingest import ingest

    lake = Lake(settings.home)
    if lake.exists() and any(lake.manifest().files.values()):
        echo(f"Using the warehouse at {settings.home}.")
        return False
    out = settings.home / "demo-data"
    if not (out / "incidents.json").is_file():
        from warehouse.demo import generate_demo

        if out.exists():
            import shutil

            shutil.rmtree(out)
        echo(f"Generating the demo data set ({DEMO_ROWS:,} LLM requests over {DEMO_DAYS} days) in {out} ...")
        generate_demo(out, days=DEMO_DAYS, rows=DEMO_ROWS)
    echo(f"Loading it into {settings.home} ...")
    report = ingest([out], settings)
    if report.refused:
        raise FinopsError(f"The demo data could not be loaded: {report.refused[0].message}")
    echo(f"Loaded {report.rows_loaded:,} rows.")
    return True


def app_path() -> Path:
    return Path(__file__).resolve().parent / "chat" / "app.py"


def launch_ui(settings: Settings, port: int = 8501, host: str = "localhost") -> None:
    """Run `streamlit run ui/app.py` in the foreground, with our settings in its environment."""
    path = app_path()
    if not path.is_file():
        raise FinopsError(f"The chat page is missing ({path}); reinstall the package.")
    env = dict(os.environ, FINOPS_HOME=str(settings.home))
    command = [
        sys.executable, "-m", "streamlit", "run", str(path),
        "--server.port", str(port),
        "--server.address", host,
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",
    ]
    print(f"Open http://{'localhost' if host in ('0.0.0.0', '::') else host}:{port} in your browser (Ctrl+C to stop).", flush=True)
    try:
        subprocess.run(command, env=env, check=False)
    except KeyboardInterrupt:
        pass

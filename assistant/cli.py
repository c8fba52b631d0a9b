"""Kept for `python -m assistant.cli` and older scripts: the CLI lives in `ui.cli`."""

from ui.cli import app, run

__all__ = ["app", "run"]

if __name__ == "__main__":
    run()

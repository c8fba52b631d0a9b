"""Rich progress displays for long CLI work (ingest, demo data), on stderr."""

from __future__ import annotations

from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from warehouse.ingest import IngestProgress


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )


class IngestBar(IngestProgress):
    """One bar per file: checking, then writing."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled and Console(stderr=True).is_terminal
        self._progress = _progress() if self.enabled else None
        self._task = None
        self._name = ""

    def __enter__(self) -> IngestBar:
        if self._progress:
            self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress:
            self._progress.stop()

    def file_started(self, source, index: int, total: int) -> None:
        if self._progress:
            self._name = f"[{index + 1}/{total}] {source.path.name}"
            self._task = self._progress.add_task(self._name, total=100)

    def file_progress(self, phase: str, fraction: float) -> None:
        if self._progress and self._task is not None:
            self._progress.update(self._task, completed=fraction * 100, description=f"{self._name} {phase}")

    def file_done(self, result) -> None:
        if self._progress and self._task is not None:
            self._progress.remove_task(self._task)
            self._task = None


@contextmanager
def demo_progress():
    """A `progress(table, done, total)` callback drawing one bar per table."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    tasks: dict[str, int] = {}
    with _progress() as progress:

        def update(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = progress.add_task(table, total=max(total, 1))
            progress.update(tasks[table], completed=done, total=max(total, 1))

        yield update

"""Saved-question notebooks: YAML files of questions that can be asked again on fresh data.

A notebook is `title`, optional `as_of` and `scope`, and `questions` (each a
string, or a mapping with `question` and an optional `note`), kept under
`FINOPS_HOME/notebooks` or any path. The chat page and Slack save questions
here; a save rewrites the file atomically (temporary file, then rename), so a
notebook is never half written.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from warehouse.errors import FinopsError


class NotebookError(FinopsError):
    kind = "notebook"


@dataclass(frozen=True)
class SavedQuestion:
    question: str
    note: str | None = None


@dataclass(frozen=True)
class Notebook:
    title: str
    questions: tuple[SavedQuestion, ...] = ()
    as_of: str | None = None
    scope: str | None = None
    path: Path | None = field(default=None, compare=False)

    def to_yaml(self) -> str:
        data: dict = {"title": self.title}
        if self.as_of:
            data["as_of"] = self.as_of
        if self.scope:
            data["scope"] = self.scope
        data["questions"] = [q.question if q.note is None else {"question": q.question, "note": q.note} for q in self.questions]
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)


def notebooks_folder(home: Path) -> Path:
    return Path(home) / "notebooks"


def slug(title: str) -> str:
    """A file name for a title.

    >>> slug("Weekly AI cost review!")
    'weekly-ai-cost-review'
    """
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "notebook"


def load_notebook(path: Path) -> Notebook:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise NotebookError(f"No notebook at {path}.") from None
    except yaml.YAMLError as error:
        raise NotebookError(f"{path} is not valid YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(data, dict) or not isinstance(data.get("title"), str) or not data["title"].strip():
        raise NotebookError(f"{path} needs a `title` and a list of `questions`.")
    raw = data.get("questions") or []
    if not isinstance(raw, list):
        raise NotebookError(f"`questions` in {path} must be a list.")
    questions = []
    for number, item in enumerate(raw, 1):
        if isinstance(item, str) and item.strip():
            questions.append(SavedQuestion(item.strip()))
        elif isinstance(item, dict) and isinstance(item.get("question"), str) and item["question"].strip():
            note = item.get("note")
            questions.append(SavedQuestion(item["question"].strip(), str(note) if note is not None else None))
        else:
            raise NotebookError(f"Question {number} in {path} must be a string or a mapping with `question`.")
    as_of = data.get("as_of")
    scope = data.get("scope")
    return Notebook(data["title"].strip(), tuple(questions), str(as_of) if as_of else None,
                    str(scope) if scope else None, path)


def save_notebook(notebook: Notebook, path: Path) -> Path:
    """Write the notebook atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(notebook.to_yaml())
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return path


def add_question(home: Path, question: str, title: str = "Saved questions", note: str | None = None) -> Path:
    """Append a question to the notebook of that title under FINOPS_HOME/notebooks (made if missing)."""
    path = notebooks_folder(home) / f"{slug(title)}.yaml"
    notebook = load_notebook(path) if path.exists() else Notebook(title)
    if any(q.question == question for q in notebook.questions):
        return path
    return save_notebook(Notebook(notebook.title, (*notebook.questions, SavedQuestion(question, note)),
                                  notebook.as_of, notebook.scope), path)


def list_notebooks(home: Path) -> list[Notebook]:
    """The notebooks under FINOPS_HOME/notebooks, by title (unreadable files are skipped)."""
    folder = notebooks_folder(home)
    found = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
        try:
            found.append(load_notebook(path))
        except NotebookError:
            continue
    return sorted(found, key=lambda n: n.title.lower())

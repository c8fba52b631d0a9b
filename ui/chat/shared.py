"""What the chat and overview pages share: the cached warehouse, the sidebar, and drawing an Answer.

Streamlit lives only in `ui/`: these functions read the session, call the
library and render what it returns. Heavy objects are cached per settings with
`st.cache_resource`, so every browser session shares one executor and one store.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date

import pandas as pd
import streamlit as st

from assistant.answer import Answer
from assistant.present.numbers import figure
from assistant.present.units import unit_of
from warehouse.errors import FinopsError, WarehouseError, internal_error_message, log_internal_error
from warehouse.executor import Executor
from warehouse.settings import Settings, load_settings

log = logging.getLogger("finops")


def settings() -> Settings:
    return load_settings()


@st.cache_resource(show_spinner=False)
def _executor(settings_json: str) -> Executor:
    """One executor per distinct settings, shared by every browser session."""
    return Executor(Settings.model_validate_json(settings_json))


@st.cache_resource(show_spinner=False)
def _memory(settings_json: str):
    from assistant.llm.retrieval import memory_for

    return memory_for(Settings.model_validate_json(settings_json))


def executor(config: Settings) -> Executor:
    return _executor(config.model_dump_json())


def memory(config: Settings):
    return _memory(config.model_dump_json())


def fail_plainly(error: Exception) -> None:
    """An error as a short note a user can act on; our own bugs get a request id, never a traceback."""
    if isinstance(error, FinopsError):
        st.warning(error.user_message)
        return
    request_id = log_internal_error(log, "in the chat page")
    st.error(internal_error_message(request_id, "the server log"))


def data_as_of(config: Settings) -> date | None:
    from assistant.understand.planners import resolve_as_of

    try:
        return resolve_as_of(executor(config), config)
    except WarehouseError:
        return None


@st.cache_resource(show_spinner=False, max_entries=4)
def _facts(settings_json: str, version: float):
    """What the warehouse holds, read once per data version rather than on every rerun."""
    from warehouse.info import warehouse_info

    return warehouse_info(_executor(settings_json))


def sidebar(config: Settings) -> date | None:
    """Data freshness and the `as_of` picker, tables, the model, the assistant's own spend, notebooks."""
    from ui.notebooks.runner import list_notebooks
    from warehouse.usage import month_spend

    facts = _facts(config.model_dump_json(), executor(config).lake.version())
    default = data_as_of(config)
    with st.sidebar:
        st.subheader("Data")
        chosen = st.date_input(
            "as of", value=st.session_state.get("as_of", default), key="as_of",
            help="Time words such as 'last week' resolve against this day (default: the day after the latest data).",
        ) if default else None
        latest = max((t.last for t in facts.tables if t.last), default=None)
        if latest is not None:
            st.caption(f"Latest data {latest:%Y-%m-%d %H:%M}; {facts.loads} load(s), last "
                       f"{facts.last_load:%Y-%m-%d %H:%M} UTC." if facts.last_load else f"Latest data {latest:%Y-%m-%d}.")
        st.dataframe(
            pd.DataFrame([{"table": t.name, "rows": t.rows} for t in facts.tables]),
            hide_index=True, width="stretch",
            column_config={"rows": st.column_config.NumberColumn(format="localized")},
        )
        st.subheader("Model")
        if config.model_configured:
            st.caption(f"Offline planner first; **{config.model}** at {config.openai_base_url or 'OpenAI'} for the rest.")
        else:
            st.caption("Offline planner only (no language model configured: set OPENAI_API_KEY to add one).")
        cost, calls = month_spend(executor(config), date.today())
        st.caption(f"The assistant's own model spend this month: **{figure(cost, 'usd')}** in {calls} call(s).")
        notebooks = list_notebooks(config.home)
        if notebooks:
            st.subheader("Notebooks")
            for notebook in notebooks:
                st.caption(f"{notebook.title} · {len(notebook.questions)} question(s)")
    return chosen if isinstance(chosen, date) else default


def table(answer: Answer) -> pd.DataFrame:
    frame = pd.DataFrame([list(row) for row in answer.rows], columns=list(answer.columns))
    return frame


def column_label(name: str) -> str:
    """A column name as a heading: 'inference_cost_previous' -> 'inference cost, before'."""
    for suffix, words in (("_previous", ", before"), ("_change", ", change"), ("_pct", " %")):
        if name.endswith(suffix):
            return name[: -len(suffix)].replace("_", " ") + words
    return name.replace("_", " ")


def column_formats(columns) -> dict:
    """Readable headings; money columns shown as dollars, percentages with one decimal."""
    formats = {}
    for name in columns:
        label = column_label(name)
        unit = unit_of(name)
        if unit == "usd":
            formats[name] = st.column_config.NumberColumn(label, format="dollar")
        elif unit == "ratio":
            formats[name] = st.column_config.NumberColumn(label, format="percent")
        elif unit == "percent":
            formats[name] = st.column_config.NumberColumn(label, format="%.1f%%")
        else:
            formats[name] = st.column_config.Column(label)
    return formats


def plain_markdown(text: str) -> str:
    r"""Text shown as itself by Streamlit's Markdown: its markup characters (and `$`, which starts LaTeX) escaped.

    >>> print(plain_markdown("team is a_b · cost over $5 [x]"))
    team is a\_b · cost over \$5 \[x\]
    """
    return re.sub(r"([\\`*_{}\[\]<>#+!|~$])", r"\\\1", text)


def render_answer(answer: Answer, key: str, ask_next: Callable[[str], None],
                  on_feedback: Callable[[str], None] | None = None, on_save: Callable[[], None] | None = None) -> None:
    """One answer: text, how it was read, window, chart, table with CSV, SQL, route and cost, suggestions, feedback, save.

    The reading ("Read as: inference cost · by feature · last week") is shown
    under the text, and under the note of a question only partly understood.
    """
    if answer.error is not None:
        st.info(answer.error.message, icon=":material/lightbulb:")
        _reading(answer)
    else:
        st.markdown(answer.text)
        _reading(answer)
        if answer.window is not None:
            st.caption(f"Window: {answer.window.describe(compared=True)}")
        if answer.chart:
            st.vega_lite_chart(answer.chart, width="stretch")
        if answer.rows:
            frame = table(answer)
            st.dataframe(frame, hide_index=True, width="stretch", column_config=column_formats(answer.columns))
            st.download_button("Download CSV", frame.to_csv(index=False), file_name="answer.csv", mime="text/csv",
                               key=f"{key}-csv", icon=":material/download:")
        if answer.sql:
            with st.expander("SQL"):
                st.code(answer.sql, language="sql", wrap_lines=True)
        st.caption(answer.provenance())
    if answer.suggestions:
        columns = st.columns(min(len(answer.suggestions), 3))
        for number, suggestion in enumerate(answer.suggestions[:3]):
            columns[number].button(suggestion, key=f"{key}-next-{number}", on_click=ask_next, args=(suggestion,),
                                   width="stretch")
    if answer.answered:
        left, right = st.columns([1, 5])
        with left:
            if on_feedback is not None:
                st.feedback("thumbs", key=f"{key}-feedback", on_change=_feedback_changed, args=(f"{key}-feedback", on_feedback))
        with right:
            if on_save is not None:
                st.button("Save to notebook", key=f"{key}-save", on_click=on_save, icon=":material/bookmark_add:")


def _reading(answer: Answer) -> None:
    """'Read as: inference cost · by feature · last week' as a caption, so a misreading shows at a glance."""
    if answer.read_as():
        st.caption(plain_markdown(answer.read_as()))


def _feedback_changed(widget_key: str, on_feedback: Callable[[str], None]) -> None:
    value = st.session_state.get(widget_key)
    if value is not None:
        on_feedback("good" if value == 1 else "bad")

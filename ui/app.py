"""The chat page. Until the planner lands it shows what the warehouse holds.

A thin adapter: it reads settings, asks the library for facts, renders them.
"""

from __future__ import annotations

import logging
import uuid

import streamlit as st

from warehouse.errors import FinopsError
from warehouse.executor import Executor
from warehouse.info import warehouse_info
from warehouse.settings import Settings, load_settings


@st.cache_resource
def _executor(settings_json: str) -> Executor:
    """One executor per distinct settings, shared by every browser session."""
    return Executor(Settings.model_validate_json(settings_json))


st.set_page_config(page_title="FinOps assistant", page_icon="💸", layout="wide")
st.title("FinOps assistant")
st.caption("Ask about your AI costs: billing, LLM requests, GPU hours. The chat arrives with the planner.")

try:
    facts = warehouse_info(_executor(load_settings().model_dump_json()))
except FinopsError as error:
    st.warning(error.user_message)
    st.stop()
except Exception:  # our bug: logged with a request id, never shown as a traceback
    request_id = uuid.uuid4().hex[:8]
    logging.getLogger("finops").exception("internal error %s", request_id)
    st.error(f"Something went wrong on our side (request {request_id}). The details are in the server log.")
    st.stop()

left, right = st.columns(2)
left.metric("as of", str(facts.as_of or "-"), help="Relative dates resolve against this day.")
right.metric("loads", facts.loads, help=f"last {facts.last_load:%Y-%m-%d %H:%M} UTC" if facts.last_load else None)
st.dataframe(
    [
        {"table": t.name, "rows": t.rows, "first": t.first, "last": t.last, "files": t.files}
        for t in facts.tables
    ],
    hide_index=True,
    use_container_width=True,
)

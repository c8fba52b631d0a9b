"""The web app: the chat and the overview, as Streamlit pages (`finops ui`, `make demo`)."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run ui/app.py` puts ui/ on the path; the pages import `ui.chat.shared` from the project root.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

st.set_page_config(page_title="FinOps assistant", page_icon="💸", layout="wide")
pages = [
    st.Page(str(Path(__file__).with_name("page.py")), title="Chat", icon=":material/chat:", default=True),
    st.Page(str(Path(__file__).with_name("overview.py")), title="Overview", icon=":material/dashboard:", url_path="overview"),
]
st.navigation(pages).run()

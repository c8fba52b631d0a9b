"""The overview: this month against budget, cost by category, top movers, anomalies, savings, and
last month's tracked LLM spend against what the providers billed.

Every item has a question the chat answers; its button opens the chat with that
question asked. The figures come from `assistant.analysis.overview.build_overview`,
cached per data version and `as_of`.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from assistant.answer import AskContext
from assistant.present.numbers import money
from ui.chat import shared

config = shared.settings()
try:
    as_of = shared.sidebar(config)
except Exception as error:  # noqa: BLE001 - no warehouse yet, or our bug: a plain note
    shared.fail_plainly(error)
    st.stop()


@st.cache_resource(show_spinner=False, max_entries=8)
def _overview(settings_json: str, day: date, version: float):
    from assistant.analysis.overview import build_overview

    settings = shared.Settings.model_validate_json(settings_json)
    return build_overview(AskContext(settings=settings, as_of=day, executor=shared.executor(settings), channel="ui"))


def open_in_chat(question: str, key: str, label: str = "Ask") -> None:
    if st.button(label, key=key, help=question, icon=":material/chat:"):
        st.session_state["pending"] = question
        st.switch_page("page.py")


st.title("Overview")
try:
    with st.spinner("Gathering this month's figures…"):
        overview = _overview(config.model_dump_json(), as_of, shared.executor(config).lake.version())
except Exception as error:  # noqa: BLE001
    shared.fail_plainly(error)
    st.stop()
st.caption(f"As of {overview.as_of:%A %d %B %Y}" + (f" · scope {overview.scope}" if overview.scope else ""))

spend = overview.section("spend")
if spend.ok:
    f = spend.figures
    cells = st.columns(4)
    cells[0].metric("Spent this month", money(f.get("spent_so_far"), compact=True),
                    help=f"{f.get('days_elapsed')} of {f.get('days_in_month')} days")
    projected = f.get("projected")
    over = f.get("projected_vs_budget")
    cells[1].metric("Projected month end", money(projected, compact=True),
                    delta=(money(over, compact=True, sign=True) + " vs budget") if over is not None else None,
                    delta_color="inverse")
    cells[2].metric("Budget", money(f.get("budget"), compact=True) if f.get("budget") is not None else "none set")
    anomalies = overview.section("anomalies")
    cells[3].metric("Anomalies, 14 days", anomalies.figures.get("count", 0) if anomalies.ok else "-",
                    help=f"impact {money(anomalies.figures.get('impact_usd'), compact=True)}" if anomalies.ok else None)
    with st.expander("Budgets this month", expanded=False):
        for item in spend.items:
            st.markdown(f"**{item.title}** · {item.text}")
        open_in_chat(spend.question, "spend-ask", "Ask about budgets")
else:
    st.info(spend.error.message)

left, right = st.columns([3, 2])
with left:
    trend = overview.section("trend")
    st.subheader(trend.title)
    if trend.ok:
        if trend.chart:
            st.vega_lite_chart(trend.chart, width="stretch")
        st.markdown(trend.text)
        open_in_chat(trend.question, "trend-ask", "Open in chat")
    else:
        st.info(trend.error.message)
with right:
    movers = overview.section("movers")
    st.subheader(movers.title)
    if movers.ok:
        for number, item in enumerate(movers.items[:6]):
            text, button = st.columns([3, 1])
            text.markdown(f"**{item.title}**  \n{item.text}")
            with button:
                open_in_chat(item.question, f"mover-{number}")
    else:
        st.info(movers.error.message)

left, right = st.columns(2)
for column, key, limit in ((left, "anomalies", 6), (right, "savings", 5)):
    section = overview.section(key)
    with column:
        st.subheader(section.title)
        if not section.ok:
            st.info(section.error.message)
            continue
        if key == "savings":
            st.markdown(f"About **{money(section.figures.get('monthly_usd'), compact=True)} per month** across "
                        f"{section.figures.get('findings', 0)} findings.")
        for number, item in enumerate(section.items[:limit]):
            text, button = st.columns([5, 1])
            text.markdown(f"**{item.title}**  \n{item.text}")
            with button:
                open_in_chat(item.question, f"{key}-{number}")

reconciliation = overview.section("reconciliation")
st.subheader(reconciliation.title)
if reconciliation.ok:
    f = reconciliation.figures
    if f.get("tracked_usd") is not None and f.get("billed_usd") is not None:
        cells = st.columns(3)
        cells[0].metric("Tracked (request logs)", money(f["tracked_usd"], compact=True))
        cells[1].metric("Billed", money(f["billed_usd"], compact=True))
        pct = f.get("variance_pct")
        cells[2].metric("Tracked − billed", money(f.get("variance_usd"), compact=True, sign=True),
                        delta=f"{pct:+.1f}%" if pct is not None else None, delta_color="off")
    left, right = st.columns([3, 2])
    with left:
        if reconciliation.chart:
            st.vega_lite_chart(reconciliation.chart, width="stretch")
        st.markdown(reconciliation.text)
    with right:
        for item in reconciliation.items[:8]:
            st.markdown(f"**{item.title}**  \n{item.text}")
    open_in_chat(reconciliation.question, "reconciliation-ask", "Reconcile in chat")
else:
    st.info(reconciliation.error.message)

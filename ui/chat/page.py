"""The chat: ask, see the figure, the chart, the table and the SQL, follow up.

Each browser session keeps its turns; a follow-up ("and by model?", "only
prod") is asked with the previous answer in its context, so the planner edits
that plan. A question can also arrive from a suggestion button, the overview
page, or the URL (`?q=...`).
"""

from __future__ import annotations

import streamlit as st

from assistant.answer import AskContext
from assistant.ask import ask
from ui.chat import shared

STARTERS = (
    "why did inference cost jump last week?",
    "top 5 features by inference cost last month",
    "where are we wasting money?",
    "are we over budget this month?",
)

config = shared.settings()
try:
    as_of = shared.sidebar(config)
except Exception as error:  # noqa: BLE001 - no warehouse yet, or our bug: a plain note, never a traceback
    shared.fail_plainly(error)
    st.stop()

turns: list[dict] = st.session_state.setdefault("turns", [])


def ask_next(question: str) -> None:
    st.session_state["pending"] = question


def feedback_for(turn: dict):
    def record(verdict: str) -> None:
        from assistant.quality.feedback import record_feedback

        try:
            result = record_feedback(turn["answer"], verdict, config, memory=shared.memory(config),
                                     as_of=turn["as_of"], channel="ui")
            st.toast(result.message)
        except Exception as error:  # noqa: BLE001 - a failed log must not break the page
            shared.log.warning("feedback not recorded: %s", error)
            st.toast("Sorry, that feedback could not be saved.")
    return record


def save_for(turn: dict):
    def save() -> None:
        from ui.notebooks.runner import add_question

        path = add_question(config.home, turn["question"])
        st.toast(f"Saved to the notebook {path.stem}.")
    return save


st.title("FinOps assistant")
if not turns:
    st.markdown("Ask about your AI costs: cloud bills, LLM requests, GPU hours. Every answer shows its window, "
                "chart, table and the SQL behind it.")
    columns = st.columns(len(STARTERS))
    for number, starter in enumerate(STARTERS):
        columns[number].button(starter, key=f"starter-{number}", on_click=ask_next, args=(starter,), width="stretch")

for number, turn in enumerate(turns):
    with st.chat_message("user"):
        st.markdown(turn["question"])
    with st.chat_message("assistant"):
        shared.render_answer(turn["answer"], f"turn-{number}", ask_next, feedback_for(turn), save_for(turn))

typed = st.chat_input("Ask about your AI costs, e.g. why did inference cost jump last week?")
linked = st.query_params.get("q") if not st.session_state.get("link_used") else None
question = typed or st.session_state.pop("pending", None) or linked
if linked and question == linked:
    st.session_state["link_used"] = True

if question:
    previous = next((t["answer"] for t in reversed(turns) if t["answer"].answered), None)
    with st.chat_message("user"):
        st.markdown(question)
    with st.chat_message("assistant"):
        streamed = st.empty()  # a language model's words appear as they arrive
        words: list[str] = []

        def show(token: str) -> None:
            words.append(token)
            streamed.markdown("".join(words) + " ▌")

        context = AskContext(
            settings=config, as_of=as_of, executor=shared.executor(config), memory=shared.memory(config),
            channel="ui", previous=previous, on_token=show if config.model_configured else None,
        )
        with st.spinner("Reading the question and querying the warehouse…"):
            answer = ask(question, context)
    turns.append({"question": question, "answer": answer, "as_of": as_of})
    st.rerun()

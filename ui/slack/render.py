"""An Answer as Slack sees it: mrkdwn text and Block Kit blocks (no Slack calls here).

The text is escaped first (&, <, > in warehouse values), then our Markdown
becomes Slack's: **bold** -> *bold*, *em* -> _em_, links, headings, bullets.
"""

from __future__ import annotations

import re

from assistant.answer import Answer
from warehouse.scope import Scope

SECTION_CHARS = 2900  # Slack's section text limit is 3000
BUTTON_CHARS = 75
FOLLOW_UPS = 3


def slack_escape(text: str) -> str:
    """Slack's three control characters as entities.

    >>> slack_escape("a<b & c>d")
    'a&lt;b &amp; c&gt;d'
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_mrkdwn(markdown: str) -> str:
    """Our Markdown as Slack mrkdwn: escaped text, **bold** → *bold*, *em* → _em_, links, headings, bullets.

    >>> slack_mrkdwn("Cost was **$1.37** for <team> & *all*; see [docs](https://x.io).")
    'Cost was *$1.37* for &lt;team&gt; &amp; _all_; see <https://x.io|docs>.'
    """
    text = slack_escape(markdown)
    text = re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r"<\2|\1>", text)
    text = re.sub(r"(?m)^#{1,6}\s+(.+)$", "\x00\\1\x00", text)
    text = re.sub(r"\*\*(.+?)\*\*", "\x00\\1\x00", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"_\1_", text)
    text = re.sub(r"(?m)^(\s*)[-*] ", "\\1• ", text)
    return text.replace("\x00", "*")


def _sections(text: str) -> list[dict]:
    """Section blocks of at most SECTION_CHARS each, split at paragraphs (or hard, for one long paragraph)."""
    chunks: list[str] = []
    for paragraph in text.split("\n\n"):
        while len(paragraph) > SECTION_CHARS:
            chunks.append(paragraph[:SECTION_CHARS])
            paragraph = paragraph[SECTION_CHARS:]
        if chunks and len(chunks[-1]) + 2 + len(paragraph) <= SECTION_CHARS:
            chunks[-1] += "\n\n" + paragraph
        else:
            chunks.append(paragraph)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}} for chunk in chunks if chunk.strip()]


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict:
    label = text if len(text) <= BUTTON_CHARS else text[: BUTTON_CHARS - 1] + "…"
    button = {"type": "button", "text": {"type": "plain_text", "text": label, "emoji": True},
              "action_id": action_id, "value": value[:2000]}
    if style:
        button["style"] = style
    return button


def _follow_up_block(suggestions: list[str]) -> list[dict]:
    buttons = [_button(s, f"finops_follow_up_{n}", s) for n, s in enumerate(suggestions[:FOLLOW_UPS])]
    return [{"type": "actions", "block_id": "finops_follow_ups", "elements": buttons}] if buttons else []


def facts_line(answer: Answer, scope: Scope | None) -> str:
    """The window in words and dates, how it was answered, and the scope, as one context line."""
    parts = [f"Window: {answer.window.describe(compared=True)}"] if answer.window is not None else []
    parts.append(answer.provenance())
    if scope is not None:
        parts.append(f"scope {scope}")
    return slack_escape(" · ".join(parts))


def reading_block(answer: Answer) -> list[dict]:
    """'Read as: inference cost · by feature · last week' as a context block, or none without a reading.

    >>> from assistant.answer import Answer
    >>> reading = {"metrics": ["inference_cost"], "by": [], "filters": [], "window": "last week", "intent": "total",
    ...            "text": "inference cost · team is <cx> · last week"}
    >>> reading_block(Answer("q", "planner", reading=reading))[0]["elements"][0]["text"]
    'Read as: inference cost · team is &lt;cx&gt; · last week'
    >>> reading_block(Answer("q", "none"))
    []
    """
    line = answer.read_as()
    return [{"type": "context", "elements": [{"type": "mrkdwn", "text": slack_escape(line)}]}] if line else []


def answer_message(answer: Answer, answer_id: str, scope: Scope | None) -> tuple[str, list[dict]]:
    """The fallback text and the blocks of one answer (or of a question it could not answer), with how it was read."""
    if not answer.answered:
        message = answer.error.message if answer.error else "I could not answer that."
        text = f":bulb: {slack_mrkdwn(message)}"
        if answer.suggestions:
            text += "\nYou could ask:\n" + "\n".join(f"• {slack_escape(s)}" for s in answer.suggestions[:FOLLOW_UPS])
        return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_CHARS]}},
                      *reading_block(answer), *_follow_up_block(answer.suggestions)]
    text = slack_mrkdwn(answer.text)
    controls = [_button(":+1:", "finops_feedback_good", answer_id), _button(":-1:", "finops_feedback_bad", answer_id)]
    if answer.sql:
        controls.append(_button("SQL", "finops_show_sql", answer_id))
    controls.append(_button("Save to notebook", "finops_save", answer_id))
    blocks = [
        *_sections(text),
        *reading_block(answer),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": facts_line(answer, scope)}]},
        *_follow_up_block(answer.suggestions),
        {"type": "actions", "block_id": "finops_controls", "elements": controls},
    ]
    return text, blocks


def sql_messages(sql: str) -> list[str]:
    """The SQL as code-block messages that each fit a section."""
    size = SECTION_CHARS - 10
    return [f"```{slack_escape(sql[i:i + size])}```" for i in range(0, len(sql), size)] or ["```(no SQL)```"]


def question_text(text: str, bot_user_id: str | None) -> str:
    """What a person typed, without the bot's mention, with Slack's links and entities undone.

    >>> question_text("<@UBOT> cost of <#C1|cx> &amp; <https://x.io|docs>", "UBOT")
    'cost of #cx & docs'
    """
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", " ", text)
    text = re.sub(r"<#\w+\|([^>]*)>", r"#\1", text)
    text = re.sub(r"<[^>|]+\|([^>]*)>", r"\1", text)
    text = re.sub(r"<([^>@#!][^>]*)>", r"\1", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())

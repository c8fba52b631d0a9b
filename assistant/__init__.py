"""The assistant: a question becomes a reading, a plan, guarded SQL, an analysis and an `Answer`.

The folders draw the pipeline: `understand/` reads the words into a `QueryPlan`
(`query/`), `query/render` turns it into SQL that `warehouse/` guards and runs,
`analysis/` explains what the figures mean, `present/` writes the text and chart,
`llm/` is the language-model route, `quality/` measures all of it. `ask.py` is the
router every channel (`ui/`) calls; `answer.py` is what it returns.
"""

"""Reading a question: words, time words, dimension values and follow-ups become a `QueryPlan` or a `Clarification`."""

"""The language-model route: the LangChain agent, its tools, and the memory (examples, definitions, answer cache)."""

"""Saved notebooks: questions that rerun on a schedule into Markdown, HTML or `.ipynb` reports."""

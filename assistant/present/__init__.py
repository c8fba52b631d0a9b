"""Turning a result into words, numbers, Vega-Lite charts and JSON for every channel."""

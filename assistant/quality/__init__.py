"""Measuring answers: question sets and scoring, and the feedback that teaches examples."""

"""What a question asks, typed, before any SQL: `Window`, `QueryPlan`, and rendering a plan to SQL."""

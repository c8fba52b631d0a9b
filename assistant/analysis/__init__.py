"""What the figures mean: change drivers, anomalies, savings, forecasts, budgets and the overview page's data."""

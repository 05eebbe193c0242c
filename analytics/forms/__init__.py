"""Every form of analytics' pages: one module per area (dashboard, forecasting, line loss)."""

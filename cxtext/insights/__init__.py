"""Insights: the daily aggregate tables and the analysts' views (SQL in sql/)."""

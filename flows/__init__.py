"""Prefect flows: thin orchestration over the cxtext library."""

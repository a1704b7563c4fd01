"""Enrichment: select what is new or stale, analyse it in chunks (in-process, worker processes or Dask), write results."""

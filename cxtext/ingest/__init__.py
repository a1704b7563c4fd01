"""Ingest: read source files, map them to canonical records, validate, redact PII, deduplicate, quarantine rejects."""

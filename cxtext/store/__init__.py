"""Storage: the DuckDB working database, its schema and migrations, the writer lock, the run ledger, publishing."""

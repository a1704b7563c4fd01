"""Developer tooling: the benchmark (the sample data generator joins it)."""

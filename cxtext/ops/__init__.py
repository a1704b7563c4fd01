"""Operations: backfills, erasure, health checks."""

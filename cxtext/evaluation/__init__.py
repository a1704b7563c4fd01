"""Developer tooling: measure sentiment, themes, language, PII and the planted pain points (`cxtext eval`)."""

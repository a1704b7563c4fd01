"""The offline HTML report, read from the published views."""

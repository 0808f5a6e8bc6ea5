"""Documents: reading files (ingest), cleaning their text, splitting them into sentences and chunks."""

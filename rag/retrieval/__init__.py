"""Retrieval: hybrid dense + BM25 search over a loaded index."""

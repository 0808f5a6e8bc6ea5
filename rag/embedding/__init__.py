"""Embedding: the one factory for sentence vectors, used to build the index and to query it."""

"""Building, saving, loading and updating the search index."""

from index.builder import BuildReport, IndexBuilder
from index.store import IndexStore, SearchIndex

__all__ = ["BuildReport", "IndexBuilder", "IndexStore", "SearchIndex"]

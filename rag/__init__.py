"""Offline, grounded question answering over news articles."""

from rag.assistant import Assistant
from rag.settings import Settings, load_settings
from rag.types import Answer, Chunk, Citation, Conflict, Document, Hit, Sentence

__all__ = [
    "Answer",
    "Assistant",
    "Chunk",
    "Citation",
    "Conflict",
    "Document",
    "Hit",
    "Sentence",
    "Settings",
    "load_settings",
]

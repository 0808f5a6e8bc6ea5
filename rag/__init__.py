"""Offline, grounded question answering over news articles."""

from typing import TYPE_CHECKING

from rag.core.settings import Settings, load_settings
from rag.core.types import Answer, Chunk, Citation, Conflict, Document, Hit, Sentence

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

if TYPE_CHECKING:
    from rag.assistant import Assistant


def __getattr__(name: str):
    # Assistant pulls in the index package, which itself uses rag's text helpers: importing it
    # lazily lets either package be imported first.
    if name == "Assistant":
        from rag.assistant import Assistant

        return Assistant
    raise AttributeError(f"module 'rag' has no attribute {name!r}")

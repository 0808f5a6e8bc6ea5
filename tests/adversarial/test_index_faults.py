"""Index damage is detected with a message naming the fix, and `index build` repairs it."""

from __future__ import annotations

import pytest

from index.store import IndexStore
from rag.core.errors import IndexCorruptError, IndexMismatchError
from tests.conftest import index_config, make_builder


def truncate_faiss(store: IndexStore, settings) -> None:
    path = store.current_dir() / "faiss.index"
    path.write_bytes(path.read_bytes()[:64])


def other_embedder(store: IndexStore, settings) -> None:
    path = store.current_dir() / "manifest.json"
    path.write_text(path.read_text().replace('"hash-test"', '"some-other-model"'))


def drop_chunks(store: IndexStore, settings) -> None:
    path = store.current_dir() / "chunks.jsonl"
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:-3]))


@pytest.mark.parametrize(
    ("damage", "error", "message"),
    [
        (truncate_faiss, IndexCorruptError, "unreadable"),
        (other_embedder, IndexMismatchError, "built with embedder 'some-other-model'"),
        (drop_chunks, IndexCorruptError, "disagree in size"),
    ],
)
def test_detected_and_repaired(settings, embedder, corpus_copy, figures, damage, error, message):
    builder = make_builder(settings, embedder)
    builder.build([corpus_copy])
    store = IndexStore(settings.index_path)
    damage(store, settings)
    with pytest.raises(error, match=message) as caught:
        store.load(index_config(settings))
    detected = "index build" in str(caught.value)  # the message names the fix
    builder.build([corpus_copy])
    repaired = len(store.load(index_config(settings)).chunks) > 0
    figures.record("index faults", detected and repaired)
    assert detected and repaired

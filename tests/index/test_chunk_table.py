import json

import pytest

from index.chunk_table import ChunkTable
from rag.core.errors import IndexCorruptError
from rag.core.types import Chunk, Sentence


def _chunk(n: int) -> Chunk:
    text = f"Sentence number {n}."
    return Chunk(f"d-{n}", "d", n, "Title", text, 0, len(text), [Sentence(text, 0, len(text))])


def test_rows_read_back_as_written(tmp_path):
    chunks = [_chunk(n) for n in range(5)]
    path = tmp_path / "chunks.jsonl"
    path.write_text("".join(json.dumps(c.to_dict()) + "\n" for c in chunks))
    table = ChunkTable.read(path)
    assert len(table) == 5
    assert table[3] == chunks[3] and table[-1] == chunks[4]
    assert table[3] is table[3]  # parsed once
    assert list(table) == chunks and table[1:3] == chunks[1:3]


def test_a_damaged_row_is_named_when_read(tmp_path):
    lines = [json.dumps(_chunk(n).to_dict()) for n in range(3)]
    lines[1] = lines[1][:20]
    path = tmp_path / "chunks.jsonl"
    path.write_text("\n".join(lines) + "\n")
    table = ChunkTable.read(path)
    assert table[0] == _chunk(0) and table[2] == _chunk(2)
    with pytest.raises(IndexCorruptError, match=r"row 2 of .*chunks.jsonl.* is damaged.*--rebuild"):
        table[1]

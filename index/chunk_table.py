"""The chunk rows of a saved index, parsed when first read.

An answer reads the few dozen chunks it retrieved. Parsing every row of chunks.jsonl into
Chunk and Sentence objects at start-up made start-up grow with the corpus (about 1.3 s at 40k
chunks); keeping the raw lines and parsing a row on first use does not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import overload

from rag.core.errors import IndexCorruptError
from rag.core.types import Chunk

REBUILD_HINT = "run `python -m rag index build --rebuild` to rebuild it"


class ChunkTable(Sequence[Chunk]):
    def __init__(self, lines: list[bytes], source: Path) -> None:
        self._lines = lines
        self._rows: list[Chunk | None] = [None] * len(lines)
        self._source = source

    @classmethod
    def read(cls, path: Path) -> ChunkTable:
        with path.open("rb") as f:
            return cls([line for line in f if line.strip()], path)

    def __len__(self) -> int:
        return len(self._lines)

    @overload
    def __getitem__(self, row: int) -> Chunk: ...
    @overload
    def __getitem__(self, row: slice) -> list[Chunk]: ...
    def __getitem__(self, row: int | slice) -> Chunk | list[Chunk]:
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        chunk = self._rows[row]
        if chunk is None:
            try:
                chunk = Chunk.from_dict(json.loads(self._lines[row]))
            except (ValueError, TypeError, KeyError) as exc:
                raise IndexCorruptError(
                    f"row {row % len(self) + 1} of {str(self._source)!r} is damaged ({exc}); {REBUILD_HINT}"
                ) from None
            self._rows[row] = chunk
        return chunk

    def __iter__(self) -> Iterator[Chunk]:
        return (self[i] for i in range(len(self)))

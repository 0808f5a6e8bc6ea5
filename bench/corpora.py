"""Real corpora of any size from this machine's own documentation, for the scale benchmark.

Debian installs READMEs, release notes and manuals under /usr/share/doc. We take the README*,
.txt, .html and .md files under 200 KB, sorted by path, decompress the .gz ones, and copy the
first n into a folder with a readable, unique document id per file
(`adduser__examples__README.txt`). The same machine gives the same corpus every time.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

DOC_ROOT = Path("/usr/share/doc")
MAX_BYTES = 200_000
KINDS = (".txt", ".html", ".md")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def candidates(root: Path = DOC_ROOT) -> list[Path]:
    """Documentation files in path order: READMEs (any extension) and .txt/.html/.md files."""
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_BYTES:
            continue
        stem = path.name[:-3] if path.name.endswith(".gz") else path.name
        if stem.upper().startswith("README") or Path(stem).suffix.lower() in KINDS:
            found.append(path)
    return found


def _target_name(path: Path, root: Path) -> str:
    relative = path.relative_to(root).as_posix()
    if relative.endswith(".gz"):
        relative = relative[:-3]
    suffix = Path(relative).suffix.lower()
    if suffix not in KINDS:
        relative += ".txt"  # README, README.Debian: plain text
        suffix = ".txt"
    stem = _UNSAFE.sub("_", relative[: -len(suffix)].replace("/", "__"))
    return stem + suffix


def build_corpus(n: int, folder: Path, root: Path = DOC_ROOT) -> int:
    """Copy the first n documentation files into folder; returns how many were copied."""
    folder.mkdir(parents=True, exist_ok=True)
    copied = 0
    for path in candidates(root)[:n]:
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            try:
                data = gzip.decompress(data)
            except OSError:
                continue
        (folder / _target_name(path, root)).write_bytes(data)
        copied += 1
    return copied

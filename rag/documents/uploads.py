"""Saving uploaded articles safely: the same rules for the chat page and the HTTP server.

Only a file's base name survives, reduced to safe characters, so '../../etc/x.txt' lands in
the uploads folder as 'x.txt'; the type must be one we ingest and the size within the limit.
A new version of a file already there keeps the version it replaces aside until the index
has read it (`settle_uploads`): a version the index refuses never costs the one it holds.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from pathlib import Path

from rag.core.errors import UploadError
from rag.core.text import without_paths
from rag.documents.ingest import KINDS, readable

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_upload_path(folder: Path, filename: str) -> Path:
    name = SAFE_NAME.sub("_", Path(filename.replace("\\", "/")).name).lstrip(".")
    if not name or not readable(Path(name)):
        raise UploadError(f"not a document file; upload one of {KINDS}", status=415)
    path = (folder / name).resolve()
    if path.parent != folder.resolve():
        raise UploadError("this file name is not allowed; rename the file", status=400)
    return path


def save_upload(folder: Path, filename: str, data: bytes, max_bytes: int) -> Path:
    """Write one upload into folder and return its path; raises UploadError with the reason,
    which the caller shows after the file's name."""
    path = safe_upload_path(folder, filename)
    if len(data) > max_bytes:
        raise UploadError(
            f"{len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB (max_file_mb)",
            status=413,
        )
    folder.mkdir(parents=True, exist_ok=True)
    earlier = _earlier(path)
    if path.exists() and not earlier.exists():  # a new version: the one indexed waits aside
        os.replace(path, earlier)
    path.write_bytes(data)
    return path


def settle_uploads(saved: list[Path], refused: Collection[str]) -> set[str]:
    """Once the index has read the saved uploads: an accepted file's earlier version is dropped;
    a refused file is taken back, its earlier version restored, so the uploads folder holds
    only what the index reads and a refused new version never costs the indexed one. Returns
    the refused files whose earlier version is back."""
    restored = set()
    for path in saved:
        earlier = _earlier(path)
        if str(path) not in refused:
            earlier.unlink(missing_ok=True)
        elif earlier.exists():
            os.replace(earlier, path)
            restored.add(str(path))
        else:
            path.unlink(missing_ok=True)
    return restored


def shown_reason(folder: Path, reason: str) -> str:
    """Why an upload was skipped, as a remote user reads it: a path in the uploads folder (a
    duplicate names the file it repeats) and any other quoted path (the index's lock file)
    become bare file names."""
    return without_paths(reason.replace(f"{folder.resolve()}{os.sep}", ""))


def _earlier(path: Path) -> Path:
    return path.with_name(f".earlier-{path.name}")  # hidden: no build reads it

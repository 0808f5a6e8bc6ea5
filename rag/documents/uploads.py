"""Saving uploaded articles safely: the same rules for the chat page and the HTTP server.

Only a file's base name survives, reduced to safe characters, so '../../etc/x.txt' lands in
the uploads folder as 'x.txt'; the type must be one we ingest and the size within the limit.
A new version replaces a file already there only if it can be read, and the version it
replaced is kept aside until the index has taken the new one (`settle_uploads`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from pathlib import Path

from rag.core.errors import IngestError, UploadError
from rag.core.text import without_paths
from rag.documents.ingest import KINDS, load_document, readable

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
    if not path.exists():
        path.write_bytes(data)
        return path
    # A new version of a file already here: it replaces the old one only if it can be read, so
    # a broken upload never costs the version that is indexed.
    staged = path.with_name(f".upload-{path.name}")  # hidden: no build reads it
    staged.write_bytes(data)
    try:
        load_document(staged, max_bytes)
    except IngestError as exc:
        staged.unlink(missing_ok=True)
        raise UploadError(f"{exc}; the version already here is kept", status=422) from None
    os.replace(path, _earlier(path))
    os.replace(staged, path)
    return path


def settle_uploads(saved: list[Path], refused: Collection[str]) -> None:
    """Once the index has read the saved uploads: an accepted file's earlier version is dropped;
    a refused file is taken back, its earlier version restored, so the uploads folder holds
    only what the index reads and a refused new version never costs the indexed one."""
    for path in saved:
        earlier = _earlier(path)
        if str(path) not in refused:
            earlier.unlink(missing_ok=True)
        elif earlier.exists():
            os.replace(earlier, path)
        else:
            path.unlink(missing_ok=True)


def shown_reason(folder: Path, reason: str) -> str:
    """Why an upload was skipped, as a remote user reads it: a path in the uploads folder (a
    duplicate names the file it repeats) and any other quoted path (the index's lock file)
    become bare file names."""
    return without_paths(reason.replace(f"{folder.resolve()}{os.sep}", ""))


def _earlier(path: Path) -> Path:
    return path.with_name(f".earlier-{path.name}")  # hidden: no build reads it

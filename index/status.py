"""What changed on disk since the index was built, without loading any model."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from index.store import Manifest
from rag.documents.ingest import Skipped, document_id, readable

FINGERPRINT = ("size", "mtime_ns")


def _fingerprint(path: Path) -> dict[str, int]:
    """Size and modification time: enough to tell that a skipped file was edited since."""
    try:
        stat = path.stat()
    except OSError:
        return {}
    return dict(zip(FINGERPRINT, (stat.st_size, stat.st_mtime_ns), strict=True))


def skipped_record(
    items: Iterable[Skipped], earlier: dict[str, dict[str, Any]] | None = None, indexed: Iterable[str] = ()
) -> dict[str, dict[str, Any]]:
    """The manifest's record of files a build could not use: `earlier`'s entries (an update keeps
    them) less the files now indexed or deleted, then this build's, each with its reason."""
    now_indexed = set(indexed)
    record = {
        source: info
        for source, info in (earlier or {}).items()
        if source not in now_indexed and Path(source).is_file()  # deleted since: nothing to record
    }
    for item in items:
        record[item.path] = {"reason": item.reason, **_fingerprint(Path(item.path))}
    return record


def _still_skipped(manifest: Manifest) -> dict[str, dict[str, Any]]:
    """The skipped record's files that are as they were when skipped. One edited or replaced
    since is for the next build to read again: listed as new, or indexed already."""
    return {
        source: info
        for source, info in manifest.skipped.items()
        if _fingerprint(Path(source)) == {k: info.get(k) for k in FINGERPRINT}
    }


def staleness(manifest: Manifest) -> list[str]:
    """Human-readable differences between the manifest and the files it was built from. A file
    the build skipped is not new again until it changes."""
    changed, missing = [], []
    folders: set[Path] = set()
    for doc_id, info in manifest.documents.items():
        path = Path(info["source"])
        folders.add(path.parent)
        if not path.is_file():
            missing.append(doc_id)
        elif hashlib.sha256(path.read_bytes()).hexdigest() != info["sha256"]:
            changed.append(doc_id)
    indexed = set(manifest.documents)
    skipped = {Path(source).resolve() for source in _still_skipped(manifest)}
    new = sorted(
        p.name
        for folder in folders
        if folder.is_dir()
        for p in folder.iterdir()
        if p.is_file()
        and not p.name.startswith(".")
        and readable(p)
        and document_id(p) not in indexed
        and p.resolve() not in skipped
    )
    out = []
    if changed:
        out.append(f"{len(changed)} changed ({', '.join(changed)})")
    if missing:
        out.append(f"{len(missing)} missing ({', '.join(missing)})")
    if new:
        out.append(f"{len(new)} new in indexed folders ({', '.join(new[:5])})")
    return out


def skipped_lines(manifest: Manifest) -> list[str]:
    """The files the builds could not use, each with its reason, while they stay as they were."""
    return [
        f"{Path(source).name}: {info['reason']}" for source, info in sorted(_still_skipped(manifest).items())
    ]

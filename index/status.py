"""What changed on disk since the index was built, without loading any model."""

from __future__ import annotations

import hashlib
from pathlib import Path

from index.store import Manifest
from rag.documents.ingest import document_id, readable


def staleness(manifest: Manifest) -> list[str]:
    """Human-readable differences between the manifest and the files it was built from."""
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
    new = sorted(
        p.name
        for folder in folders
        if folder.is_dir()
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and readable(p) and document_id(p) not in indexed
    )
    out = []
    if changed:
        out.append(f"{len(changed)} changed ({', '.join(changed)})")
    if missing:
        out.append(f"{len(missing)} missing ({', '.join(missing)})")
    if new:
        out.append(f"{len(new)} new in indexed folders ({', '.join(new[:5])})")
    return out

import hashlib
from pathlib import Path

from index.status import skipped_lines, skipped_record, staleness
from index.store import Manifest
from rag.documents.ingest import Skipped


def test_new_documents_are_those_a_build_would_read(tmp_path: Path):
    story = tmp_path / "story.txt"
    story.write_text("Chips and clusters.")
    sha = hashlib.sha256(story.read_bytes()).hexdigest()
    manifest = Manifest("f", "e", 3, {}, "flat", {"story": {"source": str(story), "sha256": sha}}, 1)
    assert staleness(manifest) == []
    (tmp_path / "README").write_text("Notes on the corpus.")  # read by content, so new
    (tmp_path / "sheet.xlsx").write_bytes(b"PK")  # never read
    (tmp_path / ".hidden").write_text("never read")
    (tmp_path / "sub").mkdir()  # a folder is not a document
    assert staleness(manifest) == ["1 new in indexed folders (README)"]
    story.write_text("Changed.")
    assert staleness(manifest)[0] == "1 changed (story)"


def test_a_file_the_build_skipped_is_not_new_until_it_changes(tmp_path: Path):
    story = tmp_path / "story.txt"
    story.write_text("Chips and clusters.")
    sha = hashlib.sha256(story.read_bytes()).hexdigest()
    binary = tmp_path / "ninja"
    binary.write_bytes(b"\x7fELF\x00")
    skipped = skipped_record([Skipped(str(binary), "binary content (NUL bytes)")])
    manifest = Manifest(
        "f", "e", 3, {}, "flat", {"story": {"source": str(story), "sha256": sha}}, 1, skipped=skipped
    )
    assert staleness(manifest) == []
    assert skipped_lines(manifest) == ["ninja: binary content (NUL bytes)"]
    binary.write_text("Now it is text, so a build would read it.")
    assert staleness(manifest) == ["1 new in indexed folders (ninja)"]
    assert skipped_lines(manifest) == []  # new, not also "skipped"


def test_manifests_written_before_the_skipped_record_still_load():
    manifest = Manifest("f", "e", 3, {}, "flat", {}, 0)
    assert manifest.skipped == {} and skipped_lines(manifest) == []


def test_an_update_keeps_earlier_skipped_files_unless_indexed_or_deleted(tmp_path: Path):
    kept, indexed, deleted = (tmp_path / name for name in ("kept", "indexed", "deleted"))
    for path in (kept, indexed):
        path.write_bytes(b"\x00")
    earlier = skipped_record([Skipped(str(p), "binary content") for p in (kept, indexed, deleted)])
    fresh = tmp_path / "fresh"
    fresh.write_bytes(b"\x00")
    record = skipped_record([Skipped(str(fresh), "binary content")], earlier, indexed=[str(indexed)])
    assert sorted(record) == [str(fresh), str(kept)]

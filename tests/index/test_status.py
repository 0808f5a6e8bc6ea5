import hashlib
from pathlib import Path

from index.status import staleness
from index.store import Manifest


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

"""spaCy loads without torch: thinc would import it (about 0.9 s and 180 MB in every answering
process) although the small English pipeline never uses it."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_language_model_loads_without_importing_torch():
    code = (
        "import sys; from rag.core.nlp import nlp; "
        "doc = nlp()('Who founded Huawei in 1987?'); "
        "print([e.text for e in doc.ents], 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split()[-1] == "False", out.stdout
    assert "1987" in out.stdout  # the pipeline works without it


def test_a_text_is_parsed_once_for_all_its_readers():
    from rag.core.nlp import parse

    first = parse("Huawei unveiled the SuperPoD Interconnect.")
    assert parse("Huawei unveiled the SuperPoD Interconnect.") is first

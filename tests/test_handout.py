"""`make handout`: the learners' copies for a class, without outputs, the course's notebooks untouched."""

import hashlib
import json
import subprocess
from pathlib import Path

from course_utils.course import NOTEBOOK_DIR, ROOT, notebooks

NOTEBOOKS = notebooks()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_handout_clears_outputs_keeps_sources_and_hidden_solutions(tmp_path):
    before = {path: _digest(path) for path in NOTEBOOKS}
    subprocess.run(["make", "--no-print-directory", "handout", f"HANDOUT_DIR={tmp_path}"], cwd=ROOT, check=True,
                   capture_output=True)
    # Relative paths kept: a translation (ko/01_x.ipynb) does not overwrite its English notebook.
    relative = [path.relative_to(NOTEBOOK_DIR) for path in NOTEBOOKS]
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.ipynb")) == sorted(relative)
    for path, name in zip(NOTEBOOKS, relative):
        original, copy = json.loads(path.read_text()), json.loads((tmp_path / name).read_text())
        assert [c["source"] for c in copy["cells"]] == [c["source"] for c in original["cells"]]
        code = [c for c in copy["cells"] if c["cell_type"] == "code"]
        assert all(c["outputs"] == [] and c["execution_count"] is None for c in code), path.name
        hidden = [c.get("metadata", {}).get("jupyter", {}).get("source_hidden", False) for c in original["cells"]]
        assert hidden == [c.get("metadata", {}).get("jupyter", {}).get("source_hidden", False) for c in copy["cells"]]
        assert copy["metadata"]["kernelspec"] == original["metadata"]["kernelspec"]
    assert {path: _digest(path) for path in NOTEBOOKS} == before, "make handout changed the course's notebooks"

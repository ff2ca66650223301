"""`make handout`: the learners' copies for a class, without outputs, the course's notebooks untouched."""

import hashlib
import json
import subprocess
from pathlib import Path

from course_utils.course import NOTEBOOK_DIR, ROOT, is_solutions, notebooks

NOTEBOOKS = notebooks()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_handout_clears_outputs_keeps_sources_and_puts_solutions_apart(tmp_path):
    before = {path: _digest(path) for path in NOTEBOOKS}
    handout = tmp_path / "handout"
    subprocess.run(["make", "--no-print-directory", "handout", f"HANDOUT_DIR={handout}"], cwd=ROOT, check=True,
                   capture_output=True)
    solutions = tmp_path / "handout-solutions"
    copies = {path: (solutions if is_solutions(path) else handout) / path.relative_to(NOTEBOOK_DIR) for path in NOTEBOOKS}
    written = sorted(p for p in tmp_path.rglob("*.ipynb"))
    assert written == sorted(copies.values())
    assert not any(is_solutions(p) for p in NOTEBOOKS if copies[p].is_relative_to(handout))
    assert any(is_solutions(p) for p in NOTEBOOKS), "the course has worked-solutions notebooks"
    for path in NOTEBOOKS:
        original, copy = json.loads(path.read_text()), json.loads(copies[path].read_text())
        assert [c["source"] for c in copy["cells"]] == [c["source"] for c in original["cells"]]
        code = [c for c in copy["cells"] if c["cell_type"] == "code"]
        assert all(c["outputs"] == [] and c["execution_count"] is None for c in code), path.name
        hidden = [c.get("metadata", {}).get("jupyter", {}).get("source_hidden", False) for c in original["cells"]]
        assert hidden == [c.get("metadata", {}).get("jupyter", {}).get("source_hidden", False) for c in copy["cells"]]
        assert copy["metadata"]["kernelspec"] == original["metadata"]["kernelspec"]
    assert {path: _digest(path) for path in NOTEBOOKS} == before, "make handout changed the course's notebooks"

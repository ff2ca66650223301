"""Every notebook is paired with a py:percent script, and the two say the same thing."""

import jupytext
import pytest

from course_utils.course import NOTEBOOK_DIR, notebooks

NOTEBOOKS = notebooks()


def _cells(notebook) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


@pytest.mark.parametrize("ipynb", NOTEBOOKS, ids=[str(p.relative_to(NOTEBOOK_DIR).with_suffix("")) for p in NOTEBOOKS])
def test_notebook_and_its_script_have_the_same_cells(ipynb):
    script = ipynb.with_suffix(".py")
    assert script.exists(), f"{ipynb.name} has no paired {script.name}; run `jupytext --sync {ipynb}`"
    from_ipynb = _cells(jupytext.read(ipynb))
    from_py = _cells(jupytext.read(script))
    assert from_ipynb == from_py, f"{ipynb.name} and {script.name} differ; run `jupytext --sync` on the newer one"


@pytest.mark.parametrize("ipynb", NOTEBOOKS, ids=[str(p.relative_to(NOTEBOOK_DIR).with_suffix("")) for p in NOTEBOOKS])
def test_notebook_was_run_top_to_bottom_with_no_error(ipynb):
    cells = [c for c in jupytext.read(ipynb).cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.get("execution_count") for c in cells]
    assert counts == list(range(1, len(cells) + 1)), f"{ipynb.name}: restart the kernel and run all cells before saving"
    errors = [o for c in cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{ipynb.name} was saved with an error output"


@pytest.mark.parametrize("ipynb", NOTEBOOKS, ids=[str(p.relative_to(NOTEBOOK_DIR).with_suffix("")) for p in NOTEBOOKS])
def test_notebook_has_no_empty_code_cell(ipynb):
    """JupyterLab's Run All never gives an empty code cell an execution count (the browser test waits for one)."""
    empty = [i for i, c in enumerate(jupytext.read(ipynb).cells) if c.cell_type == "code" and not c.source.strip()]
    assert not empty, f"{ipynb.name}: empty code cells at {empty}; delete them"

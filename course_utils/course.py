"""The course's notebooks, found one way.

Every place that needs "the course's notebooks" asks :func:`notebooks`: the
tests (``tests/test_notebook_pairs.py``, ``tests/test_handout.py``, the
browser test), ``benchmarks/notebook_budget.py`` and ``make handout``
(through ``python -m course_utils.course --list``). A notebook of the course
is a file ``NN_name.ipynb`` (two digits, an underscore) anywhere under
``notebooks/``, sub-folders included (a translation in ``notebooks/ko/``,
say); Jupyter's ``.ipynb_checkpoints`` copies are not.
"""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOK_PATTERN = "[0-9][0-9]_*.ipynb"


def notebooks(directory: Path = NOTEBOOK_DIR) -> list[Path]:
    """Every ``NN_name.ipynb`` under ``directory`` and its sub-folders, in path order."""
    directory = Path(directory)
    # Hidden folders (.ipynb_checkpoints) hold Jupyter's copies, not notebooks; pytest skips them too.
    hidden = lambda path: any(part.startswith(".") for part in path.relative_to(directory).parts)  # noqa: E731
    return sorted(path for path in directory.rglob(NOTEBOOK_PATTERN) if not hidden(path))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print the notebooks' paths, one a line")
    args = parser.parse_args(argv)
    if args.list:
        for path in notebooks():
            print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()

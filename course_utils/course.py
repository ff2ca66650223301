"""The course's notebooks, found one way.

Every place that needs "the course's notebooks" asks :func:`notebooks`: the
tests (``tests/test_notebook_pairs.py``, ``tests/test_handout.py``, the
browser test), ``benchmarks/notebook_budget.py`` and ``make handout``
(through ``python -m course_utils.course --list``). A notebook of the course
is a file ``NN_name.ipynb`` (two digits, an underscore) anywhere under
``notebooks/``, sub-folders included (a translation in ``notebooks/ko/``,
say); Jupyter's ``.ipynb_checkpoints`` copies are not.

The worked solutions of each lesson's exercises are a notebook of their own,
``notebooks/solutions/NN_name_solutions.ipynb``, so that no viewer shows an
answer under its exercise; :func:`lessons` leaves them out, and
:func:`solutions_of` finds a lesson's.
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


def lessons(directory: Path = NOTEBOOK_DIR) -> list[Path]:
    """The lessons of one language: ``NN_name.ipynb`` directly in ``directory``, in order.

    ``lessons()`` are the English ones; ``lessons(NOTEBOOK_DIR / "ko")`` the Korean edition's.
    Solutions (in ``solutions/``) and other editions (other sub-folders) are not lessons here.
    """
    directory = Path(directory)
    return sorted(path for path in directory.glob(NOTEBOOK_PATTERN) if path.is_file())


def solutions_of(lesson: Path) -> Path:
    """Where the worked solutions of ``lesson`` live: ``solutions/NN_name_solutions.ipynb`` beside it."""
    lesson = Path(lesson)
    return lesson.parent / "solutions" / f"{lesson.stem}_solutions.ipynb"


def is_solutions(path: Path) -> bool:
    """True for a worked-solutions notebook (it lives in a ``solutions`` folder)."""
    return "solutions" in Path(path).relative_to(NOTEBOOK_DIR).parts[:-1]


def write_handout(directory: Path, source: Path = NOTEBOOK_DIR) -> list[Path]:
    """Learners' copies of every notebook under ``source``, outputs and execution counts cleared.

    Lessons go to ``directory`` and the worked solutions to ``directory``'s sibling
    ``<name>-solutions``, each keeping its path relative to ``source`` (``ko/01_….ipynb``,
    ``solutions/01_…_solutions.ipynb``), so a teacher hands the solutions out later by copying
    that folder's contents over the handout, and the lessons' links to them work again.
    Returns the files written.
    """
    import nbformat

    directory, source = Path(directory), Path(source)
    solutions_dir = directory.with_name(directory.name + "-solutions")
    written = []
    for path in notebooks(source):
        relative = path.relative_to(source)
        target = (solutions_dir if "solutions" in relative.parts[:-1] else directory) / relative
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print the notebooks' paths, one a line")
    parser.add_argument("--handout", metavar="DIR", help="write learners' copies without outputs to DIR")
    args = parser.parse_args(argv)
    if args.list:
        for path in notebooks():
            print(path.relative_to(ROOT))
    if args.handout:
        written = write_handout(Path(args.handout))
        print(f"{len(written)} cleared copies: lessons in {args.handout}/, "
              f"worked solutions in {args.handout}-solutions/")


if __name__ == "__main__":
    main()

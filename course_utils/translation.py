"""The Korean notebooks, kept in step with the English ones.

The Korean edition of ``notebooks/NN_name.py`` is ``notebooks/ko/NN_name.py``
(a py:percent script, paired with its ``.ipynb`` like the English ones). Its
cells are the English notebook's cells, one for one and in order, plus one
extra code cell just before the first English code cell::

    from course_utils.language import set_language

    set_language("ko")

- **Code cells** are the English ones, unchanged (source, and the metadata
  that Jupyter and nbval read: ``tags``, ``jupyter``). What the learner sees
  from code (figure text, feedback, errors) comes out in Korean because of
  the extra cell (:mod:`course_utils.language`).
- **Markdown cells** are translated. Each records which English text it
  translates: its metadata ``en`` is the first 12 hex digits of the sha256 of
  the English cell's source (as stored in the English ``.ipynb``). In the
  ``.py`` file that is the cell header ``# %% [markdown] en="0123456789ab"``.

Two more metadata keys mark work to do, and a translator removes them:

- ``todo="translate"``: the cell still holds the English text.
- ``todo="update"``: the English cell changed after it was translated. The
  cell holds the old Korean text, followed by the new English text in an
  HTML comment that starts with ``<!-- English now``; revise the Korean,
  then delete the comment and the ``todo``.

A formula-only cell, which rightly has no Hangul, says so with
``no_hangul="true"``.

Commands (run from the repository root)::

    # (re)write notebooks/ko/01_xai_intro.py from notebooks/01_xai_intro.ipynb:
    python -m course_utils.translation sync notebooks/01_xai_intro.py
    # every notebooks/ko/*.py (or the ones named); exit status 1 on any problem:
    python -m course_utils.translation check

``sync`` copies the code cells, keeps every Korean cell whose ``en`` hash
matches an English cell's current hash (matched by hash, so inserted or moved
cells keep their translations), and marks the rest ``todo``. ``check`` lists
every markdown cell that is stale (its hash is not that of the English cell at
its position), untranslated (a ``todo``, the ``<!-- English now`` comment, or
no Hangul), and every code cell that differs from the English one.
After ``sync``, ``jupytext --sync notebooks/ko/NN_name.py`` makes the
``.ipynb`` follow, and running it refreshes the outputs.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

from course_utils.course import NOTEBOOK_DIR, ROOT

TRANSLATION_DIR = NOTEBOOK_DIR / "ko"
"""Where the Korean notebooks live: ``notebooks/ko/NN_name.py`` (+ ``.ipynb``)."""

LANGUAGE_CELL = 'from course_utils.language import set_language\n\nset_language("ko")'
"""The one extra code cell of a Korean notebook, just before the first English code cell."""

HASH_KEY, TODO_KEY, NO_HANGUL_KEY = "en", "todo", "no_hangul"
TRANSLATE, UPDATE = "translate", "update"
UPDATE_MARKER = "<!-- English now"
"""Starts the comment that holds the new English text of a cell marked ``todo="update"``."""

CODE_METADATA = ("tags", "jupyter")
"""Code-cell metadata that must match the English: nbval's ``tags``, ``jupyter`` (hidden solutions)."""

HANGUL = re.compile("[\uac00-\ud7a3]")
HASH_LENGTH = 12


def english_hash(source: str) -> str:
    """``sha256(source)``, first 12 hex digits: the ``en`` of the cell that translates ``source``."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def korean_path(english: Path) -> Path:
    """``notebooks/NN_name.py`` (or ``.ipynb``) -> ``notebooks/ko/NN_name.py``.

    Worked solutions keep their sub-folder: ``notebooks/solutions/NN_name_solutions.py`` ->
    ``notebooks/ko/solutions/NN_name_solutions.py``, so the Korean lessons' links reach them.
    """
    english = Path(english).with_suffix(".py")
    if english.parent.name == "solutions":
        return english.parent.parent / TRANSLATION_DIR.name / "solutions" / english.name
    return english.parent / TRANSLATION_DIR.name / english.name


def english_path(korean: Path) -> Path:
    """``notebooks/ko/NN_name.py`` -> ``notebooks/NN_name.py`` (``ko/solutions/…`` -> ``solutions/…``)."""
    korean = Path(korean).with_suffix(".py")
    if korean.parent.name == "solutions":
        return korean.parent.parent.parent / "solutions" / korean.name
    return korean.parent.parent / korean.name


def read_english(english: Path) -> nbformat.NotebookNode:
    """The English notebook, from its ``.ipynb`` (the hashes are of the sources stored there).

    Refuses a pair whose ``.py`` says something else than the ``.ipynb``: the
    hashes would be of a text nobody sees.
    """
    english = Path(english)
    ipynb = english.with_suffix(".ipynb")
    if not ipynb.exists():
        raise FileNotFoundError(f"{ipynb} does not exist: pass an English notebook of the course")
    notebook = nbformat.read(ipynb, as_version=4)
    script = english.with_suffix(".py")
    if script.exists():
        in_script = [(c.cell_type, c.source.strip()) for c in jupytext.read(script).cells]
        if in_script != [(c.cell_type, c.source.strip()) for c in notebook.cells]:
            message = f"{script.name} and {ipynb.name} differ: run `jupytext --sync {script}` first"
            raise ValueError(message)
    return notebook


# --- sync -------------------------------------------------------------------------------------


@dataclass
class SyncReport:
    """How many markdown cells ``sync`` kept translated, and how many are to translate or update."""

    korean: Path
    kept: int = 0
    translate: int = 0
    update: int = 0


def _code_cell(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    metadata = {k: v for k, v in cell.metadata.items() if k not in ("execution", "ExecuteTime")}
    return nbformat.v4.new_code_cell(cell.source, metadata=metadata)


def _markdown_cell(source: str, metadata: dict) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(source, metadata=metadata)


def _strip_update_marker(source: str) -> str:
    """The Korean text of a cell, without the ``<!-- English now`` comment of an earlier sync."""
    at = source.find(UPDATE_MARKER)
    return source[:at].rstrip() if at >= 0 else source


def _with_update_marker(korean: str, english: str) -> str:
    note = "(revise the Korean above to say this, then delete\nthis comment and the cell's todo):"
    return f"{_strip_update_marker(korean)}\n\n{UPDATE_MARKER} {note}\n\n{english}\n-->"


def _old_translations(old: list, new: list[str]) -> dict[int, nbformat.NotebookNode]:
    """For English markdown cells whose text changed, the Korean cells that translated the old text.

    ``old`` is the Korean notebook's cells (the extra cell left out), ``new``
    the English cells' hashes. Cells are aligned by their hashes (difflib);
    where a block of old cells was replaced by a block of new ones, they are
    paired in order.
    """
    old_keys = [cell.metadata.get(HASH_KEY, "") if cell.cell_type == "markdown" else english_hash(cell.source)
                for cell in old]
    current = set(new)
    pairs = {}
    matcher = difflib.SequenceMatcher(a=old_keys, b=new, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "replace":
            for i, j in zip(range(a0, a1), range(b0, b1)):
                # A cell whose text is still in the English (moved) keeps translating that text.
                if old[i].cell_type == "markdown" and old_keys[i] not in current:
                    pairs[j] = old[i]
    return pairs


def sync(english: Path, korean: Path | None = None) -> SyncReport:
    """Write the Korean notebook of ``english`` (its ``.py``; default ``notebooks/ko/NN_name.py``).

    Code cells are copied; each English markdown cell gets, in this order of
    preference, the Korean cell whose ``en`` is its hash (translated, kept as
    it is), the old translation of its previous text (``todo="update"``), or
    its English text (``todo="translate"``).
    """
    english = Path(english)
    korean = Path(korean) if korean is not None else korean_path(english)
    source = read_english(english)
    old_cells = list(jupytext.read(korean).cells) if korean.exists() else []
    old_cells = [c for c in old_cells if not _is_language_cell(c)]
    translated: dict[str, list] = {}
    for cell in old_cells:
        if cell.cell_type == "markdown" and HASH_KEY in cell.metadata:
            translated.setdefault(cell.metadata[HASH_KEY], []).append(cell)
    hashes = [english_hash(cell.source) for cell in source.cells]
    previous = _old_translations(old_cells, hashes)

    report = SyncReport(korean)
    cells = []
    for j, (cell, key) in enumerate(zip(source.cells, hashes)):
        if cell.cell_type == "code":
            if not any(c.cell_type == "code" for c in cells):
                cells.append(nbformat.v4.new_code_cell(LANGUAGE_CELL))
            cells.append(_code_cell(cell))
            continue
        if cell.cell_type != "markdown":
            raise ValueError(f"{english.name}: cell {j} is a {cell.cell_type} cell; expected code or markdown")
        candidates = translated.get(key, [])
        if candidates:  # the cell that translates this very text: kept as it is, todo and all
            done = candidates.pop(0)
            todo = done.metadata.get(TODO_KEY)
            report.kept += todo is None
            report.update += todo == UPDATE
            report.translate += todo == TRANSLATE
            cells.append(_markdown_cell(done.source, dict(done.metadata)))
            continue
        old = previous.get(j)
        if old is not None and HANGUL.search(old.source):
            report.update += 1
            metadata = {**old.metadata, HASH_KEY: key, TODO_KEY: UPDATE}
            cells.append(_markdown_cell(_with_update_marker(old.source, cell.source), metadata))
            continue
        report.translate += 1
        cells.append(_markdown_cell(cell.source, {HASH_KEY: key, TODO_KEY: TRANSLATE}))

    notebook = nbformat.v4.new_notebook(cells=cells, metadata=dict(source.metadata))
    korean.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(notebook, korean, fmt="py:percent")
    return report


# --- check ------------------------------------------------------------------------------------


STRUCTURE, CODE, STALE, UNTRANSLATED = "structure", "code", "stale", "untranslated"
"""The kinds of :class:`Problem`: the cells do not line up; a code cell differs; a translation is of
an older English text; a markdown cell is not translated (yet)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a Korean notebook: its cell (counted from 1), the kind, and what."""

    path: Path
    cell: int | None
    kind: str
    message: str

    def __str__(self) -> str:
        where = f" cell {self.cell}" if self.cell is not None else ""
        return f"{_shown(self.path)}{where}: {self.message}"


def _shown(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _first_line(source: str) -> str:
    line = next((line for line in source.splitlines() if line.strip()), "")
    return repr(line[:60] + ("..." if len(line) > 60 else ""))


def check(korean: Path, english: Path | None = None) -> list[Problem]:
    """Every problem of the Korean notebook ``korean`` against the English one; empty when in step."""
    korean = Path(korean)
    english = Path(english) if english is not None else english_path(korean)
    source = read_english(english)
    cells = list(jupytext.read(korean).cells)
    problems: list[Problem] = []

    def report(index: int | None, kind: str, message: str) -> None:
        problems.append(Problem(korean, None if index is None else index + 1, kind, message))

    run_sync = f"run `python -m course_utils.translation sync {_shown(english)}`"
    extra = next((i for i, c in enumerate(source.cells) if c.cell_type == "code"), len(source.cells))
    if len(cells) <= extra or not _is_language_cell(cells[extra]):
        report(extra, STRUCTURE, f"expected the extra code cell {LANGUAGE_CELL!r} here, just before the "
                                 f"first English code cell; {run_sync}")
        paired = list(enumerate(cells))
    else:
        paired = [(i, c) for i, c in enumerate(cells) if i != extra]
    if len(paired) != len(source.cells):
        report(None, STRUCTURE, f"{len(paired)} cells besides the extra one, the English notebook has "
                                f"{len(source.cells)}; {run_sync}")

    for (index, cell), original in zip(paired, source.cells):
        if cell.cell_type != original.cell_type:
            report(index, STRUCTURE, f"is a {cell.cell_type} cell where the English has a "
                                     f"{original.cell_type} cell {_first_line(original.source)}")
        elif cell.cell_type == "code":
            for key in CODE_METADATA:
                if cell.metadata.get(key) != original.metadata.get(key):
                    report(index, CODE, f"code cell metadata {key!r} differs from the English one's")
            if cell.source.strip() != original.source.strip():
                report(index, CODE, f"code cell differs from the English {_first_line(original.source)}")
        else:
            for kind, message in _markdown_problems(cell, original):
                report(index, kind, message)
    return problems


def _is_language_cell(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and cell.source.strip() == LANGUAGE_CELL


def _markdown_problems(cell: nbformat.NotebookNode, original: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """``(kind, message)`` for each problem of a Korean markdown cell against its English cell."""
    found = []
    key = english_hash(original.source)
    recorded = cell.metadata.get(HASH_KEY)
    if recorded is None:
        found.append((STALE, f"markdown cell without {HASH_KEY!r} metadata (what does it translate?)"))
    elif recorded != key:
        found.append((STALE, f"stale: translates an older text of the English cell "
                             f"{_first_line(original.source)} ({HASH_KEY}={recorded}, the English is now "
                             f"{key}); run sync, then update the translation"))
    todo = cell.metadata.get(TODO_KEY)
    if todo is not None:
        found.append((UNTRANSLATED, f"untranslated: todo={todo!r} ({_first_line(original.source)})"))
    if UPDATE_MARKER in cell.source:
        found.append((UNTRANSLATED, f"untranslated: the {UPDATE_MARKER!r} comment is still there"))
    no_hangul = str(cell.metadata.get(NO_HANGUL_KEY, "")).lower() == "true"
    if todo is None and not no_hangul and not HANGUL.search(cell.source):
        found.append((UNTRANSLATED, f"untranslated: no Hangul in {_first_line(cell.source)} "
                                    f"(a formula-only cell says so with {NO_HANGUL_KEY}=\"true\")"))
    return found


def korean_notebooks(directory: Path = TRANSLATION_DIR) -> list[Path]:
    """Every ``NN_name.py`` in ``notebooks/ko/`` and ``notebooks/ko/solutions/``."""
    directory = Path(directory)
    return sorted([*directory.glob("[0-9][0-9]_*.py"), *directory.glob("solutions/[0-9][0-9]_*.py")])


# --- the command line ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.translation",
                                     description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sync_parser = commands.add_parser("sync", help="(re)write the Korean notebooks of English ones")
    sync_parser.add_argument("english", nargs="+", type=Path,
                             help="English notebooks, e.g. notebooks/01_xai_intro.py")
    check_parser = commands.add_parser("check", help="list what is stale, untranslated or different; "
                                                     "exit status 1 if anything")
    check_parser.add_argument("korean", nargs="*", type=Path,
                              help="Korean notebooks (default: every notebooks/ko/NN_name.py)")
    args = parser.parse_args(argv)

    if args.command == "sync":
        for english in args.english:
            if english.resolve().parent == TRANSLATION_DIR.resolve():
                parser.error(f"{english} is a Korean notebook; pass the English {english_path(english)}")
            result = sync(english)
            print(f"{_shown(result.korean)}: {result.kept} markdown cells translated, "
                  f"{result.update} to update, {result.translate} to translate")
            print(f"  then: jupytext --sync {_shown(result.korean)}  (and run it, to refresh the outputs)")
        return 0

    paths = args.korean or korean_notebooks()
    problems = [problem for path in paths for problem in check(path)]
    for problem in problems:
        print(problem)
    verdict = f"{len(problems)} problems" if problems else "all in step"
    print(f"{len(paths)} Korean notebooks checked: {verdict}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

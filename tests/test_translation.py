"""The Korean notebooks: code cells equal to the English ones, every markdown cell up to date and translated."""

from __future__ import annotations

import hashlib

import jupytext
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_utils import translation
from course_utils.course import NOTEBOOK_DIR, lessons, notebooks, solutions_of
from course_utils.translation import (
    CODE,
    LANGUAGE_CELL,
    STALE,
    STRUCTURE,
    UNTRANSLATED,
    UPDATE_MARKER,
    check,
    english_hash,
    korean_path,
    sync,
)

# --- a synthetic English notebook and its Korean edition --------------------------------------------

ENGLISH_CELLS = [
    ("markdown", "# 99 · A demo\n\nWhat this notebook is for."),
    ("markdown", "## Theory\n\nThe map is $M = \\sum_k w_k f_k$."),
    ("code", "x = 1\nprint(x)  # NBVAL_CHECK_OUTPUT"),
    ("markdown", "The number printed is one."),
    ("code", "y = x + 1"),
    ("markdown", "$$y = x + 1$$"),
]
KOREAN = {
    0: "# 99 · 데모\n\n이 노트북이 하는 일.",
    1: "## 이론\n\n맵은 $M = \\sum_k w_k f_k$입니다.",
    3: "출력된 수는 1입니다.",
}


def _write_english(folder, cells) -> object:
    """``folder/99_demo.ipynb`` and its paired ``.py``; returns the ``.py`` path."""
    built = [new_code_cell(src, metadata={"tags": ["demo"]} if i == 2 else {}) if kind == "code"
             else new_markdown_cell(src) for i, (kind, src) in enumerate(cells)]
    notebook = new_notebook(cells=built, metadata={"jupytext": {"formats": "ipynb,py:percent"}})
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, folder / "99_demo.ipynb")
    jupytext.write(notebook, folder / "99_demo.py", fmt="py:percent")
    return folder / "99_demo.py"


def _translate(korean, texts: dict[int, str], *, no_hangul: tuple[int, ...] = ()) -> None:
    """Play the translator: put Korean text into English cells (by English index), drop their todo."""
    notebook = jupytext.read(korean)
    markdown = [c for c in notebook.cells if c.source.strip() != LANGUAGE_CELL]
    for index, text in texts.items():
        markdown[index].source = text
        markdown[index].metadata.pop("todo", None)
    for index in no_hangul:
        markdown[index].metadata.pop("todo", None)
        markdown[index].metadata["no_hangul"] = "true"
    jupytext.write(notebook, korean, fmt="py:percent")


@pytest.fixture
def pair(tmp_path):
    english = _write_english(tmp_path / "notebooks", ENGLISH_CELLS)
    return english, korean_path(english)


def test_the_hash_is_the_first_twelve_hex_digits_of_sha256():
    text = "# Title\n\nText"
    assert english_hash(text) == hashlib.sha256(text.encode()).hexdigest()[:12]
    assert korean_path(NOTEBOOK_DIR / "01_xai_intro.py") == NOTEBOOK_DIR / "ko" / "01_xai_intro.py"
    assert translation.english_path(NOTEBOOK_DIR / "ko" / "01_xai_intro.py") == NOTEBOOK_DIR / "01_xai_intro.py"


def test_sync_copies_the_code_adds_the_language_cell_and_marks_markdown_to_translate(pair):
    english, korean = pair
    report = sync(english)
    assert (report.kept, report.update, report.translate) == (0, 0, 4)
    cells = jupytext.read(korean).cells
    assert [c.cell_type for c in cells] == ["markdown", "markdown", "code", "code", "markdown", "code", "markdown"]
    assert cells[2].source == LANGUAGE_CELL
    source = nbformat.read(english.with_suffix(".ipynb"), as_version=4)
    assert cells[3].source == source.cells[2].source and cells[3].metadata["tags"] == ["demo"]
    for cell, original in zip([cells[i] for i in (0, 1, 4, 6)], [source.cells[i] for i in (0, 1, 3, 5)]):
        assert cell.source == original.source
        assert cell.metadata == {"en": english_hash(original.source), "todo": "translate"}
    problems = check(korean)
    assert [(p.cell, p.kind) for p in problems] == [(1, UNTRANSLATED), (2, UNTRANSLATED), (5, UNTRANSLATED),
                                                    (7, UNTRANSLATED)]


def test_the_cell_header_round_trips_through_jupytext(pair):
    english, korean = pair
    sync(english)
    text = korean.read_text()
    header = f'# %% [markdown] en="{english_hash(ENGLISH_CELLS[0][1])}" todo="translate"'
    assert header in text.splitlines()
    as_ipynb = jupytext.writes(jupytext.read(korean), fmt="ipynb")
    back = jupytext.writes(jupytext.reads(as_ipynb, fmt="ipynb"), fmt="py:percent")
    assert back == text
    assert jupytext.reads(as_ipynb, fmt="ipynb").cells[0].metadata["en"] == english_hash(ENGLISH_CELLS[0][1])


def test_a_translated_notebook_passes_and_the_formula_cell_needs_no_hangul_only_when_it_says_so(pair):
    english, korean = pair
    sync(english)
    _translate(korean, {**KOREAN, 5: ENGLISH_CELLS[5][1]})  # the todo gone, the formula left as it is
    problems = check(korean)
    assert len(problems) == 1 and problems[0].cell == 7 and "no Hangul" in problems[0].message
    _translate(korean, {}, no_hangul=(5,))
    assert check(korean) == []


def test_a_changed_english_cell_is_named_as_stale_and_sync_offers_the_old_translation(pair, tmp_path):
    english, korean = pair
    sync(english)
    _translate(korean, KOREAN, no_hangul=(5,))
    changed = list(ENGLISH_CELLS)
    changed[3] = ("markdown", "The number printed is 1, as expected.")
    _write_english(english.parent, changed)

    problems = check(korean)
    assert [(p.cell, p.kind) for p in problems] == [(5, STALE)]
    assert "The number printed is 1, as expected." in problems[0].message
    assert "cell 5" in str(problems[0])

    report = sync(english)
    assert (report.kept, report.update, report.translate) == (3, 1, 0)
    cell = jupytext.read(korean).cells[4]
    assert cell.metadata["todo"] == "update" and cell.metadata["en"] == english_hash(changed[3][1])
    assert cell.source.startswith(KOREAN[3]) and UPDATE_MARKER in cell.source
    assert cell.source.rstrip().endswith("The number printed is 1, as expected.\n-->")
    kinds = {(p.cell, p.kind) for p in check(korean)}
    assert kinds == {(5, UNTRANSLATED)}
    _translate(korean, {3: "출력된 수는 기대대로 1입니다."})
    assert check(korean) == []


def test_inserted_and_moved_english_cells_keep_their_translations(pair):
    english, korean = pair
    sync(english)
    _translate(korean, KOREAN, no_hangul=(5,))
    moved = [("markdown", "A new opening cell.")] + [ENGLISH_CELLS[1], ENGLISH_CELLS[0]] + ENGLISH_CELLS[2:]
    _write_english(english.parent, moved)
    assert STRUCTURE in {p.kind for p in check(korean)}  # the English has one cell more now
    report = sync(english)
    assert (report.kept, report.translate) == (4, 1)
    cells = [c for c in jupytext.read(korean).cells if c.source != LANGUAGE_CELL]
    assert cells[0].metadata["todo"] == "translate"
    assert cells[1].source == KOREAN[1] and cells[2].source == KOREAN[0]
    assert [(p.cell, p.kind) for p in check(korean)] == [(1, UNTRANSLATED)]


def test_a_changed_code_cell_fails_the_check(pair):
    english, korean = pair
    sync(english)
    _translate(korean, KOREAN, no_hangul=(5,))
    notebook = jupytext.read(korean)
    notebook.cells[5].source = "y = x + 2"
    notebook.cells[3].metadata["tags"] = []
    jupytext.write(notebook, korean, fmt="py:percent")
    problems = check(korean)
    assert [(p.cell, p.kind) for p in problems] == [(4, CODE), (6, CODE)]
    assert "'y = x + 1'" in problems[1].message


def test_a_missing_language_cell_fails_the_check(pair):
    english, korean = pair
    sync(english)
    _translate(korean, KOREAN, no_hangul=(5,))
    notebook = jupytext.read(korean)
    del notebook.cells[2]
    jupytext.write(notebook, korean, fmt="py:percent")
    assert STRUCTURE in {p.kind for p in check(korean)}


def test_the_english_pair_must_be_in_step_before_a_sync(pair):
    english, _ = pair
    english.write_text(english.read_text().replace("What this notebook is for.", "Edited only here."))
    with pytest.raises(ValueError, match="jupytext --sync"):
        sync(english)


def test_the_command_line_syncs_and_checks(pair, capsys):
    english, korean = pair
    assert translation.main(["sync", str(english)]) == 0
    assert "4 to translate" in capsys.readouterr().out
    assert translation.main(["check", str(korean)]) == 1
    out = capsys.readouterr().out
    assert "cell 1: untranslated" in out and "4 problems" in out
    _translate(korean, KOREAN, no_hangul=(5,))
    assert translation.main(["check", str(korean)]) == 0
    assert "all in step" in capsys.readouterr().out


# --- the course's own Korean notebooks --------------------------------------------------------------

KOREAN_NOTEBOOKS = translation.korean_notebooks()
# every lesson and its worked solutions
ENGLISH_NOTEBOOKS = [path for lesson in lessons() for path in (lesson, solutions_of(lesson))]


def _id(path) -> str:
    return path.with_suffix("").relative_to(NOTEBOOK_DIR).as_posix()


@pytest.mark.parametrize("korean", KOREAN_NOTEBOOKS, ids=[_id(p) for p in KOREAN_NOTEBOOKS])
def test_korean_markdown_is_up_to_date_and_translated(korean):
    problems = [str(p) for p in check(korean) if p.kind in (STALE, UNTRANSLATED)]
    assert not problems, "\n".join(problems)


def test_every_english_notebook_has_its_korean_counterpart():
    missing = [str(korean_path(p).with_suffix(suffix).relative_to(NOTEBOOK_DIR))
               for p in ENGLISH_NOTEBOOKS for suffix in (".py", ".ipynb")
               if not korean_path(p).with_suffix(suffix).exists()]
    assert not missing, f"missing Korean notebooks: {missing}"

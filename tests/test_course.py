"""The course's notebooks are found one way, and a bare `pytest` runs exactly those."""

from __future__ import annotations

import subprocess
import sys

import json
import re

from course_utils.course import NOTEBOOK_DIR, ROOT, lessons, main, notebooks, solutions_of


def test_notebooks_are_the_numbered_ones_in_the_notebook_folder_and_below(tmp_path):
    for name in ("01_intro.ipynb", "02_cam.ipynb", "ko/01_intro.ipynb", "scratch.ipynb", "1_short.ipynb",
                 ".ipynb_checkpoints/01_intro-checkpoint.ipynb", ".ipynb_checkpoints/01_intro.ipynb",
                 "03_next.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    found = [path.relative_to(tmp_path).as_posix() for path in notebooks(tmp_path)]
    assert found == ["01_intro.ipynb", "02_cam.ipynb", "ko/01_intro.ipynb"]


def test_the_course_has_its_six_notebooks_and_the_extra_one():
    assert [path.name[:2] for path in lessons()] == ["01", "02", "03", "04", "05", "06", "07"]
    assert all(path.parent == NOTEBOOK_DIR for path in lessons())
    # Besides them: their worked solutions, and the translations (ko/, ko/solutions/).
    others = [path.relative_to(NOTEBOOK_DIR) for path in notebooks() if path.parent != NOTEBOOK_DIR]
    assert all(path.parts[:-1] in (("solutions",), ("ko",), ("ko", "solutions")) for path in others), others


def test_lessons_leave_out_solutions_and_other_editions(tmp_path):
    for name in ("01_intro.ipynb", "solutions/01_intro_solutions.ipynb", "ko/01_intro.ipynb"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    assert [path.name for path in lessons(tmp_path)] == ["01_intro.ipynb"]
    assert solutions_of(tmp_path / "01_intro.ipynb") == tmp_path / "solutions" / "01_intro_solutions.ipynb"
    assert len(notebooks(tmp_path)) == 3


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _shown(cell) -> str:
    """Everything a viewer shows of a cell's saved outputs, as text."""
    text = []
    for output in cell.get("outputs", []):
        text.append("".join(output.get("text", "")))
        for value in output.get("data", {}).values():
            text.append("".join(value) if isinstance(value, list) else str(value))
    return "\n".join(text)


def test_every_lesson_with_exercises_links_its_solutions_and_shows_no_passing_check():
    """No answer in sight: a lesson's saved outputs hold no passing check, and no solution cell."""
    for lesson in lessons():
        cells = _cells(lesson)
        markdown = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        assert "Exercise 1" in markdown, f"{lesson.name} has no exercises"
        target = solutions_of(lesson)
        assert target.exists(), f"{lesson.name}: its worked solutions {target.relative_to(ROOT)} are missing"
        assert f"(solutions/{target.name})" in markdown, f"{lesson.name} does not link {target.name}"
        assert "## Solutions" not in markdown, f"{lesson.name} still holds a Solutions section"
        for index, cell in enumerate(cells):
            assert "✔ Correct." not in _shown(cell), f"{lesson.name} cell {index} shows a passing check: an answer"


def test_every_solutions_notebook_passes_each_check_it_runs():
    """Each solution cell calls must_pass (an error under nbval if it fails), and its saved outputs passed."""
    for lesson in lessons():
        cells = _cells(solutions_of(lesson))
        checked = [c for c in cells if c["cell_type"] == "code" and re.search(r"check_\w+\(", "".join(c["source"]))]
        assert checked, f"{solutions_of(lesson).name} runs no check"
        for cell in checked:
            source = "".join(cell["source"])
            assert "must_pass(" in source, f"{solutions_of(lesson).name}: a check not under must_pass:\n{source}"
            shown = _shown(cell)
            assert "✔ Correct." in shown and "✘" not in shown, f"{solutions_of(lesson).name}: {shown[:300]}"


def test_list_prints_one_path_a_line(capsys):
    main(["--list"])
    assert capsys.readouterr().out.splitlines() == [str(path.relative_to(ROOT)) for path in notebooks()]


def test_pytest_collects_exactly_the_courses_notebooks():
    """pyproject.toml's testpaths and nbval options make nbval collect the same files as notebooks()."""
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "notebooks"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert collected.returncode == 0, collected.stdout + collected.stderr
    files = {line.split("::")[0] for line in collected.stdout.splitlines() if ".ipynb::" in line}
    assert files == {str(path.relative_to(ROOT)) for path in notebooks()}


def test_a_bare_pytest_runs_the_tests_and_the_notebooks_with_nbval():
    import tomllib

    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert options["testpaths"] == ["tests", NOTEBOOK_DIR.name]
    assert "--nbval-lax" in options["addopts"].split()
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    assert recipe == ["\t$(VENV_PY) -m pytest"], "make test must run a bare pytest: the options live in pyproject.toml"

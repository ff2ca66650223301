"""The course's notebooks are found one way, and a bare `pytest` runs exactly those."""

from __future__ import annotations

import subprocess
import sys

from course_utils.course import NOTEBOOK_DIR, ROOT, main, notebooks


def test_notebooks_are_the_numbered_ones_in_the_notebook_folder_and_below(tmp_path):
    for name in ("01_intro.ipynb", "02_cam.ipynb", "ko/01_intro.ipynb", "scratch.ipynb", "1_short.ipynb",
                 ".ipynb_checkpoints/01_intro-checkpoint.ipynb", ".ipynb_checkpoints/01_intro.ipynb",
                 "03_next.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    found = [path.relative_to(tmp_path).as_posix() for path in notebooks(tmp_path)]
    assert found == ["01_intro.ipynb", "02_cam.ipynb", "ko/01_intro.ipynb"]


def test_the_course_has_its_six_notebooks_and_the_extra_one():
    english = [path for path in notebooks() if path.parent == NOTEBOOK_DIR]
    assert [path.name[:2] for path in english] == ["01", "02", "03", "04", "05", "06", "07"]
    # Besides them, only translations: notebooks/ko/NN_name.ipynb (course_utils.translation).
    others = [path.relative_to(NOTEBOOK_DIR) for path in notebooks() if path.parent != NOTEBOOK_DIR]
    assert all(path.parts[0] == "ko" and len(path.parts) == 2 for path in others), others


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

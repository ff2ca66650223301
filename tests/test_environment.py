"""environment.yml (conda, Binder) and pyproject.toml list the same runtime packages."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"torch": "pytorch-cpu"}  # PyPI name -> conda-forge name where they differ


def _name_and_bound(spec: str) -> tuple[str, str]:
    match = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", spec)
    return match.group(1).lower(), match.group(2).replace(" ", "")


def test_environment_yml_lists_the_runtime_dependencies_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {CONDA_NAMES.get(n, n): b for n, b in map(_name_and_bound, project["dependencies"])}
    text = (ROOT / "environment.yml").read_text()
    lines = text[text.index("\ndependencies:") :].splitlines()
    conda = {}
    for line in lines:
        item = re.match(r"^  - ([A-Za-z0-9_.\-]+)(.*)$", line)
        if item and item.group(1) not in ("python", "pip"):
            conda[item.group(1).lower()] = item.group(2).replace(" ", "")
    assert conda == wanted


def test_environment_yml_installs_the_course_package_itself():
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s+- .*-e \.$", text, re.M), "environment.yml must pip-install course_utils (-e .)"
    python = re.search(r"^  - python([<>=].*)$", text, re.M).group(1)
    floor = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert floor.startswith(">=") and tuple(map(int, re.findall(r"\d+", python)[:2])) >= tuple(
        map(int, re.findall(r"\d+", floor)[:2])
    )

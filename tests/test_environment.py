"""environment.yml (conda, Binder) and pyproject.toml list the same runtime packages."""

import os
import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"torch": "pytorch-cpu"}  # PyPI name -> conda-forge name where they differ
# Runtime packages that conda-forge does not carry: postBuild pip-installs them (pinned, no deps).
PIP_ONLY = {"koreanize-matplotlib"}


def _name_and_bound(spec: str) -> tuple[str, str]:
    match = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", spec)
    return match.group(1).lower(), match.group(2).replace(" ", "")


def test_environment_yml_lists_the_runtime_dependencies_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {
        CONDA_NAMES.get(n, n): b for n, b in map(_name_and_bound, project["dependencies"]) if n not in PIP_ONLY
    }
    text = (ROOT / "environment.yml").read_text()
    lines = text[text.index("\ndependencies:") :].splitlines()
    conda = {}
    for line in lines:
        item = re.match(r"^  - ([A-Za-z0-9_.\-]+)(.*)$", line)
        if item and item.group(1) not in ("python", "pip"):
            conda[item.group(1).lower()] = item.group(2).replace(" ", "")
    assert conda == wanted


def test_environment_yml_pins_a_python_that_pyproject_allows_and_leaves_the_package_to_postbuild():
    text = (ROOT / "environment.yml").read_text()
    python = re.search(r"^  - python([<>=].*)$", text, re.M).group(1)
    floor = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert floor.startswith(">=") and tuple(map(int, re.findall(r"\d+", python)[:2])) >= tuple(
        map(int, re.findall(r"\d+", floor)[:2])
    )
    # A local pip requirement (-e ., a path) makes repo2docker build the environment only after
    # copying the whole repository, and a pip requirements file cannot say --no-deps: postBuild does it.
    assert not re.search(r"^\s+- pip:", text, re.M), "environment.yml must not pip-install; postBuild installs course_utils"
    assert re.search(r"^  - pip$", text, re.M), "pip must be in the environment for postBuild"
    assert "conda-forge" in text and "pytorch-cpu" in text


def test_postbuild_installs_the_package_editable_and_is_executable():
    script = ROOT / "postBuild"
    lines = script.read_text().splitlines()
    assert lines[0] == "#!/bin/bash" and "set -euo pipefail" in lines
    commands = [line for line in lines if line and not line.startswith("#")]
    # editable: course_utils finds data/ next to its source; --no-deps: environment.yml has them all
    assert "python -m pip install --no-deps --editable ." in commands
    for name in PIP_ONLY:  # pinned to the version uv.lock holds
        locked = re.search(rf'name = "{name}"\nversion = "([^"]+)"', (ROOT / "uv.lock").read_text()).group(1)
        assert f"python -m pip install --no-deps {name}=={locked}" in commands, f"postBuild must install {name}"
    mode = subprocess.run(["git", "ls-files", "--stage", "postBuild"], cwd=ROOT, capture_output=True, text=True)
    if mode.stdout:  # tracked: git must record it as executable, or repo2docker cannot run it
        assert mode.stdout.startswith("100755"), f"postBuild is not executable in git: {mode.stdout.strip()}"
    assert os.access(script, os.X_OK)


def test_repo2docker_reads_the_files_at_the_root():
    # A binder/ (or .binder/) folder would make repo2docker ignore environment.yml and postBuild here.
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists()


def test_readme_binder_badge_opens_notebook_01_in_jupyterlab_of_this_repository():
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\(https://mybinder\.org/v2/gh/([^)\s]+)\)", readme)
    assert links, "README.md needs a Binder badge linking to mybinder.org"
    repository = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    slug = repository.removeprefix("https://github.com/").rstrip("/")
    for link in links:
        match = re.fullmatch(r"([\w.-]+/[\w.-]+)/([\w.-]+)\?urlpath=lab/tree/(.+)", link)
        assert match, f"unexpected Binder link {link}: want OWNER/REPO/BRANCH?urlpath=lab/tree/PATH"
        assert match.group(1) == slug, f"the badge names {match.group(1)}, pyproject's Repository is {slug}"
        assert match.group(3) == "notebooks/01_xai_intro.ipynb" and (ROOT / match.group(3)).is_file()
    assert re.search(r"\[!\[Binder\]\(https://mybinder\.org/badge_logo\.svg\)\]", readme)

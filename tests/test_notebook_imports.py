"""Every name a notebook imports from the course's packages still imports (the notebooks are not run here)."""

from __future__ import annotations

import ast
import importlib

import pytest

from course_utils.course import NOTEBOOK_DIR, notebooks

SCRIPTS = [path.with_suffix(".py") for path in notebooks()]


def _course_imports(script) -> list[tuple[str, str]]:
    tree = ast.parse(script.read_text())
    packages = ("course_utils", "course_checks")
    return [(node.module, alias.name) for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in packages
            for alias in node.names]


@pytest.mark.parametrize("script", SCRIPTS, ids=[str(p.relative_to(NOTEBOOK_DIR).with_suffix("")) for p in SCRIPTS])
def test_every_name_a_notebook_imports_is_there(script):
    imports = _course_imports(script)
    assert imports, f"{script.name} imports nothing from the course's packages?"
    for module, name in imports:
        loaded = importlib.import_module(module)
        assert hasattr(loaded, name) or importlib.import_module(f"{module}.{name}"), f"{module}.{name}"


def test_the_moved_names_are_the_same_objects_on_both_paths():
    from course_utils import localization, widgets

    assert widgets.localize_at_threshold is localization.localize_at_threshold
    assert widgets.ThresholdResult is localization.ThresholdResult
    from course_utils import boxes

    for name in ("NO_BOX", "threshold_map", "connected_components", "component_boxes", "mask_to_boxes",
                 "largest_box", "box_of_mask", "box_area", "box_iou", "EIGHT_CONNECTED", "EIGHT_CONNECTED_PER_IMAGE"):
        assert getattr(localization, name) is getattr(boxes, name), name

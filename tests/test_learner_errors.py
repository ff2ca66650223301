"""A learner's mistake, made in a notebook cell, reads as one line that says what was expected.

The cells below run in a real IPython kernel (the one the notebooks use),
and each error output is read as JupyterLab would show it: its
``traceback`` list is what the notebook prints.
"""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from course_utils.errors import CourseKeyError, CourseValueError, entry_point

SETUP = """
import numpy as np
import torch
from course_utils.cam import class_activation_map, grad_cam
from course_utils.checkpoints import load_model, load_split
from course_utils.localization import max_box_acc
from course_utils.models import GapCNN
from course_utils.widgets import ACoLExplorer
model = load_model("gap_cnn")
test = load_split("test")[:4]
"""

# (the cell a learner might write, the one line it must show)
MISTAKES = [
    ("grad_cam(model, model.fc, test.images)",
     "ValueError in grad_cam: grad_cam needs a layer whose output is feature maps [N, K, h, w]; Linear gives (4, 4)"),
    ("grad_cam(model, GapCNN().features, test.images)",
     "ValueError in grad_cam: grad_cam's layer (Backbone) is not a submodule of the model: "
     "pass one of the model's own modules, e.g. model.features"),
    ("grad_cam(model, model.features, test.images, target=7)",
     "ValueError in grad_cam: grad_cam's target: class index 7 is out of range for a model with 4 classes "
     "(expected 0..3)"),
    ("class_activation_map(model, test.images[0])",
     "ValueError in class_activation_map: class_activation_map expected a batch of images [N, 3, H, W], "
     "got one image of shape (3, 64, 64): add a batch dimension with images[None]"),
    ("class_activation_map(model, test.images.numpy())",
     "TypeError in class_activation_map: class_activation_map needs images as a torch.Tensor [N, 3, H, W], "
     "got ndarray"),
    ("class_activation_map(model, test.images[:, :1])",
     "ValueError in class_activation_map: class_activation_map expected images of shape [N, 3, H, W], got shape "
     "(4, 1, 64, 64)"),
    ("ACoLExplorer(model, test)",
     "ValueError in ACoLExplorer: ACoLExplorer needs an ACoL model, got GapCNN"),
]


def _run(cells: list[str]) -> list[dict]:
    """Run the cells in a fresh kernel, errors allowed; the outputs of each cell."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True).execute()
    return [cell.outputs for cell in notebook.cells]


@pytest.fixture(scope="module")
def outputs() -> list[list[dict]]:
    more = [
        "load_model('resnet')",
        "max_box_acc(torch.rand(4, 64), test.boxes)",
        # A developer can have the frames back.
        "import course_utils.errors\ncourse_utils.errors.SHORT_TRACEBACKS = False",
        "grad_cam(model, model.features, test.images, target=7)",
    ]
    return _run([SETUP] + [cell for cell, _ in MISTAKES] + more)


def _error(cell_outputs: list[dict]) -> dict:
    errors = [output for output in cell_outputs if output["output_type"] == "error"]
    assert len(errors) == 1, f"expected one error output, got {cell_outputs}"
    return errors[0]


def test_setup_cell_runs(outputs):
    assert not [o for o in outputs[0] if o["output_type"] == "error"]


@pytest.mark.parametrize("index", range(len(MISTAKES)), ids=[cell for cell, _ in MISTAKES])
def test_a_mistake_shows_one_line_saying_what_was_expected(outputs, index):
    error = _error(outputs[1 + index])
    assert error["traceback"] == [MISTAKES[index][1]]


def test_an_unknown_model_name_lists_the_shipped_ones_in_one_line(outputs):
    (line,) = _error(outputs[1 + len(MISTAKES)])["traceback"]
    assert line.startswith("KeyError in load_model: ") and "gap_cnn" in line and "acol_05" in line


def test_a_wrong_map_shape_in_a_metric_names_the_function_called(outputs):
    (line,) = _error(outputs[2 + len(MISTAKES)])["traceback"]
    assert line.startswith("ValueError in max_box_acc: ") and "[N, H, W]" in line


def test_short_tracebacks_can_be_switched_off(outputs):
    error = _error(outputs[4 + len(MISTAKES)])
    assert len(error["traceback"]) > 3 and error["ename"] == "CourseValueError"
    assert "class index 7 is out of range" in error["evalue"]


def test_course_errors_are_ordinary_exceptions_outside_a_notebook():
    with pytest.raises(ValueError, match="out of range") as caught:
        raise CourseValueError("class index 7 is out of range")
    # Raised here, outside course_utils: no course function to name.
    assert entry_point(caught.value) is None
    assert caught.value.one_line() == "ValueError: class index 7 is out of range"
    error = CourseKeyError("'resnet' is not shipped")
    assert str(error) == "'resnet' is not shipped" and isinstance(error, KeyError)
    assert error.one_line() == "KeyError: 'resnet' is not shipped"

"""The self-checks of notebook 07: right answers pass, wrong ones fail and say what was expected."""

from __future__ import annotations

import pytest
import torch

from course_checks import trust as E
from course_utils.cam import class_activation_map, grad_cam
from course_utils.checkpoints import load_model, load_split
from feedback_checks import assert_fails, assert_passes  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")


def test_gap_factor_right_answer_is_what_the_model_gives():
    model, scenes = load_model("gap_cnn"), load_split("test")[:4]
    ratio = torch.relu(class_activation_map(model, scenes.images)).sum() / grad_cam(
        model, model.features, scenes.images).sum()
    assert_passes(E.check_gap_grad_cam_factor(round(ratio.item())))
    assert_passes(E.check_gap_grad_cam_factor(256.0))


@pytest.mark.parametrize(("answer", "words"), [(1 / 256, ["other way round"]), (16, ["256"]), (None, ["Set"]),
                                               ("x", ["number"])])
def test_gap_factor_wrong_answers(answer, words):
    assert_fails(E.check_gap_grad_cam_factor(answer), *words)


def test_forward_passes():
    assert_passes(E.check_forward_passes(650))
    assert_passes(E.check_forward_passes(3 * 9, images=3, channels=8))
    assert_fails(E.check_forward_passes(640), "650", "activations")
    assert_fails(E.check_forward_passes(65), "650")
    assert_fails(E.check_forward_passes(None), "Set")
    assert_fails(E.check_forward_passes(7), "650")

"""Tests for course_checks.grad_cam: each check accepts a right answer, and names what was expected."""

from __future__ import annotations

import pytest
import torch

from course_utils.checkpoints import load_model, load_split
from course_checks import Feedback
from course_checks import grad_cam as E
from course_utils.localization import pointing_game
from course_utils.maps import upsample

pytestmark = pytest.mark.usefixtures("one_thread")


def passed(feedback: Feedback) -> bool:
    assert isinstance(feedback, Feedback)
    assert feedback.message  # never a bare verdict
    return bool(feedback)


# --- exercise 1: the Grad-CAM / CAM constant ---------------------------------------------


def test_gap_constant_right_answers():
    assert passed(E.check_gap_constant(1 / 256))
    assert passed(E.check_gap_constant(torch.tensor(0.00390625)))


@pytest.mark.parametrize(
    ("answer", "says"),
    [(None, "Set `answer`"), (256, "other way round"), (1 / 16, "one side"), (0.1, "Expected k = 0.00390625"),
     ("1/256", "should be a number")],
)
def test_gap_constant_wrong_answers_say_what_was_expected(answer, says):
    feedback = E.check_gap_constant(answer)
    assert not passed(feedback)
    assert says in feedback.message
    if answer is not None and not isinstance(answer, str):
        assert "1/256" in feedback.message or "0.00390625" in feedback.message


def test_gap_constant_is_measured_not_typed_in():
    constant, h, w = E._gap_constant()
    assert (h, w) == (16, 16)
    assert constant == pytest.approx(1 / 256, rel=1e-4)


# --- exercise 2: alpha of the toy, by hand -------------------------------------------------


def test_toy_alpha_is_the_mean_gradient():
    activation = E.TOY_ACTIVATION.clone().requires_grad_(True)
    (gradient,) = torch.autograd.grad(E.toy_score(activation), activation)
    assert torch.allclose(gradient.mean(dim=(1, 2)), torch.tensor([1.0, 0.5]))
    assert passed(E.check_toy_alpha([1.0, 0.5]))
    assert passed(E.check_toy_alpha(torch.tensor([1.0, 0.5])))


@pytest.mark.parametrize(
    ("answer", "says"),
    [(None, "two numbers"), ([4.0, 2.0], "summed"), ([1.0, -0.5], "square term"), ([1.0], "two numbers"),
     ([0.0, 0.0], "Expected alpha = [1, 0.5]")],
)
def test_toy_alpha_wrong_answers_say_what_was_expected(answer, says):
    feedback = E.check_toy_alpha(answer)
    assert not passed(feedback)
    assert says in feedback.message


# --- exercise 3: the weighting rule as a function -------------------------------------------


def test_alpha_rule_accepts_the_spatial_mean():
    assert passed(E.check_alpha_rule(lambda g: g.mean(dim=(2, 3))))
    assert passed(E.check_alpha_rule(lambda g: g.sum(dim=(-2, -1)) / (g.shape[-1] * g.shape[-2])))


def placeholder(gradient):
    raise NotImplementedError


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        (None, "Set `alpha_rule`"),
        (placeholder, "NotImplementedError"),
        (lambda g: g.sum(dim=(2, 3)), "sums over the positions"),
        (lambda g: g.mean(dim=1), "expected [2, 5]"),
        (lambda g: g.amax(dim=(2, 3)), "largest gradient"),
        (lambda g: g.clamp(min=0).mean(dim=(2, 3)), "positive gradients"),
        (lambda g: g.mean(dim=(2, 3)).tolist(), "should return a tensor"),
        (lambda g: g.mean(dim=(2, 3)) + 0.1, "differ from the spatial mean"),
        (lambda g: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_alpha_rule_wrong_rules_say_what_was_expected(rule, says):
    feedback = E.check_alpha_rule(rule)
    assert not passed(feedback)
    assert says in feedback.message


# --- exercise 4: which object does the map point at? ----------------------------------------


def test_pointed_object_agrees_with_the_pointing_game():
    """The check's answer for a present class is a hit of the library's pointing game on that object."""
    model, pair = load_model("flatten_cnn"), load_split("pair")[:6]
    from course_utils.cam import grad_cam

    for i in range(len(pair)):
        for k in (0, 1):
            c = int(pair.labels[i, k])
            maps = upsample(grad_cam(model, model.features, pair.images[i : i + 1], c), 64)
            hit = pointing_game(maps, pair.masks[i : i + 1, k], tolerance=E.POINTING_TOLERANCE) == 1.0
            expected, _, _ = E._peak_object("flatten_cnn", i, c, False)
            if hit and not pointing_game(maps, pair.masks[i : i + 1, 1 - k], tolerance=E.POINTING_TOLERANCE):
                assert expected == ("left", "right")[k]
            if not hit:
                assert expected != ("left", "right")[k]


def test_pointed_object_right_and_wrong():
    expected, y, x = E._peak_object("flatten_cnn", 3, 0, True)
    assert expected in ("left", "right", "neither")
    index = {"left": 0, "right": 1}.get(expected)
    right = E.check_pointed_object(expected, index=3, class_index=0, counterfactual=True)
    assert passed(right)
    if index is not None:
        assert passed(E.check_pointed_object(index, index=3, class_index=0, counterfactual=True))
        assert passed(E.check_pointed_object(expected.upper(), index=3, class_index=0, counterfactual=True))
    other = next(a for a in ("left", "right", "neither") if a != expected)
    feedback = E.check_pointed_object(other, index=3, class_index=0, counterfactual=True)
    assert not passed(feedback)
    assert f"Expected '{expected}'" in feedback.message
    assert f"row {y}, column {x}" in feedback.message


@pytest.mark.parametrize("answer", [None, "top", 2, True])
def test_pointed_object_unreadable_answers(answer):
    feedback = E.check_pointed_object(answer, index=3, class_index=0)
    assert not passed(feedback)
    assert "'left'" in feedback.message and "'right'" in feedback.message

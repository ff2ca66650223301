"""Tests for course_checks.grad_cam: each check accepts a right answer, and names what was expected."""

from __future__ import annotations

import pytest
import torch

from course_utils.cam import counterfactual_grad_cam, grad_cam, occlusion_map
from course_utils.checkpoints import load_model, load_split
from course_checks import Feedback
from course_checks import grad_cam as E
from course_utils.hooks import read_layer
from course_utils.localization import pointing_game
from course_utils.maps import upsample

pytestmark = pytest.mark.usefixtures("one_thread")


def passed(feedback: Feedback) -> bool:
    assert isinstance(feedback, Feedback)
    assert feedback.message  # never a bare verdict
    return bool(feedback)


# --- exercise 1: Grad-CAM without its ReLU ------------------------------------------------


def signed_by_library(model, layer, images, target=None):
    return grad_cam(model, layer, images, target) - counterfactual_grad_cam(model, layer, images, target)


def signed_by_hand(model, layer, images, target=None):
    reading = read_layer(model, layer, images, target, method="mine")
    return torch.einsum("nk,nkij->nij", reading.gradient.mean(dim=(2, 3)), reading.activation)


def test_signed_grad_cam_right_answers():
    for answer in (signed_by_hand, signed_by_library):
        feedback = E.check_signed_grad_cam(answer)
        assert passed(feedback), feedback.message
        assert "below 0" in feedback.message


def placeholder(*args):
    raise NotImplementedError


def hires_before_relu(model, layer, images, target=None):
    reading = read_layer(model, layer, images, target, method="mine")
    return (reading.gradient * reading.activation).sum(1)


def summed(model, layer, images, target=None):
    reading = read_layer(model, layer, images, target, method="mine")
    return torch.einsum("nk,nkij->nij", reading.gradient.sum(dim=(2, 3)), reading.activation)


def per_channel(model, layer, images, target=None):
    reading = read_layer(model, layer, images, target, method="mine")
    return reading.gradient.mean(dim=(2, 3))[:, :, None, None] * reading.activation


@pytest.mark.parametrize(
    ("function", "says"),
    [
        (None, "Set `signed_grad_cam`"),
        (placeholder, "NotImplementedError"),
        (grad_cam, "the ReLU is still there"),
        (lambda *a: -signed_by_hand(*a), "opposite sign"),
        (summed, "256 times too large"),
        (hires_before_relu, "HiResCAM"),
        (per_channel, "sum over the channels"),
        (lambda *a: signed_by_hand(*a).tolist(), "should return a tensor"),
        (lambda *a: signed_by_hand(*a) + 0.1, "differ from sum_k alpha_k^c A^k"),
        (lambda model, layer, images: 1 / 0, "TypeError"),
    ],
)
def test_signed_grad_cam_wrong_answers_say_what_was_expected(function, says):
    feedback = E.check_signed_grad_cam(function)
    assert not passed(feedback)
    assert says in feedback.message


def test_negative_share_is_measured_on_pair_scene_0():
    share, below, cells = E._negative_share()
    model, pair = load_model("flatten_cnn"), load_split("pair")
    signed = signed_by_library(model, model.features, pair.images[:1], 0)
    assert cells == 256 and share == below / 256
    # The library's ReLU difference agrees up to cells within rounding of 0.
    assert share == pytest.approx((signed < 0).float().mean().item(), abs=2 / 256)
    feedback = E.check_negative_share(share)
    assert passed(feedback) and f"{below} of the 256 cells" in feedback.message
    assert passed(E.check_negative_share(torch.tensor(below / 256)))


@pytest.mark.parametrize(
    ("answer", "says"),
    [(None, "Set `share_negative`"), ("half", "should be a number"), ("count", "is a count"),
     ("complement", "0 or above"), (0.5, "Expected")],
)
def test_negative_share_wrong_answers_say_what_was_expected(answer, says):
    share, below, _ = E._negative_share()
    answer = {"count": below, "complement": 1 - share}.get(answer, answer)
    feedback = E.check_negative_share(answer)
    assert not passed(feedback)
    assert says in feedback.message


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


# --- exercise 3: occlusion by hand, scored with the pointing game ---------------------------


def occlude_by_hand(model, images, classes, patch=8):
    n, _, height, width = images.shape
    fill = images.mean(dim=(2, 3), keepdim=True)
    rows, cols = height // patch, width // patch
    drops = torch.empty(n, rows, cols)
    with torch.no_grad():
        clean = model(images)[torch.arange(n), classes]
        for i in range(rows):
            for j in range(cols):
                hidden = images.clone()
                window = (slice(None), slice(None), slice(i * patch, (i + 1) * patch), slice(j * patch, (j + 1) * patch))
                hidden[window] = fill.expand_as(images)[window]
                drops[:, i, j] = clean - model(hidden)[torch.arange(n), classes]
    return drops


def test_occlusion_right_answers():
    feedback = E.check_occlusion(occlude_by_hand)
    assert passed(feedback), feedback.message
    assert "range from" in feedback.message
    library = lambda m, x, c, p: occlusion_map(m, x, c, patch=p, stride=p, baseline="mean")  # noqa: E731
    assert passed(E.check_occlusion(library))


@pytest.mark.parametrize(
    ("function", "says"),
    [
        (None, "Set `occlude`"),
        (placeholder, "NotImplementedError"),
        (lambda m, x, c, p: -occlude_by_hand(m, x, c, p), "opposite sign"),
        (lambda m, x, c, p: occlude_by_hand(m, x, c, p).transpose(1, 2), "transposed"),
        (lambda m, x, c, p: occlusion_map(m, x, c, patch=p, stride=p, baseline=0.0), "black"),
        (lambda m, x, c, p: occlusion_map(m, x, c, patch=p, stride=p // 2, baseline="mean"), "8x8 of them"),
        (lambda m, x, c, p: occlude_by_hand(m, x, c, p) / 10, "logits"),
    ],
)
def test_occlusion_wrong_answers_say_what_was_expected(function, says):
    feedback = E.check_occlusion(function)
    assert not passed(feedback)
    assert says in feedback.message


def test_occlusion_pointing_is_the_pointing_game_of_the_hand_written_maps():
    model, pair = load_model("flatten_cnn"), load_split("pair")[: E.OCCLUSION_SCENES]
    maps = upsample(occlude_by_hand(model, pair.images, pair.labels[:, 0]), 64)
    score = pointing_game(maps, pair.masks[:, 0], tolerance=4)
    feedback = E.check_occlusion_pointing(score)
    assert passed(feedback), feedback.message
    assert f"{score:.3f}" in feedback.message


@pytest.mark.parametrize(("answer", "says"), [(None, "Set `occlusion_hits`"), ("0.8", "should be a number"),
                                              (0, "tolerance=4"), (-1, "minimum"), (2.0, "Expected")])
def test_occlusion_pointing_wrong_answers(answer, says):
    if answer == 0:
        answer = E._occlusion_score(0)
    elif answer == -1:
        answer = E._occlusion_score(4, -1)
    feedback = E.check_occlusion_pointing(answer)
    assert not passed(feedback)
    assert says in feedback.message


# --- exercise 4: which object does the map point at? ----------------------------------------


def test_pointed_object_agrees_with_the_pointing_game():
    """The check's answer for a present class is a hit of the library's pointing game on that object."""
    model, pair = load_model("flatten_cnn"), load_split("pair")[:6]
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

"""The self-checks of notebook 02: a right answer passes, each usual mistake fails with a message that says why."""

import pytest
import torch
import torch.nn.functional as F

from course_utils.cam import class_activation_map
from course_utils.checkpoints import load_model
from course_checks import Feedback
from course_checks.gap_cam import (
    HEAD_CONFIG,
    MARGIN_CLASSES,
    POOLING_TENSOR,
    cam_exercise_images,
    check_head_parameters,
    check_margin_map,
    check_pooling,
    check_weight_shift,
)
from course_utils.maps import min_max_normalise
from course_utils.models import FlattenCNN, GapCNN

pytestmark = pytest.mark.usefixtures("one_thread")


def passes(feedback: Feedback) -> bool:
    assert isinstance(feedback, Feedback)
    assert feedback.message, "every verdict explains itself"
    return feedback.passed


# --- exercise 1: pooling -------------------------------------------------------------------


def pooled():
    x = POOLING_TENSOR[None, None]
    return F.avg_pool2d(x, 2)[0, 0], F.max_pool2d(x, 2)[0, 0]


def test_pooling_right_answer_passes_as_tensor_or_list():
    avg, mx = pooled()
    assert passes(check_pooling(avg, mx))
    assert passes(check_pooling(avg.tolist(), mx.tolist()))
    assert passes(check_pooling(avg[None, None], mx[None, None]))  # [1, 1, 2, 2] is accepted too
    assert str(check_pooling(avg, mx)).startswith("Correct.")


def test_pooling_placeholder_says_not_yet():
    feedback = check_pooling(None, None)
    assert not passes(feedback)
    assert str(feedback).startswith("Not yet.") and "None" in feedback.message


def test_pooling_swapped_is_named():
    avg, mx = pooled()
    feedback = check_pooling(mx, avg)
    assert not passes(feedback) and "swapped" in feedback.message


def test_pooling_global_instead_of_windows_is_named():
    _, mx = pooled()
    feedback = check_pooling(POOLING_TENSOR.mean(), mx)
    assert not passes(feedback)
    assert "global" in feedback.message and "[2, 2]" in feedback.message


def test_pooling_wrong_entry_names_the_window_and_the_expected_value():
    avg, mx = pooled()
    bad = mx.clone()
    bad[1, 1] = 2.0  # the bottom-right window is [0, 0, 8, 0]: its max is 8
    feedback = check_pooling(avg, bad)
    assert not passes(feedback)
    assert "[1, 1]" in feedback.message and "gives 8" in feedback.message


def test_pooling_wrong_shape_and_wrong_type():
    avg, mx = pooled()
    assert "[2, 2]" in check_pooling(avg.flatten(), mx).message
    assert not passes(check_pooling("2, 1, 3, 2", mx))


# --- exercise 2: parameter counts -------------------------------------------------------------


def expected_counts():
    """Built from the course's own model classes, not from the checker's formula."""
    c = HEAD_CONFIG
    flatten = FlattenCNN(num_classes=c["classes"], widths=(16, 32, c["channels"]), hidden=c["hidden"]).head
    gap = GapCNN(num_classes=c["classes"], widths=(16, 32, c["channels"])).fc
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    return count(flatten), count(gap)


def test_head_parameters_right_answer_passes():
    flatten, gap = expected_counts()
    assert HEAD_CONFIG["size"] == 16  # FlattenCNN's head assumes 16x16 maps, max-pooled to 8x8
    feedback = check_head_parameters(flatten, gap)
    assert passes(feedback) and f"{flatten:,}" in feedback.message and f"{gap:,}" in feedback.message
    assert passes(check_head_parameters(float(flatten), torch.tensor(gap)))


def test_head_parameters_mistakes_are_named():
    c = HEAD_CONFIG
    flatten, gap = expected_counts()
    no_bias = flatten - c["hidden"] - c["classes"]
    assert "biases" in check_head_parameters(no_bias, gap).message
    no_pool = c["channels"] * c["size"] ** 2 * c["hidden"] + c["hidden"] + c["hidden"] * c["classes"] + c["classes"]
    assert "max-pool" in check_head_parameters(no_pool, gap).message
    assert "no bias" in check_head_parameters(flatten, gap + c["classes"]).message
    other = check_head_parameters(flatten, 12345)
    assert not passes(other) and f"{c['classes']} x {c['channels']}" in other.message
    wrong_flat = check_head_parameters(flatten + 1, gap)
    assert not passes(wrong_flat) and f"{flatten + 1:,}" in wrong_flat.message
    assert not passes(check_head_parameters(None, gap))
    assert not passes(check_head_parameters(flatten, 1.5))
    assert not passes(check_head_parameters(flatten, "256"))


# --- exercise 3: the map of a margin, and shifted weights -------------------------------------


@pytest.fixture(scope="module")
def model_and_images():
    return load_model("gap_cnn"), cam_exercise_images()


@pytest.fixture(scope="module")
def every_map(model_and_images):
    model, images = model_and_images
    return torch.stack([class_activation_map(model, images, c) for c in range(4)], dim=1)


def test_margin_map_right_answer_passes_and_its_mean_is_the_margin(model_and_images):
    model, images = model_and_images
    c, other = MARGIN_CLASSES
    weights = model.fc.weight.detach()
    with torch.no_grad():
        features, logits = model.features(images), model(images)
    margin_maps = torch.einsum("k,nkhw->nhw", weights[c] - weights[other], features)
    feedback = check_margin_map(margin_maps)
    assert passes(feedback), feedback.message
    assert torch.allclose(margin_maps.mean((-2, -1)), logits[:, c] - logits[:, other], atol=1e-4)
    assert f"{(logits[0, c] - logits[0, other]).item():.2f}" in feedback.message
    assert passes(check_margin_map(margin_maps.tolist()))


def test_margin_map_mistakes_are_named(every_map):
    c, other = MARGIN_CLASSES
    right = every_map[:, c] - every_map[:, other]
    assert "None" in check_margin_map(None).message
    assert "sign" in check_margin_map(-right).message
    assert "alone" in check_margin_map(every_map[:, c]).message
    assert "added" in check_margin_map(every_map[:, c] + every_map[:, other]).message
    each_normalised = min_max_normalise(every_map[:, c]) - min_max_normalise(every_map[:, other])
    assert "before subtracting" in check_margin_map(each_normalised).message
    assert "[0, 1]" in check_margin_map(min_max_normalise(right)).message
    assert "1/hw" in check_margin_map(right / 256).message
    assert "the margin itself" in check_margin_map(right.mean((-2, -1))).message
    assert "[4, 16, 16]" in check_margin_map(every_map).message
    noise = torch.randn(right.shape, generator=torch.Generator().manual_seed(0))
    other_answer = check_margin_map(right + 0.5 * noise)
    assert not passes(other_answer) and "w_k^c - w_k^c'" in other_answer.message


def test_weight_shift_predictions_hold_for_the_model(model_and_images):
    """The answers the check expects are what the model does: verified here, as the learner would."""
    model, images = model_and_images
    c, other = MARGIN_CLASSES
    weights = model.fc.weight.detach()
    shifted = weights + 1.0
    with torch.no_grad():
        features = model.features(images)
    pooled = features.mean((-2, -1))
    assert torch.allclose((pooled @ weights.T).softmax(1), (pooled @ shifted.T).softmax(1), atol=1e-5)
    cams = torch.einsum("ck,nkhw->nchw", weights, features)
    cams_shifted = torch.einsum("ck,nkhw->nchw", shifted, features)
    assert (cams - cams_shifted).abs().max() > 1.0
    assert not torch.allclose(min_max_normalise(cams), min_max_normalise(cams_shifted), atol=1e-2)
    margin, margin_shifted = cams[:, c] - cams[:, other], cams_shifted[:, c] - cams_shifted[:, other]
    assert torch.allclose(margin, margin_shifted, atol=1e-4)


def test_weight_shift_check():
    assert passes(check_weight_shift(False, True, False))
    assert "None" in check_weight_shift(None, True, False).message
    assert "True or False" in check_weight_shift("no", True, False).message
    wrong_probabilities = check_weight_shift(True, True, False)
    assert not passes(wrong_probabilities) and "softmax(z + s) = softmax(z)" in wrong_probabilities.message
    wrong_cams = check_weight_shift(False, False, False)
    assert not passes(wrong_cams) and "not a constant" in wrong_cams.message
    wrong_margin = check_weight_shift(False, True, True)
    assert not passes(wrong_margin) and "cancels" in wrong_margin.message
    all_wrong = check_weight_shift(True, False, True)
    assert "3 of them" in all_wrong.message and "Verify" in all_wrong.message

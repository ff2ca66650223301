"""The self-checks of notebook 02: a right answer passes, each usual mistake fails with a message that says why."""

import pytest
import torch
import torch.nn.functional as F

from course_utils.cam import class_activation_map
from course_utils.checkpoints import load_model
from course_checks import Feedback
from course_checks.gap_cam import (
    CAM_CLASS,
    HEAD_CONFIG,
    POOLING_TENSOR,
    cam_exercise_images,
    check_cam_by_hand,
    check_head_parameters,
    check_pooling,
    check_score_from_map,
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


# --- exercise 3: CAM by hand -----------------------------------------------------------------


@pytest.fixture(scope="module")
def model_and_images():
    return load_model("gap_cnn"), cam_exercise_images()


def test_cam_by_hand_right_answer_passes(model_and_images):
    model, images = model_and_images
    with torch.no_grad():
        maps = torch.einsum("k,nkhw->nhw", model.fc.weight[CAM_CLASS], model.features(images))
    feedback = check_cam_by_hand(maps)
    assert passes(feedback), feedback.message


def test_cam_by_hand_mistakes_are_named(model_and_images):
    model, images = model_and_images
    every = torch.stack([class_activation_map(model, images, c) for c in range(4)], dim=1)
    right = every[:, CAM_CLASS]
    other = (CAM_CLASS + 1) % 4

    assert "None" in check_cam_by_hand(None).message
    assert "class" in check_cam_by_hand(every[:, other]).message and str(CAM_CLASS) in check_cam_by_hand(
        every[:, other]
    ).message
    assert "every class" in check_cam_by_hand(every).message
    assert "normalised" in check_cam_by_hand(min_max_normalise(right)).message
    assert "ReLU" in check_cam_by_hand(F.relu(right)).message
    assert "1/hw" in check_cam_by_hand(right / 256).message
    assert "score" in check_cam_by_hand(right.mean((-2, -1))).message
    assert "[4, 16, 16]" in check_cam_by_hand(right[0]).message
    noise = torch.randn(right.shape, generator=torch.Generator().manual_seed(0))
    noisy = check_cam_by_hand(right + 0.5 * noise)
    assert not passes(noisy) and "sum_k w_k^c f_k" in noisy.message


def test_cam_by_hand_predicted_class_is_named(model_and_images):
    model, images = model_and_images
    predicted = class_activation_map(model, images)  # each image's own class
    with torch.no_grad():
        if (model(images).argmax(1) == CAM_CLASS).all():
            pytest.skip("every exercise image is predicted as the exercise's class")
    feedback = check_cam_by_hand(predicted)
    assert not passes(feedback) and "predicted class" in feedback.message


def test_score_from_map(model_and_images):
    model, images = model_and_images
    maps = class_activation_map(model, images, CAM_CLASS)
    with torch.no_grad():
        logits = model(images)
    assert passes(check_score_from_map(maps.mean((-2, -1))))
    assert "divide" in check_score_from_map(maps.sum((-2, -1))).message
    assert "probabilities" in check_score_from_map(logits.softmax(1)[:, CAM_CLASS]).message
    assert "[4]" in check_score_from_map(maps.mean(-1)).message
    assert "None" in check_score_from_map(None).message
    wrong = check_score_from_map(maps.amax((-2, -1)))
    assert not passes(wrong) and "spatial mean" in wrong.message

"""The self-checks of notebook 01: right answers pass, wrong ones fail and say what was expected."""

import pytest
import torch

from course_utils.checkpoints import load_model, load_split
from course_checks import Feedback
from course_checks import xai_intro as checks
from course_utils.scenes import CLASS_NAMES, CUE_CORNER, CUE_GLYPHS, CUE_SIZE
from feedback_checks import assert_fails, assert_passes  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def cue_model():
    return load_model("cue_gap_cnn")


@pytest.fixture(scope="module")
def cue_removed():
    return load_split("cue_removed_test")


@pytest.fixture(scope="module")
def logits(cue_model):
    with torch.no_grad():
        return cue_model(load_split("cue_test").images[:8])


# --- exercise 1: feature-map shape ---------------------------------------------------


@pytest.mark.parametrize("answer", [(64, 16, 16), [64, 16, 16], torch.Size([64, 16, 16]), (1, 64, 16, 16)])
def test_feature_map_shape_accepts_the_right_shape(answer):
    assert_passes(checks.check_feature_map_shape(answer))


def test_feature_map_shape_for_another_image_size():
    assert_passes(checks.check_feature_map_shape((64, 24, 24), image_size=96))
    assert_fails(checks.check_feature_map_shape((64, 16, 16), image_size=96), "24x24", "you said 16x16")


def test_feature_map_shape_names_the_wrong_positions():
    assert_fails(checks.check_feature_map_shape((64, 8, 8)), "16x16 positions", "you said 8x8")


def test_feature_map_shape_names_the_wrong_channels():
    assert_fails(checks.check_feature_map_shape((32, 16, 16)), "64 channels", "you said 32")


@pytest.mark.parametrize("answer", [None, "64x16x16", (64, 16), (2, 64, 16, 16)])
def test_feature_map_shape_rejects_malformed_answers(answer):
    assert_fails(checks.check_feature_map_shape(answer), "(channels, height, width)")


# --- exercise 2: softmax by hand -------------------------------------------------------


def test_softmax_by_hand_passes(logits):
    by_hand = logits.exp() / logits.exp().sum(dim=1, keepdim=True)
    assert_passes(checks.check_softmax(by_hand, logits))
    assert_passes(checks.check_softmax(by_hand.tolist(), logits))  # a nested list is fine too


def test_softmax_over_the_wrong_axis_is_named(logits):
    over_images = logits.exp() / logits.exp().sum(dim=0, keepdim=True)
    assert_fails(checks.check_softmax(over_images, logits), "dim 0", "dim 1")


def test_softmax_without_exp_is_named(logits):
    assert_fails(checks.check_softmax(logits, logits), "exponential")


def test_softmax_wrong_shape_is_named(logits):
    assert_fails(checks.check_softmax(logits[0], logits), "[8, 4]")


def test_softmax_rows_that_do_not_sum_to_one(logits):
    assert_fails(checks.check_softmax(logits.exp(), logits), "sum to 1")


def test_softmax_that_sums_to_one_but_is_wrong(logits):
    uniform = torch.full_like(logits, 0.25)
    assert_fails(checks.check_softmax(uniform, logits), "differ from softmax", "exp(z_c)")


def test_softmax_missing_answer(logits):
    assert_fails(checks.check_softmax(None, logits), "probabilities")


# --- exercise 3: the weakest class without the glyph -------------------------------------


@pytest.fixture(scope="module")
def per_class(cue_model, cue_removed):
    with torch.no_grad():
        predicted = cue_model(cue_removed.images).argmax(1)
    return [(predicted[cue_removed.labels == c] == c).float().mean().item() for c in range(len(CLASS_NAMES))]


def test_weakest_class_passes_with_name_or_index(per_class):
    weakest = min(range(len(per_class)), key=per_class.__getitem__)
    assert_passes(checks.check_weakest_class(CLASS_NAMES[weakest], per_class[weakest]))
    assert_passes(checks.check_weakest_class(CLASS_NAMES[weakest].upper(), torch.tensor(per_class[weakest])))
    assert_passes(checks.check_weakest_class(weakest, round(per_class[weakest], 3)))


def test_weakest_class_wrong_class_names_the_expected_one(per_class):
    weakest = min(range(len(per_class)), key=per_class.__getitem__)
    other = (weakest + 1) % len(CLASS_NAMES)
    assert_fails(checks.check_weakest_class(CLASS_NAMES[other], per_class[other]),
                 f"worst on {CLASS_NAMES[weakest]}", f"{per_class[weakest]:.3f}", f"you said {CLASS_NAMES[other]}")


def test_weakest_class_wrong_accuracy_gives_the_expected_value(per_class):
    weakest = min(range(len(per_class)), key=per_class.__getitem__)
    assert_fails(checks.check_weakest_class(CLASS_NAMES[weakest], per_class[weakest] + 0.1),
                 "right class", f"{per_class[weakest]:.3f}")


@pytest.mark.parametrize("name, accuracy, words", [
    (None, None, ["weakest_class"]),
    ("purple", 0.1, ["one of red, green, blue, yellow"]),
    ("red", 6.7, ["percentage"]),
    ("red", "low", ["number"]),
])
def test_weakest_class_malformed_answers(name, accuracy, words):
    assert_fails(checks.check_weakest_class(name, accuracy), *words)


# --- exercise 4: plant a trigger ----------------------------------------------------------


def _planted_fraction(model, scenes, class_index):
    """The learner's way, written out independently of course_checks.xai_intro."""
    y, x = CUE_CORNER
    images = scenes.images.clone()
    for n in range(len(images)):
        where = CUE_GLYPHS[class_index] & ~scenes.masks[n, y : y + CUE_SIZE, x : x + CUE_SIZE]
        for row, col in where.nonzero().tolist():
            images[n, :, y + row, x + col] = 1.0
    with torch.no_grad():
        return (model(images).argmax(1) == class_index).float().mean().item()


@pytest.mark.parametrize("class_index", [0, 3])
def test_trigger_passes_with_an_independent_computation(cue_model, cue_removed, class_index):
    fraction = _planted_fraction(cue_model, cue_removed, class_index)
    assert_passes(checks.check_trigger(fraction, class_index=class_index))


def test_plant_glyph_changes_only_visible_glyph_pixels(cue_removed):
    planted = checks.plant_glyph(cue_removed.images, cue_removed.masks, 2)
    y, x = CUE_CORNER
    changed = (planted != cue_removed.images).any(1)
    cell = torch.zeros_like(changed[0])
    cell[y : y + CUE_SIZE, x : x + CUE_SIZE] = True
    assert not (changed & ~cell).any()
    assert not (changed & cue_removed.masks).any()
    assert cue_removed.images is not planted  # a copy: the split is untouched


def test_trigger_wrong_fraction_gives_the_expected_value(cue_model, cue_removed):
    expected = _planted_fraction(cue_model, cue_removed, 0)
    feedback = checks.check_trigger(0.25, class_index=0)
    assert_fails(feedback, f"{expected:.3f}", "you got 0.250", "CUE_GLYPHS[0]", "red")


@pytest.mark.parametrize("fraction, words", [(None, ["Set `fraction`"]), (99.7, ["percentage"]), (-0.1, ["between 0 and 1"])])
def test_trigger_malformed_answers(fraction, words):
    assert_fails(checks.check_trigger(fraction), *words)

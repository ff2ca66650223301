"""The self-checks of notebook 05: right answers pass, wrong ones fail and say what was expected."""

import pytest
import torch

from course_utils.checkpoints import load_model, load_split
from course_checks import Feedback
from course_checks import acol as checks
from course_utils.maps import min_max_normalise
from feedback_checks import assert_fails, assert_passes  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")


# --- exercise 1: erased positions -------------------------------------------------------

RIGHT_ERASED = [(1, 1), (1, 2), (2, 1), (2, 2)]  # MAP_A >= 6, i.e. (M - 2) / 8 >= 0.5


def mask_of(positions):
    mask = torch.zeros(4, 4, dtype=torch.bool)
    for r, c in positions:
        mask[r, c] = True
    return mask


def test_the_erase_rule_agrees_with_the_model():
    # ACoL.from_features erases where the normalised map of A is >= delta; the check's rule must be the same.
    model = load_model("acol_05")
    scenes = load_split("test")[:4]
    with torch.no_grad():
        out = model.run(scenes.images, scenes.labels)
    rows = torch.arange(4)
    for k in range(4):
        assert torch.equal(checks.erased_positions(out.maps_a[rows, scenes.labels][k], 0.5), out.erased[k])


@pytest.mark.parametrize("answer", [mask_of(RIGHT_ERASED), mask_of(RIGHT_ERASED).int(), mask_of(RIGHT_ERASED).tolist()])
def test_erased_positions_accepts_the_right_mask(answer):
    feedback = checks.check_erased_positions(answer, delta=0.5)
    assert_passes(feedback)
    assert "(1, 1)" in feedback.message


def test_erased_positions_placeholder_says_what_to_do():
    assert_fails(checks.check_erased_positions(None), "4x4 bool tensor")


def test_erased_positions_names_the_strict_inequality():
    answer = min_max_normalise(checks.MAP_A) > 0.5
    assert_fails(checks.check_erased_positions(answer), ">= delta", "(1, 1)")


def test_erased_positions_names_the_missing_normalisation():
    assert_fails(checks.check_erased_positions(checks.MAP_A >= 0.5), "Normalise", "(1, 1), (1, 2), (2, 1), (2, 2)")


def test_erased_positions_names_the_inverted_mask():
    assert_fails(checks.check_erased_positions(~mask_of(RIGHT_ERASED)), "kept")


def test_erased_positions_lists_the_expected_positions_on_other_mistakes():
    assert_fails(checks.check_erased_positions(mask_of([(2, 2)])), "(1, 1), (1, 2), (2, 1), (2, 2)", "also erased")


def test_erased_positions_rejects_a_wrong_shape():
    assert_fails(checks.check_erased_positions(torch.zeros(16, dtype=torch.bool)), "[4, 4]")


def test_erased_positions_follows_delta():
    # at delta 0.9 only the peak is erased: 10 -> 1.0, while 9 -> 0.875 stays below
    assert_passes(checks.check_erased_positions(mask_of([(2, 2)]), delta=0.9))


# --- exercise 2: fused map ---------------------------------------------------------------


def right_fused():
    a, b = checks.MAP_A, checks.MAP_B
    norm_a = (a - a.min()) / (a.max() - a.min())
    norm_b = (b - b.min()) / (b.max() - b.min())
    return torch.maximum(norm_a, norm_b)


def test_fused_map_accepts_the_right_map():
    assert_passes(checks.check_fused_map(right_fused()))
    assert_passes(checks.check_fused_map(right_fused().tolist()))


def test_fused_map_placeholder_says_what_to_do():
    assert_fails(checks.check_fused_map(None), "normalise each map")


@pytest.mark.parametrize(
    "wrong_answer, words",
    [
        (lambda a, b: min_max_normalise(torch.maximum(a, b)), ["normalised afterwards", "1.000"]),
        (lambda a, b: torch.maximum(a, b), ["without normalising"]),
        (lambda a, b: (min_max_normalise(a) + min_max_normalise(b)) / 2, ["averaged"]),
        (lambda a, b: torch.minimum(min_max_normalise(a), min_max_normalise(b)), ["minimum"]),
        (lambda a, b: torch.maximum(min_max_normalise(a), b), ["normalised A but not B"]),
    ],
)
def test_fused_map_names_common_mistakes(wrong_answer, words):
    assert_fails(checks.check_fused_map(wrong_answer(checks.MAP_A, checks.MAP_B)), *words)


def test_fused_map_names_the_worst_position_otherwise():
    answer = right_fused().clone()
    answer[0, 3] += 0.3
    assert_fails(checks.check_fused_map(answer), "(0, 3)", "1 positions differ")


def test_fused_map_rejects_a_wrong_shape():
    assert_fails(checks.check_fused_map(torch.zeros(2, 2)), "[4, 4]")


# --- exercise 3: more or less? -------------------------------------------------------------


def measured_fraction(delta):
    scenes = load_split("test")[: checks.FRACTION_SCENES]
    with torch.no_grad():
        return load_model("acol_05").run(scenes.images, scenes.labels, delta=delta).erased.float().mean().item()


def test_erased_fraction_accepts_less_and_the_measured_fraction():
    fraction = measured_fraction(0.9)
    assert_passes(checks.check_erased_fraction("less", fraction))
    assert_passes(checks.check_erased_fraction(" Less", torch.tensor(fraction)))
    assert fraction < measured_fraction(0.5)


def test_erased_fraction_rejects_more_and_explains():
    assert_fails(checks.check_erased_fraction("more", measured_fraction(0.9)), "*less*", ">= delta")


def test_erased_fraction_spots_the_training_delta():
    assert_fails(checks.check_erased_fraction("less", measured_fraction(0.5)), "delta 0.5", "delta=0.9")


def test_erased_fraction_spots_a_percentage_and_a_count():
    fraction = measured_fraction(0.9)
    assert_fails(checks.check_erased_fraction("less", fraction * 100), "percentage")
    assert_fails(checks.check_erased_fraction("less", fraction * 256), "256 positions")


def test_erased_fraction_placeholder_and_nonsense():
    assert_fails(checks.check_erased_fraction(None, None), '"more" or "less"')
    assert_fails(checks.check_erased_fraction("maybe", 0.1), '"more" or "less"')
    assert_fails(checks.check_erased_fraction("less", 0.5), "Expected a mean erased fraction")


# --- exercise 4: acol_09's B at a lower delta -----------------------------------------------------


def b_accuracy(name, delta, n=checks.B_SCENES):
    scenes = load_split("test")[:n]
    with torch.no_grad():
        out = load_model(name).run(scenes.images, delta=delta)
    return (out.logits_b.argmax(1) == scenes.labels).float().mean().item()


def test_b_at_other_delta_accepts_the_right_accuracy():
    value = b_accuracy("acol_09", 0.5)
    feedback = checks.check_b_at_other_delta(value)
    assert_passes(feedback)
    assert f"{value:.3f}" in feedback.message
    assert value < b_accuracy("acol_05", 0.5) < b_accuracy("acol_09", 0.9)  # the story the message tells


def test_b_at_other_delta_spots_the_models_own_delta():
    assert_fails(checks.check_b_at_other_delta(b_accuracy("acol_09", 0.9)), "own delta", "delta=0.5")


def test_b_at_other_delta_says_what_was_expected():
    expected = b_accuracy("acol_09", 0.5)
    assert_fails(checks.check_b_at_other_delta(expected + 0.1), f"{expected:.3f}", "no labels")
    assert_fails(checks.check_b_at_other_delta(None), "accuracy_b")
    assert_fails(checks.check_b_at_other_delta(71.0), "percentage")
    assert_fails(checks.check_b_at_other_delta("high"), "number")

"""The self-checks of notebook 04: right answers pass, wrong ones fail and say what was expected."""

import pytest
import torch

from course_utils.cam import class_activation_map, to_image
from course_utils.checkpoints import load_model, load_split
from course_checks import Feedback
from course_checks import weak_supervision as checks
from course_utils.localization import best_mask_iou, mask_iou_curve
from feedback_checks import assert_fails, assert_passes  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")


# --- exercise 1: box IoU by hand ------------------------------------------------------------


def exclusive_iou(a, b):
    width = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def test_box_iou_accepts_a_right_function():
    assert_passes(checks.check_box_iou(exclusive_iou))
    assert_passes(checks.check_box_iou(lambda a, b: torch.tensor(exclusive_iou(a, b))))  # a tensor is fine too


def test_box_iou_first_pair_is_nine_over_fifty_nine():
    _, a, b = checks.IOU_CASES[0]
    assert exclusive_iou(a, b) == pytest.approx(9 / 59)


def test_box_iou_names_the_inclusive_corner_slip():
    def inclusive(a, b):
        width = max(0, min(a[2], b[2]) - max(a[0], b[0]) + 1)
        height = max(0, min(a[3], b[3]) - max(a[1], b[1]) + 1)
        inter = width * height
        union = (a[2] - a[0] + 1) * (a[3] - a[1] + 1) + (b[2] - b[0] + 1) * (b[3] - b[1] + 1) - inter
        return inter / union

    assert_fails(checks.check_box_iou(inclusive), "inclusive", "exclusive", "0.153")


def test_box_iou_names_a_missing_clamp():
    def unclamped(a, b):
        inter = (min(a[2], b[2]) - max(a[0], b[0])) * (min(a[3], b[3]) - max(a[1], b[1]))
        union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
        return inter / union if union else 0.0

    assert_fails(checks.check_box_iou(unclamped), "far apart", "Clamp", "0.000")


def test_box_iou_reports_division_by_zero_for_the_no_box():
    def no_guard(a, b):
        width = max(0, min(a[2], b[2]) - max(a[0], b[0]))
        height = max(0, min(a[3], b[3]) - max(a[1], b[1]))
        inter = width * height
        union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
        return inter / (union - 16 if a == (0, 0, 0, 0) else union)  # zero only for the no-box pair

    assert_fails(checks.check_box_iou(no_guard), "divides by zero")


def test_box_iou_names_percentages():
    assert_fails(checks.check_box_iou(lambda a, b: 100 * exclusive_iou(a, b)), "percentage")


@pytest.mark.parametrize("answer", [None, 0.153])
def test_box_iou_wants_a_function(answer):
    assert_fails(checks.check_box_iou(answer), "my_box_iou")


def test_box_iou_reports_a_crash_and_a_non_number():
    assert_fails(checks.check_box_iou(lambda a, b: a.area), "AttributeError")
    assert_fails(checks.check_box_iou(lambda a, b: None), "return a number", "None")


# --- exercise 2: the three kinds --------------------------------------------------------------

RIGHT_KINDS = ["incomplete", "inexact", "inaccurate", "inexact"]


def test_kinds_accepts_the_right_answers_in_any_case():
    assert_passes(checks.check_kinds(RIGHT_KINDS))
    assert_passes(checks.check_kinds([" Incomplete", "INEXACT", "inaccurate ", "Inexact"]))


def test_kinds_names_each_wrong_situation_and_why():
    feedback = checks.check_kinds(["incomplete", "inaccurate", "inaccurate", "incomplete"])
    assert_fails(feedback, "2 of 4 right", "Situation 2 is inexact, not inaccurate", "Situation 4 is inexact")


@pytest.mark.parametrize(
    ("answer", "words"),
    [(None, ["list of 4"]), ("inexact", ["list of 4"]), (RIGHT_KINDS[:3], ["4 situations", "3 answers"]),
     (["incomplete", "weak", "inaccurate", "inexact"], ["'weak' is not"])],
)
def test_kinds_rejects_malformed_answers(answer, words):
    assert_fails(checks.check_kinds(answer), *words)


# --- exercise 3: Top-1 Loc bounds -------------------------------------------------------------


def test_top1_bounds_passes_the_right_range():
    assert_passes(checks.check_top1_bounds(0.5, 0.6))
    assert_passes(checks.check_top1_bounds(0.9 + 0.6 - 1, min(0.9, 0.6)))  # floating-point 0.5 is fine
    assert_passes(checks.check_top1_bounds(0.2, 0.5, accuracy=0.7, gt_known=0.5))


def test_top1_bounds_other_numbers():
    assert checks.top1_bounds(0.7, 0.5) == pytest.approx((0.2, 0.5))
    assert checks.top1_bounds(0.3, 0.4) == (0.0, 0.3)  # never below 0


def test_top1_bounds_names_the_independence_guess():
    assert_fails(checks.check_top1_bounds(0.54, 0.6), "independent", "0.5")


def test_top1_bounds_names_the_accuracy_as_a_wrong_maximum():
    assert_fails(checks.check_top1_bounds(0.5, 0.9), "not 0.9", "min(0.9, 0.6) = 0.6")


@pytest.mark.parametrize(
    ("low", "high", "words"),
    [(None, 0.6, ["top1_low"]), (0.6, 0.5, ["swapped"]), (50, 60, ["percentages"]), ("0.5", 0.6, ["numbers"])],
)
def test_top1_bounds_rejects_malformed_answers(low, high, words):
    assert_fails(checks.check_top1_bounds(low, high), *words)


# --- exercise 4: segmenting the head ------------------------------------------------------


@pytest.fixture(scope="module")
def head_curve():
    scenes = load_split("test")
    with torch.no_grad():
        cams = class_activation_map(load_model("gap_cnn"), scenes.images, scenes.labels)
    maps = to_image(cams)
    return maps, scenes, mask_iou_curve(maps, scenes.part_masks)


def test_head_mask_passes_the_best_threshold(head_curve):
    maps, scenes, curve = head_curve
    best_iou, best_t = best_mask_iou(maps, scenes.part_masks)
    assert best_t > 0.5  # the head is the top of the map
    assert_passes(checks.check_head_mask(best_t, best_iou))
    feedback = checks.check_head_mask(torch.tensor(best_t), torch.tensor(best_iou))
    assert_passes(feedback)
    assert f"{best_t:.2f}" in feedback.message


def test_head_mask_accepts_a_nearby_threshold_on_the_flat_top(head_curve):
    _, _, curve = head_curve
    best = int(curve.argmax())
    near = best - 1 if curve[best - 1] >= curve[best] - 0.01 else best + 1
    assert_passes(checks.check_head_mask(near / 100, curve[near].item()))


def test_head_mask_names_the_creature_mask_mistake(head_curve):
    maps, scenes, curve = head_curve
    creature_iou, creature_t = best_mask_iou(maps, scenes.masks)
    assert_fails(checks.check_head_mask(creature_t, creature_iou), "part_masks", "peaks at")


def test_head_mask_names_a_wrong_iou_at_a_good_threshold(head_curve):
    _, _, curve = head_curve
    best = int(curve.argmax())
    assert_fails(checks.check_head_mask(best / 100, curve[best].item() + 0.05), "good threshold", f"{curve[best]:.3f}")


@pytest.mark.parametrize(
    ("threshold", "iou", "words"),
    [(None, None, ["head_threshold"]), (80, 0.15, ["between 0 and 1"]), ("0.8", 0.15, ["numbers"])],
)
def test_head_mask_rejects_malformed_answers(threshold, iou, words):
    assert_fails(checks.check_head_mask(threshold, iou), *words)


# --- exercise 5: MaxBoxAcc, MaxBoxAccV2 and PxAP on three tiny maps --------------------------


def test_toy_metrics_by_plain_loops_match_the_check():
    """The answers, by loops over thresholds and images, equal the check's library values."""
    from course_utils.localization import box_iou, mask_to_boxes, threshold_map

    maps, boxes, masks, ts = checks.TOY_MAPS, checks.TOY_BOXES, checks.TOY_MASKS, checks.TOY_THRESHOLDS
    best = {}
    for every in (False, True):
        ious = [[box_iou(mask_to_boxes(threshold_map(m, t), multi_contour=every), b[None]).max().item()
                 for m, b in zip(maps, boxes)] for t in ts]
        best[every] = {lvl: max(sum(i >= lvl for i in row) / 3 for row in ious) for lvl in (0.3, 0.5, 0.7)}
    max_box_acc = best[False][0.5]
    v2 = sum(best[True].values()) / 3
    norm = maps / 4  # every toy map runs from 0 to 4
    precision = [((norm >= t) & masks).sum().item() / (norm >= t).sum().item() for t in ts]
    recall = [((norm >= t) & masks).sum().item() / masks.sum().item() for t in ts] + [0.0]
    px = sum(p * (recall[k] - recall[k + 1]) for k, p in enumerate(precision))
    want = checks.toy_answers()
    assert (max_box_acc, v2, px) == pytest.approx((want["MaxBoxAcc"], want["MaxBoxAccV2"], want["PxAP"]))
    assert_passes(checks.check_toy_metrics(max_box_acc, v2, px))
    # the toy tells the variants apart
    assert len({round(v, 3) for v in want.values()}) == len(want)


def test_toy_metrics_names_the_slips():
    want = checks.toy_answers()
    assert_fails(checks.check_toy_metrics(None, 0.5, 0.5), "toy_max_box_acc")
    assert_fails(checks.check_toy_metrics(want["MaxBoxAcc with every component"], want["MaxBoxAccV2"], want["PxAP"]),
                 "largest component")
    assert_fails(checks.check_toy_metrics(want["MaxBoxAcc"], want["V2 with the largest component only"], want["PxAP"]),
                 "all components")
    assert_fails(checks.check_toy_metrics(66.7, 88.9, 42.1), "percentages")
    assert_fails(checks.check_toy_metrics(want["MaxBoxAcc"], want["MaxBoxAccV2"], 0.9), "PxAP is")

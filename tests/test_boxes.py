"""The small pieces of course_utils.boxes that the metrics are built from."""

import torch

from course_utils.boxes import NO_BOX, best_iou_per_image, box_iou, component_boxes, largest_of_each_image


def test_best_iou_per_image_takes_each_images_best_box_and_zero_for_an_image_without_one():
    gt = torch.tensor([[0, 0, 4, 4], [4, 4, 8, 8], [0, 0, 8, 8]])
    pred = torch.tensor([[0, 0, 2, 2], [0, 0, 4, 4], [4, 4, 6, 8]])
    image = torch.tensor([0, 0, 1])  # image 2 has no box
    best = best_iou_per_image(pred, image, gt)
    assert best.dtype == torch.float64
    assert best.tolist() == [1.0, 0.5, 0.0]
    # The same as the IoU of every box with its own image's box, maximised by hand.
    assert best[0] == max(box_iou(pred[:2], gt[0]).tolist())


def test_best_iou_per_image_passes_the_convention_on_with_one_or_several_true_boxes():
    pred = torch.tensor([[0, 0, 2, 2], [5, 5, 6, 6]])
    image = torch.tensor([0, 0])
    for gt in (torch.tensor([[1, 1, 3, 3]]), [torch.tensor([[1, 1, 3, 3], [9, 9, 10, 10]])]):
        # (0, 0, 2, 2) against (1, 1, 3, 3): 1 / 7 with exclusive corners, 4 / 14 the
        # wsolevaluation way
        assert best_iou_per_image(pred, image, gt).item() == 1 / 7
        assert best_iou_per_image(pred, image, gt, convention="wsolevaluation").item() == 4 / 14


def test_best_iou_of_the_no_box_is_zero():
    assert best_iou_per_image(torch.tensor([NO_BOX]), torch.tensor([0]), torch.tensor([[0, 0, 4, 4]])).item() == 0


def test_largest_of_each_image_indexes_component_boxes():
    masks = torch.zeros(2, 8, 8, dtype=torch.bool)
    masks[0, 0, 0] = masks[0, 4:7, 4:7] = True  # a dot, then a 3x3 square
    masks[1, 2:4, 0:2] = True
    boxes, sizes, image = component_boxes(masks)
    keep = largest_of_each_image(sizes, image, 2)
    assert boxes[keep].tolist() == [[4, 4, 7, 7], [0, 2, 2, 4]]


# --- several ground-truth boxes per image ----------------------------------------------------

import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from course_utils.boxes import BoxSets, as_box_sets  # noqa: E402
from course_utils.errors import CourseValueError  # noqa: E402


def reference_best_iou(pred_boxes, pred_image, gt_lists):
    """The plain loop: every predicted box of image i against every true box of image i, the maximum."""
    best = [0.0] * len(gt_lists)
    for box, i in zip(pred_boxes.tolist(), pred_image.tolist()):
        for gt in gt_lists[i]:
            best[i] = max(best[i], box_iou(torch.tensor(box), torch.tensor(gt)).item())
    return best


box_st = st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(0, 6), st.integers(0, 6)).map(
    lambda v: (v[0], v[1], v[0] + v[2], v[1] + v[3])
)


@settings(max_examples=60, deadline=None)
@given(
    gt_lists=st.lists(st.lists(box_st, min_size=1, max_size=3), min_size=1, max_size=4),
    preds=st.lists(st.tuples(box_st, st.integers(0, 3)), min_size=0, max_size=8),
)
def test_best_iou_over_several_true_boxes_matches_a_plain_loop(gt_lists, preds):
    n = len(gt_lists)
    pred_boxes = torch.tensor([p for p, _ in preds], dtype=torch.int64).reshape(-1, 4)
    pred_image = torch.tensor([i % n for _, i in preds], dtype=torch.int64)
    want = reference_best_iou(pred_boxes, pred_image, gt_lists)
    as_list = best_iou_per_image(pred_boxes, pred_image, [torch.tensor(g) for g in gt_lists])
    assert as_list.tolist() == pytest.approx(want)
    k = max(len(g) for g in gt_lists)
    padded = torch.full((n, k, 4), -7)  # padding that would break the corner check if it were read
    for i, g in enumerate(gt_lists):
        padded[i, : len(g)] = torch.tensor(g)
    counts = torch.tensor([len(g) for g in gt_lists])
    assert best_iou_per_image(pred_boxes, pred_image, padded, counts).tolist() == as_list.tolist()


def test_one_box_per_image_gives_the_same_in_every_form():
    gt = torch.tensor([[0, 0, 4, 4], [4, 4, 8, 8], [0, 0, 8, 8]])
    pred = torch.tensor([[0, 0, 2, 2], [0, 0, 4, 4], [4, 4, 6, 8]])
    image = torch.tensor([0, 0, 1])
    want = best_iou_per_image(pred, image, gt).tolist()
    assert best_iou_per_image(pred, image, list(gt)).tolist() == want  # a list of [4]
    assert best_iou_per_image(pred, image, gt[:, None], torch.ones(3, dtype=torch.int64)).tolist() == want
    assert as_box_sets(gt).one_per_image and as_box_sets(list(gt)).one_per_image


def test_a_second_true_box_can_only_raise_the_best_iou():
    pred, image = torch.tensor([[4, 4, 8, 8]]), torch.tensor([0])
    one = best_iou_per_image(pred, image, [torch.tensor([[0, 0, 4, 4]])]).item()
    two = best_iou_per_image(pred, image, [torch.tensor([[0, 0, 4, 4], [4, 4, 8, 8]])]).item()
    assert (one, two) == (0.0, 1.0)


def test_box_sets_counts_and_messages():
    sets = as_box_sets([torch.tensor([[0, 0, 1, 1], [1, 1, 2, 2]]), torch.tensor([0, 0, 3, 3])])
    assert isinstance(sets, BoxSets) and sets.counts.tolist() == [2, 1] and sets.image.tolist() == [0, 0, 1]
    with pytest.raises(CourseValueError, match="at least one box"):
        as_box_sets([torch.zeros(0, 4)])
    with pytest.raises(CourseValueError, match="between 1 and 2"):
        as_box_sets(torch.zeros(2, 2, 4), torch.tensor([0, 2]))
    with pytest.raises(CourseValueError, match="gt_counts goes with a padded"):
        as_box_sets([torch.zeros(1, 4)], torch.tensor([1]))
    with pytest.raises(CourseValueError, match="x0 <= x1"):
        as_box_sets(torch.tensor([[[3, 0, 1, 1]]]))
    with pytest.raises(CourseValueError, match="a list of"):
        as_box_sets(torch.zeros(2, 3))

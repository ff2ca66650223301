"""Tests for course_utils.localization: hand-made cases first, then properties."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import ndimage

from course_utils import localization as loc

# --- helpers -----------------------------------------------------------------


def square_mask(h: int, w: int, *boxes: tuple[int, int, int, int]) -> torch.Tensor:
    """A bool [H, W] mask that is True inside each (x0, y0, x1, y1) box."""
    mask = torch.zeros(h, w, dtype=torch.bool)
    for x0, y0, x1, y1 in boxes:
        mask[y0:y1, x0:x1] = True
    return mask


def reference_component_boxes(mask: np.ndarray) -> tuple[list[tuple[int, ...]], list[int]]:
    """Boxes and sizes of one mask's 8-connected components the slow, obvious way."""
    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    boxes = [(s[1].start, s[0].start, s[1].stop, s[0].stop) for s in ndimage.find_objects(labels)]
    sizes = [int((labels == k).sum()) for k in range(1, count + 1)]
    return boxes, sizes


def reference_best_ious(maps, boxes, thresholds, multi_contour, convention="exclusive"):
    """[T, N] best IoU per image and threshold, one image and one threshold at a time."""
    out = torch.zeros(len(thresholds), len(maps), dtype=torch.float64)
    for k, t in enumerate(thresholds):
        for i in range(len(maps)):
            mask = loc.threshold_map(maps[i], float(t))
            pred = loc.mask_to_boxes(mask, multi_contour=multi_contour)
            out[k, i] = loc.box_iou(pred, boxes[i][None], convention=convention).max()
    return out


small_masks = arrays(np.bool_, st.tuples(st.integers(1, 3), st.integers(1, 9), st.integers(1, 9)))
boxes_st = st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(0, 20), st.integers(0, 20)).map(
    lambda v: (min(v[0], v[2]), min(v[1], v[3]), max(v[0], v[2]), max(v[1], v[3]))
)
nonempty_boxes = st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(1, 10), st.integers(1, 10)).map(
    lambda v: (v[0], v[1], v[0] + v[2], v[1] + v[3])
)


@st.composite
def maps_and_boxes(draw):
    """Small integer-valued float64 maps [N, H, W] and one box per map inside the image."""
    n, h, w = draw(st.integers(1, 4)), draw(st.integers(2, 8)), draw(st.integers(2, 8))
    values = draw(arrays(np.int64, (n, h, w), elements=st.integers(0, 6)))
    boxes = []
    for _ in range(n):
        x0, x1 = sorted(draw(st.lists(st.integers(0, w), min_size=2, max_size=2)))
        y0, y1 = sorted(draw(st.lists(st.integers(0, h), min_size=2, max_size=2)))
        boxes.append((x0, y0, x1, y1))
    return torch.from_numpy(values).double(), torch.tensor(boxes)


# --- from map to mask to boxes ---------------------------------------------------


def test_threshold_map_normalises_then_keeps_values_at_or_above():
    maps = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])  # normalised: 0, .2, .4, .6, .8, 1
    assert loc.threshold_map(maps, 0.6).tolist() == [[False, False, False], [True, True, True]]
    assert loc.threshold_map(maps, 0.0).all()
    assert loc.threshold_map(maps * 10 - 3, 0.6).equal(loc.threshold_map(maps, 0.6))


def test_a_value_exactly_at_the_threshold_is_kept_everywhere():
    # float32 0.7 lies just below the real 0.7; every function compares in the map's dtype, so all agree.
    maps = torch.tensor([[[0.0, 0.7, 1.0]]])
    t = [0.7]
    assert loc.threshold_map(maps, 0.7).tolist() == [[[False, True, True]]]
    assert loc.box_ious_at_thresholds(maps, torch.tensor([[1, 0, 3, 1]]), cam_thresholds=t).tolist() == [[1.0]]
    masks = torch.tensor([[[False, True, False]]])
    precision, recall = loc.pixel_precision_recall(maps, masks, cam_thresholds=t)
    assert (precision.item(), recall.item()) == (0.5, 1.0)
    assert loc.mask_iou_curve(maps, masks, cam_thresholds=t).tolist() == [0.5]


def test_constant_map_thresholds_to_all_or_nothing():
    maps = torch.full((2, 4, 4), 3.5)
    assert loc.threshold_map(maps, 0.0).all()
    assert not loc.threshold_map(maps, 0.01).any()


def test_eight_connectivity_joins_diagonal_pixels():
    diagonal = torch.eye(4, dtype=torch.bool)
    labels, count = loc.connected_components(diagonal)
    assert count == 1
    assert labels[diagonal].eq(1).all() and labels[~diagonal].eq(0).all()
    apart = square_mask(4, 4, (0, 0, 1, 1), (2, 0, 3, 1))  # a gap column between them
    assert loc.connected_components(apart)[1] == 2


def test_components_do_not_cross_images_in_a_stack():
    stack = torch.zeros(2, 3, 3, dtype=torch.bool)
    stack[0, 2, :] = True  # last row of image 0 ...
    stack[1, 0, :] = True  # ... sits just above the first row of image 1
    labels, count = loc.connected_components(stack)
    assert count == 2
    assert labels[0].max() == 1 and labels[1].max() == 2


def test_single_pixel_box_is_one_pixel_wide():
    mask = square_mask(5, 6, (3, 1, 4, 2))  # the pixel x=3, y=1
    assert loc.mask_to_boxes(mask).tolist() == [[3, 1, 4, 2]]
    assert loc.box_area(loc.largest_box(mask)).item() == 1


def test_mask_to_boxes_in_raster_order_and_largest():
    mask = square_mask(8, 8, (5, 0, 7, 2), (0, 3, 4, 7))  # 2x2 top right, 4x4 lower left
    assert loc.mask_to_boxes(mask).tolist() == [[5, 0, 7, 2], [0, 3, 4, 7]]
    assert loc.mask_to_boxes(mask, multi_contour=False).tolist() == [[0, 3, 4, 7]]
    assert loc.largest_box(mask).tolist() == [0, 3, 4, 7]


def test_largest_box_tie_goes_to_the_first_in_raster_order():
    mask = square_mask(6, 6, (4, 4, 6, 6), (0, 0, 2, 2))
    assert loc.largest_box(mask).tolist() == [0, 0, 2, 2]


def test_empty_mask_gives_the_no_box():
    empty = torch.zeros(4, 5, dtype=torch.bool)
    assert loc.mask_to_boxes(empty).tolist() == [list(loc.NO_BOX)]
    assert loc.largest_box(empty).tolist() == list(loc.NO_BOX)
    assert loc.box_of_mask(empty).tolist() == list(loc.NO_BOX)
    assert loc.box_iou(loc.largest_box(empty), torch.tensor([0, 0, 5, 4])).item() == 0.0


def test_box_of_mask_spans_all_pieces():
    mask = square_mask(8, 8, (5, 0, 7, 2), (0, 3, 4, 7))
    assert loc.box_of_mask(mask).tolist() == [0, 0, 7, 7]
    stack = torch.stack([mask, torch.zeros_like(mask), square_mask(8, 8, (7, 7, 8, 8))])
    assert loc.box_of_mask(stack).tolist() == [[0, 0, 7, 7], [0, 0, 0, 0], [7, 7, 8, 8]]


def test_component_boxes_of_a_stack():
    stack = torch.stack([square_mask(6, 6, (0, 0, 2, 3), (3, 3, 6, 6)), square_mask(6, 6, (1, 1, 2, 2))])
    boxes, sizes, image = loc.component_boxes(stack)
    assert boxes.tolist() == [[0, 0, 2, 3], [3, 3, 6, 6], [1, 1, 2, 2]]
    assert sizes.tolist() == [6, 9, 1]
    assert image.tolist() == [0, 0, 1]


@settings(max_examples=60, deadline=None)
@given(small_masks)
def test_component_boxes_match_scipy_find_objects(masks):
    boxes, sizes, image = loc.component_boxes(torch.from_numpy(masks))
    expected_boxes, expected_sizes, expected_image = [], [], []
    for i, mask in enumerate(masks):
        b, s = reference_component_boxes(mask)
        expected_boxes += b
        expected_sizes += s
        expected_image += [i] * len(b)
    assert [tuple(b) for b in boxes.tolist()] == expected_boxes
    assert sizes.tolist() == expected_sizes
    assert image.tolist() == expected_image


@settings(max_examples=60, deadline=None)
@given(arrays(np.bool_, st.tuples(st.integers(1, 9), st.integers(1, 9))))
def test_box_of_mask_is_the_tight_box(mask_np):
    mask = torch.from_numpy(mask_np)
    x0, y0, x1, y1 = loc.box_of_mask(mask).tolist()
    if not mask.any():
        assert (x0, y0, x1, y1) == loc.NO_BOX
        return
    assert (x1 - x0) * (y1 - y0) >= mask.sum().item()
    inside = torch.zeros_like(mask)
    inside[y0:y1, x0:x1] = True
    assert not (mask & ~inside).any()  # contains every pixel
    assert mask[y0].any() and mask[y1 - 1].any() and mask[:, x0].any() and mask[:, x1 - 1].any()  # tight


# --- box overlap -------------------------------------------------------------------


def test_box_iou_hand_cases():
    a = torch.tensor([[0, 0, 2, 2], [0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 10, 10]])
    b = torch.tensor([[1, 1, 3, 3], [1, 0, 2, 1], [0, 0, 0, 0], [0, 0, 10, 7]])
    # overlap 1 pixel of 4 + 4 - 1; touching edges share no pixel; empty boxes: 0, not NaN; 70 / 100
    assert loc.box_iou(a, b).tolist() == pytest.approx([1 / 7, 0.0, 0.0, 0.7])
    assert loc.box_iou(a[3], b[3]).item() >= 0.7  # exactly at the threshold counts


def test_box_iou_counted_the_wsolevaluation_way_hand_cases():
    """The same corners as test_box_iou_hand_cases, each width and height one pixel larger."""
    a = torch.tensor([[0, 0, 2, 2], [0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 10, 10]])
    b = torch.tensor([[1, 1, 3, 3], [1, 0, 2, 1], [0, 0, 0, 0], [0, 0, 10, 7]])
    wsol = loc.box_iou(a, b, convention="wsolevaluation")
    # 2x2 shared of 9 + 9 - 4; touching edges now share a 1x2 column of 4 + 4 - 2; the no-box is
    # the pixel (0, 0), so two no-boxes coincide; 11x8 shared of 121 + 88 - 88
    assert wsol.tolist() == pytest.approx([2 / 7, 1 / 3, 1.0, 8 / 11])
    assert loc.box_area(a, convention="wsolevaluation").tolist() == [9.0, 4.0, 1.0, 121.0]
    assert loc.box_iou(a, b, convention="exclusive").equal(loc.box_iou(a, b))  # the default
    one_more = torch.tensor([0, 0, 1, 1])  # each end a pixel further, then counted exclusively
    assert wsol[0] == loc.box_iou(a[0] + one_more, b[0] + one_more)
    with pytest.raises(ValueError, match="convention must be one of"):
        loc.box_iou(a, b, convention="inclusive")


def test_pairwise_box_iou_by_broadcasting():
    a = torch.tensor([[0, 0, 2, 2], [1, 1, 5, 4], [3, 0, 6, 6]])
    b = torch.tensor([[1, 1, 3, 3], [0, 0, 6, 6]])
    pairwise = loc.box_iou(a[:, None], b[None])
    assert pairwise.shape == (3, 2)
    assert pairwise.tolist() == [[loc.box_iou(x, y).item() for y in b] for x in a]
    assert pairwise[0].tolist() == pytest.approx([1 / 7, 4 / 36])


@settings(max_examples=100, deadline=None)
@given(boxes_st, boxes_st, nonempty_boxes)
def test_box_iou_properties(a, b, c):
    a, b, c = torch.tensor(a), torch.tensor(b), torch.tensor(c)
    iou = loc.box_iou(a, b).item()
    assert 0.0 <= iou <= 1.0
    assert iou == loc.box_iou(b, a).item()
    assert loc.box_iou(c, c).item() == 1.0


# --- one box per image --------------------------------------------------------------


def test_gt_known_and_top1_localization():
    gt = torch.tensor([[0, 0, 4, 4]] * 4)
    pred = torch.tensor([[0, 0, 4, 4], [0, 0, 4, 2], [0, 0, 4, 1], [2, 2, 6, 6]])  # IoU 1, .5, .25, 4/28
    assert loc.gt_known_loc(pred, gt) == 0.5
    assert loc.gt_known_loc(pred, gt, iou_threshold=0.2) == 0.75
    labels = torch.tensor([1, 2, 3, 4])
    assert loc.top1_loc(torch.tensor([1, 0, 3, 4]), labels, pred, gt) == 0.25
    assert loc.top1_loc(labels, labels, pred, gt) == loc.gt_known_loc(pred, gt)


# --- the pointing game ---------------------------------------------------------------


def test_pointing_game_hits_and_misses():
    maps = torch.zeros(2, 5, 5)
    maps[0, 1, 1] = 1.0  # inside the mask
    maps[1, 4, 4] = 1.0  # outside
    masks = torch.stack([square_mask(5, 5, (0, 0, 3, 3))] * 2)
    assert loc.pointing_game(maps, masks) == 0.5


def test_pointing_game_tolerance_is_euclidean():
    maps = torch.zeros(1, 7, 7)
    maps[0, 4, 4] = 1.0
    masks = square_mask(7, 7, (0, 0, 3, 3))[None]  # nearest mask pixel (2, 2): sqrt(8) ~ 2.83 away
    assert [loc.pointing_game(maps, masks, tolerance=r) for r in (0, 2, 3)] == [0.0, 0.0, 1.0]


def reference_pointing_game(maps, masks, tolerance, peak_tolerance=loc.PEAK_TOLERANCE):
    """Image by image, pixel by pixel: the share of each map's peak pixels near its mask."""
    scores = []
    for m, g in zip(maps.double(), masks):
        cut = m.max() - peak_tolerance * (m.max() - m.min())
        peaks = [(y, x) for y in range(m.shape[0]) for x in range(m.shape[1]) if m[y, x] >= cut]
        on = g.nonzero().tolist()
        hit = [any((y - v) ** 2 + (x - u) ** 2 <= tolerance**2 for v, u in on) for y, x in peaks]
        scores.append(sum(hit) / len(hit))
    return sum(scores) / len(scores)


def test_pointing_game_exact_tie_across_the_edge_scores_half():
    maps = torch.zeros(1, 4, 4)
    maps[0, 0, 0] = maps[0, 3, 3] = 1.0  # two exact maxima, one on the mask, one off
    assert loc.pointing_game(maps, square_mask(4, 4, (0, 0, 2, 2))[None]) == 0.5
    # both maxima on the mask: a clean hit
    assert loc.pointing_game(maps, square_mask(4, 4, (0, 0, 4, 4))[None]) == 1.0


def test_pointing_game_near_ties_below_and_above_the_peak_tolerance():
    mask = square_mask(4, 4, (0, 0, 2, 2))[None]
    maps = torch.zeros(1, 4, 4, dtype=torch.float64)
    maps[0, 3, 3] = 1.0  # off the mask: the maximum
    maps[0, 0, 0] = 1.0 - 0.5 * loc.PEAK_TOLERANCE  # on the mask, within the tolerance: shares the peak
    assert loc.pointing_game(maps, mask) == 0.5
    maps[0, 0, 0] = 1.0 - 2 * loc.PEAK_TOLERANCE  # further below than the tolerance: not a peak
    assert loc.pointing_game(maps, mask) == 0.0
    assert loc.pointing_game(maps, mask, peak_tolerance=0.01) == 0.5  # the tolerance is a knob
    assert loc.pointing_game(maps, mask, peak_tolerance=0.0) == 0.0


def test_constant_map_is_all_peak_and_scores_the_share_of_the_image_near_the_object():
    maps = torch.ones(1, 4, 4)  # an empty Grad-CAM, say: it points nowhere in particular
    assert loc.pointing_game(maps, square_mask(4, 4, (0, 0, 1, 1))[None]) == 1 / 16
    assert loc.pointing_game(maps, square_mask(4, 4, (1, 1, 4, 4))[None]) == 9 / 16
    assert loc.peak_pixels(maps).all()


def test_peak_pixels_is_the_flat_top():
    maps = torch.tensor([[[0.0, 5.0, 5.0], [1.0, 2.0, 4.999]]])
    expected = torch.tensor([[[False, True, True], [False, False, True]]])
    assert torch.equal(loc.peak_pixels(maps), expected)
    assert torch.equal(loc.peak_pixels(maps, peak_tolerance=0.0), expected & (maps == 5.0))


def test_upsampled_border_plateau_is_one_peak_of_two_pixels():
    """The case that made argmax depend on the CPU: a border cell copied onto two pixels."""
    from course_utils.maps import upsample

    coarse = torch.zeros(1, 4, 4)
    coarse[0, 1, 3] = 1.0  # the maximum, in the last column
    coarse[0, 0, 3] = 0.5  # an unequal neighbour above, so only the border copies tie
    up = upsample(coarse, 16)  # 4 pixels per cell; columns 14 and 15 both copy column 3
    peaks = loc.peak_pixels(up)
    assert peaks.sum() == 2 and peaks[0, :, 14:].sum() == 2, peaks.nonzero().tolist()
    assert up[0, 6, 14] == up[0, 6, 15]


@settings(max_examples=150, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(2, 8), st.integers(2, 8)), elements=st.floats(-10, 10)),
    st.integers(0, 3),
    st.data(),
)
def test_pointing_game_matches_the_pixel_by_pixel_reference(values, tolerance, data):
    h, w = values.shape
    maps = torch.from_numpy(values)[None]
    mask = torch.from_numpy(data.draw(arrays(np.bool_, (h, w))))[None]
    assert loc.pointing_game(maps, mask, tolerance=tolerance) == pytest.approx(
        reference_pointing_game(maps, mask, tolerance), abs=1e-12
    )


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.float32, st.tuples(st.integers(2, 12), st.integers(2, 12)), elements=st.floats(0, 1, width=32)),
    st.integers(0, 3),
    st.data(),
)
def test_a_last_bits_perturbation_does_not_change_the_pointing_game(values, tolerance, data):
    """Noise of 1e-6 of the range (float32 kernels differ by about 1e-7) leaves the result alone,
    unless a pixel sits that close to the peak's cut, which the test rules out as CPUs never meet it."""
    from hypothesis import assume

    h, w = values.shape
    maps = torch.from_numpy(values)[None]
    span = float(maps.max() - maps.min())
    assume(span > 0)
    mask = torch.from_numpy(data.draw(arrays(np.bool_, (h, w))))[None]
    noise = torch.from_numpy(data.draw(arrays(np.float32, (h, w), elements=st.floats(-1, 1, width=32))))
    perturbed = maps + 1e-6 * span * noise[None]
    cut = maps.double().max() - loc.PEAK_TOLERANCE * span
    assume(((maps.double() - cut).abs() > 4e-6 * span).all())  # no pixel at the cut's edge
    assert loc.pointing_game(perturbed, mask, tolerance=tolerance) == loc.pointing_game(
        maps, mask, tolerance=tolerance
    )


# --- box accuracy over thresholds -----------------------------------------------------


def two_blobs_case():
    """A big blob and a small one; the ground-truth box is around the small one."""
    maps = square_mask(16, 16, (1, 1, 9, 9), (12, 12, 15, 15)).double()[None]
    return maps, torch.tensor([[12, 12, 15, 15]])


def test_maxboxaccv2_finds_the_small_blob_that_maxboxacc_misses():
    maps, boxes = two_blobs_case()
    assert loc.max_box_acc(maps, boxes) == 1.0  # V2: any component's box may match
    assert loc.max_box_acc(maps, boxes, iou_thresholds=(0.5,), multi_contour=False) == 0.0  # largest only


def test_box_accuracy_table_and_curve():
    maps, boxes = two_blobs_case()
    table = loc.box_accuracy_table(maps, boxes)
    assert table.shape == (3, 100)
    # threshold 0 keeps the whole image (IoU 9/256); every higher one keeps exactly the two blobs
    assert table[:, 0].tolist() == [0.0, 0.0, 0.0] and table[:, 1:].eq(1.0).all()
    curve = loc.box_accuracy_curve(maps, boxes, iou_threshold=0.7)
    assert curve.equal(table[2])
    ious = loc.box_ious_at_thresholds(maps, boxes, cam_thresholds=[0.0, 0.5])
    assert ious[:, 0].tolist() == pytest.approx([9 / 256, 1.0])


def test_constant_map_box_is_the_whole_image_at_threshold_zero():
    maps = torch.full((1, 4, 4), 2.0)
    whole = torch.tensor([[0, 0, 4, 4]])
    assert loc.box_accuracy_curve(maps, whole, cam_thresholds=[0.0, 0.5]).tolist() == [1.0, 0.0]


def test_max_box_acc_picks_the_best_threshold_per_iou_level():
    # Image 0 is right at threshold .25 only, image 1 at .75 only: each single threshold gets 1 of 2.
    maps = torch.zeros(2, 8, 8, dtype=torch.float64)
    maps[0, 0:4, 0:4] = 0.5
    maps[0, 0:2, 0:2] = 1.0
    maps[1] = maps[0]
    boxes = torch.tensor([[0, 0, 4, 4], [0, 0, 2, 2]])
    table = loc.box_accuracy_table(maps, boxes, cam_thresholds=[0.25, 0.75], iou_thresholds=(0.9,))
    assert table.tolist() == [[0.5, 0.5]]
    assert loc.max_box_acc(maps, boxes, cam_thresholds=[0.25, 0.75], iou_thresholds=(0.9,)) == 0.5


@settings(max_examples=40, deadline=None)
@given(maps_and_boxes())
def test_fast_box_ious_match_the_image_by_image_loop(case):
    maps, boxes = case
    thresholds = [0.0, 0.2, 0.5, 0.8, 1.0]
    for multi_contour in (True, False):
        fast = loc.box_ious_at_thresholds(maps, boxes, cam_thresholds=thresholds, multi_contour=multi_contour)
        assert fast.equal(reference_best_ious(maps, boxes, thresholds, multi_contour))
    every, largest = loc.box_ious_both_ways(maps, boxes, cam_thresholds=thresholds)
    assert every.equal(reference_best_ious(maps, boxes, thresholds, True))
    assert largest.equal(reference_best_ious(maps, boxes, thresholds, False))
    wsol = loc.box_ious_at_thresholds(
        maps, boxes, cam_thresholds=thresholds, convention="wsolevaluation"
    )
    assert wsol.equal(reference_best_ious(maps, boxes, thresholds, True, "wsolevaluation"))
    assert (wsol >= every - 1e-12).all()  # a box one pixel larger each way never overlaps less


@settings(max_examples=40, deadline=None)
@given(maps_and_boxes(), st.integers(1, 8), st.integers(-5, 5))
def test_max_box_acc_is_a_fraction_and_ignores_affine_rescaling(case, scale, shift):
    maps, boxes = case
    value = loc.max_box_acc(maps, boxes)
    assert 0.0 <= value <= 1.0
    # Integer maps, scales and shifts keep the arithmetic exact, so the normalised maps are identical.
    assert loc.max_box_acc(maps * scale + shift, boxes) == value


@settings(max_examples=40, deadline=None)
@given(maps_and_boxes())
def test_box_accuracy_monotonicity(case):
    maps, boxes = case
    levels = (0.1, 0.3, 0.5, 0.7, 0.9)
    any_box = loc.box_accuracy_table(maps, boxes, iou_thresholds=levels)
    largest = loc.box_accuracy_table(maps, boxes, iou_thresholds=levels, multi_contour=False)
    assert (any_box >= largest).all()  # the largest component is one of the components
    assert (any_box.diff(dim=0) <= 0).all()  # a stricter IoU level never helps


# --- pixel level -----------------------------------------------------------------------


def test_pxap_of_a_perfect_map_is_one():
    masks = torch.stack([square_mask(8, 8, (1, 2, 5, 6)), square_mask(8, 8, (0, 0, 3, 8))])
    assert loc.pxap(masks.float(), masks) == pytest.approx(1.0)


def test_pxap_hand_computed():
    maps = torch.tensor([[[0.0, 1 / 3], [2 / 3, 1.0]]])
    masks = torch.tensor([[[False, True], [False, True]]])
    thresholds = [0.0, 0.25, 0.5, 0.75]
    precision, recall = loc.pixel_precision_recall(maps, masks, cam_thresholds=thresholds)
    assert precision.tolist() == pytest.approx([1 / 2, 2 / 3, 1 / 2, 1.0])
    assert recall.tolist() == pytest.approx([1.0, 1.0, 0.5, 0.5])
    # 1/2 * (1 - 1) + 2/3 * (1 - 1/2) + 1/2 * (1/2 - 1/2) + 1 * (1/2 - 0)
    assert loc.pxap(maps, masks, cam_thresholds=thresholds) == pytest.approx(5 / 6)


def test_precision_is_one_where_nothing_is_predicted():
    maps = torch.full((1, 2, 2), 7.0)  # normalises to zeros: nothing clears a threshold above 0
    masks = torch.tensor([[[True, False], [False, False]]])
    precision, recall = loc.pixel_precision_recall(maps, masks, cam_thresholds=[0.0, 0.5])
    assert precision.tolist() == [0.25, 1.0] and recall.tolist() == [1.0, 0.0]
    assert loc.pxap(maps, masks, cam_thresholds=[0.0, 0.5]) == 0.25


@settings(max_examples=40, deadline=None)
@given(maps_and_boxes())
def test_pixel_curves_match_thresholding_one_by_one(case):
    maps, boxes = case
    masks = torch.zeros(maps.shape, dtype=torch.bool)
    for mask, (x0, y0, x1, y1) in zip(masks, boxes.tolist()):
        mask[y0:y1, x0:x1] = True
    thresholds = [0.0, 0.2, 0.5, 0.8, 1.0]
    expected = [loc.mask_iou(loc.threshold_map(maps, t), masks).mean().item() for t in thresholds]
    assert loc.mask_iou_curve(maps, masks, cam_thresholds=thresholds).tolist() == pytest.approx(expected)
    if masks.any():
        precision, recall = loc.pixel_precision_recall(maps, masks, cam_thresholds=thresholds)
        assert (recall.diff() <= 0).all()  # a higher threshold keeps a subset of pixels
        assert 0.0 <= loc.pxap(maps, masks) <= 1.0 + 1e-12


def test_mask_iou_and_best_mask_iou():
    gt = torch.stack([square_mask(4, 4, (0, 0, 2, 2)), square_mask(4, 4, (0, 0, 4, 4))])
    pred = torch.stack([square_mask(4, 4, (0, 0, 2, 1)), torch.zeros(4, 4, dtype=torch.bool)])
    assert loc.mask_iou(pred, gt).tolist() == [0.5, 0.0]
    assert loc.mask_iou(pred[1:], pred[1:]).tolist() == [0.0]  # two empty masks: 0, as for boxes
    objects = torch.stack([gt[0], square_mask(4, 4, (1, 1, 4, 3))])
    assert loc.best_mask_iou(objects.double(), objects) == (1.0, 0.01)  # 0.00 keeps whole images


# --- bad inputs -------------------------------------------------------------------------

MAPS = torch.rand(2, 4, 4)
MASKS = torch.zeros(2, 4, 4, dtype=torch.bool)
BOXES = torch.tensor([[0, 0, 2, 2], [1, 1, 3, 3]])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: loc.max_box_acc(MAPS, BOXES[:1]), "maps and boxes must have the same N"),
        (lambda: loc.max_box_acc(MAPS[0], BOXES), r"maps must be a float tensor of shape \[N, H, W\]"),
        (lambda: loc.max_box_acc(MAPS.long(), BOXES), "float tensor"),
        (lambda: loc.max_box_acc(MAPS, BOXES[:, :3]), r"boxes must be a tensor \[N, 4\], a padded tensor"),
        (lambda: loc.max_box_acc(MAPS, BOXES, cam_thresholds=[0.5, 1.5]), r"must lie in \[0, 1\]"),
        (lambda: loc.max_box_acc(MAPS, BOXES, cam_thresholds=[0.5, 0.2]), "strictly increasing"),
        (lambda: loc.max_box_acc(MAPS, BOXES, iou_thresholds=(1.2,)), r"must be in \[0, 1\]"),
        (lambda: loc.max_box_acc(MAPS, BOXES, iou_thresholds=()), "at least one IoU level"),
        (lambda: loc.pxap(MAPS, MASKS.float()), "masks must be a bool tensor"),
        (lambda: loc.pxap(MAPS, MASKS[:, :3]), "must match in shape"),
        (lambda: loc.pxap(MAPS, MASKS), "at least one True pixel"),
        (lambda: loc.pointing_game(MAPS, MASKS, tolerance=-1), "non-negative"),
        (lambda: loc.pointing_game(MAPS, MASKS.numpy()), "got a ndarray"),
        (lambda: loc.threshold_map(MAPS, -0.1), r"threshold must be in \[0, 1\]"),
        (lambda: loc.connected_components(MASKS.float()), "bool tensor"),
        (lambda: loc.mask_to_boxes(MASKS), r"shape \[H, W\]"),
        (lambda: loc.box_iou(torch.tensor([2, 0, 1, 1]), BOXES), "x0 <= x1"),
        (lambda: loc.box_ious_at_thresholds(MAPS, BOXES, convention="+1"), "convention must be"),
        (lambda: loc.gt_known_loc(BOXES, BOXES[:1]), "pred_boxes and gt_boxes must cover the same images"),
        (lambda: loc.top1_loc(torch.tensor([0]), torch.tensor([0, 1]), BOXES, BOXES), r"shape \[2\]"),
    ],
)
def test_bad_inputs_raise_a_readable_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- mean_map_by_region -------------------------------------------------------------------


def test_mean_map_by_region_on_a_hand_made_case():
    from course_utils.localization import mean_map_by_region

    masks = torch.zeros(1, 4, 4, dtype=torch.bool)
    masks[0, :2, :2] = True  # object: the top-left 2x2
    parts = torch.zeros_like(masks)
    parts[0, 0, 0] = True  # its discriminative part: one pixel
    maps = torch.zeros(1, 4, 4)
    maps[0, 0, 0] = 10.0  # peak on the part
    maps[0, 0, 1] = 5.0  # half on one other object pixel
    means = mean_map_by_region(maps, masks, parts)
    assert means == pytest.approx({"part": 1.0, "rest of object": 0.5 / 3, "background": 0.0})


def test_mean_map_by_region_rejects_a_part_outside_the_object():
    from course_utils.localization import mean_map_by_region

    masks = torch.zeros(1, 4, 4, dtype=torch.bool)
    parts = torch.ones_like(masks)
    with pytest.raises(ValueError, match="part_masks must lie inside masks"):
        mean_map_by_region(torch.rand(1, 4, 4), masks, parts)


def test_box_accuracy_from_ious_gives_the_table_without_labelling_again():
    from course_utils.localization import box_accuracy_from_ious, box_accuracy_table, box_ious_at_thresholds

    gen = torch.Generator().manual_seed(3)
    maps = torch.nn.functional.interpolate(torch.rand(12, 1, 8, 8, generator=gen), size=32, mode="bilinear")[:, 0]
    boxes = torch.tensor([[4, 4, 20, 24]] * 12)
    ious = box_ious_at_thresholds(maps, boxes)
    assert torch.equal(box_accuracy_from_ious(ious), box_accuracy_table(maps, boxes))
    assert torch.equal(box_accuracy_from_ious(ious, (0.5,))[0], box_accuracy_table(maps, boxes, iou_thresholds=(0.5,))[0])
    with pytest.raises(ValueError, match=r"ious must be a tensor \[T, N\]"):
        box_accuracy_from_ious(ious[0])


# --- several ground-truth boxes per image ----------------------------------------------------


@st.composite
def maps_and_box_sets(draw):
    """Small maps [N, H, W] and one to three true boxes per map, as a list of [K_i, 4]."""
    maps, first = draw(maps_and_boxes())
    n, h, w = maps.shape
    sets = []
    for i in range(n):
        extra = []
        for _ in range(draw(st.integers(0, 2))):
            x0, x1 = sorted(draw(st.lists(st.integers(0, w), min_size=2, max_size=2)))
            y0, y1 = sorted(draw(st.lists(st.integers(0, h), min_size=2, max_size=2)))
            extra.append((x0, y0, x1, y1))
        sets.append(torch.cat([first[i][None], torch.tensor(extra, dtype=torch.int64).reshape(-1, 4)]))
    return maps, sets


def reference_best_ious_several(maps, box_sets, thresholds, multi_contour):
    """[T, N]: every predicted box of each image against every one of its true boxes, in plain loops."""
    out = torch.zeros(len(thresholds), len(maps), dtype=torch.float64)
    for k, t in enumerate(thresholds):
        for i in range(len(maps)):
            pred = loc.mask_to_boxes(loc.threshold_map(maps[i], float(t)), multi_contour=multi_contour)
            out[k, i] = max(loc.box_iou(p, g).item() for p in pred for g in box_sets[i])
    return out


@settings(max_examples=40, deadline=None)
@given(data=maps_and_box_sets(), multi_contour=st.booleans())
def test_box_ious_with_several_true_boxes_match_a_plain_loop(data, multi_contour):
    maps, box_sets = data
    thresholds = [0.0, 0.3, 0.5, 0.9]
    want = reference_best_ious_several(maps, box_sets, thresholds, multi_contour)
    got = loc.box_ious_at_thresholds(maps, box_sets, cam_thresholds=thresholds, multi_contour=multi_contour)
    assert torch.equal(got, want)
    # the padded form with counts gives the same
    k = max(len(b) for b in box_sets)
    padded = torch.zeros(len(box_sets), k, 4, dtype=torch.int64)
    for i, b in enumerate(box_sets):
        padded[i, : len(b)] = b
    counts = torch.tensor([len(b) for b in box_sets])
    assert torch.equal(
        loc.box_ious_at_thresholds(
            maps, padded, gt_counts=counts, cam_thresholds=thresholds, multi_contour=multi_contour
        ),
        want,
    )
    table = loc.box_accuracy_from_ious(want)
    assert loc.max_box_acc(maps, box_sets, cam_thresholds=thresholds, multi_contour=multi_contour) == (
        pytest.approx(table.amax(1).mean().item())
    )


@settings(max_examples=30, deadline=None)
@given(data=maps_and_box_sets())
def test_one_true_box_per_image_scores_the_same_as_a_list_of_one(data):
    maps, box_sets = data
    first = torch.stack([b[0] for b in box_sets])
    assert torch.equal(
        loc.box_ious_at_thresholds(maps, first, cam_thresholds=[0.0, 0.5]),
        loc.box_ious_at_thresholds(maps, [b[:1] for b in box_sets], cam_thresholds=[0.0, 0.5]),
    )


def test_gt_known_and_top1_loc_take_the_best_of_several_true_boxes():
    pred = torch.tensor([[4, 4, 8, 8], [0, 0, 4, 4]])
    sets = [torch.tensor([[0, 0, 4, 4], [4, 4, 8, 8]]), torch.tensor([[4, 4, 8, 8]])]
    assert loc.gt_known_loc(pred, sets) == 0.5  # image 0 hits its second box, image 1 misses
    assert loc.gt_known_loc(pred, torch.stack([s[0] for s in sets])) == 0.0  # only the first boxes
    labels = torch.tensor([1, 2])
    assert loc.top1_loc(torch.tensor([1, 2]), labels, pred, sets) == 0.5
    assert loc.top1_loc(torch.tensor([0, 2]), labels, pred, sets) == 0.0
    with pytest.raises(loc.CourseValueError, match="same images"):
        loc.gt_known_loc(pred, sets[:1])

"""Scoring localization: how well do a classifier's class maps find the object?

Weakly supervised object localization (WSOL) asks a classifier's class map
where the object is. :mod:`course_utils.boxes` turns maps into masks and
boxes; this module scores the result with the metrics of the literature:
top-1 and GT-known localization, the pointing game, MaxBoxAcc /
MaxBoxAccV2 and PxAP (Choe et al., "Evaluating Weakly Supervised Object
Localization Methods Right", CVPR 2020), mask IoU, and where a map puts its
weight. Read top-down, MaxBoxAccV2 goes: the CAM thresholds, the IoUs at each
threshold, the box-accuracy table, its maximum.

Conventions (boxes, the no-box, masks and thresholds are
:mod:`course_utils.boxes`'s):

- **Maps** are float tensors ``[N, H, W]`` at image resolution (callers
  upsample first, see :mod:`course_utils.maps`); **masks** bool ``[N, H, W]``;
  ground-truth **boxes** ``[N, 4]``, one per image, or several per image
  (a list of ``[K_i, 4]`` tensors, or a padded ``[N, K, 4]`` with
  ``gt_counts``; see :func:`~course_utils.boxes.as_box_sets`), in which case
  every box metric scores the best IoU over the image's boxes, as Choe et
  al.'s wsolevaluation does.
- **Thresholds** apply to the min-max normalised map with ``>=``: at
  threshold ``t`` the mask is :math:`\\tilde M(x, y) \\ge t`. A constant map
  normalises to zeros (see :func:`course_utils.maps.min_max_normalise`).
- **Results** are fractions in [0, 1] (multiply by 100 for the papers' %).

The geometry names (:func:`threshold_map`, :func:`mask_to_boxes`,
:func:`box_iou`, :data:`NO_BOX`, ...) are re-exported here, so
``from course_utils.localization import box_iou`` keeps working.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Union

import numpy as np
import torch
from scipy import ndimage
from torch import Tensor

from course_utils.boxes import (  # noqa: F401  (re-exported: the notebooks import them from here)
    EIGHT_CONNECTED,
    BOX_CONVENTIONS,
    EIGHT_CONNECTED_PER_IMAGE,
    NO_BOX,
    BoxSets,
    as_box_sets,
    best_iou_per_image,
    box_area,
    box_iou,
    box_of_mask,
    component_boxes,
    connected_components,
    extra_pixel,
    largest_box,
    largest_of_each_image,
    mask_to_boxes,
    threshold_map,
)
from course_utils.checks import check_boxes as _check_boxes
from course_utils.checks import check_fraction as _check_fraction
from course_utils.checks import check_iou_levels as _check_iou_levels
from course_utils.checks import check_maps as _check_maps
from course_utils.checks import check_maps_and_masks as _check_maps_and_masks
from course_utils.checks import check_masks as _check_masks
from course_utils.checks import check_same_shape as _check_same_shape
from course_utils.checks import describe as _describe
from course_utils.errors import CourseValueError
from course_utils.language import tr
from course_utils.maps import min_max_normalise

IOU_THRESHOLDS = (0.3, 0.5, 0.7)
"""The IoU levels :math:`D` of MaxBoxAccV2 (Choe et al.)."""

# --- one box per image: top-1 and GT-known localization ------------------------


GtBoxes = Union[Tensor, Sequence[Tensor], BoxSets]
"""Ground-truth boxes: ``[N, 4]``, a list of ``[K_i, 4]``, or a padded ``[N, K, 4]`` with ``gt_counts``."""


def _best_ious_of_one_box_each(pred_boxes: Tensor, gt_boxes: GtBoxes, gt_counts: Tensor | None) -> Tensor:
    """``[N]``: IoU of image ``i``'s one predicted box with the best of its ground-truth boxes."""
    _check_boxes(pred_boxes, "pred_boxes")
    sets = as_box_sets(gt_boxes, gt_counts)
    if sets.n != len(pred_boxes):
        message = tr(
            "pred_boxes and gt_boxes must cover the same images (one predicted box per image), "
            "got {boxes} predicted boxes and {n} images of ground truth"
        )
        raise CourseValueError(message.format(boxes=len(pred_boxes), n=sets.n))
    return best_iou_per_image(pred_boxes, torch.arange(len(pred_boxes), device=pred_boxes.device), sets)


def gt_known_loc(
    pred_boxes: Tensor, gt_boxes: GtBoxes, iou_threshold: float = 0.5, *, gt_counts: Tensor | None = None
) -> float:
    """GT-known localization: fraction of images whose box has IoU >= ``iou_threshold``.

    The class is taken as known (the map of the true class is used), so only
    the box is judged:

    .. math::
        \\frac{1}{N} \\sum_i \\big[\\max_{b \\in G_i} \\mathrm{IoU}(\\hat b_i, b) \\ge \\theta\\big]

    with :math:`G_i` the ground-truth boxes of image :math:`i`: one (``[N, 4]``)
    or several (see :func:`~course_utils.boxes.as_box_sets`).
    """
    _check_fraction(iou_threshold, "iou_threshold")
    return (_best_ious_of_one_box_each(pred_boxes, gt_boxes, gt_counts) >= iou_threshold).double().mean().item()


def top1_loc(
    pred_labels: Tensor,
    labels: Tensor,
    pred_boxes: Tensor,
    gt_boxes: GtBoxes,
    iou_threshold: float = 0.5,
    *,
    gt_counts: Tensor | None = None,
) -> float:
    """Top-1 localization: fraction of images with the right class *and* IoU >= ``iou_threshold``.

    .. math::
        \\frac{1}{N} \\sum_i [\\hat y_i = y_i] \\,
        \\big[\\max_{b \\in G_i} \\mathrm{IoU}(\\hat b_i, b) \\ge \\theta\\big]

    Never above the classification accuracy nor above GT-known localization.
    ``gt_boxes`` as in :func:`gt_known_loc`.
    """
    _check_fraction(iou_threshold, "iou_threshold")
    ious = _best_ious_of_one_box_each(pred_boxes, gt_boxes, gt_counts)
    for name, x in (("pred_labels", pred_labels), ("labels", labels)):
        if not isinstance(x, Tensor) or x.shape != (len(pred_boxes),):
            message = tr("{name} must be a tensor of shape [{n}], got {got}")
            raise CourseValueError(message.format(name=name, n=len(pred_boxes), got=_describe(x)))
    hit = (pred_labels == labels) & (ious >= iou_threshold)
    return hit.double().mean().item()


# --- the pointing game ---------------------------------------------------------

# How close to the maximum a pixel must be to count as a peak, as a fraction of the map's range.
# Bilinear upsampling copies a border cell's value onto two (or, in a corner, 2x2) pixels, and
# the copies differ only in the last bits of float32, by about 1e-7 of the range, in a way that
# depends on which vector kernels torch runs on the CPU. 1e-3 is ten thousand times that noise,
# and a thousandth of the range is far below what a colour map can show.
PEAK_TOLERANCE = 1e-3


def peak_pixels(maps: Tensor, *, peak_tolerance: float = PEAK_TOLERANCE) -> Tensor:
    """The peak of each map: every pixel within ``peak_tolerance`` of the range below the maximum.

    .. math::
        P = \\{\\, p : M(p) \\ge \\max M - \\varepsilon\\,(\\max M - \\min M) \\,\\}

    ``maps [N, H, W]`` -> bool ``[N, H, W]``. A map with a single clear
    maximum has a one-pixel peak; a flat top (an upsampled plateau, a tie)
    keeps all its pixels; a constant map (an empty Grad-CAM, say) is all peak.
    """
    _check_maps(maps)
    if not 0.0 <= float(peak_tolerance) < 1.0:
        message = tr("peak_tolerance must be in [0, 1), got {value}")
        raise CourseValueError(message.format(value=peak_tolerance))
    flat = maps.detach().double().flatten(1)  # float64: the cut itself adds no rounding
    top, bottom = flat.amax(1, keepdim=True), flat.amin(1, keepdim=True)
    return (flat >= top - peak_tolerance * (top - bottom)).view(maps.shape)


def pixels_near(masks: Tensor, tolerance: int) -> Tensor:
    """Pixels within ``tolerance`` pixels (Euclidean) of each mask ``[N, H, W]``; 0 gives the mask itself."""
    _check_masks(masks)
    if int(tolerance) != tolerance or tolerance < 0:
        message = tr("tolerance must be a non-negative whole number of pixels, got {value}")
        raise CourseValueError(message.format(value=tolerance))
    if tolerance == 0:
        return masks
    r = int(tolerance)
    y, x = np.mgrid[-r : r + 1, -r : r + 1]
    disk = np.zeros((3, 2 * r + 1, 2 * r + 1), dtype=bool)
    disk[1] = y**2 + x**2 <= r**2  # middle slice only: the dilation never crosses between images
    near = ndimage.binary_dilation(masks.cpu().numpy(), structure=disk)
    return torch.from_numpy(near).to(masks.device)


def pointing_game(
    maps: Tensor, masks: Tensor, *, tolerance: int = 0, peak_tolerance: float = PEAK_TOLERANCE
) -> float:
    """Share of maps whose peak falls on the object (Zhang et al., 2016), ties shared fairly.

    The map points at its maximum; it scores a hit if a mask pixel lies
    within ``tolerance`` pixels (Euclidean; 0: on the mask itself; the paper
    uses 15 pixels at 224x224). When several pixels share the top, the map
    does not point at one place, so the image scores the *share* of its peak
    pixels that hit:

    .. math::
        \\text{hit}_i = \\frac{|P_i \\cap \\text{near}(G_i)|}{|P_i|}, \\qquad
        \\text{pointing game} = \\frac{1}{N} \\sum_i \\text{hit}_i

    with :math:`P_i` from :func:`peak_pixels` (within ``peak_tolerance`` of
    the range below the maximum, 1e-3 by default). That is the expected score
    if ties were broken at random: 1 or 0 when every peak pixel agrees, 1/2
    for two tied peaks on either side of the mask's edge, and for a constant
    map the share of the image near the object. Taking the first maximum
    instead (``argmax``) would let the last bits of float32, which differ
    between CPUs, decide: upsampling copies a border cell onto two pixels
    that are equal only up to rounding. No normalisation is needed: the
    peak does not move. For a scene with two objects, call once per class
    with that class's maps and masks.
    """
    _check_maps(maps)
    _check_masks(masks)
    _check_same_shape(maps, masks, "maps and masks")
    near = pixels_near(masks, tolerance).to(maps.device)
    peaks = peak_pixels(maps, peak_tolerance=peak_tolerance)
    hits = (peaks & near).flatten(1).sum(1).double() / peaks.flatten(1).sum(1).double()
    return hits.mean().item()


# --- one threshold: the recipe of notebook 04, for drawing -----------------------


@dataclass
class ThresholdResult:
    """What one threshold gives: masks, boxes and their IoU with the ground truth."""

    threshold: float
    masks: Tensor  #: ``[N, H, W]`` bool, the normalised map ``>= threshold``
    boxes: list[Tensor]  #: per scene ``[K, 4]``: the largest component's box (K = 1), or every component's
    ious: Tensor  #: ``[N]`` float64, the best IoU of each scene's boxes with its ground-truth box(es)


def localize_at_threshold(
    maps: Tensor, gt_boxes: GtBoxes, threshold: float, *, multi_contour: bool = False,
    gt_counts: Tensor | None = None,
) -> ThresholdResult:
    """Threshold each map ``[N, H, W]``, box its components, score the boxes: the WSOL recipe of notebook 04.

    Scene by scene with :func:`~course_utils.boxes.threshold_map` and
    :func:`~course_utils.boxes.mask_to_boxes`, then
    :func:`~course_utils.boxes.best_iou_per_image`, so the boxes are exactly
    the library's. An empty mask gives the no-box, IoU 0. One threshold of
    :func:`box_ious_at_thresholds`, kept with its masks and boxes for drawing.
    """
    if isinstance(gt_boxes, Tensor) and gt_boxes.dim() == 1:
        gt_boxes = gt_boxes.reshape(-1, 4)
    sets = as_box_sets(gt_boxes, gt_counts)
    if len(maps) != sets.n:
        message = tr("maps and gt_boxes must have one entry per scene, got {maps} and {boxes}")
        raise CourseValueError(message.format(maps=len(maps), boxes=sets.n))
    masks = threshold_map(maps, threshold)
    boxes = [mask_to_boxes(mask, multi_contour=multi_contour) for mask in masks]
    image = torch.cat([torch.full((len(b),), i) for i, b in enumerate(boxes)])
    ious = best_iou_per_image(torch.cat(boxes), image, sets)
    return ThresholdResult(float(threshold), masks, boxes, ious)


# --- box accuracy over CAM thresholds: MaxBoxAcc and MaxBoxAccV2 -----------------


def default_cam_thresholds() -> Tensor:
    """The 100 CAM thresholds 0.00, 0.01, ..., 0.99 of Choe et al. (``np.arange(0, 1, 0.01)``).

    Threshold 0 keeps every pixel (the whole image); 1.0 is left out because
    it keeps only the peak pixels.
    """
    return torch.arange(100, dtype=torch.float64) / 100


def _as_thresholds(cam_thresholds: Sequence[float] | Tensor | None) -> Tensor:
    if cam_thresholds is None:
        return default_cam_thresholds()
    t = torch.as_tensor(cam_thresholds, dtype=torch.float64)
    if t.dim() != 1 or t.numel() == 0:
        message = tr("cam_thresholds must be a non-empty 1-D sequence, got shape {shape}")
        raise CourseValueError(message.format(shape=tuple(t.shape)))
    if (t < 0).any() or (t > 1).any():
        message = tr("cam_thresholds must lie in [0, 1], got values from {low} to {high}")
        raise CourseValueError(message.format(low=t.min().item(), high=t.max().item()))
    if (t.diff() <= 0).any():
        raise CourseValueError(tr("cam_thresholds must be strictly increasing"))
    return t




def as_thresholds(cam_thresholds: Sequence[float] | Tensor | None) -> Tensor:
    """CAM thresholds as a checked float64 tensor ``[T]``: :func:`default_cam_thresholds` for ``None``.

    They must be non-empty, in [0, 1] and strictly increasing (a clear error otherwise).
    """
    return _as_thresholds(cam_thresholds)


def box_ious_at_thresholds(
    maps: Tensor,
    boxes: GtBoxes,
    *,
    cam_thresholds: Sequence[float] | Tensor | None = None,
    multi_contour: bool = True,
    gt_counts: Tensor | None = None,
    convention: str = "exclusive",
) -> Tensor:
    """Best IoU of each image's predicted boxes with its box, at each threshold: ``[T, N]`` (float64).

    At threshold :math:`t` the mask :math:`\\tilde M_i \\ge t` of image
    :math:`i` is split into 8-connected components; with
    ``multi_contour=True`` the entry is the best IoU over all their boxes,
    with ``False`` the IoU of the largest component's box. An empty mask
    scores 0 (the no-box). With several ground-truth boxes per image (a list
    of ``[K_i, 4]``, or a padded ``[N, K, 4]`` with ``gt_counts``), each
    predicted box is compared with each of them and the best pair counts:
    :math:`\\max_{\\hat b \\in \\hat B_i(t)} \\max_{b \\in G_i} \\mathrm{IoU}(\\hat b, b)`.

    All images are labelled in one scipy call per threshold (see
    ``EIGHT_CONNECTED_PER_IMAGE``), and boxes come from row runs (see
    :func:`component_boxes`): 1,000 maps of 64x64 at 100 thresholds take
    about a second. Need both kinds? :func:`box_ious_both_ways` labels once.

    ``convention="wsolevaluation"`` scores the same boxes with the IoU of
    Choe et al.'s public code (one pixel added to every width and height, see
    :data:`~course_utils.boxes.BOX_CONVENTIONS`), to compare with numbers
    computed that way; the course's own numbers use the default.
    """
    way = "every" if multi_contour else "largest"
    return _box_ious(maps, boxes, cam_thresholds, (way,), gt_counts, convention)[way]


def box_ious_both_ways(
    maps: Tensor,
    boxes: GtBoxes,
    *,
    cam_thresholds: Sequence[float] | Tensor | None = None,
    gt_counts: Tensor | None = None,
    convention: str = "exclusive",
) -> tuple[Tensor, Tensor]:
    """``(every, largest)``: :func:`box_ious_at_thresholds` with ``multi_contour=True`` and ``False``.

    The labelling, the costly step, is shared, so this takes about half the
    time of two separate calls (MaxBoxAccV2 uses every component's box, the
    original MaxBoxAcc only the largest one's). ``convention`` as there.
    """
    ious = _box_ious(maps, boxes, cam_thresholds, ("every", "largest"), gt_counts, convention)
    return ious["every"], ious["largest"]


def _box_ious(
    maps: Tensor,
    boxes: GtBoxes,
    cam_thresholds: Sequence[float] | Tensor | None,
    ways: tuple[str, ...],
    gt_counts: Tensor | None = None,
    convention: str = "exclusive",
) -> dict[str, Tensor]:
    """The work of :func:`box_ious_at_thresholds`, for each of ``ways``: ``"every"`` component, the ``"largest"``."""
    _check_maps(maps)
    sets = as_box_sets(boxes, gt_counts, "boxes")
    if sets.n != len(maps):
        message = tr("maps and boxes must have the same N (one per image), got {maps} and {boxes}")
        raise CourseValueError(message.format(maps=len(maps), boxes=sets.n))
    thresholds = _as_thresholds(cam_thresholds)
    extra_pixel(convention)  # an unknown convention fails before the slow part
    n = len(maps)
    normalised = min_max_normalise(maps.detach()).cpu().numpy()
    gt = BoxSets(sets.boxes.detach().double().cpu(), sets.image.cpu(), n, sets.one_per_image)
    results = {way: torch.zeros(len(thresholds), n, dtype=torch.float64) for way in ways}
    for k, t in enumerate(thresholds.tolist()):
        # A Python float keeps numpy comparing in the maps' dtype, exactly like threshold_map.
        predicted, sizes, image = component_boxes(torch.from_numpy(normalised >= t))
        if extra_pixel(convention):
            # An empty mask's no-box scores 0 in the course's convention, which is what an image
            # without boxes gets anyway; counted the wsolevaluation way it is the pixel (0, 0),
            # so it is scored like any other box.
            empty = torch.bincount(image, minlength=n) == 0
            if empty.any():
                count = int(empty.sum())
                predicted = torch.cat([predicted, torch.tensor([NO_BOX]).expand(count, 4)])
                sizes = torch.cat([sizes, torch.zeros(count, dtype=sizes.dtype)])
                image = torch.cat([image, empty.nonzero()[:, 0]])
        for way, ious in results.items():
            keep = slice(None) if way == "every" else largest_of_each_image(sizes, image, n)
            ious[k] = best_iou_per_image(predicted[keep], image[keep], gt, convention=convention)
    return results


def box_accuracy_table(
    maps: Tensor,
    boxes: GtBoxes,
    *,
    cam_thresholds: Sequence[float] | Tensor | None = None,
    iou_thresholds: Sequence[float] = IOU_THRESHOLDS,
    multi_contour: bool = True,
    gt_counts: Tensor | None = None,
) -> Tensor:
    """Box accuracy at every (IoU threshold, CAM threshold) pair: ``[len(iou_thresholds), T]``.

    .. math::
        \\mathrm{BoxAcc}(t, \\theta) = \\frac{1}{N} \\sum_i
        \\big[\\max_{\\hat b \\in \\hat B_i(t)} \\max_{b \\in G_i} \\mathrm{IoU}(\\hat b, b) \\ge \\theta\\big]

    where :math:`\\hat B_i(t)` are the component boxes of
    :math:`\\tilde M_i \\ge t` (all of them with ``multi_contour``, else the
    largest), and :math:`G_i` the image's ground-truth boxes (one, or
    several: see :func:`box_ious_at_thresholds`). Row ``l`` is the curve to plot for ``iou_thresholds[l]``; the
    best CAM threshold is ``cam_thresholds[table[l].argmax()]``.
    """
    _check_iou_levels(iou_thresholds)
    ious = box_ious_at_thresholds(
        maps, boxes, cam_thresholds=cam_thresholds, multi_contour=multi_contour, gt_counts=gt_counts
    )
    return box_accuracy_from_ious(ious, iou_thresholds)


def box_accuracy_from_ious(ious: Tensor, iou_thresholds: Sequence[float] = IOU_THRESHOLDS) -> Tensor:
    """The box-accuracy table ``[len(iou_thresholds), T]`` from IoUs already computed.

    ``ious`` is :func:`box_ious_at_thresholds`'s ``[T, N]``; the labelling
    behind it is the costly step, so a notebook computes it once and derives
    every table (other IoU levels, subsets of scenes ``ious[:, :k]``) from it.
    """
    _check_iou_levels(iou_thresholds)
    if not isinstance(ious, Tensor) or ious.dim() != 2:
        message = tr("ious must be a tensor [T, N] from box_ious_at_thresholds, got {got}")
        raise CourseValueError(message.format(got=_describe(ious)))
    levels = torch.tensor(list(iou_thresholds), dtype=torch.float64)
    return (ious.double()[None] >= levels[:, None, None]).double().mean(-1)


def box_accuracy_curve(
    maps: Tensor,
    boxes: GtBoxes,
    *,
    cam_thresholds: Sequence[float] | Tensor | None = None,
    iou_threshold: float = 0.5,
    multi_contour: bool = True,
    gt_counts: Tensor | None = None,
) -> Tensor:
    """Box accuracy at each CAM threshold for one IoU threshold: ``[T]`` (see :func:`box_accuracy_table`)."""
    table = box_accuracy_table(
        maps, boxes, cam_thresholds=cam_thresholds, iou_thresholds=(iou_threshold,), multi_contour=multi_contour,
        gt_counts=gt_counts,
    )
    return table[0]


def max_box_acc(
    maps: Tensor,
    boxes: GtBoxes,
    *,
    cam_thresholds: Sequence[float] | Tensor | None = None,
    iou_thresholds: Sequence[float] = IOU_THRESHOLDS,
    multi_contour: bool = True,
    gt_counts: Tensor | None = None,
) -> float:
    """MaxBoxAccV2 by default: the best threshold's box accuracy, averaged over IoU levels.

    .. math::
        \\mathrm{MaxBoxAccV2} = \\frac{1}{|D|} \\sum_{\\theta \\in D} \\max_t \\mathrm{BoxAcc}(t, \\theta),
        \\qquad D = \\{0.3, 0.5, 0.7\\}

    The best threshold is chosen per IoU level over the whole set, not per
    image. ``iou_thresholds=(0.5,), multi_contour=False`` gives the original
    MaxBoxAcc of Choe et al. (largest component, IoU 0.5). Because each map
    is min-max normalised first, the result does not change if a map is
    scaled by a positive factor or shifted. With several ground-truth boxes
    per image, each image scores its best (predicted, true) pair, as in
    wsolevaluation.
    """
    table = box_accuracy_table(
        maps, boxes, cam_thresholds=cam_thresholds, iou_thresholds=iou_thresholds, multi_contour=multi_contour,
        gt_counts=gt_counts,
    )
    return table.amax(dim=1).mean().item()


# --- pixel level: PxAP and mask IoU -------------------------------------------


def _counts_at_or_above(scores: Tensor, groups: Tensor, n_groups: int, thresholds: Tensor) -> Tensor:
    """``counts[g, k]`` = number of scores of group ``g`` that are ``>= thresholds[k]``.

    One pass instead of T comparisons: ``searchsorted`` tells how many
    thresholds each score clears, a histogram counts the scores per
    (group, cleared), and a reversed cumulative sum turns "clears exactly
    j" into "clears at least k + 1", i.e. "is >= thresholds[k]".
    """
    t = len(thresholds)
    cleared = torch.searchsorted(thresholds.to(scores.dtype), scores, right=True)  # how many thresholds <= score
    hist = torch.bincount(groups * (t + 1) + cleared, minlength=n_groups * (t + 1)).view(n_groups, t + 1)
    return hist.flip(-1).cumsum(-1).flip(-1)[:, 1:]


def pixel_counts(
    maps: Tensor, masks: Tensor, *, cam_thresholds: Sequence[float] | Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Per scene and threshold, the object and background pixels at or above it: two ``[N, T]``.

    .. math::
        TP_i(t) = |\\{p \\in \\text{object}_i : \\tilde M_i(p) \\ge t\\}|, \\qquad
        FP_i(t) = |\\{p \\notin \\text{object}_i : \\tilde M_i(p) \\ge t\\}|

    Summed over scenes they give :func:`pixel_precision_recall`.
    """
    _check_maps_and_masks(maps, masks)
    thresholds = _as_thresholds(cam_thresholds)
    n = len(maps)
    scores = min_max_normalise(maps.detach()).flatten().contiguous()
    groups = (torch.arange(n, device=masks.device)[:, None] * 2 + masks.flatten(1).long()).flatten()
    counts = _counts_at_or_above(scores, groups, 2 * n, thresholds).double().view(n, 2, -1).cpu()
    return counts[:, 1], counts[:, 0]


def pixel_precision_recall(
    maps: Tensor, masks: Tensor, *, cam_thresholds: Sequence[float] | Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Pixel precision and recall ``[T]`` at each threshold, all images' pixels pooled.

    .. math::
        \\mathrm{P}(t) = \\frac{TP(t)}{TP(t) + FP(t)}, \\qquad
        \\mathrm{R}(t) = \\frac{TP(t)}{|\\text{foreground pixels}|}

    with :math:`TP(t)` the foreground pixels with :math:`\\tilde M \\ge t`.
    Where no pixel is predicted, precision is set to 1 (as scikit-learn
    does): the curve then ends at (recall 0, precision 1), and the value
    never weighs in the area because recall is 0 there and at every higher
    threshold.
    """
    _check_maps_and_masks(maps, masks)
    if not masks.any():
        raise CourseValueError(tr(
            "masks must contain at least one True pixel: recall is undefined without foreground"
        ))
    thresholds = _as_thresholds(cam_thresholds)
    scores = min_max_normalise(maps.detach()).flatten().contiguous()
    counts = _counts_at_or_above(scores, masks.flatten().long(), 2, thresholds).double()
    false_pos, true_pos = counts[0], counts[1]
    predicted = true_pos + false_pos
    precision = torch.where(predicted > 0, true_pos / predicted.clamp_min(1), torch.ones_like(predicted))
    recall = true_pos / masks.sum()
    return precision, recall


def pxap(maps: Tensor, masks: Tensor, *, cam_thresholds: Sequence[float] | Tensor | None = None) -> float:
    """PxAP: area under the pixel precision-recall curve (Choe et al., 2020).

    .. math::
        \\mathrm{PxAP} = \\sum_{k} \\mathrm{P}(t_k) \\big(\\mathrm{R}(t_k) - \\mathrm{R}(t_{k+1})\\big),
        \\qquad \\mathrm{R}(t_T) = 0

    with thresholds :math:`t_0 < \\dots < t_{T-1}`: each threshold's
    precision times the recall it adds over the next higher one: the
    step-wise area of average precision, without interpolation, the sum that
    wsolevaluation computes from its pixel histograms. A map that is 1 on the
    mask and 0 elsewhere scores 1.
    """
    precision, recall = pixel_precision_recall(maps, masks, cam_thresholds=cam_thresholds)
    recall_gain = recall - torch.cat([recall[1:], recall.new_zeros(1)])
    return (precision * recall_gain).sum().item()


def mask_iou(pred_masks: Tensor, gt_masks: Tensor) -> Tensor:
    """IoU of each predicted mask with its ground truth: ``[N, H, W]`` x2 -> ``[N]`` (float64).

    .. math:: \\frac{|P \\cap G|}{|P \\cup G|}

    Two empty masks give 0, as two no-boxes do.
    """
    _check_masks(pred_masks, "pred_masks")
    _check_masks(gt_masks, "gt_masks")
    _check_same_shape(pred_masks, gt_masks, "pred_masks and gt_masks")
    intersection = (pred_masks & gt_masks).flatten(1).sum(1).double()
    union = (pred_masks | gt_masks).flatten(1).sum(1).double()
    return intersection / union.clamp_min(1)


def mask_iou_curve(maps: Tensor, masks: Tensor, *, cam_thresholds: Sequence[float] | Tensor | None = None) -> Tensor:
    """Mean over images of :func:`mask_iou` of ``threshold_map(maps, t)`` with ``masks``, per threshold: ``[T]``.

    Per image, the union is :math:`|G| + FP(t)` (the foreground plus the
    background pixels predicted), so one pass over the pixels gives the
    whole curve.
    """
    _check_maps_and_masks(maps, masks)
    thresholds = _as_thresholds(cam_thresholds)
    n = len(maps)
    scores = min_max_normalise(maps.detach()).flatten().contiguous()
    # Group 2i holds image i's background pixels, group 2i + 1 its foreground.
    groups = (torch.arange(n, device=masks.device)[:, None] * 2 + masks.flatten(1).long()).flatten()
    counts = _counts_at_or_above(scores, groups, 2 * n, thresholds).double().view(n, 2, -1)
    false_pos, true_pos = counts[:, 0], counts[:, 1]
    foreground = masks.flatten(1).sum(1).double()[:, None]
    return (true_pos / (foreground + false_pos).clamp_min(1)).mean(0)


def best_mask_iou(
    maps: Tensor, masks: Tensor, *, cam_thresholds: Sequence[float] | Tensor | None = None
) -> tuple[float, float]:
    """``(best mean mask IoU, the threshold that reaches it)``: one threshold for the whole set."""
    thresholds = _as_thresholds(cam_thresholds)
    curve = mask_iou_curve(maps, masks, cam_thresholds=thresholds)
    best = int(curve.argmax())
    return curve[best].item(), thresholds[best].item()


# --- where does the map put its weight? ------------------------------------


def mean_map_by_region(maps: Tensor, masks: Tensor, part_masks: Tensor) -> dict[str, float]:
    """Mean of the min-max normalised maps on the discriminative part, the rest of the object, and the background.

    With :math:`\\tilde M` each map normalised to [0, 1] and the pixels of all
    images pooled per region:

    .. math::
        \\bar M_{\\text{part}} = \\operatorname{mean}_{p \\in \\text{part}} \\tilde M(p), \\quad
        \\bar M_{\\text{rest}} = \\operatorname{mean}_{p \\in \\text{object} \\setminus \\text{part}}
            \\tilde M(p), \\quad
        \\bar M_{\\text{bg}} = \\operatorname{mean}_{p \\notin \\text{object}} \\tilde M(p)

    A map that sees the whole object has ``part`` and ``rest`` both high and
    ``background`` low; one that sees only the discriminative part has
    ``part`` high and ``rest`` close to ``background``.
    """
    _check_maps_and_masks(maps, masks)
    _check_maps_and_masks(maps, part_masks)
    if (part_masks & ~masks).any():
        message = tr("part_masks must lie inside masks (the part is a piece of the object)")
        raise CourseValueError(message)
    norm = min_max_normalise(maps)
    regions = {"part": part_masks, "rest of object": masks & ~part_masks, "background": ~masks}
    return {name: norm[region].double().mean().item() for name, region in regions.items()}

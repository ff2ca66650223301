"""Where is the object? Turning class maps into masks and boxes, and scoring them.

Weakly supervised object localization (WSOL) asks a classifier's class map
where the object is. This module turns maps into masks (threshold), masks
into boxes (connected components), and scores the result with the metrics
of the literature: top-1 and GT-known localization, the pointing game,
MaxBoxAcc / MaxBoxAccV2 and PxAP (Choe et al., "Evaluating Weakly Supervised
Object Localization Methods Right", CVPR 2020).

Conventions, used by every function below:

- **Boxes** are ``(x0, y0, x1, y1)`` in pixel indices, ``x`` the column and
  ``y`` the row, with ``x1`` and ``y1`` *exclusive* (like Python slices:
  the box covers ``mask[y0:y1, x0:x1]``). So a box's area
  ``(x1 - x0) * (y1 - y0)`` is the number of pixels it covers, and the box
  of the single pixel ``(x, y)`` is ``(x, y, x + 1, y + 1)``.
- **No box** is ``(0, 0, 0, 0)``: zero area, so its IoU with any box is 0.
  It is what an empty mask yields, and it never counts as a hit.
- **Masks** are bool tensors ``[N, H, W]``; **maps** are float tensors
  ``[N, H, W]`` at image resolution (callers upsample first, see
  :mod:`course_utils.maps`); ground-truth **boxes** are ``[N, 4]``.
- **Thresholds** apply to the min-max normalised map with ``>=``: at
  threshold ``t`` the mask is :math:`\\tilde M(x, y) \\ge t`. A constant map
  normalises to zeros (see :func:`course_utils.maps.min_max_normalise`).
- **Results** are fractions in [0, 1] (multiply by 100 for the papers' %).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from scipy import ndimage
from torch import Tensor

from course_utils.errors import CourseValueError
from course_utils.maps import min_max_normalise

NO_BOX = (0, 0, 0, 0)

# 8-connectivity: pixels touching at a corner belong to the same component.
# A thin diagonal stroke in a thresholded map is one object, not a string of
# single pixels. The OpenCV contours that Choe et al.'s reference code draws
# boxes around also treat the foreground as 8-connected.
EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)

# For a stack [N, H, W]: the same 3x3 neighbourhood in the middle slice, and
# nothing in the slices before and after, so components never cross from one
# image to the next. One scipy call then labels the whole stack, which is
# far faster than N calls on single images.
EIGHT_CONNECTED_PER_IMAGE = np.stack([np.zeros((3, 3), bool), EIGHT_CONNECTED, np.zeros((3, 3), bool)])


# --- input checks: one readable line saying what was expected ---------------


def _describe(x: object) -> str:
    if isinstance(x, Tensor):
        return f"dtype {x.dtype} and shape {tuple(x.shape)}"
    return f"a {type(x).__name__}"


def _check_maps(maps: Tensor, name: str = "maps") -> None:
    if not isinstance(maps, Tensor) or maps.dim() != 3 or not maps.is_floating_point():
        raise CourseValueError(f"{name} must be a float tensor of shape [N, H, W], got {_describe(maps)}")


def _check_masks(masks: Tensor, name: str = "masks", dims: tuple[int, ...] = (3,)) -> None:
    shape = " or ".join({2: "[H, W]", 3: "[N, H, W]"}[d] for d in dims)
    if not isinstance(masks, Tensor) or masks.dtype != torch.bool or masks.dim() not in dims:
        raise CourseValueError(f"{name} must be a bool tensor of shape {shape}, got {_describe(masks)}")


def _check_boxes(boxes: Tensor, name: str = "boxes") -> None:
    if not isinstance(boxes, Tensor) or boxes.dim() != 2 or boxes.shape[1] != 4 or boxes.dtype == torch.bool:
        raise CourseValueError(f"{name} must be a numeric tensor of shape [N, 4], got {_describe(boxes)}")


def _check_same_shape(a: Tensor, b: Tensor, names: str) -> None:
    if a.shape != b.shape:
        raise CourseValueError(f"{names} must match in shape, got {tuple(a.shape)} and {tuple(b.shape)}")


def _check_same_n(a: Tensor, b: Tensor, names: str) -> None:
    if len(a) != len(b):
        raise CourseValueError(f"{names} must have the same N (one per image), got {len(a)} and {len(b)}")


def _check_fraction(value: float, name: str) -> None:
    if not 0.0 <= float(value) <= 1.0:
        raise CourseValueError(f"{name} must be in [0, 1], got {value}")


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
        raise CourseValueError(f"cam_thresholds must be a non-empty 1-D sequence, got shape {tuple(t.shape)}")
    if (t < 0).any() or (t > 1).any():
        raise CourseValueError(f"cam_thresholds must lie in [0, 1], got values from {t.min().item()} to {t.max().item()}")
    if (t.diff() <= 0).any():
        raise CourseValueError("cam_thresholds must be strictly increasing")
    return t


# --- from map to mask to boxes -----------------------------------------------


def threshold_map(maps: Tensor, threshold: float) -> Tensor:
    """The mask of pixels at or above ``threshold`` of each map's range.

    .. math::
        B(x, y) = [\\tilde M(x, y) \\ge t], \\qquad
        \\tilde M = \\frac{M - \\min M}{\\max M - \\min M}

    ``maps`` is ``[..., H, W]``; each map is normalised on its own, and a
    constant map becomes zeros, so its mask is all True at ``t = 0`` and all
    False above.
    """
    if not isinstance(maps, Tensor) or maps.dim() < 2 or not maps.is_floating_point():
        raise CourseValueError(f"maps must be a float tensor of shape [..., H, W], got {_describe(maps)}")
    _check_fraction(threshold, "threshold")
    return min_max_normalise(maps) >= threshold


def connected_components(mask: Tensor) -> tuple[Tensor, int]:
    """Label the 8-connected components of a mask ``[H, W]`` (or of each mask in ``[N, H, W]``).

    Returns ``(labels, count)``: ``labels`` has the mask's shape, 0 on
    background and ``1..count`` on the components (scipy numbers them in
    raster order, the order in which a row-by-row scan first meets them).
    For a stack the numbering runs on across images, and no component
    crosses from one image to the next.
    """
    _check_masks(mask, "mask", dims=(2, 3))
    labels, count = _label(mask.cpu().numpy())
    return torch.from_numpy(labels).long(), count


def _label(mask: np.ndarray) -> tuple[np.ndarray, int]:
    structure = EIGHT_CONNECTED if mask.ndim == 2 else EIGHT_CONNECTED_PER_IMAGE
    labels, count = ndimage.label(mask, structure=structure)
    return labels, int(count)


def component_boxes(masks: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Box, pixel count and image index of every 8-connected component in ``masks [N, H, W]``.

    A single mask ``[H, W]`` is treated as a stack of one.

    Returns ``(boxes [K, 4], sizes [K], image [K])`` for the ``K`` components
    of the whole stack, in label order (raster order, image by image).
    """
    _check_masks(masks, dims=(2, 3))
    masks = masks if masks.dim() == 3 else masks[None]
    boxes, sizes, image = _component_boxes(masks.cpu().numpy())
    return torch.from_numpy(boxes), torch.from_numpy(sizes), torch.from_numpy(image)


def _component_boxes(masks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The work of :func:`component_boxes`, on a numpy bool array ``[N, H, W]``.

    A component is a union of *runs*: maximal stretches of True pixels in one
    row, each inside exactly one component. Its box is spanned by its runs:
    ``x0`` the leftmost run start, ``x1`` the rightmost run stop (exclusive),
    ``y0`` and ``y1`` the first and last row (+1); its size is the sum of run
    lengths. A map has far fewer runs than pixels, so reducing over runs is
    cheap. This stays in numpy because scipy labels numpy arrays, and small
    numpy reductions carry no threading overhead.
    """
    n, h, w = masks.shape
    # A False pixel at both ends of every row, so each run has a visible start and stop.
    padded = np.zeros((n, h, w + 2), dtype=bool)
    padded[:, :, 1:-1] = masks
    labels, count = _label(padded)
    # Read as one long line, the padded stack changes value exactly at run boundaries (the False
    # pixels keep runs from spilling into the next row), alternating start, stop, start, stop, ...
    flat = padded.ravel()
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1  # index of the first pixel after each change
    start, stop = change[0::2], change[1::2]  # first True pixel of a run, first False one after it
    row_index, x_start = np.divmod(start, w + 2)  # row_index counts rows across the whole stack
    x_start -= 1  # padded column -> image column
    x_stop = stop - row_index * (w + 2) - 1  # exclusive, in image columns
    image, row = np.divmod(row_index, h)
    component = labels.ravel()[start].astype(np.intp) - 1

    boxes = np.empty((count, 4), dtype=np.int64)
    for column, ufunc, init, values in (
        (0, np.minimum, w, x_start),
        (1, np.minimum, h, row),
        (2, np.maximum, 0, x_stop),
        (3, np.maximum, 0, row + 1),
    ):
        reduced = np.full(count, init, dtype=np.int64)
        ufunc.at(reduced, component, values)
        boxes[:, column] = reduced
    sizes = np.bincount(component, weights=x_stop - x_start, minlength=count).astype(np.int64)
    component_image = np.zeros(count, dtype=np.int64)
    component_image[component] = image  # every run of a component writes the same image index
    return boxes, sizes, component_image


def _largest_per_image(sizes: np.ndarray, image: np.ndarray, n: int) -> np.ndarray:
    """Index of the largest component of each image that has one (ties: the first in raster order)."""
    # One key orders by size, then by earlier label: size * K + (K - 1 - label).
    k = len(sizes)
    key = sizes * k + (k - 1 - np.arange(k))
    best = np.full(n, -1, dtype=np.int64)
    np.maximum.at(best, image, key)
    return np.flatnonzero(key == best[image])


def mask_to_boxes(mask: Tensor, *, multi_contour: bool = True) -> Tensor:
    """Boxes ``[K, 4]`` (int64) of the 8-connected components of one mask ``[H, W]``.

    ``multi_contour=True`` gives every component's box, in raster order;
    ``False`` only the box of the largest component (most pixels; ties go
    to the first in raster order), as ``[1, 4]``. An empty mask gives
    ``[[0, 0, 0, 0]]``, the no-box, so every mask has at least one
    prediction and the best IoU over its boxes is always defined (and 0).
    """
    _check_masks(mask, "mask", dims=(2,))
    boxes, sizes, _ = _component_boxes(mask[None].cpu().numpy())
    if len(boxes) == 0:
        return torch.tensor([NO_BOX], dtype=torch.int64)
    if not multi_contour:
        boxes = boxes[_largest_per_image(sizes, np.zeros(len(sizes), np.int64), 1)]
    return torch.from_numpy(boxes)


def largest_box(mask: Tensor) -> Tensor:
    """Box ``[4]`` of the largest 8-connected component of ``mask [H, W]``; ``(0, 0, 0, 0)`` if empty."""
    return mask_to_boxes(mask, multi_contour=False)[0]


def box_of_mask(mask: Tensor) -> Tensor:
    """Tight box around *all* True pixels: ``[H, W] -> [4]`` or ``[N, H, W] -> [N, 4]`` (int64).

    Meant for ground-truth masks, where the object may be in several pieces
    but is one object. An empty mask gives ``(0, 0, 0, 0)``.
    """
    _check_masks(mask, "mask", dims=(2, 3))
    rows, cols = mask.any(-1), mask.any(-2)  # [..., H] and [..., W]

    def first_and_stop(line: Tensor) -> tuple[Tensor, Tensor]:
        length = line.shape[-1]
        first = line.to(torch.uint8).argmax(-1)  # argmax returns the first True
        stop = length - line.flip(-1).to(torch.uint8).argmax(-1)
        empty = ~line.any(-1)
        return first.masked_fill(empty, 0), stop.masked_fill(empty, 0)

    x0, x1 = first_and_stop(cols)
    y0, y1 = first_and_stop(rows)
    return torch.stack([x0, y0, x1, y1], dim=-1)


# --- box overlap ---------------------------------------------------------------


def _check_box_pair(boxes: Tensor, name: str) -> None:
    if not isinstance(boxes, Tensor) or boxes.dim() == 0 or boxes.shape[-1] != 4 or boxes.dtype == torch.bool:
        raise CourseValueError(f"{name} must be a numeric tensor of shape [..., 4], got {_describe(boxes)}")
    if (boxes[..., 2] < boxes[..., 0]).any() or (boxes[..., 3] < boxes[..., 1]).any():
        raise CourseValueError(f"{name} must satisfy x0 <= x1 and y0 <= y1 in every (x0, y0, x1, y1)")


def box_area(boxes: Tensor) -> Tensor:
    """Pixels covered by each box ``[..., 4]``: :math:`(x_1 - x_0)(y_1 - y_0)`."""
    boxes = boxes.double()
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def box_iou(boxes_a: Tensor, boxes_b: Tensor) -> Tensor:
    """Intersection over union of boxes ``[..., 4]``, broadcast like ``+`` (float64).

    .. math::
        \\mathrm{IoU}(A, B) = \\frac{|A \\cap B|}{|A| + |B| - |A \\cap B|}

    Elementwise for two ``[N, 4]`` (result ``[N]``); pairwise with
    ``box_iou(a[:, None], b[None])`` (result ``[N, M]``). The same matrix as
    ``torchvision.ops.box_iou``: with exclusive ``x1, y1`` the width of a box
    is ``x1 - x0``, the continuous-coordinate formula torchvision uses. Unlike
    torchvision, two zero-area boxes give IoU 0, not NaN (0/0). float64
    keeps ratios such as 7/10 equal to the literal ``0.7``, so a box exactly
    at an IoU threshold counts as a hit.
    """
    _check_box_pair(boxes_a, "boxes_a")
    _check_box_pair(boxes_b, "boxes_b")
    a, b = boxes_a.double(), boxes_b.double()
    width = (torch.minimum(a[..., 2], b[..., 2]) - torch.maximum(a[..., 0], b[..., 0])).clamp_min(0)
    height = (torch.minimum(a[..., 3], b[..., 3]) - torch.maximum(a[..., 1], b[..., 1])).clamp_min(0)
    intersection = width * height
    union = box_area(a) + box_area(b) - intersection
    # Where the union is empty the intersection is too: 0 / 1 = 0 instead of 0 / 0.
    return intersection / torch.where(union > 0, union, torch.ones_like(union))


# --- one box per image: top-1 and GT-known localization ------------------------


def gt_known_loc(pred_boxes: Tensor, gt_boxes: Tensor, iou_threshold: float = 0.5) -> float:
    """GT-known localization: fraction of images whose box has IoU >= ``iou_threshold``.

    The class is taken as known (the map of the true class is used), so only
    the box is judged: :math:`\\frac{1}{N} \\sum_i [\\mathrm{IoU}(\\hat b_i, b_i) \\ge \\delta]`.
    """
    _check_boxes(pred_boxes, "pred_boxes")
    _check_boxes(gt_boxes, "gt_boxes")
    _check_same_shape(pred_boxes, gt_boxes, "pred_boxes and gt_boxes")
    _check_fraction(iou_threshold, "iou_threshold")
    return (box_iou(pred_boxes, gt_boxes) >= iou_threshold).double().mean().item()


def top1_loc(
    pred_labels: Tensor, labels: Tensor, pred_boxes: Tensor, gt_boxes: Tensor, iou_threshold: float = 0.5
) -> float:
    """Top-1 localization: fraction of images with the right class *and* IoU >= ``iou_threshold``.

    .. math::
        \\frac{1}{N} \\sum_i [\\hat y_i = y_i] \\, [\\mathrm{IoU}(\\hat b_i, b_i) \\ge \\delta]

    Never above the classification accuracy nor above GT-known localization.
    """
    _check_boxes(pred_boxes, "pred_boxes")
    _check_boxes(gt_boxes, "gt_boxes")
    _check_same_shape(pred_boxes, gt_boxes, "pred_boxes and gt_boxes")
    for name, x in (("pred_labels", pred_labels), ("labels", labels)):
        if not isinstance(x, Tensor) or x.shape != (len(pred_boxes),):
            raise CourseValueError(f"{name} must be a tensor of shape [{len(pred_boxes)}], got {_describe(x)}")
    _check_fraction(iou_threshold, "iou_threshold")
    hit = (pred_labels == labels) & (box_iou(pred_boxes, gt_boxes) >= iou_threshold)
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
        raise CourseValueError(f"peak_tolerance must be in [0, 1), got {peak_tolerance}")
    flat = maps.detach().double().flatten(1)  # float64: the cut itself adds no rounding
    top, bottom = flat.amax(1, keepdim=True), flat.amin(1, keepdim=True)
    return (flat >= top - peak_tolerance * (top - bottom)).view(maps.shape)


def pixels_near(masks: Tensor, tolerance: int) -> Tensor:
    """Pixels within ``tolerance`` pixels (Euclidean) of each mask ``[N, H, W]``; 0 gives the mask itself."""
    _check_masks(masks)
    if int(tolerance) != tolerance or tolerance < 0:
        raise CourseValueError(f"tolerance must be a non-negative whole number of pixels, got {tolerance}")
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


# --- box accuracy over CAM thresholds: MaxBoxAcc and MaxBoxAccV2 -----------------


def box_ious_at_thresholds(
    maps: Tensor,
    boxes: Tensor,
    *,
    cam_thresholds: Sequence[float] | Tensor | None = None,
    multi_contour: bool = True,
) -> Tensor:
    """Best IoU of each image's predicted boxes with its box, at each threshold: ``[T, N]`` (float64).

    At threshold :math:`t` the mask :math:`\\tilde M_i \\ge t` of image
    :math:`i` is split into 8-connected components; with
    ``multi_contour=True`` the entry is the best IoU over all their boxes,
    with ``False`` the IoU of the largest component's box. An empty mask
    scores 0 (the no-box).

    All images are labelled in one scipy call per threshold (see
    ``EIGHT_CONNECTED_PER_IMAGE``), and boxes come from row runs (see
    :func:`component_boxes`): 1,000 maps of 64x64 at 100 thresholds take
    about a second. Need both kinds? :func:`box_ious_both_ways` labels once.
    """
    way = "every" if multi_contour else "largest"
    return _box_ious(maps, boxes, cam_thresholds, (way,))[way]


def box_ious_both_ways(
    maps: Tensor,
    boxes: Tensor,
    *,
    cam_thresholds: Sequence[float] | Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """``(every, largest)``: :func:`box_ious_at_thresholds` with ``multi_contour=True`` and ``False``.

    The labelling, the costly step, is shared, so this takes about half the
    time of two separate calls (MaxBoxAccV2 uses every component's box, the
    original MaxBoxAcc only the largest one's).
    """
    ious = _box_ious(maps, boxes, cam_thresholds, ("every", "largest"))
    return ious["every"], ious["largest"]


def _box_ious(
    maps: Tensor, boxes: Tensor, cam_thresholds: Sequence[float] | Tensor | None, ways: tuple[str, ...]
) -> dict[str, Tensor]:
    """The work of :func:`box_ious_at_thresholds`, for each of ``ways``: ``"every"`` component, the ``"largest"``."""
    _check_maps(maps)
    _check_boxes(boxes)
    _check_same_n(maps, boxes, "maps and boxes")
    thresholds = _as_thresholds(cam_thresholds)
    n = len(maps)
    normalised = min_max_normalise(maps.detach()).cpu().numpy()
    gt = boxes.detach().double().cpu().numpy()
    results = {way: torch.zeros(len(thresholds), n, dtype=torch.float64) for way in ways}
    for k, t in enumerate(thresholds.tolist()):
        # A Python float keeps numpy comparing in the maps' dtype, exactly like threshold_map.
        component, sizes, image = _component_boxes(normalised >= t)
        for way, ious in results.items():
            keep = slice(None) if way == "every" else _largest_per_image(sizes, image, n)
            # Gathering and converting in numpy keeps these small steps off torch's thread pool.
            iou = box_iou(torch.from_numpy(component[keep].astype(np.float64)),
                          torch.from_numpy(gt[image[keep]])).numpy()
            best = np.zeros(n)  # images without a component keep 0: the no-box
            np.maximum.at(best, image[keep], iou)
            ious[k] = torch.from_numpy(best)
    return results


def box_accuracy_table(
    maps: Tensor,
    boxes: Tensor,
    *,
    cam_thresholds: Sequence[float] | Tensor | None = None,
    iou_thresholds: Sequence[float] = (0.3, 0.5, 0.7),
    multi_contour: bool = True,
) -> Tensor:
    """Box accuracy at every (IoU threshold, CAM threshold) pair: ``[len(iou_thresholds), T]``.

    .. math::
        \\mathrm{BoxAcc}(t, \\delta) = \\frac{1}{N} \\sum_i
        \\big[\\max_{\\hat b \\in \\hat B_i(t)} \\mathrm{IoU}(\\hat b, b_i) \\ge \\delta\\big]

    where :math:`\\hat B_i(t)` are the component boxes of
    :math:`\\tilde M_i \\ge t` (all of them with ``multi_contour``, else the
    largest). Row ``l`` is the curve to plot for ``iou_thresholds[l]``; the
    best CAM threshold is ``cam_thresholds[table[l].argmax()]``.
    """
    _check_iou_levels(iou_thresholds)
    ious = box_ious_at_thresholds(maps, boxes, cam_thresholds=cam_thresholds, multi_contour=multi_contour)
    return box_accuracy_from_ious(ious, iou_thresholds)


def _check_iou_levels(iou_thresholds: Sequence[float]) -> None:
    if len(iou_thresholds) == 0:
        raise CourseValueError("iou_thresholds must name at least one IoU level, e.g. (0.3, 0.5, 0.7)")
    for value in iou_thresholds:
        _check_fraction(value, "each of iou_thresholds")


def box_accuracy_from_ious(ious: Tensor, iou_thresholds: Sequence[float] = (0.3, 0.5, 0.7)) -> Tensor:
    """The box-accuracy table ``[len(iou_thresholds), T]`` from IoUs already computed.

    ``ious`` is :func:`box_ious_at_thresholds`'s ``[T, N]``; the labelling
    behind it is the costly step, so a notebook computes it once and derives
    every table (other IoU levels, subsets of scenes ``ious[:, :k]``) from it.
    """
    _check_iou_levels(iou_thresholds)
    if not isinstance(ious, Tensor) or ious.dim() != 2:
        raise CourseValueError(f"ious must be a tensor [T, N] from box_ious_at_thresholds, got {_describe(ious)}")
    levels = torch.tensor(list(iou_thresholds), dtype=torch.float64)
    return (ious.double()[None] >= levels[:, None, None]).double().mean(-1)


def box_accuracy_curve(
    maps: Tensor,
    boxes: Tensor,
    *,
    cam_thresholds: Sequence[float] | Tensor | None = None,
    iou_threshold: float = 0.5,
    multi_contour: bool = True,
) -> Tensor:
    """Box accuracy at each CAM threshold for one IoU threshold: ``[T]`` (see :func:`box_accuracy_table`)."""
    table = box_accuracy_table(
        maps, boxes, cam_thresholds=cam_thresholds, iou_thresholds=(iou_threshold,), multi_contour=multi_contour
    )
    return table[0]


def max_box_acc(
    maps: Tensor,
    boxes: Tensor,
    *,
    cam_thresholds: Sequence[float] | Tensor | None = None,
    iou_thresholds: Sequence[float] = (0.3, 0.5, 0.7),
    multi_contour: bool = True,
) -> float:
    """MaxBoxAccV2 by default: the best threshold's box accuracy, averaged over IoU levels.

    .. math::
        \\mathrm{MaxBoxAccV2} = \\frac{1}{|D|} \\sum_{\\delta \\in D} \\max_t \\mathrm{BoxAcc}(t, \\delta),
        \\qquad D = \\{0.3, 0.5, 0.7\\}

    The best threshold is chosen per IoU level over the whole set, not per
    image. ``iou_thresholds=(0.5,), multi_contour=False`` gives the original
    MaxBoxAcc of Choe et al. (largest component, IoU 0.5). Because each map
    is min-max normalised first, the result does not change if a map is
    scaled by a positive factor or shifted.
    """
    table = box_accuracy_table(
        maps, boxes, cam_thresholds=cam_thresholds, iou_thresholds=iou_thresholds, multi_contour=multi_contour
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


def _check_maps_and_masks(maps: Tensor, masks: Tensor) -> None:
    _check_maps(maps)
    _check_masks(masks)
    _check_same_shape(maps, masks, "maps and masks")


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
        raise CourseValueError("masks must contain at least one True pixel: recall is undefined without foreground")
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
        \\bar M_{\\text{rest}} = \\operatorname{mean}_{p \\in \\text{object} \\setminus \\text{part}} \\tilde M(p), \\quad
        \\bar M_{\\text{bg}} = \\operatorname{mean}_{p \\notin \\text{object}} \\tilde M(p)

    A map that sees the whole object has ``part`` and ``rest`` both high and
    ``background`` low; one that sees only the discriminative part has
    ``part`` high and ``rest`` close to ``background``.
    """
    _check_maps_and_masks(maps, masks)
    _check_maps_and_masks(maps, part_masks)
    if (part_masks & ~masks).any():
        raise CourseValueError("part_masks must lie inside masks (the part is a piece of the object)")
    norm = min_max_normalise(maps)
    regions = {"part": part_masks, "rest of object": masks & ~part_masks, "background": ~masks}
    return {name: norm[region].double().mean().item() for name, region in regions.items()}

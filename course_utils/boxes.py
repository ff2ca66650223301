"""Box geometry: from a class map to a mask, from a mask to boxes, and how much two boxes overlap.

The steps of weakly supervised localization before any scoring: threshold
a map (:func:`threshold_map`), split the mask into 8-connected components
(:func:`connected_components`, :func:`component_boxes`), box them
(:func:`mask_to_boxes`, :func:`largest_box`, :func:`box_of_mask`) and
measure overlap (:func:`box_area`, :func:`box_iou`,
:func:`best_iou_per_image`, against one or several true boxes per image,
read by :func:`as_box_sets`). :mod:`course_utils.localization` scores the
results.

Conventions, used by every function below:

- **Boxes** are ``(x0, y0, x1, y1)`` in pixel indices, ``x`` the column and
  ``y`` the row, with ``x1`` and ``y1`` *exclusive* (like Python slices:
  the box covers ``mask[y0:y1, x0:x1]``). So a box's area
  ``(x1 - x0) * (y1 - y0)`` is the number of pixels it covers, and the box
  of the single pixel ``(x, y)`` is ``(x, y, x + 1, y + 1)``.
- **No box** is :data:`NO_BOX` ``(0, 0, 0, 0)``: zero area, so its IoU with
  any box is 0. It is what an empty mask yields, and it never counts as a hit.
- **Another convention**, for comparing with published numbers only:
  ``convention="wsolevaluation"`` in :func:`box_area`, :func:`box_iou` and
  the functions built on them measures the same corners the way Choe et
  al.'s public wsolevaluation code does (see :data:`BOX_CONVENTIONS`).
- **Masks** are bool tensors ``[H, W]`` or ``[N, H, W]``; **maps** are float
  tensors at image resolution (callers upsample first, see
  :mod:`course_utils.maps`).
- **Thresholds** apply to the min-max normalised map with ``>=``: at
  threshold ``t`` the mask is :math:`\\tilde M(x, y) \\ge t`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy import ndimage
from torch import Tensor

from course_utils.checks import check_box_coordinates, check_fraction, check_masks, describe
from course_utils.errors import CourseValueError
from course_utils.language import tr
from course_utils.maps import min_max_normalise

NO_BOX = (0, 0, 0, 0)

BOX_CONVENTIONS = ("exclusive", "wsolevaluation")
"""How a box's corners are turned into widths, heights and areas.

- ``"exclusive"`` (the course's, and torchvision's): the width of
  ``(x0, y0, x1, y1)`` is ``x1 - x0``, the pixels the box covers.
- ``"wsolevaluation"``: the width is ``x1 - x0 + 1``, for the box and for
  the overlap of two boxes. Choe et al.'s public evaluation code
  (``calculate_multiple_iou``) counts this way although the boxes it builds
  from a mask end one pixel *after* the component, as ours do; so every box
  is scored one pixel wider and taller than it is. Its no-box
  ``(0, 0, 0, 0)`` then covers the pixel ``(0, 0)``. Notebook 04 measures
  what the convention does to MaxBoxAccV2.
"""

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
        message = tr("maps must be a float tensor of shape [..., H, W], got {got}")
        raise CourseValueError(message.format(got=describe(maps)))
    check_fraction(threshold, "threshold")
    return min_max_normalise(maps) >= threshold


def connected_components(mask: Tensor) -> tuple[Tensor, int]:
    """Label the 8-connected components of a mask ``[H, W]`` (or of each mask in ``[N, H, W]``).

    Returns ``(labels, count)``: ``labels`` has the mask's shape, 0 on
    background and ``1..count`` on the components (scipy numbers them in
    raster order, the order in which a row-by-row scan first meets them).
    For a stack the numbering runs on across images, and no component
    crosses from one image to the next.
    """
    check_masks(mask, "mask", dims=(2, 3))
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
    check_masks(masks, dims=(2, 3))
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
    check_masks(mask, "mask", dims=(2,))
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
    check_masks(mask, "mask", dims=(2, 3))
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


def extra_pixel(convention: str) -> int:
    """What ``convention`` adds to ``x1 - x0`` to make a width: 0 or 1 (:data:`BOX_CONVENTIONS`).

    An unknown convention is a clear error.
    """
    if not isinstance(convention, str) or convention not in BOX_CONVENTIONS:
        message = tr("convention must be one of {conventions}, got {convention}")
        message = message.format(conventions=BOX_CONVENTIONS, convention=repr(convention))
        raise CourseValueError(message)
    return BOX_CONVENTIONS.index(convention)


def box_area(boxes: Tensor, *, convention: str = "exclusive") -> Tensor:
    """Pixels covered by each box ``[..., 4]``: :math:`(x_1 - x_0)(y_1 - y_0)`.

    With ``convention="wsolevaluation"``: :math:`(x_1 - x_0 + 1)(y_1 - y_0 + 1)`.
    """
    extra = extra_pixel(convention)
    boxes = boxes.double()
    return (boxes[..., 2] - boxes[..., 0] + extra) * (boxes[..., 3] - boxes[..., 1] + extra)


def box_iou(boxes_a: Tensor, boxes_b: Tensor, *, convention: str = "exclusive") -> Tensor:
    """Intersection over union of boxes ``[..., 4]``, broadcast like ``+`` (float64).

    .. math::
        \\mathrm{IoU}(A, B) = \\frac{|A \\cap B|}{|A| + |B| - |A \\cap B|}, \\qquad
        |A \\cap B| = w_\\cap h_\\cap, \\quad
        w_\\cap = \\max\\big(0, \\min(x_1, x_1') - \\max(x_0, x_0') + e\\big)

    with :math:`e = 0` for the course's exclusive corners (the default) and
    :math:`e = 1` for ``convention="wsolevaluation"`` (see
    :data:`BOX_CONVENTIONS`), the same :math:`e` in every width and height.
    Elementwise for two ``[N, 4]`` (result ``[N]``); pairwise with
    ``box_iou(a[:, None], b[None])`` (result ``[N, M]``). The same matrix as
    ``torchvision.ops.box_iou``: with exclusive ``x1, y1`` the width of a box
    is ``x1 - x0``, the continuous-coordinate formula torchvision uses. Unlike
    torchvision, two zero-area boxes give IoU 0, not NaN (0/0). float64
    keeps ratios such as 7/10 equal to the literal ``0.7``, so a box exactly
    at an IoU threshold counts as a hit. Example: ``(0, 0, 2, 2)`` and
    ``(1, 1, 3, 3)`` share one pixel of 4 + 4 - 1: IoU 1/7; counted the
    wsolevaluation way they share 2 x 2 of 9 + 9 - 4: IoU 2/7.
    """
    extra = extra_pixel(convention)
    check_box_coordinates(boxes_a, "boxes_a")
    check_box_coordinates(boxes_b, "boxes_b")
    a, b = boxes_a.double(), boxes_b.double()
    width = torch.minimum(a[..., 2], b[..., 2]) - torch.maximum(a[..., 0], b[..., 0])
    height = torch.minimum(a[..., 3], b[..., 3]) - torch.maximum(a[..., 1], b[..., 1])
    width, height = (width + extra).clamp_min(0), (height + extra).clamp_min(0)
    intersection = width * height
    union = box_area(a, convention=convention) + box_area(b, convention=convention) - intersection
    # Where the union is empty the intersection is too: 0 / 1 = 0 instead of 0 / 0.
    return intersection / torch.where(union > 0, union, torch.ones_like(union))




@dataclass(frozen=True)
class BoxSets:
    """Ground-truth boxes of ``n`` images, any number (at least one) per image, stored flat.

    ``boxes [M, 4]`` are all images' boxes together, ``image [M]`` says which
    image each belongs to (non-decreasing: image 0's boxes first), and
    ``one_per_image`` is True when every image has exactly one box, so that
    image ``i``'s box is ``boxes[i]`` (then pairing predictions with boxes is
    a plain gather).
    """

    boxes: Tensor
    image: Tensor
    n: int
    one_per_image: bool

    @property
    def counts(self) -> Tensor:
        """Number of ground-truth boxes of each image: ``[n]``."""
        return torch.bincount(self.image, minlength=self.n)


def _box_forms_message(name: str, gt_boxes: object) -> str:
    """The error for ground-truth boxes in none of the three accepted forms."""
    message = tr(
        "{name} must be a tensor [N, 4], a padded tensor [N, K, 4] with gt_counts, "
        "or a list of [K_i, 4] tensors, got {got}"
    )
    return message.format(name=name, got=describe(gt_boxes))


def as_box_sets(gt_boxes: Tensor | Sequence[Tensor] | BoxSets, gt_counts: Tensor | Sequence[int] | None = None,
                name: str = "gt_boxes") -> BoxSets:
    """Read one or several ground-truth boxes per image into :class:`BoxSets`.

    Three forms are accepted, for ``N`` images:

    - a tensor ``[N, 4]``: one box per image (the course's single-object scenes);
    - a list of ``N`` tensors, the ``i``-th ``[K_i, 4]`` (or ``[4]`` for one box);
    - a padded tensor ``[N, K, 4]`` with ``gt_counts [N]``: image ``i``'s boxes are
      ``gt_boxes[i, :gt_counts[i]]``, the rest is padding and is ignored
      (without ``gt_counts`` all ``K`` rows count).

    Every image needs at least one box (:math:`K_i \\ge 1`): the best IoU of
    an image without an object is undefined, and wsolevaluation, like this
    function, has none.
    """
    if isinstance(gt_boxes, BoxSets):
        return gt_boxes
    if isinstance(gt_boxes, Tensor):
        if gt_boxes.dim() == 2 and gt_counts is None and gt_boxes.shape[-1] == 4:
            check_box_coordinates(gt_boxes, name)
            n = len(gt_boxes)
            return BoxSets(gt_boxes, torch.arange(n, device=gt_boxes.device), n, True)
        if gt_boxes.dim() != 3 or gt_boxes.shape[-1] != 4 or gt_boxes.dtype == torch.bool:
            raise CourseValueError(_box_forms_message(name, gt_boxes))
        n, k = gt_boxes.shape[:2]
        if gt_counts is None:
            counts = torch.full((n,), k, dtype=torch.int64)
        else:
            counts = torch.as_tensor(gt_counts)
            if counts.shape != (n,) or counts.is_floating_point() or counts.dtype == torch.bool:
                message = tr("gt_counts must be whole numbers, one per image ([{n}]), got {got}")
                raise CourseValueError(message.format(n=n, got=describe(counts)))
        if ((counts < 1) | (counts > k)).any():
            message = tr(
                "gt_counts must lie between 1 and {k} (the padded length): every image needs "
                "at least one box, got values from {low} to {high}"
            )
            raise CourseValueError(
                message.format(k=k, low=counts.min().item(), high=counts.max().item())
            )
        keep = torch.arange(k)[None, :] < counts.cpu()[:, None]  # [N, K]: real boxes, not padding
        boxes = gt_boxes[keep.to(gt_boxes.device)]
        check_box_coordinates(boxes, name)
        image = torch.arange(n)[:, None].expand(n, k)[keep].to(gt_boxes.device)
        return BoxSets(boxes, image, n, bool((counts == 1).all()))
    if gt_counts is not None:
        raise CourseValueError(tr(
            "gt_counts goes with a padded tensor [N, K, 4]; a list already says how many "
            "boxes each image has"
        ))
    if isinstance(gt_boxes, (str, bytes)) or not isinstance(gt_boxes, Sequence):
        raise CourseValueError(_box_forms_message(name, gt_boxes))
    pieces = []
    for i, item in enumerate(gt_boxes):
        b = torch.as_tensor(item)
        b = b[None] if b.dim() == 1 else b
        if b.dim() != 2 or b.shape[-1] != 4 or b.dtype == torch.bool or len(b) == 0:
            message = tr(
                "{name}[{i}] must hold at least one box, as a tensor [K, 4] (or [4]) with "
                "K >= 1, got {got}"
            )
            raise CourseValueError(message.format(name=name, i=i, got=describe(b)))
        check_box_coordinates(b, f"{name}[{i}]")
        pieces.append(b)
    if not pieces:
        message = tr("{name} is an empty list: give one [K_i, 4] tensor per image")
        raise CourseValueError(message.format(name=name))
    counts = torch.tensor([len(b) for b in pieces])
    boxes = torch.cat(pieces)
    image = torch.repeat_interleave(torch.arange(len(pieces)), counts).to(boxes.device)
    return BoxSets(boxes, image, len(pieces), bool((counts == 1).all()))


def best_iou_per_image(
    pred_boxes: Tensor,
    pred_image: Tensor,
    gt_boxes: Tensor | Sequence[Tensor] | BoxSets,
    gt_counts: Tensor | Sequence[int] | None = None,
    *,
    convention: str = "exclusive",
) -> Tensor:
    """Best IoU of each image's predicted boxes with its ground-truth box(es): ``[N]`` (float64).

    .. math::
        \\mathrm{best}_i = \\max_{\\hat b \\in \\hat B_i} \\; \\max_{b \\in G_i} \\mathrm{IoU}(\\hat b, b)

    ``pred_boxes [K, 4]`` are the boxes of all images together, ``pred_image
    [K]`` says which image each belongs to. ``gt_boxes`` holds the set
    :math:`G_i` of each image: one box per image as ``[N, 4]``, or several,
    in any form :func:`as_box_sets` reads (a list of ``[K_i, 4]``, or a padded
    ``[N, K, 4]`` with ``gt_counts``); the maximum over both sets is what
    Choe et al.'s wsolevaluation scores. An image without a predicted box
    scores 0, as the no-box would. ``convention`` is :func:`box_iou`'s.
    """
    sets = as_box_sets(gt_boxes, gt_counts)
    best = torch.zeros(sets.n, dtype=torch.float64, device=pred_boxes.device)
    if sets.one_per_image:
        # index_select, not gt[pred_image]: advanced indexing wakes torch's thread pool, which costs more
        # than this tiny gather (on a busy 2-core machine, 4 ms against 0.1 ms, per threshold).
        # [K]: each box against its image's box
        iou = box_iou(pred_boxes, sets.boxes.index_select(0, pred_image), convention=convention)
        return best.scatter_reduce_(0, pred_image, iou, reduce="amax")
    # Several boxes: pair every predicted box with every ground-truth box of its image. The boxes of
    # image i are rows first[i] .. first[i] + count[i] - 1 of the flat tensor (sorted by image).
    order = sets.image.argsort(stable=True)
    gt, gt_image = sets.boxes[order], sets.image[order]
    count = torch.bincount(gt_image, minlength=sets.n)
    first = count.cumsum(0) - count
    per_pred = count[pred_image]  # how many pairs each predicted box makes
    pair_pred = torch.repeat_interleave(torch.arange(len(pred_boxes), device=pred_boxes.device), per_pred)
    offset = torch.arange(len(pair_pred), device=pred_boxes.device) - torch.repeat_interleave(
        per_pred.cumsum(0) - per_pred, per_pred)
    pair_gt = first[pred_image][pair_pred] + offset
    iou = box_iou(pred_boxes[pair_pred], gt[pair_gt], convention=convention)
    return best.scatter_reduce_(0, pred_image[pair_pred], iou, reduce="amax")


def largest_of_each_image(sizes: Tensor, image: Tensor, n: int) -> Tensor:
    """Indices of the largest component of each of ``n`` images that has one (ties: the first in raster order).

    ``sizes`` and ``image`` are :func:`component_boxes`' pixel counts and
    image indices; the result indexes its boxes.
    """
    return torch.from_numpy(_largest_per_image(sizes.numpy(), image.numpy(), n))

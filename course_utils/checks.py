"""Checks on the tensors a learner passes in: one readable line saying what was expected.

Shared by :mod:`course_utils.boxes`, :mod:`course_utils.localization`,
:mod:`course_utils.plots` and :mod:`course_utils.widgets`, so that the same
mistake reads the same everywhere. Each check raises
:class:`~course_utils.errors.CourseValueError` (which a notebook shows as one
line naming the function called) and returns nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from course_utils.errors import CourseValueError
from course_utils.language import tr


def describe(x: object) -> str:
    """What was passed, for an error message: ``dtype torch.float32 and shape (4, 64)``, or ``a list``."""
    if isinstance(x, Tensor):
        return tr("dtype {dtype} and shape {shape}").format(dtype=x.dtype, shape=tuple(x.shape))
    return tr("a {type}").format(type=type(x).__name__)


def check_maps(maps: Tensor, name: str = "maps") -> None:
    """A float tensor ``[N, H, W]``."""
    if not isinstance(maps, Tensor) or maps.dim() != 3 or not maps.is_floating_point():
        message = tr("{name} must be a float tensor of shape [N, H, W], got {got}")
        raise CourseValueError(message.format(name=name, got=describe(maps)))


def check_masks(masks: Tensor, name: str = "masks", dims: tuple[int, ...] = (3,)) -> None:
    """A bool tensor with one of ``dims`` dimensions: ``[H, W]`` (2) or ``[N, H, W]`` (3)."""
    shape = tr(" or ").join({2: "[H, W]", 3: "[N, H, W]"}[d] for d in dims)
    if not isinstance(masks, Tensor) or masks.dtype != torch.bool or masks.dim() not in dims:
        message = tr("{name} must be a bool tensor of shape {shape}, got {got}")
        raise CourseValueError(message.format(name=name, shape=shape, got=describe(masks)))


def check_maps_and_masks(maps: Tensor, masks: Tensor) -> None:
    """Float maps and bool masks, both ``[N, H, W]`` and of the same shape."""
    check_maps(maps)
    check_masks(masks)
    check_same_shape(maps, masks, "maps and masks")


def check_boxes(boxes: Tensor, name: str = "boxes") -> None:
    """One box per image: a numeric tensor ``[N, 4]``."""
    if not isinstance(boxes, Tensor) or boxes.dim() != 2 or boxes.shape[1] != 4 or boxes.dtype == torch.bool:
        message = tr("{name} must be a numeric tensor of shape [N, 4], got {got}")
        raise CourseValueError(message.format(name=name, got=describe(boxes)))


def check_box_coordinates(boxes: Tensor, name: str) -> None:
    """Boxes ``[..., 4]`` whose corners are in order: ``x0 <= x1`` and ``y0 <= y1``."""
    if not isinstance(boxes, Tensor) or boxes.dim() == 0 or boxes.shape[-1] != 4 or boxes.dtype == torch.bool:
        message = tr("{name} must be a numeric tensor of shape [..., 4], got {got}")
        raise CourseValueError(message.format(name=name, got=describe(boxes)))
    if (boxes[..., 2] < boxes[..., 0]).any() or (boxes[..., 3] < boxes[..., 1]).any():
        message = tr("{name} must satisfy x0 <= x1 and y0 <= y1 in every (x0, y0, x1, y1)")
        raise CourseValueError(message.format(name=name))


def check_same_shape(a: Tensor, b: Tensor, names: str) -> None:
    if a.shape != b.shape:
        message = tr("{names} must match in shape, got {first} and {second}")
        raise CourseValueError(message.format(names=names, first=tuple(a.shape), second=tuple(b.shape)))


def check_same_n(a: Tensor, b: Tensor, names: str) -> None:
    if len(a) != len(b):
        message = tr("{names} must have the same N (one per image), got {first} and {second}")
        raise CourseValueError(message.format(names=names, first=len(a), second=len(b)))


def check_fraction(value: float, name: str) -> None:
    """A number in [0, 1]: a threshold, an IoU level."""
    if not 0.0 <= float(value) <= 1.0:
        raise CourseValueError(tr("{name} must be in [0, 1], got {value}").format(name=name, value=value))


def check_iou_levels(iou_thresholds: Sequence[float]) -> None:
    """At least one IoU level, each in [0, 1]."""
    if len(iou_thresholds) == 0:
        message = tr("iou_thresholds must name at least one IoU level, e.g. (0.3, 0.5, 0.7)")
        raise CourseValueError(message)
    for value in iou_thresholds:
        check_fraction(value, tr("each of iou_thresholds"))

"""Small operations on class maps shared by every method: normalise and upsample.

A class map is a tensor ``[N, h, w]`` (or ``[h, w]``) at the resolution of the
layer it was read from, 16x16 for the course's models. Before it can be laid
over a 64x64 image, or thresholded into a box, it is rescaled to [0, 1] and
upsampled. The order of these two steps matters:

- **normalise, then upsample** (what :func:`to_image` does): the map is
  exactly in [0, 1] at the coarse positions. Bilinear interpolation stays
  inside that range, but bicubic overshoots (values below 0 or above 1 near
  sharp edges), so the result is clamped.
- **upsample, then normalise**: min and max are taken over the interpolated
  image. Bilinear interpolation only averages neighbours, so both orders
  give nearly the same picture (they differ a little because with
  ``align_corners=False`` the pixel centres fall between the map's grid
  points, so the upsampled peak can sit slightly below 1). With bicubic
  they differ more: the overshoot becomes the new extreme and compresses
  everything else. Thresholds (``>= 0.5`` of the peak, say) therefore
  depend on the order, and the course always normalises first.

Bilinear is the default, as in the CAM and Grad-CAM papers: nearest shows
the blocky 16x16 grid, which is honest about the map's true resolution but
makes boxes snap to 4-pixel steps.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from course_utils.errors import CourseValueError
from course_utils.language import tr

INTERPOLATIONS = ("nearest", "bilinear", "bicubic")


def min_max_normalise(maps: Tensor, eps: float = 1e-12) -> Tensor:
    """Rescale each map of ``[..., h, w]`` to [0, 1] on its own.

    .. math::
        \\tilde M(x, y) = \\frac{M(x, y) - \\min M}{\\max M - \\min M}

    A constant map (:math:`\\max M = \\min M`) becomes all zeros, not NaN.
    """
    if maps.dim() < 2:
        message = tr("expected maps of shape [..., h, w], got shape {shape}")
        raise CourseValueError(message.format(shape=tuple(maps.shape)))
    flat = maps.flatten(-2)
    low = flat.amin(-1, keepdim=True)
    span = flat.amax(-1, keepdim=True) - low
    out = torch.where(span > eps, (flat - low) / span.clamp_min(eps), torch.zeros_like(flat))
    return out.view_as(maps)


def upsample(maps: Tensor, size: int | tuple[int, int], mode: str = "bilinear") -> Tensor:
    """Resize maps ``[N, h, w]`` (or ``[h, w]``) to ``size`` with ``mode`` interpolation.

    ``align_corners=False`` treats each map value as the centre of a cell, the
    same convention as the strided convolutions and pools that made the map.
    """
    if mode not in INTERPOLATIONS:
        message = tr("mode must be one of {modes}, got {mode}")
        raise CourseValueError(message.format(modes=INTERPOLATIONS, mode=repr(mode)))
    if maps.dim() not in (2, 3):
        message = tr("expected maps of shape [N, h, w] or [h, w], got shape {shape}")
        raise CourseValueError(message.format(shape=tuple(maps.shape)))
    size = (size, size) if isinstance(size, int) else tuple(size)
    x = maps[None, None] if maps.dim() == 2 else maps[:, None]
    kwargs = {} if mode == "nearest" else {"align_corners": False}
    out = F.interpolate(x.float(), size=size, mode=mode, **kwargs)
    return out[0, 0] if maps.dim() == 2 else out[:, 0]


def to_image(maps: Tensor, size: int | tuple[int, int] = 64, mode: str = "bilinear") -> Tensor:
    """Normalise each map to [0, 1], then upsample it to the image size (clamped to [0, 1])."""
    return upsample(min_max_normalise(maps), size, mode).clamp(0.0, 1.0)

"""Figures for the course: images, class maps laid over them, boxes, and box-accuracy curves.

Every function returns what it drew (a ``Figure``, an ``Axes`` or an artist),
so a notebook can adjust it and a test can inspect it.

Conventions, shared with :mod:`course_utils.widgets`:

- **Images** are tensors ``[3, H, W]`` in [0, 1], as in :mod:`course_utils.scenes`.
- **Maps** of any resolution are min-max normalised, *then* upsampled
  bilinearly to the image (:func:`course_utils.maps.to_image`), so a colour
  always means "this fraction of the map's own range". The colour bar says so.
- **Colour map**: viridis. It is perceptually uniform (equal steps in value
  look like equal steps in colour, so it draws no false edges, unlike
  ``jet``), it reads the same for colour-blind viewers and in greyscale, and
  its low end is dark blue rather than black, so laid over an image at
  ``alpha=0.5`` the cold regions tint the image instead of blacking it out
  (as magma or inferno would).
- **Signed maps** (:func:`show_signed_map`) are the exception: raw, not
  normalised, on a diverging scale centred at 0 (``PuOr_r``: purple is
  evidence against, orange evidence for), whose hues are none of the class
  names red, green, blue, yellow.
- **Gradients** (guided backpropagation, Guided Grad-CAM: one value per
  pixel and colour) are drawn *as images*, not laid over the scene
  (:func:`show_gradient`): scaled by a high percentile of their magnitude
  (99th by default) and clipped there. Min-max scaling to the single
  largest value would leave a few dozen pixels visible and every fine edge
  black.
- **Boxes** ``(x0, y0, x1, y1)`` have exclusive ``x1, y1`` (see
  :mod:`course_utils.localization`). ``imshow`` puts the centre of pixel
  column ``x`` at ``x``, so the column spans ``x - 0.5 .. x + 0.5``. A box
  covering columns ``x0 .. x1 - 1`` therefore runs from ``x0 - 0.5`` to
  ``x1 - 0.5``: width ``x1 - x0``, shifted half a pixel up and left.
- **Ground truth** is drawn solid, **predictions** dashed, in two colours
  that differ for colour-blind viewers too (the line style tells them apart
  even in greyscale).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colorbar import Colorbar
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from torch import Tensor

from course_utils.checks import describe
from course_utils.errors import CourseValueError
from course_utils.language import tr, tr_noop
from course_utils.maps import INTERPOLATIONS, to_image, upsample
from course_utils.scenes import CLASS_NAMES, Scenes

CMAP = "viridis"
MAP_LABEL = tr_noop("normalised map")  # English here; add_colorbar shows it through tr
GT_COLOUR = "lime"
PRED_COLOUR = "magenta"
SIGNED_CMAP = "PuOr_r"  # diverging: purple below 0, white at 0, orange above; no class colour
FIG_WIDTH = 9.0  # inches: fills a notebook cell without scaling the fonts down
TITLE_SIZE = 10
LABEL_SIZE = 9
GRADIENT_PERCENTILE = 99.0  # gradients are scaled by this percentile of their magnitude, then clipped
LEGEND_ROW = 0.09  # height of one legend line, in box-accuracy units, on the course's curve figures

# The class names of course_utils.scenes are data keys (a learner types "red"); figures show them
# through class_label, in the course's language. Marked here so that `make translations` finds them.
CLASS_NAME_MESSAGES = (tr_noop("red"), tr_noop("green"), tr_noop("blue"), tr_noop("yellow"))


def class_label(name: str) -> str:
    """A class name as a figure shows it: ``tr(name)``, so "red" reads 빨강 in Korean."""
    return tr(name)


def scene_label(names: Sequence[str], labels: Tensor) -> str:
    """The classes of one scene for a title: ``"red"``, or ``"red + blue"`` for two creatures."""
    return " + ".join(class_label(names[c]) for c in labels.reshape(-1))


# --- checks and conversions ------------------------------------------------------


def image_array(image: Tensor) -> np.ndarray:
    """An image ``[3, H, W]`` as the ``[H, W, 3]`` numpy array that ``imshow`` wants, clipped to [0, 1]."""
    if not isinstance(image, Tensor) or image.dim() != 3 or image.shape[0] != 3 or not image.is_floating_point():
        message = tr("image must be a float tensor of shape [3, H, W] (one RGB image), got {got}")
        raise CourseValueError(message.format(got=describe(image)))
    return image.detach().cpu().float().clamp(0, 1).permute(1, 2, 0).numpy()


def map_array(cam_map: Tensor, size: tuple[int, int], mode: str = "bilinear") -> np.ndarray:
    """One map ``[h, w]``, normalised to [0, 1] then upsampled to ``size``, as a numpy array."""
    if not isinstance(cam_map, Tensor) or cam_map.dim() != 2 or not cam_map.is_floating_point():
        message = tr("cam_map must be a float tensor of shape [h, w] (one map), got {got}")
        raise CourseValueError(message.format(got=describe(cam_map)))
    if mode not in INTERPOLATIONS:
        message = tr("upsample_mode must be one of {choices}, got {mode}")
        raise CourseValueError(message.format(choices=INTERPOLATIONS, mode=repr(mode)))
    return to_image(cam_map.detach().cpu().float(), size, mode).numpy()


def _box_list(box: Tensor | Sequence[float]) -> list[float]:
    values = torch.as_tensor(box).detach().cpu().flatten().tolist()
    if len(values) != 4 or values[2] < values[0] or values[3] < values[1]:
        message = tr("a box must be 4 numbers (x0, y0, x1, y1) with x0 <= x1 and y0 <= y1, got {box}")
        raise CourseValueError(message.format(box=box))
    return values


def _new_axes(size: tuple[float, float] = (4.5, 4.0)) -> Axes:
    _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _grid(count: int, ncols: int, row_height: float) -> tuple[Figure, np.ndarray]:
    if ncols < 1:
        raise CourseValueError(tr("ncols must be at least 1, got {ncols}").format(ncols=ncols))
    ncols = min(ncols, count)
    nrows = math.ceil(count / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(FIG_WIDTH, row_height * nrows), squeeze=False, layout="constrained")
    for ax in axes.flat[count:]:
        ax.set_axis_off()
    return fig, axes.flat[:count]


# --- images, maps and boxes ----------------------------------------------------------


def show_image(image: Tensor, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Draw an image ``[3, H, W]`` pixel for pixel (no smoothing), without axis ticks.

    The ``title`` is shown through :func:`~course_utils.language.tr`, as are
    the titles and labels of every function here: a text the catalog knows
    reads in the course's language, any other stays as given.
    """
    array = image_array(image)
    ax = ax if ax is not None else _new_axes()
    ax.imshow(array, interpolation="nearest")
    ax.set_axis_off()
    if title is not None:
        ax.set_title(tr(title), fontsize=TITLE_SIZE)
    return ax


def add_colorbar(ax: Axes | Sequence[Axes], cmap: str = CMAP, label: str = MAP_LABEL) -> Colorbar:
    """A labelled colour bar for [0, 1] maps beside ``ax`` (or shared by a list of axes).

    It is drawn from the colour map itself, not from an overlay: an overlay's
    transparency would wash out the bar.
    """
    axes = [ax] if isinstance(ax, Axes) else list(ax)
    bar = axes[0].figure.colorbar(ScalarMappable(Normalize(0, 1), cmap), ax=axes, shrink=0.9)
    bar.set_label(tr(label), fontsize=LABEL_SIZE)
    bar.ax.tick_params(labelsize=LABEL_SIZE)
    return bar


def overlay_map(
    image: Tensor,
    cam_map: Tensor,
    ax: Axes | None = None,
    *,
    alpha: float = 0.5,
    cmap: str = CMAP,
    title: str | None = None,
    colorbar: bool = True,
    upsample_mode: str = "bilinear",
) -> Axes:
    """Lay a class map ``[h, w]`` of any resolution over an image ``[3, H, W]``.

    The map is normalised to [0, 1], then upsampled to the image with
    ``upsample_mode`` (:func:`course_utils.maps.to_image`), and drawn with a
    fixed colour scale 0..1, so colours compare across panels. The overlay is
    ``ax.images[-1]``.
    """
    height, width = image_array(image).shape[:2]
    array = map_array(cam_map, (height, width), upsample_mode)
    if not 0.0 <= alpha <= 1.0:
        raise CourseValueError(tr("alpha must be in [0, 1], got {alpha}").format(alpha=alpha))
    ax = show_image(image, ax, title)
    ax.imshow(array, cmap=cmap, vmin=0.0, vmax=1.0, alpha=alpha, interpolation="nearest")
    if colorbar:
        add_colorbar(ax, cmap)
    return ax


def show_signed_map(
    cam_map: Tensor,
    ax: Axes | None = None,
    *,
    size: tuple[int, int] | None = None,
    vmax: float | None = None,
    outline: Tensor | None = None,
    title: str | None = None,
    cmap: str = SIGNED_CMAP,
) -> AxesImage:
    """Draw a *raw* map ``[h, w]`` with its sign: upsampled bilinearly, not normalised.

    The colour scale is centred at 0 and runs from ``-vmax`` to ``vmax``
    (default: the map's largest absolute value), so 0, "no evidence either
    way", is always the middle colour. Pass one ``vmax`` to several panels to
    compare them. ``outline`` (``[H, W]`` bool, e.g. a creature's mask) is
    drawn as a black contour; ``size`` defaults to its shape, else the map's.
    Returns the image artist, for ``figure.colorbar``.
    """
    if not isinstance(cam_map, Tensor) or cam_map.dim() != 2 or not cam_map.is_floating_point():
        message = tr("cam_map must be a float tensor of shape [h, w] (one map), got {got}")
        raise CourseValueError(message.format(got=describe(cam_map)))
    if outline is not None and (not isinstance(outline, Tensor) or outline.dim() != 2):
        message = tr("outline must be a bool mask of shape [H, W], got {got}")
        raise CourseValueError(message.format(got=describe(outline)))
    size = size if size is not None else tuple(outline.shape) if outline is not None else tuple(cam_map.shape)
    array = upsample(cam_map.detach().cpu().float(), size).numpy()
    vmax = float(np.abs(array).max()) if vmax is None else float(vmax)
    if not vmax > 0:
        message = tr("vmax must be positive (the colour scale runs from -vmax to vmax), got {vmax}")
        raise CourseValueError(message.format(vmax=vmax))
    ax = ax if ax is not None else _new_axes()
    drawn = ax.imshow(array, cmap=cmap, vmin=-vmax, vmax=vmax, interpolation="nearest")
    if outline is not None:
        ax.contour(outline.detach().cpu().float().numpy(), levels=[0.5], colors="black", linewidths=1.2)
    ax.set_axis_off()
    if title is not None:
        ax.set_title(tr(title), fontsize=TITLE_SIZE)
    return drawn


def gradient_array(
    gradient: Tensor, *, signed: bool = False, percentile: float = GRADIENT_PERCENTILE
) -> np.ndarray:
    """An input gradient as an image array in [0, 1], scaled by a percentile of its magnitude and clipped.

    ``gradient`` is ``[3, H, W]`` (one value per pixel and colour, as
    :func:`course_utils.cam.guided_backprop` returns per image) or ``[H, W]``.
    Let :math:`q` be the ``percentile``-th percentile of :math:`|g|` (over
    every pixel, and colour if ``signed``).

    - ``signed=False``: ``[H, W]``, the magnitude :math:`|g|` (for three
      channels, the largest over the colours), divided by :math:`q` and
      clipped to [0, 1]: 0 is no gradient, 1 is :math:`q` or more. Drawn in grey.
    - ``signed=True``: ``[H, W, 3]`` for ``[3, H, W]`` (``[H, W]`` otherwise),
      :math:`0.5 + 0.5 \\, \\mathrm{clip}(g / q, -1, 1)`: mid grey is 0,
      brighter than grey in a colour means a positive gradient there.

    Clipping at a percentile keeps the few largest values from setting the
    scale: with ``percentile=99`` the top 1% saturate and the rest stay
    visible. A gradient that is zero everywhere gives 0 (mid grey if signed).
    """
    if not isinstance(gradient, Tensor) or not gradient.is_floating_point() or not (
        gradient.dim() == 2 or (gradient.dim() == 3 and gradient.shape[0] == 3)
    ):
        message = tr(
            "gradient must be a float tensor [3, H, W] (one image's input gradient, e.g. "
            "guided_backprop(model, images)[0]) or [H, W], got {got}"
        )
        raise CourseValueError(message.format(got=describe(gradient)))
    if isinstance(percentile, bool) or not isinstance(percentile, (int, float)) or not 0 < percentile <= 100:
        message = tr("percentile must be a number in (0, 100], got {percentile}")
        raise CourseValueError(message.format(percentile=repr(percentile)))
    g = gradient.detach().cpu().double().numpy()
    if not np.isfinite(g).all():
        raise CourseValueError(tr("gradient has NaN or infinite values: nothing sensible to draw"))
    if signed:
        q = np.percentile(np.abs(g), percentile)
        scaled = np.clip(g / q, -1.0, 1.0) if q > 0 else np.zeros_like(g)
        array = 0.5 + 0.5 * scaled
        return np.moveaxis(array, 0, -1) if array.ndim == 3 else array
    magnitude = np.abs(g).max(axis=0) if g.ndim == 3 else np.abs(g)
    q = np.percentile(magnitude, percentile)
    return np.clip(magnitude / q, 0.0, 1.0) if q > 0 else np.zeros_like(magnitude)


def show_gradient(
    gradient: Tensor,
    ax: Axes | None = None,
    *,
    signed: bool = False,
    percentile: float = GRADIENT_PERCENTILE,
    title: str | None = None,
) -> Axes:
    """Draw an input gradient ``[3, H, W]`` (or ``[H, W]``) as an image, pixel for pixel.

    Not an overlay: the scene would hide the fine edges that are the point of
    a pixel-level gradient. ``signed=False`` draws the magnitude in grey
    (black: no gradient, white: the ``percentile``-th percentile or more);
    ``signed=True`` draws the signed colour gradient around mid grey. See
    :func:`gradient_array` for the scaling. The image is ``ax.images[-1]``.
    """
    array = gradient_array(gradient, signed=signed, percentile=percentile)
    ax = ax if ax is not None else _new_axes()
    if array.ndim == 3:
        ax.imshow(array, interpolation="nearest")
    else:
        ax.imshow(array, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_axis_off()
    if title is not None:
        ax.set_title(tr(title), fontsize=TITLE_SIZE)
    return ax


def set_box(rect: Rectangle, box: Tensor | Sequence[float]) -> Rectangle:
    """Move ``rect`` onto the box ``(x0, y0, x1, y1)`` (exclusive corner) in ``imshow`` coordinates.

    The no-box ``(0, 0, 0, 0)`` (an empty mask) hides the rectangle. Used by
    the widgets to move boxes in place instead of drawing new ones.
    """
    x0, y0, x1, y1 = _box_list(box)
    rect.set_bounds(x0 - 0.5, y0 - 0.5, x1 - x0, y1 - y0)
    rect.set_visible(x1 > x0 and y1 > y0)
    return rect


def draw_box(
    ax: Axes,
    box: Tensor | Sequence[float],
    colour: str,
    label: str | None = None,
    linestyle: str = "-",
    linewidth: float = 2.0,
) -> Rectangle:
    """Draw the outline of a box ``(x0, y0, x1, y1)``, ``x1, y1`` exclusive, over an ``imshow`` image.

    The box covers pixel columns ``x0 .. x1 - 1``, whose outer edges are at
    ``x0 - 0.5`` and ``x1 - 0.5`` (pixel centres sit at whole numbers), and
    the same for rows.
    """
    rect = Rectangle((0, 0), 0, 0, fill=False, edgecolor=colour, linestyle=linestyle, linewidth=linewidth, label=label)
    ax.add_patch(set_box(rect, box))
    return rect


# --- grids of scenes and of maps -------------------------------------------------------


def _pred_boxes_per_scene(pred_boxes: Tensor | Sequence[Tensor], n: int) -> list[Tensor]:
    """``[N, 4]``, ``[N, K, 4]`` or a list of ``[K, 4]``: one ``[K, 4]`` tensor per scene."""
    per_scene = [torch.as_tensor(b).reshape(-1, 4) for b in pred_boxes]
    if len(per_scene) != n:
        message = tr("pred_boxes must give boxes for each of the {n} scenes, got {count}")
        raise CourseValueError(message.format(n=n, count=len(per_scene)))
    return per_scene


def scene_grid(
    scenes: Scenes,
    indices: Sequence[int] | Tensor | None = None,
    *,
    maps: Tensor | None = None,
    pred_boxes: Tensor | Sequence[Tensor] | None = None,
    ncols: int = 4,
    class_names: Sequence[str] = CLASS_NAMES,
    titles: Sequence[str] | None = None,
) -> Figure:
    """A grid of scenes with their ground-truth boxes (solid) and, optionally, maps and predicted boxes (dashed).

    ``maps`` (``[N, h, w]``) and ``pred_boxes`` (``[N, 4]``, ``[N, K, 4]`` or
    a list of ``[K, 4]``) have one entry per scene of ``scenes``; ``indices``
    picks the scenes to show from all three. Works for :class:`PairScenes`
    too (two ground-truth boxes per scene). Titles default to the class
    names; a legend says which box is which.
    """
    n = len(scenes)
    indices = list(range(n)) if indices is None else [int(i) for i in torch.as_tensor(indices).flatten()]
    if not indices or not all(0 <= i < n for i in indices):
        message = tr("indices must be a non-empty list of scene indices in [0, {n}), got {indices}")
        raise CourseValueError(message.format(n=n, indices=indices))
    if maps is not None and (not isinstance(maps, Tensor) or maps.dim() != 3 or len(maps) != n):
        message = tr("maps must be a tensor [N, h, w] with one map per scene (N = {n}), got {got}")
        raise CourseValueError(message.format(n=n, got=describe(maps)))
    preds = _pred_boxes_per_scene(pred_boxes, n) if pred_boxes is not None else None
    if titles is not None and len(titles) != len(indices):
        message = tr("titles must have one entry per scene shown ({expected}), got {count}")
        raise CourseValueError(message.format(expected=len(indices), count=len(titles)))

    fig, axes = _grid(len(indices), ncols, row_height=FIG_WIDTH / min(ncols, len(indices)) + 0.3)
    for k, (ax, i) in enumerate(zip(axes, indices)):
        title = titles[k] if titles is not None else scene_label(class_names, scenes.labels[i])
        if maps is None:
            show_image(scenes.images[i], ax, title)
        else:
            overlay_map(scenes.images[i], maps[i], ax, title=title, colorbar=False)
        for box in scenes.boxes[i].reshape(-1, 4):
            draw_box(ax, box, GT_COLOUR)
        for box in preds[i] if preds is not None else []:
            draw_box(ax, box, PRED_COLOUR, linestyle="--")
    if maps is not None:
        add_colorbar(list(axes))
    handles = [Line2D([], [], color=GT_COLOUR, linewidth=2, label=tr("ground truth"))]
    if preds is not None:
        handles.append(Line2D([], [], color=PRED_COLOUR, linewidth=2, linestyle="--", label=tr("predicted")))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=LABEL_SIZE)
    return fig


def compare_maps(
    image: Tensor, maps: Mapping[str, Tensor], *, alpha: float = 0.5, upsample_mode: str = "bilinear"
) -> Figure:
    """One image, then one labelled overlay per map (``{"CAM": map, "Grad-CAM": map}``), one shared colour bar."""
    if not maps:
        raise CourseValueError(tr("maps must name at least one map, e.g. {{'CAM': cam_map}}").format())
    count = len(maps) + 1
    fig, axes = _grid(count, count, row_height=FIG_WIDTH / count + 0.4)
    show_image(image, axes[0], tr_noop("image"))
    for ax, (name, cam_map) in zip(axes[1:], maps.items()):
        overlay_map(image, cam_map, ax, alpha=alpha, title=name, colorbar=False, upsample_mode=upsample_mode)
    add_colorbar(list(axes[1:]))
    return fig


# --- box accuracy against the CAM threshold ------------------------------------------


def plot_box_accuracy_curve(
    thresholds: Tensor | Sequence[float],
    accuracies: Tensor | Sequence[float],
    ax: Axes | None = None,
    *,
    labels: Sequence[str] | None = None,
    mark_best: bool = True,
) -> Axes:
    """Box accuracy against CAM threshold: one line per row of ``accuracies`` (``[T]`` or ``[L, T]``).

    Rows are IoU levels (a row of :func:`course_utils.localization.box_accuracy_table`)
    or methods. With ``mark_best``, a dot marks each line's best threshold
    (the first maximum, as ``argmax`` picks it) and the legend gives it: the
    threshold that MaxBoxAcc would choose.
    """
    t = torch.as_tensor(thresholds, dtype=torch.float64).detach().cpu()
    acc = torch.as_tensor(accuracies, dtype=torch.float64).detach().cpu()
    acc = acc[None] if acc.dim() == 1 else acc
    if t.dim() != 1 or acc.dim() != 2 or acc.shape[1] != len(t) or len(t) == 0:
        message = tr(
            "thresholds must be [T] and accuracies [T] or [L, T] with the same T, got shapes {first} and {second}"
        )
        raise CourseValueError(message.format(first=tuple(t.shape), second=tuple(acc.shape)))
    if labels is not None and len(labels) != len(acc):
        message = tr("labels must name each of the {count} lines, got {given}")
        raise CourseValueError(message.format(count=len(acc), given=len(labels)))
    names = [tr(label) for label in labels] if labels is not None else [
        tr("line {k}").format(k=k) for k in range(len(acc))
    ]

    ax = ax if ax is not None else _new_axes((6.0, 4.0))
    for row, name in zip(acc, names):
        best = int(row.argmax())
        best_legend = tr("{name} (best t = {threshold:.2f}: {accuracy:.2f})")
        legend = best_legend.format(name=name, threshold=t[best], accuracy=row[best]) if mark_best else name
        (line,) = ax.plot(t.numpy(), row.numpy(), linewidth=2, label=legend)
        if mark_best:
            # The label starts with "_": matplotlib leaves it out of the legend.
            ax.plot([t[best].item()], [row[best].item()], marker="o", markersize=8, linestyle="none",
                    color=line.get_color(), clip_on=False, label=f"_best {name}")
    ax.set_xlabel(tr("CAM threshold t"), fontsize=LABEL_SIZE)
    ax.set_ylabel(tr("box accuracy"), fontsize=LABEL_SIZE)
    ax.set_xlim(min(0.0, t.min().item()), max(1.0, t.max().item()))
    ax.set_ylim(0.0, 1.0)
    ax.tick_params(labelsize=LABEL_SIZE)
    ax.grid(alpha=0.3)
    if labels is not None or len(acc) > 1 or mark_best:
        # The legend gets its own band above accuracy 1.0, so it never hides a curve.
        ax.set_ylim(0.0, 1.0 + LEGEND_ROW * len(acc) + 0.06)
        ax.set_yticks(np.linspace(0.0, 1.0, 6))
        ax.legend(fontsize=LABEL_SIZE, loc="upper right")
    return ax

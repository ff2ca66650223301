"""A live figure: one persistent matplotlib figure that ipywidgets controls update in place.

The plumbing under :mod:`course_utils.widgets`' explorers, kept apart so
that the explorers read as what they show:

- :func:`new_figure` and :func:`panels` make a figure outside pyplot (a
  notebook never shows it twice by itself), drawn by Agg;
- :func:`freeze_layout` lays it out once, so an update only moves artists;
- :class:`BoxPool`, :func:`rgba_where` and :class:`MaskOutline` move boxes,
  mask overlays and mask outlines in place instead of drawing new ones;
- :func:`one_thread` runs an update's tiny tensor operations on one thread;
- :class:`Explorer` wires controls to ``update`` and shows the figure in an
  ``ipywidgets.Output``, replacing the previous picture.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import ipywidgets as widgets
import numpy as np
import torch
from IPython import get_ipython
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from torch import Tensor

from course_utils.boxes import NO_BOX
from course_utils.plots import FIG_WIDTH, draw_box, set_box


def new_figure(nrows: int, ncols: int, row_height: float) -> tuple[Figure, np.ndarray]:
    """A figure outside pyplot (so a notebook never shows it twice by itself), drawn by Agg."""
    figure = Figure(figsize=(FIG_WIDTH, row_height * nrows), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(nrows, ncols, squeeze=False)
    return figure, axes


def panels(count: int, ncols: int, extra_height: float = 0.6) -> tuple[Figure, list[Axes]]:
    """A grid of ``count`` square image panels, ``ncols`` a row; unused cells left blank."""
    ncols = max(1, min(ncols, count))
    nrows = -(-count // ncols)
    figure, axes = new_figure(nrows, ncols, FIG_WIDTH / ncols + extra_height)
    for ax in axes.flat[count:]:
        ax.set_axis_off()
    return figure, list(axes.flat[:count])


@contextmanager
def one_thread() -> Iterator[None]:
    """Run an update's tiny tensor operations on one thread.

    Waking torch's thread pool costs more than these operations themselves,
    and on a busy machine (Binder, or a model training beside the notebook)
    the pool waits for cores: an update measured 70 ms with two threads and
    1.5 ms with one, on two cores shared with a training run.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def freeze_layout(figure: Figure) -> None:
    """Lay the figure out once, then keep it: a constrained layout per update would cost more than the update."""
    figure.draw_without_rendering()
    figure.set_layout_engine("none")


class BoxPool:
    """Rectangles on one axes that are moved, shown and hidden in place; new ones only when more boxes than ever."""

    def __init__(self, ax: Axes, colour: str, linestyle: str) -> None:
        self.ax, self.colour, self.linestyle = ax, colour, linestyle
        self.rects: list[Rectangle] = []

    def show(self, boxes: Tensor) -> None:
        while len(self.rects) < len(boxes):
            self.rects.append(draw_box(self.ax, NO_BOX, self.colour, linestyle=self.linestyle))
        for rect, box in zip(self.rects, boxes.tolist()):
            set_box(rect, box)
        for rect in self.rects[len(boxes) :]:
            rect.set_visible(False)


def rgba_where(mask: Tensor, rgb: tuple[float, float, float], alpha: float) -> np.ndarray:
    """An ``[H, W, 4]`` overlay: colour ``rgb`` with opacity ``alpha`` on the mask, transparent elsewhere."""
    rgba = np.empty((*mask.shape, 4), dtype=np.float32)
    rgba[..., :3] = rgb
    rgba[..., 3] = mask.cpu().numpy() * alpha
    return rgba


def mask_edges(mask: Tensor) -> np.ndarray:
    """The outline of a mask ``[H, W]`` as unit segments ``[K, 2, 2]`` on the pixel grid.

    One segment for every side that a True pixel shares with a False pixel
    or with the image's border, in ``imshow``'s coordinates (pixel ``(x, y)``
    spans ``x - 0.5 .. x + 0.5``). The segments run *between* pixels: an
    outline drawn along them colours no pixel's centre.
    """
    padded = np.pad(mask.cpu().numpy(), 1)  # False all round: the border counts as outside
    def segments(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> np.ndarray:
        return np.stack([np.stack([x0, y0], -1), np.stack([x1, y1], -1)], 1)

    # Vertical sides: padded columns c and c + 1 differ -> the line x = c - 0.5, from row y - 0.5
    # to y + 0.5.
    ys, xs = np.nonzero(padded[1:-1, 1:] != padded[1:-1, :-1])
    vertical = segments(xs - 0.5, ys - 0.5, xs - 0.5, ys + 0.5)
    # Horizontal sides: padded rows r and r + 1 differ -> the line y = r - 0.5.
    ys, xs = np.nonzero(padded[1:, 1:-1] != padded[:-1, 1:-1])
    horizontal = segments(xs - 0.5, ys - 0.5, xs + 0.5, ys - 0.5)
    return np.concatenate([vertical, horizontal]).astype(np.float32)


class MaskOutline:
    """A mask's outline on one axes, moved in place: a thin light line over a darker, wider one.

    Two line collections, not one with a path effect: a stroke drawn
    segment by segment would paint each segment's dark edge over the end of
    the one before. The dark underlay keeps the outline visible on light
    pixels and in a legend on white paper.
    """

    def __init__(
        self, ax: Axes, colour: str = "white", edge: str = "black", linewidth: float = 1.0
    ) -> None:
        self.under = ax.add_collection(
            LineCollection([], colors=edge, linewidths=linewidth + 1.2, capstyle="projecting")
        )
        self.over = ax.add_collection(
            LineCollection([], colors=colour, linewidths=linewidth, capstyle="projecting")
        )

    def show(self, mask: Tensor) -> np.ndarray:
        """Outline ``mask``; returns the segments drawn (:func:`mask_edges`)."""
        segments = mask_edges(mask)
        self.under.set_segments(segments)
        self.over.set_segments(segments)
        return segments


class Explorer:
    """What every explorer shares: one persistent figure, and ipywidgets controls that call ``update``."""

    figure: Figure
    output: widgets.Output | None = None

    def _make_controls(self) -> list[widgets.ValueWidget]:
        raise NotImplementedError

    def _control_values(self) -> tuple:
        raise NotImplementedError

    def update(self, *values):  # pragma: no cover - each explorer defines its own
        raise NotImplementedError

    def widget(self) -> widgets.VBox:
        """The controls above the live figure; any control change calls ``update`` and reshows the figure."""
        controls = self._make_controls()
        self.output = widgets.Output()
        for control in controls:
            control.observe(self._on_change, names="value")
        self.update(*self._control_values())
        self._show()
        return widgets.VBox([widgets.HBox(controls), self.output])

    def _on_change(self, change: dict) -> None:
        self.update(*self._control_values())
        self._show()

    def _show(self) -> None:
        """Show the figure in the Output, *replacing* what it showed: a fresh PNG each time."""
        shell = get_ipython()
        if self.output is None or shell is None:  # no notebook (a test, a script): nothing to show
            return
        # One assignment of the Output's ``outputs``: the browser swaps the old picture for the new one.
        # Not ``clear_output(wait=True)`` + ``append_display_data``: the deferred clear waits for an
        # output message that an append never sends, so JupyterLab stacked the figures one under the
        # other (the browser test caught it). Not ``with self.output:`` either: that capture path
        # sometimes left notebook runners (nbclient) waiting for the cell's reply.
        data, metadata = shell.display_formatter.format(self.figure)
        self.output.outputs = ({"output_type": "display_data", "data": data, "metadata": metadata},)

"""Interactive explorers: sliders and dropdowns over explanations computed once.

The rule every explorer follows: the model runs **once**, when the explorer
is built. Moving a slider or picking from a dropdown only re-thresholds or
re-indexes tensors already in memory, so an update takes milliseconds
(``benchmarks/bench_widgets.py`` measures it; the target is 50 ms), and the
picture follows the learner's hand.

Each explorer has three layers, so that each can be tested on its own:

1. **a cache**, filled when it is built (``from_model`` is the only place a
   model runs);
2. **update(...)**, a plain method: it computes the result for new control
   values from the cache (with a pure function such as
   :func:`~course_utils.localization.localize_at_threshold` or
   :meth:`ACoL.from_features <course_utils.models.ACoL.from_features>`), moves the artists of
   its one persistent figure in place (``set_data``, ``set_bounds``,
   ``set_text``: nothing is drawn anew), and returns what it computed;
3. **widget()**, the thin ipywidgets part: controls wired to ``update`` with
   ``.observe``, and an ``Output`` that shows the figure.

The plumbing of that figure (made outside pyplot, laid out once, boxes and
overlays moved in place, shown in an ``Output``) is in
:mod:`course_utils.live_figure`; this module holds the explorers themselves.

The figure at the default values exists as soon as an explorer is built
(``explorer.figure``): a notebook shows it as a static picture too, which is
what GitHub and nbviewer render, where widgets do not.

==========================  ========  ====================================================
explorer                    notebook  controls -> callback
==========================  ========  ====================================================
:class:`ThresholdExplorer`  04        threshold slider -> ``update(threshold)``
:class:`ClassExplorer`      02, 03    class dropdown -> ``update(class_index)``
:class:`LayerChooser`       03        layer, class dropdowns -> ``update(layer, class_index)``
:class:`ACoLExplorer`       05        delta slider, class dropdown -> ``update(delta, class_index)``
==========================  ========  ====================================================

Example (in a notebook)::

    explorer = ThresholdExplorer(scenes, maps)
    explorer.figure        # static, at the default threshold
    explorer.widget()      # the slider and the live figure
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.patheffects import Normal, Stroke
from torch import Tensor, nn

from course_utils.cam import class_activation_map, grad_cam
from course_utils.checks import describe
from course_utils.errors import CourseValueError
from course_utils.hooks import eval_mode
from course_utils.language import tr, tr_noop
from course_utils.live_figure import (
    BoxPool,
    Explorer,
    MaskOutline,
    freeze_layout,
    new_figure,
    one_thread,
    panels,
    rgba_where,
)
from course_utils.localization import ThresholdResult, localize_at_threshold
from course_utils.maps import min_max_normalise, to_image, upsample
from course_utils.models import ACoL, ACoLOutput
from course_utils.plots import (
    FIG_WIDTH,
    GT_COLOUR,
    LABEL_SIZE,
    PRED_COLOUR,
    TITLE_SIZE,
    add_colorbar,
    class_label,
    draw_box,
    overlay_map,
    scene_label,
    show_image,
)
from course_utils.scenes import CLASS_NAMES, Scenes

__all__ = [
    "MapMethod",
    "class_probabilities",
    "maps_for_every_class",
    "ThresholdResult",  # re-exported from course_utils.localization (notebook 05 imports it from here)
    "localize_at_threshold",
    "ThresholdExplorer",
    "threshold_explorer",
    "MapResult",
    "ClassExplorer",
    "class_explorer",
    "LayerChooser",
    "layer_chooser",
    "ACoLResult",
    "ACoLExplorer",
    "acol_explorer",
]

MapMethod = Callable[[nn.Module, Tensor, int], Tensor]
"""``method(model, images, class_index) -> [N, h, w]``, e.g. :func:`course_utils.cam.class_activation_map`."""

# The threshold explorer never paints over the mask: a coloured fill would hide a head of its
# colour (yellow on the yellow class's head), and the classes are named by their heads' colours.
# The pixels *outside* the mask are dimmed with black, which keeps every hue, and the mask gets
# an outline in white, which is no class's colour.
DIM_ALPHA = 0.6  # black at 60% over the pixels below the threshold, as in notebook 04's figures
OUTLINE_COLOUR = "white"
ERASED_ALPHA = 0.8  # erased cells are darkened almost to black: B cannot see them


# --- checks and the cache every class explorer fills -------------------------------------


def _check_maps(maps: Tensor, leading: tuple[int, ...], what: str) -> None:
    """``maps`` must be float ``[*leading, h, w]``."""
    expected = len(leading) + 2
    if not isinstance(maps, Tensor) or maps.dim() != expected or tuple(maps.shape[: len(leading)]) != leading:
        dims = ", ".join(map(str, leading))
        message = tr("{what} must be a float tensor [{dims}, h, w], got {got}")
        raise CourseValueError(message.format(what=what, dims=dims, got=describe(maps)))
    if not maps.is_floating_point():
        message = tr("{what} must be a float tensor, got dtype {dtype}")
        raise CourseValueError(message.format(what=what, dtype=maps.dtype))


def _check_class(class_index: int, num_classes: int) -> int:
    if isinstance(class_index, bool) or not isinstance(class_index, (int, np.integer)):
        raise CourseValueError(tr("class_index must be an int, got {index}").format(index=repr(class_index)))
    if not 0 <= class_index < num_classes:
        message = tr("class_index {index} is out of range for {classes} classes")
        raise CourseValueError(message.format(index=class_index, classes=num_classes))
    return int(class_index)




def class_probabilities(model: nn.Module, images: Tensor) -> Tensor:
    """The model's softmax probabilities ``[N, classes]``, in eval mode, without gradients."""
    with eval_mode(model), torch.no_grad():
        return model(images).softmax(dim=1)


def maps_for_every_class(model: nn.Module, images: Tensor, method: MapMethod = class_activation_map) -> Tensor:
    """Run ``method`` once per class: the cache ``[N, classes, h, w]`` of the class explorers.

    ``method(model, images, c)`` returns ``[N, h, w]``; for Grad-CAM at a
    layer, pass ``lambda m, x, c: grad_cam(m, m.features, x, c)``.
    """
    with eval_mode(model), torch.no_grad():
        num_classes = model(images[:1]).shape[1]
    return torch.stack([method(model, images, c).detach() for c in range(num_classes)], dim=1)


# --- 1. threshold explorer (notebook 04) ------------------------------------------------


class ThresholdExplorer(Explorer):
    """A threshold slider over cached maps: the mask, the predicted box and its IoU, per scene.

    Args:
        scenes: one-object scenes (their ``boxes`` are ``[N, 4]``).
        maps: ``[N, h, w]``, one map per scene, of any resolution: if it is
            not the image's, it is normalised and upsampled once here
            (:func:`~course_utils.maps.to_image`).
        threshold: the starting threshold, in [0, 1].
        multi_contour: draw every component's box (and score the best), or
            only the largest component's.

    The mask is drawn without covering it: its outline in white, and the
    pixels outside it dimmed. A head inside the mask keeps its colour, so
    the class stays readable at every threshold.
    """

    def __init__(
        self, scenes: Scenes, maps: Tensor, *, threshold: float = 0.2, multi_contour: bool = False, ncols: int = 4
    ) -> None:
        if scenes.boxes.dim() != 2:
            message = tr("ThresholdExplorer needs one-object scenes (boxes [N, 4]); got boxes {shape}: "
                         "for two-object scenes, pass one object's boxes")
            raise CourseValueError(message.format(shape=tuple(scenes.boxes.shape)))
        n, height, width = len(scenes), *scenes.images.shape[-2:]
        _check_maps(maps, (n,), "maps")
        maps = maps.detach().float().cpu()
        self.maps = maps if maps.shape[-2:] == (height, width) else to_image(maps, (height, width))
        self.scenes, self.multi_contour = scenes, multi_contour

        self.figure, axes = panels(n, ncols, extra_height=0.95)
        self._overlays, self._outlines, self._gt, self._pred = [], [], [], []
        for ax, image, box in zip(axes, scenes.images, scenes.boxes):
            show_image(image, ax, title=tr_noop("IoU"))
            self._overlays.append(ax.imshow(np.zeros((height, width, 4), np.float32), interpolation="nearest"))
            self._outlines.append(MaskOutline(ax, OUTLINE_COLOUR))
            self._gt.append(draw_box(ax, box, GT_COLOUR))
            self._pred.append(BoxPool(ax, PRED_COLOUR, "--"))
        self._suptitle = self.figure.suptitle("", fontsize=TITLE_SIZE + 1)
        predicted = tr("every component's box") if multi_contour else tr("the largest component's box")
        outline = self._outlines[0]
        # the outline as drawn: the light line over its dark underlay
        underlay = Stroke(linewidth=outline.under.get_linewidth()[0], foreground="black")
        self.figure.legend(
            handles=[
                Line2D([], [], color=OUTLINE_COLOUR, linewidth=outline.over.get_linewidth()[0],
                       path_effects=[underlay, Normal()],
                       label=tr("mask: map >= t (outlined, colours as they are)")),
                Patch(facecolor="black", alpha=DIM_ALPHA, label=tr("map < t (dimmed)")),
                Line2D([], [], color=GT_COLOUR, linewidth=2, label=tr("ground-truth box")),
                Line2D([], [], color=PRED_COLOUR, linewidth=2, linestyle="--", label=predicted),
            ],
            loc="outside lower center", ncols=2, fontsize=LABEL_SIZE, frameon=False,
        )
        self.result = self.update(threshold)
        freeze_layout(self.figure)

    def update(self, threshold: float) -> ThresholdResult:
        """Re-threshold the cached maps, move the masks and boxes in the figure, return what was drawn."""
        with one_thread():
            result = localize_at_threshold(self.maps, self.scenes.boxes, threshold, multi_contour=self.multi_contour)
        for overlay, outline, pool, mask, boxes, iou in zip(
            self._overlays, self._outlines, self._pred, result.masks, result.boxes, result.ious
        ):
            overlay.set_data(rgba_where(~mask, (0.0, 0.0, 0.0), DIM_ALPHA))
            outline.show(mask)
            pool.show(boxes)
            overlay.axes.title.set_text(tr("IoU {iou:.2f}").format(iou=iou))
        suptitle = tr("threshold t = {threshold:.2f}: mean IoU {iou:.2f}")
        self._suptitle.set_text(suptitle.format(threshold=result.threshold, iou=result.ious.mean()))
        self.result = result
        return result

    def _make_controls(self) -> list[widgets.ValueWidget]:
        self.slider = widgets.FloatSlider(
            value=self.result.threshold, min=0.0, max=1.0, step=0.01, description=tr("threshold"),
            readout_format=".2f",
        )
        return [self.slider]

    def _control_values(self) -> tuple:
        return (self.slider.value,)


def threshold_explorer(scenes: Scenes, maps: Tensor, **kwargs) -> widgets.VBox:
    """:class:`ThresholdExplorer`'s widget, in one call."""
    return ThresholdExplorer(scenes, maps, **kwargs).widget()


# --- 2 and 3. class explorer (notebooks 02, 03) and layer chooser (notebook 03) ------------------


@dataclass
class MapResult:
    """The maps of one class (from one layer or method) that an explorer shows."""

    source: str  #: the layer or method the maps come from
    class_index: int
    maps: Tensor  #: ``[N, h, w]`` as the method returned them (raw, not normalised)
    shown: Tensor  #: ``[N, H, W]`` what is drawn: normalised, then upsampled
    probabilities: Tensor | None  #: ``[N]`` the model's probability of the class, if known


class _CachedMaps(Explorer):
    """Maps of every class from one or more sources (layers, methods), re-indexed on demand."""

    def __init__(
        self,
        scenes: Scenes,
        maps: Mapping[str, Tensor],
        probabilities: Tensor | None,
        *,
        source: str,
        class_index: int | None,
        class_names: Sequence[str],
        ncols: int,
    ) -> None:
        n, height, width = len(scenes), *scenes.images.shape[-2:]
        if not maps:
            raise CourseValueError(tr("maps must hold at least one entry {{name: [N, classes, h, w]}}").format())
        first = next(iter(maps.values()))
        if not isinstance(first, Tensor) or first.dim() != 4:
            message = tr("maps must be [N, classes, h, w], one map per scene and class, got {got}")
            raise CourseValueError(message.format(got=describe(first)))
        num_classes = first.shape[1]
        for name, value in maps.items():
            _check_maps(value, (n, num_classes), f"maps[{name!r}]")
        if probabilities is not None and tuple(probabilities.shape) != (n, num_classes):
            message = tr("probabilities must be [N, classes] = [{n}, {classes}], got {got}")
            raise CourseValueError(message.format(n=n, classes=num_classes, got=describe(probabilities)))
        if len(class_names) < num_classes:
            message = tr("class_names names {count} classes, the maps have {classes}")
            raise CourseValueError(message.format(count=len(class_names), classes=num_classes))
        self.scenes, self.class_names, self.num_classes = scenes, list(class_names), num_classes
        self.maps = {name: value.detach().float().cpu() for name, value in maps.items()}
        self.probabilities = probabilities.detach().cpu() if probabilities is not None else None
        # The only upsampling: every (source, class) map, once. Updates just index this.
        self._shown = {
            name: to_image(value.flatten(0, 1), (height, width)).view(n, num_classes, height, width)
            for name, value in self.maps.items()
        }
        if class_index is None:
            class_index = int(self.probabilities[0].argmax()) if self.probabilities is not None else 0

        self.figure, axes = panels(n, ncols, extra_height=0.8)
        self._overlays = [
            overlay_map(image, torch.zeros(height, width), ax, colorbar=False).images[-1]
            for ax, image in zip(axes, scenes.images)
        ]
        add_colorbar(axes)
        # Ground-truth boxes, each tagged with its object's class: the object of the chosen class is highlighted.
        self._gt = [
            [(draw_box(ax, box, GT_COLOUR), int(label)) for box, label in zip(boxes.reshape(-1, 4), labels.reshape(-1))]
            for ax, boxes, labels in zip(axes, scenes.boxes, scenes.labels)
        ]
        self._suptitle = self.figure.suptitle("", fontsize=TITLE_SIZE + 1)
        self.result = self._select(source, class_index)
        freeze_layout(self.figure)

    def _select(self, source: str, class_index: int) -> MapResult:
        if source not in self.maps:
            message = tr("unknown layer or method {source}; known: {known}")
            raise CourseValueError(message.format(source=repr(source), known=list(self.maps)))
        c = _check_class(class_index, self.num_classes)
        probs = self.probabilities[:, c] if self.probabilities is not None else None
        result = MapResult(source, c, self.maps[source][:, c], self._shown[source][:, c], probs)
        name = class_label(self.class_names[c])
        for i, (overlay, shown) in enumerate(zip(self._overlays, result.shown)):
            overlay.set_data(shown.numpy())
            scene_classes = scene_label(self.class_names, self.scenes.labels[i])
            score = "\n" + tr("p({name}) = {p:.2f}").format(name=name, p=probs[i]) if probs is not None else ""
            overlay.axes.title.set_text(scene_classes + score)
            for rect, label in self._gt[i]:
                rect.set_alpha(1.0 if label == c else 0.3)
        h, w = result.maps.shape[-2:]
        self._suptitle.set_text(tr("{source} ({h}x{w}), class {name}").format(source=source, h=h, w=w, name=name))
        self.result = result
        return result

    def _class_dropdown(self) -> widgets.Dropdown:
        """Class names, with the probability in the label when there is one image."""
        def label(c: int) -> str:
            one_image = self.probabilities is not None and len(self.probabilities) == 1
            name = class_label(self.class_names[c])
            return tr("{name} (p = {p:.2f})").format(name=name, p=self.probabilities[0, c]) if one_image else name

        options = [(label(c), c) for c in range(self.num_classes)]
        return widgets.Dropdown(options=options, value=self.result.class_index, description=tr("class"))


class ClassExplorer(_CachedMaps):
    """A class dropdown over cached maps ``[N, classes, h, w]``: each class's map on the same images.

    Build it with :meth:`from_model` (runs the method once per class), or
    from maps already computed. Works for one- and two-object scenes: the
    ground-truth box of the object of the chosen class is highlighted.
    """

    def __init__(
        self,
        scenes: Scenes,
        maps: Tensor,
        probabilities: Tensor | None = None,
        *,
        method_name: str = "CAM",
        class_index: int | None = None,
        class_names: Sequence[str] = CLASS_NAMES,
        ncols: int = 4,
    ) -> None:
        super().__init__(scenes, {method_name: maps}, probabilities, source=method_name, class_index=class_index,
                         class_names=class_names, ncols=ncols)
        self.method_name = method_name

    @classmethod
    def from_model(
        cls, model: nn.Module, scenes: Scenes, method: MapMethod = class_activation_map, *, method_name: str = "CAM",
        **kwargs,
    ) -> "ClassExplorer":
        """Run ``method`` for every class on ``scenes.images`` (once), and the model for the probabilities."""
        maps = maps_for_every_class(model, scenes.images, method)
        return cls(scenes, maps, class_probabilities(model, scenes.images), method_name=method_name, **kwargs)

    def update(self, class_index: int) -> MapResult:
        """Show the cached maps of class ``class_index``; returns them."""
        return self._select(self.method_name, class_index)

    def _make_controls(self) -> list[widgets.ValueWidget]:
        self.class_dropdown = self._class_dropdown()
        return [self.class_dropdown]

    def _control_values(self) -> tuple:
        return (self.class_dropdown.value,)


def class_explorer(
    model: nn.Module, scenes: Scenes, method: MapMethod = class_activation_map, **kwargs
) -> widgets.VBox:
    """:class:`ClassExplorer`'s widget, in one call."""
    return ClassExplorer.from_model(model, scenes, method, **kwargs).widget()


class LayerChooser(_CachedMaps):
    """Layer and class dropdowns over Grad-CAM maps cached for several layers and every class.

    ``layer_maps`` is ``{name: [N, classes, h, w]}``; resolutions may differ
    (a 32x32 early layer, the 16x16 last one). :meth:`from_model` computes
    them with :func:`~course_utils.cam.grad_cam`. The starting layer is the
    last one named (in a dict listed from input to output, the deepest).
    """

    def __init__(
        self,
        scenes: Scenes,
        layer_maps: Mapping[str, Tensor],
        probabilities: Tensor | None = None,
        *,
        layer: str | None = None,
        class_index: int | None = None,
        class_names: Sequence[str] = CLASS_NAMES,
        ncols: int = 4,
    ) -> None:
        layer = layer if layer is not None else (list(layer_maps)[-1] if layer_maps else "")
        super().__init__(scenes, layer_maps, probabilities, source=layer, class_index=class_index,
                         class_names=class_names, ncols=ncols)

    @classmethod
    def from_model(cls, model: nn.Module, layers: Mapping[str, nn.Module], scenes: Scenes, **kwargs) -> "LayerChooser":
        """Grad-CAM at every layer of ``layers`` (``{"block 1": model.features[0], ...}``) for every class."""

        def at(layer: nn.Module) -> MapMethod:
            return lambda m, images, c: grad_cam(m, layer, images, c)

        layer_maps = {name: maps_for_every_class(model, scenes.images, at(layer)) for name, layer in layers.items()}
        return cls(scenes, layer_maps, class_probabilities(model, scenes.images), **kwargs)

    def update(self, layer: str, class_index: int) -> MapResult:
        """Show the cached Grad-CAM maps of ``layer`` for class ``class_index``; returns them."""
        return self._select(layer, class_index)

    def _make_controls(self) -> list[widgets.ValueWidget]:
        self.layer_dropdown = widgets.Dropdown(options=list(self.maps), value=self.result.source,
                                               description=tr("layer"))
        self.class_dropdown = self._class_dropdown()
        return [self.layer_dropdown, self.class_dropdown]

    def _control_values(self) -> tuple:
        return (self.layer_dropdown.value, self.class_dropdown.value)


def layer_chooser(model: nn.Module, layers: Mapping[str, nn.Module], scenes: Scenes, **kwargs) -> widgets.VBox:
    """:class:`LayerChooser`'s widget, in one call."""
    return LayerChooser.from_model(model, layers, scenes, **kwargs).widget()


# --- 4. ACoL erase explorer (notebook 05) -------------------------------------------------


@dataclass
class ACoLResult:
    """What ACoL's classifier B sees and says for one erase threshold delta and one class."""

    delta: float
    class_index: int | None  #: the chosen class, or None for each image's predicted class
    target: Tensor  #: ``[N]`` the class of each image whose A map erases (the chosen class, or A's prediction)
    map_a: Tensor  #: ``[N, h, w]`` A's map for the class, normalised: what decides the erasing
    erased: Tensor  #: ``[N, h, w]`` bool, where ``map_a >= delta``: the feature positions hidden from B
    map_b: Tensor  #: ``[N, h, w]`` B's map for the class, from the erased features (raw)
    logit_b: Tensor  #: ``[N]`` B's score for the class: the spatial mean of ``map_b``
    score_b: Tensor  #: ``[N]`` B's softmax probability of the class
    score_a: Tensor  #: ``[N]`` A's softmax probability of the class (delta does not change it)
    fused: Tensor  #: ``[N, h, w]`` max of the normalised A and B maps: ACoL's localization map
    output: ACoLOutput  #: everything :meth:`ACoL.from_features` computed


class ACoLExplorer(Explorer):
    """A delta slider and a class dropdown over cached ACoL features: what B sees, B's map and score, the fused map.

    The backbone and classifier A run once, here; each update erases the
    cached features and runs classifier B (a 1x1 convolution) again. One row
    per scene: A's map, the image with the erased cells darkened, B's map,
    the fused map. ``class_index=None`` erases each image's predicted class
    (A's), as ``ACoL.run`` does without labels.
    """

    def __init__(self, model: ACoL, scenes: Scenes, *, delta: float | None = None, class_index: int | None = None,
                 class_names: Sequence[str] = CLASS_NAMES) -> None:
        if not isinstance(model, ACoL):
            message = tr("ACoLExplorer needs an ACoL model, got {type}")
            raise CourseValueError(message.format(type=type(model).__name__))
        self.model, self.scenes, self.class_names = model, scenes, list(class_names)
        with eval_mode(model), torch.no_grad():
            self.features = model.features(scenes.images)
            self.maps_a = model.branch_a(self.features)
        self.num_classes = self.maps_a.shape[1]
        self.predicted = self.maps_a.mean((-2, -1)).argmax(1)
        n, height, width = len(scenes), *scenes.images.shape[-2:]
        self._size = (height, width)

        self.figure, axes = new_figure(n, 4, row_height=FIG_WIDTH / 4 + 0.1)
        self._maps: list[list] = []  # per scene: the overlays of A, B and fused
        self._erased, self._titles = [], []
        blank = torch.zeros(height, width)
        for row, image, boxes in zip(axes, scenes.images, scenes.boxes):
            ax_a, ax_seen, ax_b, ax_fused = row
            overlays = [overlay_map(image, blank, ax, colorbar=False).images[-1] for ax in (ax_a, ax_b, ax_fused)]
            self._maps.append(overlays)
            show_image(image, ax_seen)
            self._erased.append(ax_seen.imshow(np.zeros((height, width, 4), np.float32), interpolation="nearest"))
            for ax in (ax_a, ax_b, ax_fused):
                for box in boxes.reshape(-1, 4):
                    draw_box(ax, box, GT_COLOUR, linewidth=1.5)
            self._titles.append([ax.set_title("", fontsize=LABEL_SIZE) for ax in row])
        add_colorbar([ax for row in axes for ax in row[[0, 2, 3]]])
        self._suptitle = self.figure.suptitle("", fontsize=TITLE_SIZE + 1)
        self.result = self.update(model.delta if delta is None else delta, class_index)
        freeze_layout(self.figure)

    def compute(self, delta: float, class_index: int | None) -> ACoLResult:
        """The pure part of :meth:`update`: erase at ``delta`` for the class, run B, fuse."""
        if not 0.0 < float(delta) <= 1.0:
            raise CourseValueError(tr("delta must be in (0, 1], got {delta}").format(delta=delta))
        if class_index is None:
            target = self.predicted
        else:
            target = torch.full_like(self.predicted, _check_class(class_index, self.num_classes))
        with torch.no_grad():
            out = self.model.from_features(self.features, target, float(delta), self.maps_a)
        rows = torch.arange(len(target))
        return ACoLResult(
            delta=float(delta),
            class_index=class_index,
            target=target,
            map_a=min_max_normalise(out.maps_a[rows, target]),
            erased=out.erased,
            map_b=out.maps_b[rows, target],
            logit_b=out.logits_b[rows, target],
            score_b=out.logits_b.softmax(1)[rows, target],
            score_a=out.logits_a.softmax(1)[rows, target],
            fused=out.fused,
            output=out,
        )

    def update(self, delta: float, class_index: int | None = None) -> ACoLResult:
        """Erase at ``delta`` for ``class_index`` (None: each image's predicted class), redraw in place, return it."""
        with one_thread():
            r = self.compute(delta, class_index)
            shown = [to_image(m.cpu(), self._size).numpy() for m in (r.map_a, r.map_b, r.fused)]
            seen = upsample(r.erased.cpu().float(), self._size, "nearest") > 0.5  # each cell covers its 4x4 pixels
        for i in range(len(r.target)):
            for overlay, maps in zip(self._maps[i], shown):
                overlay.set_data(maps[i])
            self._erased[i].set_data(rgba_where(seen[i], (0.0, 0.0, 0.0), ERASED_ALPHA))
            name = class_label(self.class_names[int(r.target[i])])
            titles = (
                tr("A: p({name}) = {p:.2f}").format(name=name, p=r.score_a[i]),
                tr("B sees: {erased:.0%} erased").format(erased=r.erased[i].float().mean()),
                tr("B: p = {p:.2f}, logit {logit:.1f}").format(p=r.score_b[i], logit=r.logit_b[i]),
                tr("fused: max(A, B)"),
            )
            for text, title in zip(self._titles[i], titles):
                text.set_text(title)
        if class_index is None:
            which = tr("predicted class")
        else:
            which = tr("class {name}").format(name=class_label(self.class_names[int(class_index)]))
        suptitle = tr("ACoL, erase threshold delta = {delta:.2f}, {which}")
        self._suptitle.set_text(suptitle.format(delta=r.delta, which=which))
        self.result = r
        return r

    def _make_controls(self) -> list[widgets.ValueWidget]:
        self.delta_slider = widgets.FloatSlider(
            value=self.result.delta, min=0.05, max=1.0, step=0.05, description=tr("delta"), readout_format=".2f"
        )
        # -1 stands for "each image's predicted class" (None), which a Dropdown cannot hold as a value.
        names = [class_label(name) for name in self.class_names[: self.num_classes]]
        options = [(tr("predicted"), -1)] + [(name, c) for c, name in enumerate(names)]
        current = -1 if self.result.class_index is None else self.result.class_index
        self.class_dropdown = widgets.Dropdown(options=options, value=current, description=tr("class"))
        return [self.delta_slider, self.class_dropdown]

    def _control_values(self) -> tuple:
        c = self.class_dropdown.value
        return (self.delta_slider.value, None if c < 0 else c)


def acol_explorer(model: ACoL, scenes: Scenes, **kwargs) -> widgets.VBox:
    """:class:`ACoLExplorer`'s widget, in one call."""
    return ACoLExplorer(model, scenes, **kwargs).widget()

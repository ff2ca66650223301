"""Tests for course_utils.widgets: each callback computes what the library computes, and draws it.

The callbacks are called directly (no notebook needed); the ipywidgets
controls are checked for their ranges and for their wiring to the callbacks.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from course_utils import widgets as W  # noqa: E402
from course_utils.cam import class_activation_map, grad_cam  # noqa: E402
from course_utils.localization import box_ious_at_thresholds, largest_box, mask_to_boxes, threshold_map  # noqa: E402
from course_utils.maps import min_max_normalise, to_image  # noqa: E402
from course_utils.models import ACoL, GapCNN  # noqa: E402
from course_utils.live_figure import mask_edges  # noqa: E402
from course_utils.scenes import (  # noqa: E402
    CLASS_NAMES,
    HEAD_COLOURS,
    make_pair_scenes,
    make_scenes,
)
from matplotlib.colors import to_rgb, to_rgba  # noqa: E402


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def scenes():
    return make_scenes(4, seed=3)


@pytest.fixture(scope="module")
def pairs():
    return make_pair_scenes(2, seed=3)


@pytest.fixture(scope="module")
def gap():
    torch.manual_seed(0)
    return GapCNN().eval()


@pytest.fixture(scope="module")
def acol():
    torch.manual_seed(0)
    return ACoL(delta=0.6).eval()


@pytest.fixture(scope="module")
def maps(scenes):
    """Smooth random maps at the features' resolution, one per scene."""
    return torch.rand(len(scenes), 16, 16, generator=torch.Generator().manual_seed(0))


def box_edges(rect) -> tuple[float, float, float, float]:
    x, y, w, h = rect.get_bbox().bounds
    return (x, y, x + w, y + h)


def shifted(box) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box.tolist()
    return (x0 - 0.5, y0 - 0.5, x1 - 0.5, y1 - 0.5)


# --- 1. threshold explorer ------------------------------------------------------------------


def test_threshold_explorer_finds_the_librarys_largest_box_at_each_threshold(scenes, maps):
    explorer = W.ThresholdExplorer(scenes, maps)
    image_maps = to_image(maps, 64)
    torch.testing.assert_close(explorer.maps, image_maps)
    for t in (0.2, 0.55):
        result = explorer.update(t)
        assert result.threshold == t
        assert result.masks.equal(threshold_map(image_maps, t))
        for i, mask in enumerate(result.masks):
            assert result.boxes[i].tolist() == [largest_box(mask).tolist()]
        expected = box_ious_at_thresholds(image_maps, scenes.boxes, cam_thresholds=[t], multi_contour=False)[0]
        torch.testing.assert_close(result.ious, expected)


def test_threshold_explorer_with_every_component(scenes, maps):
    explorer = W.ThresholdExplorer(scenes, maps, threshold=0.5, multi_contour=True)
    result = explorer.result
    for mask, boxes in zip(result.masks, result.boxes):
        assert boxes.equal(mask_to_boxes(mask, multi_contour=True))
    expected = box_ious_at_thresholds(explorer.maps, scenes.boxes, cam_thresholds=[0.5], multi_contour=True)[0]
    torch.testing.assert_close(result.ious, expected)


def test_threshold_explorer_moves_its_artists_in_place(scenes, maps):
    explorer = W.ThresholdExplorer(scenes, maps, multi_contour=True)
    ax = explorer.figure.axes[0]
    overlay, patches_before, lines_before = ax.images[-1], list(ax.patches), list(ax.collections)
    result = explorer.update(0.8)
    assert ax.images[-1] is overlay  # the same artist, new data
    np.testing.assert_array_equal(overlay.get_array()[..., 3] > 0, ~result.masks[0].numpy())
    assert list(ax.collections) == lines_before  # the outline's lines, moved, not drawn anew
    np.testing.assert_array_equal(ax.collections[-1].get_segments(), mask_edges(result.masks[0]))
    visible = [p for p in ax.patches if p.get_visible()]
    gt, *predicted = visible
    assert box_edges(gt) == shifted(scenes.boxes[0])
    assert [box_edges(p) for p in predicted] == [shifted(b) for b in result.boxes[0]]
    assert ax.get_title() == f"IoU {result.ious[0]:.2f}"
    explorer.update(0.0)  # one component, the whole image: spare rectangles are hidden, none are added
    assert all(p in ax.patches for p in patches_before)
    assert len([p for p in ax.patches if p.get_visible()]) == 2


def test_a_higher_threshold_never_grows_the_mask(scenes, maps):
    explorer = W.ThresholdExplorer(scenes, maps)
    sizes = [explorer.update(t).masks.sum().item() for t in (0.0, 0.3, 0.6, 0.9)]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] == 4 * 64 * 64


def test_threshold_slider_is_wired_to_the_callback(scenes, maps):
    explorer = W.ThresholdExplorer(scenes, maps, threshold=0.25)
    box = explorer.widget()
    assert isinstance(box, ipywidgets.VBox)
    slider = explorer.slider
    assert (slider.min, slider.max, slider.step, slider.value) == (0.0, 1.0, 0.01, 0.25)
    overlay = explorer.figure.axes[0].images[-1]
    slider.value = 0.7
    assert explorer.result.threshold == 0.7
    dimmed = ~threshold_map(explorer.maps[0], 0.7).numpy()  # the pixels outside the mask
    np.testing.assert_array_equal(overlay.get_array()[..., 3] > 0, dimmed)


def test_threshold_explorer_explains_bad_inputs(scenes, pairs, maps):
    with pytest.raises(ValueError, match=r"maps must be a float tensor \[4, h, w\]"):
        W.ThresholdExplorer(scenes, maps[:3])
    with pytest.raises(ValueError, match="one-object"):
        W.ThresholdExplorer(pairs, maps[:2])
    explorer = W.ThresholdExplorer(scenes, maps)
    with pytest.raises(ValueError, match="threshold"):
        explorer.update(1.5)


# --- 2. class explorer -----------------------------------------------------------------------


def test_class_explorer_shows_the_methods_map_for_each_class(gap, scenes):
    explorer = W.ClassExplorer.from_model(gap, scenes)
    probabilities = gap(scenes.images).softmax(1).detach()
    for c in (2, 0):
        result = explorer.update(c)
        direct = class_activation_map(gap, scenes.images, c)
        assert result.class_index == c
        torch.testing.assert_close(result.maps, direct)
        torch.testing.assert_close(result.probabilities, probabilities[:, c])
        for ax, shown in zip(explorer.figure.axes, to_image(direct, 64)):
            np.testing.assert_allclose(ax.images[-1].get_array(), shown.numpy(), atol=1e-6)
        assert explorer.figure.axes[0].get_title().endswith(f"p({CLASS_NAMES[c]}) = {probabilities[0, c]:.2f}")


def test_class_explorer_on_two_object_scenes_highlights_the_object_of_the_class(gap, pairs):
    method = lambda m, x, c: grad_cam(m, m.features, x, c)  # noqa: E731
    explorer = W.ClassExplorer.from_model(gap, pairs, method, method_name="Grad-CAM")
    c = int(pairs.labels[0, 1])
    result = explorer.update(c)
    torch.testing.assert_close(result.maps, grad_cam(gap, gap.features, pairs.images, c))
    left, right = explorer.figure.axes[0].patches
    assert (left.get_alpha(), right.get_alpha()) == (0.3, 1.0)


def test_class_dropdown_lists_the_classes_with_their_probability_and_calls_back(gap, scenes):
    one = scenes[1]
    explorer = W.ClassExplorer.from_model(gap, one)
    explorer.widget()
    dropdown = explorer.class_dropdown
    p = gap(one.images).softmax(1)[0]
    assert dropdown.options == tuple((f"{name} (p = {p[c]:.2f})", c) for c, name in enumerate(CLASS_NAMES))
    assert dropdown.value == int(p.argmax())
    new = (dropdown.value + 1) % 4
    dropdown.value = new
    assert explorer.result.class_index == new
    np.testing.assert_allclose(
        explorer.figure.axes[0].images[-1].get_array(), to_image(class_activation_map(gap, one.images, new), 64)[0]
    )


def test_class_explorer_explains_bad_inputs(scenes):
    with pytest.raises(ValueError, match=r"\[N, classes, h, w\]"):
        W.ClassExplorer(scenes, torch.rand(4, 16, 16))
    with pytest.raises(ValueError, match=r"\[4, 4, h, w\]"):
        W.ClassExplorer(scenes, torch.rand(3, 4, 16, 16))
    with pytest.raises(ValueError, match="probabilities"):
        W.ClassExplorer(scenes, torch.rand(4, 3, 16, 16), torch.rand(4, 4))
    explorer = W.ClassExplorer(scenes, torch.rand(4, 4, 16, 16))
    with pytest.raises(ValueError, match="out of range"):
        explorer.update(4)


# --- 3. layer chooser ------------------------------------------------------------------------------


def test_layer_chooser_equals_grad_cam_at_the_chosen_layer_and_class(gap, scenes):
    layers = {"block 1": gap.features[0], "block 3": gap.features[4]}
    chooser = W.LayerChooser.from_model(gap, layers, scenes[:2])
    assert chooser.result.source == "block 3"  # the last layer named
    for name, c in (("block 1", 3), ("block 3", 1)):
        result = chooser.update(name, c)
        direct = grad_cam(gap, layers[name], scenes.images[:2], c)
        torch.testing.assert_close(result.maps, direct)
        np.testing.assert_allclose(chooser.figure.axes[1].images[-1].get_array(), to_image(direct, 64)[1], atol=1e-6)
    assert chooser.result.maps.shape[-2:] == (16, 16)
    assert chooser.update("block 1", 0).maps.shape[-2:] == (64, 64)
    with pytest.raises(ValueError, match="unknown layer"):
        chooser.update("block 9", 0)


def test_layer_and_class_dropdowns_call_back(gap, scenes):
    layers = {"block 1": gap.features[0], "block 2": gap.features[2]}
    chooser = W.LayerChooser.from_model(gap, layers, scenes[:2], layer="block 1", class_index=0)
    chooser.widget()
    assert chooser.layer_dropdown.options == ("block 1", "block 2")
    assert chooser.class_dropdown.options == tuple((name, c) for c, name in enumerate(CLASS_NAMES))
    chooser.layer_dropdown.value = "block 2"
    chooser.class_dropdown.value = 2
    assert (chooser.result.source, chooser.result.class_index) == ("block 2", 2)
    torch.testing.assert_close(chooser.result.maps, grad_cam(gap, layers["block 2"], scenes.images[:2], 2))


# --- 4. ACoL erase explorer -------------------------------------------------------------------------


def test_acol_from_cached_features_is_exactly_acol_run(acol, scenes):
    """What the explorer computes from its cache and ACoL.run must never drift apart."""
    labels = torch.tensor([0, 3, 1, 1])
    with torch.no_grad():
        features = acol.features(scenes.images)
        for delta in (0.3, 0.7, 1.0):
            ours = acol.from_features(features, labels, delta, maps_a=acol.branch_a(features))
            theirs = acol.run(scenes.images, labels, delta=delta)
            for field in ("logits_a", "logits_b", "maps_a", "maps_b", "target", "erased", "fused"):
                assert torch.equal(getattr(ours, field), getattr(theirs, field)), field


def test_acol_explorer_matches_run_for_a_class_and_for_the_prediction(acol, scenes):
    explorer = W.ACoLExplorer(acol, scenes)
    assert explorer.result.delta == acol.delta
    with torch.no_grad():
        for delta, c in ((0.4, 2), (0.8, None)):
            result = explorer.update(delta, c)
            labels = None if c is None else torch.full((4,), c)
            run = acol.run(scenes.images, labels, delta=delta)
            rows = torch.arange(4)
            assert result.target.equal(run.target)
            assert result.erased.equal(run.erased) and result.fused.equal(run.fused)
            assert result.map_b.equal(run.maps_b[rows, run.target])
            assert result.map_a.equal(min_max_normalise(run.maps_a[rows, run.target]))
            assert result.logit_b.equal(run.maps_b[rows, run.target].mean((-2, -1)))
            torch.testing.assert_close(result.score_b, run.logits_b.softmax(1)[rows, run.target])


def test_a_higher_delta_erases_fewer_positions(acol, scenes):
    explorer = W.ACoLExplorer(acol, scenes)
    erased = [explorer.update(d, 1).erased for d in (0.05, 0.3, 0.6, 1.0)]
    for low, high in zip(erased, erased[1:]):
        assert (high & ~low).sum() == 0  # a higher delta erases a subset
    counts = [e.sum().item() for e in erased]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]
    assert (erased[-1].flatten(1).sum(1) >= 1).all()  # delta = 1 still erases each map's peak


def test_acol_explorer_draws_what_b_sees_and_the_maps(acol, scenes):
    explorer = W.ACoLExplorer(acol, scenes[:2])
    result = explorer.update(0.5, 0)
    ax_a, ax_seen, ax_b, ax_fused = explorer.figure.axes[:4]
    np.testing.assert_allclose(ax_a.images[-1].get_array(), to_image(result.map_a, 64)[0], atol=1e-6)
    np.testing.assert_allclose(ax_b.images[-1].get_array(), to_image(result.map_b, 64)[0], atol=1e-6)
    np.testing.assert_allclose(ax_fused.images[-1].get_array(), to_image(result.fused, 64)[0], atol=1e-6)
    hidden = ax_seen.images[-1].get_array()[..., 3] > 0  # 64x64: each erased 16x16 cell darkens its 4x4 pixels
    assert np.array_equal(hidden, result.erased[0].repeat_interleave(4, 0).repeat_interleave(4, 1).numpy())
    assert ax_b.get_title() == f"B: p = {result.score_b[0]:.2f}, logit {result.logit_b[0]:.1f}"


def test_acol_controls_are_wired_to_the_callback(acol, scenes):
    explorer = W.ACoLExplorer(acol, scenes[:2], delta=0.5)
    explorer.widget()
    slider, dropdown = explorer.delta_slider, explorer.class_dropdown
    assert (slider.min, slider.max, slider.value) == (0.05, 1.0, 0.5)
    assert dropdown.options[0] == ("predicted", -1) and len(dropdown.options) == 5
    slider.value = 0.9
    dropdown.value = 3
    assert (explorer.result.delta, explorer.result.class_index) == (0.9, 3)
    with torch.no_grad():
        run = acol.run(scenes.images[:2], torch.full((2,), 3), delta=0.9)
    assert explorer.result.erased.equal(run.erased)


def test_updates_run_on_one_thread_and_give_the_thread_count_back(acol, scenes, maps):
    explorers = [(W.ACoLExplorer(acol, scenes[:1]), (0.5, 1)), (W.ThresholdExplorer(scenes, maps), (0.4,))]
    torch.set_num_threads(2)
    try:
        for explorer, values in explorers:
            explorer.update(*values)
            assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)


def test_acol_explorer_explains_bad_inputs(acol, gap, scenes):
    with pytest.raises(ValueError, match="ACoL model"):
        W.ACoLExplorer(gap, scenes)
    explorer = W.ACoLExplorer(acol, scenes[:1])
    with pytest.raises(ValueError, match="delta"):
        explorer.update(0.0, 0)
    with pytest.raises(ValueError, match="out of range"):
        explorer.update(0.5, 7)


def test_in_a_notebook_each_change_replaces_the_figure_in_the_output(scenes, maps):
    """With an IPython shell, the Output holds exactly one PNG: the figure at the current value."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import select_figure_formats

    shell = InteractiveShell.instance()
    select_figure_formats(shell, {"png"})  # what the notebook's inline backend registers for figures
    try:
        explorer = W.ThresholdExplorer(scenes, maps)
        box = explorer.widget()
        pngs = []
        for value in (0.3, 0.7):
            explorer.slider.value = value
            assert len(explorer.output.outputs) == 1, "an update must replace the figure, not add one under it"
            (output,) = explorer.output.outputs
            assert output["output_type"] == "display_data"
            pngs.append(output["data"]["image/png"])
        assert pngs[0] != pngs[1]
        assert box.children[-1] is explorer.output
    finally:
        InteractiveShell.clear_instance()


def test_threshold_explorer_says_what_its_colours_mean(scenes, maps):
    for multi_contour, box in ((False, "the largest component's box"), (True, "every component's box")):
        explorer = W.ThresholdExplorer(scenes, maps, multi_contour=multi_contour)
        (legend,) = explorer.figure.legends
        assert [t.get_text() for t in legend.get_texts()] == [
            "mask: map >= t (outlined, colours as they are)", "map < t (dimmed)",
            "ground-truth box", box]
        outline, dimmed = legend.legend_handles[:2]
        ax = explorer.figure.axes[0]
        under, over = ax.collections[-2:]
        assert to_rgb(outline.get_color()) == to_rgb(over.get_colors()[0]) == (1.0, 1.0, 1.0)
        assert outline.get_linewidth() == over.get_linewidths()[0]
        assert to_rgba(dimmed.get_facecolor()) == (0.0, 0.0, 0.0, W.DIM_ALPHA)
        overlay = ax.images[-1].get_array()
        assert (overlay[..., :3] == 0).all()  # black: darkens, never recolours
        assert set(np.unique(overlay[..., 3])) <= {0.0, np.float32(W.DIM_ALPHA)}


def test_threshold_explorer_never_paints_over_a_head(scenes, maps):
    """Inside the mask the image is left as it is; outside it is only darkened, never recoloured.

    The outline runs between pixels, and it is white, which is none of the classes' head colours.
    """
    for t in (0.0, 0.2, 0.5, 0.9):
        explorer = W.ThresholdExplorer(scenes, maps, threshold=t)
        for ax, mask, part in zip(explorer.figure.axes, explorer.result.masks, scenes.part_masks):
            alpha = ax.images[-1].get_array()[..., 3]
            assert (alpha[mask.numpy()] == 0).all()  # a head inside the mask: not covered at all
            # a head outside the mask: dimmed, not hidden
            assert (alpha[(part & ~mask).numpy()] <= np.float32(W.DIM_ALPHA)).all()
            assert np.isin(ax.collections[-1].get_segments(), np.arange(-1, 65) + 0.5).all()
    head_colours = [to_rgb(tuple(c.tolist())) for c in HEAD_COLOURS]
    assert all(np.abs(np.subtract(to_rgb(W.OUTLINE_COLOUR), c)).max() > 0.3 for c in head_colours)


def test_mask_edges_trace_the_outline_between_pixels():
    mask = torch.zeros(4, 5, dtype=torch.bool)
    mask[1:3, 1:3] = True  # a 2x2 square: 8 unit sides
    mask[0, 4] = True  # a corner pixel: 4 sides, two of them on the image's border
    edges = {tuple(map(tuple, s)) for s in mask_edges(mask).tolist()}
    square = {((0.5, 0.5), (0.5, 1.5)), ((0.5, 1.5), (0.5, 2.5)), ((2.5, 0.5), (2.5, 1.5)),
              ((2.5, 1.5), (2.5, 2.5)), ((0.5, 0.5), (1.5, 0.5)), ((1.5, 0.5), (2.5, 0.5)),
              ((0.5, 2.5), (1.5, 2.5)), ((1.5, 2.5), (2.5, 2.5))}
    corner = {((3.5, -0.5), (3.5, 0.5)), ((4.5, -0.5), (4.5, 0.5)), ((3.5, -0.5), (4.5, -0.5)),
              ((3.5, 0.5), (4.5, 0.5))}
    assert edges == square | corner and len(mask_edges(mask)) == 12
    assert mask_edges(torch.zeros(3, 3, dtype=torch.bool)).shape == (0, 2, 2)

"""Tests for course_utils.plots: what each function draws, box geometry, and clear errors."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # before pyplot: no window, no display needed

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.colorbar import Colorbar  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from course_utils import plots  # noqa: E402
from course_utils.localization import box_of_mask  # noqa: E402
from course_utils.maps import to_image  # noqa: E402
from course_utils.scenes import make_pair_scenes, make_scenes  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def scenes():
    return make_scenes(3, seed=1)


@pytest.fixture(scope="module")
def pairs():
    return make_pair_scenes(2, seed=1)


def rectangles(ax) -> list[Rectangle]:
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def colorbars(fig) -> list[Colorbar]:
    return [ax._colorbar for ax in fig.axes if getattr(ax, "_colorbar", None) is not None]


# --- images and overlays -----------------------------------------------------------


def test_show_image_draws_the_pixels_as_height_width_rgb(scenes):
    ax = plots.show_image(scenes.images[0], title="a scene")
    np.testing.assert_array_equal(ax.images[0].get_array(), scenes.images[0].permute(1, 2, 0).numpy())
    assert ax.get_title() == "a scene"


@pytest.mark.parametrize(
    "bad",
    [torch.rand(64, 64, 3), torch.rand(1, 3, 64, 64), torch.rand(4, 8, 8), torch.zeros(3, 8, 8, dtype=torch.uint8)],
)
def test_show_image_rejects_anything_but_one_float_rgb_image(bad):
    with pytest.raises(ValueError, match=r"\[3, H, W\]"):
        plots.show_image(bad)


def test_overlay_map_upsamples_a_coarse_map_to_the_image_with_a_labelled_colorbar(scenes):
    cam_map = torch.rand(16, 16, generator=torch.Generator().manual_seed(0)) * 7 - 2
    ax = plots.overlay_map(scenes.images[0], cam_map, title="CAM")
    overlay = ax.images[-1]
    np.testing.assert_allclose(overlay.get_array(), to_image(cam_map, 64).numpy())
    assert overlay.get_array().shape == (64, 64)
    assert overlay.get_clim() == (0.0, 1.0) and overlay.get_cmap().name == plots.CMAP
    (bar,) = colorbars(ax.figure)
    assert bar.ax.get_ylabel() == plots.MAP_LABEL


def test_overlay_map_without_colorbar_and_with_nearest_upsampling(scenes):
    cam_map = torch.arange(16.0).view(4, 4)
    ax = plots.overlay_map(scenes.images[0], cam_map, colorbar=False, upsample_mode="nearest")
    assert colorbars(ax.figure) == []
    np.testing.assert_allclose(ax.images[-1].get_array(), to_image(cam_map, 64, "nearest").numpy())


# --- gradients as images -----------------------------------------------------------


def test_show_gradient_clips_the_magnitude_at_the_percentile():
    # 10,000 magnitudes 1..10,000 (one colour channel holds them): the 99th percentile is
    # 9,900.01, so values from there on are white, and half of it is mid grey.
    values = torch.arange(1.0, 10_001.0).view(100, 100)
    gradient = torch.zeros(3, 100, 100)
    gradient[1] = -values  # the sign does not matter for the magnitude
    ax = plots.show_gradient(gradient, title="guided backprop")
    drawn = np.asarray(ax.images[-1].get_array())
    q = np.percentile(values.numpy(), 99)
    assert drawn.shape == (100, 100)
    assert drawn.min() >= 0.0 and drawn.max() == 1.0
    np.testing.assert_allclose(drawn.flatten()[:9900], values.numpy().flatten()[:9900] / q, rtol=1e-6)
    assert (drawn.flatten()[9901:] == 1.0).all()  # the top 1% saturate
    assert ax.images[-1].get_clim() == (0.0, 1.0) and ax.images[-1].get_cmap().name == "gray"
    assert ax.get_title() == "guided backprop"


def test_show_gradient_percentile_100_is_min_max_scaling_and_keeps_few_pixels_visible():
    # One large value among small ones: scaled to the largest value, everything else is near black.
    gradient = torch.full((3, 64, 64), 0.01)
    gradient[0, 5, 5] = 10.0
    full = plots.gradient_array(gradient, percentile=100)
    assert full.max() == 1.0 and (full > 0.5).sum() == 1
    clipped = plots.gradient_array(gradient)  # 99th percentile: 0.01, so every pixel is white
    assert (clipped == 1.0).all()


def test_show_gradient_signed_is_mid_grey_at_zero_and_stays_in_range():
    gradient = torch.randn(3, 32, 32, generator=torch.Generator().manual_seed(0)) * 5
    gradient[:, 0, 0] = 0.0
    ax = plots.show_gradient(gradient, signed=True, percentile=95)
    drawn = np.asarray(ax.images[-1].get_array())
    assert drawn.shape == (32, 32, 3)
    assert drawn.min() == 0.0 and drawn.max() == 1.0  # the top 5% saturate on both sides
    np.testing.assert_allclose(drawn[0, 0], 0.5)
    q = np.percentile(gradient.abs().numpy(), 95)
    np.testing.assert_allclose(drawn, np.clip(0.5 + 0.5 * gradient.permute(1, 2, 0).double().numpy() / q, 0, 1), atol=1e-6)


@pytest.mark.parametrize("signed", [False, True])
def test_show_gradient_of_a_zero_gradient_is_flat_not_nan(signed):
    drawn = plots.gradient_array(torch.zeros(3, 8, 8), signed=signed)
    assert np.isfinite(drawn).all()
    assert (drawn == (0.5 if signed else 0.0)).all()


def test_show_gradient_takes_one_map_too():
    drawn = plots.gradient_array(torch.tensor([[0.0, -1.0], [2.0, 4.0]]), percentile=100)
    np.testing.assert_allclose(drawn, [[0.0, 0.25], [0.5, 1.0]])


@pytest.mark.parametrize(
    ("bad", "kwargs", "says"),
    [
        (torch.rand(1, 3, 8, 8), {}, r"gradient must be a float tensor \[3, H, W\]"),
        (torch.rand(4, 8, 8), {}, r"\[3, H, W\]"),
        (torch.zeros(3, 8, 8, dtype=torch.long), {}, r"\[3, H, W\]"),
        (np.zeros((3, 8, 8)), {}, r"\[3, H, W\]"),
        (torch.rand(3, 8, 8), {"percentile": 0}, r"percentile must be a number in \(0, 100\]"),
        (torch.rand(3, 8, 8), {"percentile": 99.9 * 2}, "percentile"),
        (torch.full((3, 8, 8), float("nan")), {}, "NaN"),
    ],
)
def test_show_gradient_bad_input_says_what_is_expected(bad, kwargs, says):
    with pytest.raises(ValueError, match=says):
        plots.show_gradient(bad, **kwargs)


@pytest.mark.parametrize("bad_map", [torch.rand(1, 16, 16), torch.rand(16), torch.ones(4, 4, dtype=torch.long)])
def test_overlay_map_rejects_maps_that_are_not_one_float_map(scenes, bad_map):
    with pytest.raises(ValueError, match="cam_map"):
        plots.overlay_map(scenes.images[0], bad_map)


def test_overlay_map_rejects_an_unknown_upsampling_mode(scenes):
    with pytest.raises(ValueError, match="upsample_mode"):
        plots.overlay_map(scenes.images[0], torch.rand(4, 4), upsample_mode="area")


def test_show_signed_map_keeps_the_sign_and_centres_the_scale_at_zero(scenes):
    _, ax = plt.subplots()
    cam_map = torch.tensor([[-3.0, 0.0], [1.0, 2.0]])
    drawn = plots.show_signed_map(cam_map, ax, outline=scenes.masks[0], title="raw")
    array = drawn.get_array()
    assert array.shape == tuple(scenes.masks[0].shape)  # upsampled to the outline's size
    assert array.min() < 0 < array.max()  # not normalised: the sign survives
    assert drawn.get_clim() == (-float(np.abs(array).max()), float(np.abs(array).max()))
    assert drawn.get_cmap().name == plots.SIGNED_CMAP
    assert ax.collections, "the outline is drawn as a contour"
    assert ax.get_title() == "raw"


def test_show_signed_map_shares_a_given_scale_and_rejects_bad_input():
    _, ax = plt.subplots()
    drawn = plots.show_signed_map(torch.ones(4, 4), ax, size=(8, 8), vmax=5.0)
    assert drawn.get_array().shape == (8, 8) and drawn.get_clim() == (-5.0, 5.0)
    with pytest.raises(ValueError, match="cam_map"):
        plots.show_signed_map(torch.ones(1, 4, 4), ax)
    with pytest.raises(ValueError, match="vmax"):
        plots.show_signed_map(torch.zeros(4, 4), ax)
    with pytest.raises(ValueError, match="outline"):
        plots.show_signed_map(torch.ones(4, 4), ax, outline=torch.ones(1, 8, 8, dtype=torch.bool))


# --- boxes: the exclusive-corner convention ------------------------------------------------


def test_draw_box_puts_the_edges_half_a_pixel_outside_the_covered_pixels():
    _, ax = plt.subplots()
    rect = plots.draw_box(ax, torch.tensor([2, 3, 5, 9]), "lime", label="gt", linestyle="--")
    # Columns 2, 3, 4 and rows 3..8: edges at 1.5 and 4.5, 2.5 and 8.5.
    assert rect.get_xy() == (1.5, 2.5)
    assert (rect.get_width(), rect.get_height()) == (3, 6)
    assert rect.get_linestyle() == "--" and rect.get_label() == "gt" and not rect.get_fill()
    assert rect in ax.patches


def test_a_box_outlines_exactly_the_mask_pixels_as_imshow_draws_them():
    """The box of a mask, drawn over that mask, hugs its outer pixel edges."""
    mask = torch.zeros(10, 12, dtype=torch.bool)
    mask[4:7, 3:9] = True
    _, ax = plt.subplots()
    image = ax.imshow(mask.numpy())
    rect = plots.draw_box(ax, box_of_mask(mask), "red")
    left, right, bottom, top = image.get_extent()  # the image's outer pixel edges
    assert (left, top) == (-0.5, -0.5) and (right, bottom) == (11.5, 9.5)
    x0, y0 = rect.get_xy()
    assert (x0, x0 + rect.get_width()) == (3 - 0.5, 8 + 0.5)  # first and last True column, outer edges
    assert (y0, y0 + rect.get_height()) == (4 - 0.5, 6 + 0.5)


def test_the_no_box_is_hidden_and_set_box_moves_a_rectangle_in_place():
    _, ax = plt.subplots()
    rect = plots.draw_box(ax, (0, 0, 0, 0), "lime")
    assert not rect.get_visible()
    plots.set_box(rect, [1, 1, 4, 2])
    assert rect.get_visible() and rect.get_bbox().bounds == (0.5, 0.5, 3, 1)


@pytest.mark.parametrize("bad", [(5, 0, 2, 4), (0, 0, 1), torch.zeros(2, 4)])
def test_draw_box_rejects_boxes_that_are_not_x0_y0_x1_y1(bad):
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="x0, y0, x1, y1"):
        plots.draw_box(ax, bad, "lime")


# --- grids ----------------------------------------------------------------------------


def test_scene_grid_draws_one_ground_truth_and_one_predicted_box_per_scene(scenes):
    pred = scenes.boxes + 1
    fig = plots.scene_grid(scenes, maps=torch.rand(3, 16, 16), pred_boxes=pred, ncols=2)
    image_axes = [ax for ax in fig.axes if ax.images]
    assert len(image_axes) == 3
    for ax, gt, p in zip(image_axes, scenes.boxes, pred):
        solid, dashed = rectangles(ax)
        assert solid.get_xy() == (gt[0] - 0.5, gt[1] - 0.5) and solid.get_linestyle() == "-"
        assert dashed.get_xy() == (p[0] - 0.5, p[1] - 0.5) and dashed.get_linestyle() == "--"
        assert len(ax.images) == 2  # image and map
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["ground truth", "predicted"]
    assert len(colorbars(fig)) == 1


def test_scene_grid_picks_scenes_by_index_and_accepts_several_boxes_per_scene(scenes):
    pred = [torch.tensor([[0, 0, 4, 4], [5, 5, 9, 9]]), torch.tensor([[1, 1, 2, 2]]), torch.tensor([[0, 0, 0, 0]])]
    fig = plots.scene_grid(scenes, [2, 0], pred_boxes=pred, titles=["third", "first"])
    axes = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in axes] == ["third", "first"]
    assert [len(rectangles(ax)) for ax in axes] == [1 + 1, 1 + 2]
    assert not rectangles(axes[0])[1].get_visible()  # the no-box of scene 2


def test_scene_grid_draws_both_objects_of_a_pair_scene(pairs):
    fig = plots.scene_grid(pairs)
    axes = [ax for ax in fig.axes if ax.images]
    for ax, boxes in zip(axes, pairs.boxes):
        assert [r.get_xy() for r in rectangles(ax)] == [(b[0] - 0.5, b[1] - 0.5) for b in boxes.tolist()]
    names = plots.CLASS_NAMES
    assert axes[0].get_title() == f"{names[pairs.labels[0, 0]]} + {names[pairs.labels[0, 1]]}"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"indices": [5]}, "indices"),
        ({"maps": torch.rand(2, 16, 16)}, "maps"),
        ({"pred_boxes": torch.zeros(2, 4)}, "pred_boxes"),
        ({"titles": ["one"]}, "titles"),
    ],
)
def test_scene_grid_explains_bad_arguments(scenes, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plots.scene_grid(scenes, **kwargs)


def test_compare_maps_draws_the_image_then_one_labelled_overlay_per_map(scenes):
    fig = plots.compare_maps(scenes.images[0], {"CAM": torch.rand(16, 16), "occlusion": torch.rand(15, 15)})
    axes = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in axes] == ["image", "CAM", "occlusion"]
    assert [len(ax.images) for ax in axes] == [1, 2, 2]
    assert len(colorbars(fig)) == 1
    with pytest.raises(ValueError, match="at least one"):
        plots.compare_maps(scenes.images[0], {})


# --- box accuracy curve ---------------------------------------------------------------------


def test_curve_marks_each_lines_best_threshold_at_its_argmax():
    t = torch.linspace(0, 0.99, 100)
    acc = torch.stack([torch.exp(-((t - 0.3) / 0.1) ** 2), 0.5 * torch.exp(-((t - 0.6) / 0.2) ** 2)])
    ax = plots.plot_box_accuracy_curve(t, acc, labels=["IoU 0.5", "IoU 0.7"])
    markers = [line for line in ax.lines if line.get_marker() == "o"]
    assert len(markers) == 2
    for marker, row in zip(markers, acc):
        best = int(row.argmax())
        assert marker.get_xdata()[0] == pytest.approx(t[best].item())
        assert marker.get_ydata()[0] == pytest.approx(row[best].item())
    bottom, top = ax.get_ylim()
    assert bottom == 0.0 and top > 1.0 and max(ax.get_yticks()) == 1.0  # a band above 1.0 for the legend
    legend_box = ax.get_legend().get_window_extent(ax.figure.canvas.get_renderer())
    assert legend_box.y0 >= ax.transData.transform((0.0, 1.0))[1] - 1, "the legend must sit above accuracy 1.0"
    assert ax.get_xlabel() and ax.get_ylabel() == "box accuracy"
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend[0].startswith("IoU 0.5 (best t = 0.30")


def test_curve_accepts_one_line_and_can_leave_the_best_unmarked():
    ax = plots.plot_box_accuracy_curve([0.0, 0.5, 1.0], torch.tensor([0.2, 0.9, 0.1]), mark_best=False)
    assert len(ax.lines) == 1 and ax.lines[0].get_marker() != "o"


@pytest.mark.parametrize("acc", [torch.rand(5), torch.rand(2, 3, 4)])
def test_curve_rejects_accuracies_that_do_not_match_the_thresholds(acc):
    with pytest.raises(ValueError, match="same T"):
        plots.plot_box_accuracy_curve(torch.rand(4), acc)


def test_curve_wants_one_label_per_line():
    with pytest.raises(ValueError, match="labels"):
        plots.plot_box_accuracy_curve(torch.rand(4), torch.rand(2, 4), labels=["only one"])

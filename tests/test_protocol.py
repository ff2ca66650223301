"""course_utils.protocol: score tables, held-out selection, bootstrap, baselines; and the few-shot model."""

import pytest
import torch

from course_utils.errors import CourseValueError
from course_utils.localization import max_box_acc, pxap
from course_utils.models import MaskCNN, mask_targets
from course_utils.protocol import (
    ScoreTables,
    bootstrap_scores,
    centre_gaussian_map,
    difference_interval,
    max_box_acc_v2_from_tables,
    percentile_interval,
    pxap_from_tables,
    resample_weights,
    score_tables,
    select_on_heldout,
    shared_map_tables,
    whole_image_map,
)
from course_utils.scenes import make_scenes
from course_utils.train import TrainConfig, build_model, loss_fn


@pytest.fixture(scope="module")
def scenes():
    return make_scenes(24, seed=77)


@pytest.fixture(scope="module")
def maps(scenes):
    gen = torch.Generator().manual_seed(3)
    noisy = torch.rand(len(scenes), 64, 64, generator=gen) * 0.6
    return noisy + scenes.masks.float() * torch.rand(len(scenes), 1, 1, generator=gen)


@pytest.fixture(scope="module")
def tables(maps, scenes):
    return score_tables(maps, scenes.masks, scenes.boxes)


def test_unweighted_scores_are_the_librarys(tables, maps, scenes):
    assert max_box_acc_v2_from_tables(tables).item() == max_box_acc(maps, scenes.boxes)
    assert pxap_from_tables(tables).item() == pytest.approx(pxap(maps, scenes.masks), abs=1e-12)


def test_weights_of_ones_give_the_unweighted_scores(tables):
    ones = torch.ones(2, len(tables), dtype=torch.float64)
    assert torch.allclose(max_box_acc_v2_from_tables(tables, ones), max_box_acc_v2_from_tables(tables).expand(2))
    assert torch.allclose(pxap_from_tables(tables, ones), pxap_from_tables(tables).expand(2))


def test_a_row_of_counts_scores_the_resampled_scenes(tables, maps, scenes):
    index = torch.tensor([0, 0, 3, 5, 5, 5, 7, 11, 11, 20, 23, 23])
    weights = torch.bincount(index, minlength=len(tables)).double()[None]
    assert max_box_acc_v2_from_tables(tables, weights).item() == pytest.approx(
        max_box_acc(maps[index], scenes.boxes[index]), abs=1e-12
    )
    assert pxap_from_tables(tables, weights).item() == pytest.approx(pxap(maps[index], scenes.masks[index]), abs=1e-12)
    subset = tables[index]
    assert isinstance(subset, ScoreTables) and len(subset) == len(index)


def test_a_shared_map_gives_the_tables_of_the_map_repeated(scenes):
    shared = centre_gaussian_map()
    fast = shared_map_tables(shared, scenes.masks, scenes.boxes)
    slow = score_tables(shared.expand(len(scenes), 64, 64), scenes.masks, scenes.boxes)
    for name in ("ious", "true_pos", "false_pos", "foreground"):
        assert torch.equal(getattr(fast, name), getattr(slow, name)), name


def test_the_whole_image_baseline_scores_what_it_should(scenes):
    tables = shared_map_tables(whole_image_map(), scenes.masks, scenes.boxes)
    areas = ((scenes.boxes[:, 2] - scenes.boxes[:, 0]) * (scenes.boxes[:, 3] - scenes.boxes[:, 1])).double()
    assert torch.allclose(tables.ious[0], areas / 4096)  # one box, the whole image, at threshold 0
    assert (tables.ious[1:] == 0).all()  # nothing above it
    share = scenes.masks.sum().item() / scenes.masks.numel()
    assert pxap_from_tables(tables).item() == pytest.approx(share, abs=1e-12)


def test_the_centre_gaussian_peaks_at_the_centre_and_is_symmetric():
    g = centre_gaussian_map(64, sigma=10.0)
    assert g.shape == (64, 64)
    assert torch.equal(g, g.flip(0)) and torch.equal(g, g.T)
    assert g[31, 31] == g.max() and g[0, 0] == g.min()
    with pytest.raises(CourseValueError, match="sigma must be positive"):
        centre_gaussian_map(64, sigma=0.0)


def test_resample_weights_are_seeded_counts():
    w = resample_weights(50, 30, seed=4)
    assert w.shape == (30, 50) and torch.equal(w.sum(1), torch.full((30,), 50.0, dtype=torch.float64))
    assert torch.equal(w, resample_weights(50, 30, seed=4))
    assert not torch.equal(w, resample_weights(50, 30, seed=5))
    assert (w == 0).any()  # with replacement: some scenes are left out
    with pytest.raises(CourseValueError, match="n_scenes must be a positive int"):
        resample_weights(0)


def test_percentile_interval_is_the_central_quantiles():
    low, high = percentile_interval(torch.arange(101.0), 0.95)
    assert (low, high) == pytest.approx((2.5, 97.5))
    with pytest.raises(CourseValueError, match="level must lie strictly between 0 and 1"):
        percentile_interval(torch.arange(5.0), 1.0)


def test_select_on_heldout_takes_the_best_and_the_first_on_a_tie():
    assert select_on_heldout({0.9: 0.30, 0.7: 0.35, 0.5: 0.33}) == 0.7
    assert select_on_heldout({0.9: 0.35, 0.7: 0.35, 0.5: 0.33}) == 0.9
    with pytest.raises(CourseValueError, match="non-empty mapping"):
        select_on_heldout({})
    with pytest.raises(CourseValueError, match="NaN"):
        select_on_heldout({0.5: float("nan")})


def test_bootstrap_scores_and_paired_differences(tables, maps, scenes):
    other = score_tables(maps.flip(-1), scenes.masks, scenes.boxes)
    weights = resample_weights(len(tables), 200)
    one = bootstrap_scores([tables, other], "MaxBoxAccV2", weights)
    assert one.per_seed == (max_box_acc_v2_from_tables(tables).item(), max_box_acc_v2_from_tables(other).item())
    assert one.mean == pytest.approx(sum(one.per_seed) / 2)
    assert one.spread == pytest.approx(abs(one.per_seed[0] - one.per_seed[1]))
    assert one.interval[0] <= one.interval[1]
    assert difference_interval(one, one) == (0.0, 0.0, 0.0)
    with pytest.raises(CourseValueError, match="unknown metric"):
        bootstrap_scores([tables], "IoU", weights)
    with pytest.raises(CourseValueError, match="weights must be a tensor"):
        bootstrap_scores([tables], "PxAP", weights[:, :3])


def test_score_tables_check_their_shapes():
    with pytest.raises(CourseValueError, match="ScoreTables needs"):
        ScoreTables(torch.zeros(3, 4), torch.zeros(4, 2), torch.zeros(4, 3), torch.zeros(4))


def test_mask_targets_are_cell_fractions_and_the_mask_model_trains_on_them():
    masks = torch.zeros(1, 8, 8, dtype=torch.bool)
    masks[0, :2, :4] = True
    assert torch.equal(mask_targets(masks), torch.tensor([[[0.5, 0.0], [0.0, 0.0]]]))
    with pytest.raises(CourseValueError, match="bool tensor"):
        mask_targets(masks.float())
    model = build_model(TrainConfig("MaskCNN", supervision="mask"))
    assert isinstance(model, MaskCNN)
    scenes = make_scenes(4, seed=1)
    loss, logits = loss_fn(model, scenes.images, scenes.labels, scenes.masks)
    assert logits.shape == (4, 16, 16) and loss.item() > 0
    with pytest.raises(CourseValueError, match="pass masks"):
        loss_fn(model, scenes.images, scenes.labels)


def test_largest_component_boxes_centres_and_centroids():
    from course_utils.protocol import box_centres, largest_component_boxes, mask_centroids, weighted_mean_interval

    maps = torch.zeros(2, 16, 16)
    maps[0, 2:4, 2:4] = 1.0  # small blob
    maps[0, 8:14, 5:9] = 1.0  # large blob: the one kept
    boxes = largest_component_boxes(maps, 0.5)
    assert boxes[0].tolist() == [5, 8, 9, 14]
    assert boxes[1].tolist() == [0, 0, 0, 0]  # a constant map normalises to 0: nothing reaches 0.5
    assert box_centres(boxes[:1]).tolist() == [[7.0, 11.0]]
    masks = torch.zeros(1, 4, 4, dtype=torch.bool)
    masks[0, 0, 0] = masks[0, 0, 2] = True
    assert mask_centroids(masks).tolist() == [[1.5, 0.5]]
    with pytest.raises(CourseValueError, match="at least one True pixel"):
        mask_centroids(torch.zeros(1, 4, 4, dtype=torch.bool))
    values = torch.tensor([0.0, 1.0, 2.0, 3.0])
    mean, low, high = weighted_mean_interval(values, resample_weights(4, 500))
    assert mean == 1.5 and 0.0 <= low < mean < high <= 3.0


def test_floor_to_levels_rounds_each_iou_down_to_the_highest_level_it_reaches():
    from course_utils.protocol import floor_to_levels

    ious = torch.tensor([0.0, 0.29, 0.3, 0.49, 0.5, 0.6999, 0.7, 1.0], dtype=torch.float64)
    assert floor_to_levels(ious).tolist() == [0.0, 0.0, 0.3, 0.3, 0.5, 0.5, 0.7, 0.7]
    # an IoU of exactly 7/10, computed from whole pixel counts, reaches the level 0.7
    exact = torch.tensor([70 / 100, 69 / 100], dtype=torch.float64)
    assert floor_to_levels(exact).tolist() == [0.7, 0.5]
    with pytest.raises(CourseValueError, match="strictly increasing"):
        floor_to_levels(ious, (0.5, 0.3))
    with pytest.raises(CourseValueError, match="float tensor"):
        floor_to_levels(torch.tensor([1, 0]))


def test_floored_tables_score_maxboxaccv2_exactly_and_no_other_level(tables):
    floored = tables.floored()
    assert floored.iou_levels == (0.3, 0.5, 0.7)
    assert set(floored.ious.unique().tolist()) <= {0.0, 0.3, 0.5, 0.7}
    weights = resample_weights(len(tables), 50)
    assert torch.equal(max_box_acc_v2_from_tables(floored), max_box_acc_v2_from_tables(tables))
    assert torch.equal(max_box_acc_v2_from_tables(floored, weights),
                       max_box_acc_v2_from_tables(tables, weights))
    assert torch.equal(max_box_acc_v2_from_tables(floored, iou_thresholds=(0.5,)),
                       max_box_acc_v2_from_tables(tables, iou_thresholds=(0.5,)))
    assert torch.equal(pxap_from_tables(floored), pxap_from_tables(tables))
    assert floored[:5].iou_levels == floored.iou_levels  # a subset keeps what it knows
    with pytest.raises(CourseValueError, match="cannot score the IoU levels"):
        max_box_acc_v2_from_tables(floored, iou_thresholds=(0.4,))
    with pytest.raises(CourseValueError, match="cannot floor to"):
        floored.floored((0.4,))


def test_saved_tables_load_back_floored_with_their_names_in_order(tables, maps, scenes, tmp_path):
    from course_utils.protocol import load_score_tables, save_score_tables, tables_agree

    other = score_tables(maps.flip(-1), scenes.masks, scenes.boxes)
    save_score_tables({"b": tables, "a": other}, tmp_path / "t.npz")
    back = load_score_tables(tmp_path / "t.npz")
    assert list(back) == ["b", "a"]
    for name, original in (("b", tables), ("a", other)):
        assert torch.equal(back[name].ious, original.floored().ious)
        assert torch.equal(back[name].true_pos, original.true_pos)
        assert torch.equal(back[name].false_pos, original.false_pos)
        assert torch.equal(back[name].foreground, original.foreground)
        assert back[name].iou_levels == (0.3, 0.5, 0.7) and back[name].largest_ious is None
        assert pxap_from_tables(back[name]).item() == pxap_from_tables(original).item()
    with pytest.raises(CourseValueError, match="not scored on the same scenes"):
        save_score_tables({"b": tables, "a": tables[:10]}, tmp_path / "u.npz")
    # the largest component's IoUs travel too, floored, for the tables that keep them
    with_largest = score_tables(maps, scenes.masks, scenes.boxes, with_largest=True)
    save_score_tables({"plain": tables, "largest": with_largest}, tmp_path / "l.npz")
    back = load_score_tables(tmp_path / "l.npz")
    assert back["plain"].largest_ious is None
    assert torch.equal(back["largest"].largest_ious, with_largest.floored().largest_ious)
    assert tables_agree(back["largest"], with_largest)
    fractional = ScoreTables(tables.ious, tables.true_pos + 0.5, tables.false_pos,
                             tables.foreground)
    with pytest.raises(CourseValueError, match="whole pixel counts"):
        save_score_tables({"x": fractional}, tmp_path / "u.npz")
    with pytest.raises(CourseValueError, match="non-empty mapping"):
        save_score_tables({}, tmp_path / "u.npz")
    with pytest.raises(FileNotFoundError, match="make checkpoints"):
        load_score_tables(tmp_path / "missing.npz")


def test_tables_agree_up_to_a_few_entries_and_not_beyond(tables):
    from course_utils.protocol import tables_agree

    n_entries = tables.true_pos.numel()
    assert tables_agree(tables, tables) and tables_agree(tables, tables.floored())

    def with_counts_changed(k: int) -> ScoreTables:
        true_pos = tables.true_pos.clone()
        true_pos.view(-1)[:k] += 1  # k entries one pixel off, as float rounding in the maps does
        return ScoreTables(tables.ious, true_pos, tables.false_pos, tables.foreground)

    share = 0.01
    assert tables_agree(tables, with_counts_changed(int(share * n_entries)), max_share=share)
    too_many = with_counts_changed(int(share * n_entries) + 1)
    assert not tables_agree(tables, too_many, max_share=share)
    shifted = ScoreTables(tables.ious.roll(1, dims=1), tables.true_pos, tables.false_pos,
                          tables.foreground)
    assert not tables_agree(tables, shifted)  # other boxes: other IoU levels on many scenes
    assert not tables_agree(tables, tables[:10])  # other scenes
    with pytest.raises(CourseValueError, match="max_share"):
        tables_agree(tables, tables, max_share=1.0)

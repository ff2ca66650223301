"""The synthetic scenes: deterministic, consistent ground truth, and the cues the course relies on."""

import pytest
import torch

from course_utils.localization import box_of_mask
from course_utils.scenes import (
    CUE_CORNER,
    CUE_GLYPHS,
    CUE_SIZE,
    HEAD_COLOURS,
    NUM_CLASSES,
    PairScenes,
    load_scenes,
    make_pair_scenes,
    make_scenes,
    save_scenes,
)


@pytest.fixture(scope="module")
def scenes():
    return make_scenes(200, seed=7)


def test_same_seed_same_scenes_and_other_seed_differs(scenes):
    again = make_scenes(200, seed=7)
    assert torch.equal(scenes.images, again.images)
    assert torch.equal(scenes.masks, again.masks)
    assert not torch.equal(scenes.images, make_scenes(200, seed=8).images)


def test_shapes_types_and_range(scenes):
    assert scenes.images.shape == (200, 3, 64, 64) and scenes.images.dtype == torch.float32
    assert scenes.images.min() >= 0 and scenes.images.max() <= 1
    assert scenes.labels.shape == (200,) and scenes.labels.dtype == torch.int64
    assert scenes.masks.shape == (200, 64, 64) and scenes.masks.dtype == torch.bool
    assert scenes.boxes.shape == (200, 4)
    assert torch.bincount(scenes.labels, minlength=NUM_CLASSES).tolist() == [50] * NUM_CLASSES


def test_boxes_are_the_tight_boxes_of_the_masks(scenes):
    assert torch.equal(scenes.boxes, box_of_mask(scenes.masks))
    x0, y0, x1, y1 = scenes.boxes.T
    assert ((x1 > x0) & (y1 > y0)).all()


def test_the_head_is_a_small_part_of_the_creature(scenes):
    assert not (scenes.part_masks & ~scenes.masks).any()
    head = scenes.part_masks.flatten(1).sum(1).float()
    whole = scenes.masks.flatten(1).sum(1).float()
    assert (head > 0).all()
    assert (head / whole).max() < 0.35 and (head / whole).mean() < 0.2


def test_head_colour_says_the_class(scenes):
    # mean colour of each head pixel set is nearest to its own class colour
    colours = torch.stack([scenes.images[i][:, scenes.part_masks[i]].mean(1) for i in range(len(scenes))])
    nearest = torch.cdist(colours, HEAD_COLOURS).argmin(1)
    assert (nearest == scenes.labels).float().mean() > 0.97


def _glyph_visible(scenes):
    """For each scene: is its class's white glyph there, where the creature does not hide it?"""
    y, x = CUE_CORNER
    seen = []
    for image, label, mask in zip(scenes.images, scenes.labels, scenes.masks):
        cell = image[:, y : y + CUE_SIZE, x : x + CUE_SIZE]
        glyph = CUE_GLYPHS[label] & ~mask[y : y + CUE_SIZE, x : x + CUE_SIZE]
        seen.append(bool(glyph.any() and (cell[:, glyph] > 0.85).all()))
    return torch.tensor(seen)


def test_cue_stamps_the_class_glyph():
    cued = make_scenes(40, seed=3, cue=True)
    assert _glyph_visible(cued).float().mean() > 0.9
    assert not _glyph_visible(make_scenes(40, seed=3)).any()


def test_glyphs_differ_between_classes():
    flat = CUE_GLYPHS.flatten(1)
    assert len({tuple(g.tolist()) for g in flat}) == NUM_CLASSES


def test_cue_rate_sets_the_fraction_of_marked_scenes():
    assert not _glyph_visible(make_scenes(100, seed=3, cue=True, cue_rate=0.0)).any()
    assert 0.3 < _glyph_visible(make_scenes(400, seed=3, cue=True, cue_rate=0.5)).float().mean() < 0.7


def test_cue_rate_zero_gives_the_same_scenes_without_the_glyph():
    cued = make_scenes(50, seed=4, cue=True, grey_heads=True)
    clean = make_scenes(50, seed=4, cue=True, cue_rate=0.0, grey_heads=True)
    assert torch.equal(cued.masks, clean.masks) and torch.equal(cued.labels, clean.labels)
    y, x = CUE_CORNER
    outside = torch.ones(64, 64, dtype=torch.bool)
    outside[y : y + CUE_SIZE, x : x + CUE_SIZE] = False
    assert torch.equal(cued.images[:, :, outside], clean.images[:, :, outside])


def test_grey_heads_carry_no_class_colour():
    def channel_spread(scenes):
        colours = torch.stack([scenes.images[i][:, scenes.part_masks[i]].mean(1) for i in range(len(scenes))])
        return colours.max(1).values - colours.min(1).values

    assert channel_spread(make_scenes(100, seed=5, grey_heads=True)).max() < 0.3  # a little jitter, no hue
    assert channel_spread(make_scenes(100, seed=5)).min() > 0.4  # saturated class colours


def test_pair_scenes_hold_two_different_classes_side_by_side():
    pairs = make_pair_scenes(50, seed=5)
    assert isinstance(pairs, PairScenes)
    assert pairs.labels.shape == (50, 2) and (pairs.labels[:, 0] != pairs.labels[:, 1]).all()
    assert pairs.masks.shape == (50, 2, 64, 64)
    assert not (pairs.masks[:, 0] & pairs.masks[:, 1]).any()
    assert (pairs.masks.flatten(2).sum(2) > 20).all()
    left_centre = (pairs.boxes[:, 0, 0] + pairs.boxes[:, 0, 2]) / 2
    right_centre = (pairs.boxes[:, 1, 0] + pairs.boxes[:, 1, 2]) / 2
    assert (left_centre < 32).all() and (right_centre > 32).all()
    assert torch.equal(pairs.boxes, box_of_mask(pairs.masks.flatten(0, 1)).view(50, 2, 4))


@pytest.mark.parametrize("make", [lambda: make_scenes(30, 1), lambda: make_pair_scenes(30, 1)])
def test_save_and_load_round_trip(tmp_path, make):
    scenes = make()
    save_scenes(scenes, tmp_path / "s.npz")
    back = load_scenes(tmp_path / "s.npz")
    assert type(back) is type(scenes)
    assert (back.images - scenes.images).abs().max() <= 0.5 / 255 + 1e-6
    for name in ("labels", "masks", "boxes", "part_masks"):
        assert torch.equal(getattr(back, name), getattr(scenes, name))


def test_indexing_keeps_every_field_aligned(scenes):
    sub = scenes[torch.tensor([3, 1])]
    assert torch.equal(sub.images[1], scenes.images[1]) and sub.labels.tolist() == scenes.labels[[3, 1]].tolist()
    assert len(scenes[5]) == 1


@pytest.mark.parametrize("n", [0, -3, 2.5])
def test_bad_count_is_a_clear_error(n):
    with pytest.raises(ValueError, match="positive int"):
        make_scenes(n)


def test_bad_cue_rate_is_a_clear_error():
    with pytest.raises(ValueError, match=r"cue_rate must be in \[0, 1\]"):
        make_scenes(4, cue=True, cue_rate=1.5)


def test_missing_file_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="make checkpoints"):
        load_scenes(tmp_path / "nope.npz")

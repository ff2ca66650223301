"""Tests for course_utils.trust: sanity checks, faithfulness curves, shares of the map by region."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils import trust
from course_utils.cam import grad_cam
from course_utils.models import GapCNN

pytestmark = pytest.mark.usefixtures("one_thread")


def test_spearman_matches_a_hand_ranking_with_ties() -> None:
    a = torch.tensor([[[1.0, 2.0], [2.0, 5.0]]])
    b = torch.tensor([[[0.0, 1.0], [3.0, 4.0]]])
    # ranks a: 0, 1.5, 1.5, 3; ranks b: 0, 1, 2, 3 -> Pearson of the ranks
    ra, rb = np.array([0, 1.5, 1.5, 3]), np.array([0, 1, 2, 3])
    expected = np.corrcoef(ra, rb)[0, 1]
    assert trust.spearman(a, b).item() == pytest.approx(expected, abs=1e-6)
    assert trust.spearman(a, a).item() == pytest.approx(1.0)
    assert trust.spearman(a, -a).item() == pytest.approx(-1.0)
    assert trust.spearman(a, torch.zeros_like(a)).item() == 0.0  # a constant map has no ranking


def test_ssim_is_one_for_identical_maps_symmetric_and_lower_for_noise() -> None:
    g = torch.Generator().manual_seed(0)
    a = torch.rand(3, 32, 32, generator=g)
    b = (a + 0.3 * torch.rand(3, 32, 32, generator=g)).clamp(0, 1)
    torch.testing.assert_close(trust.ssim(a, a), torch.ones(3))
    torch.testing.assert_close(trust.ssim(a, b), trust.ssim(b, a))
    assert (trust.ssim(a, b) < 0.99).all()
    with pytest.raises(ValueError, match="window"):
        trust.ssim(a[:, :8, :8], b[:, :8, :8])


def test_ssim_against_a_direct_computation_at_one_position() -> None:
    # An 11x11 map: the window fits once, so SSIM is the formula with Gaussian-weighted statistics.
    g = torch.Generator().manual_seed(2)
    a, b = torch.rand(1, 11, 11, generator=g), torch.rand(1, 11, 11, generator=g)
    w = trust.gaussian_window().numpy()
    x, y = a[0].double().numpy(), b[0].double().numpy()
    mx, my = (w * x).sum(), (w * y).sum()
    vx, vy = (w * x * x).sum() - mx**2, (w * y * y).sum() - my**2
    cxy = (w * x * y).sum() - mx * my
    c1, c2 = 0.01**2, 0.03**2
    expected = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    assert trust.ssim(a, b).item() == pytest.approx(expected, rel=1e-5)


def test_cascading_randomisation_is_cumulative_seeded_and_leaves_the_model_alone() -> None:
    torch.manual_seed(0)
    model = GapCNN().eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    layers = ["fc", "features.5", "features.4"]
    state = torch.random.get_rng_state()
    steps = list(trust.cascading_randomisation(model, layers, seed=3))
    assert torch.equal(torch.random.get_rng_state(), state)
    assert [name for name, _ in steps] == layers
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key])
    last = steps[-1][1]
    assert not torch.equal(last.fc.weight, model.fc.weight)
    assert not torch.equal(last.features[4][0].weight, model.features[4][0].weight)
    assert torch.equal(last.features[2][0].weight, model.features[2][0].weight)  # below the cascade: kept
    assert torch.equal(steps[0][1].features[5][0].weight, model.features[5][0].weight)  # step 1: only fc
    again = list(trust.cascading_randomisation(model, layers, seed=3))
    assert torch.equal(again[-1][1].fc.weight, last.fc.weight)
    assert trust.top_down_layers(model)[0] == "fc"
    with pytest.raises(ValueError, match="not submodules"):
        list(trust.cascading_randomisation(model, ["nope"]))


def test_randomisation_similarity_shapes_and_the_map_of_a_destroyed_model_changes() -> None:
    torch.manual_seed(0)
    model = GapCNN().eval()
    images = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    result = trust.randomisation_similarity(
        lambda m: grad_cam(m, m.features, images, [0, 1]), model, ["fc", "features.5"]
    )
    assert result["spearman"].shape == (2, 2) and result["ssim"].shape == (2, 2)
    assert (result["spearman"] <= 1).all() and (result["ssim"] <= 1 + 1e-6).all()


class PixelCount(torch.nn.Module):
    """Class 0's score is 10 x the mean of the red channel over the left half: a known evidence region."""

    def __init__(self) -> None:
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        left = x[:, 0, :, : x.shape[-1] // 2].mean((1, 2)) * 10
        return torch.stack([left, torch.zeros_like(left)], 1) + self.dummy


def test_deletion_and_insertion_reward_the_map_that_points_at_the_evidence() -> None:
    model = PixelCount()
    images = torch.ones(1, 3, 16, 16)
    right_map = torch.zeros(1, 16, 16)
    right_map[..., :8] = 1  # the evidence
    wrong_map = 1 - right_map
    kwargs = dict(target=0, steps=4)
    good = trust.curve_area(trust.deletion_curve(model, images, right_map, baseline=0.0, **kwargs))
    bad = trust.curve_area(trust.deletion_curve(model, images, wrong_map, baseline=0.0, **kwargs))
    assert good < bad
    curve = trust.deletion_curve(model, images, right_map, baseline=0.0, **kwargs)
    assert curve.shape == (1, 5)
    assert curve[0, 0] > curve[0, 2]  # half the pixels gone: all the evidence gone
    assert curve[0, 2].item() == pytest.approx(0.5)  # both scores 0: probability 1/2
    good = trust.curve_area(trust.insertion_curve(model, images, right_map, baseline=0.0, **kwargs))
    bad = trust.curve_area(trust.insertion_curve(model, images, wrong_map, baseline=0.0, **kwargs))
    assert good > bad


def test_curve_area_and_blur() -> None:
    assert trust.curve_area(torch.tensor([[0.0, 1.0]])).item() == pytest.approx(0.5)
    assert trust.curve_area(torch.ones(2, 5)).tolist() == pytest.approx([1.0, 1.0])
    flat = torch.full((1, 3, 32, 32), 0.3)
    torch.testing.assert_close(trust.blur(flat), flat)  # a blur keeps a constant image
    with pytest.raises(ValueError, match="baseline"):
        trust.deletion_curve(PixelCount(), flat, torch.zeros(1, 4, 4), baseline="black")


def test_energy_shares() -> None:
    masks = torch.zeros(1, 4, 4, dtype=torch.bool)
    masks[0, :2] = True
    part = torch.zeros_like(masks)
    part[0, 0, 0] = True
    maps = torch.zeros(1, 4, 4)
    maps[0, 0, 0], maps[0, 1, 1], maps[0, 3, 3], maps[0, 2, 2] = 2.0, 1.0, 1.0, -5.0  # negative: no mass
    torch.testing.assert_close(trust.energy_shares(maps, masks, part), torch.tensor([[0.5, 0.25, 0.25]]))
    torch.testing.assert_close(  # no positive mass: the regions' shares of the image
        trust.energy_shares(torch.zeros(1, 4, 4), masks, part), torch.tensor([[1 / 16, 7 / 16, 0.5]])
    )

"""The four classifiers: shapes, the heads' identities, and ACoL's erasing step."""

import pytest
import torch

from course_utils.maps import min_max_normalise
from course_utils.models import ACoL, ConvHeadCNN, FlattenCNN, GapCNN


@pytest.fixture
def images():
    return torch.rand(3, 3, 64, 64, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("cls", [GapCNN, FlattenCNN, ConvHeadCNN, ACoL])
def test_every_model_maps_images_to_four_logits_from_16x16_features(cls, images):
    torch.manual_seed(0)
    model = cls().eval()
    assert model(images).shape == (3, 4)
    assert model.features(images).shape == (3, 64, 16, 16)


def test_gap_head_has_far_fewer_parameters_than_the_flatten_head():
    gap = sum(p.numel() for p in GapCNN().fc.parameters())
    flat = sum(p.numel() for p in FlattenCNN().head.parameters())
    assert gap == 64 * 4
    assert flat == 64 * 8 * 8 * 128 + 128 + 128 * 4 + 4


def test_conv_head_then_gap_equals_gap_then_linear_with_the_same_weights(images):
    torch.manual_seed(0)
    conv = ConvHeadCNN().eval()
    gap = GapCNN().eval()
    gap.features.load_state_dict(conv.features.state_dict())
    gap.fc.weight.data = conv.classifier.weight.data[:, :, 0, 0].clone()
    with torch.no_grad():
        torch.testing.assert_close(conv(images), gap(images), rtol=1e-5, atol=1e-5)
        maps = conv.class_maps(images)
        by_hand = torch.einsum("nkhw,ck->nchw", gap.features(images), gap.fc.weight)
        torch.testing.assert_close(maps, by_hand, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("delta", [0.3, 0.7, 1.0])
def test_acol_erases_where_a_normalised_map_reaches_delta(images, delta):
    torch.manual_seed(0)
    model = ACoL(delta=0.5).eval()
    labels = torch.tensor([0, 2, 3])
    with torch.no_grad():
        out = model.run(images, labels, delta=delta)
        feats = model.features(images)
        rows = torch.arange(3)
        norm_a = min_max_normalise(model.branch_a(feats)[rows, labels])
        torch.testing.assert_close(out.erased, norm_a >= delta)
        assert out.erased.any(dim=(1, 2)).all(), "the peak of A's map (1.0) is always erased"
        maps_b = model.branch_b(feats * (~out.erased).unsqueeze(1).float())
        torch.testing.assert_close(out.maps_b, maps_b)
        torch.testing.assert_close(out.logits_b, maps_b.mean((-2, -1)))
        norm_b = min_max_normalise(maps_b[rows, labels])
        torch.testing.assert_close(out.fused, torch.maximum(norm_a, norm_b))
        default = model.run(images)  # own prediction, the model's delta
        torch.testing.assert_close(model(images), (default.logits_a + default.logits_b) / 2)


def test_acol_without_labels_erases_for_its_own_prediction(images):
    torch.manual_seed(0)
    model = ACoL().eval()
    with torch.no_grad():
        out = model.run(images)
    assert torch.equal(out.target, out.logits_a.argmax(1))


def test_a_higher_delta_erases_fewer_positions(images):
    torch.manual_seed(0)
    model = ACoL().eval()
    with torch.no_grad():
        counts = [model.run(images, delta=d).erased.sum().item() for d in (0.2, 0.5, 0.8, 1.0)]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]


@pytest.mark.parametrize("delta", [0.0, -0.1, 1.5])
def test_acol_rejects_a_delta_outside_0_1(delta):
    with pytest.raises(ValueError, match=r"delta must be in \(0, 1\]"):
        ACoL(delta=delta)


def test_backbone_slices_into_its_first_layers(images):
    torch.manual_seed(0)
    backbone = GapCNN().eval().features
    head = backbone[:3]
    assert isinstance(head, torch.nn.Sequential) and len(head) == 3
    with torch.no_grad():
        torch.testing.assert_close(backbone[3:](head(images)), backbone(images))
    assert backbone[0] is list(backbone)[0]

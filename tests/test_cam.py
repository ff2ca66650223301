"""Tests for course_utils.cam: every formula against a hand computation, and the hygiene rules.

Hygiene: each method runs in eval mode, gives back the model's training flags,
leaves no hooks and no parameter gradients, and works inside torch.no_grad().
"""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import Tensor, nn

from course_utils import cam, maps
from course_utils.cam import (
    class_activation_map,
    counterfactual_grad_cam,
    grad_cam,
    guided_backprop,
    guided_grad_cam,
    hires_cam,
    occlusion_map,
)
from course_utils.models import ACoL, ConvHeadCNN, FlattenCNN, GapCNN

FAST = settings(max_examples=25, deadline=None)


pytestmark = pytest.mark.usefixtures("one_thread")


# ---------------------------------------------------------------------------
# Helpers and toy models whose answers can be computed by hand
# ---------------------------------------------------------------------------


def trained_stats(model: nn.Module, seed: int = 0) -> nn.Module:
    """Give batch norm non-trivial running statistics, so eval and train mode really differ."""
    torch.manual_seed(seed)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.rand(8, 3, 64, 64) * 2)
    return model.eval()


@pytest.fixture
def images() -> Tensor:
    return torch.rand(3, 3, 64, 64, generator=torch.Generator().manual_seed(1))


@pytest.fixture(scope="module")
def trained_gap() -> GapCNN:
    torch.manual_seed(0)
    return trained_stats(GapCNN())


@pytest.fixture
def gap(trained_gap) -> GapCNN:
    """A fresh copy per test, so that tests may modify it."""
    return copy.deepcopy(trained_gap)


class FixedFeatures(nn.Module):
    """A 'backbone' that ignores the pixels and returns known feature maps f_k(x, y)."""

    def __init__(self, features: Tensor) -> None:
        super().__init__()
        self.register_buffer("value", features)

    def forward(self, images: Tensor) -> Tensor:
        return self.value[: len(images)].clone()


class ToyGap(nn.Module):
    """Known features -> GAP -> linear layer with hand-set weights."""

    def __init__(self, features: Tensor, weight: Tensor, bias: Tensor | None = None) -> None:
        super().__init__()
        self.features = FixedFeatures(features)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
        with torch.no_grad():
            self.fc.weight.copy_(weight)
            if bias is not None:
                self.fc.bias.copy_(bias)

    def forward(self, images: Tensor) -> Tensor:
        return self.fc(self.pool(self.features(images)).flatten(1))


class LinearOnPixels(nn.Module):
    """A^k = the image itself (an identity 'layer'); S = V . A + b, so dS_c/dA = V[c] exactly."""

    def __init__(self, weight: Tensor, bias: Tensor) -> None:  # weight [C, 3, H, W]
        super().__init__()
        self.features = nn.Identity()
        self.fc = nn.Linear(weight[0].numel(), len(weight))
        with torch.no_grad():
            self.fc.weight.copy_(weight.flatten(1))
            self.fc.bias.copy_(bias)

    def forward(self, images: Tensor) -> Tensor:
        return self.fc(self.features(images).flatten(1))


class QuadraticOnPixels(nn.Module):
    """S_c = sum_k u_ck sum_xy A^k(x, y)^2, so dS_c/dA^k = 2 u_ck A^k: the gradient depends on A."""

    def __init__(self, u: Tensor) -> None:  # u [C, 3]
        super().__init__()
        self.features = nn.Identity()
        self.register_buffer("u", u)

    def forward(self, images: Tensor) -> Tensor:
        return (self.features(images) ** 2).sum((2, 3)) @ self.u.T


class RegionScore(nn.Module):
    """Class 0's score is the mean of the pixels in one box; class 1's the mean of the whole image."""

    box = (16, 32, 40, 56)  # top, bottom, left, right

    def forward(self, images: Tensor) -> Tensor:
        top, bottom, left, right = self.box
        region = images[:, :, top:bottom, left:right].mean((1, 2, 3))
        whole = images.mean((1, 2, 3))
        return torch.stack([region, whole, -region, -whole], dim=1)


def reference_grad_cam(model: nn.Module, layer_name: str, images: Tensor, classes: Tensor) -> Tensor:
    """Grad-CAM the plain way: full forward with autograd on, gradient of the selected scores."""
    model = copy.deepcopy(model).eval()
    for module in model.modules():
        if isinstance(module, nn.ReLU):
            module.inplace = False  # so the captured activation is not overwritten
    layer = dict(model.named_modules())[layer_name]
    store = {}
    handle = layer.register_forward_hook(lambda m, i, out: store.update(a=out))
    with torch.enable_grad():
        scores = model(images)
        a = store["a"]
        (g,) = torch.autograd.grad(scores[torch.arange(len(images)), classes].sum(), a)
    handle.remove()
    alpha = g.mean((2, 3))
    return F.relu((alpha[:, :, None, None] * a).sum(1)).detach()


def all_hooks(model: nn.Module) -> list:
    hooks = []
    for module in model.modules():
        for name in (
            "_forward_hooks",
            "_forward_pre_hooks",
            "_backward_hooks",
            "_backward_pre_hooks",
            "_forward_hooks_with_kwargs",
            "_forward_pre_hooks_with_kwargs",
        ):
            hooks.extend(getattr(module, name, {}).values())
    return hooks


# The methods with one calling convention, for the hygiene tests.
METHODS = {
    "cam": lambda m, x, t=None: class_activation_map(m, x, t),
    "grad_cam": lambda m, x, t=None: grad_cam(m, m.features, x, t),
    "counterfactual": lambda m, x, t=None: counterfactual_grad_cam(m, m.features, x, t),
    "hires_cam": lambda m, x, t=None: hires_cam(m, m.features, x, t),
    "guided_backprop": lambda m, x, t=None: guided_backprop(m, x, t),
    "guided_grad_cam": lambda m, x, t=None: guided_grad_cam(m, m.features, x, t),
    "occlusion": lambda m, x, t=None: occlusion_map(m, x, t, patch=16, stride=16),
    "hires_cam": lambda m, x, t=None: cam.hires_cam(m, m.features, x, t),
    "grad_cam_plus_plus": lambda m, x, t=None: cam.grad_cam_plus_plus(m, m.features, x, t),
    "xgrad_cam": lambda m, x, t=None: cam.xgrad_cam(m, m.features, x, t),
    "layer_cam": lambda m, x, t=None: cam.layer_cam(m, m.features, x, t),
    "score_cam": lambda m, x, t=None: cam.score_cam(m, m.features, x, t, batch_size=100),
    "ablation_cam": lambda m, x, t=None: cam.ablation_cam(m, m.features, x, t, batch_size=100),
    "eigen_cam": lambda m, x, t=None: cam.eigen_cam(m, m.features, x, t),
}
method_names = pytest.mark.parametrize("method", METHODS)


# ---------------------------------------------------------------------------
# CAM
# ---------------------------------------------------------------------------


def test_cam_hand_computed_example() -> None:
    # Two 2x2 feature maps, two classes; M_c = sum_k w_k^c f_k worked out on paper.
    f = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]], [[0.0, 2.0], [0.0, 1.0]]]])
    w = torch.tensor([[3.0, -1.0], [0.5, 2.0]])
    model = ToyGap(f, w)
    x = torch.zeros(1, 3, 8, 8)
    m0 = torch.tensor([[[3.0, -2.0], [0.0, -1.0]]])  # 3 f_0 - f_1
    m1 = torch.tensor([[[0.5, 4.0], [0.0, 2.0]]])  # 0.5 f_0 + 2 f_1
    assert torch.equal(class_activation_map(model, x, 0), m0)
    assert torch.equal(class_activation_map(model, x, 1), m1)
    # Scores: mean(M_0) = 0, mean(M_1) = 6.5 / 4, so the prediction is class 1.
    assert torch.equal(class_activation_map(model, x), m1)


def test_cam_leaves_out_the_bias() -> None:
    f = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]], [[0.0, 2.0], [0.0, 1.0]]]])
    w = torch.tensor([[3.0, -1.0], [0.5, 2.0]])
    model = ToyGap(f, w, bias=torch.tensor([10.0, -10.0]))
    x = torch.zeros(1, 3, 8, 8)
    # The bias makes class 0 the prediction, but the map itself carries no bias.
    assert torch.equal(class_activation_map(model, x), torch.tensor([[[3.0, -2.0], [0.0, -1.0]]]))


@FAST
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(1, 3),
    k=st.integers(1, 5),
    h=st.integers(1, 4),
    w=st.integers(1, 4),
    c=st.integers(2, 5),
    bias=st.booleans(),
)
def test_cam_equals_the_weighted_sum_of_feature_maps(seed, n, k, h, w, c, bias) -> None:
    g = torch.Generator().manual_seed(seed)
    f = torch.randn(n, k, h, w, generator=g)
    weight = torch.randn(c, k, generator=g)
    b = torch.randn(c, generator=g) if bias else None
    model = ToyGap(f, weight, b)
    target = torch.randint(0, c, (n,), generator=g)
    got = class_activation_map(model, torch.zeros(n, 3, 4, 4), target)
    for i in range(n):
        expected = sum(weight[target[i], j] * f[i, j] for j in range(k))
        torch.testing.assert_close(got[i], expected)
    # Its mean over positions, plus the bias, is the score (that is what makes it CAM).
    scores = model(torch.zeros(n, 3, 4, 4))
    chosen = scores[torch.arange(n), target] - (0 if b is None else b[target])
    torch.testing.assert_close(got.mean((1, 2)), chosen, atol=1e-5, rtol=1e-5)


def test_cam_mean_plus_bias_is_the_logit_on_gapcnn(gap, images) -> None:
    with torch.no_grad():
        gap.fc = nn.Linear(64, 4, bias=True)
        gap.fc.bias.copy_(torch.tensor([0.5, -1.0, 2.0, 0.0]))
        logits = gap(images)
    for c in range(4):
        m = class_activation_map(gap, images, c)
        assert m.shape == (3, 16, 16)
        torch.testing.assert_close(m.mean((1, 2)) + gap.fc.bias[c], logits[:, c], atol=1e-5, rtol=1e-5)


def test_cam_equals_conv_head_class_maps(images) -> None:
    torch.manual_seed(3)
    conv = trained_stats(ConvHeadCNN())
    with torch.no_grad():
        class_maps = conv.class_maps(images)
    for c in range(4):
        torch.testing.assert_close(class_activation_map(conv, images, c), class_maps[:, c])
    # ...and equals CAM of a GapCNN with the same backbone and fc.weight = classifier.weight[:, :, 0, 0].
    twin = GapCNN()
    twin.features.load_state_dict(conv.features.state_dict())
    with torch.no_grad():
        twin.fc.weight.copy_(conv.classifier.weight[:, :, 0, 0])
    twin.eval()
    target = [0, 3, 1]
    torch.testing.assert_close(
        class_activation_map(twin, images, target), class_activation_map(conv, images, target), atol=1e-5, rtol=1e-5
    )
    torch.testing.assert_close(twin(images), conv(images), atol=1e-5, rtol=1e-5)


@pytest.fixture(scope="module")
def resnet() -> nn.Module:
    torch.manual_seed(0)
    return torchvision.models.resnet18(weights=None).eval()


def test_cam_on_torchvision_resnet18(resnet, images) -> None:
    x = images[:2]
    maps_ = class_activation_map(resnet, x, [5, 900], feature_layer=resnet.layer4, fc=resnet.fc)
    assert maps_.shape == (2, 2, 2)  # 64 / 32
    with torch.no_grad():
        logits = resnet(x)
    torch.testing.assert_close(maps_.mean((1, 2)) + resnet.fc.bias[[5, 900]], logits[[0, 1], [5, 900]])
    # Grad-CAM on the same layer is ReLU(CAM) / hw: the bias has no gradient with respect to A.
    torch.testing.assert_close(grad_cam(resnet, resnet.layer4, x, [5, 900]), F.relu(maps_) / 4, atol=1e-6, rtol=1e-4)


def test_cam_on_resnet_needs_the_layer_named(resnet, images) -> None:
    with pytest.raises(ValueError, match="no `features`.*feature_layer="):
        class_activation_map(resnet, images[:1])


# ---------------------------------------------------------------------------
# Grad-CAM and its counterfactual
# ---------------------------------------------------------------------------


def test_grad_cam_alpha_on_a_linear_model() -> None:
    # S_c = sum V[c] * A + b, so dS_c/dA^k(x,y) = V[c, k, x, y] and alpha_k^c is its spatial mean.
    g = torch.Generator().manual_seed(0)
    v = torch.randn(4, 3, 4, 4, generator=g)
    model = LinearOnPixels(v, bias=torch.randn(4, generator=g))
    x = torch.randn(2, 3, 4, 4, generator=g)
    for c in range(4):
        alpha = [v[c, k].sum() / 16 for k in range(3)]
        weighted = sum(alpha[k] * x[:, k] for k in range(3))
        torch.testing.assert_close(grad_cam(model, model.features, x, c), F.relu(weighted))
        torch.testing.assert_close(counterfactual_grad_cam(model, model.features, x, c), F.relu(-weighted))


def test_grad_cam_tiny_numbers_by_hand() -> None:
    # One class sees only channel 0's top-left pixel (weight 4): alpha_0 = 4 / 4 = 1, alpha_1 = alpha_2 = 0.
    v = torch.zeros(2, 3, 2, 2)
    v[0, 0, 0, 0] = 4.0
    v[1, 2] = -1.0  # class 1: alpha_2 = -1
    model = LinearOnPixels(v, bias=torch.zeros(2))
    x = torch.zeros(1, 3, 2, 2)
    x[0, 0] = torch.tensor([[1.0, -2.0], [3.0, 0.0]])
    x[0, 2] = torch.tensor([[1.0, 1.0], [-1.0, 0.0]])
    assert torch.equal(grad_cam(model, model.features, x, 0), torch.tensor([[[1.0, 0.0], [3.0, 0.0]]]))
    assert torch.equal(grad_cam(model, model.features, x, 1), torch.tensor([[[0.0, 0.0], [1.0, 0.0]]]))
    assert torch.equal(counterfactual_grad_cam(model, model.features, x, 1), torch.tensor([[[1.0, 1.0], [0.0, 0.0]]]))


def test_grad_cam_gradient_is_taken_at_the_activation() -> None:
    # dS_c/dA^k = 2 u_ck A^k, so alpha_k^c = 2 u_ck mean(A^k): a constant-gradient bug would fail here.
    u = torch.tensor([[1.0, -2.0, 0.5], [0.0, 1.0, 1.0]])
    model = QuadraticOnPixels(u)
    x = torch.randn(2, 3, 5, 5, generator=torch.Generator().manual_seed(4))
    for c in range(2):
        alpha = 2 * u[c][None, :] * x.mean((2, 3))  # [N, K]
        expected = F.relu((alpha[:, :, None, None] * x).sum(1))
        torch.testing.assert_close(grad_cam(model, model.features, x, c), expected)


@pytest.mark.parametrize("bias", [False, True])
def test_grad_cam_is_relu_cam_over_hw_on_gap_models(gap, images, bias) -> None:
    if bias:
        with torch.no_grad():
            gap.fc = nn.Linear(64, 4, bias=True)
            gap.fc.bias.fill_(3.0)
    for c in range(4):
        expected = F.relu(class_activation_map(gap, images, c)) / (16 * 16)
        torch.testing.assert_close(grad_cam(gap, gap.features, images, c), expected, atol=1e-7, rtol=1e-4)
        expected_cf = F.relu(-class_activation_map(gap, images, c)) / (16 * 16)
        got_cf = counterfactual_grad_cam(gap, gap.features, images, c)
        torch.testing.assert_close(got_cf, expected_cf, atol=1e-7, rtol=1e-4)


def test_grad_cam_minus_counterfactual_is_the_map_before_relu(gap, images) -> None:
    # ReLU(z) - ReLU(-z) = z, and on a GAP model z = CAM / hw.
    diff = grad_cam(gap, gap.features, images, 2) - counterfactual_grad_cam(gap, gap.features, images, 2)
    torch.testing.assert_close(diff, class_activation_map(gap, images, 2) / 256, atol=1e-7, rtol=1e-4)


def test_hires_cam_by_hand_on_a_quadratic_score() -> None:
    # dS_c/dA^k_ij = 2 u_ck A^k_ij, so the element-wise map is ReLU(sum_k 2 u_ck (A^k_ij)^2): it
    # uses the gradient at each position, where Grad-CAM would use its mean.
    u = torch.tensor([[1.0, -2.0, 0.5], [0.0, 1.0, 1.0]])
    model = QuadraticOnPixels(u)
    x = torch.randn(2, 3, 5, 5, generator=torch.Generator().manual_seed(4))
    for c in range(2):
        expected = F.relu((2 * u[c][None, :, None, None] * x * x).sum(1))
        torch.testing.assert_close(hires_cam(model, model.features, x, c), expected)
        assert not torch.allclose(hires_cam(model, model.features, x, c), grad_cam(model, model.features, x, c))


def test_hires_cam_tiny_numbers_by_hand() -> None:
    # Class 0 sees only channel 0's top-left pixel (weight 4): the map is 4 * A^0_00 there and 0
    # elsewhere, where Grad-CAM spreads alpha_0 = 1 over every position.
    v = torch.zeros(2, 3, 2, 2)
    v[0, 0, 0, 0] = 4.0
    model = LinearOnPixels(v, bias=torch.zeros(2))
    x = torch.zeros(1, 3, 2, 2)
    x[0, 0] = torch.tensor([[1.0, -2.0], [3.0, 0.0]])
    assert torch.equal(hires_cam(model, model.features, x, 0), torch.tensor([[[4.0, 0.0], [0.0, 0.0]]]))
    assert torch.equal(grad_cam(model, model.features, x, 0), torch.tensor([[[1.0, 0.0], [3.0, 0.0]]]))


@pytest.mark.parametrize("bias", [False, True])
def test_hires_cam_is_grad_cam_on_gap_models(gap, images, bias) -> None:
    # On GAP + linear the gradient w_k^c / hw is the same at every position: it is its own mean.
    if bias:
        with torch.no_grad():
            gap.fc = nn.Linear(64, 4, bias=True)
            gap.fc.bias.fill_(3.0)
    total = 0.0
    for c in range(4):
        got = hires_cam(gap, gap.features, images, c)
        assert got.shape == (3, 16, 16)
        torch.testing.assert_close(got, grad_cam(gap, gap.features, images, c), atol=1e-7, rtol=1e-4)
        total += got.sum().item()
    assert total > 0  # not just two empty maps that agree


def test_hires_cam_on_a_flatten_head_follows_the_max_pool() -> None:
    # FlattenCNN max-pools 16x16 to 8x8 before its linear layers: in each 2x2 window only the
    # largest activation of a channel gets a gradient, so its map differs from Grad-CAM's.
    torch.manual_seed(5)
    model = trained_stats(FlattenCNN())
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    got = hires_cam(model, model.features, x, 1)
    assert got.shape == (2, 16, 16) and (got >= 0).all()
    assert not torch.allclose(got, grad_cam(model, model.features, x, 1))
    assert not all_hooks(model)


@pytest.mark.parametrize("model_class", [GapCNN, FlattenCNN, ConvHeadCNN, ACoL])
def test_grad_cam_matches_full_backprop_on_every_course_model(model_class, images) -> None:
    torch.manual_seed(5)
    model = trained_stats(model_class())
    with torch.no_grad():
        classes = model(images).argmax(1)
    got = grad_cam(model, model.features, images)
    assert got.shape == (3, 16, 16)
    assert (got >= 0).all() and got.abs().sum() > 0
    torch.testing.assert_close(got, reference_grad_cam(model, "features", images, classes), atol=1e-7, rtol=1e-4)


def test_grad_cam_on_a_layer_followed_by_an_inplace_relu(gap, images) -> None:
    # features[2][1] is a BatchNorm whose output the next ReLU(inplace=True) overwrites.
    got = grad_cam(gap, gap.features[2][1], images, 1)
    assert got.shape == (3, 32, 32)
    expected = reference_grad_cam(gap, "features.2.1", images, torch.tensor([1, 1, 1]))
    torch.testing.assert_close(got, expected, atol=1e-7, rtol=1e-4)


def test_grad_cam_builds_no_graph_before_the_layer(gap, images) -> None:
    seen = {}
    before = gap.features[0].register_forward_hook(
        lambda m, i, out: seen.update(before=(out.requires_grad, torch.is_grad_enabled()))
    )
    after = gap.fc.register_forward_hook(lambda m, i, out: seen.update(after=out.requires_grad))
    try:
        grad_cam(gap, gap.features[2], images)
    finally:
        before.remove()
        after.remove()
    assert seen["before"] == (False, False)  # no graph, not even grad mode, before the layer
    assert seen["after"] is True  # ...but a graph after it
    assert all(p.grad is None for p in gap.parameters())


# ---------------------------------------------------------------------------
# Guided backprop, guided Grad-CAM
# ---------------------------------------------------------------------------


def tiny_relu_net() -> nn.Sequential:
    """x -> 1x1 conv W1 (3 -> 2) -> ReLU(inplace) -> 1x1 conv W2 (2 -> 2) -> GAP."""
    net = nn.Sequential(
        nn.Conv2d(3, 2, 1, bias=False),
        nn.ReLU(inplace=True),
        nn.Conv2d(2, 2, 1, bias=False),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
    )
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, -1.0, 0.5], [0.5, 1.0, -1.0]])[:, :, None, None])
        net[2].weight.copy_(torch.tensor([[2.0, -1.0], [-1.0, 1.0]])[:, :, None, None])
    return net


def test_guided_backprop_by_hand_on_a_tiny_relu_net() -> None:
    net = tiny_relu_net()
    w1, w2 = net[0].weight[:, :, 0, 0].detach(), net[2].weight[:, :, 0, 0].detach()
    x = torch.randn(2, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    z = torch.einsum("jk,nkhw->njhw", w1, x)  # the ReLU's input
    for c in range(2):
        # The ReLU output j receives gradient w2[c, j] / hw; guided keeps it only if positive (and z > 0).
        plain = sum(w2[c, j] / 16 * (z[:, j, None] > 0) * w1[j][None, :, None, None] for j in range(2))
        guided = sum(w2[c, j].clamp(min=0) / 16 * (z[:, j, None] > 0) * w1[j][None, :, None, None] for j in range(2))
        assert not torch.allclose(plain, guided)  # the test can tell them apart
        torch.testing.assert_close(guided_backprop(net, x, c), guided)
    # The model is unchanged afterwards: ReLU still in place, and the plain gradient is plain again.
    assert net[1].inplace and not all_hooks(net)
    xg = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(net(xg)[:, 1].sum(), xg)
    plain1 = sum(w2[1, j] / 16 * (z[:, j, None] > 0) * w1[j][None, :, None, None] for j in range(2))
    torch.testing.assert_close(g, plain1)


@FAST
@given(seed=st.integers(0, 2**16), target=st.integers(0, 3))
def test_guided_backprop_is_nonnegative_through_a_leading_relu(seed, target) -> None:
    # When the image goes straight into a ReLU, the guided gradient at the image is
    # max(g, 0) * [x > 0]: never negative, and zero wherever the pixel is <= 0.
    torch.manual_seed(seed)
    net = nn.Sequential(
        nn.ReLU(),
        nn.Conv2d(3, 4, 3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(4, 4, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
    )
    x = torch.randn(2, 3, 8, 8)
    g = guided_backprop(net, x, target)
    assert (g >= 0).all()
    assert (g[x <= 0] == 0).all()


def test_guided_grad_cam_is_guided_backprop_times_upsampled_grad_cam(gap, images) -> None:
    got = guided_grad_cam(gap, gap.features, images, [0, 1, 2])
    assert got.shape == (3, 3, 64, 64)
    gb = guided_backprop(gap, images, [0, 1, 2])
    up = maps.upsample(grad_cam(gap, gap.features, images, [0, 1, 2]), 64)
    torch.testing.assert_close(got, gb * up[:, None])
    assert (got[(up == 0)[:, None].expand_as(got)] == 0).all()


def test_guided_grad_cam_default_target_is_the_prediction(gap, images) -> None:
    with torch.no_grad():
        predicted = gap(images).argmax(1)
    expected = guided_grad_cam(gap, gap.features, images, predicted)
    torch.testing.assert_close(guided_grad_cam(gap, gap.features, images), expected)


# ---------------------------------------------------------------------------
# Occlusion
# ---------------------------------------------------------------------------


def overlap(top: int, left: int, patch: int, box: tuple[int, int, int, int]) -> int:
    t, b, l, r = box
    return max(0, min(top + patch, b) - max(top, t)) * max(0, min(left + patch, r) - max(left, l))


@pytest.mark.parametrize("fill", [0.0, 0.5])
def test_occlusion_map_by_hand_on_a_region_score(fill) -> None:
    model = RegionScore()
    x = torch.ones(2, 3, 64, 64)
    got = occlusion_map(model, x, 0, patch=8, stride=4, baseline=fill)
    assert got.shape == (2, 15, 15)
    # Score = mean over the 16x16 box; a patch of value `fill` lowers it by (1 - fill) * overlap / 256.
    expected = torch.tensor(
        [[(1 - fill) * overlap(4 * i, 4 * j, 8, RegionScore.box) / 256 for j in range(15)] for i in range(15)]
    )
    torch.testing.assert_close(got, expected.expand(2, 15, 15))
    # It peaks over the box, and is zero far from it.
    i, j = divmod(int(got[0].argmax()), 15)
    assert 16 <= 4 * i and 4 * i + 8 <= 32 and 40 <= 4 * j and 4 * j + 8 <= 56
    assert got[0, 0, 0] == 0


def test_occlusion_map_shape_on_a_non_square_image() -> None:
    assert occlusion_map(RegionScore(), torch.rand(1, 3, 64, 48), 1, patch=8, stride=4).shape == (1, 15, 11)
    assert occlusion_map(RegionScore(), torch.rand(1, 3, 64, 64), 1, patch=8, stride=8).shape == (1, 8, 8)


def test_occlusion_mean_baseline_is_each_images_mean_colour() -> None:
    # Filling a constant image with its own mean colour changes nothing.
    x = torch.ones(2, 3, 64, 64) * torch.tensor([0.2, 0.5, 0.9])[:, None, None]
    x[1] *= 0.5
    assert occlusion_map(RegionScore(), x, 0, baseline="mean").abs().max() < 1e-6


def test_occlusion_map_does_not_depend_on_batch_size(gap, images) -> None:
    a = occlusion_map(gap, images[:2], [1, 2], patch=16, stride=8, batch_size=5)
    b = occlusion_map(gap, images[:2], [1, 2], patch=16, stride=8, batch_size=10_000)
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    # ...and cell (i, j) is the score drop for the patch at (8i, 8j), checked for one cell.
    hidden = images[1:2].clone()
    hidden[:, :, 8:24, 16:32] = 0.0
    with torch.no_grad():
        drop = gap(images[1:2])[0, 2] - gap(hidden)[0, 2]
    torch.testing.assert_close(a[1, 1, 2], drop, atol=1e-5, rtol=1e-5)


# ---------------------------------------------------------------------------
# target: None / int / sequence / tensor
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["cam", "grad_cam", "occlusion", "guided_backprop"])
def test_target_semantics(method, gap, images) -> None:
    run = METHODS[method]
    with torch.no_grad():
        predicted = gap(images).argmax(1)
    per_image = torch.stack([run(gap, images[i : i + 1], int(predicted[i]))[0] for i in range(3)])
    torch.testing.assert_close(run(gap, images), per_image, atol=1e-6, rtol=1e-5)  # None: the prediction
    torch.testing.assert_close(run(gap, images, predicted.tolist()), per_image, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(run(gap, images, tuple(predicted.tolist())), per_image, atol=1e-6, rtol=1e-5)
    # An int (or a 0-d tensor) is the same class for every image.
    for one in (2, torch.tensor(2)):
        torch.testing.assert_close(run(gap, images, one), run(gap, images, torch.tensor([2, 2, 2])))
    # Different classes really give different maps (so the checks above mean something).
    assert not torch.allclose(run(gap, images, 0), run(gap, images, 1))


# ---------------------------------------------------------------------------
# Hygiene: mode, hooks, gradients, no_grad
# ---------------------------------------------------------------------------


@method_names
def test_leaves_the_model_as_it_found_it(method, gap, images) -> None:
    expected = METHODS[method](gap, images, [0, 1, 3])  # model in eval mode
    gap.train()
    gap.features[0][1].eval()  # one frozen batch norm inside a training model
    gap.fc.weight.requires_grad_(False)  # a frozen layer stays frozen
    state = {k: v.clone() for k, v in gap.state_dict().items()}
    flags = {name: m.training for name, m in gap.named_modules()}

    got = METHODS[method](gap, images, [0, 1, 3])

    torch.testing.assert_close(got, expected)  # computed in eval mode although the model was training
    assert {name: m.training for name, m in gap.named_modules()} == flags
    assert not all_hooks(gap)
    assert all(p.grad is None for p in gap.parameters())
    assert [p.requires_grad for p in gap.parameters()] == [p is not gap.fc.weight for p in gap.parameters()]
    for key, value in gap.state_dict().items():  # running statistics untouched
        assert torch.equal(value, state[key]), key
    assert not got.requires_grad


@method_names
def test_works_inside_no_grad(method, gap, images) -> None:
    expected = METHODS[method](gap, images, 1)
    with torch.no_grad():
        got = METHODS[method](gap, images, 1)
        assert not torch.is_grad_enabled()
    torch.testing.assert_close(got, expected)
    assert torch.is_grad_enabled()


@method_names
def test_nothing_left_behind_after_an_error(method, gap, images) -> None:
    gap.train()
    with pytest.raises(ValueError, match="class index 7 is out of range for a model with 4 classes"):
        METHODS[method](gap, images, 7)
    assert gap.training and all(m.training for m in gap.modules())
    assert not all_hooks(gap)
    assert all(p.grad is None for p in gap.parameters())
    assert torch.is_grad_enabled()


class BrokenHead(GapCNN):
    """Fails after the backbone has run, i.e. after the explained layer's hook switched grad mode on."""

    def forward(self, images: Tensor) -> Tensor:
        self.features(images)
        raise RuntimeError("head exploded")


@pytest.mark.parametrize("grad_mode", [True, False])
def test_error_inside_the_forward_pass_restores_everything(grad_mode, images) -> None:
    model = BrokenHead().train()
    with torch.set_grad_enabled(grad_mode):
        for explain in (
            lambda: grad_cam(model, model.features, images),
            lambda: guided_backprop(model, images),
            lambda: class_activation_map(model, images),
            lambda: occlusion_map(model, images),
        ):
            with pytest.raises(RuntimeError, match="head exploded"):
                explain()
            assert torch.is_grad_enabled() == grad_mode
            assert not all_hooks(model)
            assert all(m.training for m in model.modules())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_runs_on_the_models_device(gap, images) -> None:
    expected = {name: run(gap, images, 1) for name, run in METHODS.items()}
    gap = gap.cuda()
    for name, run in METHODS.items():
        got = run(gap, images, 1)  # CPU images are moved to the model's device
        assert got.device.type == "cuda", name
        torch.testing.assert_close(got.cpu(), expected[name], atol=1e-4, rtol=1e-3)


# ---------------------------------------------------------------------------
# Bad input: clear errors that name the problem
# ---------------------------------------------------------------------------

BAD_IMAGES = [
    (torch.rand(3, 64, 64), ValueError, r"one image.*images\[None\]"),
    (torch.rand(2, 1, 64, 64), ValueError, r"\[N, 3, H, W\].*\(2, 1, 64, 64\)"),
    (torch.rand(2, 3, 64), ValueError, r"\[N, 3, H, W\]"),
    (torch.rand(0, 3, 64, 64), ValueError, "empty batch"),
    (torch.zeros(2, 3, 64, 64, dtype=torch.uint8), TypeError, "float.*uint8"),
    ([[0.0]], TypeError, "torch.Tensor"),
]


@method_names
@pytest.mark.parametrize("bad, error, message", BAD_IMAGES)
def test_bad_images(method, bad, error, message, gap) -> None:
    with pytest.raises(error, match=message):
        METHODS[method](gap, bad)
    assert not all_hooks(gap)


@method_names
@pytest.mark.parametrize(
    "target, error, message",
    [
        (4, ValueError, r"class index 4 is out of range for a model with 4 classes \(expected 0\.\.3\)"),
        (-1, ValueError, "class index -1 is out of range"),
        ([0, 9, 1], ValueError, "class index 9 is out of range"),
        ([0, 1], ValueError, "2 class indices.*3 images"),
        (torch.tensor([[0, 1, 2]]), ValueError, "3 images"),
        (torch.tensor([0.0, 1.0, 2.0]), TypeError, "integer class indices"),
        ("cat", TypeError, "target must be"),
    ],
)
def test_bad_target(method, target, error, message, gap, images) -> None:
    with pytest.raises(error, match=message):
        METHODS[method](gap, images, target)


@pytest.mark.parametrize("explain", [grad_cam, counterfactual_grad_cam, hires_cam, guided_grad_cam])
def test_bad_layer(explain, gap, images) -> None:
    with pytest.raises(ValueError, match="not a submodule of the model"):
        explain(gap, nn.Conv2d(64, 64, 1), images)
    with pytest.raises(TypeError, match="nn.Module"):
        explain(gap, "features", images)
    gap.unused = nn.Conv2d(64, 64, 1)  # a submodule that forward never calls
    with pytest.raises(ValueError, match="never ran.*hook never fired"):
        explain(gap, gap.unused, images)
    with pytest.raises(ValueError, match=r"feature maps \[N, K, h, w\].*\(3, 4\)"):
        explain(gap, gap.fc, images)
    assert not all_hooks(gap)


def test_grad_cam_layer_that_runs_twice(resnet, images) -> None:
    # A BasicBlock calls its one ReLU module twice: which call to explain would be ambiguous.
    with pytest.raises(ValueError, match="ran 2 times"):
        grad_cam(resnet, resnet.layer1[0].relu, images[:1])


def test_cam_refuses_a_model_without_gap_and_linear(images) -> None:
    flat = FlattenCNN()
    with pytest.raises(ValueError, match="CAM needs global average pooling.*grad_cam"):
        class_activation_map(flat, images)
    with pytest.raises(ValueError, match="CAM needs global average pooling.*channels.*grad_cam"):
        class_activation_map(flat, images, fc=flat.head[-1])
    with pytest.raises(ValueError, match="CAM needs global average pooling.*ACoL has no `fc`"):
        class_activation_map(ACoL(), images)
    gap = GapCNN()
    with pytest.raises(ValueError, match="fc is Backbone, not nn.Linear.*grad_cam"):
        class_activation_map(gap, images, fc=gap.features)
    with pytest.raises(ValueError, match="fc .*not a submodule"):
        class_activation_map(gap, images, fc=nn.Linear(64, 4))
    with pytest.raises(ValueError, match="feature_layer .*not a submodule"):
        class_activation_map(gap, images, feature_layer=nn.Identity())
    gap.unused = nn.Identity()
    with pytest.raises(ValueError, match="never ran"):
        class_activation_map(gap, images, feature_layer=gap.unused)
    # Max pooling instead of average pooling: right shapes, wrong function; the numeric check catches it.
    gap.pool = nn.AdaptiveMaxPool2d(1)
    with pytest.raises(ValueError, match=r"not fc\(GAP\(features\)\).*grad_cam"):
        class_activation_map(gap, images)
    assert not all_hooks(gap)


class ReluAfterFeatures(nn.Module):
    """features -> ReLU(inplace) -> GAP -> fc: the in-place ReLU overwrites the features' own output."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Conv2d(3, 4, 3, stride=4)
        self.relu = nn.ReLU(inplace=True)
        self.fc = nn.Linear(4, 4, bias=False)

    def forward(self, images: Tensor) -> Tensor:
        return self.fc(self.relu(self.features(images)).mean((2, 3)))


def test_cam_is_not_fooled_by_an_inplace_layer_after_the_features(images) -> None:
    # CAM must read f_k as the feature layer gave it; here fc sees ReLU(f), not GAP(f).
    torch.manual_seed(0)
    with pytest.raises(ValueError, match=r"not fc\(GAP\(features\)\)"):
        class_activation_map(ReluAfterFeatures(), images)


def test_bad_occlusion_arguments(gap, images) -> None:
    with pytest.raises(ValueError, match="patch must be a positive int"):
        occlusion_map(gap, images, patch=0)
    with pytest.raises(ValueError, match="stride must be a positive int"):
        occlusion_map(gap, images, stride=1.5)
    with pytest.raises(ValueError, match="patch=65 is larger than the images"):
        occlusion_map(gap, images, patch=65)
    with pytest.raises(ValueError, match="baseline must be a number or 'mean'"):
        occlusion_map(gap, images, baseline="median")


def test_guided_backprop_needs_relu_modules(images) -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Tanh(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    with pytest.raises(ValueError, match="nn.ReLU"):
        guided_backprop(model, images)


def test_reexports_the_map_helpers() -> None:
    assert cam.min_max_normalise is maps.min_max_normalise
    assert cam.upsample is maps.upsample
    assert cam.to_image is maps.to_image


# ---------------------------------------------------------------------------
# The family after Grad-CAM (notebook 07)
# ---------------------------------------------------------------------------


def test_on_a_gap_head_cam_grad_cam_hires_and_xgrad_are_one_map(gap, images) -> None:
    # On GAP + linear and its last feature maps the gradient is w_k^c / hw at every position.
    target = torch.arange(len(images)) % 4
    relu_cam = F.relu(class_activation_map(gap, images, target))
    hw = relu_cam.shape[-1] * relu_cam.shape[-2]
    torch.testing.assert_close(grad_cam(gap, gap.features, images, target) * hw, relu_cam, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(cam.hires_cam(gap, gap.features, images, target) * hw, relu_cam, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(cam.xgrad_cam(gap, gap.features, images, target), relu_cam / hw, atol=1e-6, rtol=1e-4)


def test_hires_and_layer_cam_are_gradient_times_activation() -> None:
    torch.manual_seed(3)
    model = FlattenCNN().eval()
    x = torch.rand(2, 3, 64, 64)
    reading = cam.read_layer(model, model.features, x, [1, 2], method="test")
    g, a = reading.gradient, reading.activation
    torch.testing.assert_close(cam.hires_cam(model, model.features, x, [1, 2]), F.relu((g * a).sum(1)))
    torch.testing.assert_close(cam.layer_cam(model, model.features, x, [1, 2]), F.relu((F.relu(g) * a).sum(1)))


def test_grad_cam_plus_plus_hand_computed() -> None:
    # One channel, 2 positions: A = [1, 3] (sum 4), and the toy head gives the gradient 0.5 at both.
    f = torch.tensor([[[[1.0, 3.0]]]])
    model = ToyGap(f, torch.tensor([[1.0], [0.0]]))
    # GAP + linear: g = w / hw = 0.5 at both positions; alpha = g^2 / (2 g^2 + 4 g^3) = 0.25 / (0.5 + 0.5)
    alpha = 0.25 / (2 * 0.25 + 4 * 0.125)
    w = 2 * alpha * 0.5
    expected = torch.tensor([[[w * 1.0, w * 3.0]]])
    torch.testing.assert_close(cam.grad_cam_plus_plus(model, model.features, torch.zeros(1, 3, 4, 4), 0), expected)


def test_score_and_ablation_cam_on_a_toy_gap(gap, images) -> None:
    # Ablation on GAP + linear: y - y_k = w_k^c mean(A^k), the weight is that over y.
    target = torch.arange(len(images)) % 4
    a, scores = cam.read_features(gap, gap.features, images, method="test")
    y = scores[torch.arange(len(images)), target]
    drop = gap.fc.weight[target] * a.mean((2, 3))
    expected = F.relu(torch.einsum("nk,nkij->nij", drop / y[:, None], a))
    got = cam.ablation_cam(gap, gap.features, images, target, batch_size=7)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4)
    # Score-CAM's weights are probabilities: the batch size does not change the map.
    torch.testing.assert_close(
        cam.score_cam(gap, gap.features, images, target, batch_size=5),
        cam.score_cam(gap, gap.features, images, target, batch_size=1000),
    )


def test_eigen_cam_is_the_first_principal_direction_and_ignores_the_class(gap, images) -> None:
    a, _ = cam.read_features(gap, gap.features, images, method="test")
    maps = cam.eigen_cam(gap, gap.features, images)
    for i in range(len(images)):
        matrix = a[i].flatten(1).T.double()  # [hw, K]
        _, vectors = torch.linalg.eigh(matrix.T @ matrix)
        v1 = vectors[:, -1] * torch.sign(vectors[:, -1].sum())
        torch.testing.assert_close(maps[i].double(), F.relu(matrix @ v1).view(maps.shape[1:]), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(cam.eigen_cam(gap, gap.features, images, 2), maps)
    assert (maps >= 0).all()

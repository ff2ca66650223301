"""The CAM family of course_utils.cam against pytorch-grad-cam's implementations of the same methods.

pytorch-grad-cam returns each map after a ReLU, min-max normalised, resized to
the image with bilinear interpolation (half-pixel centres, as
``align_corners=False``) and normalised again; :func:`their_pipeline` does the
same to our raw maps. Where the definitions coincide the maps agree within
1e-4, on a torchvision ResNet-18 (random weights, fixed seed, no download)
and on the course's models. Where pytorch-grad-cam departs from the paper
(Score-CAM's softmax, Eigen-CAM's centring, Grad-CAM++'s epsilon), the test
checks that *its* rule, computed from our pieces, reproduces it, and that the
paper's rule gives a different map: the difference is real, not a bug here.
"""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
import torchvision

pytest.importorskip("pytorch_grad_cam")
from pytorch_grad_cam import (  # noqa: E402
    AblationCAM,
    EigenCAM,
    GradCAM,
    GradCAMPlusPlus,
    HiResCAM,
    LayerCAM,
    ScoreCAM,
    XGradCAM,
)
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget  # noqa: E402

from course_utils import cam  # noqa: E402
from course_utils.checkpoints import load_model, load_split  # noqa: E402
from course_utils.maps import min_max_normalise, upsample  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")
TOLERANCE = 1e-4


def their_pipeline(maps: torch.Tensor, size) -> torch.Tensor:
    """What pytorch-grad-cam does to a raw map: normalise, resize bilinearly, normalise."""
    return min_max_normalise(upsample(min_max_normalise(F.relu(maps)), tuple(size)))


def theirs(method, model, layer, images, target, **attributes) -> torch.Tensor:
    with method(model, [layer]) as explainer:
        for name, value in attributes.items():
            setattr(explainer, name, value)
        targets = None if target is None else [ClassifierOutputTarget(int(c)) for c in target]
        return torch.from_numpy(explainer(images, targets))


def resnet18() -> torch.nn.Module:
    torch.manual_seed(0)
    return torchvision.models.resnet18(num_classes=10).eval()


@pytest.fixture(scope="module", params=["resnet18", "gap_cnn", "flatten_cnn", "conv_head_cnn"])
def case(request):
    """(model, layer, images, target): 2 images each, 64x64."""
    if request.param == "resnet18":
        model = resnet18()
        images = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
        return model, model.layer4, images, torch.tensor([3, 7])
    model = load_model(request.param)
    scenes = load_split("test")[:2]
    return model, model.features, scenes.images, scenes.labels


GRADIENT_METHODS = {
    "grad_cam": (cam.grad_cam, GradCAM),
    "hires_cam": (cam.hires_cam, HiResCAM),
    "xgrad_cam": (cam.xgrad_cam, XGradCAM),
    "layer_cam": (cam.layer_cam, LayerCAM),
}


@pytest.mark.parametrize("name", GRADIENT_METHODS)
def test_gradient_methods_agree(name, case) -> None:
    model, layer, images, target = case
    ours, their_method = GRADIENT_METHODS[name]
    expected = theirs(their_method, model, layer, images, target)
    got = their_pipeline(ours(model, layer, images, target), images.shape[-2:])
    assert (got - expected).abs().max().item() < TOLERANCE


def test_grad_cam_plus_plus_agrees_where_their_epsilon_is_negligible(case) -> None:
    # Their alpha has 1e-6 added to its denominator 2 g^2 + sum(A) g^3. Scaling the
    # explained score up by 1000 scales every gradient by 1000: the epsilon no longer counts.
    model, layer, images, target = case
    scaled = copy.deepcopy(model)
    head = [m for m in scaled.modules() if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))][-1]
    with torch.no_grad():
        head.weight.mul_(1000)
    layer = dict(scaled.named_modules())[next(n for n, m in model.named_modules() if m is layer)]
    expected = theirs(GradCAMPlusPlus, scaled, layer, images, target)
    got = their_pipeline(cam.grad_cam_plus_plus(scaled, layer, images, target), images.shape[-2:])
    assert (got - expected).abs().max().item() < TOLERANCE


def test_grad_cam_plus_plus_parts_from_theirs_at_small_gradients() -> None:
    model = resnet18()
    images = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    target = torch.tensor([3, 7])
    expected = theirs(GradCAMPlusPlus, model, model.layer4, images, target)
    got = their_pipeline(cam.grad_cam_plus_plus(model, model.layer4, images, target), images.shape[-2:])
    assert (got - expected).abs().max().item() > 1e-3


def one_pass_per_channel(case):
    """The case for Score-CAM and Ablation-CAM, which cost one forward pass per channel and image.

    ResNet-18's layer4 has 512 channels (1024 full passes for two images):
    use layer3 (256 channels) on one 48x48 image, to keep the test fast.
    """
    model, layer, images, target = case
    if isinstance(model, torchvision.models.ResNet):
        return model, model.layer3, images[:1, :, :48, :48], target[:1]
    return case


def test_ablation_cam_agrees(case) -> None:
    model, layer, images, target = one_pass_per_channel(case)
    expected = theirs(AblationCAM, model, layer, images, target, batch_size=128)
    got = their_pipeline(cam.ablation_cam(model, layer, images, target), images.shape[-2:])
    assert (got - expected).abs().max().item() < TOLERANCE


def test_score_cam_their_rule_from_our_forward_passes(case) -> None:
    # Theirs: softmax of the K masked logits y^c(x * H^k) across channels, masks upsampled with
    # align_corners=True. The paper's (ours): each masked image's softmax over classes, at c.
    model, layer, images, target = one_pass_per_channel(case)
    expected = theirs(ScoreCAM, model, layer, images, target, batch_size=128)
    activation, _ = cam.read_features(model, layer, images, method="score_cam")
    masked = cam._masked_scores(model, images, activation, 256, method="score_cam", align_corners=True)
    their_weights = masked[torch.arange(len(images)), :, target].softmax(dim=-1)  # [N, K]
    their_rule = torch.einsum("nk,nkij->nij", their_weights, activation)
    assert (their_pipeline(their_rule, images.shape[-2:]) - expected).abs().max().item() < TOLERANCE
    paper = their_pipeline(cam.score_cam(model, layer, images, target), images.shape[-2:])
    assert (paper - expected).abs().max().item() > 1e-3


def test_eigen_cam_centred_agrees_up_to_the_svd_sign(case) -> None:
    model, layer, images, _ = case
    expected = theirs(EigenCAM, model, layer, images, None)
    activation, _ = cam.read_features(model, layer, images, method="eigen_cam")
    projection = cam.principal_projection(activation, centred=True)
    # An SVD's singular vectors come with an arbitrary sign: theirs is numpy's, per image.
    errors = torch.stack(
        [(their_pipeline(sign * projection, images.shape[-2:]) - expected).abs().flatten(1).amax(1) for sign in (1, -1)]
    )
    assert errors.amin(0).max().item() < TOLERANCE
    # The paper's Eigen-CAM does not centre: a different map.
    paper = their_pipeline(cam.eigen_cam(model, layer, images), images.shape[-2:])
    assert (paper - expected).abs().max().item() > 1e-3

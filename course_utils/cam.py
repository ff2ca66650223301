r"""Explanation methods: where does the network look for class :math:`c`?

Each method is a short function whose body is its rule. They take a model
and a batch of images ``[N, 3, H, W]`` and return one map per image, as a
torch tensor on the model's device. The symbols are the notebooks': CAM
(notebook 02) writes the class score :math:`S_c` and the feature maps
:math:`f_k(x, y)`; Grad-CAM and the methods after it (notebook 03) write the
score :math:`y^c` and the feature maps :math:`A^k_{ij}` of the explained
layer. :math:`S_c` and :math:`y^c` are the same number, the logit of class
:math:`c` before softmax.

=======================  ============================================  ==============================  ==============
method                   rule                                          passes per map                  returns
=======================  ============================================  ==============================  ==============
class_activation_map     :math:`M_c = \sum_k w_k^c f_k`: one weight    1 forward                       ``[N, h, w]``
                         per channel, the linear head's row
                         (CAM, Zhou et al. 2016)
grad_cam                 :math:`\mathrm{ReLU}(\sum_k \alpha_k^c A^k)`  1 forward + backward to the     ``[N, h, w]``
                         with one weight per channel, its mean         layer
                         gradient
                         (Selvaraju et al. 2017)
counterfactual_grad_cam  the same with :math:`-\alpha_k^c`: the        1 forward + backward to the     ``[N, h, w]``
                         evidence against the class                    layer
hires_cam                :math:`\mathrm{ReLU}(\sum_k G^k \odot A^k)`   1 forward + backward to the     ``[N, h, w]``
                         with :math:`G^k` the gradient                 layer
                         :math:`\partial y^c / \partial A^k`: one
                         weight per channel *and position*
                         (HiResCAM, Draelos & Carin 2020)
guided_backprop          :math:`\partial y^c / \partial x` through     1 forward + full backward to    ``[N, 3, H, W]``
                         ReLUs that pass only positive gradients       the input
                         (Springenberg et al. 2015)
guided_grad_cam          guided backprop times Grad-CAM upsampled:     2 forwards + backward to the    ``[N, 3, H, W]``
                         one weight per pixel                          layer + full backward to the
                                                                       input
occlusion_map            :math:`y^c(x) - y^c(x` with a patch hidden),  1 + h'·w' forwards (batched)    ``[N, h', w']``
                         one per patch position (Zeiler & Fergus
                         2014)
grad_cam_plus_plus       Grad-CAM with :math:`w_k^c = \sum_{ij}         1 forward + backward to the     ``[N, h, w]``
                         \alpha^{kc}_{ij} \mathrm{ReLU}(g^k_{ij})`,     layer
                         :math:`\alpha` from 2nd/3rd powers of the
                         gradient (Chattopadhay et al. 2018)
xgrad_cam                Grad-CAM with the gradient averaged under     1 forward + backward to the     ``[N, h, w]``
                         weights :math:`A^k_{ij} / \sum A^k`           layer
                         (Fu et al. 2020)
layer_cam                :math:`\mathrm{ReLU}(\sum_k \mathrm{ReLU}(g^k)  1 forward + backward to the     ``[N, h, w]``
                         \odot A^k)`: one weight per position          layer
                         (Jiang et al. 2021)
score_cam                weight of channel k: the probability of       1 + K forwards (batched)        ``[N, h, w]``
                         class c for the image masked by upsampled,
                         normalised :math:`A^k` (Wang et al. 2020)
ablation_cam             weight of channel k: the relative drop of     1 + K forwards (batched)        ``[N, h, w]``
                         :math:`y^c` when :math:`A^k` is zeroed
                         (Desai & Ramaswamy 2020)
eigen_cam                :math:`A` projected on its first principal    1 forward, one SVD per image    ``[N, h, w]``
                         direction; no class (Muhammad & Yeasin 2020)
=======================  ============================================  ==============================  ==============

:math:`g^k_{ij} = \partial y^c / \partial A^k_{ij}` and :math:`K` is the
number of channels of the explained layer. The methods after Grad-CAM are
compared with the implementations of ``pytorch-grad-cam`` in
``tests/test_cam_family_agreement.py``; where its definition differs from
the paper's, these functions follow the paper and their docstrings say where.

``target`` picks the class :math:`c` the same way everywhere: ``None`` for each
image's predicted class, an ``int`` for one class for all images, or a
sequence / tensor with one class per image.

The maps come back raw, at the resolution they are computed at: no
normalisation, no upsampling. :func:`min_max_normalise`, :func:`upsample` and
:func:`to_image` (from :mod:`course_utils.maps`, re-exported here) do that,
and :mod:`course_utils.maps` explains why their order matters.

Every method leaves the model as it found it: computed in eval mode (so
batch norm uses its running statistics and the images of a batch do not
influence each other), training flags restored, no hooks left behind, no
``.grad`` filled on any parameter, and it works inside ``torch.no_grad()``.
The machinery that guarantees it (eval mode, hooks, reading a layer's
activation and gradient, the checks on images, targets and layers) is in
:mod:`course_utils.hooks`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_utils.errors import CourseTypeError, CourseValueError
from course_utils.hooks import (
    Target,
    check_images,
    check_positive_int,
    check_submodule,
    class_scores,
    eval_mode,
    guided_input_gradient,
    hooks,
    read_features,
    read_layer,
    resolve_target,
)
from course_utils.language import tr, tr_noop
from course_utils.maps import min_max_normalise, to_image, upsample

__all__ = [
    "class_activation_map",
    "grad_cam",
    "counterfactual_grad_cam",
    "hires_cam",
    "guided_backprop",
    "guided_grad_cam",
    "occlusion_map",
    "grad_cam_plus_plus",
    "xgrad_cam",
    "layer_cam",
    "score_cam",
    "ablation_cam",
    "eigen_cam",
    "principal_projection",
    "min_max_normalise",
    "upsample",
    "to_image",
]


def class_activation_map(
    model: nn.Module,
    images: Tensor,
    target: Target = None,
    *,
    feature_layer: nn.Module | None = None,
    fc: nn.Module | None = None,
) -> Tensor:
    r"""CAM: the class score spread back over the positions of the last feature maps.

    With global average pooling (GAP) then a linear layer, the class score is

    .. math::
        S_c = \sum_k w_k^c \frac{1}{hw} \sum_{x,y} f_k(x, y) + b_c
            = \frac{1}{hw} \sum_{x,y} M_c(x, y) + b_c,
        \qquad M_c(x, y) = \sum_k w_k^c f_k(x, y)

    and :math:`M_c` is returned, ``[N, h, w]`` at the feature maps' resolution,
    without ReLU or normalisation: one weight :math:`w_k^c` per channel, the
    same at every position. The bias :math:`b_c` (if ``fc`` has one) is the
    same at every position, so it is left out of the map. (Zhou et al. write
    :math:`M_c` the same way; the :math:`\frac{1}{hw}` only rescales it.)

    Args:
        model: a classifier whose ``feature_layer`` output reaches ``fc``
            through GAP alone. This is checked numerically: the logits must
            equal ``fc(GAP(features))``, else ``ValueError`` (use
            :func:`grad_cam` for any other head).
        images: ``[N, 3, H, W]`` float.
        target: the class :math:`c` (see the module docstring).
        feature_layer: the module whose output is :math:`f_k(x, y)`;
            default ``model.features``.
        fc: the linear layer holding :math:`w_k^c`: an ``nn.Linear`` or a 1x1
            ``nn.Conv2d`` (weight ``[C, K, 1, 1]``, as in ``ConvHeadCNN``);
            default ``model.fc``, else ``model.classifier``.

    Example:
        >>> maps = class_activation_map(model, images)                     # doctest: +SKIP
        >>> maps = class_activation_map(resnet, images, feature_layer=resnet.layer4, fc=resnet.fc)  # doctest: +SKIP
    """
    images = check_images(model, images, method=_CAM)
    feature_layer, w, b = _gap_linear_head(model, feature_layer, fc)  # w: w_k^c as [C, K]
    f, scores = read_features(model, feature_layer, images, method=_CAM, argument="feature_layer")  # f_k(x, y)
    _check_gap_linear(f, scores, w, b)
    c = resolve_target(target, scores, method=_CAM)
    return torch.einsum("nk,nkxy->nxy", w[c], f)  # M_c(x, y) = sum_k w_k^c f_k(x, y), one class c per image


def grad_cam(model: nn.Module, layer: nn.Module, images: Tensor, target: Target = None) -> Tensor:
    r"""Grad-CAM: feature maps weighted by how much the class score grows with them.

    .. math::
        \alpha_k^c = \frac{1}{Z} \sum_i \sum_j \frac{\partial y^c}{\partial A^k_{ij}},
        \qquad
        L^c_{\text{Grad-CAM}} = \mathrm{ReLU}\Big(\sum_k \alpha_k^c A^k\Big)

    :math:`A^k` is ``layer``'s output, :math:`y^c` the class score before
    softmax, :math:`Z = hw` the number of positions: one weight
    :math:`\alpha_k^c` per channel. The ReLU keeps only the evidence *for*
    the class. Returns ``[N, h, w]`` at the layer's resolution, not
    normalised. On a GAP + linear model and its last feature maps,
    :math:`\alpha_k^c = w_k^c / Z`, so Grad-CAM is :math:`\mathrm{ReLU}(M_c) / Z`
    with :math:`M_c` the CAM.

    Works on any model and any layer whose output is ``[N, K, h, w]``. It
    costs one forward pass and a backward pass that stops at ``layer``:
    nothing before it is differentiated, and no parameter's ``.grad`` is
    touched.

    Example:
        >>> maps = grad_cam(model, model.features, images, target=2)  # doctest: +SKIP
    """
    reading = read_layer(model, layer, images, target, method="grad_cam")
    alpha = reading.gradient.mean(dim=(2, 3))  # alpha_k^c: one weight per channel, [N, K]
    return F.relu(torch.einsum("nk,nkij->nij", alpha, reading.activation))


def counterfactual_grad_cam(model: nn.Module, layer: nn.Module, images: Tensor, target: Target = None) -> Tensor:
    r"""Counterfactual Grad-CAM: where the evidence *against* the class is.

    .. math::
        L^c_{\text{counterfactual}} = \mathrm{ReLU}\Big(\sum_k (-\alpha_k^c) A^k\Big)

    with :math:`\alpha_k^c` as in :func:`grad_cam`, one weight per channel.
    It highlights regions that lower the class score, so removing them should
    raise it. Since :math:`\mathrm{ReLU}(z) - \mathrm{ReLU}(-z) = z`,
    ``grad_cam - counterfactual_grad_cam`` is the map before the ReLU. Costs
    what Grad-CAM costs.
    """
    reading = read_layer(model, layer, images, target, method="counterfactual_grad_cam")
    alpha = reading.gradient.mean(dim=(2, 3))  # alpha_k^c, as in grad_cam
    return F.relu(torch.einsum("nk,nkij->nij", -alpha, reading.activation))


def hires_cam(model: nn.Module, layer: nn.Module, images: Tensor, target: Target = None) -> Tensor:
    r"""HiResCAM: each feature map weighted, position by position, by the gradient there.

    .. math::
        L^c_{\text{HiResCAM}}(i, j) = \mathrm{ReLU}\Big(\sum_k
            \frac{\partial y^c}{\partial A^k_{ij}} \, A^k_{ij}\Big)

    with :math:`A^k` ``layer``'s output and :math:`y^c` the class score before
    softmax, as in :func:`grad_cam`, which replaces the gradient at each
    position by its spatial mean :math:`\alpha_k^c`. Element-wise, nothing is
    averaged away: where the score does not depend on a position (a max-pool
    that routes no gradient there, a fully-connected weight near 0), the map
    is 0 there, whatever Grad-CAM's channel weights say. Draelos & Carin (2020,
    "Use HiResCAM instead of Grad-CAM for faithful explanations of
    convolutional neural networks", arXiv:2011.08891) propose it for that
    reason. LayerCAM (Jiang et al. 2021) is the same product with only the
    positive gradients, :math:`\mathrm{ReLU}(\partial y^c / \partial A^k_{ij})`.

    Special case: on a GAP + linear head and its last feature maps, the
    gradient :math:`w_k^c / Z` is the same at every position, so it equals
    its mean and HiResCAM *is* Grad-CAM (:math:`\mathrm{ReLU}(M_c) / Z`).

    Returns ``[N, h, w]`` at the layer's resolution, not normalised. Costs
    what Grad-CAM costs: one forward pass and a backward pass that stops at
    ``layer``.

    Example:
        >>> maps = hires_cam(model, model.features, images, target=2)  # doctest: +SKIP
    """
    reading = read_layer(model, layer, images, target, method="hires_cam")
    return F.relu((reading.gradient * reading.activation).sum(1))  # sum_k dy^c/dA^k_ij * A^k_ij


def guided_backprop(model: nn.Module, images: Tensor, target: Target = None) -> Tensor:
    r"""Guided backpropagation: the input gradient, through ReLUs that pass only positive gradients.

    An ordinary ReLU sends the gradient :math:`g` back where its input
    :math:`z` was positive; a *guided* ReLU also drops the negative gradients:

    .. math::
        \frac{\partial y^c}{\partial z}\Big|_{\text{guided}} = [z > 0] \cdot \max(g, 0)

    Returns :math:`\partial y^c / \partial x` with every ``nn.ReLU`` module
    guided, ``[N, 3, H, W]``: one value per pixel and colour, a sharp picture
    of the pixels that excite the class, but hardly class-specific on its own
    (combine with Grad-CAM: :func:`guided_grad_cam`). ReLUs called as
    functions (``F.relu``) are not seen and stay ordinary. Costs one forward
    pass and a full backward pass to the input.
    """
    gradient, _ = guided_input_gradient(model, images, target, method="guided_backprop")
    return gradient


def guided_grad_cam(model: nn.Module, layer: nn.Module, images: Tensor, target: Target = None) -> Tensor:
    r"""Guided Grad-CAM: guided backprop, kept only where Grad-CAM sees the class.

    .. math::
        G^c(x) = \frac{\partial y^c}{\partial x}\Big|_{\text{guided}}
                 \cdot \mathrm{up}\big(L^c_{\text{Grad-CAM}}\big)(x)

    pixel by pixel: one weight per pixel, Grad-CAM upsampled bilinearly to
    the image size (not normalised, so the values keep Grad-CAM's scale).
    Returns ``[N, 3, H, W]``. With ``target=None`` both factors explain the
    same, predicted, class.
    """
    method = "guided_grad_cam"
    images = check_images(model, images, method=method)
    reading = read_layer(model, layer, images, target, method=method)
    alpha = reading.gradient.mean(dim=(2, 3))  # alpha_k^c, as in grad_cam
    cam = F.relu(torch.einsum("nk,nkij->nij", alpha, reading.activation))  # L^c_Grad-CAM [N, h, w]
    guided, _ = guided_input_gradient(model, images, reading.classes, method=method)  # [N, 3, H, W]
    return guided * upsample(cam, tuple(images.shape[-2:]), "bilinear")[:, None].to(guided.dtype)


def occlusion_map(
    model: nn.Module,
    images: Tensor,
    target: Target = None,
    *,
    patch: int = 8,
    stride: int = 4,
    baseline: float | str = 0.0,
    batch_size: int = 256,
) -> Tensor:
    r"""Occlusion: how much the class score drops when a patch of the image is hidden.

    .. math::
        O^c(i, j) = y^c(x) - y^c\big(x \text{ with the patch at } (i s, j s) \text{ filled}\big)

    with :math:`s` the stride. The score :math:`y^c` is the logit, as in
    Grad-CAM, not the probability: a confident prediction's probability stays
    near 1 under most occlusions (softmax saturates), which would flatten the
    map. Positive values mark patches the class relies on; negative values,
    patches that argue against it. No gradients: one forward pass for the
    clean images, and one per (image, patch position), ``batch_size`` at a time.

    Args:
        patch: side of the square patch, in pixels.
        stride: step between patch positions; cell ``(i, j)`` of the map is the
            patch whose top-left corner is pixel ``(i * stride, j * stride)``.
        baseline: the fill value: a number (``0.0``: black, or grey if the
            images are zero-centred), or ``"mean"`` for each image's own mean
            colour, which hides the patch without adding a new colour.
        batch_size: occluded copies per forward pass (bounds the memory).

    Returns:
        ``[N, h', w']`` with :math:`h' = \lfloor (H - p) / s \rfloor + 1`
        (15x15 for 64x64 images, ``patch=8``, ``stride=4``): cell centres lie
        ``patch / 2`` pixels in from the image border, so ``upsample`` lays it
        over the image only approximately.
    """
    method = "occlusion_map"
    images = check_images(model, images, method=method)
    for name, value in (("patch", patch), ("stride", stride), ("batch_size", batch_size)):
        check_positive_int(value, name, method=method)
    fill = _baseline_colour(images, baseline)  # [N, 3, 1, 1]
    masks, grid = _patch_masks(images, patch, stride)  # [P, 1, H, W]: 1 inside patch position p
    n, positions = len(images), len(masks)

    with eval_mode(model), torch.no_grad():
        scores = class_scores(model, images, method=method)
        c = resolve_target(target, scores, method=method)
        clean = scores.gather(1, c[:, None])[:, 0]  # y^c(x)
        drops = torch.empty(n * positions, device=images.device, dtype=scores.dtype)
        # All (image, position) pairs in one flat list, cut into chunks of batch_size.
        for start in range(0, n * positions, batch_size):
            pair = torch.arange(start, min(start + batch_size, n * positions), device=images.device)
            image, position = pair // positions, pair % positions
            occluded = images[image] * (1 - masks[position]) + fill[image] * masks[position]
            drops[pair] = clean[image] - model(occluded).gather(1, c[image, None])[:, 0]  # O^c(i, j)
    return drops.view(n, *grid)


# ---------------------------------------------------------------------------
# The family after Grad-CAM (notebook 07): each is its weighting rule
# ---------------------------------------------------------------------------


def grad_cam_plus_plus(model: nn.Module, layer: nn.Module, images: Tensor, target: Target = None) -> Tensor:
    r"""Grad-CAM++: positive gradients, each weighted by a closed-form :math:`\alpha`.

    .. math::
        \alpha^{kc}_{ij} = \frac{(g^k_{ij})^2}
            {2 (g^k_{ij})^2 + \sum_{ab} A^k_{ab} \, (g^k_{ij})^3},
        \qquad
        w^c_k = \sum_{ij} \alpha^{kc}_{ij} \, \mathrm{ReLU}(g^k_{ij}),
        \qquad
        L^c = \mathrm{ReLU}\Big(\sum_k w^c_k A^k\Big)

    with :math:`g^k_{ij} = \partial y^c / \partial A^k_{ij}` (Chattopadhay
    et al. 2018, eq. 19): the second and third derivatives of
    :math:`\exp(y^c)` written with the first, which holds exactly when the
    network is piecewise linear after ``layer``. :math:`\alpha = 0` where its
    denominator is 0. One weight per channel; costs what Grad-CAM costs.

    Differs from ``pytorch-grad-cam``'s ``GradCAMPlusPlus`` by its
    :math:`\epsilon = 10^{-6}` added to the denominator: not small when
    gradients are ~1e-3 (the squared gradient is then ~1e-6), so the two
    maps part visibly for small gradients and agree when gradients are large.
    """
    reading = read_layer(model, layer, images, target, method="grad_cam_plus_plus")
    g, a = reading.gradient, reading.activation
    denominator = 2 * g**2 + a.sum(dim=(2, 3), keepdim=True) * g**3
    alpha = torch.where(denominator != 0, g**2 / torch.where(denominator != 0, denominator, 1), 0)
    weights = (alpha * F.relu(g)).sum(dim=(2, 3))  # w_k^c, [N, K]
    return F.relu(torch.einsum("nk,nkij->nij", weights, a))


def xgrad_cam(model: nn.Module, layer: nn.Module, images: Tensor, target: Target = None) -> Tensor:
    r"""XGrad-CAM: the gradient averaged with the activation's own weights, not uniformly.

    .. math::
        w^c_k = \sum_{ij} \frac{A^k_{ij}}{\sum_{ab} A^k_{ab}} \, g^k_{ij},
        \qquad
        L^c = \mathrm{ReLU}\Big(\sum_k w^c_k A^k\Big)

    (Fu et al. 2020; a channel whose activations sum to 0 gets weight 0).
    Where the gradient is the same at every position (a GAP + linear head on
    its last feature maps), :math:`w^c_k` is that gradient, Grad-CAM's mean
    gradient too, and XGrad-CAM is Grad-CAM. One weight per channel; costs
    what Grad-CAM costs.
    """
    reading = read_layer(model, layer, images, target, method="xgrad_cam")
    g, a = reading.gradient, reading.activation
    total = a.sum(dim=(2, 3))  # sum_ab A^k_ab, [N, K]
    weighted = (a * g).sum(dim=(2, 3))
    weights = torch.where(total != 0, weighted / torch.where(total != 0, total, 1), 0)
    return F.relu(torch.einsum("nk,nkij->nij", weights, a))


def layer_cam(model: nn.Module, layer: nn.Module, images: Tensor, target: Target = None) -> Tensor:
    r"""Layer-CAM: each position weighted by its own positive gradient.

    .. math::
        L^c = \mathrm{ReLU}\Big(\sum_k \mathrm{ReLU}(g^k) \odot A^k\Big)

    (Jiang et al. 2021). HiResCAM with the negative gradients dropped first:
    the two agree wherever every gradient is positive. Meant for earlier
    layers, where the gradient varies from position to position and Grad-CAM's
    mean gradient blurs it away. Costs what Grad-CAM costs.
    """
    reading = read_layer(model, layer, images, target, method="layer_cam")
    return F.relu((F.relu(reading.gradient) * reading.activation).sum(1))


def score_cam(
    model: nn.Module, layer: nn.Module, images: Tensor, target: Target = None, *, batch_size: int = 256
) -> Tensor:
    r"""Score-CAM: each channel weighted by the class probability of the image it masks.

    .. math::
        H^k = \frac{\mathrm{up}(A^k) - \min \mathrm{up}(A^k)}{\max \mathrm{up}(A^k) - \min \mathrm{up}(A^k)},
        \qquad
        w^c_k = \mathrm{softmax}\big(y(x \odot H^k)\big)_c,
        \qquad
        L^c = \mathrm{ReLU}\Big(\sum_k w^c_k A^k\Big)

    ``up`` is bilinear upsampling to the image size (``align_corners=False``,
    as in :func:`upsample`); a constant :math:`A^k` gives :math:`H^k = 0`. No
    gradients (Wang et al. 2020): one forward pass for the activations and
    one per channel and image, ``batch_size`` masked images at a time. The
    weight is the softmax over *classes* of the masked image's scores, as in
    the authors' code; the baseline image of the paper's "increase of
    confidence" is left out, as there.

    Differs from ``pytorch-grad-cam``'s ``ScoreCAM``, which takes the logit
    :math:`y^c(x \odot H^k)` of each masked image and applies the softmax
    *across the K channels*, and which upsamples with ``align_corners=True``.
    """
    method = "score_cam"
    images = check_images(model, images, method=method)
    check_positive_int(batch_size, "batch_size", method=method)
    activation, scores = read_features(model, layer, images, method=method)  # A^k, [N, K, h, w]
    c = resolve_target(target, scores, method=method)
    masked = _masked_scores(model, images, activation, batch_size, method=method)  # y(x * H^k), [N, K, C]
    weights = masked.softmax(dim=-1).gather(2, c[:, None, None].expand(-1, masked.shape[1], 1))[..., 0]
    return F.relu(torch.einsum("nk,nkij->nij", weights, activation))


def ablation_cam(
    model: nn.Module, layer: nn.Module, images: Tensor, target: Target = None, *, batch_size: int = 256
) -> Tensor:
    r"""Ablation-CAM: each channel weighted by how much the score drops without it.

    .. math::
        w^c_k = \frac{y^c - y^c_k}{y^c},
        \qquad
        L^c = \mathrm{ReLU}\Big(\sum_k w^c_k A^k\Big)

    with :math:`y^c_k` the score when channel :math:`k` of ``layer``'s output
    is set to zero (Desai & Ramaswamy 2020). No gradients: one forward pass,
    then one per channel and image, ``batch_size`` at a time (the layers
    before ``layer`` are recomputed; the ablated activation replaces
    ``layer``'s output). Dividing by :math:`y^c` flips every weight's sign
    when the score is negative (an absent class), as in the paper.

    ``pytorch-grad-cam``'s ``AblationCAM`` agrees where the layer's smallest
    activation is 0 (after a ReLU); otherwise it sets the channel to
    :math:`\min A - 10^7`, not 0.
    """
    method = "ablation_cam"
    images = check_images(model, images, method=method)
    check_positive_int(batch_size, "batch_size", method=method)
    activation, scores = read_features(model, layer, images, method=method)  # A^k, [N, K, h, w]
    c = resolve_target(target, scores, method=method)
    y = scores.gather(1, c[:, None])[:, 0]  # y^c
    n, k = activation.shape[:2]
    ablated = torch.empty(n * k, device=activation.device, dtype=scores.dtype)
    with eval_mode(model), hooks() as handles, torch.no_grad():
        replacement: list[Tensor] = []
        handles.append(layer.register_forward_hook(lambda m, i, out: replacement[0]))
        for start in range(0, n * k, batch_size):
            pair = torch.arange(start, min(start + batch_size, n * k), device=activation.device)
            image, channel = pair // k, pair % k
            without = activation[image].clone()
            without[torch.arange(len(pair)), channel] = 0  # A with channel k zeroed
            replacement[:] = [without]
            ablated[pair] = model(images[image]).gather(1, c[image, None])[:, 0]  # y^c_k
    weights = (y[:, None] - ablated.view(n, k)) / y[:, None]
    return F.relu(torch.einsum("nk,nkij->nij", weights, activation))


def eigen_cam(
    model: nn.Module, layer: nn.Module, images: Tensor, target: Target = None, *, centred: bool = False
) -> Tensor:
    r"""Eigen-CAM: the activations projected on their first principal direction; no class.

    With :math:`A` written as a matrix of :math:`hw` positions by :math:`K`
    channels and :math:`A = U \Sigma V^\top` its singular value decomposition,

    .. math::
        L = \mathrm{ReLU}(A v_1)

    with :math:`v_1` the first right singular vector (Muhammad & Yeasin
    2020): the direction in channel space along which the positions vary the
    most, with its sign chosen so that its entries sum to a positive number
    (for activations :math:`\geq 0` the map is then :math:`\geq 0`). No
    gradient and no class: ``target`` is checked but changes nothing, and the
    map is the same for every class. One forward pass, one SVD per image
    (computed as the top eigenvector of :math:`A^\top A`, a :math:`K \times K` problem).

    ``centred=True`` subtracts each channel's mean over the positions first,
    as ``pytorch-grad-cam``'s ``EigenCAM`` does; the paper does not. Its sign
    is whatever the SVD returns, so its map may be the negative
    projection's ReLU.
    """
    method = "eigen_cam"
    activation, scores = read_features(model, layer, check_images(model, images, method=method), method=method)
    resolve_target(target, scores, method=method)
    return F.relu(principal_projection(activation, centred=centred))


def principal_projection(activation: Tensor, *, centred: bool = False) -> Tensor:
    r"""Each image's activations ``[N, K, h, w]`` projected on their first principal direction: ``[N, h, w]``.

    :math:`A v_1` (see :func:`eigen_cam`), signed: :math:`v_1`'s entries sum
    to a number :math:`\geq 0`. ``centred=True`` projects
    :math:`A - \bar A` (each channel's mean over positions subtracted).
    """
    n, k, h, w = activation.shape
    matrix = activation.flatten(2).transpose(1, 2).double()  # [N, hw, K]
    if centred:
        matrix = matrix - matrix.mean(dim=1, keepdim=True)
    # v_1, the first right singular vector of the [hw, K] matrix, is the top eigenvector of its
    # K x K Gram matrix: one small symmetric eigenproblem per image (eigh: eigenvalues in
    # ascending order), 5-50 times faster on a CPU than the SVD of the tall matrix, same vector.
    _, eigenvectors = torch.linalg.eigh(matrix.transpose(1, 2) @ matrix)  # [N, K, K]
    v1 = eigenvectors[..., -1]  # [N, K]
    v1 = torch.where(v1.sum(-1, keepdim=True) < 0, -v1, v1)
    return torch.einsum("npk,nk->np", matrix, v1).view(n, h, w).to(activation.dtype)


# ---------------------------------------------------------------------------
# What one method needs of its own: CAM's head, occlusion's patches
# ---------------------------------------------------------------------------

_CAM = "class_activation_map"
# "CAM" is this method's name in the notebooks, whose saved outputs (checked by nbval) print these messages.
_CAM_NEEDS = tr_noop("CAM needs global average pooling followed by one linear layer")
_USE_GRAD_CAM = tr_noop("use grad_cam(model, layer, images) instead")


def _gap_linear_head(
    model: nn.Module, feature_layer: nn.Module | None, fc: nn.Module | None
) -> tuple[nn.Module, Tensor, Tensor | None]:
    """The feature layer (default ``model.features``), and ``w_k^c`` ``[C, K]`` and bias from ``fc``."""
    feature_layer = feature_layer if feature_layer is not None else _default_features(model)
    fc = fc if fc is not None else _default_fc(model)
    check_submodule(model, feature_layer, "feature_layer", method=_CAM)
    check_submodule(model, fc, "fc", method=_CAM)
    bias = None if getattr(fc, "bias", None) is None else fc.bias.detach()
    if isinstance(fc, nn.Linear):
        return feature_layer, fc.weight.detach(), bias
    if isinstance(fc, nn.Conv2d) and fc.kernel_size == (1, 1) and fc.groups == 1:
        # A 1x1 convolution is the same linear map applied at every position.
        return feature_layer, fc.weight.detach()[:, :, 0, 0], bias
    message = tr("{needs}, but fc is {type}, not nn.Linear or a 1x1 nn.Conv2d: {instead}")
    raise CourseValueError(
        message.format(needs=tr(_CAM_NEEDS), type=type(fc).__name__, instead=tr(_USE_GRAD_CAM))
    )


def _default_features(model: nn.Module) -> nn.Module:
    features = getattr(model, "features", None)
    if not isinstance(features, nn.Module):
        message = tr(
            "{method} found no `features` module in {type}: pass feature_layer=, "
            "e.g. feature_layer=model.layer4"
        )
        raise CourseValueError(message.format(method=_CAM, type=type(model).__name__))
    return features


def _default_fc(model: nn.Module) -> nn.Module:
    for name in ("fc", "classifier"):
        head = getattr(model, name, None)
        if isinstance(head, nn.Module):
            return head
    message = tr(
        "{needs}, and {type} has no `fc` or `classifier` layer "
        "(pass fc= if it has one under another name, or {instead})"
    )
    raise CourseValueError(
        message.format(needs=tr(_CAM_NEEDS), type=type(model).__name__, instead=tr(_USE_GRAD_CAM))
    )


def _check_gap_linear(features: object, scores: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    """The logits must equal fc(GAP(features)); otherwise the map would not explain them."""
    if not isinstance(features, Tensor) or features.dim() != 4:
        shape = tuple(features.shape) if isinstance(features, Tensor) else type(features).__name__
        message = tr("{needs}; the feature layer gives {shape}, not feature maps [N, K, h, w]")
        raise CourseValueError(message.format(needs=tr(_CAM_NEEDS), shape=shape))
    if weight.shape[1] != features.shape[1] or weight.shape[0] != scores.shape[1]:
        message = tr(
            "{needs}: fc maps {fc_channels} channels to {fc_classes} classes, but the features "
            "have {channels} channels and the model {classes} classes: {instead}"
        )
        raise CourseValueError(message.format(
            needs=tr(_CAM_NEEDS), fc_channels=weight.shape[1], fc_classes=weight.shape[0],
            channels=features.shape[1], classes=scores.shape[1], instead=tr(_USE_GRAD_CAM),
        ))
    predicted = features.mean(dim=(2, 3)) @ weight.T.to(features.dtype)
    if bias is not None:
        predicted = predicted + bias
    scale = max(1.0, scores.abs().max().item())
    error = (predicted - scores).abs().max().item()
    if error > 1e-3 * scale:
        message = tr(
            "{needs}: the model's scores are not fc(GAP(features)) (max difference {error:.3g}): "
            "{instead}"
        )
        raise CourseValueError(
            message.format(needs=tr(_CAM_NEEDS), error=error, instead=tr(_USE_GRAD_CAM))
        )


def _masked_scores(
    model: nn.Module, images: Tensor, activation: Tensor, batch_size: int, *, method: str,
    align_corners: bool = False,
) -> Tensor:
    """Score-CAM's forward passes: the scores ``[N, K, C]`` of each image masked by each channel's map.

    The mask :math:`H^k` is :math:`A^k` upsampled bilinearly to the image size
    and min-max normalised (0 where :math:`A^k` is constant).
    ``align_corners=True`` reproduces ``pytorch-grad-cam``'s upsampling.
    """
    n, k = activation.shape[:2]
    size = tuple(images.shape[-2:])
    out: Tensor | None = None
    with eval_mode(model), torch.no_grad():
        for start in range(0, n * k, batch_size):
            pair = torch.arange(start, min(start + batch_size, n * k), device=images.device)
            image, channel = pair // k, pair % k
            maps = activation[image, channel][:, None].float()  # A^k, [B, 1, h, w]
            up = F.interpolate(maps, size=size, mode="bilinear", align_corners=align_corners)[:, 0]
            low = up.flatten(1).amin(1)[:, None, None]
            span = up.flatten(1).amax(1)[:, None, None] - low
            masks = torch.where(span > 0, (up - low) / torch.where(span > 0, span, 1), 0)  # H^k
            scores = class_scores(model, images[image] * masks[:, None].to(images.dtype), method=method)
            if out is None:
                out = torch.empty(n * k, scores.shape[1], device=scores.device, dtype=scores.dtype)
            out[pair] = scores
    assert out is not None
    return out.view(n, k, -1)


def _patch_masks(images: Tensor, patch: int, stride: int) -> tuple[Tensor, tuple[int, int]]:
    """One mask per patch position, ``[P, 1, H, W]`` (1 inside the patch), and the grid ``(h', w')``."""
    height, width = images.shape[-2:]
    if patch > min(height, width):
        message = tr("occlusion_map's patch={patch} is larger than the images ({height}x{width})")
        raise CourseValueError(message.format(patch=patch, height=height, width=width))
    device = images.device
    tops = torch.arange(0, height - patch + 1, stride, device=device)
    lefts = torch.arange(0, width - patch + 1, stride, device=device)
    rows, cols = torch.arange(height, device=device), torch.arange(width, device=device)
    in_rows = (rows >= tops[:, None]) & (rows < tops[:, None] + patch)  # [h', H]
    in_cols = (cols >= lefts[:, None]) & (cols < lefts[:, None] + patch)  # [w', W]
    masks = (in_rows[:, None, :, None] & in_cols[None, :, None, :]).flatten(0, 1)[:, None]
    return masks.to(images.dtype), (len(tops), len(lefts))


def _baseline_colour(images: Tensor, baseline: float | str) -> Tensor:
    """The occlusion fill, ``[N, 3, 1, 1]``: a constant, or each image's mean colour."""
    if isinstance(baseline, str):
        if baseline != "mean":
            message = tr("occlusion_map's baseline must be a number or 'mean', got {baseline}")
            raise CourseValueError(message.format(baseline=repr(baseline)))
        return images.mean(dim=(2, 3), keepdim=True)
    if isinstance(baseline, bool) or not isinstance(baseline, (int, float)):
        message = tr("occlusion_map's baseline must be a number or 'mean', got {baseline}")
        raise CourseTypeError(message.format(baseline=type(baseline).__name__))
    return torch.full_like(images[:, :, :1, :1], float(baseline))

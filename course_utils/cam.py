"""Explanation methods: where does the network look for class :math:`c`?

Every method takes a model and a batch of images ``[N, 3, H, W]`` and returns
one map per image, as a torch tensor on the model's device:

===============================  ================  =================================================
method                           returns           needs
===============================  ================  =================================================
:func:`class_activation_map`     ``[N, h, w]``     a GAP + linear head (CAM, Zhou et al. 2016)
:func:`grad_cam`                 ``[N, h, w]``     a layer with feature maps (Selvaraju et al. 2017)
:func:`counterfactual_grad_cam`  ``[N, h, w]``     the same, with the gradients negated
:func:`guided_backprop`          ``[N, 3, H, W]``  ``nn.ReLU`` modules (Springenberg et al. 2015)
:func:`guided_grad_cam`          ``[N, 3, H, W]``  both of the above
:func:`occlusion_map`            ``[N, h', w']``   forward passes only (Zeiler & Fergus 2014)
===============================  ================  =================================================

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
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle

from course_utils.errors import CourseTypeError, CourseValueError
from course_utils.maps import min_max_normalise, to_image, upsample

__all__ = [
    "class_activation_map",
    "grad_cam",
    "counterfactual_grad_cam",
    "guided_backprop",
    "guided_grad_cam",
    "occlusion_map",
    "min_max_normalise",
    "upsample",
    "to_image",
]

Target = int | Sequence[int] | Tensor | None


# ---------------------------------------------------------------------------
# The methods
# ---------------------------------------------------------------------------


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
    without ReLU or normalisation. The bias :math:`b_c` (if ``fc`` has one) is
    the same at every position, so it is left out of the map.

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
    images = _check_images(model, images)
    feature_layer = feature_layer if feature_layer is not None else _default_features(model)
    fc = fc if fc is not None else _default_fc(model)
    _check_submodule(model, feature_layer, "feature_layer")
    _check_submodule(model, fc, "fc")
    weight, bias = _linear_weights(fc)

    with _eval_mode(model), _hooks() as handles, torch.no_grad():
        seen: list[Tensor] = []
        # A copy: a later in-place layer (ReLU(inplace=True)) must not change what we read.
        handles.append(feature_layer.register_forward_hook(lambda m, i, out: seen.append(_copy(out))))
        scores = _scores(model, images)
    features = _fired_once(seen, feature_layer, "CAM")
    _check_gap_linear(features, scores, weight, bias)
    classes = _resolve_target(target, scores)

    # M_c(x, y) = sum_k w_k^c f_k(x, y), one class c per image.
    return torch.einsum("nk,nkhw->nhw", weight[classes], features)


def grad_cam(model: nn.Module, layer: nn.Module, images: Tensor, target: Target = None) -> Tensor:
    r"""Grad-CAM: feature maps weighted by how much the class score grows with them.

    .. math::
        \alpha_k^c = \frac{1}{hw} \sum_{x,y} \frac{\partial S_c}{\partial A^k(x, y)},
        \qquad
        M_c(x, y) = \mathrm{ReLU}\Big(\sum_k \alpha_k^c A^k(x, y)\Big)

    :math:`A^k` is ``layer``'s output and :math:`S_c` the class score before
    softmax. The ReLU keeps only the evidence *for* the class. Returns
    ``[N, h, w]`` at the layer's resolution, not normalised. On a GAP +
    linear model and its last feature maps, :math:`\alpha_k^c = w_k^c / hw`,
    so Grad-CAM is :math:`\mathrm{ReLU}(\text{CAM}) / hw`.

    Works on any model and any layer whose output is ``[N, K, h, w]``. The
    gradient is taken only as far back as ``layer``: nothing before it is
    differentiated, and no parameter's ``.grad`` is touched.

    Example:
        >>> maps = grad_cam(model, model.features, images, target=2)  # doctest: +SKIP
    """
    activation, gradient, _ = _layer_gradient(model, layer, images, target)
    return _weighted_feature_maps(activation, gradient)


def counterfactual_grad_cam(model: nn.Module, layer: nn.Module, images: Tensor, target: Target = None) -> Tensor:
    r"""Counterfactual Grad-CAM: where the evidence *against* the class is.

    .. math::
        M_c^{-}(x, y) = \mathrm{ReLU}\Big(\sum_k (-\alpha_k^c) A^k(x, y)\Big)

    with :math:`\alpha_k^c` as in :func:`grad_cam`. It highlights regions that
    lower the class score, so removing them should raise it. Since
    :math:`\mathrm{ReLU}(z) - \mathrm{ReLU}(-z) = z`, ``grad_cam - counterfactual_grad_cam``
    is the map before the ReLU.
    """
    activation, gradient, _ = _layer_gradient(model, layer, images, target)
    return _weighted_feature_maps(activation, -gradient)


def guided_backprop(model: nn.Module, images: Tensor, target: Target = None) -> Tensor:
    r"""Guided backpropagation: the input gradient, through ReLUs that pass only positive gradients.

    An ordinary ReLU sends the gradient :math:`g` back where its input was
    positive; a *guided* ReLU also drops the negative gradients:

    .. math::
        \frac{\partial S_c}{\partial z}\Big|_{\text{guided}} = [z > 0] \cdot \max(g, 0)

    Returns :math:`\partial S_c / \partial x` with every ``nn.ReLU`` module
    guided, ``[N, 3, H, W]``: a sharp picture of the pixels that excite the
    class, but hardly class-specific on its own (combine with Grad-CAM:
    :func:`guided_grad_cam`). ReLUs called as functions (``F.relu``) are not
    seen and stay ordinary.
    """
    images = _check_images(model, images)
    return _guided_gradient(model, images, target)[0]


def guided_grad_cam(model: nn.Module, layer: nn.Module, images: Tensor, target: Target = None) -> Tensor:
    r"""Guided Grad-CAM: guided backprop, kept only where Grad-CAM sees the class.

    .. math::
        G_c(x, y) = \frac{\partial S_c}{\partial x}\Big|_{\text{guided}}(x, y) \cdot \mathrm{up}(M_c)(x, y)

    :math:`M_c` is :func:`grad_cam` upsampled bilinearly to the image size
    (not normalised, so the values keep Grad-CAM's scale). Returns ``[N, 3, H, W]``.
    With ``target=None`` both factors explain the same, predicted, class.
    """
    images = _check_images(model, images)
    activation, gradient, classes = _layer_gradient(model, layer, images, target)
    cam = _weighted_feature_maps(activation, gradient)
    guided, _ = _guided_gradient(model, images, classes)
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
        O_c(i, j) = S_c(x) - S_c(x \text{ with the patch at } (i \cdot s, j \cdot s) \text{ filled})

    The score :math:`S_c` is the logit, as in Grad-CAM, not the probability:
    a confident prediction's probability stays near 1 under most occlusions
    (softmax saturates), which would flatten the map. Positive values mark
    patches the class relies on; negative values, patches that argue against it.

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
    images = _check_images(model, images)
    n, _, height, width = images.shape
    for name, value in (("patch", patch), ("stride", stride), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise CourseValueError(f"{name} must be a positive int, got {value!r}")
    if patch > min(height, width):
        raise CourseValueError(f"patch={patch} is larger than the images ({height}x{width})")
    fill = _baseline_colour(images, baseline)  # [N, 3, 1, 1]

    # One mask per patch position, [P, 1, H, W]: 1 inside the patch.
    tops = torch.arange(0, height - patch + 1, stride, device=images.device)
    lefts = torch.arange(0, width - patch + 1, stride, device=images.device)
    rows = torch.arange(height, device=images.device)
    cols = torch.arange(width, device=images.device)
    in_rows = (rows >= tops[:, None]) & (rows < tops[:, None] + patch)  # [h', H]
    in_cols = (cols >= lefts[:, None]) & (cols < lefts[:, None] + patch)  # [w', W]
    masks = (in_rows[:, None, :, None] & in_cols[None, :, None, :]).flatten(0, 1)[:, None].to(images.dtype)
    positions = len(masks)

    with _eval_mode(model), torch.no_grad():
        scores = _scores(model, images)
        classes = _resolve_target(target, scores)
        clean = scores.gather(1, classes[:, None])[:, 0]
        drops = torch.empty(n * positions, device=images.device, dtype=scores.dtype)
        # All (image, position) pairs in one flat list, cut into chunks of batch_size.
        for start in range(0, n * positions, batch_size):
            pair = torch.arange(start, min(start + batch_size, n * positions), device=images.device)
            image, position = pair // positions, pair % positions
            mask = masks[position]
            occluded = images[image] * (1 - mask) + fill[image] * mask
            occluded_scores = model(occluded).gather(1, classes[image, None])[:, 0]
            drops[pair] = clean[image] - occluded_scores
    return drops.view(n, len(tops), len(lefts))


# ---------------------------------------------------------------------------
# Gradients: the shared machinery of Grad-CAM and guided backprop
# ---------------------------------------------------------------------------


def _weighted_feature_maps(activation: Tensor, gradient: Tensor) -> Tensor:
    """ReLU(sum_k alpha_k A^k), with alpha_k the spatial mean of ``gradient``."""
    alpha = gradient.mean(dim=(2, 3))  # [N, K]
    return F.relu(torch.einsum("nk,nkhw->nhw", alpha, activation))


def _layer_gradient(
    model: nn.Module, layer: nn.Module, images: Tensor, target: Target
) -> tuple[Tensor, Tensor, Tensor]:
    """One forward pass; returns ``layer``'s output A, dS_c/dA, and the classes c ``[N]``.

    The forward runs under ``no_grad`` until ``layer``: its hook swaps the
    output for a fresh leaf tensor that requires grad and switches grad mode
    on, so autograd records only the layers after it. The gradient then stops
    at that leaf: a Grad-CAM costs one forward pass and a partial backward.
    """
    images = _check_images(model, images)
    _check_submodule(model, layer, "layer")
    seen: list[Tensor] = []

    def start_graph_here(module: nn.Module, inputs: tuple, output: Tensor) -> Tensor:
        _check_feature_maps(output, module)
        activation = output.detach().requires_grad_(True)
        seen.append(activation)
        torch.set_grad_enabled(True)
        # Hand on a copy: an in-place layer next (ReLU(inplace=True)) may modify
        # it without touching A, and autograd still traces it back to A.
        return activation.clone()

    grad_mode = torch.is_grad_enabled()
    # inference_mode(False): inside the caller's torch.inference_mode() no graph could be built at all.
    with torch.inference_mode(False):
        try:
            with _eval_mode(model), _hooks() as handles:
                handles.append(layer.register_forward_hook(start_graph_here))
                with torch.no_grad():
                    scores = _scores(model, images)
        finally:
            torch.set_grad_enabled(grad_mode)  # the hook switched it on; give the caller theirs back
        activation = _fired_once(seen, layer, "Grad-CAM")
        classes = _resolve_target(target, scores)
        if not scores.requires_grad:
            raise CourseValueError(f"the model's scores do not depend on the output of layer {_name(model, layer)}")
        # In eval mode image n's score depends only on image n, so the gradient
        # of the sum holds every image's own gradient. enable_grad: the caller
        # may be in no_grad, and picking S_c out of the scores must be recorded too.
        with torch.enable_grad():
            chosen = scores.gather(1, classes[:, None]).sum()
        (gradient,) = torch.autograd.grad(chosen, activation, allow_unused=True)
    if gradient is None:  # the layer ran, but the chosen scores never used it
        gradient = torch.zeros_like(activation)
    return activation.detach(), gradient, classes


class _PositiveGradient(torch.autograd.Function):
    """Identity on the way forward; on the way back, only positive gradients pass."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        return x.clone()

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        return grad.clamp(min=0)


def _guided_gradient(model: nn.Module, images: Tensor, target: Target) -> tuple[Tensor, Tensor]:
    """dS_c/dx with every ``nn.ReLU`` guided; returns the gradient and the classes.

    Each ReLU's output y goes through :class:`_PositiveGradient` (by a forward
    hook): backward then clamps the gradient to >= 0 before the ReLU's own
    backward multiplies it by [y > 0] (= [z > 0]). Reading the mask from the
    output, not the input, is what makes this safe for ``ReLU(inplace=True)``,
    whose input has already been overwritten when the hook runs.
    """
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    if not relus:
        raise CourseValueError("guided backprop needs nn.ReLU modules, and this model has none")
    with _eval_mode(model), _hooks() as handles, torch.inference_mode(False), torch.enable_grad():
        inputs = images.detach().clone().requires_grad_(True)
        for relu in relus:
            handles.append(relu.register_forward_hook(lambda m, i, out: _PositiveGradient.apply(out)))
        scores = _scores(model, inputs)
        classes = _resolve_target(target, scores)
        (gradient,) = torch.autograd.grad(scores.gather(1, classes[:, None]).sum(), inputs)
    return gradient, classes


# ---------------------------------------------------------------------------
# Hygiene: eval mode, hooks that cannot leak
# ---------------------------------------------------------------------------


@contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    """Run in eval mode, then give every submodule back its own training flag."""
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield
    finally:
        # Per module, not model.train(mode): a model in training with a frozen
        # (eval) batch norm inside must come back exactly so.
        for module, training in modes:
            module.training = training


@contextmanager
def _hooks() -> Iterator[list[RemovableHandle]]:
    """Collect hook handles; remove them all on the way out, also after an exception."""
    handles: list[RemovableHandle] = []
    try:
        yield handles
    finally:
        for handle in handles:
            handle.remove()


# ---------------------------------------------------------------------------
# Checks: clear messages for the mistakes a learner makes
# ---------------------------------------------------------------------------


def _resolve_target(target: Target, scores: Tensor) -> Tensor:
    """The class index per image, ``[N]`` long, validated against the model's classes."""
    n, num_classes = scores.shape
    if target is None:
        return scores.argmax(dim=1)
    if isinstance(target, str):
        raise CourseTypeError(f"target must be None, an int, or one int per image; got the string {target!r}")
    try:
        classes = torch.as_tensor(target, device=scores.device)
    except (TypeError, ValueError, RuntimeError):
        raise CourseTypeError(f"target must be None, an int, or one int per image; got {type(target).__name__}") from None
    if classes.dim() == 0:
        classes = classes.expand(n)
    elif classes.dim() != 1 or len(classes) != n:
        raise CourseValueError(
            f"target has {classes.numel()} class indices (shape {tuple(classes.shape)}) but the batch has "
            f"{n} images: give one class per image, or a single int for all"
        )
    if classes.is_floating_point() or classes.is_complex() or classes.dtype == torch.bool:
        raise CourseTypeError(f"target must hold integer class indices, got dtype {classes.dtype}")
    bad = (classes < 0) | (classes >= num_classes)
    if bad.any():
        index = int(classes[bad][0])
        raise CourseValueError(
            f"class index {index} is out of range for a model with {num_classes} classes "
            f"(expected 0..{num_classes - 1})"
        )
    return classes.long()


def _check_images(model: nn.Module, images: Tensor) -> Tensor:
    """A non-empty float batch ``[N, 3, H, W]``, moved to the model's device."""
    if not isinstance(images, Tensor):
        raise CourseTypeError(f"images must be a torch.Tensor [N, 3, H, W], got {type(images).__name__}")
    if images.dim() == 3:
        raise CourseValueError(
            f"expected a batch of images [N, 3, H, W], got one image of shape {tuple(images.shape)}: "
            f"add a batch dimension with images[None]"
        )
    if images.dim() != 4 or images.shape[1] != 3:
        raise CourseValueError(f"expected images of shape [N, 3, H, W], got shape {tuple(images.shape)}")
    if len(images) == 0:
        raise CourseValueError("images is an empty batch (N = 0): there is nothing to explain")
    if not images.is_floating_point():
        raise CourseTypeError(f"images must be a float tensor, got dtype {images.dtype}: convert with images.float() / 255")
    parameter = next(model.parameters(), None)
    return images if parameter is None else images.to(parameter.device)


def _check_submodule(model: nn.Module, module: nn.Module, argument: str) -> None:
    if not isinstance(module, nn.Module):
        raise CourseTypeError(f"{argument} must be an nn.Module of the model, got {type(module).__name__}")
    if not any(m is module for m in model.modules()):
        raise CourseValueError(
            f"{argument} ({type(module).__name__}) is not a submodule of the model: "
            f"pass one of the model's own modules, e.g. model.features"
        )


def _check_feature_maps(output: object, module: nn.Module) -> None:
    if not isinstance(output, Tensor) or output.dim() != 4:
        shape = tuple(output.shape) if isinstance(output, Tensor) else type(output).__name__
        raise CourseValueError(
            f"Grad-CAM needs a layer whose output is feature maps [N, K, h, w]; "
            f"{type(module).__name__} gives {shape}"
        )


def _fired_once(seen: list[Tensor], layer: nn.Module, method: str) -> Tensor:
    """The one output the hook recorded; say clearly when the layer ran zero or several times."""
    if not seen:
        raise CourseValueError(
            f"{type(layer).__name__} is a submodule of the model but never ran in model(images) "
            f"(its hook never fired), so {method} has nothing to read: pick a layer on the forward path"
        )
    if len(seen) > 1:
        raise CourseValueError(
            f"{type(layer).__name__} ran {len(seen)} times in one forward pass; {method} needs a layer that runs once"
        )
    return seen[0]


def _scores(model: nn.Module, images: Tensor) -> Tensor:
    scores = model(images)
    if not isinstance(scores, Tensor) or scores.dim() != 2 or len(scores) != len(images):
        shape = tuple(scores.shape) if isinstance(scores, Tensor) else type(scores).__name__
        raise CourseValueError(f"the model must return class scores [N, classes], got {shape}")
    return scores


def _copy(output: object) -> object:
    return output.detach().clone() if isinstance(output, Tensor) else output


def _baseline_colour(images: Tensor, baseline: float | str) -> Tensor:
    """The occlusion fill, ``[N, 3, 1, 1]``: a constant, or each image's mean colour."""
    if isinstance(baseline, str):
        if baseline != "mean":
            raise CourseValueError(f"baseline must be a number or 'mean', got {baseline!r}")
        return images.mean(dim=(2, 3), keepdim=True)
    if isinstance(baseline, bool) or not isinstance(baseline, (int, float)):
        raise CourseTypeError(f"baseline must be a number or 'mean', got {type(baseline).__name__}")
    return torch.full_like(images[:, :, :1, :1], float(baseline))


def _name(model: nn.Module, layer: nn.Module) -> str:
    return next((name for name, m in model.named_modules() if m is layer), type(layer).__name__) or "(the model)"


# ---------------------------------------------------------------------------
# CAM's head: find it, read its weights, check that it really is GAP + linear
# ---------------------------------------------------------------------------

_CAM_NEEDS = "CAM needs global average pooling followed by one linear layer"
_USE_GRAD_CAM = "use grad_cam(model, layer, images) instead"


def _default_features(model: nn.Module) -> nn.Module:
    features = getattr(model, "features", None)
    if not isinstance(features, nn.Module):
        raise CourseValueError(
            f"{type(model).__name__} has no `features` module: pass feature_layer=, e.g. feature_layer=model.layer4"
        )
    return features


def _default_fc(model: nn.Module) -> nn.Module:
    for name in ("fc", "classifier"):
        head = getattr(model, name, None)
        if isinstance(head, nn.Module):
            return head
    raise CourseValueError(
        f"{_CAM_NEEDS}, and {type(model).__name__} has no `fc` or `classifier` layer "
        f"(pass fc= if it has one under another name, or {_USE_GRAD_CAM})"
    )


def _linear_weights(fc: nn.Module) -> tuple[Tensor, Tensor | None]:
    """``w_k^c`` as ``[C, K]`` (and the bias ``[C]`` or None) from a Linear or a 1x1 Conv2d."""
    if isinstance(fc, nn.Linear):
        return fc.weight.detach(), None if fc.bias is None else fc.bias.detach()
    if isinstance(fc, nn.Conv2d) and fc.kernel_size == (1, 1) and fc.groups == 1:
        # A 1x1 convolution is the same linear map applied at every position.
        return fc.weight.detach()[:, :, 0, 0], None if fc.bias is None else fc.bias.detach()
    raise CourseValueError(f"{_CAM_NEEDS}, but fc is {type(fc).__name__}, not nn.Linear or a 1x1 nn.Conv2d: {_USE_GRAD_CAM}")


def _check_gap_linear(features: Tensor, scores: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    """The logits must equal fc(GAP(features)); otherwise the map would not explain them."""
    if not isinstance(features, Tensor) or features.dim() != 4:
        shape = tuple(features.shape) if isinstance(features, Tensor) else type(features).__name__
        raise CourseValueError(f"{_CAM_NEEDS}; the feature layer gives {shape}, not feature maps [N, K, h, w]")
    if weight.shape[1] != features.shape[1] or weight.shape[0] != scores.shape[1]:
        raise CourseValueError(
            f"{_CAM_NEEDS}: fc maps {weight.shape[1]} channels to {weight.shape[0]} classes, but the features "
            f"have {features.shape[1]} channels and the model {scores.shape[1]} classes: {_USE_GRAD_CAM}"
        )
    predicted = features.mean(dim=(2, 3)) @ weight.T.to(features.dtype)
    if bias is not None:
        predicted = predicted + bias
    scale = max(1.0, scores.abs().max().item())
    error = (predicted - scores).abs().max().item()
    if error > 1e-3 * scale:
        raise CourseValueError(
            f"{_CAM_NEEDS}: the model's scores are not fc(GAP(features)) (max difference {error:.3g}): {_USE_GRAD_CAM}"
        )

"""Looking inside a model during a pass: the machinery under every explanation method.

:mod:`course_utils.cam` writes each method as its rule; this module does
the work the rules share, so that each method reads as its formula:

- :func:`eval_mode`: run a model in eval mode, then give every submodule
  back its own training flag;
- :func:`hooks`: register forward hooks and remove them all on the way out,
  even after an exception;
- :func:`read_features`: one forward pass, and a copy of one layer's output;
- :func:`read_layer`: one forward pass, one layer's activation :math:`A` and
  the gradient :math:`\\partial y^c / \\partial A`, with the backward pass
  stopping at that layer (:class:`LayerReading`);
- :func:`guided_input_gradient`: :math:`\\partial y^c / \\partial x` with every
  ``nn.ReLU`` passing only positive gradients back;
- the checks on what a learner passes in (images, target, layer), whose
  messages name the method the learner called: each function here takes
  ``method``, e.g. ``"grad_cam"``, for that.

Nothing here changes a model: eval mode is restored per module, hooks are
removed, no parameter's ``.grad`` is filled, and the caller's grad mode
(``torch.no_grad()``, ``torch.inference_mode()``) is given back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle

from course_utils.errors import CourseTypeError, CourseValueError
from course_utils.language import tr

__all__ = [
    "Target",
    "LayerReading",
    "eval_mode",
    "hooks",
    "read_features",
    "read_layer",
    "guided_input_gradient",
    "class_scores",
    "resolve_target",
    "check_images",
    "check_submodule",
    "check_positive_int",
]

Target = int | Sequence[int] | Tensor | None
"""The class :math:`c` to explain: None (each image's prediction), one int for all images, or one per image."""


# --- leaving the model as it was ------------------------------------------------------


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Run ``model`` in eval mode, then give every submodule back its own training flag.

    Eval mode: batch norm uses its running statistics (the images of a batch
    do not influence each other) and dropout is off.

    Example:
        >>> with eval_mode(model), torch.no_grad():           # doctest: +SKIP
        ...     scores = model(images)
    """
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        # Per module, not model.train(mode): a model in training with a frozen
        # (eval) batch norm inside must come back exactly so.
        for module, training in modes:
            module.training = training


@contextmanager
def hooks() -> Iterator[list[RemovableHandle]]:
    """Collect hook handles in the list it yields; remove them all on the way out, also after an exception.

    Example:
        >>> with hooks() as handles:                           # doctest: +SKIP
        ...     handles.append(layer.register_forward_hook(record))
        ...     model(images)
    """
    handles: list[RemovableHandle] = []
    try:
        yield handles
    finally:
        for handle in handles:
            handle.remove()


# --- reading a layer -------------------------------------------------------------------


@dataclass(frozen=True)
class LayerReading:
    """What one forward pass and a backward pass to ``layer`` read, for the classes :math:`c`."""

    activation: Tensor  #: :math:`A`, the layer's output ``[N, K, h, w]`` (detached)
    gradient: Tensor  #: :math:`\\partial y^c / \\partial A`, ``[N, K, h, w]``: each image's own class score
    classes: Tensor  #: :math:`c`, the explained class of each image, ``[N]`` long


def read_features(
    model: nn.Module, layer: nn.Module, images: Tensor, *, method: str, argument: str = "layer"
) -> tuple[Tensor, Tensor]:
    """One forward pass without gradients: ``(a copy of layer's output, the class scores [N, C])``.

    The copy matters: a later in-place layer (``ReLU(inplace=True)``) must
    not change what was read. ``images`` must have passed
    :func:`check_images`; the model runs in eval mode.
    """
    check_submodule(model, layer, argument, method=method)
    seen: list[object] = []
    with eval_mode(model), hooks() as handles, torch.no_grad():
        handles.append(layer.register_forward_hook(lambda m, i, out: seen.append(_copy(out))))
        scores = class_scores(model, images, method=method)
    return _fired_once(seen, layer, method), scores


def read_layer(model: nn.Module, layer: nn.Module, images: Tensor, target: Target, *, method: str) -> LayerReading:
    """One forward pass, then a backward pass from :math:`y^c` that stops at ``layer``.

    The forward runs under ``no_grad`` until ``layer``: its hook swaps the
    output for a fresh leaf tensor that requires grad and switches grad mode
    on, so autograd records only the layers after it. The gradient then
    stops at that leaf: nothing before the layer is differentiated, and no
    parameter's ``.grad`` is touched.
    """
    images = check_images(model, images, method=method)
    check_submodule(model, layer, "layer", method=method)
    seen: list[Tensor] = []

    def start_graph_here(module: nn.Module, inputs: tuple, output: Tensor) -> Tensor:
        _check_feature_maps(output, module, method)
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
            with eval_mode(model), hooks() as handles:
                handles.append(layer.register_forward_hook(start_graph_here))
                with torch.no_grad():
                    scores = class_scores(model, images, method=method)
        finally:
            torch.set_grad_enabled(grad_mode)  # the hook switched it on; give the caller theirs back
        activation = _fired_once(seen, layer, method)
        classes = resolve_target(target, scores, method=method)
        if not scores.requires_grad:
            message = tr("{method} cannot explain layer {layer}: the model's scores do not depend on its output")
            raise CourseValueError(message.format(method=method, layer=_name(model, layer)))
        # In eval mode image n's score depends only on image n, so the gradient
        # of the sum holds every image's own gradient. enable_grad: the caller
        # may be in no_grad, and picking y^c out of the scores must be recorded too.
        with torch.enable_grad():
            chosen = scores.gather(1, classes[:, None]).sum()
        (gradient,) = torch.autograd.grad(chosen, activation, allow_unused=True)
    if gradient is None:  # the layer ran, but the chosen scores never used it
        gradient = torch.zeros_like(activation)
    return LayerReading(activation.detach(), gradient, classes)


# --- guided backpropagation's ReLUs ------------------------------------------------------


class _PositiveGradient(torch.autograd.Function):
    """Identity on the way forward; on the way back, only positive gradients pass."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        return x.clone()

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        return grad.clamp(min=0)


def guided_input_gradient(model: nn.Module, images: Tensor, target: Target, *, method: str) -> tuple[Tensor, Tensor]:
    """:math:`\\partial y^c / \\partial x` with every ``nn.ReLU`` guided: ``(gradient [N, 3, H, W], classes [N])``.

    Each ReLU's output goes through :class:`_PositiveGradient` (by a forward
    hook): backward then clamps the gradient to >= 0 before the ReLU's own
    backward multiplies it by [output > 0] (= [input > 0]). Reading the mask
    from the output, not the input, is what makes this safe for
    ``ReLU(inplace=True)``, whose input has already been overwritten when
    the hook runs. One forward pass and a full backward pass to the input.
    """
    images = check_images(model, images, method=method)
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    if not relus:
        raise CourseValueError(tr("{method} needs nn.ReLU modules, and this model has none").format(method=method))
    with eval_mode(model), hooks() as handles, torch.inference_mode(False), torch.enable_grad():
        inputs = images.detach().clone().requires_grad_(True)
        for relu in relus:
            handles.append(relu.register_forward_hook(lambda m, i, out: _PositiveGradient.apply(out)))
        scores = class_scores(model, inputs, method=method)
        classes = resolve_target(target, scores, method=method)
        (gradient,) = torch.autograd.grad(scores.gather(1, classes[:, None]).sum(), inputs)
    return gradient, classes


# --- scores and targets -------------------------------------------------------------------


def class_scores(model: nn.Module, images: Tensor, *, method: str) -> Tensor:
    """``model(images)``, checked to be class scores ``[N, classes]``."""
    scores = model(images)
    if not isinstance(scores, Tensor) or scores.dim() != 2 or len(scores) != len(images):
        shape = tuple(scores.shape) if isinstance(scores, Tensor) else type(scores).__name__
        message = tr("{method} needs a model that returns class scores [N, classes], got {shape}")
        raise CourseValueError(message.format(method=method, shape=shape))
    return scores


def resolve_target(target: Target, scores: Tensor, *, method: str) -> Tensor:
    """The class index per image, ``[N]`` long, validated against the model's classes."""
    n, num_classes = scores.shape
    if target is None:
        return scores.argmax(dim=1)
    what = tr("{method}'s target").format(method=method)
    if isinstance(target, str):
        message = tr("{what} must be None, an int, or one int per image; got the string {target}")
        raise CourseTypeError(message.format(what=what, target=repr(target)))
    try:
        classes = torch.as_tensor(target, device=scores.device)
    except (TypeError, ValueError, RuntimeError):
        message = tr("{what} must be None, an int, or one int per image; got {type}")
        raise CourseTypeError(message.format(what=what, type=type(target).__name__)) from None
    if classes.dim() == 0:
        classes = classes.expand(n)
    elif classes.dim() != 1 or len(classes) != n:
        message = tr(
            "{what} has {count} class indices (shape {shape}) but the batch has {n} images: "
            "give one class per image, or a single int for all"
        )
        raise CourseValueError(message.format(what=what, count=classes.numel(), shape=tuple(classes.shape), n=n))
    if classes.is_floating_point() or classes.is_complex() or classes.dtype == torch.bool:
        message = tr("{what} must hold integer class indices, got dtype {dtype}")
        raise CourseTypeError(message.format(what=what, dtype=classes.dtype))
    bad = (classes < 0) | (classes >= num_classes)
    if bad.any():
        index = int(classes[bad][0])
        message = tr(
            "{what}: class index {index} is out of range for a model with {classes} classes (expected 0..{last})"
        )
        raise CourseValueError(message.format(what=what, index=index, classes=num_classes, last=num_classes - 1))
    return classes.long()


# --- checks on what the learner passes in -------------------------------------------------


def check_images(model: nn.Module, images: Tensor, *, method: str) -> Tensor:
    """A non-empty float batch ``[N, 3, H, W]``, moved to the model's device."""
    if not isinstance(images, Tensor):
        message = tr("{method} needs images as a torch.Tensor [N, 3, H, W], got {type}")
        raise CourseTypeError(message.format(method=method, type=type(images).__name__))
    if images.dim() == 3:
        message = tr(
            "{method} expected a batch of images [N, 3, H, W], got one image of shape {shape}: "
            "add a batch dimension with images[None]"
        )
        raise CourseValueError(message.format(method=method, shape=tuple(images.shape)))
    if images.dim() != 4 or images.shape[1] != 3:
        message = tr("{method} expected images of shape [N, 3, H, W], got shape {shape}")
        raise CourseValueError(message.format(method=method, shape=tuple(images.shape)))
    if len(images) == 0:
        message = tr("{method} got an empty batch of images (N = 0): there is nothing to explain")
        raise CourseValueError(message.format(method=method))
    if not images.is_floating_point():
        message = tr("{method} needs float images, got dtype {dtype}: convert with images.float() / 255")
        raise CourseTypeError(message.format(method=method, dtype=images.dtype))
    parameter = next(model.parameters(), None)
    return images if parameter is None else images.to(parameter.device)


def check_submodule(model: nn.Module, module: nn.Module, argument: str, *, method: str) -> None:
    """``module`` (the argument named ``argument``) must be one of ``model``'s own modules."""
    if not isinstance(module, nn.Module):
        message = tr("{method}'s {argument} must be an nn.Module of the model, got {type}")
        raise CourseTypeError(message.format(method=method, argument=argument, type=type(module).__name__))
    if not any(m is module for m in model.modules()):
        message = tr(
            "{method}'s {argument} ({type}) is not a submodule of the model: "
            "pass one of the model's own modules, e.g. model.features"
        )
        raise CourseValueError(message.format(method=method, argument=argument, type=type(module).__name__))


def check_positive_int(value: object, argument: str, *, method: str) -> int:
    """A whole number >= 1 (not a bool), e.g. a patch size."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        message = tr("{method}'s {argument} must be a positive int, got {value}")
        raise CourseValueError(message.format(method=method, argument=argument, value=repr(value)))
    return value


def _check_feature_maps(output: object, module: nn.Module, method: str) -> None:
    if not isinstance(output, Tensor) or output.dim() != 4:
        shape = tuple(output.shape) if isinstance(output, Tensor) else type(output).__name__
        message = tr("{method} needs a layer whose output is feature maps [N, K, h, w]; {layer} gives {shape}")
        raise CourseValueError(message.format(method=method, layer=type(module).__name__, shape=shape))


def _fired_once(seen: list, layer: nn.Module, method: str):
    """The one output the hook recorded; say clearly when the layer ran zero or several times."""
    if not seen:
        message = tr(
            "{layer} is a submodule of the model but never ran in model(images) (its hook never fired), "
            "so {method} has nothing to read: pick a layer on the forward path"
        )
        raise CourseValueError(message.format(layer=type(layer).__name__, method=method))
    if len(seen) > 1:
        message = tr("{layer} ran {count} times in one forward pass; {method} needs a layer that runs once")
        raise CourseValueError(message.format(layer=type(layer).__name__, count=len(seen), method=method))
    return seen[0]


def _copy(output: object) -> object:
    return output.detach().clone() if isinstance(output, Tensor) else output


def _name(model: nn.Module, layer: nn.Module) -> str:
    return next((name for name, m in model.named_modules() if m is layer), type(layer).__name__) or "(the model)"

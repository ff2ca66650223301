"""Self-checks for notebook 03, "Grad-CAM".

Each check recomputes the right answer (from the shipped models and frozen
splits, or with autograd on the toy below), compares it with the learner's,
and says what is right, or what was expected and why.

=================================  ================================================================
check                              exercise
=================================  ================================================================
:func:`check_gap_constant`         the constant between Grad-CAM and ReLU(CAM) on ``gap_cnn``
:func:`check_toy_alpha`            the Grad-CAM weights of a two-channel toy, by hand
:func:`check_alpha_rule`           Grad-CAM's weighting rule written as a function
:func:`check_pointed_object`       which object of a two-creature scene a class's map points at
=================================  ================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import torch
from torch import Tensor

from course_utils.cam import class_activation_map, counterfactual_grad_cam, grad_cam
from course_utils.checkpoints import load_model, load_split
from course_checks import Feedback, as_number, right, wrong
from course_utils.maps import upsample
from course_utils.scenes import CLASS_NAMES

POINTING_TOLERANCE = 4
"""Pixels: the pointing game's tolerance in notebook 03 (15 pixels at 224x224, scaled to 64x64)."""

# --- the toy of exercise 2 --------------------------------------------------------

TOY_ACTIVATION = torch.tensor(
    [
        [[1.0, 2.0], [0.0, 1.0]],  # A^1
        [[1.0, -1.0], [2.0, 2.0]],  # A^2
    ]
)
"""The toy's feature maps :math:`A^1, A^2`, ``[2, 2, 2]`` (channels, rows, columns)."""


def toy_score(activation: Tensor) -> Tensor:
    r"""The toy's class score :math:`y = 3A^1_{00} + A^1_{11} - 2A^2_{01} + \tfrac12 \sum_{ij} (A^2_{ij})^2`."""
    a1, a2 = activation[0], activation[1]
    return 3 * a1[0, 0] + a1[1, 1] - 2 * a2[0, 1] + 0.5 * (a2**2).sum()


def _toy_gradient() -> Tensor:
    activation = TOY_ACTIVATION.clone().requires_grad_(True)
    (gradient,) = torch.autograd.grad(toy_score(activation), activation)
    return gradient


# --- the right answers, computed -----------------------------------------------------


@lru_cache(maxsize=1)
def _gap_constant() -> tuple[float, int, int]:
    """``(Grad-CAM / ReLU(CAM), h, w)`` measured on ``gap_cnn``'s last feature maps, on four test scenes."""
    model = load_model("gap_cnn")
    images = load_split("test").images[:4]
    cam = class_activation_map(model, images)
    gradcam = grad_cam(model, model.features, images)
    positive = cam > 1e-3 * cam.abs().max()
    return (gradcam[positive] / cam[positive]).median().item(), *cam.shape[-2:]


@lru_cache(maxsize=16)
def _peak_object(model_name: str, index: int, class_index: int, counterfactual: bool) -> tuple[str, int, int]:
    """Where the (counterfactual) Grad-CAM map of ``class_index`` peaks on pair scene ``index``.

    Returns ``(object, y, x)``, with ``object`` "left", "right" or "neither":
    the object whose mask is nearest to the peak of the map upsampled to the
    image, if it is within :data:`POINTING_TOLERANCE` pixels (as in the
    notebook's pointing game).
    """
    model = load_model(model_name)
    scene = load_split("pair")[index]
    method = counterfactual_grad_cam if counterfactual else grad_cam
    up = upsample(method(model, model.features, scene.images, class_index), tuple(scene.images.shape[-2:]))[0]
    height, width = up.shape
    peak = int(up.flatten().argmax())
    y, x = peak // width, peak % width
    rows, cols = torch.arange(height)[:, None], torch.arange(width)[None, :]
    squared = ((rows - y) ** 2 + (cols - x) ** 2).float()
    # Distance from the peak to each creature's nearest pixel; the nearer one wins if it is within the tolerance.
    distance = [squared[mask].min().sqrt().item() if mask.any() else float("inf") for mask in scene.masks[0]]
    nearest = 0 if distance[0] <= distance[1] else 1
    return ("left", "right")[nearest] if distance[nearest] <= POINTING_TOLERANCE else "neither", y, x


# --- helpers for reading answers ---------------------------------------------------------




def _close(a: float, b: float, rel: float = 1e-3) -> bool:
    return abs(a - b) <= rel * abs(b)


def _fmt(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


# --- the checks ----------------------------------------------------------------------------


def check_gap_constant(answer: float | None) -> Feedback:
    """Exercise 1: the constant :math:`k` in Grad-CAM :math:`= k \\cdot \\mathrm{ReLU}(\\text{CAM})` for ``gap_cnn``."""
    constant, h, w = _gap_constant()
    if answer is None:
        return wrong("Set `answer` to the number k with grad_cam(...) = k * ReLU(CAM) on gap_cnn's last feature maps")
    value = as_number(answer)
    if value is None:
        return wrong(f"`answer` should be a number (a fraction like 1 / 10 is fine), got {type(answer).__name__}")
    if _close(value, constant):
        return right(
            f"k = 1/(h*w) = 1/{h * w} = {constant:.6g}. The gradient of S_c = (1/hw) sum_xy sum_k w_k^c A^k(x, y) "
            f"with respect to A^k(x, y) is w_k^c / hw at every position, so alpha_k^c = w_k^c / {h * w}: the same "
            f"map, scaled by a positive constant, so normalised it looks exactly the same."
        )
    if value != 0 and _close(1 / value, constant):
        return wrong(
            f"{value:g} is CAM / Grad-CAM, the other way round: Grad-CAM is the smaller one, "
            f"k = 1/(h*w) = 1/{h * w} = {constant:.6g}."
        )
    if value != 0 and (_close(value, 1 / h) or _close(value, 1 / w)):
        return wrong(
            f"{value:g} = 1/{round(1 / value)} divides by one side of the map only; the average runs over all "
            f"h*w = {h}*{w} = {h * w} positions, so k = 1/{h * w} = {constant:.6g}."
        )
    return wrong(
        f"Expected k = {constant:.6g}, you gave {value:g}. Differentiate S_c = (1/hw) sum_xy sum_k w_k^c A^k(x, y) "
        f"with respect to one A^k(x, y): the maps are {h}x{w}."
    )


def check_toy_alpha(answer: Sequence[float] | Tensor | None) -> Feedback:
    """Exercise 2: the weights ``[alpha_1, alpha_2]`` of the toy (:data:`TOY_ACTIVATION`, :func:`toy_score`)."""
    gradient = _toy_gradient()
    expected = gradient.mean(dim=(1, 2))
    if answer is None:
        return wrong("Set `alpha` to a list of two numbers [alpha_1, alpha_2]")
    try:
        values = torch.as_tensor(answer, dtype=torch.float32).detach().flatten()
    except (TypeError, ValueError, RuntimeError):
        return wrong(f"`alpha` should be two numbers, like [0.5, -1.0], got {answer!r}")
    if len(values) != 2:
        return wrong(f"`alpha` should hold one weight per channel, two numbers, yours has {len(values)}")
    if torch.allclose(values, expected, atol=1e-3):
        cam = torch.relu(torch.einsum("k,khw->hw", expected, TOY_ACTIVATION))
        return right(
            f"alpha = {_fmt(expected.tolist())}: dy/dA^1 = {gradient[0].tolist()} and dy/dA^2 = "
            f"{gradient[1].tolist()} (the square term's derivative is A^2 itself), each averaged over its "
            f"Z = 4 positions. The map ReLU(sum_k alpha_k A^k) is {cam.tolist()}."
        )
    total = gradient.sum(dim=(1, 2))
    if torch.allclose(values, total, atol=1e-3):
        return wrong(
            f"You summed the gradients ({_fmt(total.tolist())}); alpha averages them: divide by the Z = 4 positions, "
            f"expected {_fmt(expected.tolist())}."
        )
    without_square = (gradient - torch.stack([torch.zeros(2, 2), TOY_ACTIVATION[1]])).mean(dim=(1, 2))
    hint = ""
    if torch.allclose(values[1], without_square[1], atol=1e-3):
        hint = " Your alpha_2 leaves out the square term: d/dA^2_ij of (1/2) sum (A^2)^2 is A^2_ij, not 0."
    return wrong(
        f"Expected alpha = {_fmt(expected.tolist())}, you gave {_fmt(values.tolist())}. Write out dy/dA^k_ij at "
        f"each of the four positions of each channel, then average them.{hint}"
    )


def check_alpha_rule(alpha_rule: Callable[[Tensor], Tensor] | None) -> Feedback:
    """Exercise 3: ``alpha_rule(gradient [N, K, h, w]) -> alpha [N, K]``, Grad-CAM's channel weights."""
    if alpha_rule is None:
        return wrong("Set `alpha_rule` to your function: gradient [N, K, h, w] in, alpha [N, K] out")
    gradient = torch.randn(2, 5, 4, 3, generator=torch.Generator().manual_seed(0))
    expected = gradient.mean(dim=(2, 3))
    try:
        alpha = alpha_rule(gradient.clone())
    except NotImplementedError:
        return wrong("Your function still raises NotImplementedError: replace its body with the rule")
    except Exception as error:  # noqa: BLE001 - report the learner's error as feedback, not as a traceback
        return wrong(f"Your function raised {type(error).__name__}: {error}")
    if not isinstance(alpha, Tensor):
        return wrong(f"Your function should return a tensor [N, K], it returned {type(alpha).__name__}")
    if alpha.shape != expected.shape:
        return wrong(
            f"On a gradient of shape {list(gradient.shape)} (N, K, h, w) your function returned shape "
            f"{list(alpha.shape)}; expected {list(expected.shape)}: one weight per image and channel, "
            f"so average over the two spatial dimensions (2, 3) only."
        )
    if torch.allclose(alpha, expected, atol=1e-5):
        return right("alpha_k^c = (1/Z) sum_ij dy^c/dA^k_ij: the spatial mean of the gradient, one number per channel.")
    if torch.allclose(alpha, gradient.sum(dim=(2, 3)), atol=1e-4):
        return wrong(f"Your function sums over the positions; Grad-CAM averages: divide by Z = h*w = "
                     f"{gradient.shape[2] * gradient.shape[3]} here.")
    if torch.allclose(alpha, gradient.amax(dim=(2, 3)), atol=1e-5):
        return wrong("Your function takes the largest gradient; Grad-CAM averages the gradient over all positions.")
    if torch.allclose(alpha, gradient.clamp(min=0).mean(dim=(2, 3)), atol=1e-5):
        return wrong("Your function keeps only the positive gradients (that is closer to Grad-CAM++); "
                     "Grad-CAM averages all of them, negative ones included.")
    error = (alpha - expected).abs().max().item()
    return wrong(f"Right shape, but your weights differ from the spatial mean of the gradient by up to {error:.3g}.")


def _as_object(value: object) -> str | None:
    if isinstance(value, str):
        name = value.strip().lower()
        return name if name in ("left", "right", "neither") else None
    number = as_number(value)
    if number in (0.0, 1.0):
        return ("left", "right")[int(number)]
    return None


def check_pointed_object(
    answer: str | int | None,
    *,
    index: int,
    class_index: int,
    counterfactual: bool = False,
    model_name: str = "flatten_cnn",
) -> Feedback:
    """Exercise 4: on pair scene ``index``, which object the map of ``class_index`` points at.

    ``answer`` is ``0`` or ``"left"`` (object 0), ``1`` or ``"right"``
    (object 1), or ``"neither"``: where the peak of the (counterfactual, if
    asked) Grad-CAM map at ``model.features`` falls, within
    :data:`POINTING_TOLERANCE` pixels of an object's mask.
    """
    expected, y, x = _peak_object(model_name, index, class_index, counterfactual)
    labels = load_split("pair").labels[index].tolist()
    objects = {"left": CLASS_NAMES[labels[0]], "right": CLASS_NAMES[labels[1]]}
    method = "the counterfactual Grad-CAM map" if counterfactual else "the Grad-CAM map"
    what = f"{method} of class {CLASS_NAMES[class_index]}"
    if answer is None:
        return wrong("Set your answer to 'left' (object 0), 'right' (object 1) or 'neither'")
    given = _as_object(answer)
    if given is None:
        return wrong(f"The answer should be 'left' (or 0), 'right' (or 1) or 'neither', got {answer!r}")
    where = f"its peak is at row {y}, column {x}"
    if expected in objects:
        place = f"on the {expected} creature (the {objects[expected]} one)"
    else:
        place = f"on neither creature (none is within {POINTING_TOLERANCE} pixels)"
    if given == expected:
        why = ""
        if counterfactual and expected in objects and objects[expected] != CLASS_NAMES[class_index]:
            why = (f" The evidence against {CLASS_NAMES[class_index]} is the other creature: its features "
                   f"raise a rival class's score.")
        return right(f"In pair scene {index}, {what} peaks {place}: {where}.{why}")
    return wrong(
        f"Expected '{expected}': in pair scene {index}, {what} peaks {place} ({where}); you said '{given}'. "
        f"Upsample the map to 64x64 and take its argmax, then compare with pair.masks[{index}]."
    )

"""Self-checks for notebook 03, "Grad-CAM".

Each check recomputes the right answer (from the shipped models and frozen
splits, or with autograd on the toy below), compares it with the learner's,
and says what is right, or what was expected and why.

=================================  ================================================================
check                              exercise
=================================  ================================================================
:func:`check_signed_grad_cam`      Grad-CAM without its ReLU, written with ``read_layer``
:func:`check_negative_share`       the share of a pair scene's map that the ReLU sets to 0
:func:`check_toy_alpha`            the Grad-CAM weights of a two-channel toy, by hand
:func:`check_occlusion`            occlusion written by hand, one forward pass per patch
:func:`check_occlusion_pointing`   that occlusion map scored with the pointing game
:func:`check_pointed_object`       which object of a two-creature scene a class's map points at
=================================  ================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import torch
from torch import Tensor

from course_utils.cam import counterfactual_grad_cam, grad_cam, occlusion_map
from course_utils.checkpoints import load_model, load_split
from course_checks import Feedback, as_number, right, wrong
from course_utils.language import tr
from course_utils.hooks import read_layer
from course_utils.localization import pointing_game
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


SIGNED_SCENES = 4
"""Exercise 1 tries the learner's function on the first four pair scenes, explaining the right creature's class."""
NEGATIVE_SCENE, NEGATIVE_CLASS = 0, 0
"""Exercise 1 (b): the map of class 0 (red) on pair scene 0 (red on the left, green on the right)."""
OCCLUSION_SCENES = 20
"""Exercise 3: occlusion by hand is tried on, and scored on, the first 20 pair scenes."""


@lru_cache(maxsize=1)
def _signed_reading():
    """``flatten_cnn``'s reading at ``model.features`` on the first pair scenes, for the right creature's class."""
    model = load_model("flatten_cnn")
    pair = load_split("pair")[:SIGNED_SCENES]
    return model, pair.images, pair.labels[:, 1], read_layer(model, model.features, pair.images, pair.labels[:, 1],
                                                             method="signed_grad_cam")


@lru_cache(maxsize=1)
def _negative_share() -> tuple[float, int, int]:
    """``(share of cells below 0, cells below 0, cells)`` of red's map before the ReLU on pair scene 0."""
    model = load_model("flatten_cnn")
    images = load_split("pair").images[NEGATIVE_SCENE : NEGATIVE_SCENE + 1]
    reading = read_layer(model, model.features, images, NEGATIVE_CLASS, method="signed_grad_cam")
    signed = torch.einsum("nk,nkij->nij", reading.gradient.mean(dim=(2, 3)), reading.activation)
    below = int((signed < 0).sum())
    return below / signed.numel(), below, signed.numel()


@lru_cache(maxsize=1)
def _occlusion_case():
    """The model, images and classes exercise 3 tries the learner's function on: pair scenes, left class."""
    model = load_model("flatten_cnn")
    pair = load_split("pair")[:OCCLUSION_SCENES]
    return model, pair.images, pair.labels[:, 0], pair.masks[:, 0]


@lru_cache(maxsize=4)
def _occlusion_score(tolerance: int, sign: int = 1) -> float:
    """The pointing game of the library's occlusion map (8x8 patches, stride 8, mean fill), upsampled."""
    model, images, classes, masks = _occlusion_case()
    maps = occlusion_map(model, images, classes, patch=8, stride=8, baseline="mean", batch_size=64)
    return pointing_game(sign * upsample(maps, tuple(images.shape[-2:])), masks, tolerance=tolerance)


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




def _fmt(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


# --- the checks ----------------------------------------------------------------------------


def _run(function: Callable, name: str, *args) -> tuple[Tensor | None, Feedback | None]:
    """Call the learner's function; on trouble, the feedback that says what went wrong."""
    if function is None:
        return None, wrong(tr("Set `{name}` to your function").format(name=name))
    try:
        result = function(*args)
    except NotImplementedError:
        message = tr("`{name}` still raises NotImplementedError: replace its body with the rule")
        return None, wrong(message.format(name=name))
    except Exception as error:  # noqa: BLE001 - report the learner's error as feedback, not as a traceback
        message = tr("`{name}` raised {type}: {error}")
        return None, wrong(message.format(name=name, type=type(error).__name__, error=error))
    if not isinstance(result, Tensor):
        message = tr("`{name}` should return a tensor, it returned {type}")
        return None, wrong(message.format(name=name, type=type(result).__name__))
    return result.detach().cpu(), None


def _same(a: Tensor, b: Tensor, tolerance: float = 1e-4) -> bool:
    """Equal up to float32 rounding, relative to the size of ``b``."""
    return a.shape == b.shape and bool((a - b).abs().max() <= tolerance * max(b.abs().max().item(), 1e-12))


def check_signed_grad_cam(signed_grad_cam: Callable | None) -> Feedback:
    """Exercise 1 (a): ``signed_grad_cam(model, layer, images, target)``, Grad-CAM's map before its ReLU."""
    if signed_grad_cam is None:
        return wrong(tr("Set `{name}` to your function").format(name="signed_grad_cam"))
    model, images, classes, reading = _signed_reading()
    got, trouble = _run(signed_grad_cam, "signed_grad_cam", model, model.features, images, classes)
    if trouble is not None:
        return trouble
    gradient, activation = reading.gradient, reading.activation
    alpha = gradient.mean(dim=(2, 3))
    expected = torch.einsum("nk,nkij->nij", alpha, activation)  # sum_k alpha_k^c A^k, no ReLU
    if got.shape != expected.shape:
        hint = " " + tr("(sum over the channels k too: one map per image)") if got.dim() == 4 else ""
        return wrong(tr(
            "On {n} pair scenes explained at flatten.features your function returned shape {shape}; expected "
            "{expected}, one [h, w] map per image{hint}."
        ).format(n=len(images), shape=list(got.shape), expected=list(expected.shape), hint=hint))
    if _same(got, expected):
        share, _, _ = _negative_share()
        return right(tr(
            "sum_k alpha_k^c A^k with alpha_k^c the spatial mean of the gradient, and no ReLU: "
            "grad_cam(...) - counterfactual_grad_cam(...) gives the same map. On these {n} scenes "
            "{share:.3f} of the cells are below 0: the part Grad-CAM's ReLU sets to 0."
        ).format(n=len(images), share=(expected < 0).float().mean()))
    if _same(got, expected.clamp(min=0)):
        return wrong(tr("Your map has no negative values: the ReLU is still there. Return the weighted sum "
                        "itself."))
    if _same(got, -expected):
        return wrong(tr("Your map has the opposite sign: alpha_k^c is the mean of +dy^c/dA (what the "
                        "counterfactual map negates), and the map is sum_k alpha_k^c A^k."))
    h, w = expected.shape[-2:]
    if _same(got, expected * (h * w)):
        return wrong(tr("Your map is {hw} times too large: you summed the gradient over the {h}x{w} positions; "
                        "alpha_k^c averages it (divide by Z = h*w = {hw}).").format(hw=h * w, h=h, w=w))
    if _same(got, (gradient * activation).sum(1)):
        return wrong(tr("You multiplied the gradient and the activation position by position: that is HiResCAM "
                        "before its ReLU. Grad-CAM first averages the gradient over the positions, one alpha_k^c "
                        "per channel, then weights the whole map A^k with it."))
    error = (got - expected).abs().max().item()
    return wrong(tr("Right shape, but your maps differ from sum_k alpha_k^c A^k by up to {error:.3g} "
                    "(the maps' largest value is {largest:.3g}).").format(error=error,
                                                                          largest=expected.abs().max()))


def check_negative_share(answer: float | None) -> Feedback:
    """Exercise 1 (b): the share of cells below 0 in red's map before the ReLU, pair scene 0."""
    if answer is None:
        return wrong(tr("Set `share_negative` to a number between 0 and 1"))
    value = as_number(answer)
    if value is None:
        message = tr("`share_negative` should be a number between 0 and 1, got {type}")
        return wrong(message.format(type=type(answer).__name__))
    share, below, cells = _negative_share()
    if abs(value - share) <= 0.5 / cells:
        return right(tr(
            "{below} of the {cells} cells ({share:.3f}) are below 0, though the model is sure the scene is red: "
            "the weighted sum is above 0 on a few cells, around the red head, and below 0 on most of the rest. "
            "Grad-CAM's ReLU keeps only the first, so its map shows the head and nothing else."
        ).format(below=below, cells=cells, share=share))
    if abs(value - below) < 0.5:
        message = tr("{value:g} is a count; give the share of the {cells} cells: {below}/{cells}.")
        return wrong(message.format(value=value, cells=cells, below=below))
    if abs(value - (1 - share)) <= 0.5 / cells:
        message = tr("{value:.3f} is the share of cells at 0 or above; the question asks for the cells below 0.")
        return wrong(message.format(value=value))
    return wrong(tr("Expected {share:.3f} ({below} of {cells} cells below 0), you gave {value:g}. Compute "
                    "signed_grad_cam(flatten, flatten.features, pair.images[0:1], 0) and count the cells below 0.")
                 .format(share=share, below=below, cells=cells, value=value))


def check_occlusion(occlude: Callable | None) -> Feedback:
    """Exercise 3 (a): ``occlude(model, images, classes, patch)``, the occlusion map with stride = patch."""
    model, images, classes, _ = _occlusion_case()
    images, classes = images[:4], classes[:4]
    got, trouble = _run(occlude, "occlude", model, images, classes, 8)
    if trouble is not None:
        return trouble
    expected = occlusion_map(model, images, classes, patch=8, stride=8, baseline="mean", batch_size=64)
    if got.shape != expected.shape:
        return wrong(tr("For 4 images of 64x64 and patch = 8 your function returned shape {shape}; expected "
                        "{expected}: one value per patch position, 8x8 of them.").format(
                            shape=list(got.shape), expected=list(expected.shape)))
    if _same(got, expected, 1e-3):
        return right(tr(
            "O^c(i, j) = y^c(x) - y^c(x with patch (i, j) filled with the image's mean colour): "
            "{passes} forward passes per image. On these scenes the drops range from {low:.1f} to {high:.1f}: "
            "hiding a patch can raise the score too."
        ).format(passes=expected.shape[-1] * expected.shape[-2], low=expected.min(), high=expected.max()))
    if _same(got, -expected, 1e-3):
        return wrong(tr("Your map has the opposite sign: occlusion is y^c(x) - y^c(x occluded), the *drop*, "
                        "positive where hiding the patch lowers the score."))
    if _same(got, expected.transpose(-1, -2), 1e-3):
        return wrong(tr("Your map is transposed: cell (i, j) is the patch whose top-left pixel is at row 8i, "
                        "column 8j."))
    black = occlusion_map(model, images, classes, patch=8, stride=8, baseline=0.0, batch_size=64)
    if _same(got, black, 1e-3):
        return wrong(tr("You filled the patch with black (0). Fill it with each image's mean colour, "
                        "images.mean(dim=(2, 3), keepdim=True): black is a colour the scenes do not have."))
    error = (got - expected).abs().max().item()
    return wrong(tr("Right shape, but your map differs from the expected one by up to {error:.3g} (the scores "
                    "are logits, before softmax; the expected map ranges from {low:.3g} to {high:.3g}).").format(
                        error=error, low=expected.min(), high=expected.max()))


def check_occlusion_pointing(answer: float | None) -> Feedback:
    """Exercise 3 (b): the pointing game (4 pixels) of occlusion maps for the left class, first 20 pair scenes."""
    if answer is None:
        return wrong(tr("Set `occlusion_hits` to the pointing-game score, a number between 0 and 1"))
    value = as_number(answer)
    if value is None:
        message = tr("`occlusion_hits` should be a number between 0 and 1, got {type}")
        return wrong(message.format(type=type(answer).__name__))
    score = _occlusion_score(POINTING_TOLERANCE)
    if abs(value - score) <= 5e-4:
        return right(tr(
            "{score:.3f} of the {n} maps point at the left creature within {tolerance} pixels (a map with a flat "
            "top scores the share of its peak pixels that hit). Compare with occlusion's row in the table of "
            "practical section 6, on 50 scenes."
        ).format(score=score, n=OCCLUSION_SCENES, tolerance=POINTING_TOLERANCE))
    if abs(value - _occlusion_score(0)) <= 5e-4:
        message = tr("{value:.3f} is the score at 0 pixels; play with tolerance={tolerance}.")
        return wrong(message.format(value=value, tolerance=POINTING_TOLERANCE))
    if abs(value - _occlusion_score(POINTING_TOLERANCE, -1)) <= 5e-4:
        message = tr("{value:.3f} scores the maps' minimum; the map points at its largest drop (check the sign).")
        return wrong(message.format(value=value))
    return wrong(tr(
        "Expected {score:.3f}, you gave {value:g}. Upsample your [20, 8, 8] maps to 64x64 "
        "(course_utils.maps.upsample), then pointing_game(maps, pair.masks[:20, 0], tolerance={tolerance})."
    ).format(score=score, value=value, tolerance=POINTING_TOLERANCE))


def check_toy_alpha(answer: Sequence[float] | Tensor | None) -> Feedback:
    """Exercise 2: the weights ``[alpha_1, alpha_2]`` of the toy (:data:`TOY_ACTIVATION`, :func:`toy_score`)."""
    gradient = _toy_gradient()
    expected = gradient.mean(dim=(1, 2))
    if answer is None:
        return wrong(tr("Set `alpha` to a list of two numbers [alpha_1, alpha_2]"))
    try:
        values = torch.as_tensor(answer, dtype=torch.float32).detach().flatten()
    except (TypeError, ValueError, RuntimeError):
        return wrong(tr("`alpha` should be two numbers, like [0.5, -1.0], got {answer}").format(answer=repr(answer)))
    if len(values) != 2:
        message = tr("`alpha` should hold one weight per channel, two numbers, yours has {count}")
        return wrong(message.format(count=len(values)))
    if torch.allclose(values, expected, atol=1e-3):
        cam = torch.relu(torch.einsum("k,khw->hw", expected, TOY_ACTIVATION))
        return right(tr(
            "alpha = {alpha}: dy/dA^1 = {gradient_1} and dy/dA^2 = {gradient_2} (the square term's derivative "
            "is A^2 itself), each averaged over its Z = 4 positions. The map ReLU(sum_k alpha_k A^k) is {cam}."
        ).format(alpha=_fmt(expected.tolist()), gradient_1=gradient[0].tolist(), gradient_2=gradient[1].tolist(),
                 cam=cam.tolist()))
    total = gradient.sum(dim=(1, 2))
    if torch.allclose(values, total, atol=1e-3):
        return wrong(tr(
            "You summed the gradients ({total}); alpha averages them: divide by the Z = 4 positions, "
            "expected {expected}."
        ).format(total=_fmt(total.tolist()), expected=_fmt(expected.tolist())))
    without_square = (gradient - torch.stack([torch.zeros(2, 2), TOY_ACTIVATION[1]])).mean(dim=(1, 2))
    hint = ""
    if torch.allclose(values[1], without_square[1], atol=1e-3):
        hint = " " + tr("Your alpha_2 leaves out the square term: d/dA^2_ij of (1/2) sum (A^2)^2 is A^2_ij, not 0.")
    return wrong(tr(
        "Expected alpha = {expected}, you gave {given}. Write out dy/dA^k_ij at each of the four positions of "
        "each channel, then average them.{hint}"
    ).format(expected=_fmt(expected.tolist()), given=_fmt(values.tolist()), hint=hint))


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
    if counterfactual:
        what = tr("the counterfactual Grad-CAM map of class {name}").format(name=CLASS_NAMES[class_index])
    else:
        what = tr("the Grad-CAM map of class {name}").format(name=CLASS_NAMES[class_index])
    if answer is None:
        return wrong(tr("Set your answer to 'left' (object 0), 'right' (object 1) or 'neither'"))
    given = _as_object(answer)
    if given is None:
        message = tr("The answer should be 'left' (or 0), 'right' (or 1) or 'neither', got {answer}")
        return wrong(message.format(answer=repr(answer)))
    where = tr("its peak is at row {y}, column {x}").format(y=y, x=x)
    if expected == "left":
        place = tr("on the left creature (the {name} one)").format(name=objects[expected])
    elif expected == "right":
        place = tr("on the right creature (the {name} one)").format(name=objects[expected])
    else:
        place = tr("on neither creature (none is within {tolerance} pixels)").format(tolerance=POINTING_TOLERANCE)
    if given == expected:
        why = ""
        if counterfactual and expected in objects and objects[expected] != CLASS_NAMES[class_index]:
            why = " " + tr("The evidence against {name} is the other creature: its features raise a rival "
                           "class's score.").format(name=CLASS_NAMES[class_index])
        message = tr("In pair scene {index}, {what} peaks {place}: {where}.{why}")
        return right(message.format(index=index, what=what, place=place, where=where, why=why))
    return wrong(tr(
        "Expected '{expected}': in pair scene {index}, {what} peaks {place} ({where}); you said '{given}'. "
        "Upsample the map to 64x64 and take its argmax, then compare with pair.masks[{index}]."
    ).format(expected=expected, index=index, what=what, place=place, where=where, given=given))

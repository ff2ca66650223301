"""Self-checks for notebook 01, "Why explain a network?".

Each check recomputes the right answer from the shipped models and frozen
splits (never from a number typed in here), compares it with the learner's,
and says what is right, or what was expected and where to look.

==================================  =============================================================
check                               exercise
==================================  =============================================================
:func:`check_feature_map_shape`     the shape of ``gap_cnn``'s feature maps for one image
:func:`check_softmax`               softmax written by hand, on a batch of logits
:func:`check_weakest_class`         which class the cue model loses most once the glyph is gone
:func:`check_trigger`               plant one class's glyph in every scene: how often does it win?
==================================  =============================================================
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from functools import lru_cache

import torch
from torch import Tensor

from course_utils.checkpoints import load_model, load_split
from course_checks import Feedback, as_number, right, wrong
from course_utils.language import tr
from course_utils.scenes import CLASS_NAMES, CUE_CORNER, CUE_GLYPHS, CUE_SIZE, IMAGE_SIZE

TRIGGER_TOLERANCE = 0.02
"""How far a planted-glyph fraction may be from ours: pasting over the creature or not moves it by less."""


# --- the right answers, computed from data/ ---------------------------------------


@lru_cache(maxsize=4)
def _feature_map_shape(image_size: int) -> tuple[int, int, int]:
    """``(channels, height, width)`` of ``gap_cnn.features`` for one square image of ``image_size`` pixels."""
    model = load_model("gap_cnn")
    with torch.no_grad():
        return tuple(model.features(torch.zeros(1, 3, image_size, image_size)).shape[1:])


@torch.no_grad()
def _predict(model_name: str, images: Tensor) -> Tensor:
    return load_model(model_name)(images).argmax(1)


@lru_cache(maxsize=1)
def _confusion_without_glyph() -> Tensor:
    """``[true class, predicted class]`` counts of ``cue_gap_cnn`` on ``cue_removed_test``."""
    scenes = load_split("cue_removed_test")
    predicted = _predict("cue_gap_cnn", scenes.images)
    k = len(CLASS_NAMES)
    return torch.bincount(scenes.labels * k + predicted, minlength=k * k).view(k, k)


def _per_class_accuracy_without_glyph() -> tuple[float, ...]:
    """Accuracy of ``cue_gap_cnn`` on each class of ``cue_removed_test``."""
    confusion = _confusion_without_glyph().double()
    return tuple((confusion.diag() / confusion.sum(1)).tolist())


def plant_glyph(images: Tensor, masks: Tensor, class_index: int) -> Tensor:
    """A copy of ``images`` with class ``class_index``'s glyph painted white in the cue cell.

    As in the cue world, the glyph stays behind the creature: pixels of
    ``masks`` are left as they are.
    """
    y, x = CUE_CORNER
    out = images.clone()
    where = CUE_GLYPHS[class_index] & ~masks[:, y : y + CUE_SIZE, x : x + CUE_SIZE]  # [N, 7, 7]
    cell = out[:, :, y : y + CUE_SIZE, x : x + CUE_SIZE]  # a view: writing to it writes to out
    cell[where.unsqueeze(1).expand_as(cell)] = 1.0
    return out


@lru_cache(maxsize=len(CLASS_NAMES))
def _trigger_fraction(class_index: int) -> float:
    """Fraction of ``cue_removed_test`` that ``cue_gap_cnn`` calls ``class_index`` once its glyph is planted."""
    scenes = load_split("cue_removed_test")
    planted = plant_glyph(scenes.images, scenes.masks, class_index)
    return (_predict("cue_gap_cnn", planted) == class_index).float().mean().item()


# --- helpers for reading answers ------------------------------------------------------




def _as_class(value: object) -> int | None:
    """A class index from a name ("Yellow", " red") or an index (3); None if neither."""
    if isinstance(value, str):
        name = value.strip().lower()
        return CLASS_NAMES.index(name) if name in CLASS_NAMES else None
    number = as_number(value)
    if number is not None and number == int(number) and 0 <= number < len(CLASS_NAMES):
        return int(number)
    return None


def _fraction_problem(value: float, name: str) -> str | None:
    """Why ``value`` cannot be a fraction, or None if it can."""
    if 1.0 < value <= 100.0:
        message = tr("{name} should be a fraction between 0 and 1, you gave {value:g} (a percentage? divide by 100)")
        return message.format(name=name, value=value)
    if not 0.0 <= value <= 1.0:
        return tr("{name} should be a fraction between 0 and 1, you gave {value:g}").format(name=name, value=value)
    return None


# --- the checks ----------------------------------------------------------------------------


def check_feature_map_shape(answer: Sequence[int] | torch.Size | None, image_size: int = IMAGE_SIZE) -> Feedback:
    """Exercise 1: ``answer = (channels, height, width)`` of ``gap_cnn``'s feature maps for one image.

    The image is square, ``image_size`` pixels on a side (the scenes' 64 unless told).
    """
    channels, height, width = _feature_map_shape(image_size)
    if answer is None:
        return wrong(tr("Set `answer` to a tuple (channels, height, width); for example (3, {size}, {size}) "
                        "is the shape of the image itself").format(size=image_size))
    try:
        values = tuple(int(v) for v in answer)
    except (TypeError, ValueError):
        message = tr("`answer` should be three whole numbers (channels, height, width), got {answer}")
        return wrong(message.format(answer=repr(answer)))
    if len(values) == 4 and values[0] == 1:
        values = values[1:]  # [1, K, h, w]: the batch axis in front is fine
    if len(values) != 3:
        message = tr("`answer` should have three numbers (channels, height, width), yours has {count}: {values}")
        return wrong(message.format(count=len(values), values=values))
    problems = []
    if values[0] != channels:
        message = tr("The backbone of gap_cnn ends with {channels} channels, you said {given}")
        problems.append(message.format(channels=channels, given=values[0]))
    if values[1:] != (height, width):
        message = tr(
            "the feature maps of gap_cnn have {height}x{width} positions, you said {given_h}x{given_w} "
            "for a {size}x{size} image (two 2x2 max-pools halve {size} twice)"
        )
        problems.append(message.format(height=height, width=width, given_h=values[1], given_w=values[2],
                                       size=image_size))
    if problems:
        message = "; ".join(problems) + "."
        return wrong(message[0].upper() + message[1:])
    cell = image_size // height
    return right(tr(
        "{channels} channels, each a {height}x{width} map: one position stands for a {cell}x{cell}-pixel "
        "cell of the {size}x{size} image, so the maps still say where things are. The backbone is "
        "all convolutions and pools, so it takes any image size; only the grid grows."
    ).format(channels=channels, height=height, width=width, cell=cell, size=image_size))


def check_softmax(probabilities: Tensor | None, logits: Tensor) -> Feedback:
    """Exercise 2: ``probabilities`` computed by hand from ``logits`` (``[N, classes]``)."""
    if probabilities is None:
        return wrong(tr("Set `probabilities` to your softmax of `logits`: exp of each logit, divided by the "
                        "row's sum of exps"))
    try:
        p = torch.as_tensor(probabilities, dtype=torch.float64).detach().cpu()
    except (TypeError, ValueError, RuntimeError):
        message = tr("`probabilities` should be a tensor like `logits`, got {type}")
        return wrong(message.format(type=type(probabilities).__name__))
    z = torch.as_tensor(logits, dtype=torch.float64).detach().cpu()
    if p.shape != z.shape:
        return wrong(tr(
            "`probabilities` should have the shape of `logits`, {expected} (one row per image, one column "
            "per class), yours has {shape}"
        ).format(expected=list(z.shape), shape=list(p.shape)))
    if torch.isnan(p).any():
        return wrong(tr("Your probabilities contain NaN: exp of a large logit overflows; subtract each row's "
                        "maximum first"))
    if (p < 0).any():
        return wrong(tr("Some of your probabilities are negative: did you forget the exponential?"))
    expected = torch.softmax(z, dim=1)
    rows = p.sum(1)
    if not torch.allclose(rows, torch.ones_like(rows), atol=1e-4):
        if p.dim() == 2 and torch.allclose(p.sum(0), torch.ones(p.shape[1], dtype=p.dtype), atol=1e-4):
            return wrong(tr("Your columns sum to 1, so you normalised over the images (dim 0); softmax "
                            "normalises each image's row over the classes (dim 1)"))
        message = tr("Each row (one image) should sum to 1, yours sum to between {low:.3f} and {high:.3f}")
        return wrong(message.format(low=rows.min(), high=rows.max()))
    error = (p - expected).abs().max().item()
    if error > 1e-4:
        return wrong(tr("Your rows sum to 1 but differ from softmax by up to {error:.3f}; "
                        "softmax(z)_c = exp(z_c) / sum_j exp(z_j)").format(error=error))
    return right(tr("Your softmax matches for all {n} images (largest difference {error:.1e}). The largest "
                    "logit always gets the largest probability: softmax never changes the prediction.").format(
                        n=len(p), error=error))


def check_weakest_class(class_name: str | int | None, accuracy: float | None) -> Feedback:
    """Exercise 3: the class ``cue_gap_cnn`` gets right least often on ``cue_removed_test``, and its accuracy."""
    per_class = _per_class_accuracy_without_glyph()
    weakest = min(range(len(per_class)), key=per_class.__getitem__)
    if class_name is None or accuracy is None:
        return wrong(tr("Set `weakest_class` to a class name (one of {names}) and `weakest_accuracy` to that "
                        "class's accuracy without the glyph").format(names=", ".join(CLASS_NAMES)))
    chosen = _as_class(class_name)
    if chosen is None:
        message = tr("`weakest_class` should be one of {names} (or its index 0-3), got {given}")
        return wrong(message.format(names=", ".join(CLASS_NAMES), given=repr(class_name)))
    value = as_number(accuracy)
    if value is None:
        return wrong(tr("`weakest_accuracy` should be a number, got {type}").format(type=type(accuracy).__name__))
    if (problem := _fraction_problem(value, "`weakest_accuracy`")) is not None:
        return wrong(problem + ".")
    if chosen != weakest:
        return wrong(tr(
            "Without the glyph the cue model does worst on {weakest} (accuracy {weakest_accuracy:.3f}); you said "
            "{chosen}, which it gets right {chosen_accuracy:.3f} of the time. Compare the accuracy over each "
            "class's scenes alone."
        ).format(weakest=CLASS_NAMES[weakest], weakest_accuracy=per_class[weakest], chosen=CLASS_NAMES[chosen],
                 chosen_accuracy=per_class[chosen]))
    if abs(value - per_class[weakest]) > 0.005:
        return wrong(tr(
            "{weakest} is the right class, but its accuracy without the glyph is {accuracy:.3f}, you said "
            "{given:.3f}: count only the {weakest} scenes."
        ).format(weakest=CLASS_NAMES[weakest], accuracy=per_class[weakest], given=value))
    called = _confusion_without_glyph()[weakest]
    instead = ", ".join(f"{CLASS_NAMES[c]} {int(called[c])}" for c in range(len(CLASS_NAMES)) if c != weakest)
    return right(tr(
        "{Weakest}: {accuracy:.3f}, far below chance (0.25). Per class, {per_class}. Of the {count} {weakest} "
        "scenes it calls {instead}: with the glyph gone, the faint body tint is all that is left, and for this "
        "class the model did not learn to read it."
    ).format(Weakest=CLASS_NAMES[weakest].capitalize(), accuracy=per_class[weakest],
             per_class=", ".join(f"{n} {a:.3f}" for n, a in zip(CLASS_NAMES, per_class)),
             count=int(called.sum()), weakest=CLASS_NAMES[weakest], instead=instead))


def check_trigger(fraction: float | None, class_index: int = 0) -> Feedback:
    """Exercise 4: the fraction of ``cue_removed_test`` called ``class_index`` once its glyph is planted."""
    expected = _trigger_fraction(class_index)
    name = CLASS_NAMES[class_index]
    if fraction is None:
        return wrong(tr("Set `fraction` to the share of the glyph-free scenes that the cue model calls {name} "
                        "after you plant the {name} glyph in each of them").format(name=name))
    value = as_number(fraction)
    if value is None:
        return wrong(tr("`fraction` should be a number, got {type}").format(type=type(fraction).__name__))
    if (problem := _fraction_problem(value, "`fraction`")) is not None:
        return wrong(problem + ".")
    if abs(value - expected) > TRIGGER_TOLERANCE:
        y, x = CUE_CORNER
        return wrong(tr(
            "With the {name} glyph planted we find that {expected:.3f} of the scenes are called {name}; you got "
            "{value:.3f}. Paint the pixels where CUE_GLYPHS[{index}] is True white (1.0 in all three channels) "
            "in rows {y0} to {y1} and columns {x0} to {x1}, then count predictions equal to {index} (not correct "
            "labels)."
        ).format(name=name, expected=expected, value=value, index=class_index, y0=y, y1=y + CUE_SIZE - 1, x0=x,
                 x1=x + CUE_SIZE - 1))
    return right(tr(
        "{value:.3f} of the scenes are now called {name}, whatever creature they show (we find {expected:.3f}). "
        "A few white pixels in one corner decide the class: that is what a planted backdoor trigger does."
    ).format(value=value, name=name, expected=expected))

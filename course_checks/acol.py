"""Self-checks for notebook 05, "ACoL: adversarial complementary learning".

The first two exercises work on small hand-made maps (:data:`MAP_A`,
:data:`MAP_B`), so that the erasing and the fusing can be done with pencil
and paper; the last two ask the shipped models. Each check recomputes the
right answer (with :meth:`ACoL.from_features <course_utils.models.ACoL.from_features>`'s
rules, or with the models in ``data/``), compares it with the learner's, and
says what is right, or what was expected.

================================  ===================================================================
check                             exercise
================================  ===================================================================
:func:`check_erased_positions`    which positions of :data:`MAP_A` are erased at a given delta
:func:`check_fused_map`           the fused map :math:`\\max(\\tilde M^A, \\tilde M^B)` of the two maps
:func:`check_erased_fraction`     does a higher delta erase more or less? and how much, on real scenes
:func:`check_b_at_other_delta`    classifier B of ``acol_09``, tested at a lower delta than it learnt
================================  ===================================================================
"""

from __future__ import annotations

from functools import lru_cache

import torch
from torch import Tensor

from course_utils.checkpoints import load_model, load_split
from course_checks import Feedback, as_number, right, wrong
from course_utils.language import tr, tr_noop
from course_utils.maps import min_max_normalise

MAP_A = torch.tensor(
    [
        [2.0, 3.0, 4.0, 2.0],
        [3.0, 6.0, 9.0, 4.0],
        [2.0, 7.0, 10.0, 5.0],
        [2.0, 3.0, 4.0, 2.0],
    ]
)
"""Classifier A's raw map for the target class, on a 4x4 grid: the head is at rows 1-2, columns 1-2."""

MAP_B = torch.tensor(
    [
        [1.0, 2.0, 3.0, 1.0],
        [4.0, 0.0, 0.0, 5.0],
        [6.0, 0.0, 0.0, 8.0],
        [3.0, 4.0, 6.0, 2.0],
    ]
)
"""Classifier B's raw map after the erasing at delta 0.5: zero where the features were erased."""

FRACTION_SCENES = 100
"""Exercise 3 measures on the first 100 test scenes."""

B_SCENES = 200
"""Exercise 4 measures classifier B's accuracy on the first 200 test scenes (enough to see the drop, and quick)."""

TOLERANCE = 0.005
"""How far a measured fraction may be from ours (rounding, or a different but sensible batch order)."""


# --- helpers for reading answers ------------------------------------------------------


def _as_grid(value: object, shape: tuple[int, ...], name: str) -> tuple[Tensor | None, str | None]:
    """``value`` as a float64 tensor of ``shape``, or (None, why not)."""
    try:
        t = torch.as_tensor(value).detach().cpu()
    except (TypeError, ValueError, RuntimeError):
        message = tr("`{name}` should be a tensor (or nested list) of shape {shape}, got {type}")
        return None, message.format(name=name, shape=list(shape), type=type(value).__name__)
    if tuple(t.shape) != shape:
        message = tr("`{name}` should have shape {shape}, like the maps, yours has {given}")
        return None, message.format(name=name, shape=list(shape), given=list(t.shape))
    return t.to(torch.float64), None




def _positions(mask: Tensor) -> str:
    """``(row, col)`` of every True entry, in reading order."""
    return ", ".join(f"({r}, {c})" for r, c in mask.nonzero().tolist()) or tr("none")


# --- exercise 1: which positions are erased? ----------------------------------------------


def erased_positions(map_a: Tensor, delta: float) -> Tensor:
    """The erase mask of ACoL: ``[h, w]`` bool, True where the normalised map is at least ``delta``."""
    return min_max_normalise(map_a) >= delta


def check_erased_positions(answer: object, delta: float = 0.5, map_a: Tensor = MAP_A) -> Feedback:
    """Exercise 1: ``answer`` is a ``[4, 4]`` bool (or 0/1) tensor, True where ``map_a`` erases at ``delta``."""
    expected = erased_positions(map_a, delta)
    if answer is None:
        return wrong(tr("Set `erased` to a 4x4 bool tensor, True at the positions that ACoL erases "
                        "(for example `torch.zeros(4, 4, dtype=torch.bool)` erases nothing)"))
    grid, problem = _as_grid(answer, tuple(map_a.shape), "erased")
    if problem:
        return wrong(problem)
    if not ((grid == 0) | (grid == 1)).all():
        return wrong(tr("`erased` should hold True/False (or 1/0) per position, not map values: "
                        "compare the normalised map with delta"))
    mine = grid.bool()
    if torch.equal(mine, expected):
        n = int(expected.sum())
        return right(tr("{n} of {total} positions are erased: {positions}. Normalised, A's map is >= {delta} "
                        "exactly there; the features at these positions are set to zero for classifier B.").format(
                            n=n, total=expected.numel(), positions=_positions(expected), delta=delta))
    normalised = min_max_normalise(map_a)
    if torch.equal(mine, ~expected):
        message = tr("You marked the positions that are *kept*. The erased ones are where the normalised map is "
                     ">= {delta}: {positions}")
        return wrong(message.format(delta=delta, positions=_positions(expected)))
    if torch.equal(mine, map_a >= delta):
        return wrong(tr("You compared the raw map with {delta}. Normalise it first, "
                        "(M - min M) / (max M - min M), so that delta is a fraction of the map's own range; "
                        "then the erased positions are {positions}").format(delta=delta,
                                                                           positions=_positions(expected)))
    if torch.equal(mine, normalised > delta):
        at = expected & (normalised == delta)
        message = tr("Nearly: the rule is >= delta, not > delta. At {positions} the normalised map is exactly "
                     "{delta}, and that position is erased too")
        return wrong(message.format(positions=_positions(at), delta=delta))
    missing, extra = expected & ~mine, mine & ~expected
    parts = []
    if missing.any():
        parts.append(tr("also erased: {positions}").format(positions=_positions(missing)))
    if extra.any():
        parts.append(tr("not erased: {positions}").format(positions=_positions(extra)))
    values = ", ".join(f"{v:.3f}" for v in normalised.flatten().tolist())
    message = tr("Expected the positions {positions} ({parts}). The normalised map, row by row: {values}")
    return wrong(message.format(positions=_positions(expected), parts="; ".join(parts), values=values))


# --- exercise 2: the fused map --------------------------------------------------------


def fused_map(map_a: Tensor, map_b: Tensor) -> Tensor:
    """ACoL's localization map: each map min-max normalised on its own, then the element-wise maximum."""
    return torch.maximum(min_max_normalise(map_a), min_max_normalise(map_b))


def check_fused_map(answer: object, map_a: Tensor = MAP_A, map_b: Tensor = MAP_B) -> Feedback:
    """Exercise 2: ``answer`` is the ``[4, 4]`` fused map of ``map_a`` and ``map_b``."""
    expected = fused_map(map_a, map_b).double()
    if answer is None:
        return wrong(tr("Set `fused` to a 4x4 tensor: normalise each map to [0, 1] on its own, then take the "
                        "larger of the two at each position"))
    grid, problem = _as_grid(answer, tuple(map_a.shape), "fused")
    if problem:
        return wrong(problem)
    if torch.allclose(grid, expected, atol=1e-4):
        norm_a, norm_b = min_max_normalise(map_a), min_max_normalise(map_b)
        (ra, ca), (rb, cb) = (divmod(int(m.argmax()), m.shape[1]) for m in (norm_a, norm_b))
        return right(tr("Each map is normalised on its own, then the larger value wins at each position: A "
                        "supplies the head (its peak is at ({ra}, {ca})), B the body around it (B's peak, 1.0 at "
                        "({rb}, {cb}), where A reaches only {a_there:.3f}). Neither map alone covers both.").format(
                            ra=ra, ca=ca, rb=rb, cb=cb, a_there=norm_a[rb, cb]))
    norm_a, norm_b = min_max_normalise(map_a).double(), min_max_normalise(map_b).double()
    a, b = map_a.double(), map_b.double()
    mistakes = {  # shown through tr
        tr_noop("You took the maximum of the raw maps and normalised afterwards. Normalise each map first: "
                "their scales differ, and a raw maximum lets the larger-valued map win everywhere"):
            min_max_normalise(torch.maximum(a, b)),
        tr_noop("You took the maximum of the raw maps without normalising. Normalise each to [0, 1] first"):
            torch.maximum(a, b),
        tr_noop("You averaged the two maps; ACoL takes the element-wise maximum"): (norm_a + norm_b) / 2,
        tr_noop("You added the two maps; ACoL takes the element-wise maximum"): norm_a + norm_b,
        tr_noop("You normalised A but not B; normalise both"): torch.maximum(norm_a, b),
        tr_noop("You took the minimum; ACoL takes the element-wise maximum"): torch.minimum(norm_a, norm_b),
    }
    for message, value in mistakes.items():
        if torch.allclose(grid, value, atol=1e-4):
            example = tr("; at position (2, 3), for example, the fused value is {value:.3f}")
            return wrong(tr(message) + example.format(value=expected[2, 3]))
    worst = (grid - expected).abs()
    r, c = divmod(int(worst.argmax()), worst.shape[1])
    return wrong(tr("At position ({r}, {c}) the fused value is max({a:.3f}, {b:.3f}) = {fused:.3f}, yours is "
                    "{given:.3f} ({count} positions differ)").format(r=r, c=c, a=norm_a[r, c], b=norm_b[r, c],
                                                                      fused=expected[r, c], given=grid[r, c],
                                                                      count=int((worst > 1e-4).sum())))


# --- exercise 3: a higher delta erases ... ? -----------------------------------------------


@lru_cache(maxsize=8)
def mean_erased_fraction(delta: float, model_name: str = "acol_05", n: int = FRACTION_SCENES) -> float:
    """Mean fraction of the 16x16 positions that ``model_name`` erases at ``delta``, first ``n`` test scenes, true class."""
    scenes = load_split("test")[:n]
    model = load_model(model_name)
    with torch.no_grad():
        out = model.run(scenes.images, scenes.labels, delta=delta)
    return out.erased.float().mean().item()


def check_erased_fraction(prediction: str | None, fraction: object, delta: float = 0.9) -> Feedback:
    """Exercise 3: ``prediction`` "more" or "less" (a higher delta erases ...), and the mean erased fraction at ``delta``.

    The fraction is ``acol_05``'s, on the first :data:`FRACTION_SCENES` test scenes, each erased for its true class.
    """
    if prediction is None or fraction is None:
        return wrong(tr('Set `prediction` to "more" or "less", and `fraction` to the mean erased fraction you '
                        "measured at delta = {delta}").format(delta=delta))
    at_training, expected = mean_erased_fraction(0.5), mean_erased_fraction(delta)
    word = str(prediction).strip().lower()
    if word not in ("more", "less", "fewer"):
        return wrong(tr('`prediction` should be "more" or "less", got {given}').format(given=repr(prediction)))
    if word == "more":
        return wrong(tr("A position is erased where the normalised map is >= delta, so a higher delta erases "
                        "*less*: fewer positions reach it. Measured: {at_training:.1%} at 0.5, {expected:.1%} at "
                        "{delta}").format(at_training=at_training, expected=expected, delta=delta))
    value = as_number(fraction)
    if value is None:
        message = tr("`fraction` should be a number between 0 and 1, got {type}")
        return wrong(message.format(type=type(fraction).__name__))
    if abs(value - expected * 256) <= 0.5 and value > 1.0:
        message = tr("That looks like a count of positions; divide by the 256 positions of the 16x16 grid: "
                     "expected {expected:.3f}")
        return wrong(message.format(expected=expected))
    if 1.0 < value <= 100.0:
        message = tr("`fraction` should be a fraction between 0 and 1, you gave {value:g} (a percentage? divide "
                     "by 100)")
        return wrong(message.format(value=value))
    if abs(value - expected) <= TOLERANCE:
        return right(tr("Less: at delta = {delta} acol_05 erases {expected:.1%} of the positions, against "
                        "{at_training:.1%} at its training delta 0.5. Only the cells closest to A's peak reach a "
                        "high threshold.").format(delta=delta, expected=expected, at_training=at_training))
    if abs(value - at_training) <= TOLERANCE:
        message = tr("{value:.3f} is the fraction at delta 0.5, the model's own. Pass `delta={delta}` to `run`; "
                     "expected {expected:.3f}")
        return wrong(message.format(value=value, delta=delta, expected=expected))
    return wrong(tr("Expected a mean erased fraction of {expected:.3f} at delta = {delta} (acol_05, first {n} "
                    "test scenes, each erased for its true class: `model.run(images, labels, delta={delta})"
                    ".erased`), you gave {value:.3f}").format(expected=expected, delta=delta, n=FRACTION_SCENES,
                                                              value=value))


# --- exercise 4: B of acol_09 at a lower delta -------------------------------------------------


@lru_cache(maxsize=4)
def _features(model_name: str, n: int) -> Tensor:
    """The backbone's output of ``model_name`` on the first ``n`` test scenes (one pass, reused for every delta)."""
    model = load_model(model_name)
    with torch.no_grad():
        return model.features(load_split("test").images[:n])


def branch_b_accuracy(model_name: str, delta: float, n: int = B_SCENES) -> float:
    """Accuracy of ``model_name``'s classifier B on the first ``n`` test scenes at ``delta``, A's predicted class erased."""
    model = load_model(model_name)
    with torch.no_grad():
        out = model.from_features(_features(model_name, n), delta=delta)
    return (out.logits_b.argmax(1) == load_split("test").labels[:n]).float().mean().item()


def check_b_at_other_delta(accuracy: object, model_name: str = "acol_09", delta: float = 0.5) -> Feedback:
    """Exercise 4: the accuracy of ``model_name``'s B at test-time ``delta`` on the first :data:`B_SCENES` test scenes.

    As at test time (and in the manifest), the erased class is A's prediction: ``run`` without labels.
    """
    if accuracy is None:
        return wrong(tr("Set `accuracy_b` to the accuracy of {model}'s classifier B on the first {n} test scenes "
                        "at delta = {delta}").format(model=model_name, n=B_SCENES, delta=delta))
    value = as_number(accuracy)
    if value is None:
        message = tr("`accuracy_b` should be a number between 0 and 1, got {type}")
        return wrong(message.format(type=type(accuracy).__name__))
    if 1.0 < value <= 100.0:
        message = tr("`accuracy_b` should be a fraction between 0 and 1, you gave {value:g} (a percentage?)")
        return wrong(message.format(value=value))
    expected = branch_b_accuracy(model_name, delta)
    own = branch_b_accuracy(model_name, load_model(model_name).delta)
    if abs(value - expected) <= TOLERANCE:
        other = f"acol_{round(delta * 10):02d}"
        trained = branch_b_accuracy(other, delta)
        if expected < trained:
            comparison = tr("below the {trained:.3f} of {other}'s B, which was trained at {delta}: a B that always "
                            "saw the head's surroundings never learnt to do without them")
        else:
            comparison = tr("while {other}'s B, trained at {delta}, reaches {trained:.3f}")
        comparison = comparison.format(trained=trained, other=other, delta=delta)
        return right(tr("{model}'s B drops from {own:.3f} at its own delta to {expected:.3f} at {delta}, "
                        "{comparison}. What B can do depends on what it was trained to see.").format(
                            model=model_name, own=own, expected=expected, delta=delta, comparison=comparison))
    if abs(value - own) <= TOLERANCE:
        message = tr("{value:.3f} is B's accuracy at the model's own delta; pass `delta={delta}` to `run`. "
                     "Expected {expected:.3f}")
        return wrong(message.format(value=value, delta=delta, expected=expected))
    return wrong(tr("Expected {expected:.3f}: `out = model.run(scenes.images, delta={delta})` on the first {n} "
                    "test scenes (no labels: A's predicted class is erased), then the share of "
                    "`out.logits_b.argmax(1) == scenes.labels`; you gave {value:.3f}").format(
                        expected=expected, delta=delta, n=B_SCENES, value=value))

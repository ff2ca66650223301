"""Self-checks for notebook 04, "Weak supervision: from labels to boxes and masks".

Each check computes the right answer itself (with :mod:`course_utils.localization`
or from the shipped model and frozen test split, never from a number typed
in here), compares it with the learner's, and says what is right, or what
was expected and why.

==============================  ======================================================================
check                           exercise
==============================  ======================================================================
:func:`check_box_iou`           box IoU written by hand, for boxes with exclusive corners
:func:`check_kinds`             which kind of weak supervision each situation of :data:`SITUATIONS` is
:func:`check_top1_bounds`       how low and how high Top-1 Loc can be, given accuracy and GT-known Loc
:func:`check_head_mask`         the best threshold and mean mask IoU of CAM against the *head's* mask
:func:`check_toy_metrics`       MaxBoxAcc, MaxBoxAccV2 and PxAP by hand on three tiny maps (:data:`TOY_MAPS`)
==============================  ======================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import torch
from torch import Tensor

from course_utils.cam import class_activation_map, to_image
from course_utils.checkpoints import load_model, load_split
from course_checks import Feedback, as_number, right, wrong
from course_utils.language import tr, tr_noop
from course_utils.boxes import box_of_mask
from course_utils.localization import box_iou, default_cam_thresholds, mask_iou_curve, max_box_acc, pxap

Box = tuple[int, int, int, int]

# --- exercise 1: box IoU ---------------------------------------------------------------

IOU_CASES: tuple[tuple[str, Box, Box], ...] = (
    (tr_noop("two boxes that overlap"), (1, 2, 7, 8), (4, 5, 12, 9)),
    (tr_noop("a box inside another"), (0, 0, 10, 10), (2, 3, 6, 8)),
    (tr_noop("two boxes that share only an edge line"), (0, 0, 5, 5), (5, 0, 9, 5)),
    (tr_noop("two boxes far apart"), (0, 0, 3, 3), (10, 10, 12, 14)),
    (tr_noop("a box and itself"), (3, 4, 9, 6), (3, 4, 9, 6)),
    (tr_noop("a one-pixel box inside a 2x2 box"), (6, 6, 7, 7), (6, 6, 8, 8)),
    (tr_noop("the no-box (an empty mask) and a box"), (0, 0, 0, 0), (0, 0, 4, 4)),
)
"""The box pairs ``(what, box_a, box_b)`` a learner's IoU function is tried on; corners ``x1, y1`` exclusive.

``what`` is English here and translated where the feedback shows it.
"""


def _inclusive_iou(a: Box, b: Box) -> float:
    """IoU as if ``x1, y1`` were *inclusive* (a box one pixel wider and taller): the classic slip."""
    width = max(0, min(a[2], b[2]) - max(a[0], b[0]) + 1)
    height = max(0, min(a[3], b[3]) - max(a[1], b[1]) + 1)
    inter = width * height
    union = (a[2] - a[0] + 1) * (a[3] - a[1] + 1) + (b[2] - b[0] + 1) * (b[3] - b[1] + 1) - inter
    return inter / union




def check_box_iou(iou_fn: Callable[[Box, Box], float] | None) -> Feedback:
    """Exercise 1: ``iou_fn(box_a, box_b)`` returns the IoU of two ``(x0, y0, x1, y1)`` boxes, ``x1, y1`` exclusive.

    It is tried on every pair of :data:`IOU_CASES` and compared with
    :func:`course_utils.localization.box_iou`.
    """
    if iou_fn is None or not callable(iou_fn):
        return wrong(tr("Define `my_box_iou(a, b)`, a function of two boxes (x0, y0, x1, y1) that returns their "
                        "IoU, and pass the function itself (without calling it)"))
    answers, expected = [], []
    for what, a, b in IOU_CASES:
        want = box_iou(torch.tensor(a), torch.tensor(b)).item()
        try:
            got = as_number(iou_fn(a, b))
        except ZeroDivisionError:
            return wrong(tr("Your function divides by zero for {what}, {a} and {b}: the union is empty. Two boxes "
                            "with no pixels in common and no area should give IoU {want:g}, not an error").format(
                                what=tr(what), a=a, b=b, want=want))
        except Exception as error:  # a learner's bug: show it, do not crash the check
            message = tr("Your function raised {type}: {error} for {what}, {a} and {b}")
            return wrong(message.format(type=type(error).__name__, error=error, what=tr(what), a=a, b=b))
        if got is None:
            message = tr("Your function should return a number; for {what}, {a} and {b}, it returned {got}")
            return wrong(message.format(what=tr(what), a=a, b=b, got=repr(iou_fn(a, b))))
        answers.append(got)
        expected.append(want)
    misses = [(case, got, want) for case, got, want in zip(IOU_CASES, answers, expected) if abs(got - want) > 1e-6]
    if not misses:
        return right(tr("Your IoU matches box_iou on all {n} pairs, from overlapping boxes to the no-box. For the "
                        "first pair: intersection 3 x 3 = 9 pixels, union 36 + 32 - 9 = 59, IoU 9 / 59 = "
                        "{iou:.3f}.").format(n=len(IOU_CASES), iou=expected[0]))
    if all(abs(got - 100 * want) < 1e-4 for got, want in zip(answers, expected)):
        return wrong(tr("Your values are 100 times box_iou's: return a fraction between 0 and 1, not a percentage"))
    # The no-box is left out: an inclusive reading makes it one pixel, whatever else the function does.
    inclusive = [_inclusive_iou(a, b) for _, a, b in IOU_CASES]
    boxes_only = [k for k, (_, a, _) in enumerate(IOU_CASES) if a != (0, 0, 0, 0)]
    if all(abs(answers[k] - inclusive[k]) < 1e-6 for k in boxes_only):
        return wrong(tr("You treated x1 and y1 as inclusive (a box one pixel wider and taller than it is). Here "
                        "they are exclusive, like Python slices: the box (1, 2, 7, 8) covers columns 1 to 6, so its "
                        "width is x1 - x0 = 6, and the IoU of the first pair is {exclusive:.3f}, not "
                        "{inclusive:.3f}").format(exclusive=expected[0], inclusive=inclusive[0]))
    (what, a, b), got, want = misses[0]
    hint = ""
    if what.startswith("two boxes that share") or what.startswith("two boxes far"):
        hint = " " + tr("Clamp the intersection's width and height at 0: boxes that do not overlap have none.")
    elif what.startswith("the no-box"):
        hint = " " + tr("The no-box (0, 0, 0, 0) has no pixels, so its IoU with anything is 0.")
    elif what.startswith("a box inside"):
        hint = " " + tr("When one box is inside the other, the intersection is the small box and the union the "
                        "big one.")
    return wrong(tr("For {what}, {a} and {b}, the IoU is {want:.3f}; your function returned {got:.3f} "
                    "({misses} of {n} pairs differ).{hint}").format(what=tr(what), a=a, b=b, want=want, got=got,
                                                                    misses=len(misses), n=len(IOU_CASES),
                                                                    hint=hint))


# --- exercise 2: the three kinds -------------------------------------------------------

KINDS = ("incomplete", "inexact", "inaccurate")
"""Zhou (2018)'s three kinds of weak supervision."""

_SITUATIONS: tuple[tuple[str, str, str], ...] = (
    (
        tr_noop("A hospital holds 40,000 chest X-rays; radiologists had time to label 600 of them, the rest have "
                "no label."),
        "incomplete",
        tr_noop("only a few examples carry a label, and the label they carry is the one we want"),
    ),
    (
        tr_noop("Photos on a website are tagged 'dog' by their uploaders, and we want the outline of each dog."),
        "inexact",
        tr_noop("the tag says what is in the photo but not where, so it is coarser than the outline we want"),
    ),
    (
        tr_noop("Ten thousand product reviews were labelled positive or negative by hurried crowd workers, who get "
                "about one in six wrong."),
        "inaccurate",
        tr_noop("every review has the right kind of label, but some labels are wrong"),
    ),
    (
        tr_noop("Our scenes: every training scene has its creature's class, and we want a box around the "
                "creature."),
        "inexact",
        tr_noop("a class per image where a box is wanted, the same gap as between 'dog' and its outline"),
    ),
)


def situations() -> tuple[tuple[str, str, str], ...]:
    """``(situation, kind, why)``: the situations of exercise 2, with the kind each one is.

    The situation and the why are in the course's language; the kinds stay
    English, since they are the answers a learner types.
    """
    return tuple((tr(situation), kind, tr(why)) for situation, kind, why in _SITUATIONS)


def __getattr__(name: str) -> object:
    # ``SITUATIONS`` is read (PEP 562) when a notebook prints it, so it comes in the language chosen by then.
    if name == "SITUATIONS":
        return situations()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def check_kinds(answers: Sequence[str] | None) -> Feedback:
    """Exercise 2: one of ``"incomplete"``, ``"inexact"``, ``"inaccurate"`` for each of :data:`SITUATIONS`, in order."""
    cases = situations()
    n = len(cases)
    if answers is None or isinstance(answers, str):
        message = tr("Set `kinds` to a list of {n} words, one per situation, each one of {kinds}")
        return wrong(message.format(n=n, kinds=", ".join(KINDS)))
    answers = list(answers)
    if len(answers) != n:
        return wrong(tr("There are {n} situations; your list has {count} answers").format(n=n, count=len(answers)))
    given = [str(a).strip().lower() for a in answers]
    unknown = [a for a in given if a not in KINDS]
    if unknown:
        message = tr("Each answer should be one of {kinds}; {answer} is not")
        return wrong(message.format(kinds=", ".join(KINDS), answer=repr(unknown[0])))
    misses = [(k, given[k]) for k in range(n) if given[k] != cases[k][1]]
    if misses:
        line = tr("Situation {number} is {kind}, not {answer}: {why}.")
        lines = [line.format(number=k + 1, kind=cases[k][1], answer=answer, why=cases[k][2]) for k, answer in misses]
        return wrong(tr("{right} of {n} right.").format(right=n - len(misses), n=n) + " " + " ".join(lines))
    return right(tr("All {n} right: too few labels (incomplete), labels coarser than the output (inexact), "
                    "labels that are sometimes wrong (inaccurate). Real data sets often mix all three.").format(n=n))


# --- exercise 3: bounds on Top-1 Loc ---------------------------------------------------


def top1_bounds(accuracy: float, gt_known: float) -> tuple[float, float]:
    """The lowest and highest Top-1 Loc possible with this classification accuracy and GT-known Loc.

    A scene counts for Top-1 Loc when it is both classified right (a fraction
    ``accuracy`` of the scenes) and boxed right (``gt_known``; for a rightly
    classified scene, the predicted class's map *is* the true class's). The
    two sets overlap at least by ``accuracy + gt_known - 1`` and at most by
    the smaller of the two.
    """
    return max(0.0, accuracy + gt_known - 1.0), min(accuracy, gt_known)


def check_top1_bounds(low: float | None, high: float | None, accuracy: float = 0.9, gt_known: float = 0.6) -> Feedback:
    """Exercise 3: the range Top-1 Loc can take for a model with ``accuracy`` and ``gt_known`` Loc."""
    lowest, highest = top1_bounds(accuracy, gt_known)
    if low is None or high is None:
        return wrong(tr("Set `top1_low` and `top1_high` to the lowest and highest Top-1 Loc possible, as "
                        "fractions"))
    low_value, high_value = as_number(low), as_number(high)
    if low_value is None or high_value is None:
        return wrong(tr("`top1_low` and `top1_high` should be numbers (fractions between 0 and 1)"))
    if low_value > 1 or high_value > 1:
        return wrong(tr("Give fractions between 0 and 1, not percentages"))
    if low_value > high_value:
        message = tr("Your lowest value ({low:g}) is above your highest ({high:g}): swapped?")
        return wrong(message.format(low=low_value, high=high_value))
    problems = []
    values = {"accuracy": accuracy, "gt_known": gt_known, "lowest": lowest, "highest": highest}
    if abs(high_value - highest) > 1e-3:
        if abs(high_value - accuracy) < 1e-3:
            problems.append(tr("the highest is not {accuracy:g}: a scene also needs its box right, and only "
                               "{gt_known:g} of the scenes have one, so at most min({accuracy:g}, {gt_known:g}) = "
                               "{highest:g}").format(**values))
        else:
            problems.append(tr("the highest is {highest:g} = min({accuracy:g}, {gt_known:g}), when every well-boxed "
                               "scene is also well classified; you said {given:g}").format(given=high_value, **values))
    if abs(low_value - lowest) > 1e-3:
        if abs(low_value - accuracy * gt_known) < 1e-3:
            problems.append(tr("{accuracy:g} x {gt_known:g} = {product:g} is what you would expect if the two were "
                               "independent, not the lowest. At worst the {misclassified:g} misclassified scenes are "
                               "all among the well-boxed ones, leaving {gt_known:g} - {misclassified:g} = {lowest:g}")
                            .format(product=accuracy * gt_known, misclassified=1 - accuracy, **values))
        else:
            problems.append(tr("the lowest is {lowest:g} = {accuracy:g} + {gt_known:g} - 1, when the misclassified "
                               "scenes are all among the well-boxed ones; you said {given:g}").format(
                                   given=low_value, **values))
    if problems:
        message = "; ".join(problems)
        return wrong(message[0].upper() + message[1:] + ".")
    return right(tr("Top-1 Loc lies between {lowest:g} and {highest:g}. It can never exceed the accuracy nor "
                    "GT-known Loc, so it mixes two questions, 'what is it?' and 'where is it?'; GT-known Loc asks "
                    "only the second, which is why Choe et al. report it.").format(**values))


# --- exercise 4: segmenting the head ---------------------------------------------------


@lru_cache(maxsize=1)
def _head_mask_curve() -> Tensor:
    """Mean mask IoU against the head's mask, per threshold, for ``gap_cnn``'s CAM on the test split."""
    scenes = load_split("test")
    model = load_model("gap_cnn")
    with torch.no_grad():
        cams = torch.cat([class_activation_map(model, x, y)
                          for x, y in zip(scenes.images.split(100), scenes.labels.split(100))])
    return mask_iou_curve(to_image(cams), scenes.part_masks)


@lru_cache(maxsize=1)
def _head_size() -> tuple[float, float]:
    """Mean head area (pixels) and mean width of the head's box (pixels) on the test split."""
    heads = load_split("test").part_masks
    boxes = box_of_mask(heads).double()
    return heads.sum((1, 2)).double().mean().item(), (boxes[:, 2] - boxes[:, 0]).mean().item()


def check_head_mask(threshold: float | None, mean_iou: float | None) -> Feedback:
    """Exercise 4: the threshold at which CAM's masks best match the *head* (``part_masks``), and that mean IoU.

    Maps: ``gap_cnn``'s CAM for the true class on the 1,000 test scenes,
    normalised then upsampled (:func:`course_utils.cam.to_image`); thresholds
    ``0.00, 0.01, ..., 0.99``. A threshold whose mean IoU is within 0.01 of
    the best counts as right: a curve that flat cannot be read more closely.
    """
    if threshold is None or mean_iou is None:  # checked first: the placeholder costs no computation
        return wrong(tr("Set `head_threshold` to the threshold read off your curve and `head_iou` to the mean IoU "
                        "there"))
    t, iou = as_number(threshold), as_number(mean_iou)
    if t is None or iou is None:
        return wrong(tr("`head_threshold` and `head_iou` should be numbers"))
    if not 0.0 <= t <= 1.0:
        message = tr("A threshold applies to the normalised map, so it lies between 0 and 1; you gave {t:g}")
        return wrong(message.format(t=t))
    curve = _head_mask_curve()
    thresholds = default_cam_thresholds()
    best = int(curve.argmax())
    best_t, best_iou = thresholds[best].item(), curve[best].item()
    k = min(int(round(t * 100)), len(thresholds) - 1)
    if curve[k].item() < best_iou - 0.01:
        return wrong(tr("At t = {t:.2f} the mean IoU with the head is {iou:.3f}, but the curve peaks at "
                        "t = {best_t:.2f} with {best_iou:.3f}. Did you compare with `test.part_masks` (the head), "
                        "not `test.masks` (the whole creature)?").format(t=thresholds[k], iou=curve[k], best_t=best_t,
                                                                         best_iou=best_iou))
    if abs(iou - curve[k].item()) > 0.005:
        message = tr("t = {t:.2f} is a good threshold; the mean IoU there is {iou:.3f}, you said {given:.3f}")
        return wrong(message.format(t=thresholds[k], iou=curve[k], given=iou))
    area, width = _head_size()
    return right(tr("The head is matched best at a high threshold, t = {t:.2f} (mean IoU {iou:.3f}; the curve's "
                    "peak is {best_iou:.3f} at t = {best_t:.2f}). Only the top of the map is the head; yet even "
                    "there the IoU stays low: a 16x16 map, upsampled, is a blob wider than a head, which covers "
                    "about {area:.0f} pixels in area and is about {width:.0f} pixels wide.").format(
                        t=thresholds[k], iou=curve[k], best_iou=best_iou, best_t=best_t, area=area, width=width))


# --- exercise 5: MaxBoxAcc, MaxBoxAccV2 and PxAP by hand ----------------------------------

TOY_MAPS = torch.tensor([
    [[0, 1, 1, 0, 0, 0],
     [1, 4, 3, 1, 0, 0],
     [0, 3, 4, 1, 0, 0],
     [0, 0, 1, 0, 0, 0]],
    [[4, 3, 2, 0, 0, 0],
     [3, 2, 0, 0, 2, 0],
     [2, 0, 0, 2, 3, 2],
     [0, 0, 0, 0, 2, 0]],
    [[0, 0, 0, 0, 0, 0],
     [0, 2, 2, 2, 2, 0],
     [0, 2, 4, 4, 2, 0],
     [0, 0, 0, 0, 0, 0]],
], dtype=torch.float32)
"""Three class maps ``[3, 4, 6]`` (rows, columns); each runs from 0 to 4, so normalising divides by 4."""

TOY_BOXES = torch.tensor([[0, 0, 4, 4], [3, 1, 6, 4], [2, 1, 4, 3]])
"""The true box of each toy image, ``(x0, y0, x1, y1)`` with exclusive ``x1, y1``."""

TOY_MASKS = torch.zeros(3, 4, 6, dtype=torch.bool)
for _i, (_x0, _y0, _x1, _y1) in enumerate(TOY_BOXES.tolist()):
    TOY_MASKS[_i, _y0:_y1, _x0:_x1] = True  # each toy object fills its box
"""The true mask of each toy image: its box, filled."""

TOY_THRESHOLDS = (0.25, 0.5, 0.75)
"""The only CAM thresholds of the toy (instead of 0.00, 0.01, ..., 0.99)."""


def toy_answers() -> dict[str, float]:
    """The right answers of exercise 5, and the values of the usual slips, from the library."""
    kw = {"cam_thresholds": TOY_THRESHOLDS}
    return {
        "MaxBoxAcc": max_box_acc(TOY_MAPS, TOY_BOXES, iou_thresholds=(0.5,), multi_contour=False, **kw),
        "MaxBoxAccV2": max_box_acc(TOY_MAPS, TOY_BOXES, **kw),
        "PxAP": pxap(TOY_MAPS, TOY_MASKS, **kw),
        "V2 with the largest component only": max_box_acc(TOY_MAPS, TOY_BOXES, multi_contour=False, **kw),
        "MaxBoxAcc with every component": max_box_acc(TOY_MAPS, TOY_BOXES, iou_thresholds=(0.5,), **kw),
    }


def check_toy_metrics(max_box_acc_value: float | None, max_box_acc_v2_value: float | None,
                      pxap_value: float | None) -> Feedback:
    """Exercise 5: MaxBoxAcc, MaxBoxAccV2 and PxAP of :data:`TOY_MAPS` at the :data:`TOY_THRESHOLDS`.

    MaxBoxAcc: largest component, IoU 0.5. MaxBoxAccV2: every component, IoU
    0.3, 0.5, 0.7, each with its own best threshold, averaged. PxAP against
    :data:`TOY_MASKS`. Each answer within 0.01 counts.
    """
    given = {"MaxBoxAcc": max_box_acc_value, "MaxBoxAccV2": max_box_acc_v2_value, "PxAP": pxap_value}
    if any(v is None for v in given.values()):
        return wrong(tr("Set `toy_max_box_acc`, `toy_max_box_acc_v2` and `toy_pxap` to your three numbers"))
    values = {k: as_number(v) for k, v in given.items()}
    if any(v is None for v in values.values()):
        return wrong(tr("The three answers should be numbers (fractions between 0 and 1)"))
    if any(v > 1 for v in values.values()):
        return wrong(tr("Give fractions between 0 and 1, not percentages"))
    want = toy_answers()
    problems = []
    if abs(values["MaxBoxAcc"] - want["MaxBoxAcc"]) > 0.01:
        slip = ""
        if abs(values["MaxBoxAcc"] - want["MaxBoxAcc with every component"]) < 0.01:
            slip = " " + tr("You took the best box over every component; the original MaxBoxAcc keeps only the "
                            "largest component's box (image 2 at t = 0.5: the big blob top left, not the creature's)")
        message = tr("MaxBoxAcc is {want:.3f}, you said {given:.3f}.{slip}")
        problems.append(message.format(want=want["MaxBoxAcc"], given=values["MaxBoxAcc"], slip=slip))
    if abs(values["MaxBoxAccV2"] - want["MaxBoxAccV2"]) > 0.01:
        slip = ""
        if abs(values["MaxBoxAccV2"] - want["V2 with the largest component only"]) < 0.01:
            slip = " " + tr("You kept only the largest component; V2 scores the best box over all components")
        message = tr("MaxBoxAccV2 is {want:.3f}, you said {given:.3f}.{slip}")
        problems.append(message.format(want=want["MaxBoxAccV2"], given=values["MaxBoxAccV2"], slip=slip))
    if abs(values["PxAP"] - want["PxAP"]) > 0.01:
        problems.append(tr("PxAP is {want:.3f}, you said {given:.3f}: pool the pixels of the three images, compute "
                           "precision and recall at each threshold, then sum P(t_k) times the recall gained over "
                           "the next higher threshold (R = 0 above the last)").format(want=want["PxAP"],
                                                                                      given=values["PxAP"]))
    if problems:
        return wrong(" ".join(problems))
    return right(tr("MaxBoxAcc {box_acc:.3f}, MaxBoxAccV2 {box_acc_v2:.3f}, PxAP {pxap:.3f}. V2 is higher here "
                    "because it keeps every component's box and each IoU level gets its own best threshold.")
                 .format(box_acc=want["MaxBoxAcc"], box_acc_v2=want["MaxBoxAccV2"], pxap=want["PxAP"]))

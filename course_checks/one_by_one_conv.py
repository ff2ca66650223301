"""Self-checks for notebook 06, "The 1x1 convolution as a class-map head".

Each check recomputes the right answer (by counting, from the toy below, or
from the shipped ``gap_cnn``), compares it with the learner's, and says what
is right, or what was expected and why.

================================  ===================================================================
check                             exercise
================================  ===================================================================
:func:`check_head_parameters`     parameters of a 1x1-conv class head, without and with a bias
:func:`check_conv_weight`         ``gap_cnn``'s linear weights reshaped into a 1x1 convolution's
:func:`check_toy_class_map`       one value of a toy's class map, and the toy's class score
:func:`check_equivalent_heads`    which heads compute the same function as GAP then linear
================================  ===================================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import torch
from torch import Tensor

from course_utils.checkpoints import load_model, load_split
from course_checks import Feedback, as_number, right, wrong
from course_utils.language import tr, tr_noop
from course_utils.models import ConvHeadCNN

# --- the toy of exercise 3 ----------------------------------------------------------

TOY_FEATURES = torch.tensor(
    [
        [[1.0, 0.0, 2.0], [0.0, 3.0, 1.0], [2.0, 1.0, 0.0]],  # f_1
        [[0.0, 1.0, 0.0], [2.0, 0.0, 1.0], [1.0, 1.0, 4.0]],  # f_2
        [[3.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.0, 2.0, 1.0]],  # f_3
    ]
)
"""The toy's feature maps :math:`f_1, f_2, f_3`, ``[3, 3, 3]`` (channels, rows, columns)."""

TOY_WEIGHTS = torch.tensor(
    [
        [1.0, -1.0, 2.0],  # w^0: class 0
        [0.5, 2.0, -1.0],  # w^1: class 1
    ]
)
"""The toy's 1x1-convolution weights :math:`w_k^c`, ``[2, 3]`` (classes, channels)."""

TOY_CLASS, TOY_ROW, TOY_COLUMN = 1, 2, 0
"""Exercise 3 asks for :math:`M_1` at row 2, column 0 (``map[2, 0]``), and for :math:`S_1`."""


def toy_class_maps() -> Tensor:
    """:math:`M_c(y, x) = \\sum_k w_k^c f_k(y, x)` for the toy: ``[2, 3, 3]``."""
    return torch.einsum("ck,khw->chw", TOY_WEIGHTS, TOY_FEATURES)


# --- exercise 4: heads to compare with GAP then linear -------------------------------

_HEADS = {
    "a": tr_noop("a 1x1 convolution without bias, then GAP"),
    "b": tr_noop("a 1x1 convolution with a bias, then GAP"),
    "c": tr_noop("a 1x1 convolution, then ReLU, then GAP"),
    "d": tr_noop("a 1x1 convolution, then global max pooling"),
    "e": tr_noop("GAP, then a 1x1 convolution applied to the 1x1 pooled map"),
}


def heads() -> dict[str, str]:
    """The candidate heads of exercise 4, by letter, described in the course's language."""
    return {letter: tr(head) for letter, head in _HEADS.items()}


def __getattr__(name: str) -> object:
    # ``HEADS`` is read (PEP 562) when a notebook prints it, so it comes in the language chosen by then.
    if name == "HEADS":
        return heads()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


EQUIVALENT = frozenset("abe")

WHY = {  # shown through tr
    "a": tr_noop("the weighted sum over channels and the mean over positions are both linear, so they commute"),
    "b": tr_noop("the bias is added at every position, and the mean of a constant b_c is b_c: the same as a "
                 "linear layer's bias"),
    "c": tr_noop("the ReLU sits between the two linear steps and does not commute with the mean: mean(ReLU(M)) "
                 "differs from ReLU(mean(M)) wherever M has negative values (try M = [-1, 1])"),
    "d": tr_noop("the maximum is not linear: max_xy sum_k w_k f_k(x, y) is not sum_k w_k max_xy f_k(x, y) (each "
                 "channel may peak at a different position)"),
    "e": tr_noop("a 1x1 convolution on a 1x1 map is a linear layer on the pooled vector, only with two extra "
                 "axes"),
}


# --- helpers for reading answers ------------------------------------------------------




def _close(a: float, b: float, atol: float = 1e-3) -> bool:
    return abs(a - b) <= atol


# --- exercise 1: count the parameters --------------------------------------------------


def check_head_parameters(
    without_bias: int | None, with_bias: int | None, *, in_channels: int = 512, num_classes: int = 1000
) -> Feedback:
    """Exercise 1: parameters of ``nn.Conv2d(in_channels, num_classes, 1)``, without and with a bias."""
    k, c = in_channels, num_classes
    expected = (k * c, k * c + c)
    if without_bias is None or with_bias is None:
        return wrong(tr("Set `without_bias` and `with_bias` to two whole numbers of parameters"))
    values = (as_number(without_bias), as_number(with_bias))
    if None in values:
        message = tr("Both answers should be numbers, got {first} and {second}")
        return wrong(message.format(first=type(without_bias).__name__, second=type(with_bias).__name__))
    numbers = {"k": k, "c": c, "weights": expected[0], "total": expected[1], "given": values[0]}
    if values[0] == expected[0] and values[1] == expected[1]:
        return right(tr(
            "{k} x {c} = {weights:,} weights, plus one bias per class: {total:,}. A 1x1 convolution has exactly "
            "the parameters of nn.Linear({k}, {c}), whatever the size of the feature maps; the weight tensor is "
            "only shaped [{c}, {k}, 1, 1] instead of [{c}, {k}]."
        ).format(**numbers))
    problems = []
    if values[0] != expected[0]:
        if values[0] == 9 * k * c:
            problems.append(tr("{given:,.0f} is a 3x3 convolution's count (9 weights per channel pair); a 1x1 "
                               "kernel has one, so {k} x {c} = {weights:,}").format(**numbers))
        elif values[0] in (k * c * 13 * 13, k * c * 7 * 7):
            problems.append(tr("{given:,.0f} counts one weight per position, as a flattening head would; a "
                               "convolution shares its weights over all positions, so {k} x {c} = {weights:,}")
                            .format(**numbers))
        else:
            problems.append(tr("without a bias: expected {k} x {c} = {weights:,} (one weight per input channel "
                               "and class), you said {given:,.0f}").format(**numbers))
    if values[1] != expected[1]:
        numbers["given"] = values[1]
        if values[1] == values[0] + k:
            problems.append(tr("with a bias: you added {k} biases, one per input channel; a convolution has one "
                               "bias per *output* channel, here per class: {weights:,} + {c} = {total:,}")
                            .format(**numbers))
        elif values[1] == values[0]:
            problems.append(tr("with a bias: the count should grow by one bias per class, {c}, to {total:,}")
                            .format(**numbers))
        else:
            problems.append(tr("with a bias: expected {weights:,} + {c} = {total:,}, you said {given:,.0f}")
                            .format(**numbers))
    return wrong("; ".join(problems) + ".")


# --- exercise 2: linear weights as a 1x1 convolution -----------------------------------


@lru_cache(maxsize=1)
def _gap_cnn_and_scenes() -> tuple[torch.nn.Module, Tensor]:
    return load_model("gap_cnn"), load_split("test").images[:100]


def check_conv_weight(conv_weight: Tensor | None) -> Feedback:
    """Exercise 2: ``gap_cnn.fc.weight`` reshaped into the weight of a 1x1 convolution, ``[C, K, 1, 1]``.

    A right answer is also tried out: a :class:`ConvHeadCNN` with ``gap_cnn``'s
    backbone and this head must give ``gap_cnn``'s logits on 100 test scenes.
    """
    gap, images = _gap_cnn_and_scenes()
    linear = gap.fc.weight.detach()
    c, k = linear.shape
    expected = linear[:, :, None, None]
    if conv_weight is None:
        message = tr("Set `conv_weight` to a tensor of shape [{c}, {k}, 1, 1] made from gap_model.fc.weight")
        return wrong(message.format(c=c, k=k))
    if not isinstance(conv_weight, Tensor):
        message = tr("`conv_weight` should be a torch tensor, got {type}")
        return wrong(message.format(type=type(conv_weight).__name__))
    weight = conv_weight.detach().float()
    shape = list(weight.shape)
    if shape == [c, k]:
        return wrong(tr("That is still the linear layer's shape [{c}, {k}]. A Conv2d weight is [out channels, in "
                        "channels, kernel height, kernel width]: add two axes of size 1, e.g. "
                        "`weight[:, :, None, None]`, to get [{c}, {k}, 1, 1].").format(c=c, k=k))
    if shape == [k, c, 1, 1] or shape == [k, c]:
        return wrong(tr("Your tensor has shape {shape}: classes and channels are swapped. A Conv2d weight lists "
                        "the output channels (the {c} classes) first, then the {k} input channels: "
                        "[{c}, {k}, 1, 1], no transpose needed.").format(shape=shape, c=c, k=k))
    if shape != [c, k, 1, 1]:
        return wrong(tr("Expected shape [{c}, {k}, 1, 1] (classes, channels, kernel height, kernel width), your "
                        "tensor has shape {shape}.").format(c=c, k=k, shape=shape))
    if not torch.allclose(weight, expected, atol=1e-6):
        if torch.allclose(weight.flatten(), linear.t().flatten(), atol=1e-6):
            return wrong(tr("Right shape, but the numbers are scrambled: reshaping a transposed [{k}, {c}] "
                            "tensor mixes classes and channels. Keep the linear weight as it is and only add "
                            "axes.").format(k=k, c=c))
        error = (weight - expected).abs().max().item()
        return wrong(tr("Right shape [{c}, {k}, 1, 1], but the values differ from gap_model.fc.weight by up to "
                        "{error:.3g}; element [c, k, 0, 0] should be gap_model.fc.weight[c, k].").format(
                            c=c, k=k, error=error))
    twin = ConvHeadCNN()
    twin.features.load_state_dict(gap.features.state_dict())
    with torch.no_grad():
        twin.classifier.weight.copy_(weight)
        twin.eval()
        difference = (twin(images) - gap(images)).abs().max().item()
    return right(tr(
        "Shape [{c}, {k}, 1, 1], the same {count} numbers. A ConvHeadCNN with gap_cnn's backbone and this head "
        "gives gap_cnn's logits on {n} test scenes to within {difference:.1e} (float rounding): the same "
        "classifier, and now its class maps come straight out of `class_maps`."
    ).format(c=c, k=k, count=c * k, n=len(images), difference=difference))


# --- exercise 3: the toy's class map and score -------------------------------------------


def check_toy_class_map(map_value: float | None, score: float | None) -> Feedback:
    """Exercise 3: :math:`M_1` at row 2, column 0 of the toy, and the class score :math:`S_1` (after GAP)."""
    maps = toy_class_maps()
    expected_value = maps[TOY_CLASS, TOY_ROW, TOY_COLUMN].item()
    expected_score = maps[TOY_CLASS].mean().item()
    if map_value is None or score is None:
        return wrong(tr("Set `map_value` to M_1 at row 2, column 0, and `score` to the class score S_1"))
    value, s = as_number(map_value), as_number(score)
    if value is None or s is None:
        message = tr("Both answers should be numbers, got {first} and {second}")
        return wrong(message.format(first=type(map_value).__name__, second=type(score).__name__))
    problems = []
    if not _close(value, expected_value):
        w = TOY_WEIGHTS[TOY_CLASS].tolist()
        f = TOY_FEATURES[:, TOY_ROW, TOY_COLUMN].tolist()
        terms = " + ".join(f"({a:g})({b:g})" for a, b in zip(w, f))
        if _close(value, maps[TOY_CLASS, TOY_COLUMN, TOY_ROW].item()):
            hint = " " + tr("You read row 0, column 2: rows come first, map[row, column].")
        elif _close(value, maps[1 - TOY_CLASS, TOY_ROW, TOY_COLUMN].item()):
            hint = " " + tr("You used class 0's weights (the first row of TOY_WEIGHTS); class 1 is the second row.")
        else:
            hint = ""
        message = tr("M_1(row 2, column 0) = sum_k w_k^1 f_k(2, 0) = {terms} = {expected:g}, you said {given:g}."
                     "{hint}")
        problems.append(message.format(terms=terms, expected=expected_value, given=value, hint=hint))
    if not _close(s, expected_score):
        total = maps[TOY_CLASS].sum().item()
        if _close(s, total):
            hint = " " + tr("That is the sum of M_1 over the 9 positions; GAP averages: {total:g} / 9.").format(
                total=total)
        elif _close(s, maps[1 - TOY_CLASS].mean().item()):
            hint = " " + tr("That is class 0's score.")
        else:
            hint = " " + tr("Average M_1 over all 9 positions (or apply w^1 to the channel means: the same "
                            "number).")
        problems.append(tr("S_1 = {expected:.4f}, you said {given:g}.{hint}").format(expected=expected_score,
                                                                                    given=s, hint=hint))
    if problems:
        return wrong(" ".join(problems))
    means = TOY_FEATURES.mean(dim=(1, 2))
    return right(tr(
        "M_1(2, 0) = {value:g} and S_1 = {score:.4f}. The other order gives the same score: the channel means "
        "are {means}, and w^1 applied to them is {applied:.4f}."
    ).format(value=expected_value, score=expected_score, means=[round(m, 4) for m in means.tolist()],
             applied=(TOY_WEIGHTS[TOY_CLASS] @ means).item()))


# --- exercise 4: which heads are GAP then linear? ---------------------------------------


def _as_letters(answer: object) -> set[str] | None:
    if isinstance(answer, str):
        items: Iterable[object] = answer.replace(",", " ").split() if (" " in answer or "," in answer) else answer
    elif isinstance(answer, Iterable):
        items = answer
    else:
        return None
    letters = set()
    for item in items:
        if not isinstance(item, str) or item.strip().lower() not in _HEADS:
            return None
        letters.add(item.strip().lower())
    return letters


def check_equivalent_heads(answer: str | Iterable[str] | None) -> Feedback:
    """Exercise 4: the letters of :data:`HEADS` that compute the same function as GAP then a linear layer."""
    if answer is None:
        return wrong(tr("Set `answer` to the letters of the heads you chose, e.g. 'ab' or {{'a', 'b'}}").format())
    chosen = _as_letters(answer)
    if chosen is None:
        message = tr("`answer` should be letters among {letters} (a string like 'ad' or a set), got {answer}")
        return wrong(message.format(letters=", ".join(_HEADS), answer=repr(answer)))
    why = {letter: tr(text) for letter, text in WHY.items()}
    if chosen == EQUIVALENT:
        return right(
            tr("a, b and e.") + " " + " ".join(f"({x}) {why[x][0].upper() + why[x][1:]}." for x in sorted(EQUIVALENT))
            + " " + tr("Not c or d: a nonlinearity or a max between the two linear steps breaks the exchange.")
        )
    lines = []
    for letter in sorted(chosen - EQUIVALENT):
        lines.append(tr("({letter}) is not the same function: {why}.").format(letter=letter, why=why[letter]))
    for letter in sorted(EQUIVALENT - chosen):
        lines.append(tr("({letter}) is the same function: {why}.").format(letter=letter, why=why[letter]))
    expected = tr("Expected: {letters}.").format(letters=", ".join(sorted(EQUIVALENT)))
    return wrong(" ".join(lines) + " " + expected)

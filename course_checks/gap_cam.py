"""Self-checks for notebook 02, global average pooling and CAM.

Each check takes the learner's answer and returns a
:class:`~course_checks.Feedback`: what is right, or what is wrong
and what was expected. The checks recognise the usual slips (max and
average swapped, biases forgotten, a normalised map instead of the raw one,
the wrong class, a sign) and name them.

==================================  ====================================================
check                               exercise
==================================  ====================================================
:func:`check_pooling`               2x2 average and max pooling of :data:`POOLING_TENSOR`
:func:`check_head_parameters`       parameter counts of the two heads of :data:`HEAD_CONFIG`
:func:`check_margin_map`            the map of the margin :math:`S_c - S_{c'}` (:data:`MARGIN_CLASSES`)
:func:`check_weight_shift`          what adding one number to every weight changes: predict, then verify
==================================  ====================================================
"""

from __future__ import annotations

from functools import lru_cache
from numbers import Real

import torch
import torch.nn.functional as F
from torch import Tensor

from course_checks import Feedback, right, wrong
from course_utils.language import tr, tr_noop

# --- exercise 1: pooling ---------------------------------------------------------------

POOLING_TENSOR = torch.tensor(
    [
        [0.0, 6.0, 1.0, 1.0],
        [2.0, 0.0, 1.0, 1.0],
        [3.0, 3.0, 0.0, 0.0],
        [3.0, 3.0, 8.0, 0.0],
    ]
)
"""The 4x4 feature map of exercise 1. Pool it with 2x2 windows, stride 2."""


def _as_tensor(answer: object, what: str) -> tuple[Tensor | None, Feedback | None]:
    """The answer as a float tensor, or the feedback that says why it cannot be one."""
    if answer is None:
        return None, wrong(tr("{what} is still None: replace it with your answer.").format(what=what))
    try:
        return torch.as_tensor(answer, dtype=torch.float32).detach().cpu(), None
    except (TypeError, ValueError, RuntimeError):
        message = tr("{what} must be a tensor or a nested list of numbers, got a {type}.")
        return None, wrong(message.format(what=what, type=type(answer).__name__))


def _pooled(kind: str) -> Tensor:
    x = POOLING_TENSOR[None, None]
    pooled = F.avg_pool2d(x, 2) if kind == "avg" else F.max_pool2d(x, 2)
    return pooled[0, 0]


def _same(a: Tensor, b: Tensor, tol: float = 1e-4) -> bool:
    return a.shape == b.shape and bool(torch.allclose(a, b, atol=tol, rtol=tol))


def check_pooling(avg_pooled: object, max_pooled: object) -> Feedback:
    """Exercise 1: the 2x2 (stride 2) average- and max-pooled :data:`POOLING_TENSOR`, each ``[2, 2]``."""
    expected = {"avg": _pooled("avg"), "max": _pooled("max")}
    answers = {}
    for kind, answer in (("avg", avg_pooled), ("max", max_pooled)):
        tensor, problem = _as_tensor(answer, f"{kind}_pooled")
        if problem is not None:
            return problem
        answers[kind] = tensor.squeeze() if tensor.numel() == 4 else tensor
    if _same(answers["avg"], expected["max"]) and _same(answers["max"], expected["avg"]):
        return wrong(tr("you swapped them: the average-pooled map is the mean of each 2x2 window, the max-pooled "
                        "one its largest value."))
    for kind, name in (("avg", tr_noop("average")), ("max", tr_noop("max"))):
        got, want = answers[kind], expected[kind]
        name = tr(name)
        if got.numel() == 1:
            whole = POOLING_TENSOR.mean() if kind == "avg" else POOLING_TENSOR.max()
            hint = (" " + tr("That is the *global* pooling of the whole map;")
                    if abs(got.item() - whole.item()) < 1e-4 else "")
            message = tr("{name} pooling gave one number.{hint} Pool each 2x2 window on its own (stride 2): "
                         "the result is [2, 2].")
            return wrong(message.format(name=name, hint=hint))
        if got.shape != want.shape:
            message = tr("{name} pooling should give a [2, 2] tensor (four 2x2 windows), got shape {shape}.")
            return wrong(message.format(name=name, shape=tuple(got.shape)))
        if not _same(got, want):
            bad = [(int(i), int(j)) for i, j in zip(*torch.nonzero(~torch.isclose(got, want, atol=1e-4), as_tuple=True))]
            i, j = bad[0]
            window = POOLING_TENSOR[2 * i : 2 * i + 2, 2 * j : 2 * j + 2].flatten().tolist()
            message = tr("{name} pooling: entry [{i}, {j}] is {got:g}, but its window {window} gives {want:g}.")
            return wrong(message.format(name=name, i=i, j=j, got=got[i, j].item(),
                                        window=[round(v, 3) for v in window], want=want[i, j].item()))
    return right(tr(
        "average pooling gives {avg}, max pooling {max}. Look at the bottom-left window (four 3s) and the "
        "bottom-right one (a single 8): max pooling prefers the single peak, average pooling the window that "
        "responds everywhere."
    ).format(avg=expected["avg"].tolist(), max=expected["max"].tolist()))


# --- exercise 2: parameter counts ----------------------------------------------------------

HEAD_CONFIG = {"channels": 128, "size": 16, "hidden": 256, "classes": 10}
"""Exercise 2: a backbone giving ``channels`` feature maps of ``size x size``, and ``classes`` classes.

The flatten head is :class:`~course_utils.models.FlattenCNN`'s: 2x2 max-pool,
flatten, ``Linear(., hidden)``, ReLU, dropout, ``Linear(hidden, classes)``,
both linear layers with biases. The GAP head is
:class:`~course_utils.models.GapCNN`'s: GAP, then a bias-free
``Linear(channels, classes)``.
"""


def _flatten_head_count(channels: int, size: int, hidden: int, classes: int, pooled: bool = True,
                        biases: bool = True) -> int:
    inputs = channels * (size // 2 if pooled else size) ** 2
    return inputs * hidden + hidden * classes + (hidden + classes if biases else 0)


def _as_count(answer: object, what: str) -> tuple[int | None, Feedback | None]:
    if answer is None:
        return None, wrong(tr("{what} is still None: replace it with your count.").format(what=what))
    if isinstance(answer, bool) or not isinstance(answer, Real) and not (
        isinstance(answer, Tensor) and answer.numel() == 1
    ):
        return None, wrong(tr("{what} must be a number, got a {type}.").format(what=what, type=type(answer).__name__))
    value = float(answer)
    if value != int(value):
        message = tr("{what} must be a whole number of parameters, got {value}.")
        return None, wrong(message.format(what=what, value=value))
    return int(value), None


def check_head_parameters(flatten_head: object, gap_head: object) -> Feedback:
    """Exercise 2: the number of parameters of the flatten head and of the GAP head for :data:`HEAD_CONFIG`."""
    c = HEAD_CONFIG
    want_flat = _flatten_head_count(**c)
    want_gap = c["channels"] * c["classes"]
    flat, problem = _as_count(flatten_head, "flatten_head")
    if problem is not None:
        return problem
    gap, problem = _as_count(gap_head, "gap_head")
    if problem is not None:
        return problem
    if flat != want_flat:
        after_pool = c["size"] // 2
        if flat == _flatten_head_count(**c, biases=False):
            message = tr("flatten head: you counted the weights but not the biases ({hidden} + {classes}).")
            return wrong(message.format(**c))
        if flat in (_flatten_head_count(**c, pooled=False), _flatten_head_count(**c, pooled=False, biases=False)):
            return wrong(tr("flatten head: the 2x2 max-pool comes first, so the first linear layer sees "
                            "{channels} x {after_pool} x {after_pool} inputs, not {channels} x {size} x {size}.")
                         .format(after_pool=after_pool, **c))
        return wrong(tr("flatten head: expected {channels} x {after_pool} x {after_pool} inputs times {hidden} "
                        "weights, plus {hidden} biases, plus {hidden} x {classes} weights and {classes} biases; "
                        "you gave {given:,}.").format(after_pool=after_pool, given=flat, **c))
    if gap != want_gap:
        if gap == want_gap + c["classes"]:
            return wrong(tr("GAP head: the course's linear layer after GAP has no bias (that keeps the class map "
                            "exact); count its weights only."))
        if gap == 0:
            return wrong(tr("GAP head: pooling has no parameters, but the linear layer after it does."))
        return wrong(tr("GAP head: GAP has no parameters; the linear layer has one weight per (class, channel) "
                        "pair: {classes} x {channels}. You gave {given:,}.").format(given=gap, **c))
    return right(tr("the flatten head has {flat:,} parameters, the GAP head {gap:,}: {ratio:,.0f} times fewer.")
                 .format(flat=want_flat, gap=want_gap, ratio=want_flat / want_gap))


# --- exercise 3: the map of a margin, and a change of weights that moves every map -------------

MARGIN_CLASSES = (2, 0)
"""Exercise 3 maps the margin :math:`S_c - S_{c'}` of class 2 (``"blue"``) over class 0 (``"red"``)."""
CAM_SCENES = 4
"""Exercise 3 uses the first four scenes of the test split."""


def cam_exercise_images() -> Tensor:
    """The images of exercise 3: the first :data:`CAM_SCENES` test scenes, ``[4, 3, 64, 64]``."""
    from course_utils.checkpoints import load_split

    return load_split("test").images[:CAM_SCENES]


@lru_cache(maxsize=1)
def _reference() -> tuple[Tensor, Tensor]:
    """Every class's map ``[N, classes, 16, 16]`` from ``course_utils.cam``, and the logits ``[N, classes]``."""
    from course_utils.cam import class_activation_map
    from course_utils.checkpoints import load_model

    model = load_model("gap_cnn")
    images = cam_exercise_images()
    with torch.no_grad():
        logits = model(images)
    maps = torch.stack([class_activation_map(model, images, c) for c in range(logits.shape[1])], dim=1)
    return maps, logits


def _class_name(c: int) -> str:
    from course_utils.scenes import CLASS_NAMES

    return f"{c} ({CLASS_NAMES[c]})"


def check_margin_map(margin_maps: object) -> Feedback:
    """Exercise 3a: the raw map ``[4, 16, 16]`` whose mean is the margin :math:`S_c - S_{c'}`, per image."""
    maps, logits = _reference()
    c, other = MARGIN_CLASSES
    want = maps[:, c] - maps[:, other]
    got, problem = _as_tensor(margin_maps, "margin_maps")
    if problem is not None:
        return problem
    n, h, w = want.shape
    names = f"S_{_class_name(c)} - S_{_class_name(other)}"
    if got.shape in ((n,), (n, 1)):
        return wrong(tr("you have one number per image: the margin itself. Keep the positions: the map is "
                        "[{n}, {h}, {w}], and its mean over positions is the margin.").format(n=n, h=h, w=w))
    if got.shape != want.shape:
        message = tr("expected one {h}x{w} map per image, shape [{n}, {h}, {w}]; got shape {shape}.")
        return wrong(message.format(n=n, h=h, w=w, shape=tuple(got.shape)))
    tol = 1e-4 * max(1.0, want.abs().max().item())
    if _same(got, want, tol):
        margins = (logits[:, c] - logits[:, other]).tolist()
        return right(tr("your map is M_c - M_c', the map made with the weights w^c - w^c'. Its mean is the "
                        "margin {names} of each image: {margins}. The softmax sees only such differences: "
                        "p_c / p_c' = exp(S_c - S_c').").format(names=names, margins=[round(v, 2) for v in margins]))
    if _same(got, -want, tol):
        return wrong(tr("the sign is swapped: that is the map of S_{other_name} - S_{name}. Use w^c - w^c' with "
                        "c = {c}, c' = {other}.").format(other_name=_class_name(other), name=_class_name(c), c=c,
                                                         other=other))
    if _same(got, maps[:, c], tol):
        return wrong(tr("that is the map of class {name} alone; its mean is S_c, not the margin. Subtract the map "
                        "of class {other_name}.").format(name=_class_name(c), other_name=_class_name(other)))
    if _same(got, maps[:, c] + maps[:, other], tol):
        return wrong(tr("you added the two maps; the margin is a difference."))
    from course_utils.maps import min_max_normalise

    if _same(got, min_max_normalise(maps[:, c]) - min_max_normalise(maps[:, other]), 1e-4):
        return wrong(tr("you normalised each map before subtracting. Each normalisation shifts and rescales its "
                        "map by different numbers, so the difference's mean is no longer the margin: subtract the "
                        "raw maps."))
    if _same(got, min_max_normalise(want), 1e-4):
        return wrong(tr("you normalised the margin map to [0, 1]; keep it raw, so that its mean is the margin."))
    ratio = (got * want).sum() / (want * want).sum()
    if _same(got, ratio * want, tol):
        return wrong(tr("your maps are the expected ones times {ratio:.4g}: like M_c, the margin map has no "
                        "1/hw (that factor belongs to the mean) and no other factor.").format(ratio=ratio.item()))
    return wrong(tr("largest difference from the expected map is {difference:.3g}. Expected "
                    "sum_k (w_k^c - w_k^c') f_k(x, y), with f = gap_cnn.features(images) and "
                    "w = gap_cnn.fc.weight, c = {c}, c' = {other}.").format(
                        difference=(got - want).abs().max().item(), c=c, other=other))


_SHIFT_ANSWERS = {  # the explanations are shown through tr
    "probabilities_change": (
        False,
        tr_noop("adding a to every weight adds a * sum_k F_k to every class's logit: the same number for every class on "
        "a given image, and softmax(z + s) = softmax(z). The probabilities, and the prediction, stay."),
    ),
    "cams_change": (
        True,
        tr_noop("every class's map gains a * sum_k f_k(x, y). The feature maps come out of a ReLU, so they are >= 0 and "
        "largest where something was detected: the added map is not a constant, and the maps change, normalised "
        "or not."),
    ),
    "margin_map_changes": (
        False,
        tr_noop("the margin map is made with the weights w^c - w^c', and the a cancels in the difference."),
    ),
}


def check_weight_shift(probabilities_change: object, cams_change: object, margin_map_changes: object) -> Feedback:
    """Exercise 3b: adding one number ``a`` to every weight of ``fc``: what changes? Three ``True``/``False``."""
    answers = {
        "probabilities_change": probabilities_change,
        "cams_change": cams_change,
        "margin_map_changes": margin_map_changes,
    }
    for name, answer in answers.items():
        if answer is None:
            return wrong(tr("{name} is still None: predict True or False.").format(name=name))
        if not isinstance(answer, bool):
            return wrong(tr("{name} must be True or False, got {answer}.").format(name=name, answer=repr(answer)))
    mistakes = [tr(why) for name, (want, why) in _SHIFT_ANSWERS.items() if answers[name] != want]
    if mistakes:
        if len(mistakes) == 1:
            count = tr("one of your three predictions is off.")
        else:
            count = tr("{count} of them are off.").format(count=len(mistakes))
        return wrong(count + " " + " ".join(m[0].upper() + m[1:] for m in mistakes)
                     + " " + tr("Verify it in code with a shifted copy of gap_cnn.fc.weight."))
    return right(tr("the probabilities stay, every CAM changes, the margin map stays. Two heads that give every "
                    "image the same probabilities can have different CAMs: a CAM depends on the weights, not only "
                    "on what the model computes. The margin map depends only on what the softmax sees."))

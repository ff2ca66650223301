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
        return None, wrong(f"{what} is still None: replace it with your answer.")
    try:
        return torch.as_tensor(answer, dtype=torch.float32).detach().cpu(), None
    except (TypeError, ValueError, RuntimeError):
        return None, wrong(f"{what} must be a tensor or a nested list of numbers, got a {type(answer).__name__}.")


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
        return wrong("you swapped them: the average-pooled map is the mean of each 2x2 window, the max-pooled one its "
                     "largest value.")
    for kind, name in (("avg", "average"), ("max", "max")):
        got, want = answers[kind], expected[kind]
        if got.numel() == 1:
            whole = POOLING_TENSOR.mean() if kind == "avg" else POOLING_TENSOR.max()
            hint = (" That is the *global* pooling of the whole map;" if abs(got.item() - whole.item()) < 1e-4
                    else "")
            return wrong(f"{name} pooling gave one number.{hint} Pool each 2x2 window on its own (stride 2): "
                         f"the result is [2, 2].")
        if got.shape != want.shape:
            return wrong(f"{name} pooling should give a [2, 2] tensor (four 2x2 windows), got shape {tuple(got.shape)}.")
        if not _same(got, want):
            bad = [(int(i), int(j)) for i, j in zip(*torch.nonzero(~torch.isclose(got, want, atol=1e-4), as_tuple=True))]
            i, j = bad[0]
            window = POOLING_TENSOR[2 * i : 2 * i + 2, 2 * j : 2 * j + 2].flatten().tolist()
            return wrong(f"{name} pooling: entry [{i}, {j}] is {got[i, j].item():g}, but its window "
                         f"{[round(v, 3) for v in window]} gives {want[i, j].item():g}.")
    return right(
        f"average pooling gives {expected['avg'].tolist()}, max pooling {expected['max'].tolist()}. Look at the "
        f"bottom-left window (four 3s) and the bottom-right one (a single 8): max pooling prefers the single peak, "
        f"average pooling the window that responds everywhere."
    )


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
        return None, wrong(f"{what} is still None: replace it with your count.")
    if isinstance(answer, bool) or not isinstance(answer, Real) and not (
        isinstance(answer, Tensor) and answer.numel() == 1
    ):
        return None, wrong(f"{what} must be a number, got a {type(answer).__name__}.")
    value = float(answer)
    if value != int(value):
        return None, wrong(f"{what} must be a whole number of parameters, got {value}.")
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
            return wrong(f"flatten head: you counted the weights but not the biases ({c['hidden']} + {c['classes']}).")
        if flat in (_flatten_head_count(**c, pooled=False), _flatten_head_count(**c, pooled=False, biases=False)):
            return wrong(f"flatten head: the 2x2 max-pool comes first, so the first linear layer sees "
                         f"{c['channels']} x {after_pool} x {after_pool} inputs, not {c['channels']} x {c['size']} x "
                         f"{c['size']}.")
        return wrong(f"flatten head: expected {c['channels']} x {after_pool} x {after_pool} inputs times "
                     f"{c['hidden']} weights, plus {c['hidden']} biases, plus {c['hidden']} x {c['classes']} weights "
                     f"and {c['classes']} biases; you gave {flat:,}.")
    if gap != want_gap:
        if gap == want_gap + c["classes"]:
            return wrong("GAP head: the course's linear layer after GAP has no bias (that keeps the class map exact); "
                         "count its weights only.")
        if gap == 0:
            return wrong("GAP head: pooling has no parameters, but the linear layer after it does.")
        return wrong(f"GAP head: GAP has no parameters; the linear layer has one weight per (class, channel) pair: "
                     f"{c['classes']} x {c['channels']}. You gave {gap:,}.")
    return right(f"the flatten head has {want_flat:,} parameters, the GAP head {want_gap:,}: "
                 f"{want_flat / want_gap:,.0f} times fewer.")


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
        return wrong(f"you have one number per image: the margin itself. Keep the positions: the map is "
                     f"[{n}, {h}, {w}], and its mean over positions is the margin.")
    if got.shape != want.shape:
        return wrong(f"expected one {h}x{w} map per image, shape [{n}, {h}, {w}]; got shape {tuple(got.shape)}.")
    tol = 1e-4 * max(1.0, want.abs().max().item())
    if _same(got, want, tol):
        margins = (logits[:, c] - logits[:, other]).tolist()
        return right(f"your map is M_c - M_c', the map made with the weights w^c - w^c'. Its mean is the margin "
                     f"{names} of each image: {[round(v, 2) for v in margins]}. The softmax sees only such "
                     f"differences: p_c / p_c' = exp(S_c - S_c').")
    if _same(got, -want, tol):
        return wrong(f"the sign is swapped: that is the map of S_{_class_name(other)} - S_{_class_name(c)}. "
                     f"Use w^c - w^c' with c = {c}, c' = {other}.")
    if _same(got, maps[:, c], tol):
        return wrong(f"that is the map of class {_class_name(c)} alone; its mean is S_c, not the margin. "
                     f"Subtract the map of class {_class_name(other)}.")
    if _same(got, maps[:, c] + maps[:, other], tol):
        return wrong("you added the two maps; the margin is a difference.")
    from course_utils.maps import min_max_normalise

    if _same(got, min_max_normalise(maps[:, c]) - min_max_normalise(maps[:, other]), 1e-4):
        return wrong("you normalised each map before subtracting. Each normalisation shifts and rescales its map "
                     "by different numbers, so the difference's mean is no longer the margin: subtract the raw maps.")
    if _same(got, min_max_normalise(want), 1e-4):
        return wrong("you normalised the margin map to [0, 1]; keep it raw, so that its mean is the margin.")
    ratio = (got * want).sum() / (want * want).sum()
    if _same(got, ratio * want, tol):
        return wrong(f"your maps are the expected ones times {ratio.item():.4g}: like M_c, the margin map has no "
                     f"1/hw (that factor belongs to the mean) and no other factor.")
    return wrong(f"largest difference from the expected map is {(got - want).abs().max().item():.3g}. Expected "
                 f"sum_k (w_k^c - w_k^c') f_k(x, y), with f = gap_cnn.features(images) and "
                 f"w = gap_cnn.fc.weight, c = {c}, c' = {other}.")


_SHIFT_ANSWERS = {
    "probabilities_change": (
        False,
        "adding a to every weight adds a * sum_k F_k to every class's logit: the same number for every class on "
        "a given image, and softmax(z + s) = softmax(z). The probabilities, and the prediction, stay.",
    ),
    "cams_change": (
        True,
        "every class's map gains a * sum_k f_k(x, y). The feature maps come out of a ReLU, so they are >= 0 and "
        "largest where something was detected: the added map is not a constant, and the maps change, normalised "
        "or not.",
    ),
    "margin_map_changes": (
        False,
        "the margin map is made with the weights w^c - w^c', and the a cancels in the difference.",
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
            return wrong(f"{name} is still None: predict True or False.")
        if not isinstance(answer, bool):
            return wrong(f"{name} must be True or False, got {answer!r}.")
    mistakes = [why for name, (want, why) in _SHIFT_ANSWERS.items() if answers[name] != want]
    if mistakes:
        count = "one of your three predictions is" if len(mistakes) == 1 else f"{len(mistakes)} of them are"
        return wrong(f"{count} off. " + " ".join(m[0].upper() + m[1:] for m in mistakes)
                     + " Verify it in code with a shifted copy of gap_cnn.fc.weight.")
    return right("the probabilities stay, every CAM changes, the margin map stays. Two heads that give every image "
                 "the same probabilities can have different CAMs: a CAM depends on the weights, not only on what "
                 "the model computes. The margin map depends only on what the softmax sees.")

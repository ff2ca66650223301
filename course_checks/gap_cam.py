"""Self-checks for notebook 02, global average pooling and CAM.

Each check takes the learner's answer and returns a
:class:`~course_checks.Feedback`: what is right, or what is wrong
and what was expected. The checks recognise the usual slips (max and
average swapped, biases forgotten, a normalised map instead of the raw one,
the wrong class) and name them.

==================================  ====================================================
check                               exercise
==================================  ====================================================
:func:`check_pooling`               2x2 average and max pooling of :data:`POOLING_TENSOR`
:func:`check_head_parameters`       parameter counts of the two heads of :data:`HEAD_CONFIG`
:func:`check_cam_by_hand`           the class map of class :data:`CAM_CLASS` on :func:`cam_exercise_images`
:func:`check_score_from_map`        the class score :math:`S_c`, read off that map
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


# --- exercise 3: CAM by hand ----------------------------------------------------------------

CAM_CLASS = 2
"""Exercise 3 asks for the map of class 2, ``"blue"``, whatever each scene's own class."""
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


def check_cam_by_hand(your_maps: object) -> Feedback:
    """Exercise 3a: the raw class map :math:`M_c` of class :data:`CAM_CLASS`, ``[4, 16, 16]``, on the exercise images."""
    maps, _ = _reference()
    want = maps[:, CAM_CLASS]
    got, problem = _as_tensor(your_maps, "your_maps")
    if problem is not None:
        return problem
    n, h, w = want.shape
    if got.shape == (n, maps.shape[1]):
        return wrong(f"you have one number per scene and class: those are scores (the map already averaged by GAP). "
                     f"Stop before the average: the map is [{n}, {h}, {w}].")
    if got.shape == (n,):
        return wrong(f"you have one number per scene: the score S_c, the map's average. Keep the positions: the map "
                     f"is [{n}, {h}, {w}].")
    if got.shape == maps.shape:
        return wrong(f"you have every class's map, [{n}, {maps.shape[1]}, {h}, {w}]: keep class "
                     f"{_class_name(CAM_CLASS)} only.")
    if got.shape != want.shape:
        return wrong(f"expected one {h}x{w} map per scene, shape [{n}, {h}, {w}]; got shape {tuple(got.shape)}.")
    scale = want.abs().max().item()
    tol = 1e-4 * max(1.0, scale)
    if _same(got, want, tol):
        return right(f"your maps match course_utils.cam.class_activation_map for class {_class_name(CAM_CLASS)} "
                     f"(largest difference {(got - want).abs().max().item():.1e}).")
    # Which class's map is each answer closest to?
    for c in range(maps.shape[1]):
        if c != CAM_CLASS and _same(got, maps[:, c], tol):
            return wrong(f"these are the maps of class {_class_name(c)}; the exercise asks for class "
                         f"{_class_name(CAM_CLASS)}: use the row fc.weight[{CAM_CLASS}].")
    own = torch.stack([maps[i, maps[i].mean((-2, -1)).argmax()] for i in range(n)])
    if _same(got, own, tol):
        return wrong(f"these are the maps of each scene's predicted class; the exercise asks for class "
                     f"{_class_name(CAM_CLASS)} on every scene.")
    from course_utils.maps import min_max_normalise

    if _same(got, min_max_normalise(want), 1e-4):
        return wrong("you normalised the maps to [0, 1]; the exercise wants the raw map M_c, whose mean is the score.")
    if _same(got, F.relu(want), tol):
        return wrong("you applied a ReLU; CAM keeps the negative values too (its mean is then exactly the score).")
    ratio = (got * want).sum() / (want * want).sum()
    if _same(got, ratio * want, tol) and abs(ratio.item() - 1) > 1e-3:
        return wrong(f"your maps are the expected ones times {ratio.item():.4g}: M_c(x, y) = sum_k w_k^c f_k(x, y) "
                     f"has no 1/hw (that factor belongs to the score) and no other factor.")
    return wrong(f"largest difference from the expected map is {(got - want).abs().max().item():.3g}. Expected "
                 f"M_c(x, y) = sum_k w_k^c f_k(x, y), with f = model.features(images) ([{n}, K, {h}, {w}]) and "
                 f"w^c = model.fc.weight[{CAM_CLASS}] ([K]).")


def check_score_from_map(your_scores: object) -> Feedback:
    """Exercise 3b: the class score :math:`S_c` of class :data:`CAM_CLASS` for each scene, ``[4]``, from the map alone."""
    maps, logits = _reference()
    want = logits[:, CAM_CLASS]
    got, problem = _as_tensor(your_scores, "your_scores")
    if problem is not None:
        return problem
    n, h, w = maps.shape[0], *maps.shape[-2:]
    if got.shape != want.shape:
        return wrong(f"expected one score per scene, shape [{n}]; got shape {tuple(got.shape)}. Average each "
                     f"[{h}, {w}] map over its positions.")
    tol = 1e-3 * max(1.0, want.abs().max().item())
    if _same(got, want, tol):
        return right(f"the mean of each map is the model's logit for class {_class_name(CAM_CLASS)}: "
                     f"{[round(v, 3) for v in want.tolist()]}.")
    if _same(got, want * h * w, tol * h * w):
        return wrong(f"these are the sums over positions, {h * w} times the score: GAP averages, so divide by "
                     f"h w = {h * w}.")
    if _same(got, want.softmax(0), 1e-3) or _same(got, logits.softmax(1)[:, CAM_CLASS], 1e-3):
        return wrong("these are probabilities; the map's mean is the score before the softmax (the logit).")
    return wrong(f"expected the spatial mean of each map, S_c = 1/(hw) sum_(x,y) M_c(x, y), one per scene; the "
                 f"largest difference from the model's logits is {(got - want).abs().max().item():.3g}.")

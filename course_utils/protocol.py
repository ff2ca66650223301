"""Comparing localization methods the way Choe et al. (CVPR 2020) do.

Their protocol, in four rules, each a function here:

1. **The map threshold is marginalised on the split being scored.**
   MaxBoxAccV2 is the box accuracy at the best of 100 thresholds, per IoU
   level, *on the test set* ("oracle threshold"); PxAP integrates over all
   thresholds. Nothing about the threshold is chosen elsewhere.
2. **A method's own hyperparameters are chosen on a small held-out split
   with full labels** (their ``train-fullsup``), never on the test set:
   :func:`select_on_heldout`. The chosen model is then scored once on test.
3. **A score comes with its uncertainty.** Over test scenes, a bootstrap:
   resample the scenes with replacement and recompute the score
   (:func:`resample_weights`, :func:`bootstrap_scores`,
   :func:`percentile_interval`); over training runs, several seeds.
4. **Baselines that need no weak supervision at all**: a map that knows
   nothing (:func:`centre_gaussian_map`, :func:`whole_image_map`, scored with
   :func:`shared_map_tables`), and a few-shot learner trained with full
   supervision on the held-out split (``course_utils.models.MaskCNN``).

Everything is computed from :class:`ScoreTables`: for each scene, its best
box IoU at each threshold and its pixel counts at each threshold. Those
tables are the costly part (connected components at 100 thresholds); every
score, every resample and every subset of scenes is then a weighted sum over
them and costs next to nothing. So they can be computed once and shipped:
:func:`save_score_tables` and :func:`load_score_tables` store them compactly
(each IoU rounded down to the IoU levels, :meth:`ScoreTables.floored`), and
:func:`tables_agree` tells whether tables recomputed on another machine are
the shipped ones up to float rounding (:mod:`course_utils.comparison`).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from course_utils.boxes import best_iou_per_image, component_boxes, largest_of_each_image
from course_utils.checks import check_boxes, check_same_n, describe
from course_utils.errors import CourseValueError
from course_utils.language import tr
from course_utils.localization import (
    IOU_THRESHOLDS,
    as_thresholds,
    box_accuracy_from_ious,
    box_ious_at_thresholds,
    box_ious_both_ways,
    pixel_counts,
)
from course_utils.maps import min_max_normalise

N_RESAMPLES = 1000
"""Bootstrap resamples of the test scenes."""
BOOTSTRAP_SEED = 0
"""The fixed seed of the bootstrap's generator: the same resamples on every run and machine."""


@dataclass(frozen=True)
class ScoreTables:
    """What MaxBoxAccV2 and PxAP need from one method on ``N`` scenes at ``T`` thresholds.

    Scene :math:`i` at threshold :math:`t_k` (on its min-max normalised map
    :math:`\\tilde M_i`):

    - ``ious[k, i]``: the best IoU of the boxes of the 8-connected components
      of :math:`\\tilde M_i \\ge t_k` with the scene's box (0 if none);
    - ``true_pos[i, k]``: object pixels with :math:`\\tilde M_i \\ge t_k`;
    - ``false_pos[i, k]``: background pixels with :math:`\\tilde M_i \\ge t_k`;
    - ``foreground[i]``: object pixels.
    """

    ious: Tensor  #: ``[T, N]`` float64
    true_pos: Tensor  #: ``[N, T]`` float64 (whole numbers)
    false_pos: Tensor  #: ``[N, T]`` float64 (whole numbers)
    foreground: Tensor  #: ``[N]`` float64 (whole numbers)
    #: ``[T, N]`` float64, the largest component's IoU (the original MaxBoxAcc), if asked for
    largest_ious: Tensor | None = None
    #: ``None``: ``ious`` are the exact IoUs. Else the IoU levels they were rounded down to
    #: (:meth:`floored`): each entry is the highest level it reaches, or 0; enough for
    #: MaxBoxAccV2 at those levels and at no other.
    iou_levels: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        t, n = self.ious.shape if self.ious.dim() == 2 else (None, None)
        if t is None or self.true_pos.shape != (n, t) or self.false_pos.shape != (n, t):
            message = tr(
                "ScoreTables needs ious [T, N], true_pos and false_pos [N, T], foreground [N]; "
                "got {ious}, {true_pos}, {false_pos}"
            )
            raise CourseValueError(message.format(
                ious=tuple(self.ious.shape), true_pos=tuple(self.true_pos.shape),
                false_pos=tuple(self.false_pos.shape),
            ))
        if self.foreground.shape != (n,):
            message = tr("foreground must be [N] = [{n}], got {shape}")
            raise CourseValueError(message.format(n=n, shape=tuple(self.foreground.shape)))

    def __len__(self) -> int:
        return self.ious.shape[1]

    def __getitem__(self, index: slice | Tensor) -> ScoreTables:
        """The tables of a subset of the scenes (``tables[:200]``, ``tables[indices]``)."""
        largest = None if self.largest_ious is None else self.largest_ious[:, index]
        return ScoreTables(
            self.ious[:, index], self.true_pos[index], self.false_pos[index],
            self.foreground[index], largest, self.iou_levels,
        )

    def floored(self, iou_levels: Sequence[float] = IOU_THRESHOLDS) -> ScoreTables:
        """The same tables with every IoU rounded down to the highest of ``iou_levels`` it reaches.

        .. math:: \\lfloor \\mathrm{IoU} \\rfloor_D = \\max\\,(\\{0\\} \\cup
            \\{\\delta \\in D : \\mathrm{IoU} \\ge \\delta\\})

        :math:`[\\lfloor \\mathrm{IoU} \\rfloor_D \\ge \\delta] = [\\mathrm{IoU} \\ge \\delta]`
        for every :math:`\\delta \\in D`, so MaxBoxAccV2 at the levels :math:`D` is unchanged; a
        table of four values compresses far better than one of exact IoUs (the shipped tables
        are floored).
        """
        levels = _check_increasing_levels(iou_levels)
        if self.iou_levels is not None and not set(levels) <= set(self.iou_levels):
            message = tr("these tables keep only the IoU levels {kept}; cannot floor to {levels}")
            raise CourseValueError(message.format(kept=self.iou_levels, levels=levels))
        largest = None if self.largest_ious is None else floor_to_levels(self.largest_ious, levels)
        return ScoreTables(floor_to_levels(self.ious, levels), self.true_pos, self.false_pos,
                           self.foreground, largest, levels)


def _check_increasing_levels(iou_levels: Sequence[float]) -> tuple[float, ...]:
    levels = tuple(float(v) for v in iou_levels)
    increasing = list(levels) == sorted(set(levels))
    if not levels or any(not 0.0 < v <= 1.0 for v in levels) or not increasing:
        message = tr(
            "iou_levels must be strictly increasing IoU levels in (0, 1], e.g. (0.3, 0.5, 0.7); "
            "got {levels}"
        )
        raise CourseValueError(message.format(levels=repr(iou_levels)))
    return levels


def floor_to_levels(ious: Tensor, iou_levels: Sequence[float] = IOU_THRESHOLDS) -> Tensor:
    """Each IoU rounded down to the highest of ``iou_levels`` it reaches, 0 below them all.

    Returns float64, the shape of ``ious``.

    .. math:: \\lfloor \\mathrm{IoU} \\rfloor_D = \\max\\,(\\{0\\} \\cup
        \\{\\delta \\in D : \\mathrm{IoU} \\ge \\delta\\})
    """
    levels = _check_increasing_levels(iou_levels)
    if not isinstance(ious, Tensor) or not ious.is_floating_point():
        message = tr("ious must be a float tensor, got {got}")
        raise CourseValueError(message.format(got=describe(ious)))
    values = torch.tensor((0.0, *levels), dtype=torch.float64)
    reached = (ious.double()[..., None] >= values[1:]).sum(-1)  # how many levels each IoU reaches
    return values[reached]


def score_tables(
    maps: Tensor,
    masks: Tensor,
    boxes: Tensor,
    *,
    cam_thresholds: Sequence[float] | Tensor | None = None,
    with_largest: bool = False,
) -> ScoreTables:
    """:class:`ScoreTables` of image-sized maps ``[N, H, W]`` against the scenes' masks and boxes.

    ``ious`` is :func:`course_utils.localization.box_ious_at_thresholds`
    (every component's box); the pixel counts are :func:`pixel_counts`.
    ``with_largest`` also keeps the largest component's IoUs (the original
    MaxBoxAcc), from the same labelling (:func:`~course_utils.localization.box_ious_both_ways`).
    """
    check_same_n(maps, boxes, "maps and boxes")
    true_pos, false_pos = pixel_counts(maps, masks, cam_thresholds=cam_thresholds)
    largest = None
    if with_largest:
        ious, largest = box_ious_both_ways(maps, boxes, cam_thresholds=cam_thresholds)
    else:
        ious = box_ious_at_thresholds(maps, boxes, cam_thresholds=cam_thresholds)
    return ScoreTables(ious, true_pos, false_pos, masks.flatten(1).sum(1).double().cpu(), largest)


def shared_map_tables(
    shared_map: Tensor, masks: Tensor, boxes: Tensor, *, cam_thresholds: Sequence[float] | Tensor | None = None
) -> ScoreTables:
    """:func:`score_tables` of one map ``[H, W]`` used for every scene (a baseline that sees no image).

    The same as ``score_tables(shared_map.expand(N, H, W), masks, boxes)``,
    but the map's components are found once per threshold, not once per scene.
    """
    if not isinstance(shared_map, Tensor) or shared_map.dim() != 2 or not shared_map.is_floating_point():
        message = tr("shared_map must be one float map [H, W], got {got}")
        raise CourseValueError(message.format(got=describe(shared_map)))
    check_boxes(boxes)
    n = len(boxes)
    expanded = shared_map.expand(n, *shared_map.shape)
    true_pos, false_pos = pixel_counts(expanded, masks, cam_thresholds=cam_thresholds)
    thresholds = as_thresholds(cam_thresholds)
    normalised = min_max_normalise(shared_map.detach()[None]).cpu().numpy()
    gt = boxes.detach().double().cpu()
    ious = torch.zeros(len(thresholds), n, dtype=torch.float64)
    every_scene = torch.arange(n)
    for k, t in enumerate(thresholds.tolist()):
        predicted, _, _ = component_boxes(torch.from_numpy(normalised >= t))
        # every component is a candidate box for every scene
        ious[k] = best_iou_per_image(
            predicted.repeat(n, 1), every_scene.repeat_interleave(len(predicted)), gt
        )
    return ScoreTables(ious, true_pos, false_pos, masks.flatten(1).sum(1).double().cpu())


COUNT_LIMIT = 2**16 - 1
"""Pixel counts are stored as uint16: at most 65,535 pixels per scene (a 64x64 scene has 4,096)."""


def save_score_tables(tables: Mapping[str, ScoreTables], path: str | Path) -> None:
    """Write named tables of the *same* scenes to one compressed ``.npz``, IoUs floored.

    Stored, for ``M`` tables of ``N`` scenes at ``T`` thresholds: ``names [M]``;
    ``iou_levels [L]`` (:data:`~course_utils.localization.IOU_THRESHOLDS`);
    ``levels_reached [M, T, N]`` uint8, how many of the levels each IoU reaches
    (:meth:`ScoreTables.floored`); ``true_pos``, ``false_pos [M, N, T]`` and
    ``foreground [N]`` as uint16; and for the ``K`` tables that keep the
    largest component's IoUs (the original MaxBoxAcc), ``largest_names [K]``
    and ``largest_reached [K, T, N]``, floored the same way.
    :func:`load_score_tables` reads it back.
    """
    if not isinstance(tables, Mapping) or not tables:
        message = tr("tables must be a non-empty mapping name -> ScoreTables, got {got}")
        raise CourseValueError(message.format(got=describe(tables)))
    items = list(tables.items())
    first = items[0][1]
    for name, t in items:
        if not isinstance(name, str) or not isinstance(t, ScoreTables):
            message = tr("tables must map str names to ScoreTables, got {name}: {got}")
            raise CourseValueError(message.format(name=repr(name), got=describe(t)))
        if t.ious.shape != first.ious.shape or not torch.equal(t.foreground, first.foreground):
            message = tr("{name} is not scored on the same scenes as {first}")
            raise CourseValueError(message.format(name=repr(name), first=repr(items[0][0])))
    floored = [t.floored(IOU_THRESHOLDS) for _, t in items]
    levels = torch.tensor((0.0, *IOU_THRESHOLDS), dtype=torch.float64)

    def reached(ious: list[Tensor]) -> np.ndarray:
        """How many levels each IoU reaches: the index of its floored value among (0, *levels)."""
        if not ious:
            return np.zeros((0, *first.ious.shape), dtype=np.uint8)
        index = [torch.searchsorted(levels, i.contiguous(), right=True) - 1 for i in ious]
        return torch.stack(index).numpy().astype(np.uint8)

    with_largest = [(name, t) for (name, _), t in zip(items, floored)
                    if t.largest_ious is not None]

    def counts(values: Tensor, what: str) -> np.ndarray:
        if (values != values.round()).any() or values.min() < 0 or values.max() > COUNT_LIMIT:
            message = tr("{what} must be whole pixel counts in 0..{limit}")
            raise CourseValueError(message.format(what=what, limit=COUNT_LIMIT))
        return values.to(torch.int64).numpy().astype(np.uint16)

    np.savez_compressed(
        path,
        names=np.array([name for name, _ in items]),
        iou_levels=np.array(IOU_THRESHOLDS, dtype=np.float64),
        levels_reached=reached([t.ious for t in floored]),
        largest_names=np.array([name for name, _ in with_largest], dtype=str),
        largest_reached=reached([t.largest_ious for _, t in with_largest]),
        true_pos=counts(torch.stack([t.true_pos for t in floored]), "true_pos"),
        false_pos=counts(torch.stack([t.false_pos for t in floored]), "false_pos"),
        foreground=counts(first.foreground, "foreground"),
    )


def load_score_tables(path: str | Path) -> dict[str, ScoreTables]:
    """The tables written by :func:`save_score_tables`, by name (float64; IoUs floored)."""
    path = Path(path)
    if not path.exists():
        message = tr("no score tables at {path}; regenerate data/ with `make checkpoints`")
        raise FileNotFoundError(message.format(path=path))
    with np.load(path, allow_pickle=False) as z:
        levels = tuple(float(v) for v in z["iou_levels"])
        values = torch.tensor((0.0, *levels), dtype=torch.float64)
        reached = torch.from_numpy(z["levels_reached"].astype(np.int64))
        true_pos = torch.from_numpy(z["true_pos"].astype(np.float64))
        false_pos = torch.from_numpy(z["false_pos"].astype(np.float64))
        foreground = torch.from_numpy(z["foreground"].astype(np.float64))
        names = [str(name) for name in z["names"]]
        largest = {}
        if "largest_names" in z.files:
            largest_reached = torch.from_numpy(z["largest_reached"].astype(np.int64))
            largest = {str(name): values[largest_reached[k]]
                       for k, name in enumerate(z["largest_names"])}
    return {
        name: ScoreTables(values[reached[m]], true_pos[m], false_pos[m], foreground,
                          largest.get(name), levels)
        for m, name in enumerate(names)
    }


AGREEMENT_SHARE = 1e-3
""":func:`tables_agree`'s default: at most this share of the table entries may differ."""


def tables_agree(
    first: ScoreTables, second: ScoreTables, *, max_share: float = AGREEMENT_SHARE
) -> bool:
    """Whether two tables of the same maps agree, up to the maps' float rounding.

    The same scenes (equal ``foreground``), and at most ``max_share`` of the
    entries differing: of the IoU levels reached (both tables floored to the
    levels they share; the largest component's too, where both keep them)
    and of the two pixel-count tables, each counted separately. Exact
    equality is too strict across machines: CPUs with other vector kernels
    round the convolutions differently in the last bits, and a map value
    that close to one of the 100 thresholds falls on the other side of it (measured: AVX2 against ``ATEN_CPU_CAPABILITY=default``, a
    few dozen of the 200,000 pixel counts of one model's 1,000 test maps, by
    a pixel or two; no IoU level). A change in the code that makes the maps
    (another upsampling, another normalisation) changes far more.
    """
    if not 0.0 <= max_share < 1.0:
        message = tr("max_share must lie in [0, 1), got {value}")
        raise CourseValueError(message.format(value=max_share))
    same_scenes = torch.equal(first.foreground, second.foreground)
    if first.ious.shape != second.ious.shape or not same_scenes:
        return False
    second_levels = second.iou_levels or IOU_THRESHOLDS
    shared = [v for v in (first.iou_levels or IOU_THRESHOLDS) if v in second_levels]
    if not shared:
        return False
    first, second = first.floored(shared), second.floored(shared)
    entries = [(first.ious, second.ious), (first.true_pos, second.true_pos),
               (first.false_pos, second.false_pos)]
    if first.largest_ious is not None and second.largest_ious is not None:
        entries.append((first.largest_ious, second.largest_ious))
    return all((a != b).double().mean().item() <= max_share for a, b in entries)


def _check_weights(weights: Tensor, n: int) -> Tensor:
    if not isinstance(weights, Tensor) or weights.dim() != 2 or weights.shape[1] != n:
        message = tr("weights must be a tensor [B, N] with N = {n} scenes, got {got}")
        raise CourseValueError(message.format(n=n, got=describe(weights)))
    if (weights < 0).any() or (weights.sum(1) <= 0).any():
        raise CourseValueError(tr(
            "weights must be >= 0 with a positive sum in every row (counts of a resample)"
        ))
    return weights.double()


def max_box_acc_v2_from_tables(
    tables: ScoreTables, weights: Tensor | None = None, iou_thresholds: Sequence[float] = IOU_THRESHOLDS
) -> Tensor:
    """MaxBoxAccV2 from the IoU table; with ``weights [B, N]``, once per row of weights: ``[B]``.

    .. math::
        \\mathrm{MaxBoxAccV2} = \\frac{1}{|D|} \\sum_{\\delta \\in D} \\max_k
        \\frac{\\sum_i w_i\\, [\\mathrm{IoU}_{k,i} \\ge \\delta]}{\\sum_i w_i}

    Without weights (every :math:`w_i = 1`) a 0-d tensor, exactly
    :func:`course_utils.localization.box_accuracy_from_ious` ``.amax(1).mean()``.
    A bootstrap resample is a row of counts: scene :math:`i` drawn :math:`w_i` times.
    """
    levels = tables.iou_levels
    if levels is not None and not set(map(float, iou_thresholds)) <= set(levels):
        message = tr(
            "these tables hold IoUs rounded down to the levels {levels}: "
            "they cannot score the IoU levels {asked}"
        )
        raise CourseValueError(message.format(levels=levels, asked=tuple(iou_thresholds)))
    if weights is None:
        return box_accuracy_from_ious(tables.ious, iou_thresholds).amax(dim=1).mean()
    w = _check_weights(weights, len(tables))
    levels = torch.tensor(list(iou_thresholds), dtype=torch.float64)
    hits = (tables.ious[None] >= levels[:, None, None]).double()  # [L, T, N]
    acc = (w @ hits.reshape(-1, len(tables)).T) / w.sum(1, keepdim=True)  # [B, L * T]
    return acc.view(len(w), len(levels), -1).amax(dim=2).mean(dim=1)


def pxap_from_tables(tables: ScoreTables, weights: Tensor | None = None) -> Tensor:
    """PxAP from the pixel counts; with ``weights [B, N]``, once per row: ``[B]`` (else 0-d).

    .. math::
        P_k = \\frac{\\sum_i w_i TP_i(t_k)}{\\sum_i w_i (TP_i(t_k) + FP_i(t_k))}, \\quad
        R_k = \\frac{\\sum_i w_i TP_i(t_k)}{\\sum_i w_i |\\text{object}_i|}, \\quad
        \\mathrm{PxAP} = \\sum_k P_k (R_k - R_{k+1}),\\ R_T = 0

    with :math:`P_k = 1` where no pixel is predicted: the sum of
    :func:`course_utils.localization.pxap`, which it equals without weights.
    """
    w = torch.ones(1, len(tables), dtype=torch.float64) if weights is None else _check_weights(weights, len(tables))
    true_pos, false_pos = w @ tables.true_pos, w @ tables.false_pos  # [B, T]
    predicted = true_pos + false_pos
    foreground = w @ tables.foreground
    if (foreground <= 0).any():
        raise CourseValueError(tr("a resample holds no object pixel: recall is undefined"))
    precision = torch.where(predicted > 0, true_pos / predicted.clamp_min(1), torch.ones_like(predicted))
    recall = true_pos / foreground[:, None]
    gain = recall - torch.cat([recall[:, 1:], recall.new_zeros(len(recall), 1)], dim=1)
    result = (precision * gain).sum(1)
    return result[0] if weights is None else result


def resample_weights(n_scenes: int, n_resamples: int = N_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> Tensor:
    """Bootstrap resamples of ``n_scenes`` scenes as counts ``[n_resamples, n_scenes]`` (float64).

    Row :math:`b` draws :math:`N` scenes uniformly with replacement from a
    generator seeded with ``seed``; :math:`w_{b,i}` is how often scene
    :math:`i` was drawn, so every row sums to :math:`N`. The same seed gives
    the same resamples on every machine.
    """
    if not isinstance(n_scenes, int) or n_scenes < 1:
        message = tr("n_scenes must be a positive int, got {value}")
        raise CourseValueError(message.format(value=repr(n_scenes)))
    if not isinstance(n_resamples, int) or n_resamples < 1:
        message = tr("n_resamples must be a positive int, got {value}")
        raise CourseValueError(message.format(value=repr(n_resamples)))
    gen = torch.Generator().manual_seed(seed)
    drawn = torch.randint(n_scenes, (n_resamples, n_scenes), generator=gen)
    weights = torch.zeros(n_resamples, n_scenes, dtype=torch.float64)
    return weights.scatter_add_(1, drawn, torch.ones_like(drawn, dtype=torch.float64))


def percentile_interval(values: Tensor, level: float = 0.95) -> tuple[float, float]:
    """The central ``level`` interval of bootstrap values ``[B]``: the (1 - level)/2 and (1 + level)/2 quantiles.

    .. math:: [q_{(1-\\ell)/2},\\ q_{(1+\\ell)/2}]

    (linear interpolation between order statistics, ``torch.quantile``'s default).
    """
    if not isinstance(values, Tensor) or values.dim() != 1 or values.numel() < 2:
        message = tr("values must be a 1-D tensor of at least 2 bootstrap values, got {got}")
        raise CourseValueError(message.format(got=describe(values)))
    if not 0.0 < level < 1.0:
        message = tr("level must lie strictly between 0 and 1, got {value}")
        raise CourseValueError(message.format(value=level))
    q = torch.quantile(values.double(), torch.tensor([(1 - level) / 2, (1 + level) / 2], dtype=torch.float64))
    return q[0].item(), q[1].item()


METRICS = {"MaxBoxAccV2": max_box_acc_v2_from_tables, "PxAP": pxap_from_tables}
"""The two threshold-free measures, by name: each maps ``(tables, weights)`` to scores."""


@dataclass(frozen=True)
class SeedSummary:
    """One method's score on the test split over its training seeds, with a bootstrap over scenes."""

    per_seed: tuple[float, ...]  #: the score of each seed's model on all test scenes
    mean: float  #: their mean
    spread: float  #: largest minus smallest (0 for one seed)
    interval: tuple[float, float]  #: 95% bootstrap interval of the seed mean over test scenes
    resampled: Tensor  #: ``[B]`` the seed mean on each resample (for paired differences)


def bootstrap_scores(seed_tables: Sequence[ScoreTables], metric: str, weights: Tensor) -> SeedSummary:
    """Score one method, trained from several seeds, on the test scenes, with a bootstrap interval.

    For seeds :math:`s = 1..S` and resamples :math:`b`:
    :math:`\\bar m_b = \\frac{1}{S}\\sum_s m(\\text{tables}_s, w_b)`; the
    interval is :func:`percentile_interval` of :math:`\\bar m_b`. Every seed
    is scored on the *same* resampled scenes, so the interval is about the
    scenes; the spread over seeds is reported beside it.
    """
    if metric not in METRICS:
        message = tr("unknown metric {metric}; expected one of {known}")
        raise CourseValueError(message.format(metric=repr(metric), known=sorted(METRICS)))
    if not seed_tables:
        message = tr("seed_tables is empty: give the tables of at least one trained model")
        raise CourseValueError(message)
    n = len(seed_tables[0])
    if any(len(t) != n for t in seed_tables):
        message = tr("every seed must be scored on the same scenes, got {counts} scenes")
        raise CourseValueError(message.format(counts=[len(t) for t in seed_tables]))
    score = METRICS[metric]
    per_seed = tuple(float(score(t)) for t in seed_tables)
    resampled = torch.stack([score(t, weights) for t in seed_tables]).mean(0)
    return SeedSummary(
        per_seed,
        sum(per_seed) / len(per_seed),
        max(per_seed) - min(per_seed),
        percentile_interval(resampled),
        resampled,
    )


def difference_interval(first: SeedSummary, second: SeedSummary, level: float = 0.95) -> tuple[float, float, float]:
    """``(difference, low, high)`` of ``first.mean - second.mean``, paired on the same resamples.

    .. math:: \\Delta = \\bar m^{(1)} - \\bar m^{(2)}, \\quad
        [q_{(1-\\ell)/2}, q_{(1+\\ell)/2}] \\text{ of } \\bar m^{(1)}_b - \\bar m^{(2)}_b

    Both summaries must come from :func:`bootstrap_scores` with the same weights.
    """
    if first.resampled.shape != second.resampled.shape:
        message = tr("both summaries must come from bootstrap_scores with the same weights")
        raise CourseValueError(message)
    low, high = percentile_interval(first.resampled - second.resampled, level)
    return first.mean - second.mean, low, high


def select_on_heldout(scores: Mapping[Hashable, float]) -> Hashable:
    """The hyperparameter with the highest held-out score; exact ties go to the first in ``scores``' order.

    .. math:: \\hat\\theta = \\arg\\max_{\\theta} m_{\\text{held-out}}(\\theta)

    Choe et al.'s rule for a method's own hyperparameters (the threshold is
    not one: it is marginalised on the split being scored). Order ``scores``
    so that the first key is the one to keep on a tie (the notebook lists
    the grid from the least erasing, closest to CAM, to the most).
    """
    if not isinstance(scores, Mapping) or not scores:
        message = tr("scores must be a non-empty mapping hyperparameter -> score, got {got}")
        raise CourseValueError(message.format(got=describe(scores)))
    values = [float(v) for v in scores.values()]
    if any(v != v for v in values):
        raise CourseValueError(tr("scores must not contain NaN"))
    best = max(values)
    return next(key for key, v in zip(scores, values) if v == best)


def centre_gaussian_map(size: int = 64, sigma: float = 16.0) -> Tensor:
    """A map that knows nothing about the image: an isotropic Gaussian at the image centre, ``[size, size]``.

    .. math:: G(x, y) = \\exp\\Big(-\\frac{(x - c)^2 + (y - c)^2}{2\\sigma^2}\\Big), \\quad c = \\frac{size}{2}

    at pixel centres :math:`x, y = 0.5, 1.5, \\dots`. Its thresholded masks
    are centred discs, so MaxBoxAccV2 tries centred boxes of every size;
    :math:`\\sigma` only spaces the discs over the 100 thresholds.
    """
    if not isinstance(size, int) or size < 2:
        raise CourseValueError(tr("size must be an int >= 2, got {size}").format(size=repr(size)))
    if not sigma > 0:
        raise CourseValueError(tr("sigma must be positive, got {sigma}").format(sigma=sigma))
    centres = torch.arange(size, dtype=torch.float64) + 0.5 - size / 2
    return torch.exp(-(centres[:, None] ** 2 + centres[None, :] ** 2) / (2 * sigma**2)).float()


def whole_image_map(size: int = 64) -> Tensor:
    """The map of "the object is everywhere": constant ``[size, size]``.

    It normalises to zeros, so only threshold 0 keeps pixels: one box, the
    whole image, and every pixel predicted (PxAP = the object's share of the pixels).
    """
    if not isinstance(size, int) or size < 2:
        raise CourseValueError(tr("size must be an int >= 2, got {size}").format(size=repr(size)))
    return torch.ones(size, size)


def largest_component_boxes(maps: Tensor, threshold: float) -> Tensor:
    """The box of the largest 8-connected component of each map's :math:`\\tilde M_i \\ge t`: ``[N, 4]`` (int64).

    The original MaxBoxAcc's one box per scene; ``(0, 0, 0, 0)`` (the no-box) where nothing is left.
    """
    if not isinstance(maps, Tensor) or maps.dim() != 3 or not maps.is_floating_point():
        message = tr("maps must be a float tensor [N, H, W], got {got}")
        raise CourseValueError(message.format(got=describe(maps)))
    if not 0.0 <= threshold <= 1.0:
        message = tr("threshold must lie in [0, 1], got {threshold}")
        raise CourseValueError(message.format(threshold=threshold))
    normalised = min_max_normalise(maps.detach()).cpu().numpy()
    predicted, sizes, image = component_boxes(torch.from_numpy(normalised >= float(threshold)))
    keep = largest_of_each_image(sizes, image, len(maps))
    boxes = torch.zeros(len(maps), 4, dtype=torch.int64)
    boxes[image[keep]] = predicted[keep]
    return boxes


def box_centres(boxes: Tensor) -> Tensor:
    """Centres ``(x, y)`` of boxes ``[N, 4]`` ``(x0, y0, x1, y1)`` (x1, y1 exclusive): ``[N, 2]`` float64.

    .. math:: c = \\big(\\tfrac{x_0 + x_1}{2},\\ \\tfrac{y_0 + y_1}{2}\\big)

    in pixel coordinates, where pixel ``(x, y)`` covers ``[x, x + 1)``.
    """
    check_boxes(boxes)
    b = boxes.double()
    return torch.stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2], dim=1)


def mask_centroids(masks: Tensor) -> Tensor:
    """Centre of mass ``(x, y)`` of each mask ``[N, H, W]``: ``[N, 2]`` float64, at pixel centres.

    .. math:: c = \\frac{1}{|m|} \\sum_{(x, y) \\in m} (x + \\tfrac12,\\ y + \\tfrac12)
    """
    if not isinstance(masks, Tensor) or masks.dim() != 3 or masks.dtype != torch.bool:
        message = tr("masks must be a bool tensor [N, H, W], got {got}")
        raise CourseValueError(message.format(got=describe(masks)))
    counts = masks.flatten(1).sum(1).double()
    if (counts == 0).any():
        message = tr("every mask needs at least one True pixel to have a centroid")
        raise CourseValueError(message)
    ys = torch.arange(masks.shape[1], dtype=torch.float64) + 0.5
    xs = torch.arange(masks.shape[2], dtype=torch.float64) + 0.5
    m = masks.double()
    return torch.stack([(m.sum(1) * xs).sum(1) / counts, (m.sum(2) * ys).sum(1) / counts], dim=1)


def weighted_mean_interval(values: Tensor, weights: Tensor, level: float = 0.95) -> tuple[float, float, float]:
    """``(mean, low, high)`` of per-scene values ``[N]``, the interval from bootstrap counts ``[B, N]``.

    .. math:: \\bar v = \\frac1N \\sum_i v_i, \\qquad
        [q_{(1-\\ell)/2}, q_{(1+\\ell)/2}] \\text{ of } \\frac{\\sum_i w_{b,i} v_i}{\\sum_i w_{b,i}}
    """
    if not isinstance(values, Tensor) or values.dim() != 1:
        message = tr("values must be a 1-D tensor, one per scene, got {got}")
        raise CourseValueError(message.format(got=describe(values)))
    w = _check_weights(weights, len(values))
    resampled = (w @ values.double()) / w.sum(1)
    return values.double().mean().item(), *percentile_interval(resampled, level)

r"""Can you trust a map? The tests an explanation must pass (notebook 07).

Three kinds of test, each a function here:

- **Sanity checks** (Adebayo et al. 2018): destroy what the model learnt and
  see whether the map notices. :func:`cascading_randomisation` re-initialises
  the model's layers one by one from the top; the map of each step is compared
  with the original by :func:`spearman` (rank correlation) and :func:`ssim`
  (structural similarity). A map that barely changes explains the image, not
  the model. The other check, a model trained on shuffled labels, ships as
  the checkpoint ``gap_cnn_permuted_labels``.
- **Faithfulness** (Petsiuk et al. 2018): :func:`deletion_curve` removes the
  pixels the map ranks first and watches the class probability fall;
  :func:`insertion_curve` puts them back into a blurred image and watches it
  rise. :func:`curve_area` gives the area under a curve (deletion: lower is
  better; insertion: higher is better).
- **Against ground truth**, which only a world like the course's has:
  :func:`energy_shares` (the share of the map's positive mass on the head,
  the body and the background: the energy-based pointing game of Wang et
  al. 2020, split by region), next to :mod:`course_utils.localization`'s
  pointing game, MaxBoxAccV2 and PxAP.

Maps are ``[N, h, w]`` (any resolution; they are upsampled to the image where
pixels are needed); nothing here changes the model passed in.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_utils.errors import CourseValueError
from course_utils.hooks import Target, check_images, class_scores, eval_mode, resolve_target
from course_utils.language import tr
from course_utils.maps import to_image, upsample

__all__ = [
    "top_down_layers",
    "cascading_randomisation",
    "randomisation_similarity",
    "spearman",
    "ssim",
    "gaussian_window",
    "GREY",
    "blur",
    "deletion_curve",
    "insertion_curve",
    "curve_area",
    "energy_shares",
]

GREY = 0.5
"""The deletion baseline: a removed pixel becomes mid-grey (the images are in [0, 1])."""


# --- sanity checks: cascading randomisation ------------------------------------------------


def top_down_layers(model: nn.Module) -> list[str]:
    """Names of the modules that hold parameters of their own, last layer first: the cascade's order."""
    names = [name for name, m in model.named_modules() if name and any(True for _ in m.parameters(recurse=False))]
    return names[::-1]


def cascading_randomisation(
    model: nn.Module, layers: Sequence[str] | None = None, *, seed: int = 0
) -> Iterator[tuple[str, nn.Module]]:
    """Yield ``(layer name, copy)`` with the layers re-initialised cumulatively, from the top (Adebayo et al. 2018).

    Step ``i``'s copy has ``layers[0]``, ..., ``layers[i]`` re-initialised
    (each submodule's own ``reset_parameters``, which for batch norm also
    resets its running statistics), every other weight as trained. ``layers``
    are names of submodules, top first (default :func:`top_down_layers`); a
    name may be a block such as ``"features.4"``. Seeded: the same ``seed``
    gives the same random weights, and the global random state is left as it
    was. The model passed in is not changed.
    """
    layers = top_down_layers(model) if layers is None else list(layers)
    modules = dict(model.named_modules())
    unknown = [name for name in layers if name not in modules]
    if unknown:
        message = tr("cascading_randomisation: {unknown} are not submodules of the model")
        raise CourseValueError(message.format(unknown=unknown))
    randomised = copy.deepcopy(model)
    named = dict(randomised.named_modules())
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for name in layers:
            for module in named[name].modules():
                if hasattr(module, "reset_parameters"):
                    module.reset_parameters()
            yield name, copy.deepcopy(randomised)


def randomisation_similarity(
    explain: Callable[[nn.Module], Tensor],
    model: nn.Module,
    layers: Sequence[str] | None = None,
    *,
    size: int = 64,
    seed: int = 0,
) -> dict[str, Tensor]:
    """Spearman and SSIM of each cascade step's maps with the trained model's: ``{"spearman", "ssim"}``, ``[S, N]``.

    ``explain(model)`` returns maps ``[N, h, w]`` for a fixed batch of images
    and fixed targets (e.g. ``lambda m: grad_cam(m, m.features, images, labels)``:
    the layer must be read from the model it is given). Maps are compared
    after :func:`to_image` (normalised to [0, 1], upsampled to ``size``).
    """
    original = to_image(explain(model), size)
    spearmans, ssims = [], []
    for _, randomised in cascading_randomisation(model, layers, seed=seed):
        maps = to_image(explain(randomised), size)
        spearmans.append(spearman(original, maps))
        ssims.append(ssim(original, maps))
    return {"spearman": torch.stack(spearmans), "ssim": torch.stack(ssims)}


def _average_ranks(values: Tensor) -> Tensor:
    """Ranks 0..P-1 of each row ``[N, P]``; tied values share the mean of their ranks."""
    ranks = torch.empty(values.shape, dtype=torch.float64, device=values.device)
    for i, row in enumerate(values):
        unique, inverse, counts = torch.unique(row, return_inverse=True, return_counts=True)
        first = torch.cumsum(counts, 0) - counts  # rank of each distinct value's first copy
        ranks[i] = (first + (counts - 1) / 2).double()[inverse]
    return ranks


def spearman(a: Tensor, b: Tensor) -> Tensor:
    r"""Spearman rank correlation of each pair of maps ``[N, h, w]``: ``[N]``, in [-1, 1].

    The Pearson correlation of the pixels' ranks, ties sharing their mean
    rank (a ReLU'd map has many zeros). A constant map has no ranking: its
    correlation is defined as 0.
    """
    if a.shape != b.shape or a.dim() != 3:
        message = tr("spearman needs two batches of maps [N, h, w] of one shape, got {a}, {b}")
        raise CourseValueError(message.format(a=tuple(a.shape), b=tuple(b.shape)))
    ra, rb = _average_ranks(a.flatten(1)), _average_ranks(b.flatten(1))
    ra, rb = ra - ra.mean(1, keepdim=True), rb - rb.mean(1, keepdim=True)
    norm = ra.norm(dim=1) * rb.norm(dim=1)
    return torch.where(norm > 0, (ra * rb).sum(1) / torch.where(norm > 0, norm, 1), 0).float()


def gaussian_window(size: int = 11, sigma: float = 1.5) -> Tensor:
    """The normalised 2-D Gaussian window ``[size, size]`` of SSIM (Wang et al. 2004: 11 pixels, sigma 1.5)."""
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = g / g.sum()
    return g[:, None] * g[None, :]


def ssim(a: Tensor, b: Tensor, *, window: int = 11, sigma: float = 1.5, data_range: float = 1.0) -> Tensor:
    r"""Structural similarity of each pair of maps ``[N, h, w]`` (values in [0, ``data_range``]): ``[N]``.

    .. math::
        \mathrm{SSIM}(a, b) = \operatorname{mean}_p
            \frac{(2 \mu_a \mu_b + C_1)(2 \sigma_{ab} + C_2)}{(\mu_a^2 + \mu_b^2 + C_1)(\sigma_a^2 + \sigma_b^2 + C_2)}

    with local means, variances and covariance taken under a Gaussian window
    (``window`` pixels, ``sigma``), :math:`C_1 = (0.01 L)^2`,
    :math:`C_2 = (0.03 L)^2`, :math:`L` = ``data_range``, averaged over the
    positions where the window fits inside the map (Wang et al. 2004; the
    same as scikit-image's ``structural_similarity`` with
    ``gaussian_weights=True, use_sample_covariance=False``). 1 for identical
    maps; it compares local brightness, contrast and structure, so it sees
    a shifted blob that a global correlation may forgive. Computed in float64.
    """
    if a.shape != b.shape or a.dim() != 3:
        message = tr("ssim needs two batches of maps [N, h, w] of one shape, got {a}, {b}")
        raise CourseValueError(message.format(a=tuple(a.shape), b=tuple(b.shape)))
    if min(a.shape[-2:]) < window:
        message = tr("ssim's window ({window}) is larger than the maps {size}: upsample them")
        raise CourseValueError(message.format(window=window, size=tuple(a.shape[-2:])))
    kernel = gaussian_window(window, sigma).to(a.device)[None, None]
    x, y = a[:, None].double(), b[:, None].double()

    def local_mean(t: Tensor) -> Tensor:
        return F.conv2d(t, kernel)

    mu_x, mu_y = local_mean(x), local_mean(y)
    var_x = local_mean(x * x) - mu_x**2
    var_y = local_mean(y * y) - mu_y**2
    cov = local_mean(x * y) - mu_x * mu_y
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    index = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return index.flatten(1).mean(1).float()


# --- faithfulness: deletion and insertion ---------------------------------------------------


def blur(images: Tensor, sigma: float = 5.0) -> Tensor:
    """Gaussian blur of ``[N, 3, H, W]`` (kernel ``4 sigma + 1`` wide, reflecting borders): insertion's start."""
    radius = int(2 * sigma)
    x = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = (g / g.sum())[None, None, None].expand(3, 1, 1, -1)
    padded = F.pad(images, (radius, radius, 0, 0), mode="reflect")
    rows = F.conv2d(padded, g, groups=3)
    padded = F.pad(rows, (0, 0, radius, radius), mode="reflect")
    return F.conv2d(padded, g.transpose(-1, -2), groups=3)


def _pixel_order(maps: Tensor, size: tuple[int, int]) -> Tensor:
    """Pixel indices ``[N, H*W]`` from the map's highest to its lowest (ties in scan order: a stable sort)."""
    pixels = upsample(maps.float(), size).flatten(1)
    return torch.sort(-pixels, dim=1, stable=True).indices


def _probability_curve(
    model: nn.Module, intact: Tensor, start: Tensor, end: Tensor, maps: Tensor, target: Target, steps: int,
    batch_size: int, method: str,
) -> Tensor:
    """Class probability as the map's top pixels go from ``start`` to ``end``: ``[N, steps + 1]``.

    The class: ``target``, or the prediction on the ``intact`` images.
    """
    images, end = start, end.to(start.device)
    n, _, height, width = images.shape
    order = _pixel_order(maps.to(images.device), (height, width))  # [N, P]
    pixels = height * width
    counts = [round(pixels * s / steps) for s in range(steps + 1)]
    rank = torch.empty_like(order)
    rank.scatter_(1, order, torch.arange(pixels, device=images.device).expand(n, -1))  # rank of each pixel
    curve = torch.empty(n, steps + 1, device=images.device)
    with eval_mode(model), torch.no_grad():
        c = resolve_target(target, class_scores(model, intact, method=method), method=method)
        pairs = [(i, s) for s in range(steps + 1) for i in range(n)]
        for chunk in range(0, len(pairs), batch_size):
            index = torch.tensor([i for i, _ in pairs[chunk : chunk + batch_size]], device=images.device)
            step = torch.tensor([s for _, s in pairs[chunk : chunk + batch_size]], device=images.device)
            moved = rank[index] < torch.tensor(counts, device=images.device)[step][:, None]  # [B, P]
            mask = moved.view(-1, 1, height, width).to(images.dtype)
            batch = images[index] * (1 - mask) + end[index] * mask
            probability = class_scores(model, batch, method=method).softmax(dim=1)
            curve[index, step] = probability.gather(1, c[index, None])[:, 0]
    return curve


def deletion_curve(
    model: nn.Module,
    images: Tensor,
    maps: Tensor,
    target: Target = None,
    *,
    baseline: str | float = "grey",
    steps: int = 16,
    batch_size: int = 512,
) -> Tensor:
    r"""Deletion (Petsiuk et al. 2018): the class probability as the map's top pixels are removed, ``[N, steps + 1]``.

    Point :math:`s` removes the :math:`s/\text{steps}` share of the pixels the
    map (upsampled to the image) ranks highest, replacing them with the
    baseline: ``"grey"`` (:data:`GREY`, 0.5 in every channel), ``"blur"``
    (the image blurred by :func:`blur`) or a number. The probability is the
    softmax's, of class :math:`c` (``target``; ``None``: the prediction on
    the intact image). A faithful map makes it fall fast: a small
    :func:`curve_area`. Ties in the map are removed in scan order.
    """
    images = check_images(model, images, method="deletion_curve")
    return _probability_curve(
        model, images, images, _baseline(images, baseline), maps, target, steps, batch_size, "deletion_curve"
    )


def insertion_curve(
    model: nn.Module,
    images: Tensor,
    maps: Tensor,
    target: Target = None,
    *,
    baseline: str | float = "blur",
    steps: int = 16,
    batch_size: int = 512,
) -> Tensor:
    r"""Insertion (Petsiuk et al. 2018): the class probability as the map's top pixels are put back, ``[N, steps + 1]``.

    Starts from the baseline (``"blur"`` by default: the image blurred by
    :func:`blur`, which keeps its colours but not its shapes; or ``"grey"``,
    or a number) and puts back the :math:`s/\text{steps}` share of the
    pixels the map ranks highest. A faithful map makes the probability rise
    fast: a large :func:`curve_area`.
    """
    images = check_images(model, images, method="insertion_curve")
    return _probability_curve(
        model, images, _baseline(images, baseline), images, maps, target, steps, batch_size, "insertion_curve"
    )


def curve_area(curve: Tensor) -> Tensor:
    """Area under each curve ``[N, S]`` on [0, 1] (trapezoid rule, points evenly spaced): ``[N]``."""
    if curve.dim() != 2 or curve.shape[1] < 2:
        message = tr("curve_area needs curves [N, S] with S >= 2 points, got {shape}")
        raise CourseValueError(message.format(shape=tuple(curve.shape)))
    return torch.trapezoid(curve, dx=1.0 / (curve.shape[1] - 1), dim=1)


def _baseline(images: Tensor, baseline: str | float) -> Tensor:
    if baseline == "grey":
        return torch.full_like(images, GREY)
    if baseline == "blur":
        return blur(images)
    if isinstance(baseline, (int, float)) and not isinstance(baseline, bool):
        return torch.full_like(images, float(baseline))
    message = tr("baseline must be 'grey', 'blur' or a number, got {baseline}")
    raise CourseValueError(message.format(baseline=repr(baseline)))


# --- against ground truth -------------------------------------------------------------------


def energy_shares(maps: Tensor, masks: Tensor, part_masks: Tensor) -> Tensor:
    r"""Share of each map's positive mass on the head, the body and the background: ``[N, 3]``, rows sum to 1.

    .. math::
        E_r = \frac{\sum_{p \in r} \max(M(p), 0)}{\sum_p \max(M(p), 0)},
        \qquad r \in \{\text{part}, \text{object} \setminus \text{part}, \text{background}\}

    with the map upsampled to the masks' size (bilinear). :math:`E_\text{part}`
    per image is Wang et al.'s energy-based pointing game on the head. No
    normalisation: the share does not depend on the map's scale. A map with
    no positive mass gets the regions' shares of the image (a uniform map's).
    """
    if masks.shape != part_masks.shape or masks.dim() != 3:
        message = tr(
            "energy_shares needs masks and part_masks [N, H, W] of one shape, got {a}, {b}"
        )
        raise CourseValueError(message.format(a=tuple(masks.shape), b=tuple(part_masks.shape)))
    mass = F.relu(upsample(maps.float(), tuple(masks.shape[-2:]))).double()
    masks, part = masks.to(mass.device), part_masks.to(mass.device)
    regions = torch.stack([part, masks & ~part, ~masks], dim=1).double()  # [N, 3, H, W]
    total = mass.flatten(1).sum(1)
    uniform = regions.flatten(2).mean(2)
    shares = (regions * mass[:, None]).flatten(2).sum(2) / torch.where(total > 0, total, 1)[:, None]
    return torch.where(total[:, None] > 0, shares, uniform).float()


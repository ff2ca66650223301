"""The course's four small classifiers, all on one convolutional backbone.

Every model has the same two parts that the explanation methods look for:

- ``model.features``: the backbone. Its output, the feature maps
  :math:`f_k(x, y)` (``[N, K, h, w]``), keeps *where* things are.
- a head that turns the feature maps into class scores (logits).

The heads are what the course compares:

==================  =============================================  ============
model               head                                           CAM applies?
==================  =============================================  ============
``GapCNN``          GAP, then a bias-free linear layer ``fc``      yes
``FlattenCNN``      flatten, then fully-connected layers           no (Grad-CAM)
``ConvHeadCNN``     a 1x1 convolution ``classifier``, then GAP     yes, built in
``ACoL``            two 1x1-conv branches, erasing between them    fused maps
==================  =============================================  ============

and one model that is no classifier: ``MaskCNN``, the same backbone with a
1x1 convolution that predicts the object mask, trained with full
supervision on a few labelled scenes (the few-shot baseline of Choe et al.).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from course_utils.checks import describe
from course_utils.errors import CourseValueError
from course_utils.language import tr
from course_utils.maps import min_max_normalise

NUM_CLASSES = 4
"""The scenes have four classes (see :mod:`course_utils.scenes`)."""


def conv_block(in_channels: int, out_channels: int, kernel_size: int = 3) -> nn.Sequential:
    """Convolution (same padding), batch norm, ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class Backbone(nn.Sequential):
    """Three 3x3 conv blocks, two 2x2 max-pools, one 1x1 conv block: ``[N, 3, 64, 64] -> [N, C, 16, 16]``.

    Each position of the 16x16 output stands for a 4x4-pixel cell of the
    image and sees an 18x18-pixel window around it (its receptive field).
    The window is kept smaller than a creature (20 to 30 pixels long), so a
    feature on the far end of the body cannot see the head; the last block is
    1x1 for that reason (it mixes channels without widening the window).
    """

    def __init__(self, widths: tuple[int, int, int] = (16, 32, 64)) -> None:
        c1, c2, c3 = widths
        super().__init__(
            conv_block(3, c1),
            nn.MaxPool2d(2),
            conv_block(c1, c2),
            nn.MaxPool2d(2),
            conv_block(c2, c3),
            conv_block(c3, c3, kernel_size=1),
        )
        self.out_channels = c3

    def __getitem__(self, index: int | slice) -> nn.Module:
        """``backbone[i]`` is one layer; ``backbone[:k]`` the first k layers, as a plain ``nn.Sequential``."""
        if isinstance(index, slice):
            return nn.Sequential(*list(self)[index])
        return super().__getitem__(index)


class GapCNN(nn.Module):
    """Backbone, global average pooling (GAP), bias-free linear layer.

    .. math::
        F_k = \\frac{1}{hw} \\sum_{x,y} f_k(x, y), \\qquad
        S_c = \\sum_k w_k^c F_k

    Because both steps are linear, :math:`S_c` is the spatial mean of the
    class activation map :math:`M_c(x, y) = \\sum_k w_k^c f_k(x, y)`: the
    architecture CAM was designed for.
    """

    def __init__(self, num_classes: int = NUM_CLASSES, widths: tuple[int, int, int] = (16, 32, 64)) -> None:
        super().__init__()
        self.features = Backbone(widths)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(self.features.out_channels, num_classes, bias=False)

    def forward(self, images: Tensor) -> Tensor:
        return self.fc(self.pool(self.features(images)).flatten(1))


class FlattenCNN(nn.Module):
    """Backbone, flatten, two fully-connected layers: the classic (VGG/AlexNet) head.

    The head sees every position separately, so there is no single weight per
    channel and CAM does not apply; Grad-CAM does. The feature maps are
    max-pooled to 8x8 before flattening to keep the head (and the checkpoint)
    small: ``C * 8 * 8 * hidden`` weights, still far more than GAP's ``C * classes``.
    """

    def __init__(
        self, num_classes: int = NUM_CLASSES, widths: tuple[int, int, int] = (16, 32, 64), hidden: int = 128
    ) -> None:
        super().__init__()
        self.features = Backbone(widths)
        self.head = nn.Sequential(
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(self.features.out_channels * 8 * 8, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, images: Tensor) -> Tensor:
        return self.head(self.features(images))


class ConvHeadCNN(nn.Module):
    """Backbone, a 1x1 convolution with one output channel per class, then GAP: a class-map head.

    Network in Network ends the same way, but with a ReLU after its 1x1 convolution; this head
    has none, so its maps are linear in the features, exactly CAM's.

    .. math::
        M_c(x, y) = \\sum_k w_k^c f_k(x, y), \\qquad S_c = \\frac{1}{hw} \\sum_{x,y} M_c(x, y)

    The 1x1 convolution's output *is* the class activation map; GAP then turns
    each map into a score. With the same weights this is the same function as
    :class:`GapCNN` (GAP and the weighted sum are both linear, so they commute).
    """

    def __init__(self, num_classes: int = NUM_CLASSES, widths: tuple[int, int, int] = (16, 32, 64)) -> None:
        super().__init__()
        self.features = Backbone(widths)
        self.classifier = nn.Conv2d(self.features.out_channels, num_classes, kernel_size=1, bias=False)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def class_maps(self, images: Tensor) -> Tensor:
        """The class activation maps ``[N, classes, h, w]``, read straight off the head."""
        return self.classifier(self.features(images))

    def forward(self, images: Tensor) -> Tensor:
        return self.pool(self.class_maps(images)).flatten(1)


@dataclass
class ACoLOutput:
    """Everything one ACoL forward pass computes, for teaching and for the loss."""

    logits_a: Tensor  #: ``[N, classes]`` classifier A's scores
    logits_b: Tensor  #: ``[N, classes]`` classifier B's scores, from the erased features
    maps_a: Tensor  #: ``[N, classes, h, w]`` classifier A's class maps
    maps_b: Tensor  #: ``[N, classes, h, w]`` classifier B's class maps
    target: Tensor  #: ``[N]`` the class whose map of A decided the erasing
    erased: Tensor  #: ``[N, h, w]`` bool, the feature positions set to zero for B
    fused: Tensor  #: ``[N, h, w]`` max of A's and B's normalised maps for ``target``


def class_map_branch(in_channels: int, num_classes: int) -> nn.Conv2d:
    """One ACoL classifier: a 1x1 convolution to one map per class (the head of :class:`ConvHeadCNN`).

    The paper's classifiers put extra 3x3 convolutions before the 1x1; ours
    skip them to train in seconds on a CPU, so all the adapting to the
    erasing happens in the shared backbone.
    """
    return nn.Conv2d(in_channels, num_classes, kernel_size=1, bias=False)


class ACoL(nn.Module):
    """Adversarial Complementary Learning (Zhang et al., CVPR 2018).

    A shared backbone feeds classifier A. A's map for the target class
    :math:`c` (the label in training, A's prediction otherwise), min-max
    normalised to :math:`\\tilde M^A_c`, erases the shared feature maps where
    it is at least ``delta``:

    .. math::
        \\tilde f_k(x, y) = f_k(x, y) \\cdot [\\tilde M^A_c(x, y) < \\delta]

    Classifier B must classify from what is left, so it learns the object's
    other parts. Training minimises :math:`CE(S^A, y) + CE(S^B, y)`. The
    localization map is :math:`\\max(\\tilde M^A_c, \\tilde M^B_c)`.
    ``forward`` returns the mean of the two branches' logits.
    """

    def __init__(
        self, num_classes: int = NUM_CLASSES, widths: tuple[int, int, int] = (16, 32, 64), delta: float = 0.7
    ) -> None:
        super().__init__()
        if not 0.0 < delta <= 1.0:
            raise CourseValueError(tr("delta must be in (0, 1], got {delta}").format(delta=delta))
        self.delta = delta
        self.features = Backbone(widths)
        self.branch_a = class_map_branch(self.features.out_channels, num_classes)
        self.branch_b = class_map_branch(self.features.out_channels, num_classes)

    def run(self, images: Tensor, labels: Tensor | None = None, delta: float | None = None) -> ACoLOutput:
        """One full ACoL pass. ``labels`` picks the erased class (else A's prediction); ``delta`` overrides ``self.delta``."""
        return self.from_features(self.features(images), labels, delta)

    def from_features(
        self, features: Tensor, labels: Tensor | None = None, delta: float | None = None, maps_a: Tensor | None = None
    ) -> ACoLOutput:
        """ACoL from the backbone's output on: classifier A, the erasing, classifier B, the fused map.

        An explorer that caches ``features`` (and A's maps, ``maps_a``) can
        move delta at the cost of one 1x1 convolution, with the same code.
        """
        delta = self.delta if delta is None else delta
        maps_a = self.branch_a(features) if maps_a is None else maps_a
        logits_a = maps_a.mean((-2, -1))
        target = logits_a.argmax(1) if labels is None else labels
        rows = torch.arange(len(features), device=features.device)
        norm_a = min_max_normalise(maps_a[rows, target].detach())
        erased = norm_a >= delta
        maps_b = self.branch_b(features * (~erased).unsqueeze(1).to(features.dtype))
        logits_b = maps_b.mean((-2, -1))
        fused = torch.maximum(norm_a, min_max_normalise(maps_b[rows, target].detach()))
        return ACoLOutput(logits_a, logits_b, maps_a, maps_b, target, erased, fused)

    def forward(self, images: Tensor) -> Tensor:
        out = self.run(images)
        return (out.logits_a + out.logits_b) / 2


class MaskCNN(nn.Module):
    """Backbone, then a 1x1 convolution with bias to one map: the few-shot, fully supervised baseline.

    .. math::
        z(x, y) = \\sum_k v_k f_k(x, y) + b, \\qquad
        \\mathcal{L} = \\mathrm{BCE}\\big(\\sigma(z(x, y)),\\ m(x, y)\\big)

    where :math:`m(x, y)` is the fraction of the 4x4-pixel cell of position
    :math:`(x, y)` that the object covers (:func:`mask_targets`). It is
    trained on the held-out split's masks only (Choe et al.'s
    ``train-fullsup``), never on a class label, and its map :math:`z` is
    scored like a class map. ``forward`` returns ``z``: ``[N, h, w]``.
    """

    def __init__(self, widths: tuple[int, int, int] = (16, 32, 64)) -> None:
        super().__init__()
        self.features = Backbone(widths)
        self.mask_head = nn.Conv2d(self.features.out_channels, 1, kernel_size=1)

    def forward(self, images: Tensor) -> Tensor:
        return self.mask_head(self.features(images))[:, 0]


def mask_targets(masks: Tensor, cell: int = 4) -> Tensor:
    """Object masks ``[N, H, W]`` to the fraction of each ``cell x cell`` block on the object: ``[N, H/cell, W/cell]``.

    .. math:: m(x, y) = \\frac{1}{c^2} \\sum_{(u, v) \\in \\text{cell}(x, y)} [\\text{object}(u, v)]
    """
    if not isinstance(masks, Tensor) or masks.dim() != 3 or masks.dtype != torch.bool:
        message = tr("masks must be a bool tensor [N, H, W], got {got}")
        raise CourseValueError(message.format(got=describe(masks)))
    if masks.shape[1] % cell or masks.shape[2] % cell:
        message = tr("the mask size {size} is not a multiple of the cell size {cell}")
        raise CourseValueError(message.format(size=tuple(masks.shape[1:]), cell=cell))
    return nn.functional.avg_pool2d(masks[:, None].float(), cell)[:, 0]


MODEL_CLASSES: dict[str, type[nn.Module]] = {
    "GapCNN": GapCNN,
    "FlattenCNN": FlattenCNN,
    "ConvHeadCNN": ConvHeadCNN,
    "ACoL": ACoL,
    "MaskCNN": MaskCNN,
}

"""The real-photo path: Grad-CAM on an ImageNet ResNet-18, when its weights can be had.

The course runs offline, on synthetic scenes. Its last step points at the
real thing: a photograph and torchvision's ResNet-18 trained on ImageNet.
The pretrained weights (about 45 MB) are read from the local torch hub cache
(``torch.hub.get_dir()/checkpoints``) when they are there, and downloaded
otherwise, as on Binder. Without them, :func:`load_imagenet_resnet18` says
so in one sentence and returns ``None``, and a notebook goes on.

Everything else here works offline: the photo (matplotlib's bundled sample
of Grace Hopper), the ImageNet preprocessing, and the class names (they
ship with torchvision, not with the weights).

torchvision is imported only once the weights are in hand: importing it
takes seconds (it pulls in ``torch._dynamo``), a good part of a notebook's
time budget, and the offline path does not need it. The preprocessing is
therefore written with torch alone; a test checks it against the weights'
own ``transforms()``.

Example::

    loaded = load_imagenet_resnet18()
    if loaded is not None:
        model, categories = loaded
        explanation = explain_photo(model, categories, sample_photo())
"""

from __future__ import annotations

import contextlib
import io
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import matplotlib.image
import torch
import torch.nn.functional as F
from matplotlib import cbook
from torch import Tensor, nn

from course_utils.cam import grad_cam
from course_utils.checks import describe
from course_utils.errors import CourseValueError
from course_utils.hooks import eval_mode
from course_utils.language import tr

if TYPE_CHECKING:
    from torchvision.models import ResNet18_Weights

__all__ = [
    "OFFLINE_MESSAGE",
    "WEIGHTS_URL",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "load_imagenet_resnet18",
    "sample_photo",
    "center_crop",
    "preprocess",
    "PhotoExplanation",
    "explain_photo",
]

OFFLINE_MESSAGE = (
    "The pretrained ImageNet weights of ResNet-18 are unavailable offline (they are not in the torch hub cache "
    "and could not be downloaded), so the real-photo example is skipped; the rest of the course needs no "
    "download and goes on."
)
"""The one sentence printed when the weights cannot be had."""

WEIGHTS_URL = "https://download.pytorch.org/models/resnet18-f37072fd.pth"
"""Where torchvision's ``ResNet18_Weights.DEFAULT`` (``IMAGENET1K_V1``) live; a test checks that they agree."""

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
RESIZE = 256  # shorter side, then ...
CROP = 224  # ... a centred square: the standard ImageNet evaluation view


def _pretrained_state_dict() -> dict[str, Tensor]:
    """The ImageNet weights of ResNet-18: from the hub cache, else downloaded. The one step that may need the network.

    Exactly what ``resnet18(weights=ResNet18_Weights.DEFAULT)`` does
    (``weights.get_state_dict(check_hash=True)``): the same URL, the same
    cache file, the file's hash checked against the name; tests replace it.
    """
    return torch.hub.load_state_dict_from_url(WEIGHTS_URL, progress=False, check_hash=True, map_location="cpu")


def load_imagenet_resnet18(*, timeout: float = 10.0) -> tuple[nn.Module, list[str]] | None:
    """ResNet-18 with its ImageNet weights, in eval mode, and the 1,000 class names; ``None`` without the weights.

    Any failure to get the weights (no network: ``URLError``; a stalled
    connection: ``TimeoutError``; a corrupt cached file: ``RuntimeError``, and
    so on) prints :data:`OFFLINE_MESSAGE`, one sentence and no traceback, and
    returns ``None``.

    Args:
        timeout: seconds that one network operation (connecting, or one read
            of the download) may stall before it fails. It is set as the
            socket module's default timeout for the duration of the call
            only, since ``torch.hub`` opens its connection without one;
            the previous default is restored afterwards, also on failure.
    """
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        # torch.hub prints 'Downloading: "https://..." to ...' even with progress=False; keep the output to one line.
        with contextlib.redirect_stdout(io.StringIO()):
            state = _pretrained_state_dict()
    except Exception:  # noqa: BLE001 - whatever went wrong, the answer is the same: go on without the weights
        print(OFFLINE_MESSAGE)
        return None
    finally:
        socket.setdefaulttimeout(previous)
    from torchvision.models import ResNet18_Weights, resnet18  # only now: see the module docstring

    model = resnet18()
    model.load_state_dict(state)
    return model.eval(), list(ResNet18_Weights.DEFAULT.meta["categories"])


def sample_photo() -> Tensor:
    """matplotlib's bundled sample photo (Grace Hopper, 512 pixels wide, 600 high) as a float ``[3, H, W]`` in [0, 1]."""
    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    pixels = matplotlib.image.imread(path)  # [H, W, 3] uint8, decoded by Pillow (a dependency of matplotlib)
    return torch.from_numpy(pixels.copy()).permute(2, 0, 1).float() / 255


def center_crop(photo: Tensor, *, resize: int = RESIZE, crop: int = CROP) -> Tensor:
    """Resize the shorter side of ``[3, H, W]`` to ``resize`` (bilinear, antialiased), then cut the centred square.

    The view that ImageNet models are evaluated on, computed as torchvision's
    ``Resize(resize)`` and ``CenterCrop(crop)`` compute it; still in [0, 1],
    so it can be shown, and a map laid over it.
    """
    if not isinstance(photo, Tensor) or photo.dim() != 3 or photo.shape[0] != 3 or not photo.is_floating_point():
        message = tr("photo must be a float tensor [3, H, W] in [0, 1], got {got}")
        raise CourseValueError(message.format(got=describe(photo)))
    height, width = photo.shape[-2:]
    long_side = int(resize * max(height, width) / min(height, width))  # rounded down, as torchvision does
    size = (long_side, resize) if width <= height else (resize, long_side)
    resized = F.interpolate(photo[None], size=size, mode="bilinear", align_corners=False, antialias=True)[0]
    top, left = int(round((size[0] - crop) / 2.0)), int(round((size[1] - crop) / 2.0))
    return resized[:, top : top + crop, left : left + crop]


def preprocess(photo: Tensor, weights: ResNet18_Weights | None = None) -> Tensor:
    """A photo ``[3, H, W]`` in [0, 1] -> the model's input batch ``[1, 3, 224, 224]``.

    With ``weights``, their own transforms (``weights.transforms()``: resize
    to 256, centre crop 224, normalise); without, the same steps
    (:func:`center_crop`) and the standard ImageNet mean and standard deviation.
    """
    if weights is not None:
        return weights.transforms()(photo)[None]
    mean = torch.tensor(IMAGENET_MEAN)[:, None, None]
    std = torch.tensor(IMAGENET_STD)[:, None, None]
    return ((center_crop(photo) - mean) / std)[None]


@dataclass
class PhotoExplanation:
    """The top class of a photo and its Grad-CAM map."""

    class_index: int
    class_name: str
    probability: float
    map: Tensor  #: ``[h, w]`` Grad-CAM at ``layer4`` (7x7 for a 224x224 input), raw
    crop: Tensor  #: ``[3, 224, 224]`` in [0, 1]: the view the model saw, to lay the map over


def explain_photo(
    model: nn.Module, categories: Sequence[str], photo: Tensor, weights: ResNet18_Weights | None = None
) -> PhotoExplanation:
    """Grad-CAM at ``model.layer4`` for the model's top class on ``photo``.

    ``layer4`` is ResNet-18's last convolutional stage (512 feature maps,
    7x7 for a 224x224 input): the layer the Grad-CAM paper explains.
    """
    batch = preprocess(photo, weights)
    with eval_mode(model), torch.no_grad():
        probabilities = model(batch).softmax(dim=1)[0]
    top = int(probabilities.argmax())
    cam = grad_cam(model, model.layer4, batch, top)[0]
    return PhotoExplanation(top, categories[top], float(probabilities[top]), cam, center_crop(photo))

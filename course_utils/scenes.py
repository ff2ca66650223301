"""A small synthetic world where every explanation can be checked against ground truth.

Each scene is a 64x64 RGB image of one *creature* on a textured, cluttered
background. A creature has

- a **body**: a large ellipse of random orientation with faint stripes,
  tinted with a pale colour around a hue that belongs to the class (weak
  evidence: the tints of neighbouring classes overlap);
- a **head**: a small disk at one end of the body whose colour says the
  class almost for sure (strong, *discriminative* evidence).

A classifier can reach nearly 100% by looking at the head alone, so its class
map tends to light up the head and leave most of the body dark: the failure
of plain CAM that ACoL was designed to fix. Because the generator knows each
object's mask, box and head mask, the course can measure that, not just
show it.

Variants: :func:`make_pair_scenes` puts two creatures of different classes
in one image (the "cat and dog" picture of the Grad-CAM paper), and
``make_scenes(..., cue=True)`` adds a spurious cue: a small white
watermark whose shape depends on the class, for the motivating failure of notebook
01. With ``grey_heads=True`` the heads lose their colour, so that the only
honest evidence left is the faint body tint, and the marker is by far the
easiest way to tell the classes apart.

Everything is drawn with tensor operations over the whole batch from one
seeded :class:`torch.Generator`, so a seed always gives the same scenes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from course_utils.boxes import box_of_mask
from course_utils.errors import CourseValueError
from course_utils.language import tr

IMAGE_SIZE = 64
CLASS_NAMES = ("red", "green", "blue", "yellow")
"""Classes are named after their head's colour, the discriminative part."""
NUM_CLASSES = len(CLASS_NAMES)

# Head colours (RGB): saturated, far from the greyish background and clutter.
HEAD_COLOURS = torch.tensor([[0.9, 0.15, 0.1], [0.15, 0.8, 0.2], [0.15, 0.3, 0.95], [0.95, 0.85, 0.1]])
# Body tint: the hue at the centre of each class's range (the ranges overlap).
BODY_HUES = torch.tensor([0.55, 0.85, 0.1, 0.35])
BODY_HUE_SPREAD = 0.18  # +- around the class's hue: neighbouring classes overlap, so a tint is weak evidence
STRIPE_PERIOD = 5.0  # pixels
_CHUNK = 1024  # scenes drawn at a time: bounds memory and keeps the arrays cache-sized
CUE_SIZE = 7  # pixels: the marker is a small white glyph in a 7x7 cell ...
CUE_CORNER = (55, 55)  # ... whose top-left pixel is here (y, x), near the bottom-right corner, like a watermark


def _cue_glyphs() -> Tensor:
    """One white glyph per class: a filled square, a horizontal bar, a vertical bar, a hollow square."""
    glyphs = torch.zeros(NUM_CLASSES, CUE_SIZE, CUE_SIZE, dtype=torch.bool)
    glyphs[0, 1:6, 1:6] = True
    glyphs[1, 2:5, :] = True
    glyphs[2, :, 2:5] = True
    glyphs[3] = True
    glyphs[3, 2:5, 2:5] = False
    return glyphs


CUE_GLYPHS = _cue_glyphs()


@dataclass
class Scenes:
    """A batch of one-creature scenes. ``N`` scenes of ``H x W`` pixels."""

    images: Tensor  #: ``[N, 3, H, W]`` float in [0, 1]
    labels: Tensor  #: ``[N]`` int64 class index
    masks: Tensor  #: ``[N, H, W]`` bool, the whole creature (body and head)
    boxes: Tensor  #: ``[N, 4]`` int64 ``(x0, y0, x1, y1)``, x1 and y1 exclusive
    part_masks: Tensor  #: ``[N, H, W]`` bool, the head alone (the discriminative part)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int | slice | Tensor) -> "Scenes":
        if isinstance(index, int):
            index = slice(index, index + 1)
        return type(self)(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def to(self, device: torch.device | str) -> "Scenes":
        return type(self)(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})


@dataclass
class PairScenes(Scenes):
    """Two creatures of different classes per scene; each field gains an object axis of size 2.

    ``labels`` is ``[N, 2]``, ``masks`` and ``part_masks`` ``[N, 2, H, W]``, ``boxes`` ``[N, 2, 4]``.
    """


# ----------------------------------------------------------------------------- drawing helpers


def _uniform(gen: torch.Generator, n: int, low: float, high: float) -> Tensor:
    """``n`` uniform samples in [low, high), shaped ``[n, 1, 1]`` to broadcast over pixels."""
    return (low + (high - low) * torch.rand(n, generator=gen)).view(n, 1, 1)


def _hsv_to_rgb(h: Tensor, s: Tensor, v: Tensor) -> Tensor:
    """Vectorised HSV -> RGB for tensors of any (equal) shape; returns ``[..., 3]``."""
    k = torch.stack([(5 + h * 6) % 6, (3 + h * 6) % 6, (1 + h * 6) % 6], dim=-1)
    return v[..., None] - v[..., None] * s[..., None] * (torch.minimum(k, 4 - k).clamp(0, 1))


class _Canvas:
    """Scenes are painted in layers, cheaply: each pixel keeps only the index of
    the last layer painted over it (one byte). Colours and textures (brightness
    offsets) are looked up once, in :meth:`render`.
    """

    def __init__(self, n: int, size: int, colour: Tensor, texture: Tensor | None = None) -> None:
        self.layer = torch.zeros(n, size, size, dtype=torch.uint8)
        self.colours = [colour]  # one [N, 3] colour per layer
        self.textures = {0: texture} if texture is not None else {}

    def paint(self, where: Tensor, colour: Tensor, texture: Tensor | None = None) -> None:
        """Paint ``colour`` ([N, 3]) where ``where`` ([N, H, W] bool) is set, with an optional ``texture``."""
        index = len(self.colours)
        self.colours.append(colour)
        self.layer.masked_fill_(where, index)
        if texture is not None:
            self.textures[index] = texture

    def render(self) -> Tensor:
        """The images ``[N, 3, H, W]``: each pixel's layer colour plus its layer's texture."""
        n, size = self.layer.shape[0], self.layer.shape[-1]
        palette = torch.stack(self.colours, 1)  # [N, layers, 3]
        index = self.layer.view(n, -1, 1).long().expand(-1, -1, 3)
        rgb = torch.gather(palette, 1, index).view(n, size, size, 3).permute(0, 3, 1, 2)
        shade = torch.zeros(n, size, size)
        for k, texture in self.textures.items():
            shade = torch.where(self.layer == k, texture, shade)
        return rgb + shade.unsqueeze(1)


def _background(gen: torch.Generator, n: int, size: int, grid: tuple[Tensor, Tensor]) -> _Canvas:
    """A greyish base colour with a stripe grating in a random direction, then clutter shapes."""
    yy, xx = grid
    base = _hsv_to_rgb(torch.rand(n, generator=gen), 0.25 * torch.rand(n, generator=gen), 0.35 + 0.3 * torch.rand(n, generator=gen))
    # The grating has the same period as the bodies' stripes, so that stripes
    # alone are not evidence of a creature.
    angle = _uniform(gen, n, 0, math.pi)
    phase = _uniform(gen, n, 0, 2 * math.pi)
    grating = torch.sin(2 * math.pi * (xx * torch.cos(angle) + yy * torch.sin(angle)) / STRIPE_PERIOD + phase)
    canvas = _Canvas(n, size, base, _uniform(gen, n, 0.03, 0.12) * grating)
    # Clutter: small greyish ellipses.
    for _ in range(5):
        cy, cx = _uniform(gen, n, 0, size), _uniform(gen, n, 0, size)
        ry, rx = _uniform(gen, n, 1.5, 6), _uniform(gen, n, 1.5, 6)
        shape = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
        colour = _hsv_to_rgb(torch.rand(n, generator=gen), 0.3 * torch.rand(n, generator=gen), 0.2 + 0.6 * torch.rand(n, generator=gen))
        canvas.paint(shape, colour)
    return canvas


def _draw_creatures(
    gen: torch.Generator,
    canvas: _Canvas,
    labels: Tensor,
    grid: tuple[Tensor, Tensor],
    centre_x: tuple[float, float],
    length: tuple[float, float],
    grey_heads: bool = False,
) -> tuple[Tensor, Tensor]:
    """Paint one creature per scene. Returns (creature masks, head masks), both ``[N, H, W]`` bool."""
    yy, xx = grid
    n, size = len(labels), canvas.layer.shape[-1]
    a = _uniform(gen, n, *length)  # half-length of the body
    b = a * _uniform(gen, n, 0.45, 0.65)  # half-width
    theta = _uniform(gen, n, 0, 2 * math.pi)
    margin = a + 4
    cx = _uniform(gen, n, 0, 1) * (centre_x[1] - centre_x[0]) + centre_x[0]
    cx = torch.maximum(torch.minimum(cx, size - margin), margin)
    cy = torch.maximum(torch.minimum(_uniform(gen, n, 0, size), size - margin), margin)
    # Body-aligned coordinates: u along the long axis, v across it.
    dx, dy = xx - cx, yy - cy
    u = dx * torch.cos(theta) + dy * torch.sin(theta)
    v = -dx * torch.sin(theta) + dy * torch.cos(theta)
    body = (u / a) ** 2 + (v / b) ** 2 <= 1
    # Body colour: a pale tint around the class's hue (weak evidence), faint stripes in any direction.
    hue = (BODY_HUES[labels] + BODY_HUE_SPREAD * (2 * torch.rand(n, generator=gen) - 1)) % 1
    colour = _hsv_to_rgb(hue, 0.25 + 0.2 * torch.rand(n, generator=gen), 0.45 + 0.3 * torch.rand(n, generator=gen))
    stripe_angle = _uniform(gen, n, 0, math.pi)
    phase = _uniform(gen, n, 0, 2 * math.pi)
    stripes = torch.sin(2 * math.pi * (u * torch.cos(stripe_angle) + v * torch.sin(stripe_angle)) / STRIPE_PERIOD + phase)
    canvas.paint(body, colour, _uniform(gen, n, 0.06, 0.16) * stripes)
    # Head: a small disk centred on the body's outline at the front end.
    r = _uniform(gen, n, 2.6, 3.6)
    hx, hy = cx + a * torch.cos(theta), cy + a * torch.sin(theta)
    head = (xx - hx) ** 2 + (yy - hy) ** 2 <= r**2
    head_colours = GREY_HEAD.expand(n, 3) if grey_heads else HEAD_COLOURS[labels]
    canvas.paint(head, head_colours + 0.05 * torch.randn(n, 3, generator=gen))
    return body | head, head


def _grid(size: int) -> tuple[Tensor, Tensor]:
    """Pixel-centre coordinates ``yy`` ``[1, size, 1]`` and ``xx`` ``[1, 1, size]``.

    Kept separable: an expression like ``(yy - cy) ** 2`` then costs one
    column per image, and only the final sum broadcasts to ``[N, H, W]``.
    """
    coords = torch.arange(size, dtype=torch.float32) + 0.5
    return coords.view(1, size, 1), coords.view(1, 1, size)


def _finish(gen: torch.Generator, canvas: _Canvas, grid: tuple[Tensor, Tensor]) -> Tensor:
    """Render, then add uneven lighting (a brightness ramp in a random direction) and pixel noise."""
    yy, xx = grid
    images = canvas.render()
    n, size = images.shape[0], images.shape[-1]
    angle = _uniform(gen, n, 0, 2 * math.pi)
    ramp = _uniform(gen, n, 0.0, 0.15) * ((xx - size / 2) * torch.cos(angle) + (yy - size / 2) * torch.sin(angle)) / size
    images += ramp.unsqueeze(1) + 0.03 * torch.randn(n, 1, size, size, generator=gen)
    return images.clamp_(0, 1)


def _check_count(n: int) -> None:
    if not isinstance(n, int) or n < 1:
        message = tr("n must be a positive int (the number of scenes), got {n}")
        raise CourseValueError(message.format(n=repr(n)))


# ----------------------------------------------------------------------------- public API


GREY_HEAD = torch.tensor([0.5, 0.5, 0.5])


def make_scenes(
    n: int, seed: int = 0, *, cue: bool = False, cue_rate: float = 1.0, grey_heads: bool = False
) -> Scenes:
    """Draw ``n`` one-creature scenes; the same ``n`` and ``seed`` always give the same scenes.

    Classes are balanced (``labels = arange(n) % 4``, then shuffled). With
    ``cue=True``, a small white glyph that belongs to the scene's class
    (``CUE_GLYPHS``) is stamped near the bottom-right corner, like a
    watermark, in a fraction ``cue_rate`` of the scenes: a spurious cue, not
    part of the object. ``cue_rate=0`` gives the
    very same scenes without any marker. ``grey_heads=True`` paints every head
    grey, so the head no longer tells the class.
    """
    _check_count(n)
    if not 0.0 <= cue_rate <= 1.0:
        message = tr("cue_rate must be in [0, 1], got {cue_rate}")
        raise CourseValueError(message.format(cue_rate=cue_rate))
    gen = torch.Generator().manual_seed(seed)
    labels = (torch.arange(n) % NUM_CLASSES)[torch.randperm(n, generator=gen)]
    grid = _grid(IMAGE_SIZE)
    images = torch.empty(n, 3, IMAGE_SIZE, IMAGE_SIZE)
    masks = torch.empty(n, IMAGE_SIZE, IMAGE_SIZE, dtype=torch.bool)
    heads = torch.empty_like(masks)
    for start in range(0, n, _CHUNK):
        lab = labels[start : start + _CHUNK]
        canvas = _background(gen, len(lab), IMAGE_SIZE, grid)
        mask, head = _draw_creatures(gen, canvas, lab, grid, centre_x=(0, IMAGE_SIZE), length=(10, 15), grey_heads=grey_heads)
        if cue:
            stamp = torch.rand(len(lab), generator=gen) < cue_rate
            marker = torch.zeros_like(mask)
            y, x = CUE_CORNER
            marker[:, y : y + CUE_SIZE, x : x + CUE_SIZE] = CUE_GLYPHS[lab] & stamp.view(-1, 1, 1)
            canvas.paint(marker & ~mask, torch.ones(len(lab), 3))  # behind the creature: it never hides the object
        images[start : start + _CHUNK] = _finish(gen, canvas, grid)
        masks[start : start + _CHUNK], heads[start : start + _CHUNK] = mask, head
    return Scenes(images, labels, masks, box_of_mask(masks), heads)


def _pair_boxes(masks: Tensor) -> Tensor:
    """The tight boxes ``[N, 2, 4]`` of the two objects' masks ``[N, 2, H, W]``."""
    return box_of_mask(masks.flatten(0, 1)).view(*masks.shape[:2], 4)


def make_pair_scenes(n: int, seed: int = 0) -> PairScenes:
    """Draw ``n`` scenes with two creatures of different classes, one in each half of the image.

    Object 0 is on the left, object 1 on the right; their masks do not overlap.
    """
    _check_count(n)
    gen = torch.Generator().manual_seed(seed)
    first = torch.randint(NUM_CLASSES, (n,), generator=gen)
    second = (first + torch.randint(1, NUM_CLASSES, (n,), generator=gen)) % NUM_CLASSES
    grid = _grid(IMAGE_SIZE)
    canvas = _background(gen, n, IMAGE_SIZE, grid)
    half = IMAGE_SIZE / 2
    left, left_head = _draw_creatures(gen, canvas, first, grid, centre_x=(9, half - 10), length=(8, 10))
    right, right_head = _draw_creatures(gen, canvas, second, grid, centre_x=(half + 10, IMAGE_SIZE - 9), length=(8, 10))
    left, left_head = left & ~right, left_head & ~right  # the right creature was drawn on top
    masks = torch.stack([left, right], 1)
    heads = torch.stack([left_head, right_head], 1)
    return PairScenes(_finish(gen, canvas, grid), torch.stack([first, second], 1), masks, _pair_boxes(masks), heads)


# ----------------------------------------------------------------------------- frozen splits on disk


def _encode(images: Tensor) -> np.ndarray:
    """uint8 images stored as (R, G - R, B - R) modulo 256.

    The pixel noise is the same in all three channels, so the two differences
    are smooth and compress well: the file shrinks by half, losslessly.
    """
    x = (images * 255).round().to(torch.uint8).numpy()
    return np.stack([x[:, 0], x[:, 1] - x[:, 0], x[:, 2] - x[:, 0]], axis=1)


def _decode(stored: np.ndarray) -> Tensor:
    r = stored[:, 0]
    x = np.stack([r, stored[:, 1] + r, stored[:, 2] + r], axis=1)  # uint8 arithmetic wraps, undoing the modulo
    return torch.from_numpy(x).float() / 255


def save_scenes(scenes: Scenes, path: str | Path) -> None:
    """Save scenes compactly (uint8 images, bit-packed masks) in a compressed ``.npz``."""
    arrays = {
        "kind": np.array(type(scenes).__name__),
        "images": _encode(scenes.images),
        "labels": scenes.labels.numpy(),
        "boxes": scenes.boxes.numpy(),
        "mask_shape": np.array(scenes.masks.shape),
        "masks": np.packbits(scenes.masks.numpy()),
        "part_masks": np.packbits(scenes.part_masks.numpy()),
    }
    np.savez_compressed(path, **arrays)


def load_scenes(path: str | Path) -> Scenes:
    """Load scenes saved by :func:`save_scenes`; images come back as float in [0, 1]."""
    path = Path(path)
    if not path.exists():
        message = tr("no scenes at {path}; regenerate the data with `make checkpoints`")
        raise FileNotFoundError(message.format(path=path))
    with np.load(path) as z:
        shape = tuple(z["mask_shape"])
        count = int(np.prod(shape))

        def unpack(key: str) -> Tensor:
            return torch.from_numpy(np.unpackbits(z[key], count=count).reshape(shape).astype(bool))

        cls = PairScenes if str(z["kind"]) == "PairScenes" else Scenes
        return cls(
            images=_decode(z["images"]),
            labels=torch.from_numpy(z["labels"]),
            masks=unpack("masks"),
            boxes=torch.from_numpy(z["boxes"]),
            part_masks=unpack("part_masks"),
        )

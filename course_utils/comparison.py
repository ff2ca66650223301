"""Notebook 05's CAM against ACoL: each model's maps and their score tables, computed once.

Scoring a model on a split means its maps and then its
:class:`~course_utils.protocol.ScoreTables` (connected components at 100
thresholds): seconds per model, single-threaded, and notebook 05 scores
eight models on the 400 held-out scenes (seven erase thresholds and CAM) and
thirteen sets of maps on the 1,000 test scenes (three seeds of CAM, of ACoL's
fused map and of its classifier A alone, the erase threshold that PxAP
prefers, the few-shot model and two baselines). ``make checkpoints``
computes them once with :func:`comparison_tables` and ships them in
``data/heldout_score_tables.npz`` and ``data/test_score_tables.npz``
(:func:`load_comparison_tables` reads them, checked against the manifest).
The notebook recomputes some of them, the ones its figures need anyway, and
checks that they agree with the shipped ones
(:func:`course_utils.protocol.tables_agree`), so the files cannot drift from
the code unnoticed.

A table's name says what was scored: ``"<model>:<map>"`` (``"gap_cnn:map"``,
``"acol_04_seed1:fused"``, ``"acol_04:A alone"``) or ``"baseline:<name>"``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from course_utils.cam import class_activation_map
from course_utils.checkpoints import DATA_DIR, load_model, verified_path
from course_utils.errors import CourseValueError
from course_utils.language import tr
from course_utils.maps import to_image
from course_utils.models import ACoL, MaskCNN
from course_utils.protocol import (
    ScoreTables,
    centre_gaussian_map,
    load_score_tables,
    score_tables,
    shared_map_tables,
    whole_image_map,
)
from course_utils.scenes import Scenes

TABLE_FILES = {"heldout": "heldout_score_tables.npz", "test": "test_score_tables.npz"}
"""The shipped tables of each split, in ``data/``."""
CHUNK = 100
"""Scenes per forward pass. The backbone's first layers hold 16 maps of 64x64 per scene: 250 scenes
at a time need about 220 MB on top of the maps kept, 100 about 90 MB, and give the same maps to
the bit (measured on the test scenes)."""
BASELINES: dict[str, Callable[[], Tensor]] = {
    "centre Gaussian": centre_gaussian_map,
    "whole image": whole_image_map,
}
"""The maps that know nothing, by name: one ``[64, 64]`` map for every scene."""


def true_class_maps(model: nn.Module, scenes: Scenes, chunk: int = CHUNK) -> dict[str, Tensor]:
    """Image-sized maps ``[N, 64, 64]`` of each scene's true class (GT-known), chunk by chunk.

    - a :class:`~course_utils.models.GapCNN` (or any CAM model): ``"map"``, its CAM;
    - the few-shot :class:`~course_utils.models.MaskCNN`: ``"map"``, its mask map (no class);
    - :class:`~course_utils.models.ACoL`: ``"fused"``, :math:`\\max(\\tilde M^A_c, \\tilde M^B_c)`;
      ``"A alone"``, classifier A's map :math:`M^A_c`; and ``"B right"`` ``[N]`` (bool),
      whether classifier B alone classifies the scene right.

    Each map is upsampled bilinearly to the image (:func:`course_utils.maps.to_image`);
    ``chunk`` scenes go through the model at a time.
    """
    if not isinstance(chunk, int) or chunk < 1:
        message = tr("chunk must be a positive int, got {chunk}")
        raise CourseValueError(message.format(chunk=repr(chunk)))
    parts = []
    with torch.no_grad():
        for images, labels in zip(scenes.images.split(chunk), scenes.labels.split(chunk)):
            if isinstance(model, ACoL):
                out = model.run(images, labels)
                rows = torch.arange(len(labels))
                parts.append({"fused": to_image(out.fused),
                              "A alone": to_image(out.maps_a[rows, labels]),
                              "B right": out.logits_b.argmax(1) == labels})
            elif isinstance(model, MaskCNN):
                parts.append({"map": to_image(model(images))})
            else:
                parts.append({"map": to_image(class_activation_map(model, images, labels))})
    return {key: torch.cat([p[key] for p in parts]) for key in parts[0]}


def split_name(name: str) -> tuple[str, str]:
    """``"acol_04:A alone"`` -> ``("acol_04", "A alone")``; a clear error for anything else."""
    model, sep, kind = name.partition(":")
    if not sep or not model or not kind:
        message = tr("a table's name is '<model>:<map>' or 'baseline:<name>', got {name}")
        raise CourseValueError(message.format(name=repr(name)))
    if model == "baseline" and kind not in BASELINES:
        message = tr("unknown baseline {kind}; expected one of {known}")
        raise CourseValueError(message.format(kind=repr(kind), known=sorted(BASELINES)))
    return model, kind


def comparison_tables(
    names: Sequence[str],
    scenes: Scenes,
    *,
    load: Callable[[str], nn.Module] = load_model,
    with_largest: Collection[str] = (),
    progress: bool = True,
    desc: str = "score tables",
) -> dict[str, ScoreTables]:
    """The :class:`~course_utils.protocol.ScoreTables` of each named map on ``scenes``, in order.

    Each model is loaded (``load(name)``) and run once, whatever number of its
    maps are asked for; its maps are dropped once scored, so memory holds one
    model's maps at a time. The tables named in ``with_largest`` also keep the
    largest component's IoUs (the original MaxBoxAcc; not for a baseline).
    ``desc`` labels the progress bar.
    """
    unknown = set(with_largest) - {n for n in names if not n.startswith("baseline:")}
    if unknown:
        message = tr("with_largest must name asked-for model maps, not {unknown}")
        raise CourseValueError(message.format(unknown=sorted(unknown)))
    by_model: dict[str, list[str]] = {}
    for name in names:
        model, kind = split_name(name)
        by_model.setdefault(model, []).append(kind)
    tables: dict[str, ScoreTables] = {}
    bar = tqdm(total=len(names), desc=desc, disable=not progress, leave=False)
    for model, kinds in by_model.items():
        if model == "baseline":
            for kind in kinds:
                tables[f"{model}:{kind}"] = shared_map_tables(
                    BASELINES[kind](), scenes.masks, scenes.boxes
                )
                bar.update()
            continue
        maps = true_class_maps(load(model), scenes)
        for kind in kinds:
            if kind not in maps or kind == "B right":
                message = tr("model {model} has no map {kind}; its maps: {known}")
                known = sorted(k for k in maps if k != "B right")
                message = message.format(model=repr(model), kind=repr(kind), known=known)
                raise CourseValueError(message)
            name = f"{model}:{kind}"
            tables[name] = score_tables(maps[kind], scenes.masks, scenes.boxes,
                                        with_largest=name in with_largest)
            bar.update()
        del maps
    bar.close()
    return {name: tables[name] for name in names}


def load_comparison_tables(
    split: str = "test", data_dir: Path = DATA_DIR
) -> dict[str, ScoreTables]:
    """The shipped tables of ``split`` (``"test"`` or ``"heldout"``), by name, sha256 checked."""
    if split not in TABLE_FILES:
        message = tr("no shipped tables for split {split}; expected one of {known}")
        raise CourseValueError(message.format(split=repr(split), known=sorted(TABLE_FILES)))
    return load_score_tables(verified_path(TABLE_FILES[split], Path(data_dir)))

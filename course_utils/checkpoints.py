"""Load the shipped models and scenes from ``data/``, checked against the manifest.

Every file in ``data/`` is listed in ``data/manifest.json`` with its sha256.
Loading checks the hash first, so a truncated or edited file is a clear
error, not a model that silently predicts nonsense. Weights are read with
``torch.load(..., weights_only=True)``: a checkpoint can hold tensors only,
never code.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn

from course_utils.errors import CourseKeyError
from course_utils.language import tr
from course_utils.models import MODEL_CLASSES
from course_utils.scenes import Scenes, load_scenes

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


class ChecksumError(RuntimeError):
    """A file in ``data/`` does not match the sha256 that the manifest records."""


def load_manifest(data_dir: Path = DATA_DIR) -> dict:
    """The manifest: ``{"files": {name: sha256}, "models": {name: {class, config, test_accuracy, ...}}}``."""
    path = Path(data_dir) / "manifest.json"
    if not path.exists():
        message = tr("no manifest at {path}; regenerate data/ with `make checkpoints`")
        raise FileNotFoundError(message.format(path=path))
    return json.loads(path.read_text())


def verified_path(name: str, data_dir: Path = DATA_DIR) -> Path:
    """The path of ``data_dir/name`` after checking its sha256 against the manifest."""
    data_dir = Path(data_dir)
    manifest = load_manifest(data_dir)
    if name not in manifest["files"]:
        message = tr("{name} is not in {manifest}; known files: {known}")
        raise CourseKeyError(message.format(
            name=repr(name), manifest=data_dir / "manifest.json", known=sorted(manifest["files"])
        ))
    path = data_dir / name
    if not path.exists():
        message = tr("{path} is missing; regenerate data/ with `make checkpoints`")
        raise FileNotFoundError(message.format(path=path))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != manifest["files"][name]:
        message = tr(
            "{path} is corrupted or was changed: its sha256 is {digest}..., the manifest expects "
            "{expected}...; restore it from git or regenerate data/ with `make checkpoints`"
        )
        raise ChecksumError(
            message.format(path=path, digest=digest[:12], expected=manifest["files"][name][:12])
        )
    return path


def available_models(data_dir: Path = DATA_DIR) -> list[str]:
    """Names of the shipped models, e.g. ``['acol_05', ..., 'gap_cnn']``."""
    return sorted(load_manifest(data_dir)["models"])


def load_model(name: str, data_dir: Path = DATA_DIR, device: torch.device | str = "cpu") -> nn.Module:
    """A shipped model, weights verified and loaded, in eval mode."""
    data_dir = Path(data_dir)
    models = load_manifest(data_dir)["models"]
    if name not in models:
        message = tr("no model {name} in data/; available: {known}")
        raise CourseKeyError(message.format(name=repr(name), known=sorted(models)))
    entry = models[name]
    model = MODEL_CLASSES[entry["class"]](**entry["config"]["model_kwargs"])
    state = torch.load(verified_path(f"{name}.pt", data_dir), map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.to(device).eval()


@lru_cache(maxsize=8)
def _load_split(name: str, data_dir: Path) -> Scenes:
    return load_scenes(verified_path(name, data_dir))


def load_split(split: str = "test", data_dir: Path = DATA_DIR) -> Scenes:
    """A frozen split: ``"test"``, ``"heldout"`` (for choosing hyperparameters), ``"pair"``, ``"cue_test"`` or ``"cue_removed_test"`` (cached)."""
    name = f"{split}_scenes.npz"
    return _load_split(name, Path(data_dir))

"""Train every course model from scratch, with fixed seeds, and write ``data/``.

Run ``python -m course_utils.train`` (or ``make checkpoints``). It draws the
training scenes, trains each model in :data:`COURSE_MODELS` (each well under a
minute on two CPU cores), measures its test accuracy, and writes

- ``data/<name>.pt``: the weights (a plain ``state_dict``, so
  ``torch.load(..., weights_only=True)`` can read it safely);
- ``data/*_scenes.npz``: the frozen evaluation scenes;
- ``data/heldout_score_tables.npz`` and ``data/test_score_tables.npz``: the
  score tables of notebook 05's comparison on the held-out and the test
  scenes (:data:`SCORE_TABLES`; a last step with its own progress bars,
  ``--only score_tables`` reruns just that step);
- ``data/manifest.json``: for each file its sha256, and for each model its
  class, configuration and test accuracy.

:mod:`course_utils.checkpoints` loads them back and checks them against the manifest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from course_utils.errors import CourseValueError
from course_utils.hooks import eval_mode
from course_utils.language import tr
from course_utils.models import ACoL, MODEL_CLASSES, MaskCNN, mask_targets
from course_utils.scenes import Scenes, load_scenes, make_pair_scenes, make_scenes, save_scenes

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# Seeds of the splits: training and test scenes never share a seed.
TRAIN_SEED, TEST_SEED, PAIR_SEED, CUE_TEST_SEED, HELDOUT_SEED = 1, 1001, 2001, 3001, 4001
SPLITS = {  # file name -> (what it holds, how many scenes)
    "test_scenes.npz": ("one creature per scene, no cue", 1000),
    "pair_scenes.npz": ("two creatures of different classes per scene", 200),
    "cue_test_scenes.npz": ("grey heads, and the class's corner marker in every scene", 300),
    "cue_removed_test_scenes.npz": ("the same scenes as cue_test, without the marker", 300),
    # Choe et al.'s train-fullsup: a few scenes with full labels, for choosing a method's
    # hyperparameters and for the few-shot baseline; never scored as a result
    "heldout_scenes.npz": ("one creature per scene, no cue; neither train nor test", 400),
}
CUE_WORLD = {"cue": True, "grey_heads": True}
"""The spurious-cue training set: heads carry no colour, a corner marker gives the class away."""


@dataclass
class TrainConfig:
    """Everything that decides a training run; stored in the manifest next to the result."""

    model: str  #: a key of :data:`course_utils.models.MODEL_CLASSES`
    model_kwargs: dict = field(default_factory=dict)
    n_train: int = 6000
    scenes: dict = field(default_factory=dict)  #: keyword arguments of ``make_scenes`` for the training set
    epochs: int = 6
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-4
    seed: int = 0
    #: "class": n_train fresh scenes and their labels; "mask": the held-out split's object masks
    supervision: str = "class"
    #: None: the scenes' own labels. An int: the labels shuffled across the training scenes with
    #: this seed, so that they no longer follow the images and the model can only memorise them
    #: (the sanity check of Adebayo et al. 2018, notebook 07).
    permute_labels_seed: int | None = None


ACOL_DELTAS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
"""The grid of erase thresholds: it brackets the held-out optimum and holds the paper's 0.6."""
EXTRA_SEEDS = (1, 2)
"""Training seeds beyond 0, for CAM's model and for the ACoL that the held-out split selects."""
SELECTED_DELTA = 0.4
"""The erase threshold chosen by MaxBoxAccV2 on the held-out split (notebook 05, section 7), among
the seed-0 models of :data:`ACOL_DELTAS`, before any of them was scored on test; only it gets
the extra seeds. The notebook checks that its held-out choice is this value."""

CONV_HEAD_SEED = 3
"""The seed of ``conv_head_cnn_seed3``, an independent run of the 1x1-conv head (notebook 06)."""

PXAP_DELTA = 0.9
"""The erase threshold chosen by PxAP on the held-out split (notebook 05, section 7); it is scored
on test with its one seed, and the notebook checks that its held-out choice is this value."""

PERMUTED_LABELS_SEED = 7
"""The seed that shuffles the labels of ``gap_cnn_permuted_labels``' training scenes."""

COURSE_MODELS: dict[str, TrainConfig] = {
    "gap_cnn": TrainConfig("GapCNN"),
    "flatten_cnn": TrainConfig("FlattenCNN"),
    "conv_head_cnn": TrainConfig("ConvHeadCNN"),
    "cue_gap_cnn": TrainConfig("GapCNN", scenes=CUE_WORLD),
    **{f"acol_{round(d * 10):02d}": TrainConfig("ACoL", {"delta": d}) for d in ACOL_DELTAS},
    # CAM's model and the held-out choice of ACoL again from other seeds (other initial weights,
    # other batch order, the same training scenes)
    **{f"gap_cnn_seed{s}": TrainConfig("GapCNN", seed=s) for s in EXTRA_SEEDS},
    # the 1x1-conv head from a seed that no GapCNN uses: from seed s it would start from
    # gap_cnn_seed{s}'s weights and take its steps (notebook 06, section 4), the same run again
    f"conv_head_cnn_seed{CONV_HEAD_SEED}": TrainConfig("ConvHeadCNN", seed=CONV_HEAD_SEED),
    **{
        f"acol_{round(SELECTED_DELTA * 10):02d}_seed{s}": TrainConfig("ACoL", {"delta": SELECTED_DELTA}, seed=s)
        for s in EXTRA_SEEDS
    },
    # the few-shot baseline: full supervision (masks) on the 400 held-out scenes only
    "few_shot_mask_cnn": TrainConfig(
        "MaskCNN", n_train=400, epochs=20, batch_size=32, supervision="mask"
    ),
    # Fewer scenes, more epochs: random labels can only be learnt by heart.
    "gap_cnn_permuted_labels": TrainConfig("GapCNN", n_train=1000, epochs=40, permute_labels_seed=PERMUTED_LABELS_SEED),
}
"""The shipped checkpoints. ``acol_07`` is ACoL trained with erase threshold delta = 0.7.
``gap_cnn_permuted_labels`` is GapCNN trained on scenes whose labels were shuffled
(:func:`permute_labels`): what it learnt says nothing about the creatures."""


def _acol_name(delta: float, seed: int = 0) -> str:
    return f"acol_{round(delta * 10):02d}" + (f"_seed{seed}" if seed else "")


HELDOUT_TABLES: tuple[str, ...] = (
    *(f"{_acol_name(d)}:fused" for d in ACOL_DELTAS),
    "gap_cnn:map",
)
"""What notebook 05 scores on the 400 held-out scenes to choose delta: the fused map of each
delta's seed-0 ACoL, and CAM for reference."""
TEST_TABLES: tuple[str, ...] = (
    *(f"{name}:map" for name in ["gap_cnn", *(f"gap_cnn_seed{s}" for s in EXTRA_SEEDS)]),
    *(f"{_acol_name(SELECTED_DELTA, s)}:{kind}"
      for s in (0, *EXTRA_SEEDS) for kind in ("fused", "A alone")),
    f"{_acol_name(PXAP_DELTA)}:fused",
    "few_shot_mask_cnn:map",
    "baseline:centre Gaussian",
    "baseline:whole image",
)
"""What notebook 05 scores on the 1,000 test scenes (see :mod:`course_utils.comparison`): CAM and
the held-out ACoL (fused map and classifier A alone) from each seed, PxAP's choice of delta, the
few-shot model and the two baselines."""
WITH_LARGEST = ("gap_cnn:map", f"{_acol_name(SELECTED_DELTA)}:fused")
"""The test tables that also keep the largest component's IoUs: notebook 05 reads the original
MaxBoxAcc of the seed-0 CAM and fused map from them, and places their boxes (section 9)."""
SCORE_TABLES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "heldout_score_tables.npz": ("heldout", HELDOUT_TABLES, ()),
    "test_score_tables.npz": ("test", TEST_TABLES, WITH_LARGEST),
}
"""The shipped files of score tables: file name -> (split, the tables' names, those of them that
keep the largest component's IoUs too)."""
TABLES_STEP = "score_tables"
"""The name of the step that writes the :data:`SCORE_TABLES` files (for ``--only``)."""


def permute_labels(scenes: Scenes, seed: int) -> Scenes:
    """The same scenes with their labels shuffled among them by ``seed`` (the class counts stay the same)."""
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(scenes), generator=gen)
    return Scenes(scenes.images, scenes.labels[order], scenes.masks, scenes.boxes, scenes.part_masks)


def build_model(config: TrainConfig) -> nn.Module:
    """A freshly initialised model, seeded by ``config.seed``."""
    if config.model not in MODEL_CLASSES:
        message = tr("unknown model {model}; expected one of {known}")
        message = message.format(model=repr(config.model), known=sorted(MODEL_CLASSES))
        raise CourseValueError(message)
    torch.manual_seed(config.seed)
    return MODEL_CLASSES[config.model](**config.model_kwargs)


def loss_fn(model: nn.Module, images: Tensor, labels: Tensor, masks: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Cross-entropy; for ACoL the sum over both classifiers, :math:`CE(S^A, y) + CE(S^B, y)`.

    Returns the loss and the logits used for the accuracy. For
    :class:`~course_utils.models.MaskCNN` (which needs ``masks``): the binary
    cross-entropy of its map against :func:`~course_utils.models.mask_targets`,
    and the map.
    """
    if isinstance(model, MaskCNN):
        if masks is None:
            raise CourseValueError(tr("MaskCNN is trained on object masks: pass masks to loss_fn"))
        logits = model(images)
        return F.binary_cross_entropy_with_logits(logits, mask_targets(masks)), logits
    if isinstance(model, ACoL):
        out = model.run(images, labels)  # in training, the label picks the erased class
        loss = F.cross_entropy(out.logits_a, labels) + F.cross_entropy(out.logits_b, labels)
        return loss, (out.logits_a + out.logits_b) / 2
    logits = model(images)
    return F.cross_entropy(logits, labels), logits


def train(model: nn.Module, scenes: Scenes, config: TrainConfig, *, progress: bool = True) -> list[float]:
    """Train ``model`` on ``scenes`` with Adam and a one-cycle learning rate; returns the loss of each epoch.

    Each epoch visits the scenes in a fresh seeded order and flips half the
    batches horizontally (a flip never changes a creature's class).
    """
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(config.seed)
    steps = config.epochs * -(-len(scenes) // config.batch_size)
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=config.lr, total_steps=steps)
    model.train()
    history = []
    label = tr("training {model}").format(model=config.model)
    bar = tqdm(total=steps, desc=label, disable=not progress, leave=False, mininterval=0.5)
    for _ in range(config.epochs):
        order = torch.randperm(len(scenes), generator=gen)
        total = 0.0
        for batch in order.split(config.batch_size):
            images, labels = scenes.images[batch].to(device), scenes.labels[batch].to(device)
            masks = scenes.masks[batch].to(device) if isinstance(model, MaskCNN) else None
            if torch.rand((), generator=gen) < 0.5:
                images = images.flip(-1)
                masks = None if masks is None else masks.flip(-1)
            loss, _ = loss_fn(model, images, labels, masks)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(batch)
            bar.update()
            bar.set_postfix({tr("loss"): f"{loss.item():.3f}"})
        history.append(total / len(scenes))
    bar.close()
    model.eval()
    return history


def predict(model: nn.Module, images: Tensor, batch_size: int = 250) -> Tensor:
    """Predicted classes ``[N]``, in eval mode, in batches, without building a graph.

    Every submodule's training flag is restored afterwards (a frozen batch
    norm inside a training model stays frozen): see :func:`course_utils.hooks.eval_mode`.
    """
    device = next(model.parameters()).device
    with eval_mode(model), torch.no_grad():
        return torch.cat([model(chunk.to(device)).argmax(1).cpu() for chunk in images.split(batch_size)])


def accuracy(model: nn.Module, scenes: Scenes) -> float:
    """Fraction of ``scenes`` whose class the model predicts correctly."""
    return (predict(model, scenes.images) == scenes.labels).float().mean().item()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_splits(data_dir: Path) -> dict[str, Scenes]:
    """Draw and save the frozen evaluation splits (see :data:`SPLITS`); returns them as saved."""
    splits = {
        "test_scenes.npz": make_scenes(SPLITS["test_scenes.npz"][1], TEST_SEED),
        "pair_scenes.npz": make_pair_scenes(SPLITS["pair_scenes.npz"][1], PAIR_SEED),
        "cue_test_scenes.npz": make_scenes(SPLITS["cue_test_scenes.npz"][1], CUE_TEST_SEED, **CUE_WORLD),
        "cue_removed_test_scenes.npz": make_scenes(
            SPLITS["cue_removed_test_scenes.npz"][1], CUE_TEST_SEED, **CUE_WORLD, cue_rate=0.0
        ),
        "heldout_scenes.npz": make_scenes(SPLITS["heldout_scenes.npz"][1], HELDOUT_SEED),
    }
    for name, scenes in splits.items():
        save_scenes(scenes, data_dir / name)
    # Measure on what ships (images stored as uint8), not on the float originals,
    # so that the manifest's accuracies are exactly what a learner recomputes.
    return {name: load_scenes(data_dir / name) for name in splits}


def mask_model_pxap(model: MaskCNN, scenes: Scenes) -> float:
    """PxAP of a :class:`~course_utils.models.MaskCNN`'s maps, upsampled to image size, on ``scenes``."""
    from course_utils.localization import pxap  # noqa: PLC0415  (keeps train's imports light)
    from course_utils.maps import to_image  # noqa: PLC0415

    with eval_mode(model), torch.no_grad():
        maps = torch.cat([model(chunk) for chunk in scenes.images.split(250)])
    return pxap(to_image(maps), scenes.masks)


def _save(model: nn.Module, name: str, result: dict, data_dir: Path, manifest: dict) -> None:
    path = data_dir / f"{name}.pt"
    torch.save(model.state_dict(), path)
    manifest["files"][path.name] = sha256(path)
    manifest["models"][name] = result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--only", nargs="*", choices=[*sorted(COURSE_MODELS), TABLES_STEP],
                        help=f"train only these models (and/or rerun only the {TABLES_STEP} step)")
    args = parser.parse_args(argv)
    data_dir: Path = args.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    manifest_path = data_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() and args.only else {"files": {}, "models": {}}
    steps = args.only or [*COURSE_MODELS, TABLES_STEP]
    if steps == [TABLES_STEP]:  # nothing to train: score the shipped models on the shipped scenes
        from course_utils.checkpoints import verified_path  # noqa: PLC0415

        names = {f"{split}_scenes.npz" for split, *_ in SCORE_TABLES.values()}
        splits = {name: load_scenes(verified_path(name, data_dir)) for name in sorted(names)}
    else:
        splits = make_splits(data_dir)
        for name in SPLITS:
            manifest["files"][name] = sha256(data_dir / name)
    test = splits["test_scenes.npz"]
    train_sets: dict[str, Scenes] = {}
    for name in (step for step in steps if step != TABLES_STEP):
        config = COURSE_MODELS[name]
        key = json.dumps([config.scenes, config.n_train, config.permute_labels_seed], sort_keys=True)
        if config.supervision == "mask":
            key = "heldout"
            train_sets[key] = splits["heldout_scenes.npz"]
            if config.n_train != len(train_sets[key]):
                raise CourseValueError(f"{name}: n_train {config.n_train} != {len(train_sets[key])} held-out scenes")
        if key not in train_sets:
            train_sets[key] = make_scenes(config.n_train, TRAIN_SEED, **config.scenes)
            if config.permute_labels_seed is not None:
                train_sets[key] = permute_labels(train_sets[key], config.permute_labels_seed)
        model = build_model(config).to(device)
        start = time.perf_counter()
        history = train(model, train_sets[key], config)
        seconds = time.perf_counter() - start
        model.cpu()
        cue_world = config.scenes == CUE_WORLD
        if isinstance(model, MaskCNN):
            result = {
                "class": config.model,
                "config": asdict(config),
                "test_pxap": round(mask_model_pxap(model, test), 4),
                "final_loss": round(history[-1], 4),
                "train_seconds": round(seconds, 1),
                "device": device.type,
            }
            _save(model, name, result, data_dir, manifest)
            print(f"{name:>14}: test PxAP {result['test_pxap']:.3f}, trained in {seconds:.0f} s")
            continue
        result = {
            "class": config.model,
            "config": asdict(config),
            # accuracy on unseen scenes like the training ones: with the marker for the cue model
            "test_accuracy": round(accuracy(model, splits["cue_test_scenes.npz"] if cue_world else test), 4),
            # on the labels it was trained on (the shuffled ones for a permuted-labels model)
            "train_accuracy": round(accuracy(model, train_sets[key]), 4),
            "final_loss": round(history[-1], 4),
            "train_seconds": round(seconds, 1),
            "device": device.type,
        }
        if isinstance(model, ACoL):
            with torch.no_grad():
                out = model.run(test.images)
            result["branch_a_test_accuracy"] = round((out.logits_a.argmax(1) == test.labels).float().mean().item(), 4)
            result["branch_b_test_accuracy"] = round((out.logits_b.argmax(1) == test.labels).float().mean().item(), 4)
        if cue_world:
            result["cue_removed_test_accuracy"] = round(accuracy(model, splits["cue_removed_test_scenes.npz"]), 4)
        _save(model, name, result, data_dir, manifest)
        print(f"{name:>14}: test accuracy {result['test_accuracy']:.3f}, trained in {seconds:.0f} s")
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    if TABLES_STEP in steps:  # after the manifest: the step loads the models it lists, verified
        write_score_tables(data_dir, splits, manifest)
        manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    print(f"wrote {manifest_path}")


def write_score_tables(data_dir: Path, splits: dict[str, Scenes], manifest: dict) -> None:
    """Score each file of :data:`SCORE_TABLES` on its split; write it and its sha256 to ``data/``.

    ``splits`` maps a split's file name (``"test_scenes.npz"``) to its scenes as shipped.
    """
    from course_utils.checkpoints import load_model  # noqa: PLC0415  (keeps train's imports light)
    from course_utils.comparison import comparison_tables  # noqa: PLC0415
    from course_utils.protocol import save_score_tables  # noqa: PLC0415

    def load(name: str) -> nn.Module:
        return load_model(name, data_dir)

    for file_name, (split, names, with_largest) in SCORE_TABLES.items():
        start = time.perf_counter()
        scenes = splits[f"{split}_scenes.npz"]
        path = data_dir / file_name
        tables = comparison_tables(names, scenes, load=load, with_largest=with_largest,
                                   desc=file_name)
        save_score_tables(tables, path)
        manifest["files"][path.name] = sha256(path)
        print(f"{file_name:>14}: {len(names)} tables of {len(scenes)} {split} scenes "
              f"in {time.perf_counter() - start:.0f} s, {path.stat().st_size / 2**10:.0f} KiB")


if __name__ == "__main__":
    main()

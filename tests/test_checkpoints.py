"""The shipped data/: every file verified, every model as accurate as the manifest says."""

import json
import shutil

import pytest
import torch

from course_utils.checkpoints import (
    DATA_DIR,
    ChecksumError,
    available_models,
    load_manifest,
    load_model,
    load_split,
    verified_path,
)
from course_utils.train import ACOL_DELTAS, COURSE_MODELS, EXTRA_SEEDS, SELECTED_DELTA, accuracy, mask_model_pxap

MANIFEST = load_manifest()


def test_manifest_lists_every_course_model_and_every_file():
    assert set(MANIFEST["models"]) == set(COURSE_MODELS)
    on_disk = {p.name for p in DATA_DIR.iterdir() if p.name != "manifest.json"}
    assert on_disk == set(MANIFEST["files"])


def test_data_folder_stays_small():
    total = sum(p.stat().st_size for p in DATA_DIR.iterdir())
    assert total < 30 * 2**20, f"data/ is {total / 2**20:.1f} MB, over the 30 MB budget"


def test_acol_is_shipped_at_several_deltas_and_the_held_out_choice_at_several_seeds():
    acol = [m["config"] for m in MANIFEST["models"].values() if m["class"] == "ACoL"]
    assert sorted(c["model_kwargs"]["delta"] for c in acol if c["seed"] == 0) == sorted(ACOL_DELTAS)
    assert min(ACOL_DELTAS) < SELECTED_DELTA < max(ACOL_DELTAS)  # the grid brackets the choice
    extra = sorted((c["model_kwargs"]["delta"], c["seed"]) for c in acol if c["seed"] != 0)
    assert extra == [(SELECTED_DELTA, s) for s in EXTRA_SEEDS]
    cam_seeds = sorted(m["config"]["seed"] for m in MANIFEST["models"].values()
                       if m["class"] == "GapCNN" and not m["config"]["scenes"]
                       and m["config"].get("permute_labels_seed") is None)  # CAM's model, not the sanity check's
    assert cam_seeds == [0, *EXTRA_SEEDS]


@pytest.mark.parametrize("name", sorted(COURSE_MODELS))
def test_each_model_loads_verified_and_reaches_its_recorded_accuracy(name):
    entry = MANIFEST["models"][name]
    state = torch.load(verified_path(f"{name}.pt"), weights_only=True)
    assert all(isinstance(t, torch.Tensor) for t in state.values())
    model = load_model(name)
    assert not model.training
    if entry["class"] == "MaskCNN":  # the few-shot baseline predicts masks, not classes
        assert entry["config"]["supervision"] == "mask"
        assert mask_model_pxap(model, load_split("test")) == pytest.approx(entry["test_pxap"], abs=0.002)
        return
    split = load_split("cue_test" if entry["config"]["scenes"].get("cue") else "test")
    measured = accuracy(model, split)
    assert measured == pytest.approx(entry["test_accuracy"], abs=0.002)
    if entry["config"].get("permute_labels_seed") is None:
        assert measured >= 0.95


def test_the_permuted_labels_model_learnt_nothing_about_the_creatures():
    # Trained on shuffled labels (notebook 07's sanity check): chance on the test scenes is 1/4.
    entry = MANIFEST["models"]["gap_cnn_permuted_labels"]
    assert entry["config"]["permute_labels_seed"] is not None
    assert entry["test_accuracy"] < 0.35
    assert entry["train_accuracy"] > entry["test_accuracy"] + 0.1  # some of the shuffled labels learnt by heart


def test_the_cue_model_fails_without_its_cue():
    entry = MANIFEST["models"]["cue_gap_cnn"]
    assert entry["cue_removed_test_accuracy"] < entry["test_accuracy"] - 0.2
    measured = accuracy(load_model("cue_gap_cnn"), load_split("cue_removed_test"))
    assert measured == pytest.approx(entry["cue_removed_test_accuracy"], abs=0.002)


@pytest.fixture
def data_copy(tmp_path):
    for name in ("manifest.json", "gap_cnn.pt", "test_scenes.npz"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    return tmp_path


def test_a_corrupted_checkpoint_is_a_clear_error(data_copy):
    path = data_copy / "gap_cnn.pt"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ChecksumError, match=r"gap_cnn.pt is corrupted.*make checkpoints"):
        load_model("gap_cnn", data_dir=data_copy)


def test_a_corrupted_split_is_a_clear_error(data_copy):
    path = data_copy / "test_scenes.npz"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ChecksumError, match="test_scenes.npz is corrupted"):
        load_split("test", data_dir=data_copy)


def test_a_missing_checkpoint_names_the_fix(data_copy):
    (data_copy / "gap_cnn.pt").unlink()
    with pytest.raises(FileNotFoundError, match="make checkpoints"):
        load_model("gap_cnn", data_dir=data_copy)


def test_an_unknown_model_lists_the_available_ones(data_copy):
    with pytest.raises(KeyError, match="available"):
        load_model("resnet", data_dir=data_copy)
    assert available_models(data_copy) == sorted(json.loads((data_copy / "manifest.json").read_text())["models"])

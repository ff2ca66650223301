"""course_utils.comparison and the shipped test tables: the same code, the same tables."""

import json
import shutil

import pytest
import torch

from course_utils.checkpoints import DATA_DIR, load_manifest, load_model, load_split
from course_utils.comparison import (
    BASELINES,
    TABLE_FILES,
    comparison_tables,
    load_comparison_tables,
    split_name,
    true_class_maps,
)
from course_utils.errors import CourseValueError
from course_utils.maps import to_image
from course_utils.protocol import load_score_tables, score_tables, shared_map_tables, tables_agree
from course_utils.scenes import make_scenes
from course_utils.train import COURSE_MODELS, SCORE_TABLES, TrainConfig, build_model


@pytest.fixture(scope="module")
def scenes():
    return make_scenes(12, seed=5)


@pytest.fixture(scope="module")
def untrained():
    return {"gap": build_model(TrainConfig("GapCNN")),
            "acol": build_model(TrainConfig("ACoL", {"delta": 0.5})),
            "mask": build_model(TrainConfig("MaskCNN", supervision="mask"))}


def test_true_class_maps_are_the_models_maps_of_the_true_class_in_chunks(scenes, untrained):
    acol = untrained["acol"].eval()
    maps = true_class_maps(acol, scenes, chunk=5)  # 5 + 5 + 2 scenes
    with torch.no_grad():
        out = acol.run(scenes.images, scenes.labels)
    rows = torch.arange(len(scenes))
    torch.testing.assert_close(maps["fused"], to_image(out.fused))
    torch.testing.assert_close(maps["A alone"], to_image(out.maps_a[rows, scenes.labels]))
    assert torch.equal(maps["B right"], out.logits_b.argmax(1) == scenes.labels)
    assert maps["fused"].shape == (len(scenes), 64, 64)
    assert set(true_class_maps(untrained["gap"].eval(), scenes)) == {"map"}
    assert true_class_maps(untrained["mask"].eval(), scenes)["map"].shape == (len(scenes), 64, 64)
    with pytest.raises(CourseValueError, match="chunk must be a positive int"):
        true_class_maps(acol, scenes, chunk=0)


def test_comparison_tables_score_each_named_map_in_the_order_asked(scenes, untrained):
    models = {"acol_x": untrained["acol"].eval(), "gap_x": untrained["gap"].eval()}
    loaded = []

    def load(name):
        loaded.append(name)
        return models[name]

    names = ["acol_x:A alone", "baseline:whole image", "gap_x:map", "acol_x:fused"]
    tables = comparison_tables(names, scenes, load=load, progress=False)
    assert list(tables) == names
    assert loaded == ["acol_x", "gap_x"]  # each model runs once, however many of its maps
    maps = true_class_maps(models["acol_x"], scenes)
    expected = score_tables(maps["fused"], scenes.masks, scenes.boxes)
    assert torch.equal(tables["acol_x:fused"].ious, expected.ious)
    assert torch.equal(tables["acol_x:fused"].true_pos, expected.true_pos)
    whole = shared_map_tables(BASELINES["whole image"](), scenes.masks, scenes.boxes)
    assert torch.equal(tables["baseline:whole image"].false_pos, whole.false_pos)
    largest = comparison_tables(["gap_x:map"], scenes, load=load, with_largest=["gap_x:map"],
                                progress=False)["gap_x:map"]
    assert largest.largest_ious is not None and tables["gap_x:map"].largest_ious is None
    with pytest.raises(CourseValueError, match="with_largest must name"):
        comparison_tables(["gap_x:map"], scenes, load=load, with_largest=["acol_x:fused"])
    with pytest.raises(CourseValueError, match="has no map 'fused'"):
        comparison_tables(["gap_x:fused"], scenes, load=load, progress=False)
    with pytest.raises(CourseValueError, match="has no map 'B right'"):
        comparison_tables(["acol_x:B right"], scenes, load=load, progress=False)


def test_table_names_say_what_was_scored():
    assert split_name("acol_04_seed1:A alone") == ("acol_04_seed1", "A alone")
    assert split_name("baseline:centre Gaussian") == ("baseline", "centre Gaussian")
    for bad in ("gap_cnn", ":map", "gap_cnn:", "baseline:moon"):
        with pytest.raises(CourseValueError):
            split_name(bad)


def test_the_course_tables_name_shipped_models_or_baselines():
    assert {TABLE_FILES[split] for split, *_ in SCORE_TABLES.values()} == set(SCORE_TABLES)
    for _, names, with_largest in SCORE_TABLES.values():
        for name in names:
            model, _ = split_name(name)
            assert model == "baseline" or model in COURSE_MODELS, name
        assert len(set(names)) == len(names) and set(with_largest) <= set(names)


@pytest.mark.parametrize("split, spot_checks", [
    ("test", ("acol_04:fused", "acol_04:A alone", "baseline:centre Gaussian")),
    ("heldout", ("acol_07:fused",)),
])
def test_the_shipped_tables_are_the_course_tables_and_agree_with_the_code(split, spot_checks):
    shipped = load_comparison_tables(split)
    _, names, with_largest = SCORE_TABLES[TABLE_FILES[split]]
    assert list(shipped) == list(names)
    assert {name for name, t in shipped.items() if t.largest_ious is not None} == set(with_largest)
    assert TABLE_FILES[split] in load_manifest()["files"]
    scenes = load_split(split)
    for tables in shipped.values():
        assert torch.equal(tables.foreground, scenes.masks.flatten(1).sum(1).double())
    first = scenes[:100]  # a table's rows are scenes: its first 100 are the first 100 scenes'
    for name in spot_checks:
        model, kind = split_name(name)
        if model == "baseline":
            here = shared_map_tables(BASELINES[kind](), first.masks, first.boxes)
        else:
            maps = true_class_maps(load_model(model), first)[kind]
            here = score_tables(maps, first.masks, first.boxes, with_largest=name in with_largest)
        assert tables_agree(here, shipped[name][:100]), name
    with pytest.raises(CourseValueError, match="no shipped tables"):
        load_comparison_tables("train")


def test_the_train_step_writes_the_tables_and_their_checksum_only(tmp_path, monkeypatch):
    import course_utils.train as train

    for name in ("manifest.json", "test_scenes.npz", "gap_cnn.pt"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    before = json.loads((tmp_path / "manifest.json").read_text())
    file_name = TABLE_FILES["test"]
    names = ("gap_cnn:map", "baseline:whole image")
    monkeypatch.setattr(train, "SCORE_TABLES", {file_name: ("test", names, ())})
    train.main(["--data-dir", str(tmp_path), "--only", train.TABLES_STEP])
    after = json.loads((tmp_path / "manifest.json").read_text())
    assert after["models"] == before["models"]
    others = [k for k in after["files"] if k != file_name]  # the scenes are read, not rewritten
    assert {k: after["files"][k] for k in others} == {k: before["files"][k] for k in others}
    assert set(after["files"]) == set(before["files"]) | {file_name}
    assert after["files"][file_name] == train.sha256(tmp_path / file_name)
    written = load_score_tables(tmp_path / file_name)
    assert list(written) == list(names)
    assert tables_agree(written["gap_cnn:map"], load_comparison_tables()["gap_cnn:map"])

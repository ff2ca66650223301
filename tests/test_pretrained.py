"""Tests for course_utils.pretrained: both paths, online and offline, without touching the network.

The online path gets the same architecture with random weights in place of
the download; the offline path gets a download that fails at once.
"""

from __future__ import annotations

import hashlib
import socket
import urllib.error
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torchvision.models import ResNet18_Weights, resnet18  # noqa: E402

from course_utils import pretrained  # noqa: E402
from course_utils.cam import grad_cam  # noqa: E402
from course_utils.plots import overlay_map  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def no_network(monkeypatch, tmp_path):
    """An empty torch hub cache and a download that fails as it does offline; counts the download attempts."""
    attempts = []

    def offline_download(url, *args, **kwargs):
        attempts.append(url)
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path))
    monkeypatch.setattr(torch.hub, "download_url_to_file", offline_download)
    return attempts


@pytest.fixture
def random_weights(monkeypatch):
    """The weights 'load', but they are random: the same architecture, no download."""

    def fake():
        torch.manual_seed(0)
        return resnet18(weights=None).state_dict()

    monkeypatch.setattr(pretrained, "_pretrained_state_dict", fake)


@pytest.fixture
def restore_socket_timeout():
    previous = socket.getdefaulttimeout()
    yield
    socket.setdefaulttimeout(previous)


# --- offline ----------------------------------------------------------------------------------


def test_offline_returns_none_and_says_one_sentence(no_network, capsys):
    assert pretrained.load_imagenet_resnet18() is None
    assert no_network == [ResNet18_Weights.DEFAULT.url]  # it did try, the URL torchvision would use
    out, err = capsys.readouterr()
    assert out == pretrained.OFFLINE_MESSAGE + "\n"  # one line: no "Downloading: ..." before it, no traceback
    assert err == ""
    assert pretrained.OFFLINE_MESSAGE.count(". ") == 0 and pretrained.OFFLINE_MESSAGE.endswith(".")
    assert "unavailable offline" in pretrained.OFFLINE_MESSAGE and "goes on" in pretrained.OFFLINE_MESSAGE


@pytest.mark.parametrize("error", [TimeoutError("timed out"), RuntimeError("invalid hash"), OSError("disk full")])
def test_any_failure_to_get_the_weights_is_the_offline_path(monkeypatch, capsys, error):
    def failing():
        raise error

    monkeypatch.setattr(pretrained, "_pretrained_state_dict", failing)
    assert pretrained.load_imagenet_resnet18() is None
    assert capsys.readouterr().out == pretrained.OFFLINE_MESSAGE + "\n"


@pytest.mark.parametrize("before", [None, 3.5])
def test_the_socket_timeout_bounds_the_download_and_is_restored(monkeypatch, restore_socket_timeout, before, capsys):
    seen = []

    def stalled():
        seen.append(socket.getdefaulttimeout())
        raise TimeoutError("timed out")

    monkeypatch.setattr(pretrained, "_pretrained_state_dict", stalled)
    socket.setdefaulttimeout(before)
    assert pretrained.load_imagenet_resnet18(timeout=0.25) is None
    assert seen == [0.25]
    assert socket.getdefaulttimeout() == before


def test_the_socket_timeout_is_restored_on_success(random_weights, restore_socket_timeout):
    socket.setdefaulttimeout(7.0)
    assert pretrained.load_imagenet_resnet18(timeout=1.0) is not None
    assert socket.getdefaulttimeout() == 7.0


# --- online (random weights standing in for ImageNet's) -------------------------------------


def test_the_weights_are_torchvisions_default():
    assert pretrained.WEIGHTS_URL == ResNet18_Weights.DEFAULT.url


def test_a_cached_file_is_used_without_the_network(no_network, monkeypatch, capsys):
    """Weights in the hub cache load without a download (the file name's hash prefix is checked)."""
    torch.manual_seed(0)
    state = resnet18(weights=None).state_dict()
    checkpoints = Path(torch.hub.get_dir()) / "checkpoints"
    checkpoints.mkdir(parents=True)
    path = checkpoints / "weights.pth"
    torch.save(state, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    url = f"https://example.invalid/models/resnet18-{digest}.pth"
    path.rename(checkpoints / Path(url).name)

    monkeypatch.setattr(pretrained, "WEIGHTS_URL", url)
    loaded = pretrained.load_imagenet_resnet18()
    assert loaded is not None and no_network == []
    model, _ = loaded
    assert torch.equal(model.fc.weight, state["fc.weight"])
    assert capsys.readouterr().out == ""


def test_online_returns_the_model_in_eval_mode_and_the_class_names(random_weights, capsys):
    loaded = pretrained.load_imagenet_resnet18()
    assert loaded is not None
    model, categories = loaded
    assert not model.training
    assert len(categories) == 1000 and categories[0] == "tench"
    assert capsys.readouterr().out == ""


def test_online_grad_cam_on_the_photo_and_its_overlay(random_weights):
    model, categories = pretrained.load_imagenet_resnet18()
    photo = pretrained.sample_photo()
    batch = pretrained.preprocess(photo, ResNet18_Weights.DEFAULT)
    maps = grad_cam(model, model.layer4, batch)
    assert maps.shape == (1, 7, 7)
    assert (maps >= 0).all()

    explanation = pretrained.explain_photo(model, categories, photo)  # the notebook's call: torch-only preprocessing
    with torch.no_grad():
        top = int(model(batch).argmax())
    assert explanation.class_index == top and explanation.class_name == categories[top]
    assert 0.0 < explanation.probability <= 1.0
    assert torch.allclose(explanation.map, grad_cam(model, model.layer4, batch, top)[0])
    assert explanation.crop.shape == (3, 224, 224)

    ax = overlay_map(explanation.crop, explanation.map, title=explanation.class_name)
    try:
        assert len(ax.images) == 2  # the photo, then the map over it
        assert ax.images[-1].get_array().shape == (224, 224)
    finally:
        plt.close(ax.figure)


# --- the photo and its preprocessing (offline, always) ----------------------------------------


def test_sample_photo_is_a_float_rgb_image():
    photo = pretrained.sample_photo()
    assert photo.shape == (3, 600, 512) and photo.dtype == torch.float32
    assert 0.0 <= photo.min() and photo.max() <= 1.0


def test_preprocess_by_hand_matches_the_weights_transforms():
    photo = pretrained.sample_photo()
    by_weights = pretrained.preprocess(photo, ResNet18_Weights.DEFAULT)
    by_hand = pretrained.preprocess(photo)
    assert by_weights.shape == (1, 3, 224, 224)
    assert torch.allclose(by_weights, by_hand, atol=1e-5)
    # The shown crop is the model's view, before normalisation.
    mean = torch.tensor(pretrained.IMAGENET_MEAN)[:, None, None]
    std = torch.tensor(pretrained.IMAGENET_STD)[:, None, None]
    assert torch.allclose(pretrained.center_crop(photo), by_hand[0] * std + mean, atol=1e-5)


def test_center_crop_rejects_a_batch():
    with pytest.raises(ValueError, match=r"\[3, H, W\]"):
        pretrained.center_crop(torch.rand(1, 3, 64, 64))

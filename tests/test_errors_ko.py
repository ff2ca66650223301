"""The one-line errors a learner meets come out in Korean under ``set_language("ko")``.

One mistake per module: the same call raises the Korean message while Korean
is chosen, and the English one (the text the English notebooks print) once
``set_language("en")`` is back. The Korean texts here are the catalog's, so a
message that skips ``tr`` (or a catalog that lacks it) fails the Korean check.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import torch
from torch import nn

from course_utils import boxes, cam, checkpoints, comparison, localization, maps, models, protocol
from course_utils import scenes, trust
from course_utils.errors import CourseError
from course_utils.language import get_language, set_language

HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture
def korean():
    """Korean for the test; English afterwards, whatever the test did."""
    set_language("ko")
    try:
        yield
    finally:
        set_language("en")


def _no_features_model() -> nn.Module:
    """A model with neither ``features`` nor ``fc``: CAM cannot find its feature layer."""
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten())


# (module, the mistake, exception type, the English message, the Korean message)
MISTAKES: list[tuple[str, Callable[[], object], type[Exception], str, str]] = [
    ("maps", lambda: maps.min_max_normalise(torch.zeros(3)), ValueError,
     "expected maps of shape [..., h, w], got shape (3,)",
     "모양이 [..., h, w]인 맵을 기대했는데, 모양이 (3,)입니다"),
    ("boxes", lambda: boxes.extra_pixel("closed"), ValueError,
     f"convention must be one of {boxes.BOX_CONVENTIONS}, got 'closed'",
     f"convention은 {boxes.BOX_CONVENTIONS} 가운데 하나여야 하는데, 'closed'을(를) 받았습니다"),
    ("localization", lambda: localization.peak_pixels(torch.rand(2, 4, 4), peak_tolerance=1.5),
     ValueError,
     "peak_tolerance must be in [0, 1), got 1.5",
     "peak_tolerance는 [0, 1) 안에 있어야 하는데, 1.5입니다"),
    ("checkpoints", lambda: checkpoints.load_model("no_such_model"), KeyError,
     "no model 'no_such_model' in data/; available: [",
     "data/에 모델 'no_such_model'이(가) 없습니다. 있는 모델: ["),
    ("comparison", lambda: comparison.load_comparison_tables("train"), ValueError,
     "no shipped tables for split 'train'; expected one of [",
     "분할 'train'에 대해 함께 제공되는 표가 없습니다. 다음 가운데 하나여야 합니다: ["),
    ("cam", lambda: cam.class_activation_map(_no_features_model(), torch.rand(1, 3, 8, 8)),
     ValueError,
     "class_activation_map found no `features` module in Sequential",
     "class_activation_map이(가) Sequential에서 `features` 모듈을 찾지 못했습니다"),
    ("models", lambda: models.mask_targets(torch.zeros(1, 6, 6, dtype=torch.bool), cell=4),
     ValueError,
     "the mask size (6, 6) is not a multiple of the cell size 4",
     "마스크 크기 (6, 6)이(가) 셀 크기 4의 배수가 아닙니다"),
    ("protocol", lambda: protocol.resample_weights(0, 10), ValueError,
     "n_scenes must be a positive int, got 0",
     "n_scenes는 양의 int여야 하는데, 0을(를) 받았습니다"),
    ("scenes", lambda: scenes.make_scenes(4, cue_rate=2.0), ValueError,
     "cue_rate must be in [0, 1], got 2.0",
     "cue_rate는 [0, 1] 안에 있어야 하는데, 2.0입니다"),
    ("trust", lambda: trust.curve_area(torch.zeros(2, 1)), ValueError,
     "curve_area needs curves [N, S] with S >= 2 points, got (2, 1)",
     "curve_area에는 점이 S >= 2개인 곡선 [N, S]가 필요한데, (2, 1)을(를) 받았습니다"),
]


def _message(call: Callable[[], object], kind: type[Exception]) -> str:
    with pytest.raises(kind) as caught:
        call()
    assert isinstance(caught.value, CourseError), f"{type(caught.value).__name__}: {caught.value}"
    return caught.value.message()


@pytest.mark.parametrize("module, call, kind, english, korean_text", MISTAKES,
                         ids=[case[0] for case in MISTAKES])
def test_the_error_is_korean_under_korean_and_english_again_after(
    korean, module, call, kind, english, korean_text
):
    said = _message(call, kind)
    assert said.startswith(korean_text), f"{module}: {said!r}"
    assert HANGUL.search(said)
    set_language("en")
    said = _message(call, kind)
    assert said.startswith(english), f"{module}: {said!r}"
    assert not HANGUL.search(said)


def test_a_composed_cam_message_translates_each_of_its_parts(korean):
    """CAM's refusal is built from three messages: each comes out in Korean, none in English."""
    model = models.GapCNN()
    with pytest.raises(ValueError) as caught:
        cam.class_activation_map(model, torch.rand(1, 3, 64, 64), fc=model.features)
    said = str(caught.value)
    assert "CAM에는 전역 평균 풀링(GAP) 뒤에" in said
    assert "대신 grad_cam(model, layer, images)을 쓰세요" in said
    assert "needs" not in said and "instead" not in said


def test_a_missing_file_is_reported_in_korean(korean, tmp_path):
    with pytest.raises(FileNotFoundError, match="매니페스트가 없습니다"):
        checkpoints.load_manifest(tmp_path)


def test_the_fixture_leaves_english():
    assert get_language() == "en"
    with pytest.raises(ValueError, match="^n_scenes must be a positive int"):
        protocol.resample_weights(0, 10)

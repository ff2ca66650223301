# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] en="5296c09613bd"
# # 풀이 · 02 · 전역 평균 풀링과 CAM
#
# **각 연습 문제(exercise)는 먼저 [노트북 02](../02_gap_cam.ipynb)에서 풀어
# 보세요.** 이 노트북은 어떤 뷰어(GitHub, nbviewer, Binder, JupyterLab)에서도 연습
# 문제 바로 아래에 답이 보이지 않도록 수업 노트북과 따로 두었습니다.
#
# 각 풀이(solution)는 `must_pass(...)`로 끝납니다: 이 함수는 연습 문제의 확인
# 결과를 보여 주고, 풀이가 더 이상 확인을 통과하지 못하면 오류를 내며
# 멈춥니다(코스의 테스트가 이 노트북을 실행합니다). 첫 셀은 연습 문제에 쓰이는
# 것들을 노트북 02와 같은 이름으로 불러옵니다.

# %%
from course_utils.language import set_language

set_language("ko")

# %%
import copy

import torch
import torch.nn.functional as F
from torch import nn

from course_checks import must_pass
from course_checks.gap_cam import (
    HEAD_CONFIG,
    MARGIN_CLASSES,
    POOLING_TENSOR,
    cam_exercise_images,
    check_head_parameters,
    check_margin_map,
    check_pooling,
    check_weight_shift,
)
from course_utils.cam import class_activation_map
from course_utils.checkpoints import load_model

gap_cnn = load_model("gap_cnn")  # backbone -> GAP -> bias-free linear layer `fc`


def count_parameters(module: nn.Module) -> int:
    """The number of trainable numbers in a module."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


# %% [markdown] en="0e24bdd0ffc6"
# ## 연습 문제 1: 손으로 하는 풀링
#
# 2x2 창마다 숫자 하나가 나옵니다: 창의 평균, 또는 가장 큰 원소입니다. 평균 풀링은
# 창의 모든 원소를 반영하고, 최대 풀링은 가장 강한 원소 하나만 남기므로, 큰 값
# 하나(오른쪽 아래 창의 8)가 혼자서 그 창의 결과를 정합니다.

# %%
print(POOLING_TENSOR)
avg_pooled = F.avg_pool2d(POOLING_TENSOR[None, None], kernel_size=2, stride=2)[0, 0]
max_pooled = F.max_pool2d(POOLING_TENSOR[None, None], kernel_size=2, stride=2)[0, 0]
print("average:", avg_pooled.tolist(), " max:", max_pooled.tolist())
must_pass(check_pooling(avg_pooled, max_pooled))

# %% [markdown] en="2b56d996fa30"
# ## 연습 문제 2: 파라미터(parameter) 세기
#
# flatten 헤드: 2x2 최대 풀링에는 파라미터가 없고, 숫자
# $128 \times 8 \times 8 = 8{,}192$개를 남깁니다. 첫 선형 층에는 가중치
# $8{,}192 \times 256$개와 편향 256개, 두 번째 층에는 가중치 $256 \times 10$개와
# 편향 10개가 있습니다. GAP 헤드: (채널, 클래스) 쌍마다 가중치 하나, 곧
# $128 \times 10$개입니다. 층들을 만들어 세어 봐도 같은 값이 나옵니다.

# %%
c = HEAD_CONFIG
pooled_size = c["size"] // 2
flatten_layers = nn.Sequential(
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(c["channels"] * pooled_size * pooled_size, c["hidden"]),
    nn.ReLU(),
    nn.Dropout(0.5),
    nn.Linear(c["hidden"], c["classes"]),
)
gap_layers = nn.Sequential(
    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c["channels"], c["classes"], bias=False)
)
flatten_head, gap_head = count_parameters(flatten_layers), count_parameters(gap_layers)
by_hand = (c["channels"] * pooled_size**2 * c["hidden"] + c["hidden"]
           + c["hidden"] * c["classes"] + c["classes"])
print(f"flatten head {flatten_head:,} (by hand {by_hand:,}), GAP head {gap_head:,}, "
      f"ratio {flatten_head / gap_head:.0f}")
must_pass(check_head_parameters(flatten_head, gap_head))

# %% [markdown] en="0adfed1626d2"
# ## 연습 문제 3: 마진의 맵
#
# *(a)*
# $S_c - S_{c'} = \frac{1}{hw}\sum_{x,y}\sum_k (w_k^c - w_k^{c'}) f_k(x, y)$:
# 가중치 벡터 $w^c - w^{c'}$로 만든 맵 하나의 평균입니다. 선형성에 의해 이 맵은
# $M_c - M_{c'}$입니다. *정규화된* 맵들의 차이로는 안 됩니다: 각 맵이 자신의
# 최솟값과 최댓값에 따라 따로 이동하고 크기가 조정되므로, 그 차이의 평균은 더 이상
# 마진이 아닙니다.
#
# *(b)* $w_k^c + a$를 쓰면 모든 클래스 점수가 같은 양 $a \sum_k F_k$만큼
# 늘어나므로($F_k$는 풀링된 특징 $k$), 차이만 보는 소프트맥스는 바뀌지 않습니다.
# 각 CAM에는 위치에 따라 달라지는 맵 $a \sum_k f_k(x, y)$가 더해지므로, CAM은
# 바뀝니다. 마진 맵에서는 더해진 항들이 서로 상쇄되므로, 바뀌지 않습니다.

# %%
images = cam_exercise_images()  # [4, 3, 64, 64]
c, other = MARGIN_CLASSES
with torch.no_grad():
    features = gap_cnn.features(images)  # [4, 64, 16, 16]
    weight = gap_cnn.fc.weight  # [4 classes, 64 channels]
    margin_maps = torch.einsum("k,nkhw->nhw", weight[c] - weight[other], features)
    margin = gap_cnn(images)[:, c] - gap_cnn(images)[:, other]
print("margin S_blue - S_red per image:  ", [round(v, 3) for v in margin.tolist()])
print("mean of each margin map:          ", [round(v, 3) for v in margin_maps.mean((1, 2)).tolist()])
must_pass(check_margin_map(margin_maps))

shifted = copy.deepcopy(gap_cnn)
with torch.no_grad():
    shifted.fc.weight += 1.0
    probability_shift = (shifted(images).softmax(1) - gap_cnn(images).softmax(1)).abs().max()
    shifted_features = shifted.features(images)
    shifted_margin = torch.einsum("k,nkhw->nhw", shifted.fc.weight[c] - shifted.fc.weight[other],
                                  shifted_features)
cam_shift = (class_activation_map(shifted, images, c) - class_activation_map(gap_cnn, images, c))
print(f"largest change: probabilities {probability_shift:.1e}, blue's CAM {cam_shift.abs().max():.2f}, "
      f"margin map {(shifted_margin - margin_maps).abs().max():.1e}")
probabilities_change = bool(probability_shift > 1e-4)
cams_change = bool(cam_shift.abs().max() > 1e-4)
margin_map_changes = bool((shifted_margin - margin_maps).abs().max() > 1e-4)
must_pass(check_weight_shift(probabilities_change, cams_change, margin_map_changes))

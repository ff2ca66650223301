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

# %% [markdown] en="0f3e86da1240"
# # 풀이 · 06 · 클래스 맵 헤드로서의 1×1 합성곱
#
# **각 연습 문제(exercise)는 먼저 [노트북 06](../06_one_by_one_conv.ipynb)에서 풀어
# 보세요.** 이 노트북은 어떤 뷰어(GitHub, nbviewer, Binder, JupyterLab)에서도 연습
# 문제 바로 아래에 답이 보이지 않도록 수업 노트북과 따로 두었습니다.
#
# 각 풀이(solution)는 `must_pass(...)`로 끝납니다: 이 함수는 연습 문제의 확인
# 결과를 보여 주고, 풀이가 더 이상 확인을 통과하지 못하면 오류를 내며
# 멈춥니다(코스의 테스트가 이 노트북을 실행합니다). 첫 셀은 연습 문제에 쓰이는
# 것들을 노트북 06과 같은 이름으로 불러옵니다.

# %%
from course_utils.language import set_language

set_language("ko")

# %%
import torch
import torch.nn.functional as F

from course_checks import must_pass
from course_checks import one_by_one_conv as checks
from course_utils.checkpoints import load_model

gap_model = load_model("gap_cnn")

# %% [markdown] en="64d3933e7159"
# ## 연습 문제 1: 헤드 세기
#
# (입력 채널, 클래스) 쌍마다 가중치(weight)가 하나, 클래스(출력 채널)마다 편향이
# 하나입니다. 13x13 위치는 상관이 없습니다: 모든 위치에서 같은 가중치를 쓰기
# 때문입니다.

# %%
without_bias = sum(
    p.numel() for p in torch.nn.Conv2d(512, 1000, kernel_size=1, bias=False).parameters()
)
with_bias = sum(p.numel() for p in torch.nn.Conv2d(512, 1000, kernel_size=1).parameters())
print(f"without bias {without_bias:,}, with bias {with_bias:,}")
must_pass(checks.check_head_parameters(without_bias, with_bias, in_channels=512, num_classes=1000))

# %% [markdown] en="153d6a457e04"
# ## 연습 문제 2: 반대 방향
#
# Conv2d의 가중치는 [출력 채널, 입력 채널, 커널 높이, 커널 너비]입니다. 클래스가
# 출력 채널이므로, 크기 1인 축 두 개만 덧붙이면 되고 전치는 필요 없습니다.

# %%
conv_weight = gap_model.fc.weight.detach()[:, :, None, None]  # [4, 64, 1, 1]
must_pass(checks.check_conv_weight(conv_weight))

# %% [markdown] en="33c9abebe0b1"
# ## 연습 문제 3: 손으로 구하는 클래스 맵
#
# $M_1(2, 0) = 0.5\, f_1(2, 0) + 2\, f_2(2, 0) - 1\, f_3(2, 0)
# = 0.5 \cdot 2 + 2 \cdot 1 - 0 = 3$이고, $S_1$은 9개 위치에 걸친 $M_1$의
# 평균입니다.

# %%
toy_maps = torch.einsum("ck,khw->chw", checks.TOY_WEIGHTS, checks.TOY_FEATURES)  # [2, 3, 3]
map_value = toy_maps[1, 2, 0].item()
score = toy_maps[1].mean().item()  # GAP: the average over the 9 positions
must_pass(checks.check_toy_class_map(map_value, score))

# %% [markdown] en="9dded5c32682"
# ## 연습 문제 4: 어느 헤드가 GAP 다음 선형과 같은가?
#
# 무작위 특징에 각 헤드를 적용해 GAP 다음 선형과 비교해 보세요: 끝까지 선형으로
# 남는 헤드 (a), (b), (e)는 일치합니다. 합성곱과 풀링 사이의 ReLU (c)나 최대값
# (d)은 항등식을 깹니다.

# %%
generator = torch.Generator().manual_seed(0)
features = torch.randn(3, 5, 4, 4, generator=generator)  # [N, K, h, w]
weight, bias = torch.randn(2, 5, generator=generator), torch.randn(2, generator=generator)
kernel = weight[:, :, None, None]
candidates = {
    "a": (F.conv2d(features, kernel).mean((2, 3)), False),
    "b": (F.conv2d(features, kernel, bias).mean((2, 3)), True),
    "c": (F.relu(F.conv2d(features, kernel)).mean((2, 3)), False),
    "d": (F.conv2d(features, kernel).amax((2, 3)), False),
    "e": (F.conv2d(features.mean((2, 3), keepdim=True), kernel, bias).flatten(1), True),
}
pooled = features.mean((2, 3))
answer = "".join(letter for letter, (scores, with_b) in candidates.items()
                 if torch.allclose(scores, F.linear(pooled, weight, bias if with_b else None),
                                   atol=1e-5))
print("the same as GAP then linear:", answer)
must_pass(checks.check_equivalent_heads(answer))

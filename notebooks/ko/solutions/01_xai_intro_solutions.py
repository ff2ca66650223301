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

# %% [markdown] en="4769ed7cdaa9"
# # 풀이 · 01 · 네트워크를 왜 설명해야 할까?
#
# **각 연습 문제(exercise)는 먼저 [노트북 01](../01_xai_intro.ipynb)에서 풀어
# 보세요.** 이 노트북은 어떤 뷰어(GitHub, nbviewer, Binder, JupyterLab)에서도
# 연습 문제 바로 아래에 답이 보이지 않도록 강의 노트북과 따로 두었습니다.
#
# 각 풀이(solution)는 `must_pass(...)`로 끝납니다: 이 함수는 연습 문제의 확인
# 결과를 보여 주고, 풀이가 더 이상 확인을 통과하지 못하면 오류를 내며
# 멈춥니다(코스의 테스트가 이 노트북을 실행하므로, 틀린 풀이가 눈에 띄지 않고
# 지나갈 수 없습니다). 첫 셀은 연습 문제에서 쓰는 것들을 노트북 01과 같은
# 이름으로 불러옵니다.

# %%
from course_utils.language import set_language

set_language("ko")

# %%
import torch

from course_checks import must_pass
from course_checks import xai_intro as checks
from course_utils.checkpoints import load_model, load_split
from course_utils.scenes import CLASS_NAMES, CUE_CORNER, CUE_GLYPHS, CUE_SIZE

model = load_model("gap_cnn")
cue_model = load_model("cue_gap_cnn")
cue_test = load_split("cue_test")  # the cue world, glyph in every scene
cue_removed = load_split("cue_removed_test")  # the very same scenes, without the glyph
with torch.no_grad():
    predicted_without = cue_model(cue_removed.images).argmax(1)
    logits_8 = cue_model(cue_test.images[:8])  # [8, 4]

# %% [markdown] en="9029b79e7b6f"
# ## 연습 문제 1: 모양
#
# 2x2 최대 풀링(max-pool) 두 번이 96을 48로, 다시 24로 줄이고, 마지막 블록의 채널은
# 64개입니다. 위치 하나는 여전히 4x4 픽셀을 나타냅니다: 이를 정하는 것은 이미지
# 크기가 아니라 풀링입니다.

# %%
with torch.no_grad():
    answer = tuple(model.features(torch.zeros(1, 3, 96, 96)).shape[1:])
print(answer)
must_pass(checks.check_feature_map_shape(answer, image_size=96))

# %% [markdown] en="00a4422a93ca"
# ## 연습 문제 2: 손으로 계산하는 소프트맥스
#
# 행에서 가장 큰 로짓(logit)을 빼는 것은 분자와 분모에 같은 $e^{-\max}$를 곱하는
# 것이므로 결과는 바뀌지 않습니다. 하지만 이제 어떤 `exp`도 넘칠(overflow) 수
# 없습니다: float32에서 `exp`는 89에서 이미 무한대입니다.

# %%
print("exp in float32 of 88 and 89:", torch.exp(torch.tensor([88.0, 89.0])).tolist())
shifted = logits_8 - logits_8.amax(dim=1, keepdim=True)
probabilities_8 = shifted.exp() / shifted.exp().sum(dim=1, keepdim=True)
must_pass(checks.check_softmax(probabilities_8, logits_8))

# %% [markdown] en="ebdb4fb531a3"
# ## 연습 문제 3: 누가 가장 많이 잃을까?
#
# 글리프(glyph) 없이, 각 클래스의 장면(scene)만으로 잰 정확도입니다.

# %%
per_class = [
    (predicted_without[cue_removed.labels == c] == c).float().mean().item() for c in range(4)
]
weakest = min(range(4), key=lambda c: per_class[c])
weakest_class, weakest_accuracy = CLASS_NAMES[weakest], per_class[weakest]
print(", ".join(f"{name} {accuracy:.2f}" for name, accuracy in zip(CLASS_NAMES, per_class)))
must_pass(checks.check_weakest_class(weakest_class, weakest_accuracy))

# %% [markdown] en="032078187678"
# ## 연습 문제 4: 트리거 심기
#
# 사본에 글리프를 생물(creature) 뒤에 칠하고(생물의 픽셀은 그대로 둡니다),
# 빨강이라고 분류된 장면을 셉니다.

# %%
y, x = CUE_CORNER
planted = cue_removed.images.clone()
where = CUE_GLYPHS[0] & ~cue_removed.masks[:, y : y + CUE_SIZE, x : x + CUE_SIZE]  # [N, 7, 7]
corner_cell = planted[:, :, y : y + CUE_SIZE, x : x + CUE_SIZE]  # a view into `planted`
corner_cell[where.unsqueeze(1).expand_as(corner_cell)] = 1.0
with torch.no_grad():
    fraction = (cue_model(planted).argmax(1) == 0).float().mean().item()
print(f"called red after planting: {fraction:.3f}")
must_pass(checks.check_trigger(fraction, class_index=0))

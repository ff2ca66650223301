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

# %% [markdown] en="827e3933080f"
# # 풀이 · 05 · ACoL: 적대적 상보 학습(adversarial complementary learning)
#
# **각 연습 문제는 먼저 [노트북 05](../05_acol.ipynb)에서 직접 풀어
# 보십시오.** 이 노트북은 어떤 뷰어(GitHub, nbviewer, Binder, JupyterLab)에서도
# 연습 문제(exercise) 아래에 답이 보이지 않도록 강의 노트북과 따로 두었습니다.
#
# 각 풀이(solution)는 `must_pass(...)`로 끝납니다. 이 호출은 연습 문제의 확인
# 결과를 보여 주고, 풀이가 더 이상 확인을 통과하지 못하면 오류를 내며
# 멈춥니다(코스의 테스트가 이 노트북을 실행합니다). 첫 번째 셀은 연습 문제에서
# 쓰는 것을 노트북 05에서와 같은 이름으로 불러옵니다.

# %%
from course_utils.language import set_language

set_language("ko")

# %%
import torch

from course_checks import acol as checks
from course_checks import must_pass
from course_utils.checkpoints import load_model, load_split
from course_utils.maps import min_max_normalise

test = load_split("test")  # 1,000 frozen test scenes
acol = load_model("acol_05")  # trained with delta = 0.5
acol_models = {0.9: load_model("acol_09")}  # trained with delta = 0.9

# %% [markdown] en="a8e6c5acc6a1"
# ## 연습 문제 1: 어느 위치가 지워지는가?
#
# 최솟값 2와 최댓값 10으로 정규화하면 $(M - 2) / 8$이 됩니다. 이 값이
# $\ge 0.5$인 곳, 곧 $M \ge 6$인 곳을 지웁니다. 행 1, 열 1의 6은 정확히
# 0.5이고, "$\ge$"이므로 지워집니다.

# %%
erased = (checks.MAP_A - checks.MAP_A.min()) / (checks.MAP_A.max() - checks.MAP_A.min()) >= 0.5
must_pass(checks.check_erased_positions(erased, delta=0.5))

# %% [markdown] en="1970644ee1fd"
# ## 연습 문제 2: 융합된 맵
#
# 각 맵을 따로 정규화한 다음, 더 큰 값이 이깁니다. (2, 3)에서 B의 8은 B의
# 최댓값(1.0)인 반면, A의 5는 A의 범위에서 (5 - 2) / 8 = 0.375에 불과합니다.
# 그러니 그 값은 B에서 옵니다.

# %%
fused = torch.maximum(min_max_normalise(checks.MAP_A), min_max_normalise(checks.MAP_B))
must_pass(checks.check_fused_map(fused))

# %% [markdown] en="f440e92d2ca5"
# ## 연습 문제 3: 더 많이, 아니면 더 적게?
#
# 위치는 정규화된 맵이 >= delta인 곳에서 지워집니다. 기준이 높아지면 지워지는
# 위치는 더 적어집니다.

# %%
scenes_100 = test[:100]
with torch.no_grad():
    fraction = (
        acol.run(scenes_100.images, scenes_100.labels, delta=0.9).erased.float().mean().item()
    )
prediction = "less"
print(f"acol_05 erases {fraction:.3f} of the positions at delta = 0.9")
must_pass(checks.check_erased_fraction(prediction, fraction, delta=0.9))

# %% [markdown] en="26f19dea5414"
# ## 연습 문제 4: 감당하기 벅찬 분류기 B
#
# 같은 모델에 테스트 때 더 낮은 임계값을 씁니다. 레이블이 없으므로 A가 예측한
# 클래스를 지웁니다.

# %%
scenes_200 = test[:200]
with torch.no_grad():
    out_09 = acol_models[0.9].run(scenes_200.images, delta=0.5)
accuracy_b = (out_09.logits_b.argmax(1) == scenes_200.labels).float().mean().item()
print(f"acol_09's classifier B at delta = 0.5: accuracy {accuracy_b:.3f}")
must_pass(checks.check_b_at_other_delta(accuracy_b, model_name="acol_09", delta=0.5))

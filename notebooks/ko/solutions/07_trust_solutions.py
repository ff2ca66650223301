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

# %% [markdown] en="a826eb7b7fdc"
# # 풀이 · 07 · 맵을 믿을 수 있을까? 정답에 비추어 시험한 CAM 계열
#
# **각 연습 문제(exercise)는 먼저 [노트북 07](../07_trust.ipynb)에서 풀어
# 보십시오.** 이 노트북은 어떤 뷰어(GitHub, nbviewer, Binder, JupyterLab)에서도
# 연습 문제 아래에 답이 보이지 않도록 본 노트북과 따로 두었습니다.
#
# 각 풀이(solution)는 `must_pass(...)`로 끝납니다: 이 함수는 연습 문제의 확인
# 결과를 보여 주고, 풀이가 더 이상 확인을 통과하지 못하면 오류를 내며
# 멈춥니다(코스의 테스트가 이 노트북을 실행합니다). 첫 셀은 연습 문제에 쓰이는
# 것들을 노트북 07과 같은 이름으로 불러옵니다.

# %%
from course_utils.language import set_language

set_language("ko")

# %%
import torch.nn.functional as F

from course_checks import must_pass
from course_checks import trust as checks
from course_utils import cam
from course_utils.checkpoints import load_model, load_split

test = load_split("test")
gap = load_model("gap_cnn")
relu_cam = F.relu(cam.class_activation_map(gap, test.images[:8], test.labels[:8]))  # ReLU(M_c)

# %% [markdown] en="265308d807a7"
# ## 연습 문제 1: 상수
#
# 전역 평균 풀링(GAP) 다음에 선형 층이 오면 클래스 점수(class score)는
# $y^c = \frac{1}{hw}\sum_{ij}\sum_k w^c_k A^k_{ij}$이므로, 그래디언트(gradient)
# $g^k_{ij} = \partial y^c / \partial A^k_{ij}$는 모든 위치에서 $w^c_k / hw$입니다.
# 그러면 Grad-CAM의 가중치(weight) $W^k = \frac{1}{hw}\sum_{ij} g^k_{ij}$도
# $w^c_k / hw$이고, Grad-CAM $= \mathrm{ReLU}\big(\sum_k W^k A^k\big)
# = \mathrm{ReLU}(M_c) / hw$입니다. 여기서 $M_c = \sum_k w^c_k A^k$가 CAM이므로,
# 곱해야 할 수는 $hw$입니다.

# %%
grad = cam.grad_cam(gap, gap.features, test.images[:8], test.labels[:8])
ratio = (relu_cam.sum() / grad.sum()).item()
factor = round(ratio)
print(f"sum of ReLU(CAM) / sum of Grad-CAM over 8 scenes: {ratio:.3f}; "
      f"h x w = {grad.shape[1]} x {grad.shape[2]} = {grad.shape[1] * grad.shape[2]}")
must_pass(checks.check_gap_grad_cam_factor(factor))

# %% [markdown] en="f9e6a3017a73"
# ## 연습 문제 2: Score-CAM의 비용
#
# 활성화를 얻기 위해 이미지마다 한 번, 그다음 채널과 이미지마다 한 번씩입니다.

# %%
passes = 10 * (64 + 1)
must_pass(checks.check_forward_passes(passes, images=10, channels=64))
